"""Each structural mutation of a bundled dataset is caught by the check made for it, pointing at
the file and line of the broken record; the clean datasets raise nothing at all.

Every case runs the CLI as a user would: `newsproof load`, then
`newsproof validate --format json --fail-on warning`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import DATASETS, copy_dataset, line_of, mutate_csv, mutate_jsonl, run_cli
from newsproof.checks import builtin_checks
from newsproof.contracts import load_contracts

KU, SF = "korea-ukraine", "synthetic-followups"
BUILTIN = set(builtin_checks(load_contracts()))


@dataclass(frozen=True)
class Edit:
    """Set one cell: `dataset/file`, the record keyed `row_id`, `column` := `value`."""

    dataset: str
    file: str
    row_id: str
    column: str
    value: str


@dataclass(frozen=True)
class Case:
    check_id: str
    edits: tuple[Edit, ...]
    # Where the finding must point; by default the record of the last edit.
    expect_file: str | None = None
    expect_row_id: str | None = None
    message_has: tuple[str, ...] = ()
    # Other records of the same file that must be named too: (row id, message fragment).
    also: tuple[tuple[str, str], ...] = ()


def apply(edit: Edit, root: Path) -> int:
    path = root / edit.dataset / edit.file
    if path.suffix == ".jsonl":
        return mutate_jsonl(path, edit.row_id, edit.column, edit.value)
    return mutate_csv(path, edit.row_id, edit.column, edit.value)


def _pending(check_id: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(check_id not in BUILTIN, strict=False,
                             reason=f"check {check_id} is not registered yet")


CASES = {
    "duplicate-figure-id": Case("duplicate-key", (Edit(KU, "figures.csv", "ku-f05", "figure_id", "ku-f01"),),
                                message_has=("duplicate key (first at line 2)",)),
    "dangling-source-id": Case("reference-dangling",
                               (Edit(KU, "attributions.csv", "ku-a01", "reporter_id", "kr-spy-agency"),),
                               message_has=("reporter_id kr-spy-agency not found in sources.source_id",)),
    "over-with-upper-bound": Case("qualifier-bounds", (Edit(KU, "figures.csv", "ku-f01", "upper", "2000"),),
                                  message_has=("qualifier over needs lower = value and an empty upper bound",)),
    "lower-above-upper": Case("bounds-order", (Edit(KU, "figures.csv", "ku-f02", "lower", "5"),),
                              message_has=("lower bound 5.0 is above upper bound 4.0",)),
    "value-text-mismatch": Case("value-text-mismatch", (
        Edit(KU, "figures.csv", "ku-f03", "value", "1200"),
        Edit(KU, "figures.csv", "ku-f03", "lower", "1200"),
        Edit(KU, "figures.csv", "ku-f03", "upper", "1200"),
    )),
    "unknown-enum": Case("contract-enum", (Edit(KU, "figures.csv", "ku-f01", "qualifier", "roughly"),)),
    "attribution-cycle": Case("attribution-chain-cycle",
                              (Edit(KU, "attributions.csv", "ku-a01", "via_id", "yonhap"),),
                              message_has=("kr-intelligence-agency -> yonhap -> kr-intelligence-agency",)),
    "via-equals-origin": Case("attribution-via-invalid",
                              (Edit(KU, "attributions.csv", "ku-a02", "via_id", "kr-intelligence-agency"),),
                              message_has=("via kr-intelligence-agency is also the origin",)),
    "denied-claim-corroborated": Case("denied-claim-status",
                                      (Edit(KU, "claims.csv", "ku-c03", "status", "corroborated"),),
                                      message_has=("who denies it (claim ku-c10 by kp-government)",)),
    "conflicting-follow-up": Case("cross-article-conflict", (
        Edit(SF, "figures.csv", "sf-f04", "value", "30000"),
        Edit(SF, "figures.csv", "sf-f04", "lower", "27000"),
        Edit(SF, "figures.csv", "sf-f04", "upper", "33000"),
    ), message_has=("figure sf-f04 in article sf-003",
                    "conflicts with about 3,000 troops (figure sf-f01 in article sf-001"),
       also=(("sf-f01", "(figure sf-f01 in article sf-001) conflicts with about 3,000 troops (figure sf-f04"),)),
    "soldiers-per-brigade": Case("ratio-plausibility", (
        Edit(KU, "figures.csv", "ku-f03", "value", "120000"),
        Edit(KU, "figures.csv", "ku-f03", "lower", "120000"),
        Edit(KU, "figures.csv", "ku-f03", "upper", "120000"),
    ), message_has=("30,000 soldier per brigade",)),
    "figure-without-attribution": Case("attribution-missing",
                                       (Edit(KU, "attributions.csv", "ku-a05", "figure_id", "ku-f01"),),
                                       expect_file="figures.csv", expect_row_id="ku-f05",
                                       message_has=("figure ku-f05 (over 1,500 soldiers) has no attribution",)),
    # beyond the twelve
    "figure-and-claim-in-one-attribution": Case("attribution-target",
                                                (Edit(KU, "attributions.csv", "ku-a06", "figure_id", "ku-f01"),)),
    "span-past-the-text": Case("offset-out-of-range", (Edit(KU, "figures.csv", "ku-f04", "char_end", "99999"),)),
    "stale-text-hash": Case("article-text-hash", (Edit(KU, "articles.jsonl", "ku-001", "text_sha256", "0" * 64),)),
    "text-in-a-number-column": Case("load-rejected-row", (Edit(KU, "figures.csv", "ku-f03", "value", "many"),),
                                    message_has=("not a number (type); the row was not loaded",)),
    "plural-unit": Case("figure-unit-singular", (Edit(SF, "figures.csv", "sf-f02", "unit", "soldiers"),)),
    "nameless-reporter": Case("source-name-present", (Edit(KU, "sources.csv", "unnamed-reports", "name", " "),),
                              expect_file="attributions.csv", expect_row_id="ku-a05"),
}
MARKS = {"value-text-mismatch": _pending("value-text-mismatch"), "unknown-enum": _pending("contract-enum")}


def load_and_validate(root: Path, datasets: list[str]) -> tuple[int, dict]:
    db = root / "project.duckdb"
    loaded = run_cli("load", *(root / name for name in datasets), "--db", db)
    assert loaded.exit_code in (0, 1), loaded.stderr
    # The Great Expectations suites have their own tests and cost most of a run: leave them out here.
    result = run_cli("validate", "--db", db, "--format", "json", "--fail-on", "warning", "--ignore", "gx-*")
    return result.exit_code, json.loads(result.stdout)


def findings_at(report: dict, check_id: str, dataset: str, file: str, line: int) -> list[dict]:
    found = [f for f in report["failures"] if f["check_id"] == check_id]
    at_row = [f for f in found if (f["dataset"], f["file"], f.get("line")) == (dataset, file, line)]
    assert at_row, f"no {check_id} finding at {dataset}/{file}:{line}; got " + repr(
        [(f["dataset"], f["file"], f.get("line"), f["message"]) for f in found])
    return at_row


@pytest.mark.parametrize("case", [pytest.param(case, id=name, marks=MARKS.get(name, ()))
                                  for name, case in CASES.items()])
def test_a_mutation_is_caught_at_its_file_and_line(case: Case, tmp_path: Path):
    datasets = sorted({edit.dataset for edit in case.edits})
    for name in datasets:
        copy_dataset(name, tmp_path)
    lines = [apply(edit, tmp_path) for edit in case.edits]
    last = case.edits[-1]
    file = case.expect_file or last.file
    line = line_of(tmp_path / last.dataset / file, case.expect_row_id) if case.expect_row_id else lines[-1]

    exit_code, report = load_and_validate(tmp_path, datasets)

    assert exit_code == 1
    assert case.check_id in {c["id"] for c in report["checks"]}, f"{case.check_id} did not run"
    at_row = findings_at(report, case.check_id, last.dataset, file, line)
    assert at_row[0]["path"] == f"{tmp_path / last.dataset}/{file}"
    for fragment in case.message_has:
        assert any(fragment in f["message"] for f in at_row), (fragment, [f["message"] for f in at_row])
    for row_id, fragment in case.also:
        other_line = line_of(tmp_path / last.dataset / file, row_id)
        other = findings_at(report, case.check_id, last.dataset, file, other_line)
        assert any(fragment in f["message"] for f in other), (fragment, [f["message"] for f in other])


def test_the_clean_bundled_datasets_raise_no_error_and_no_warning(tmp_path: Path):
    db = tmp_path / "clean.duckdb"
    assert run_cli("load", DATASETS / KU, DATASETS / SF, "--db", db).exit_code == 0
    result = run_cli("validate", "--db", db, "--format", "json", "--fail-on", "warning")
    report = json.loads(result.stdout)
    assert result.exit_code == 0, [(f["check_id"], f["message"]) for f in report["failures"]]
    # The only findings are the documented infos: korea-ukraine's "Last week" and "on Monday"
    # with no publication date to anchor them.
    assert report["counts"] == {"error": 0, "warning": 0, "info": 2}
    assert {(f["check_id"], f["dataset"]) for f in report["failures"]} == {("relative-date-unanchored", KU)}
    assert all(c["status"] == "passed" for c in report["checks"] if c["id"] != "relative-date-unanchored")
