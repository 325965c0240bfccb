"""Paths from untrusted data stay where they belong.

A manifest may only name files inside its dataset folder: `..`, absolute paths and symbolic
links that lead out are refused (exit 2) before anything is read. The report writes only inside
`--out`, whatever the ids in the data look like (`../`, absolute paths, NUL, very long names,
reserved device names) and even when a folder inside `--out` is a link that leads elsewhere.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import duckdb
import pytest
import yaml

from conftest import DATASETS, copy_dataset, mutate_csv, read_db, run_cli
from newsproof.engine import validate
from newsproof.errors import NewsproofError
from newsproof.load import load_dataset
from newsproof.report import write_report

SF = "synthetic-followups"


def set_file(folder: Path, table: str, name: str) -> None:
    manifest = folder / "dataset.yaml"
    raw = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    raw["files"][table] = name
    manifest.write_text(yaml.safe_dump(raw), encoding="utf-8")


def refused(folder: Path, db: Path) -> str:
    result = run_cli("load", folder, "--db", db)
    assert result.exit_code == 2, result.stdout
    assert not db.exists(), "a refused first load left a database behind"
    return result.stderr


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file outside the dataset folder that a hostile manifest would like to read."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    secret = folder / "figures.csv"
    secret.write_bytes((DATASETS / SF / "figures.csv").read_bytes())
    return secret


@pytest.mark.parametrize("name", ["../elsewhere/figures.csv", "sub/../../elsewhere/figures.csv", "./../figures.csv"])
def test_a_manifest_path_with_dotdot_is_refused(sf_copy, tmp_path, outside, name):
    set_file(sf_copy, "figures", name)
    assert "points outside the dataset folder" in refused(sf_copy, tmp_path / "db.duckdb")


def test_an_absolute_manifest_path_is_refused(sf_copy, tmp_path, outside):
    set_file(sf_copy, "figures", str(outside))
    assert "points outside the dataset folder" in refused(sf_copy, tmp_path / "db.duckdb")


def test_a_file_link_that_leads_out_is_refused(sf_copy, tmp_path, outside):
    (sf_copy / "figures.csv").unlink()
    (sf_copy / "figures.csv").symlink_to(outside)
    assert "link that leads outside" in refused(sf_copy, tmp_path / "db.duckdb")


def test_a_folder_link_that_leads_out_is_refused(sf_copy, tmp_path, outside):
    (sf_copy / "sub").symlink_to(outside.parent, target_is_directory=True)
    set_file(sf_copy, "figures", "sub/figures.csv")
    assert "link that leads outside" in refused(sf_copy, tmp_path / "db.duckdb")


def test_a_link_chain_that_ends_outside_is_refused(sf_copy, tmp_path, outside):
    (sf_copy / "hop.csv").symlink_to(outside)
    (sf_copy / "figures.csv").unlink()
    (sf_copy / "figures.csv").symlink_to("hop.csv")  # relative, inside; the next hop leaves
    assert "link that leads outside" in refused(sf_copy, tmp_path / "db.duckdb")


def test_a_dangling_link_is_a_missing_file(sf_copy, tmp_path):
    (sf_copy / "figures.csv").unlink()
    (sf_copy / "figures.csv").symlink_to(tmp_path / "nowhere" / "figures.csv")
    assert "not found" in refused(sf_copy, tmp_path / "db.duckdb")


def test_a_link_that_stays_inside_loads(sf_copy, tmp_path):
    (sf_copy / "data").mkdir()
    (sf_copy / "figures.csv").rename(sf_copy / "data" / "figures.csv")
    (sf_copy / "figures.csv").symlink_to(Path("data") / "figures.csv")
    assert run_cli("load", sf_copy, "--db", tmp_path / "db.duckdb").exit_code == 0


@pytest.mark.parametrize("name", ["https://example.invalid/figures.csv", "s3://bucket/figures.csv",
                                  "file:///etc/figures.csv", "~/figures.csv", "figures*.csv", "fig?res.csv",
                                  "figures.csv\x00.txt"])
def test_urls_globs_and_odd_names_read_nothing_outside(sf_copy, tmp_path, name):
    """Never fetched, never expanded: a name is one file inside the folder, or missing."""
    set_file(sf_copy, "figures", name)
    assert "not found" in refused(sf_copy, tmp_path / "db.duckdb") or name.endswith(".txt")


def test_a_file_named_like_a_glob_is_read_as_itself(sf_copy, tmp_path):
    """DuckDB's readers expand * in paths; a file literally named `f*.csv` must be that file."""
    literal = sf_copy / "f*.csv"
    header, first = (DATASETS / SF / "figures.csv").read_text(encoding="utf-8").splitlines()[:2]
    literal.write_text(f"{header}\n{first}\n", encoding="utf-8")
    set_file(sf_copy, "figures", "f*.csv")
    db = tmp_path / "db.duckdb"
    result = run_cli("load", sf_copy, "--db", db)
    assert result.exit_code == 0, result.stderr
    with read_db(db) as con:
        assert con.execute("SELECT count(*), min(_file) FROM figures").fetchone() == (1, "f*.csv")


# --------------------------------------------------------------------------- the report

HOSTILE_IDS = ["../../../../escaped", "/tmp/absolute", "a/b/../../c", "..", ".", ".hidden", "con", "NUL.txt",
               "a\x00b", "x" * 5_000, "ü/ß", "a\\b\\..\\..\\c", "tab\there", "spaces and ; quotes '\""]


def files_under(root: Path) -> set[Path]:
    return {Path(dirpath) / name for dirpath, _, names in os.walk(root) for name in names}


@pytest.fixture(scope="module")
def hostile_ids_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """synthetic-followups with one extra article, figure and claim per hostile id, validated,
    plus findings of checks with hostile ids (as a hostile database could hold)."""
    root = tmp_path_factory.mktemp("hostile-ids")
    ds = copy_dataset(SF, root)
    text = "Officials said 1,500 soldiers left."
    with (ds / "articles.jsonl").open("a", encoding="utf-8") as fh:
        for article_id in HOSTILE_IDS:
            fh.write(json.dumps({"article_id": article_id, "title": article_id[:50], "language": "en",
                                 "text": text}) + "\n")
    with (ds / "figures.csv").open("a", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        for article_id in HOSTILE_IDS:
            writer.writerow([article_id + "-f", article_id, "", 15, 29, "1,500 soldiers", 1500, "exact", 1500,
                             1500, "soldier", "troops", "left", "", ""])
    db = root / "db.duckdb"
    result = load_dataset(ds, db)
    assert result.rows_rejected == 0, result.errors
    validate(db, select=["qualifier-bounds", "attribution-missing"])
    con = duckdb.connect(str(db))
    try:
        run_id = con.execute("SELECT run_id FROM qa_runs").fetchone()[0]
        for check_id in HOSTILE_IDS:
            con.execute("INSERT INTO qa_results VALUES (?, ?, 'error', 'd', 'figures', 'failed', 1, 1.0, NULL, "
                        "'SELECT 1', 'test')", [run_id, check_id])
            con.execute("INSERT INTO qa_failures (run_id, check_id, severity, table_name, row_key, message, "
                        "dataset, file, line, article_id) VALUES (?, ?, 'error', 'figures', ?, 'm', ?, "
                        "'figures.csv', 2, ?)", [run_id, check_id, check_id + "-f", SF, check_id])
    finally:
        con.close()
    return db


def test_the_report_writes_only_inside_out_whatever_the_ids(hostile_ids_db, tmp_path):
    parent = tmp_path / "parent"
    out = parent / "a" / "out"
    (parent / "a").mkdir(parents=True)
    index = write_report(hostile_ids_db, out)
    written = files_under(parent)
    assert all(path.resolve().is_relative_to(out.resolve()) for path in written)
    assert index == out / "index.html"
    pages = list((out / "articles").rglob("*.html"))
    assert len(pages) == 3 + len(HOSTILE_IDS)  # one page per article, none lost to a name clash
    csvs = list((out / "failures").glob("*.csv"))
    assert len(csvs) >= len(HOSTILE_IDS)
    for path in pages + csvs:
        assert len(path.name.encode()) <= 255 and "\x00" not in str(path)
    assert not Path("/tmp/absolute.html").exists()


@pytest.mark.parametrize("folder", ["articles", "failures", "articles/synthetic-followups"])
def test_a_link_inside_out_that_leads_elsewhere_is_not_followed(hostile_ids_db, tmp_path, folder):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    elsewhere.mkdir()
    (out / folder).parent.mkdir(parents=True, exist_ok=True)
    (out / folder).symlink_to(elsewhere, target_is_directory=True)
    result = run_cli("report", "--db", hostile_ids_db, "--out", out)
    assert result.exit_code == 2, result.stdout
    assert "outside the report folder" in result.stderr
    assert files_under(elsewhere) == set()


def test_out_that_is_a_file_is_refused(hostile_ids_db, tmp_path):
    target = tmp_path / "report.html"
    target.write_text("keep me", encoding="utf-8")
    result = run_cli("report", "--db", hostile_ids_db, "--out", target)
    assert result.exit_code == 2
    assert target.read_text(encoding="utf-8") == "keep me"


def test_library_refuses_a_path_outside(hostile_ids_db, tmp_path):
    from newsproof.report.paths import inside

    for relative in ("../x.html", "/etc/x.html", "a/../../x.html"):
        with pytest.raises(NewsproofError):
            inside(tmp_path / "out", relative)


def test_a_dataset_folder_with_odd_characters_loads(tmp_path):
    folder = copy_dataset(SF, tmp_path / "it's; DROP -- `x` \"q\"")
    mutate_csv(folder / "figures.csv", "sf-f01", "unit", "soldier")
    db = tmp_path / "db.duckdb"
    assert run_cli("load", folder, "--db", db).exit_code == 0
    with read_db(db) as con:
        assert con.execute("SELECT path FROM datasets").fetchone()[0] == str(folder)
