"""The `newsproof` command: a thin layer that parses options, calls one library function and
maps errors to exit codes (0 clean, 1 validation failures, 2 usage or input error)."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from functools import wraps

import click
from click.core import ParameterSource

from .config import CONFIG_FILE, DEFAULT_KEEP, DEFAULT_REPORTS, DEFAULT_WAIT
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
        except Exception as exc:
            # A full disk is the user's to fix, wherever the write failed; anything else is a bug.
            from .store import no_room_error

            no_room = no_room_error(exc)
            if no_room is None:
                raise
            click.echo(f"newsproof: error: {no_room}", err=True)
            sys.exit(EXIT_INPUT)
    return wrapper


def _echo_lines(lines: Iterable[str]) -> None:
    for line in lines:
        click.echo(line)


class _LfRecords:
    """A csv writer target: each record (one write call) ends in LF instead of CRLF."""

    def __init__(self, stream) -> None:
        self.stream = stream

    def write(self, record: str) -> None:
        self.stream.write(record.removesuffix("\r\n") + "\n")


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
        # Raw data for programs (no formula neutralising, see SECURITY.md). The writer quotes the
        # characters of its line ending only, so it is given CRLF (a cell holding a bare CR gets
        # quoted: readers take a CR for a line break) and each record is written ending in LF.
        writer = csv.writer(_LfRecords(sys.stdout), lineterminator="\r\n")
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
@click.option("--gx-data-docs", type=click.Path(file_okay=False),
              help="Also build Great Expectations Data Docs for this run's GX suites into this folder.")
@click.option("--html", "html_dir", type=click.Path(file_okay=False),
              help="Also write the HTML report of this run into this folder.")
@click.argument("sources", nargs=-1, type=click.Path())
@click.option("--engine", "engine_name", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True,
              help="duckdb: the --db database. spark: the DATASET_DIRs (or --table) read by Spark, no database.")
@click.option("--spark-master", help="Spark master URL for --engine spark (default: local[*]).")
@click.option("--table", "tables", multiple=True,
              help="With --engine spark: TABLE=catalog.table to validate a Spark catalog table (repeatable).")
@click.option("--findings-dir", type=click.Path(file_okay=False),
              help="With --engine spark: write the findings here as Parquet (qa_runs, qa_results, qa_failures).")
@handles_errors
def validate(db: str, suite: str, select: tuple[str, ...], ignore: tuple[str, ...], fmt: str, fail_on: str,
             schemas: str | None, validators: str | None, verbose: bool, gx_data_docs: str | None,
             html_dir: str | None, sources: tuple[str, ...], engine_name: str, spark_master: str | None,
             tables: tuple[str, ...], findings_dir: str | None) -> None:
    """Run a suite over the database (or, with --engine spark, over DATASET_DIRs); exit 1 on
    findings at or above --fail-on."""
    from . import engine
    from .formats import render
    from .store import connect

    if engine_name == "spark":
        if gx_data_docs or html_dir:
            raise NewsproofError("--gx-data-docs and --html need --engine duckdb",
                                 hint="with --engine spark, write --findings-dir and report on it")
        from .spark.engine import validate_for_cli

        result, con = validate_for_cli(sources, tables, master=spark_master, findings_dir=findings_dir,
                                       suite=suite, select=select, ignore=ignore, fail_on=fail_on,
                                       schemas=schemas, validators=validators)
    else:
        if sources or tables or spark_master or findings_dir:
            raise NewsproofError("dataset folders, --table, --spark-master and --findings-dir need --engine spark",
                                 hint="with --engine duckdb, load the folders first: newsproof load DATASET_DIR")
        result = engine.validate(db, suite=suite, select=select, ignore=ignore, fail_on=fail_on,
                                 schemas=schemas, validators=validators)
        con = connect(db, read_only=True)
    try:
        _echo_lines(render(result, fmt, con, verbose))
    finally:
        con.close()
    docs_index = None
    if gx_data_docs:
        from .checks.gx import build_data_docs

        docs_index = build_data_docs(db, gx_data_docs, run_id=result.run_id)
        click.echo(f"GX Data Docs: {docs_index}", err=True)
    if html_dir:
        from .report import write_report

        # stderr: stdout may carry JSON, JUnit or annotations.
        click.echo(f"report: {write_report(db, html_dir, run_id=result.run_id, gx_data_docs=docs_index)}",
                   err=True)
    sys.exit(result.exit_code)


@main.command()
@db_option
@click.option("--findings", "findings_dir", type=click.Path(file_okay=False),
              help="Instead of --db: the --findings-dir of a `validate --engine spark` run (no Spark needed).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder to write the report into.")
@click.option("--run", "run_id", help="Run to report on (default: the latest in qa_runs).")
@click.option("--templates", type=click.Path(file_okay=False),
              help="Folder of templates that replace built-in ones of the same name.")
@click.pass_context
@handles_errors
def report(ctx: click.Context, db: str, findings_dir: str | None, out_dir: str, run_id: str | None,
           templates: str | None) -> None:
    """Write the HTML report of a validation run; print the path of its index.html."""
    if findings_dir is None:
        from .report import write_report

        click.echo(str(write_report(db, out_dir, run_id=run_id, templates=templates)))
        return
    if ctx.get_parameter_source("db") is not ParameterSource.DEFAULT:
        raise NewsproofError("--db and --findings are two sources of findings", hint="give one of them")
    from .spark.findings import write_findings_report

    click.echo(str(write_findings_report(findings_dir, out_dir, run_id=run_id, templates=templates)))


# Scheduled runs: a project file (newsproof.toml), one cron-safe command, history and diffs.
config_option = click.option("--config", "config_file", type=click.Path(dir_okay=False),
                             help="Project file whose database to read (default: ./newsproof.toml if present).")
history_db_option = click.option("--db", type=click.Path(dir_okay=False),
                                 help="Database file (default: the project file's, else newsproof.duckdb).")


@main.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@click.option("--dataset", "datasets", multiple=True, type=click.Path(),
              help="Dataset folder to load on every run (repeatable).")
@click.option("--db", default=DEFAULT_DB, show_default=True, help="Database file, relative to DIRECTORY.")
@click.option("--suite", "suites", multiple=True, help="Suite name or YAML path (repeatable; default: default).")
@click.option("--reports", default=DEFAULT_REPORTS, show_default=True, help="Reports folder, relative to DIRECTORY.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), default="error", show_default=True)
@click.option("--keep", type=click.IntRange(min=0), default=DEFAULT_KEEP, show_default=True,
              help="How many of the newest runs to keep (0 keeps all).")
@click.option("--notify", help="Shell command run after each run, with the run summary as JSON on stdin.")
@click.option("--force", is_flag=True, help="Replace an existing newsproof.toml.")
@handles_errors
def init(directory: str, datasets: tuple[str, ...], db: str, suites: tuple[str, ...], reports: str,
         fail_on: str, keep: int, notify: str | None, force: bool) -> None:
    """Write DIRECTORY/newsproof.toml, the project file that `newsproof run` reads."""
    from .config import init_config

    path = init_config(directory, datasets=datasets, db=db, suites=suites, reports=reports, fail_on=fail_on,
                       keep=keep, notify=notify, force=force)
    click.echo(f"wrote {path}")
    if not datasets:
        click.echo(f"next: list dataset folders under datasets = [...] in {path}")
    click.echo(f"run it with: newsproof run --config {path}")


@main.command()
@click.option("--config", "config_file", default=CONFIG_FILE, show_default=True,
              type=click.Path(dir_okay=False), help="Project file.")
@click.option("--wait", type=click.FloatRange(min=0), default=DEFAULT_WAIT, show_default=True,
              help="Seconds to wait for another run of this project to end before giving up (exit 2).")
@click.option("--keep", type=click.IntRange(min=0), help="Keep the newest N runs (default: keep in the project file).")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Progress on stderr: text (a bar on a terminal) or one JSON object per line.")
@click.option("--trigger", help="What started the run, kept in the history (default: ci, manual or scheduled).")
@handles_errors
def run(config_file: str, wait: float, keep: int | None, log_format: str, trigger: str | None) -> None:
    """Load the project's datasets, validate, publish the report; exit codes as validate."""
    import os
    import shlex

    from .config import read_config
    from .formats import format_text
    from .runs import ProgressEvent, detect_trigger, progress_printer, run_project, warnings_to_progress

    progress = progress_printer(sys.stderr, log_format)
    if log_format == "json":
        warnings_to_progress(progress)
    try:
        outcome = run_project(read_config(config_file), wait=wait, keep=keep,
                              trigger=trigger or detect_trigger(dict(os.environ), sys.stderr.isatty()),
                              command=shlex.join(["newsproof", *sys.argv[1:]]), progress=progress)
    except NewsproofError as exc:
        if log_format != "json":
            raise
        progress(ProgressEvent(0, 0, "error", exc.message, {"file": exc.file, "line": exc.line, "hint": exc.hint}))
        sys.exit(EXIT_INPUT)
    if log_format == "json":
        click.echo(json.dumps(outcome.summary(), default=str, ensure_ascii=False))
    else:
        for suite_run in outcome.suite_runs:
            _echo_lines(format_text(suite_run.result))
            click.echo(f"report: {suite_run.report}")
            if suite_run.diff is not None:
                c = suite_run.diff.counts
                click.echo(f"since run {suite_run.diff.run_a}: {c['new']} new, {c['fixed']} fixed, "
                           f"{c['still_failing']} still failing")
    sys.exit(outcome.exit_code)


@main.command()
@history_db_option
@config_option
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@handles_errors
def history(db: str | None, config_file: str | None, limit: int, fmt: str) -> None:
    """List the latest runs, newest first: suite, outcome, counts, trigger, report."""
    from dataclasses import asdict

    from .config import resolve_db
    from .runs import run_history
    from .store import connect

    con = connect(resolve_db(config_file, db), read_only=True)
    try:
        records = run_history(con, limit)
    finally:
        con.close()
    if fmt == "json":
        click.echo(json.dumps([asdict(r) for r in records], default=str, ensure_ascii=False, indent=2))
        return
    columns = ["run_id", "started_at", "suite", "status", "errors", "warnings", "infos", "seconds", "trigger",
               "report"]
    _echo_lines(format_table(columns, [
        (r.run_id, f"{r.started_at:%Y-%m-%d %H:%M:%S}", r.suite, r.status, r.errors, r.warnings, r.infos,
         f"{r.duration_s:.1f}", r.trigger, r.report_path) for r in records]))


@main.command()
@click.argument("run_ids", nargs=-1, metavar="[RUN_A RUN_B]")
@history_db_option
@config_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True,
              help="Findings listed per group (0 lists all).")
@handles_errors
def diff(run_ids: tuple[str, ...], db: str | None, config_file: str | None, fmt: str, limit: int) -> None:
    """New, fixed and still-failing findings between two runs (default: the latest run and the
    run of the same suite before it). Run ids may be shortened to a unique prefix."""
    from .config import resolve_db
    from .runs import diff_runs, format_diff, last_two_runs
    from .store import connect

    if len(run_ids) not in (0, 2):
        raise click.UsageError("give two runs (RUN_A RUN_B), or none to compare the last two")
    con = connect(resolve_db(config_file, db), read_only=True)
    try:
        run_a, run_b = run_ids or last_two_runs(con)
        changes = diff_runs(con, run_a, run_b, limit=limit or None)
    finally:
        con.close()
    if fmt == "text":
        _echo_lines(format_diff(changes))
        return
    click.echo(json.dumps({
        "run_a": changes.run_a, "run_b": changes.run_b, "counts": changes.counts,
        **{name: [{k: v for k, v in row.__dict__.items() if v is not None} for row in getattr(changes, name)]
           for name in ("new", "fixed", "still_failing")},
    }, ensure_ascii=False, indent=2))


@main.command()
@click.option("--figures", type=click.IntRange(min=0), required=True, help="Figures to generate.")
@click.option("--articles", type=click.IntRange(min=1), required=True, help="Articles to spread them over.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Dataset folder to write.")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same bytes.")
@click.option("--defect-rate", type=click.FloatRange(0, 1), default=0.01, show_default=True,
              help="Share of statements that carry a planted defect (listed in truth.csv).")
@handles_errors
def synth(figures: int, articles: int, out_dir: str, seed: int, defect_rate: float) -> None:
    """Generate a synthetic dataset with planted defects and their expected findings (truth.csv)."""
    from .synth import TRUTH_FILE, generate

    truth = generate(out_dir, figures=figures, articles=articles, seed=seed, defect_rate=defect_rate)
    rows = ", ".join(f"{n:,} {table}" for table, n in truth.rows.items())
    click.echo(f"{out_dir}: {rows}")
    click.echo(f"  {len(truth.defects):,} planted finding(s) in {TRUTH_FILE}: "
               + (", ".join(f"{check} {n}" for check, n in truth.by_check().items()) or "none"))


@main.command()
@click.argument("article_files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--sources", "sources_file", type=click.Path(dir_okay=False),
              help="sources.csv whose names and aliases tell who says what (default: the --diff dataset's).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Write the proposal as figures.csv, claims.csv and attributions.csv into this folder.")
@click.option("--diff", "diff_dir", type=click.Path(file_okay=False),
              help="Compare with a curated dataset folder (exit 1 if they differ).")
@handles_errors
def extract(article_files: tuple[str, ...], sources_file: str | None, out_dir: str | None,
            diff_dir: str | None) -> None:
    """Propose figures, claims and attributions from article text (.txt files or articles.jsonl)."""
    from .checks.textbundle import source_registry
    from .extract import (diff_dataset, extract_files, read_curated, read_sources, summary_lines,
                          write_proposal)

    if sources_file:
        sources = tuple(read_sources(sources_file))
    elif diff_dir:
        sources = next((a.sources for a in read_curated(diff_dir).values()), ())
    else:
        sources = ()
    proposal, texts = extract_files(article_files, source_registry(sources))
    if out_dir:
        for path in write_proposal(proposal, out_dir):
            click.echo(f"wrote {path}")
    if diff_dir:
        lines, differing = diff_dataset(proposal, texts, diff_dir)
        _echo_lines(lines)
        sys.exit(EXIT_FINDINGS if differing else EXIT_OK)
    if not out_dir:
        _echo_lines(summary_lines(proposal))
