"""Text mutations of the bundled datasets are caught by the grounding and attribution checks,
at the file and line of the mutated record; the clean datasets give no error and no warning.

Every case runs the CLI as a user does: `newsproof load`, then
`newsproof validate --format json --fail-on warning` (without the Great Expectations suites,
which have their own tests and cost most of a run).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from conftest import (DATASETS, _write_csv, copy_dataset, csv_header, csv_records, line_of, mutate_csv,
                      run_cli)
from newsproof.checks import grounding, text_attribution
from newsproof.checks.textbundle import read_pages, run_bundle_checks
from newsproof.load import load_dataset

KU, SF = "korea-ukraine", "synthetic-followups"
TEXT_CHECKS = grounding.CHECKS + text_attribution.CHECKS


@dataclass(frozen=True)
class Edit:
    """Set `column` of the record keyed `row_id` in `dataset/file` to `value`; no column deletes it."""

    dataset: str
    file: str
    row_id: str
    column: str | None = None
    value: str = ""


@dataclass(frozen=True)
class Case:
    check_id: str
    edits: tuple[Edit, ...]
    expect_file: str | None = None  # default: the file of the last edit
    expect_row_id: str | None = None  # default: the record of the last edit
    message_has: tuple[str, ...] = ()


def delete_csv_record(path: Path, row_id: str) -> None:
    rows = [row for _, row in csv_records(path) if row[0] != row_id]
    _write_csv(path, csv_header(path), rows)


def apply(edit: Edit, root: Path) -> None:
    path = root / edit.dataset / edit.file
    if edit.column is None:
        delete_csv_record(path, edit.row_id)
    else:
        mutate_csv(path, edit.row_id, edit.column, edit.value)


def figure(row_id: str, **cells: str) -> tuple[Edit, ...]:
    return tuple(Edit(KU, "figures.csv", row_id, column, value) for column, value in cells.items())


def attribution(row_id: str, **cells: str) -> tuple[Edit, ...]:
    return tuple(Edit(KU, "attributions.csv", row_id, column, value) for column, value in cells.items())


CASES = {
    "1500-attributed-to-yonhap": Case(
        "attribution-source-mismatch", attribution("ku-a01", reporter_id="yonhap", origin_id="yonhap"),
        message_has=('the text attributes "over 1,500 soldiers" to South Korean intelligence agency (disclosed)',
                     "records Yonhap")),
    "12000-without-the-yonhap-hop": Case(
        "attribution-missing-hop", attribution("ku-a03", reporter_id="kr-intelligence-agency"),
        message_has=("Yonhap citing South Korean intelligence agency", "without Yonhap")),
    "over-dropped": Case(
        "qualifier-dropped", figure("ku-f01", qualifier="exact", upper="1500", value_text="1,500 soldiers",
                                    char_start="939"),
        message_has=('the text says "over 1,500 soldiers" (qualifier over), but the figure is recorded as exact',)),
    "12000-recorded-as-1200": Case(
        "figure-value-mismatch", figure("ku-f03", value="1200", lower="1200", upper="1200"),
        message_has=('the text says "12,000 soldiers", which is 12,000, but value is recorded as 1,200',)),
    "12000-recorded-as-1200-value-text": Case(
        "value-text-mismatch", figure("ku-f03", value="1200", lower="1200", upper="1200"),
        message_has=('value_text "12,000 soldiers" reads as 12,000, but value is recorded as 1,200',)),
    "soldier-as-brigade": Case(
        "unit-mismatch", figure("ku-f03", unit="brigade"),
        message_has=('the text counts "soldiers" (soldier) in "12,000 soldiers", but unit is recorded as brigade',)),
    "offsets-shifted-one-word": Case(
        "figure-not-in-text", figure("ku-f01", char_start="939", char_end="958"),
        message_has=("not value_text \"over 1,500 soldiers\"", "offsets shifted by -5: found at 934..953")),
    "denial-as-assertion": Case(
        "denial-recorded-as-assertion", (Edit(KU, "claims.csv", "ku-c10", "stance", "asserts"),),
        message_has=("the text has North Korean government deny it (dismissed)", "stance asserts, not denies")),
    "wood-quote-attributed-to-nato": Case(
        "attribution-source-mismatch", attribution("ku-a13", reporter_id="nato", origin_id="nato"),
        message_has=("to Robert Wood (shared)", "records NATO")),
    "1500-and-12000-under-one-measure": Case(
        "measure-conflated", figure("ku-f03", measure="sent-to-russia-for-training"),
        message_has=('ku-f03 "12,000 soldiers" (12,000) and ku-f01 "over 1,500 soldiers" (1,500',
                     "8x apart: two different counts under one measure")),
    "second-1500-deleted": Case(
        "figure-missing-from-dataset",
        (Edit(KU, "attributions.csv", "ku-a05"), Edit(KU, "figures.csv", "ku-f05")),
        expect_file="articles.jsonl", expect_row_id="ku-001",
        message_has=('"over 1,500 soldiers" at 3126..3145 is a count in the text that no figure row covers',)),
    # beyond the ten
    "reporter-and-origin-swapped": Case(
        "attribution-chain-reversed",
        attribution("ku-a02", reporter_id="kr-intelligence-agency", origin_id="yonhap"),
        message_has=("reporter and origin are swapped",)),
    "wood-quote-claimant-nato": Case(
        "attribution-source-mismatch", (Edit(KU, "claims.csv", "ku-c08", "claimant_id", "nato"),),
        message_has=("claim ku-c08 records claimant NATO",)),
    "about-recorded-as-over": Case(
        "qualifier-mismatch", (Edit(SF, "figures.csv", "sf-f01", "qualifier", "over"),
                               Edit(SF, "figures.csv", "sf-f01", "upper", "")),
        message_has=('the text says "about" (qualifier about) in "about 3,000 troops"', "qualifier over")),
    "repeated-1500-other-subject": Case(
        "repeated-figure-inconsistent", figure("ku-f05", subject="south-korean-troops"),
        message_has=("subject south-korean-troops (vs north-korean-troops) in ku-f01",)),
}


def load_and_validate(root: Path, datasets: list[str]) -> tuple[int, dict]:
    db = root / "project.duckdb"
    loaded = run_cli("load", *(root / name for name in datasets), "--db", db)
    assert loaded.exit_code == 0, loaded.stderr
    result = run_cli("validate", "--db", db, "--format", "json", "--fail-on", "warning", "--ignore", "gx-*")
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize("case", [pytest.param(case, id=name) for name, case in CASES.items()])
def test_a_text_mutation_is_caught_at_its_file_and_line(case: Case, tmp_path: Path):
    datasets = sorted({edit.dataset for edit in case.edits})
    for name in datasets:
        copy_dataset(name, tmp_path)
    for edit in case.edits:
        apply(edit, tmp_path)
    last = case.edits[-1]
    file = case.expect_file or last.file
    line = line_of(tmp_path / last.dataset / file, case.expect_row_id or last.row_id)

    exit_code, report = load_and_validate(tmp_path, datasets)

    assert exit_code == 1
    found = [f for f in report["failures"] if f["check_id"] == case.check_id]
    at_row = [f for f in found if (f["dataset"], f["file"], f["line"]) == (last.dataset, file, line)]
    assert at_row, f"no {case.check_id} at {file}:{line}; got {[(f['file'], f['line'], f['message']) for f in found]}"
    for fragment in case.message_has:
        assert any(fragment in f["message"] for f in at_row), (fragment, [f["message"] for f in at_row])
    evidence = json.loads(at_row[0]["evidence"])
    start, end = evidence["span"]
    sentence = evidence["sentence"]
    assert sentence[start - evidence["sentence_start"]:end - evidence["sentence_start"]] != ""


def test_clean_datasets_give_only_the_documented_infos(tmp_path: Path):
    db = tmp_path / "clean.duckdb"
    assert run_cli("load", DATASETS / KU, DATASETS / SF, "--db", db).exit_code == 0
    result = run_cli("validate", "--db", db, "--format", "json", "--fail-on", "warning", "--ignore", "gx-*")
    report = json.loads(result.stdout)
    assert result.exit_code == 0, [(f["check_id"], f["message"]) for f in report["failures"]]
    assert report["counts"] == {"error": 0, "warning": 0, "info": 2}
    text = json.loads((DATASETS / KU / "articles.jsonl").read_text(encoding="utf-8"))["text"]
    infos = [(f["check_id"], f["dataset"], f["file"], f["line"], text[f["char_start"]:f["char_end"]])
             for f in report["failures"]]
    assert sorted(infos) == [
        ("relative-date-unanchored", KU, "articles.jsonl", 1, "Last week"),
        ("relative-date-unanchored", KU, "articles.jsonl", 1, "on Monday"),
    ]
    ran = {c["id"] for c in report["checks"]}
    assert {spec.id for spec in TEXT_CHECKS} <= ran


def test_attribution_evidence_names_the_recorded_and_expected_chains(tmp_path: Path):
    copy_dataset(KU, tmp_path)
    apply(Edit(KU, "attributions.csv", "ku-a03", "reporter_id", "kr-intelligence-agency"), tmp_path)
    _, report = load_and_validate(tmp_path, [KU])
    [finding] = [f for f in report["failures"] if f["check_id"] == "attribution-missing-hop"]
    evidence = json.loads(finding["evidence"])
    assert evidence["recorded_chain"] == {"reporter": "South Korean intelligence agency", "via": None,
                                          "origin": "South Korean intelligence agency", "cue": "citing"}
    assert evidence["expected_chain"] == {"reporter": "Yonhap", "via": None,
                                          "origin": "South Korean intelligence agency", "cue": "citing"}
    assert evidence["span"] == [1174, 1189] and (finding["char_start"], finding["char_end"]) == (1174, 1189)
    text = json.loads((DATASETS / KU / "articles.jsonl").read_text(encoding="utf-8"))["text"]
    assert evidence["sentence"].startswith("Previously, the South Korean news agency Yonhap had reported")
    assert evidence["sentence_start"] == text.index("Previously, the South Korean news agency")


def bundles_of(db: Path, page_size: int) -> list:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [bundle for page in read_pages(con, page_size=page_size) for bundle in page]
    finally:
        con.close()


def test_pages_carry_each_article_with_its_rows(tmp_path: Path):
    db = tmp_path / "pages.duckdb"
    for name in (KU, SF):
        load_dataset(DATASETS / name, db)
    one_by_one = bundles_of(db, page_size=1)
    assert [(b.dataset, b.article_id) for b in one_by_one] == [
        (KU, "ku-001"), (SF, "sf-001"), (SF, "sf-002"), (SF, "sf-003")]
    assert one_by_one == bundles_of(db, page_size=200)
    ku, sf2 = one_by_one[0], one_by_one[2]
    assert (len(ku.figures), len(ku.claims), len(ku.attributions), len(ku.sources)) == (5, 18, 23, 15)
    assert ku.published_at is None and sf2.published_at == "2024-10-30 15:30:00"
    assert [f.figure_id for f in sf2.figures] == ["sf-f02", "sf-f03"]
    assert {a.attribution_id for a in sf2.attributions} == {"sf-a02", "sf-a03", "sf-a07", "sf-a08"}
    assert (ku.figures[0].file, ku.figures[0].line) == ("figures.csv", 2)


def test_checks_are_pure_functions_of_a_bundle(tmp_path: Path):
    """The same bundle gives the same failures whichever order the checks see it in."""
    db = tmp_path / "pure.duckdb"
    load_dataset(DATASETS / KU, db)
    [bundle] = bundles_of(db, page_size=10)
    forward = run_bundle_checks([bundle], TEXT_CHECKS, {})
    backward = run_bundle_checks([bundle], tuple(reversed(TEXT_CHECKS)), {})
    assert forward == backward
    assert [f.value for f in forward["relative-date-unanchored"]] == ["Last week", "on Monday"]
