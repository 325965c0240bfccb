"""Suites: `validators/<name>.yaml` says which checks run, with which severities and parameters.

Checks are listed explicitly; a suite may add its own as an SQL file or a Python function
(relative to the suite file) with the same id / severity / description contract.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .checks import builtin_checks
from .checks.base import CHECK_ID, Check, CheckContext, Failure
from .contracts import Contract
from .errors import NewsproofError
from .resources import builtin_dir

DEFAULT_SUITE = "default"


@dataclass(frozen=True)
class Suite:
    name: str
    version: str
    description: str
    checks: tuple[Check, ...]
    path: Path
    sha256: str
    params: dict[str, Any] = field(default_factory=dict)


def suite_path(name_or_path: str, validators: str | Path | None = None) -> Path:
    """A suite by name (looked up in the validators folder) or by path to its YAML file."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml"):
        if not candidate.is_file():
            raise NewsproofError("suite file not found", file=str(candidate))
        return candidate
    if not CHECK_ID.match(name_or_path):
        raise NewsproofError(f"suite name {name_or_path!r} is not allowed",
                             hint="use a kebab-case name or a path to a .yaml file")
    folder = Path(validators) if validators else builtin_dir("validators")
    path = folder / f"{name_or_path}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in folder.glob("*.yaml"))
        raise NewsproofError(f"no suite named {name_or_path!r}", file=str(folder),
                             hint="known suites: " + (", ".join(known) or "none"))
    return path


def _python_check_func(spec: str, base: Path, where: str):
    """Load `file.py:function` relative to the suite file (suites are trusted configuration)."""
    file_part, _, func_name = spec.partition(":")
    path = (base / file_part).resolve()
    if not func_name or not path.is_file():
        raise NewsproofError(f"python check {spec!r} must be FILE.py:FUNCTION and the file must exist",
                             file=where)
    module_spec = importlib.util.spec_from_file_location(f"newsproof_user_check_{path.stem}", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    func = getattr(module, func_name, None)
    if not callable(func):
        raise NewsproofError(f"{path} has no function {func_name!r}", file=where)

    def run(ctx: CheckContext) -> Iterable[Failure]:
        for item in func(ctx):
            yield item if isinstance(item, Failure) else Failure(**item)

    return run


def _entry_check(entry: Any, builtins: dict[str, Check], base: Path, where: str) -> Check:
    if isinstance(entry, str):
        entry = {"id": entry}
    if not isinstance(entry, dict) or "id" not in entry:
        raise NewsproofError(f"check entry {entry!r} needs an id", file=where)
    check_id = str(entry["id"])
    if not CHECK_ID.match(check_id):
        raise NewsproofError(f"check id {check_id!r} is not kebab-case", file=where,
                             hint="use lower-case letters, digits and single hyphens")
    params = dict(entry.get("params") or {})
    if "sql" in entry or "python" in entry:
        if check_id in builtins:
            raise NewsproofError(f"custom check {check_id!r} has the id of a built-in check", file=where)
        for needed in ("severity", "description"):
            if needed not in entry:
                raise NewsproofError(f"custom check {check_id!r} needs a {needed}", file=where)
        common = dict(id=check_id, severity=str(entry["severity"]), description=str(entry["description"]),
                      tables=tuple(entry.get("tables") or ()), params=params)
        if "sql" in entry:
            sql_path = (base / str(entry["sql"])).resolve()
            if not sql_path.is_file():
                raise NewsproofError(f"SQL file for check {check_id!r} not found", file=str(sql_path))
            return Check(**common, sql=sql_path.read_text(encoding="utf-8"), origin=str(sql_path))
        return Check(**common, func=_python_check_func(str(entry["python"]), base, where),
                     origin=str(entry["python"]))
    if check_id not in builtins:
        raise NewsproofError(f"unknown check {check_id!r}", file=where,
                             hint="built-in checks: " + ", ".join(sorted(builtins)))
    check = builtins[check_id]
    return Check(
        check.id, str(entry.get("severity", check.severity)), check.description, check.tables,
        sql=check.sql, func=check.func, params={**check.params, **params}, origin=check.origin,
    )


def load_suite(name_or_path: str = DEFAULT_SUITE, contracts: dict[str, Contract] | None = None,
               validators: str | Path | None = None) -> Suite:
    from .contracts import load_contracts

    path = suite_path(name_or_path, validators)
    text = path.read_text(encoding="utf-8")
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise NewsproofError(f"not valid YAML: {getattr(exc, 'problem', exc)}", file=str(path),
                             line=mark.line + 1 if mark else None) from None
    if not isinstance(raw, dict) or not isinstance(raw.get("checks"), list):
        raise NewsproofError("a suite needs a 'checks' list", file=str(path))
    contracts = contracts or load_contracts()
    builtins = builtin_checks(contracts)
    checks = [_entry_check(e, builtins, path.parent, str(path)) for e in raw["checks"]]
    for gx_file in raw.get("gx") or ():
        from .checks.gx import gx_suite_check

        checks.append(gx_suite_check(path.parent / str(gx_file)))
    ids = [c.id for c in checks]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise NewsproofError("check listed twice: " + ", ".join(duplicates), file=str(path))
    return Suite(
        name=str(raw.get("suite") or path.stem),
        version=str(raw.get("version", "1")),
        description=str(raw.get("description", "")),
        checks=tuple(checks),
        path=path,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        params=dict(raw.get("params") or {}),
    )
