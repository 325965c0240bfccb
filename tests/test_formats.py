"""`newsproof validate --format text|json|junit|github` on one dataset with known findings:
each output parses as its consumer expects and carries every finding."""

from __future__ import annotations

import csv
import json
import re
import shlex
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import CliResult, copy_dataset, csv_header, mutate_csv, run_cli, table_rows

# A claimant id carrying everything an output format must escape: XML specials, GitHub's
# separators, a vertical tab (illegal in XML 1.0) and a newline.
ODD_ID = 'spy <&> "x",\x0b 100%: y\nz'
GITHUB_LINE = re.compile(r"^::(error|warning|notice) (file=[^,]+,line=\d+,)?title=[a-z0-9-]+::.+$")
GITHUB_SUMMARY = re.compile(r"^newsproof: (passed|failed): \d+ error\(s\), \d+ warning\(s\), \d+ info$")
FORMATS = ("text", "json", "junit", "github")


@pytest.fixture(scope="module")
def findings_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """korea-ukraine with: no attributions at all (23 rows of attribution-missing), a soldiers-per-
    brigade ratio out of range (warning), a plural unit (warning) and a dangling odd claimant."""
    root = tmp_path_factory.mktemp("formats")
    ku = copy_dataset("korea-ukraine", root)
    attributions = ku / "attributions.csv"
    header = csv_header(attributions)
    with attributions.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerow(header)
    for column in ("value", "lower", "upper"):
        mutate_csv(ku / "figures.csv", "ku-f03", column, "120000")
    mutate_csv(ku / "figures.csv", "ku-f04", "unit", "states")
    mutate_csv(ku / "claims.csv", "ku-c01", "claimant_id", ODD_ID)
    db = root / "findings.duckdb"
    assert run_cli("load", ku, "--db", db).exit_code == 0
    return db


def validate(db: Path, fmt: str, fail_on: str = "warning") -> CliResult:
    # The Great Expectations suites are left out: they have their own tests and cost most of a run.
    return run_cli("validate", "--db", db, "--format", fmt, "--fail-on", fail_on, "--ignore", "gx-*")


@pytest.fixture(scope="module")
def outputs(findings_db: Path) -> dict[str, CliResult]:
    return {fmt: validate(findings_db, fmt) for fmt in FORMATS}


@pytest.fixture(scope="module")
def report(outputs: dict[str, CliResult]) -> dict:
    return json.loads(outputs["json"].stdout)


def failing(report: dict) -> list[dict]:
    return [c for c in report["checks"] if c["status"] == "failed"]


def test_every_format_exits_1_on_findings(outputs):
    assert {fmt: r.exit_code for fmt, r in outputs.items()} == dict.fromkeys(FORMATS, 1)
    assert all(r.stderr == "" for r in outputs.values())


# --------------------------------------------------------------------------- json

def test_json_parses_and_holds_every_failure(report, findings_db):
    assert report["status"] == "failed" and report["fail_on"] == "warning"
    assert len(report["failures"]) == sum(c["failure_count"] for c in report["checks"])
    by_check = {c["id"]: c["failure_count"] for c in report["checks"]}
    assert by_check["attribution-missing"] == 23
    assert by_check["ratio-plausibility"] == 1 and by_check["figure-unit-singular"] == 1
    for severity in ("error", "warning", "info"):
        expected = sum(c["failure_count"] for c in report["checks"] if c["severity"] == severity)
        assert report["counts"][severity] == expected
    for failure in report["failures"]:
        assert {"check_id", "severity", "table_name", "message", "dataset", "file", "line", "path"} <= set(failure)
    dangling = [f for f in report["failures"] if f["check_id"] == "reference-dangling"]
    assert [(f["file"], f["line"], f["value"]) for f in dangling] == [("claims.csv", 2, ODD_ID)]
    stored = table_rows(findings_db, "SELECT count(*) FROM qa_failures WHERE run_id = ?", [report["run_id"]])
    assert stored == [(len(report["failures"]),)]


# --------------------------------------------------------------------------- junit

def test_junit_parses_with_one_testcase_per_check_and_a_failure_for_each_failing_one(outputs, report):
    root = ET.fromstring(outputs["junit"].stdout)
    cases = {case.get("name"): case for case in root.iter("testcase")}
    assert list(cases) == [c["id"] for c in report["checks"]]
    # --fail-on warning: failing info checks stay out of the JUnit failures.
    failed = {c["id"] for c in failing(report) if c["severity"] != "info"}
    assert failed >= {"attribution-missing", "ratio-plausibility", "figure-unit-singular", "reference-dangling"}
    assert {name for name, case in cases.items() if case.find("failure") is not None} == failed
    suite = root.find("testsuite")
    assert int(suite.get("tests")) == len(cases) and int(suite.get("failures")) == len(failed)
    dangling = cases["reference-dangling"].find("failure")
    assert dangling.get("type") == "error"
    assert "claims.csv:2: claimant_id spy <&> \"x\",\\x0b 100%: y\nz not found" in dangling.text


def test_junit_keeps_findings_below_fail_on_out_of_the_failures(findings_db):
    result = validate(findings_db, "junit", fail_on="error")
    cases = {case.get("name"): case for case in ET.fromstring(result.stdout).iter("testcase")}
    ratio = cases["ratio-plausibility"]
    assert ratio.find("failure") is None
    assert "30,000 soldier per brigade" in ratio.find("system-out").text
    assert cases["attribution-missing"].find("failure") is not None


# --------------------------------------------------------------------------- github

def test_github_lines_are_workflow_commands(outputs, report):
    lines = outputs["github"].stdout.split("\n")
    assert lines[-1] == ""
    annotations, summary = lines[:-2], lines[-2]
    assert GITHUB_SUMMARY.match(summary), summary
    for line in annotations:
        assert GITHUB_LINE.match(line), line
    assert len(annotations) == len(report["failures"])
    assert any(line.startswith("::warning file=") and "title=ratio-plausibility::" in line for line in annotations)
    (dangling,) = [line for line in annotations if "title=reference-dangling" in line]
    assert re.search(r"file=[^,]*/korea-ukraine/claims\.csv,line=2,", dangling)
    assert dangling.endswith("100%25: y%0Az not found in sources.source_id")


# --------------------------------------------------------------------------- text

def test_text_is_short_grouped_by_check_and_says_how_to_see_more(outputs, report):
    lines = outputs["text"].stdout.splitlines()
    assert lines[0].startswith("newsproof: suite default")
    assert lines[-1].startswith("FAILED (fail-on warning):")
    assert "check(s) passed (--verbose lists them)" in lines[-2]
    fails = [i for i, line in enumerate(lines) if line.startswith(("FAIL ", "WARN ", "INFO "))]
    assert len(fails) == len(failing(report))
    for start, end in zip(fails, [*fails[1:], len(lines) - 2]):
        rows = lines[start + 1:end]
        assert 1 <= len(rows) <= 6, lines[start:end]
        assert all(row.startswith("           ") for row in rows)
    (more,) = [line for line in lines if "more: newsproof sql" in line]
    assert more.strip().startswith("... 18 more: ")
    assert len(lines) <= 2 + len(fails) * 7 + 1


def test_the_see_more_command_lists_all_rows_of_the_check(outputs, findings_db):
    (more,) = [line for line in outputs["text"].stdout.splitlines() if "more: newsproof sql" in line]
    args = shlex.split(more.split("more: ", 1)[1])
    assert args[:2] == ["newsproof", "sql"] and Path(args[-1]) == findings_db
    result = run_cli(*args[1:], "--format", "json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert len(rows) == 23 and {r["check_id"] for r in rows} == {"attribution-missing"}


def test_text_keeps_one_finding_on_one_line(outputs):
    (line,) = [line for line in outputs["text"].stdout.splitlines() if "[claims ku-c01] claimant_id" in line]
    assert line.endswith('claimant_id spy <&> "x",\\x0b 100%: y\\nz not found in sources.source_id')
