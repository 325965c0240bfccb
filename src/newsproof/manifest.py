"""Dataset manifests: `datasets/<name>/dataset.yaml` names the dataset and its files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import NewsproofError

MANIFEST = "dataset.yaml"
SUPPORTED_SUFFIXES = (".csv", ".jsonl", ".ndjson", ".parquet")
DEFAULT_FILES = {
    "articles": "articles.jsonl",
    "sources": "sources.csv",
    "claims": "claims.csv",
    "figures": "figures.csv",
    "attributions": "attributions.csv",
}
# Dataset names end up in file names, report paths and SQL parameters: keep them plain.
_DATASET_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")


@dataclass(frozen=True)
class Manifest:
    name: str
    root: Path
    title: str
    description: str
    license: str
    synthetic: bool
    files: dict[str, Path]  # table -> file inside root

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST


def _inside(root: Path, rel: str, manifest: Path, table: str) -> Path:
    """Resolve a file named by the manifest, refusing anything that leaves the dataset folder."""
    if Path(rel).is_absolute() or ".." in Path(rel).parts:
        raise NewsproofError(
            f"file {rel!r} for table {table!r} points outside the dataset folder",
            file=str(manifest), column="files",
            hint="name files relative to the dataset folder, without '..'",
        )
    path = root / rel
    real_root = root.resolve()
    if path.exists() and real_root not in path.resolve().parents:
        raise NewsproofError(
            f"file {rel!r} for table {table!r} is a link that leads outside the dataset folder",
            file=str(manifest), column="files", hint="copy the file into the dataset folder",
        )
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise NewsproofError(
            f"file {rel!r} has an unsupported format", file=str(manifest), column="files",
            hint="use " + ", ".join(SUPPORTED_SUFFIXES),
        )
    return path


def read_manifest(dataset_dir: str | Path, tables: tuple[str, ...]) -> Manifest:
    """Read and check a dataset folder's manifest (a missing manifest means default file names)."""
    root = Path(dataset_dir)
    if not root.is_dir():
        raise NewsproofError("dataset folder not found", file=str(root),
                             hint="pass the folder that holds dataset.yaml")
    path = root / MANIFEST
    raw: dict = {}
    if path.exists():
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            mark = getattr(exc, "problem_mark", None)
            raise NewsproofError(f"not a valid YAML manifest: {exc}", file=str(path),
                                 line=mark.line + 1 if mark else None) from None
        if not isinstance(raw, dict):
            raise NewsproofError("the manifest must be a mapping", file=str(path))
    name = str(raw.get("name") or root.resolve().name)
    if not _DATASET_NAME.match(name):
        raise NewsproofError(
            f"dataset name {name!r} is not allowed", file=str(path), column="name",
            hint="use lower-case letters, digits, '.', '_' and '-' (at most 100 characters)",
        )
    files_raw = raw.get("files") or {t: f for t, f in DEFAULT_FILES.items() if t in tables}
    if not isinstance(files_raw, dict):
        raise NewsproofError("'files' must map table names to file names", file=str(path),
                             column="files")
    files = {}
    for table, rel in files_raw.items():
        if table not in tables:
            raise NewsproofError(
                f"unknown table {table!r} in files", file=str(path), column="files",
                hint="tables with a contract: " + ", ".join(tables),
            )
        files[table] = _inside(root, str(rel), path, table)
    return Manifest(
        name=name,
        root=root,
        title=str(raw.get("title") or name),
        description=str(raw.get("description") or ""),
        license=str(raw.get("license") or ""),
        synthetic=bool(raw.get("synthetic", False)),
        files=files,
    )
