"""Safe names for files and anchors made from data (article ids, check ids, dataset names).

Ids come from user data, so they never reach the file system or a URL as they are: a safe name
keeps letters, digits, dot, dash and underscore, and gets a short hash whenever it had to change
(so `a/b` and `a_b` stay distinct). Every written path is checked to stay inside the report.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from ..errors import NewsproofError

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_STEM = 80
# Names Windows refuses as files, whatever the extension.
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:10]


def safe_name(text: str) -> str:
    """A file-name stem (no extension) for an id: portable, never a path, never hidden."""
    stem = _UNSAFE.sub("_", text).strip("._")[:_MAX_STEM]
    if stem and stem == text and stem.lower() not in _RESERVED:
        return stem
    return f"{stem or 'id'}-{_digest(text)}"


def span_anchor(kind: str, span_id: str) -> str:
    """The fragment id of a figure or claim on its article page (`figure-ku-f01`)."""
    return f"{kind}-{safe_name(span_id)}"


def article_page(dataset: str, article_id: str) -> str:
    """Where an article's page lives, relative to the report folder (always forward slashes)."""
    return f"articles/{safe_name(dataset)}/{safe_name(article_id)}.html"


def failures_csv(check_id: str) -> str:
    """Where a check's full failure list lives, relative to the report folder."""
    return f"failures/{safe_name(check_id)}.csv"


def inside(out_dir: Path, relative: str) -> Path:
    """Resolve a report-relative path, refusing anything that would land outside the report."""
    root = out_dir.resolve()
    target = (root / relative).resolve()
    if not target.is_relative_to(root):
        raise NewsproofError(f"refusing to write outside the report folder: {relative!r}", file=str(out_dir))
    return target
