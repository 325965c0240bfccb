"""Where the built-in table contracts and suites live.

`schemas/` and `validators/` sit at the top of the repository and ship inside the wheel as
`newsproof/_builtin/...`; an editable install reads them straight from the checkout.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def builtin_dir(name: str) -> Path:
    """Return the built-in `schemas` or `validators` folder."""
    if name not in ("schemas", "validators"):
        raise ValueError(name)
    installed = _PACKAGE_DIR / "_builtin" / name
    if installed.is_dir():
        return installed
    checkout = _PACKAGE_DIR.parents[1] / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"built-in {name}/ folder not found next to {_PACKAGE_DIR}")
