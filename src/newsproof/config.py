"""The project file `newsproof.toml`: which datasets `newsproof run` loads, where the database
and the reports live, which suites run, when a run fails, how much history to keep, how much
memory DuckDB may hold before it spills to disk.

Read with the standard library's `tomllib`; written by hand in one small fixed layout, so there
is no TOML-writing dependency. Relative paths in the file are relative to the file's folder, so a
scheduler may start `newsproof run --config /srv/project/newsproof.toml` from any directory.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import NewsproofError
from .store import DEFAULT_DB, MEMORY_LIMIT_HINT, memory_limit_problem

CONFIG_FILE = "newsproof.toml"
DEFAULT_SUITES = ("default",)
DEFAULT_REPORTS = "reports"
DEFAULT_FAIL_ON = "error"
DEFAULT_KEEP = 50
# Seconds `newsproof run` waits for another run of the project: covers a manual run meeting a
# timer run, short enough that an overrun cron job gives up before the next one starts.
DEFAULT_WAIT = 60.0
FAIL_ON_CHOICES = ("error", "warning", "info")
KEYS = ("datasets", "db", "suites", "reports", "fail_on", "keep", "notify", "memory_limit")
_TOML_POSITION = re.compile(r"\(at line (\d+), column \d+\)")


@dataclass(frozen=True)
class ProjectConfig:
    """A read `newsproof.toml`; every path is already joined to the file's folder."""

    path: Path
    datasets: tuple[Path, ...]
    db: Path
    suites: tuple[str, ...] = DEFAULT_SUITES
    reports: Path = Path(DEFAULT_REPORTS)
    fail_on: str = DEFAULT_FAIL_ON
    keep: int = DEFAULT_KEEP  # newest runs kept by `newsproof run`; 0 keeps every run
    notify: str | None = None  # shell command given the run summary as JSON on stdin
    memory_limit: str | None = None  # DuckDB size ("2GB"); None: $NEWSPROOF_MEMORY_LIMIT or the default

    @property
    def root(self) -> Path:
        return self.path.parent


def _key_line(text: str, key: str) -> int | None:
    match = re.search(rf"^[ \t]*{re.escape(key)}[ \t]*=", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _join(root: Path, value: str) -> Path:
    return Path(os.path.normpath(root / value))


def _is_suite_file(suite: str) -> bool:
    # A suite is a name ("default") or the path of a YAML file; only paths are relative to the folder.
    return suite.endswith((".yaml", ".yml"))


def read_config(path: str | Path = CONFIG_FILE) -> ProjectConfig:
    """Read and check a project file; every problem names the file and, where known, the line."""
    path = Path(path)
    if not path.is_file():
        raise NewsproofError("project file not found", file=str(path),
                             hint="create one with: newsproof init --dataset DATASET_DIR")
    text = path.read_text(encoding="utf-8")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        position = _TOML_POSITION.search(str(exc))
        raise NewsproofError(f"not valid TOML: {_TOML_POSITION.sub('', str(exc)).strip()}", file=str(path),
                             line=int(position.group(1)) if position else None) from None

    def bad(key: str, what: str, hint: str | None = None) -> NewsproofError:
        return NewsproofError(f"{key} must be {what}", file=str(path), line=_key_line(text, key), hint=hint)

    unknown = sorted(set(raw) - set(KEYS))
    if unknown:
        raise NewsproofError(f"unknown setting {unknown[0]!r}", file=str(path), line=_key_line(text, unknown[0]),
                             hint="known settings: " + ", ".join(KEYS))

    def strings(key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = raw.get(key, list(default))
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise bad(key, "a list of non-empty strings")
        return tuple(value)

    def string(key: str, default: str | None) -> str | None:
        value = raw.get(key, default)
        if value is not None and (not isinstance(value, str) or not value):
            raise bad(key, "a non-empty string")
        return value

    suites = strings("suites", DEFAULT_SUITES)
    if not suites:
        raise bad("suites", "a list naming at least one suite")
    fail_on = string("fail_on", DEFAULT_FAIL_ON)
    if fail_on not in FAIL_ON_CHOICES:
        raise bad("fail_on", "one of " + ", ".join(FAIL_ON_CHOICES))
    keep = raw.get("keep", DEFAULT_KEEP)
    if not isinstance(keep, int) or isinstance(keep, bool) or keep < 0:
        raise bad("keep", "a whole number, 0 or more (0 keeps every run)")
    memory_limit = string("memory_limit", None)
    if memory_limit is not None and (problem := memory_limit_problem(memory_limit)) is not None:
        raise bad("memory_limit", f"a memory size ({problem})", MEMORY_LIMIT_HINT)
    root = path.parent
    return ProjectConfig(
        path=path,
        datasets=tuple(_join(root, d) for d in strings("datasets", ())),
        db=_join(root, string("db", DEFAULT_DB)),
        suites=tuple(str(_join(root, s)) if _is_suite_file(s) else s for s in suites),
        reports=_join(root, string("reports", DEFAULT_REPORTS)),
        fail_on=fail_on,
        keep=keep,
        notify=string("notify", None),
        memory_limit=memory_limit,
    )


def _toml_string(value: str) -> str:
    # A JSON string is a TOML basic string, except that TOML also wants DEL escaped.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_list(values: list[str]) -> str:
    if not values:
        return "[]"
    return "[\n" + "".join(f"  {_toml_string(v)},\n" for v in values) + "]"


def render_config(*, datasets: list[str], db: str = DEFAULT_DB, suites: tuple[str, ...] | list[str] = DEFAULT_SUITES,
                  reports: str = DEFAULT_REPORTS, fail_on: str = DEFAULT_FAIL_ON, keep: int = DEFAULT_KEEP,
                  notify: str | None = None) -> str:
    """The text of a project file (values as they will be written, paths relative to the file)."""
    lines = [
        "# newsproof project: `newsproof run` loads the datasets, validates them, publishes the HTML",
        "# report to <reports>/latest and keeps the run in the database's history.",
        "# Relative paths are relative to this file's folder.",
        "",
        "# Dataset folders (each with a dataset.yaml).",
        f"datasets = {_toml_list(datasets)}",
        f"db = {_toml_string(db)}",
        "# Suite names (built-in) or paths to suite YAML files; each suite is one run.",
        f"suites = {_toml_list(suites)}",
        f"reports = {_toml_string(reports)}",
        "# A run fails (exit 1) on a finding at or above this severity: error, warning or info.",
        f"fail_on = {_toml_string(fail_on)}",
        "# How many of the newest runs (findings and report folders) to keep; 0 keeps them all.",
        f"keep = {int(keep)}",
    ]
    if notify:
        lines += ["# Run after each `newsproof run` with the run summary as JSON on stdin.",
                  f"notify = {_toml_string(notify)}"]
    return "\n".join(lines) + "\n"


def init_config(directory: str | Path = ".", *, datasets: tuple[str | Path, ...] | list[str | Path] = (),
                db: str = DEFAULT_DB, suites: tuple[str, ...] | list[str] = (), reports: str = DEFAULT_REPORTS,
                fail_on: str = DEFAULT_FAIL_ON, keep: int = DEFAULT_KEEP, notify: str | None = None,
                force: bool = False) -> Path:
    """Write `<directory>/newsproof.toml`. Dataset folders and suite files are given as the caller
    sees them (relative to the current directory, or absolute); relative ones are rewritten
    relative to the project file. `db` and `reports` are relative to `directory` already."""
    folder = Path(directory)

    def as_written(path: Path) -> str:
        return str(path) if path.is_absolute() else os.path.relpath(path.absolute(), folder.absolute())

    path = folder / CONFIG_FILE
    if path.exists() and not force:
        raise NewsproofError("project file already exists", file=str(path),
                             hint="edit it, or pass --force to replace it")
    if fail_on not in FAIL_ON_CHOICES:
        raise NewsproofError(f"fail_on must be one of {', '.join(FAIL_ON_CHOICES)}, not {fail_on!r}")
    if keep < 0:
        raise NewsproofError("keep must be 0 or more (0 keeps every run)")
    for dataset in map(Path, datasets):
        if not dataset.is_dir():
            raise NewsproofError("dataset folder not found", file=str(dataset),
                                 hint="point --dataset at a folder holding a dataset.yaml")
    for suite in suites:
        if _is_suite_file(suite) and not Path(suite).is_file():
            raise NewsproofError("suite file not found", file=suite)
    folder.mkdir(parents=True, exist_ok=True)
    text = render_config(datasets=[as_written(Path(d)) for d in datasets], db=db,
                         suites=[as_written(Path(s)) if _is_suite_file(s) else s for s in suites] or DEFAULT_SUITES,
                         reports=reports, fail_on=fail_on, keep=keep, notify=notify)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)  # never a half-written project file
    return path


def resolve_db(config: str | Path | None, db: str | Path | None) -> Path:
    """The database a read-only command (history, diff) looks at: --db wins, then --config, then
    ./newsproof.toml when present, then the default database file."""
    if db is not None:
        return Path(db)
    if config is not None:
        return read_config(config).db
    if Path(CONFIG_FILE).is_file():
        return read_config(CONFIG_FILE).db
    return Path(DEFAULT_DB)

