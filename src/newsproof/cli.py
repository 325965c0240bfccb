"""The `newsproof` command: a thin layer that parses options, calls one library function and
maps errors to exit codes (0 clean, 1 validation failures, 2 usage or input error)."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from functools import wraps

import click

from .errors import NewsproofError
from .store import DEFAULT_DB

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2
db_option = click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False),
                         help="Project DuckDB database file.")


def handles_errors(func: Callable) -> Callable:
    """Turn a NewsproofError into a message on stderr and exit code 2 (never a traceback)."""
    @wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except NewsproofError as exc:
            click.echo(f"newsproof: error: {exc}", err=True)
            sys.exit(EXIT_INPUT)
    return wrapper


def _echo_lines(lines: Iterable[str]) -> None:
    for line in lines:
        click.echo(line)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsproof")
def main() -> None:
    """Check the data quality of news datasets: claims, figures and attributions."""


@main.command()
@click.argument("dataset_dirs", nargs=-1, required=True, type=click.Path())
@db_option
@click.option("--strict", is_flag=True, help="Refuse the whole load if any row is rejected.")
@click.option("--schemas", type=click.Path(file_okay=False), help="Folder of table contracts (default: built-in).")
@handles_errors
def load(dataset_dirs: tuple[str, ...], db: str, strict: bool, schemas: str | None) -> None:
    """Load dataset folders into the database (exit 1 if rows were rejected)."""
    from .load import MAX_ERRORS_SHOWN, load_dataset

    rejected = 0
    for dataset_dir in dataset_dirs:
        result = load_dataset(dataset_dir, db, strict=strict, schemas=schemas)
        click.echo(f"{result.dataset}: {result.rows_loaded} row(s) loaded, {result.rows_rejected} rejected -> {db}")
        for f in result.files:
            click.echo(f"  {f.table:<13} {f.file:<20} {f.rows_loaded:>8} loaded {f.rows_rejected:>6} rejected")
        for error in result.errors[:MAX_ERRORS_SHOWN]:
            click.echo(f"  rejected: {dataset_dir.rstrip('/')}/{error}", err=True)
        if len(result.errors) > MAX_ERRORS_SHOWN:
            click.echo(f"  ... {len(result.errors) - MAX_ERRORS_SHOWN} more: "
                       f"newsproof sql \"SELECT * FROM load_errors WHERE dataset = '{result.dataset}'\" --db {db}",
                       err=True)
        rejected += len(result.errors)
    sys.exit(EXIT_FINDINGS if rejected else EXIT_OK)


@main.command()
@click.argument("query")
@db_option
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--write", is_flag=True, help="Open the database for writing (default: read-only).")
@handles_errors
def sql(query: str, db: str, fmt: str, write: bool) -> None:
    """Run an SQL query against the database and print the result."""
    from .store import run_sql

    columns, rows = run_sql(db, query, write=write)
    if fmt == "json":
        click.echo(json.dumps([dict(zip(columns, row)) for row in rows], default=str, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        _echo_lines(format_table(columns, rows))


def format_table(columns: list[str], rows: list[tuple], max_width: int = 60) -> Iterator[str]:
    def cell(value) -> str:
        text = "" if value is None else str(value).replace("\n", " ")
        return text if len(text) <= max_width else text[: max_width - 1] + "…"

    cells = [[cell(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    yield "  ".join(c.ljust(w) for c, w in zip(columns, widths))
    yield "  ".join("-" * w for w in widths)
    for r in cells:
        yield "  ".join(v.ljust(w) for v, w in zip(r, widths))
    yield f"({len(rows)} row{'s' if len(rows) != 1 else ''})"


@main.command()
@db_option
@click.option("--suite", default="default", show_default=True, help="Suite name (in --validators) or path to a suite YAML file.")
@click.option("--select", multiple=True, help="Only these check ids (comma-separated; * and ? patterns).")
@click.option("--ignore", multiple=True, help="Skip these check ids (comma-separated; * and ? patterns).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit", "github"]), default="text", show_default=True)
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), default="error", show_default=True,
              help="Exit 1 when a finding at or above this severity is found.")
@click.option("--schemas", type=click.Path(file_okay=False), help="Folder of table contracts (default: built-in).")
@click.option("--validators", type=click.Path(file_okay=False), help="Folder of suites (default: built-in).")
@click.option("--verbose", "-v", is_flag=True, help="List passed checks too (text format).")
@handles_errors
def validate(db: str, suite: str, select: tuple[str, ...], ignore: tuple[str, ...], fmt: str, fail_on: str,
             schemas: str | None, validators: str | None, verbose: bool) -> None:
    """Run a suite over the database; exit 1 on findings at or above --fail-on."""
    from . import engine
    from .formats import render
    from .store import connect

    result = engine.validate(db, suite=suite, select=select, ignore=ignore, fail_on=fail_on,
                             schemas=schemas, validators=validators)
    con = connect(db, read_only=True)
    try:
        _echo_lines(render(result, fmt, con, verbose))
    finally:
        con.close()
    sys.exit(result.exit_code)
