"""The synthetic generator against newsproof and against the hand-written SQL of the same rules.

A 20k-figure dataset with planted defects is generated, loaded and validated once per module:
every check must find exactly the planted rows listed in truth.csv (no misses, no false
positives), and its count must equal the count of the hand-written rule in
benchmarks/handwritten.sql. No timing is asserted anywhere.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from newsproof.cli import main
from newsproof.engine import validate
from newsproof.errors import NewsproofError
from newsproof.load import load_dataset
from newsproof.synth import DEFECT_KINDS, FILES, TRUTH_FILE, generate, plantable_kinds, suite_check_ids
from newsproof.text.numbers import parse_quantity

REPO = Path(__file__).resolve().parents[1]
HANDWRITTEN = REPO / "benchmarks" / "handwritten.sql"
SEED = 11


def handwritten_rules() -> dict[str, str]:
    """`-- name: <check-id>` blocks of benchmarks/handwritten.sql."""
    parts = re.split(r"^-- name: ([a-z0-9-]+)\s*$", HANDWRITTEN.read_text(encoding="utf-8"), flags=re.M)
    return {name: sql.strip().rstrip(";") for name, sql in zip(parts[1::2], parts[2::2])}


@pytest.fixture(scope="module")
def synth_run(tmp_path_factory):
    """(dataset folder, truth, database, run id) for a validated synthetic dataset."""
    root = tmp_path_factory.mktemp("synth")
    truth = generate(root / "data", figures=20_000, articles=2_000, seed=SEED, defect_rate=0.01)
    db = root / "synth.duckdb"
    load_dataset(root / "data", db)
    result = validate(db)
    return root / "data", truth, db, result


def findings(db: Path, run_id: str) -> dict[str, Counter]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "SELECT check_id, table_name, coalesce(row_key, ''), file, line FROM qa_failures WHERE run_id = ?",
            [run_id]).fetchall()
    finally:
        con.close()
    found: dict[str, Counter] = {}
    for check_id, *where in rows:
        found.setdefault(check_id, Counter())[tuple(where)] += 1
    return found


def test_every_plantable_kind_is_planted(synth_run):
    _, truth, _, _ = synth_run
    assert set(truth.by_check()) == set(plantable_kinds())
    assert set(plantable_kinds()) == set(DEFECT_KINDS) & suite_check_ids()
    assert all(n >= 1 for n in truth.by_check().values())


@pytest.mark.parametrize("check_id", sorted(suite_check_ids()))
def test_findings_are_exactly_the_planted_defects(synth_run, check_id):
    _, truth, db, result = synth_run
    expected = Counter((d.table, d.row_key, d.file, d.line) for d in truth.defects if d.check_id == check_id)
    got = findings(db, result.run_id).get(check_id, Counter())
    assert not (got - expected), f"{check_id}: false positives {sorted(got - expected)[:5]}"
    assert not (expected - got), f"{check_id}: missed {sorted(expected - got)[:5]}"
    status = next(r.status for r in result.results if r.check_id == check_id)
    assert status == ("failed" if expected else "passed")


@pytest.mark.parametrize("check_id", sorted(handwritten_rules()))
def test_counts_equal_the_handwritten_sql(synth_run, check_id):
    _, _, db, result = synth_run
    con = duckdb.connect(str(db), read_only=True)
    try:
        by_hand = con.execute(f"SELECT count(*) FROM ({handwritten_rules()[check_id]}\n)").fetchone()[0]
    finally:
        con.close()
    assert check_id in suite_check_ids()
    assert by_hand == sum(findings(db, result.run_id).get(check_id, Counter()).values())
    assert by_hand > 0  # the cross-check compares something


def test_truth_file_lists_the_defects(synth_run):
    data, truth, _, _ = synth_run
    with (data / TRUTH_FILE).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(truth.defects)
    assert {r["file"] for r in rows} <= set(FILES.values())
    assert Counter(r["check_id"] for r in rows) == Counter(truth.by_check())


def test_figures_claims_and_cues_sit_at_their_offsets(tmp_path):
    generate(tmp_path / "clean", figures=3_000, articles=300, seed=SEED, defect_rate=0.0)
    db = tmp_path / "clean.duckdb"
    load_dataset(tmp_path / "clean", db)
    con = duckdb.connect(str(db), read_only=True)
    try:
        def misplaced(table: str, column: str) -> int:
            return con.execute(
                f"SELECT count(*) FROM {table} t "
                f"JOIN figures f ON f.figure_id = t.figure_id JOIN articles a ON a.article_id = f.article_id "
                f"WHERE a.text[t.char_start + 1:t.char_end] <> t.{column}" if table == "attributions" else
                f"SELECT count(*) FROM {table} t JOIN articles a ON a.article_id = t.article_id "
                f"WHERE a.text[t.char_start + 1:t.char_end] <> t.{column}").fetchone()[0]

        assert misplaced("figures", "value_text") == 0
        assert misplaced("claims", "text") == 0
        assert misplaced("attributions", "cue") == 0
        sizes = con.execute("SELECT min(length(text)), avg(length(text)) FROM articles").fetchone()
        chains = dict(con.execute(
            "SELECT CASE WHEN via_id IS NOT NULL THEN 'two-hop' WHEN reporter_id <> origin_id THEN 'one-hop' "
            "ELSE 'direct' END, count(*) FROM attributions GROUP BY 1").fetchall())
        linked = con.execute("SELECT count(*) FROM figures WHERE linked_figure_id IS NOT NULL").fetchone()[0]
    finally:
        con.close()
    assert sizes[0] >= 3_500 and 3_800 <= sizes[1] <= 4_800  # about 4 KB of text each
    assert set(chains) == {"direct", "one-hop", "two-hop"}
    assert linked > 0  # "four brigades with 12,000 soldiers"
    assert validate(db).exit_code == 0  # no defects planted, nothing found


def test_value_text_reads_back_as_recorded(tmp_path):
    """The text layer parses every generated figure phrase to the value, qualifier, bounds and
    unit recorded for it: the phrases are the forms real articles use, coded the same way."""
    generate(tmp_path, figures=2_000, articles=200, seed=SEED, defect_rate=0.0)

    def number(cell: str) -> float | None:
        return float(cell) if cell else None

    def same(a: float | None, b: float | None) -> bool:
        return (a is None and b is None) or (a is not None and b is not None and math.isclose(a, b))

    with (tmp_path / "figures.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    forms = Counter()
    for row in rows:
        q = parse_quantity(row["value_text"])
        assert q is not None, row["value_text"]
        assert (q.qualifier, q.unit) == (row["qualifier"], row["unit"]), row["value_text"]
        assert same(q.value, number(row["value"])), row["value_text"]
        assert same(q.lower, number(row["lower"])) and same(q.upper, number(row["upper"])), row["value_text"]
        forms[row["qualifier"]] += 1
    assert set(forms) == {"exact", "over", "under", "at-least", "at-most", "about", "range", "vague"}


def test_same_seed_same_bytes(tmp_path):
    for name in ("a", "b"):
        generate(tmp_path / name, figures=2_000, articles=200, seed=5, defect_rate=0.05)
    generate(tmp_path / "c", figures=2_000, articles=200, seed=6, defect_rate=0.05)
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert files == sorted([*FILES.values(), TRUTH_FILE, "dataset.yaml"])
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert (tmp_path / "a" / "figures.csv").read_bytes() != (tmp_path / "c" / "figures.csv").read_bytes()


def test_cli_writes_a_dataset_and_refuses_bad_arguments(tmp_path):
    runner = CliRunner()
    out = tmp_path / "cli"
    result = runner.invoke(main, ["synth", "--figures", "500", "--articles", "50", "--out", str(out),
                                  "--seed", "1", "--defect-rate", "0.2"])
    assert result.exit_code == 0, result.output
    assert re.search(r"\b50 articles, .* 50\d figures", result.output), result.output  # 500 + planted extra rows
    assert "planted finding(s) in truth.csv" in result.output
    assert (out / TRUTH_FILE).is_file() and (out / "dataset.yaml").is_file()

    refused = runner.invoke(main, ["synth", "--figures", "10", "--articles", "0", "--out", str(tmp_path / "x")])
    assert refused.exit_code == 2
    assert not (tmp_path / "x").exists()
    (tmp_path / "file").write_text("not a folder")
    refused = runner.invoke(main, ["synth", "--figures", "10", "--articles", "2", "--out", str(tmp_path / "file")])
    assert refused.exit_code == 2
    with pytest.raises(NewsproofError, match="not a folder"):
        generate(tmp_path / "file", figures=10, articles=2)
    with pytest.raises(NewsproofError, match="cannot plant"):
        generate(tmp_path / "y", figures=10, articles=2, kinds=("no-such-check",))
