"""The loader as a library: every row lands with its type and provenance, bad input is named by
file, line and column, and a load is all or nothing."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

import newsproof.load
from conftest import (DATASET_NAMES, DATASETS, csv_header, csv_records, line_of, mutate_csv,
                      read_db, table_rows)
from newsproof.contracts import Column, load_contracts
from newsproof.errors import NewsproofError
from newsproof.load import LoadResult, load_dataset

CONTRACTS = load_contracts()
DATA_TABLES = tuple(CONTRACTS)


# --------------------------------------------------------------------------- helpers

def expected_cell(col: Column, raw: object) -> object:
    """What a file cell (CSV text or JSON value) must become in DuckDB."""
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    if col.is_list:
        return raw.split("|") if isinstance(raw, str) else list(raw)
    converters = {"VARCHAR": str, "INTEGER": int, "BIGINT": int, "DOUBLE": float,
                  "DATE": date.fromisoformat, "TIMESTAMP": datetime.fromisoformat}
    return converters[col.type](raw)


def file_records(path: Path) -> list[tuple[int, dict[str, object]]]:
    """(line, {column: raw value}) for each record of a bundled CSV or JSONL file."""
    if path.suffix == ".jsonl":
        lines = path.read_text(encoding="utf-8").split("\n")
        return [(n, json.loads(line)) for n, line in enumerate(lines, start=1) if line.strip()]
    header = csv_header(path)
    return [(line, dict(zip(header, row))) for line, row in csv_records(path)]


def db_rows(db: Path, table: str, dataset: str, columns: tuple[str, ...]) -> list[tuple]:
    cols = ", ".join(f'"{c}"' for c in columns)
    return table_rows(db, f'SELECT {cols} FROM "{table}" WHERE _dataset = ? ORDER BY _line', [dataset])


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """Everything a load writes, in a stable order (load times excluded)."""
    queries = {table: f'SELECT * FROM "{table}" ORDER BY _dataset, _file, _line' for table in DATA_TABLES}
    queries["article_sentences"] = "SELECT * FROM article_sentences ORDER BY ALL"
    queries["load_errors"] = "SELECT * FROM load_errors ORDER BY ALL"
    queries["dataset_files"] = "SELECT * FROM dataset_files ORDER BY ALL"
    queries["datasets"] = "SELECT * EXCLUDE (loaded_at) FROM datasets ORDER BY name"
    with read_db(db) as con:
        return {name: con.execute(sql).fetchall() for name, sql in queries.items()}


def data_without_provenance(db: Path, dataset: str) -> dict[str, list[tuple]]:
    """Table contents of one dataset without _file/_line, keyed rows sorted by key."""
    out = {}
    with read_db(db) as con:
        for table, contract in CONTRACTS.items():
            cols = ", ".join(f'"{c}"' for c in contract.column_names)
            out[table] = con.execute(f'SELECT {cols} FROM "{table}" WHERE _dataset = ? ORDER BY 1',
                                     [dataset]).fetchall()
    return out


def result_file(result: LoadResult, table: str) -> str:
    return next(f.file for f in result.files if f.table == table)


def rewrite_manifest_file(dataset: Path, table: str, name: str) -> None:
    manifest = dataset / "dataset.yaml"
    text = manifest.read_text(encoding="utf-8")
    old = f"  {table}: {table}."
    assert old in text
    lines = [f"  {table}: {name}" if line.startswith(old) else line for line in text.splitlines()]
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- round trip

@pytest.mark.parametrize("dataset", DATASET_NAMES)
def test_every_row_of_every_file_lands_with_its_values_and_provenance(dataset, tmp_path):
    db = tmp_path / "rt.duckdb"
    result = load_dataset(DATASETS / dataset, db)
    assert result.errors == []
    total = 0
    for table, contract in CONTRACTS.items():
        path = DATASETS / dataset / result_file(result, table)
        records = file_records(path)
        rows = db_rows(db, table, dataset, contract.column_names + ("_dataset", "_file", "_line"))
        assert len(rows) == len(records) > 0, table
        for (line, record), row in zip(records, rows):
            expected = tuple(expected_cell(c, record.get(c.name)) for c in contract.columns)
            assert row == expected + (dataset, path.name, line), f"{table} line {line}"
        total += len(records)
    assert result.rows_loaded == total and result.rows_rejected == 0


def test_column_types_follow_the_contracts_and_aliases_become_a_list(loaded_db):
    for table, contract in CONTRACTS.items():
        described = dict(table_rows(loaded_db, f'SELECT column_name, column_type FROM (DESCRIBE "{table}")'))
        for col in contract.columns:
            assert described[col.name] == col.type, f"{table}.{col.name}"
        assert described["_line"] == "BIGINT"
    [(aliases,)] = table_rows(loaded_db, "SELECT aliases FROM sources WHERE _dataset = 'korea-ukraine' "
                                         "AND source_id = 'kp-government'")
    assert aliases == ["Democratic People's Republic of Korea", "North Korea", "Pyongyang"]
    value, lower, upper, start, as_of = table_rows(
        loaded_db, "SELECT value, lower, upper, char_start, as_of FROM figures "
                   "WHERE _dataset = 'synthetic-followups' AND figure_id = 'sf-f01'")[0]
    assert (value, lower, upper, start, as_of) == (3000.0, 2700.0, 3300.0, 85, date(2024, 10, 28))
    assert isinstance(start, int) and isinstance(value, float)


def test_a_quoted_newline_in_a_cell_moves_the_line_of_the_next_record(ku_copy, tmp_path):
    claims = ku_copy / "claims.csv"
    (text,) = [row[4] for _, row in csv_records(claims) if row[0] == "ku-c02"]
    mutate_csv(claims, "ku-c02", "text", text.replace(". If", ".\nIf"))
    assert line_of(claims, "ku-c02") == 3 and line_of(claims, "ku-c03") == 5
    db = tmp_path / "nl.duckdb"
    load_dataset(ku_copy, db)
    lines = dict(table_rows(db, "SELECT claim_id, _line FROM claims "
                                "WHERE claim_id IN ('ku-c02', 'ku-c03', 'ku-c18')"))
    assert lines == {"ku-c02": 3, "ku-c03": 5, "ku-c18": 20}
    (stored,) = table_rows(db, "SELECT text FROM claims WHERE claim_id = 'ku-c02'")[0]
    assert "scenarios.\nIf they" in stored


def test_a_line_separator_inside_a_jsonl_string_stays_in_the_text(ku_copy, tmp_path):
    # U+2028 is legal inside a JSON string; it must not split the record in two.
    articles = ku_copy / "articles.jsonl"
    record = json.loads(articles.read_text(encoding="utf-8"))
    record["text"] = record["text"].replace("Ukraine\nIn response", "Ukraine\u2028In response", 1)
    record["text_sha256"] = None
    articles.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    db = tmp_path / "ls.duckdb"
    result = load_dataset(ku_copy, db)
    assert result.errors == []
    (text,) = table_rows(db, "SELECT text FROM articles")[0]
    assert text == record["text"]


# --------------------------------------------------------------------------- idempotency

def test_loading_the_same_files_twice_changes_nothing(tmp_path):
    db = tmp_path / "twice.duckdb"
    for name in DATASET_NAMES:
        load_dataset(DATASETS / name, db)
    first = snapshot(db)
    for name in DATASET_NAMES:
        load_dataset(DATASETS / name, db)
    assert snapshot(db) == first
    assert table_rows(db, "SELECT count(*) FROM figures")[0][0] == 9
    assert load_dataset(DATASETS / "korea-ukraine", db, skip_unchanged=True).unchanged


def test_a_changed_file_replaces_that_datasets_rows_only(ku_copy, tmp_path):
    db = tmp_path / "changed.duckdb"
    load_dataset(ku_copy, db)
    load_dataset(DATASETS / "synthetic-followups", db)
    synthetic_before = data_without_provenance(db, "synthetic-followups")
    figures = ku_copy / "figures.csv"
    mutate_csv(figures, "ku-f04", "measure", "states-named")
    header = csv_header(figures)
    kept = [row for _, row in csv_records(figures) if row[0] != "ku-f05"]
    with figures.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([header, *kept])

    result = load_dataset(ku_copy, db, skip_unchanged=True)
    assert not result.unchanged
    rows = table_rows(db, "SELECT figure_id, measure, _line FROM figures "
                          "WHERE _dataset = 'korea-ukraine' ORDER BY _line")
    assert [r[0] for r in rows] == ["ku-f01", "ku-f02", "ku-f03", "ku-f04"]
    assert rows[3] == ("ku-f04", "states-named", 5)
    assert data_without_provenance(db, "synthetic-followups") == synthetic_before
    (rows_loaded,) = table_rows(db, "SELECT rows_loaded FROM dataset_files WHERE dataset = 'korea-ukraine' "
                                    "AND table_name = 'figures'")[0]
    assert rows_loaded == 4


# --------------------------------------------------------------------------- all or nothing

def test_strict_load_refuses_a_bad_row_and_creates_no_database(ku_copy, tmp_path):
    line = mutate_csv(ku_copy / "figures.csv", "ku-f03", "value", "many")
    db = tmp_path / "strict.duckdb"
    with pytest.raises(NewsproofError) as caught:
        load_dataset(ku_copy, db, strict=True)
    assert Path(caught.value.file).name == "figures.csv"
    assert (caught.value.line, caught.value.column) == (line, "value")
    assert "nothing was written" in caught.value.message
    assert not db.exists() and not Path(str(db) + ".wal").exists()


def test_strict_load_leaves_an_existing_database_as_it_was(ku_copy, tmp_path):
    db = tmp_path / "strict.duckdb"
    for name in DATASET_NAMES:
        load_dataset(DATASETS / name, db)
    before = snapshot(db)
    mutate_csv(ku_copy / "attributions.csv", "ku-a03", "char_start", "near the start")
    with pytest.raises(NewsproofError):
        load_dataset(ku_copy, db, strict=True)
    assert snapshot(db) == before


def _broken_splitter(text: str):
    raise RuntimeError("sentence splitter failed")


def test_a_load_that_fails_midway_rolls_back_to_the_previous_state(ku_copy, tmp_path, monkeypatch):
    db = tmp_path / "rollback.duckdb"
    load_dataset(ku_copy, db)
    load_dataset(DATASETS / "synthetic-followups", db)
    before = snapshot(db)
    mutate_csv(ku_copy / "figures.csv", "ku-f01", "subject", "changed-before-the-crash")
    # Sentence indexing runs after the dataset's old rows were deleted and new ones inserted.
    monkeypatch.setattr(newsproof.load, "split_sentences", _broken_splitter)
    with pytest.raises(RuntimeError, match="sentence splitter failed"):
        load_dataset(ku_copy, db)
    assert snapshot(db) == before


def test_a_first_load_that_fails_midway_leaves_no_database_file(ku_copy, tmp_path, monkeypatch):
    db = tmp_path / "first.duckdb"
    monkeypatch.setattr(newsproof.load, "split_sentences", _broken_splitter)
    with pytest.raises(RuntimeError):
        load_dataset(ku_copy, db)
    assert not db.exists()


# --------------------------------------------------------------------------- bad rows (recorded)

def test_text_in_a_number_column_is_recorded_with_file_line_and_column(ku_copy, tmp_path):
    line = mutate_csv(ku_copy / "figures.csv", "ku-f03", "value", "twelve thousand")
    db = tmp_path / "type.duckdb"
    result = load_dataset(ku_copy, db)
    assert [(e.file, e.line, e.column, e.value, e.kind) for e in result.errors] == [
        ("figures.csv", line, "value", "twelve thousand", "type")]
    rows = table_rows(db, "SELECT dataset, file, line, column_name, value, reason, raw FROM load_errors")
    assert len(rows) == 1
    dataset, file, err_line, column, value, reason, raw = rows[0]
    assert (dataset, file, err_line, column, value) == (
        "korea-ukraine", "figures.csv", line, "value", "twelve thousand")
    assert reason == "not a number"
    assert json.loads(raw)["figure_id"] == "ku-f03"  # the whole raw row is kept
    counts = dict(table_rows(db, "SELECT table_name, rows_loaded FROM dataset_files"))
    assert counts == {"articles": 1, "sources": 15, "claims": 18, "figures": 4, "attributions": 23}
    assert [r[0] for r in table_rows(db, "SELECT figure_id FROM figures ORDER BY _line")] == [
        "ku-f01", "ku-f02", "ku-f04", "ku-f05"]


@pytest.mark.parametrize("column,value,reason", [
    ("char_start", "934.5", "not a whole number"),  # DuckDB would round it to 935
    ("value", "inf", "not a number"),
    ("value", "NaN", "not a number"),
    ("as_of", "28/10/2024", "not a date (YYYY-MM-DD)"),
], ids=["fractional-offset", "infinite-value", "nan-value", "day-first-date"])
def test_values_that_only_look_typed_are_rejected(ku_copy, tmp_path, column, value, reason):
    line = mutate_csv(ku_copy / "figures.csv", "ku-f01", column, value)
    result = load_dataset(ku_copy, tmp_path / "t.duckdb")
    assert [(e.line, e.column, e.value, e.reason) for e in result.errors] == [(line, column, value, reason)]


def test_whole_numbers_written_as_decimals_load(ku_copy, tmp_path):
    mutate_csv(ku_copy / "figures.csv", "ku-f01", "char_start", "934.0")
    db = tmp_path / "w.duckdb"
    assert load_dataset(ku_copy, db).errors == []
    assert table_rows(db, "SELECT char_start FROM figures WHERE figure_id = 'ku-f01'") == [(934,)]


def test_a_duplicate_key_is_recorded_and_the_first_row_kept(ku_copy, tmp_path):
    figures = ku_copy / "figures.csv"
    mutate_csv(figures, "ku-f05", "value_text", "the second one")
    line = mutate_csv(figures, "ku-f05", "figure_id", "ku-f01")
    db = tmp_path / "dup.duckdb"
    result = load_dataset(ku_copy, db)
    assert [(e.file, e.line, e.column, e.value, e.kind) for e in result.errors] == [
        ("figures.csv", line, "figure_id", "ku-f01", "duplicate-key")]
    assert "first at line 2" in result.errors[0].reason
    assert table_rows(db, "SELECT value_text, _line FROM figures WHERE figure_id = 'ku-f01'") == [
        ("over 1,500 soldiers", 2)]


def test_a_record_with_the_wrong_number_of_fields_is_recorded(ku_copy, tmp_path):
    sources = ku_copy / "sources.csv"
    with sources.open("a", encoding="utf-8") as fh:
        fh.write("extra-source,Extra source,other\n")
    result = load_dataset(ku_copy, tmp_path / "fc.duckdb")
    assert [(e.file, e.line, e.kind) for e in result.errors] == [("sources.csv", 17, "field-count")]
    assert "has 3 fields, the header has 6" in result.errors[0].reason


def test_an_unknown_column_is_reported_and_the_rows_still_load(ku_copy, tmp_path):
    sources = ku_copy / "sources.csv"
    header = csv_header(sources)
    rows = [row + ["note"] for _, row in csv_records(sources)]
    with sources.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([header + ["notes"], *rows])
    db = tmp_path / "uc.duckdb"
    result = load_dataset(ku_copy, db)
    assert [(e.file, e.line, e.column, e.kind) for e in result.errors] == [
        ("sources.csv", 1, "notes", "unknown-column")]
    assert table_rows(db, "SELECT count(*) FROM sources") == [(15,)]


# --------------------------------------------------------------------------- bad files (refused)

def _drop_column(path: Path, column: str) -> None:
    header = csv_header(path)
    index = header.index(column)
    rows = [[c for i, c in enumerate(row) if i != index] for row in [header, *(r for _, r in csv_records(path))]]
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def test_a_missing_column_refuses_the_file(ku_copy, tmp_path):
    _drop_column(ku_copy / "figures.csv", "qualifier")
    db = tmp_path / "mc.duckdb"
    with pytest.raises(NewsproofError) as caught:
        load_dataset(ku_copy, db)
    err = caught.value
    assert (Path(err.file).name, err.line, err.column) == ("figures.csv", 1, "qualifier")
    assert "missing column" in err.message and not db.exists()


def test_latin1_bytes_are_refused_with_their_line(ku_copy, tmp_path):
    with (ku_copy / "sources.csv").open("ab") as fh:
        fh.write("cafe-source,Caf\u00e9 Source,other,,,\n".encode("latin-1"))
    with pytest.raises(NewsproofError) as caught:
        load_dataset(ku_copy, tmp_path / "enc.duckdb")
    assert (Path(caught.value.file).name, caught.value.line) == ("sources.csv", 17)
    assert "UTF-8" in caught.value.message


@pytest.mark.parametrize("name", ["claims.csv", "articles.jsonl"])
def test_an_empty_file_is_refused(ku_copy, tmp_path, name):
    (ku_copy / name).write_text("", encoding="utf-8")
    with pytest.raises(NewsproofError, match="empty") as caught:
        load_dataset(ku_copy, tmp_path / "empty.duckdb")
    assert Path(caught.value.file).name == name


def test_a_header_only_csv_loads_no_rows(ku_copy, tmp_path):
    claims = ku_copy / "claims.csv"
    claims.write_text(",".join(csv_header(claims)) + "\n", encoding="utf-8")
    db = tmp_path / "h.duckdb"
    assert load_dataset(ku_copy, db).errors == []
    assert table_rows(db, "SELECT count(*) FROM claims") == [(0,)]


def test_a_missing_file_is_refused(ku_copy, tmp_path):
    (ku_copy / "claims.csv").unlink()
    with pytest.raises(NewsproofError, match="not found") as caught:
        load_dataset(ku_copy, tmp_path / "missing.duckdb")
    assert Path(caught.value.file).name == "claims.csv"


@pytest.mark.parametrize("name", ["../x.csv", "sub/../../x.csv", "/tmp/x.csv"],
                         ids=["parent", "nested-parent", "absolute"])
def test_a_manifest_naming_a_file_outside_the_dataset_is_refused(ku_copy, tmp_path, name):
    (tmp_path / "x.csv").write_bytes((ku_copy / "claims.csv").read_bytes())
    rewrite_manifest_file(ku_copy, "claims", name)
    with pytest.raises(NewsproofError, match="outside the dataset folder") as caught:
        load_dataset(ku_copy, tmp_path / "out.duckdb")
    assert Path(caught.value.file).name == "dataset.yaml" and caught.value.column == "files"


# --------------------------------------------------------------------------- other encodings and formats

def test_bom_and_crlf_files_load_like_the_originals(ku_copy, tmp_path):
    for name in ("figures.csv", "sources.csv", "claims.csv", "articles.jsonl"):
        path = ku_copy / name
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    original, variant = tmp_path / "original.duckdb", tmp_path / "variant.duckdb"
    load_dataset(DATASETS / "korea-ukraine", original)
    assert load_dataset(ku_copy, variant).errors == []
    assert data_without_provenance(variant, "korea-ukraine") == data_without_provenance(original, "korea-ukraine")
    claims_lines = "SELECT claim_id, _line FROM claims ORDER BY _line"
    assert table_rows(variant, claims_lines) == table_rows(original, claims_lines)


def test_parquet_files_load_like_the_csv_files(ku_copy, tmp_path):
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM read_csv('{ku_copy / 'figures.csv'}')) "
                f"TO '{ku_copy / 'figures.parquet'}' (FORMAT parquet)")
    # A real list column, as a Parquet writer stores aliases.
    con.execute(f"COPY (SELECT * REPLACE (string_split(aliases, '|') AS aliases) "
                f"FROM read_csv('{ku_copy / 'sources.csv'}', all_varchar = true)) "
                f"TO '{ku_copy / 'sources.parquet'}' (FORMAT parquet)")
    con.close()
    rewrite_manifest_file(ku_copy, "figures", "figures.parquet")
    rewrite_manifest_file(ku_copy, "sources", "sources.parquet")
    original, variant = tmp_path / "original.duckdb", tmp_path / "parquet.duckdb"
    load_dataset(DATASETS / "korea-ukraine", original)
    result = load_dataset(ku_copy, variant)
    assert result.errors == []
    assert data_without_provenance(variant, "korea-ukraine") == data_without_provenance(original, "korea-ukraine")
    # In Parquet the line is the row number.
    assert table_rows(variant, "SELECT figure_id, _file, _line FROM figures ORDER BY _line")[:2] == [
        ("ku-f01", "figures.parquet", 1), ("ku-f02", "figures.parquet", 2)]


def test_a_parquet_cell_of_the_wrong_type_is_recorded(ku_copy, tmp_path):
    mutate_csv(ku_copy / "figures.csv", "ku-f02", "value", "four")
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM read_csv('{ku_copy / 'figures.csv'}', all_varchar = true)) "
                f"TO '{ku_copy / 'figures.parquet'}' (FORMAT parquet)")
    con.close()
    rewrite_manifest_file(ku_copy, "figures", "figures.parquet")
    result = load_dataset(ku_copy, tmp_path / "pq.duckdb")
    assert [(e.file, e.line, e.column, e.value) for e in result.errors] == [
        ("figures.parquet", 2, "value", "four")]


def test_jsonl_files_load_like_the_csv_files(ku_copy, tmp_path):
    for table in ("figures", "sources"):
        contract = CONTRACTS[table]
        lines = []
        for _, record in file_records(ku_copy / f"{table}.csv"):
            typed = {c.name: expected_cell(c, record[c.name]) for c in contract.columns}
            lines.append(json.dumps(typed, default=str, ensure_ascii=False))
        (ku_copy / f"{table}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        rewrite_manifest_file(ku_copy, table, f"{table}.jsonl")
    original, variant = tmp_path / "original.duckdb", tmp_path / "jsonl.duckdb"
    load_dataset(DATASETS / "korea-ukraine", original)
    assert load_dataset(ku_copy, variant).errors == []
    assert data_without_provenance(variant, "korea-ukraine") == data_without_provenance(original, "korea-ukraine")
    assert table_rows(variant, "SELECT _file, _line FROM sources WHERE source_id = 'yonhap'") == [
        ("sources.jsonl", 5)]


def test_a_bad_jsonl_line_is_recorded_and_the_rest_loads(sf_copy, tmp_path):
    articles = sf_copy / "articles.jsonl"
    lines = articles.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1][:40]  # cut the second record short
    articles.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "bad.duckdb"
    result = load_dataset(sf_copy, db)
    assert [(e.file, e.line, e.kind) for e in result.errors] == [("articles.jsonl", 2, "json")]
    assert str(result.errors[0]).startswith("articles.jsonl:2: not valid JSON")
    assert table_rows(db, "SELECT article_id, _line FROM articles ORDER BY _line") == [
        ("sf-001", 1), ("sf-003", 3)]


def test_a_database_made_under_another_contract_is_refused_by_name(tmp_path):
    db = tmp_path / "old.duckdb"
    load_dataset(DATASETS / "korea-ukraine", db)
    con = duckdb.connect(str(db))
    con.execute("ALTER TABLE figures DROP COLUMN linked_figure_id")
    con.close()
    with pytest.raises(NewsproofError, match=r"table 'figures' .* \(missing linked_figure_id\)") as caught:
        load_dataset(DATASETS / "korea-ukraine", db)
    assert Path(caught.value.file).name == "figures.yaml"
    assert "new --db file" in caught.value.hint
