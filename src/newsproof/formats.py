"""Findings as text, JSON, JUnit XML and GitHub annotations, streamed from the database."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from xml.sax.saxutils import escape, quoteattr

import duckdb

from .checks.base import SEVERITY_RANK
from .findings import FAILED, NOT_RUN, FailureRow, ValidationResult, iter_failures

FORMATS = ("text", "json", "junit", "github")
TEXT_ROWS_PER_CHECK = 5
_LABEL = {"error": "FAIL", "warning": "WARN", "info": "INFO"}
# Dataset values reach messages verbatim. Control characters would break a text line in two,
# and most of them are not allowed anywhere in XML 1.0: both show them as escapes instead.
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_XML_ILLEGAL = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _escape_char(match: re.Match) -> str:
    return repr(match.group())[1:-1]


def _one_line(text: str) -> str:
    return _TEXT_CONTROL.sub(_escape_char, text)


def _xml_text(text: str) -> str:
    return escape(_XML_ILLEGAL.sub(_escape_char, text))


def _xml_attr(text: str) -> str:
    return quoteattr(_XML_ILLEGAL.sub(_escape_char, text))


def _more_sql(result: ValidationResult, check_id: str) -> str:
    return (f"newsproof sql \"SELECT * FROM qa_failures WHERE run_id = '{result.run_id}' "
            f"AND check_id = '{check_id}'\" --db {shlex.quote(result.db)}")


def format_text(result: ValidationResult, con: duckdb.DuckDBPyConnection | None = None,
                verbose: bool = False) -> Iterator[str]:
    """Short and grouped by check: failing checks with their first rows, then one summary line."""
    yield (f"newsproof: suite {result.suite} v{result.suite_version}, run {result.run_id}, "
           f"{len(result.results)} checks on {result.db}")
    passed = []
    for r in sorted(result.results, key=lambda r: (-SEVERITY_RANK[r.severity], r.check_id)):
        if r.status == NOT_RUN:
            yield _one_line(f"NOT RUN  {r.severity:<7} {r.check_id}: {r.message}")
        elif r.status == FAILED:
            yield f"{_LABEL[r.severity]:<8} {r.severity:<7} {r.check_id}: {r.failure_count} failing row(s) - {r.description}"
            for row in r.sample[:TEXT_ROWS_PER_CHECK]:
                key = f" [{row.table_name} {row.row_key}]" if row.row_key else f" [{row.table_name}]"
                yield _one_line(f"           {row.location}{key} {row.message}")
            if r.failure_count > TEXT_ROWS_PER_CHECK:
                yield f"           ... {r.failure_count - TEXT_ROWS_PER_CHECK} more: {_more_sql(result, r.check_id)}"
        else:
            passed.append(r.check_id)
    if verbose:
        for check_id in passed:
            yield f"ok                {check_id}"
    elif passed:
        yield f"ok       {len(passed)} check(s) passed (--verbose lists them)"
    c = result.counts
    verdict = "PASSED" if result.ok else "FAILED"
    yield (f"{verdict} (fail-on {result.fail_on}): {c['error']} error(s), {c['warning']} warning(s), "
           f"{c['info']} info, {len(result.not_run)} check(s) not run")


def _row_dict(row: FailureRow) -> dict:
    return {k: v for k, v in row.__dict__.items() if v is not None}


def format_json(result: ValidationResult, con: duckdb.DuckDBPyConnection) -> Iterator[str]:
    head = {
        "run_id": result.run_id, "db": result.db, "suite": result.suite,
        "suite_version": result.suite_version, "fail_on": result.fail_on,
        "status": "passed" if result.ok else "failed", "counts": result.counts,
        "checks": [
            {"id": r.check_id, "severity": r.severity, "description": r.description,
             "status": r.status, "failure_count": r.failure_count, "message": r.message}
            for r in result.results
        ],
    }
    # Stream the failures array so a large run never sits in memory as one string.
    text = json.dumps(head, ensure_ascii=False, indent=None)
    yield text[:-1] + ', "failures": ['
    first = True
    for row in iter_failures(con, result.run_id):
        yield ("" if first else ",") + json.dumps(_row_dict(row), ensure_ascii=False)
        first = False
    yield "]}"


def format_junit(result: ValidationResult, con: duckdb.DuckDBPyConnection) -> Iterator[str]:
    """One testcase per check; failures at or above fail-on are <failure>, checks that could
    not run are <error>, failing rows below the threshold go to <system-out>."""
    threshold = SEVERITY_RANK[result.fail_on]
    gate = {r.check_id for r in result.gate_failures()}
    failures = sum(1 for r in result.results if r.check_id in gate and r.status == FAILED)
    errors = len(result.not_run)
    yield '<?xml version="1.0" encoding="UTF-8"?>'
    yield (f'<testsuites name="newsproof" tests="{len(result.results)}" failures="{failures}" '
           f'errors="{errors}" time="{result.duration_s:.3f}">')
    yield (f'<testsuite name={_xml_attr("newsproof." + result.suite)} tests="{len(result.results)}" '
           f'failures="{failures}" errors="{errors}" time="{result.duration_s:.3f}">')
    for r in result.results:
        classname = _xml_attr("newsproof." + (r.tables[0] if r.tables else result.suite))
        yield (f'<testcase classname={classname} name={_xml_attr(r.check_id)} '
               f'time="{r.duration_ms / 1000:.3f}">')
        if r.status == NOT_RUN:
            yield f'<error type={_xml_attr(r.severity)} message={_xml_attr(r.message or "")}/>'
        elif r.status == FAILED:
            lines = "\n".join(f"{row.location}: {row.message}" for row in iter_failures(con, result.run_id, r.check_id))
            summary = f"{r.failure_count} failing row(s): {r.description}"
            if SEVERITY_RANK[r.severity] >= threshold:
                yield f'<failure type={_xml_attr(r.severity)} message={_xml_attr(summary)}>{_xml_text(lines)}</failure>'
            else:
                yield f"<system-out>{_xml_text(r.severity + ': ' + summary + chr(10) + lines)}</system-out>"
        yield "</testcase>"
    yield "</testsuite>"
    yield "</testsuites>"


_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(result: ValidationResult, con: duckdb.DuckDBPyConnection) -> Iterator[str]:
    """GitHub Actions workflow commands: `::error file=...,line=N,title=check-id::message`."""
    for row in iter_failures(con, result.run_id):
        props = []
        if row.path or row.file:
            props.append(f"file={_gh_prop(row.path or row.file)}")
        if row.line:
            props.append(f"line={int(row.line)}")
        props.append(f"title={_gh_prop(row.check_id)}")
        yield f"::{_GITHUB_LEVEL[row.severity]} {','.join(props)}::{_gh_data(row.message or '')}"
    for r in result.not_run:
        yield f"::error title={_gh_prop(r.check_id)}::{_gh_data(r.message or 'could not run')}"
    c = result.counts
    yield (f"newsproof: {'passed' if result.ok else 'failed'}: {c['error']} error(s), "
           f"{c['warning']} warning(s), {c['info']} info")


def render(result: ValidationResult, fmt: str, con: duckdb.DuckDBPyConnection,
           verbose: bool = False) -> Iterator[str]:
    if fmt == "text":
        return format_text(result, con, verbose)
    return {"json": format_json, "junit": format_junit, "github": format_github}[fmt](result, con)
