"""Fuzzed dataset files and number phrases: never a traceback, never a lost or invented row.

A generated file either loads, and then every record in it (counted here independently with the
csv and json modules) is either a row of its table or a rejected row in `load_errors`, never
both and never neither, with loaded cells equal to the file's; or it is refused with a
`NewsproofError` and the database keeps what it had. The CLI exits 0, 1 or 2 without a
traceback. The number parser takes any str and keeps its offsets inside it.

Examples per property: a few in `make test`, thousands under `make fuzz` (profiles in conftest).
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from conftest import DATASETS, read_db, run_cli, run_cli_process
from newsproof.contracts import load_contracts
from newsproof.errors import NewsproofError
from newsproof.load import LoadResult, load_dataset
from newsproof.text.numbers import find_quantities, parse_number, parse_quantity

DATASET = "fuzz"
SOURCES = list(load_contracts()["sources"].column_names)
FIGURES = list(load_contracts()["figures"].column_names)
# Cheap properties (no file, no database) get more examples than the default profile.
MANY = max(settings().max_examples, 400)


# --------------------------------------------------------------------------- helpers

@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder per test module; hypothesis examples make their own folders inside it."""
    return tmp_path_factory.mktemp("fuzz")


def write_dataset(parent: Path, table: str, filename: str, data: bytes) -> Path:
    """A dataset folder (new, inside `parent`) whose manifest names one file holding `data`."""
    folder = Path(tempfile.mkdtemp(dir=parent))
    (folder / "dataset.yaml").write_text(f"name: {DATASET}\nfiles:\n  {table}: {filename}\n", encoding="utf-8")
    (folder / filename).write_bytes(data)
    return folder


def dataset_state(db: Path, table: str) -> tuple:
    """What a refused load must not change: the dataset's rows, errors and file records (the
    properties load every example into one database, over what the example before loaded)."""
    if not db.exists():
        return ()
    with read_db(db) as con:
        return tuple(con.execute(sql, [DATASET]).fetchall() for sql in (
            f"SELECT count(*), sum(hash(_line)) FROM {table} WHERE _dataset = ?",
            "SELECT count(*), sum(hash(line, reason)) FROM load_errors WHERE dataset = ?",
            "SELECT file, sha256 FROM dataset_files WHERE dataset = ?",
        ))


def csv_model(data: bytes) -> tuple[list[str], dict[int, list[str]]] | None:
    """The file as the csv module reads it: (header, line -> cells of each non-blank record),
    or None when it is empty, not UTF-8 or not well-formed CSV (a stray or unclosed quote)."""
    if not data.strip():
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: dict[int, list[str]] = {}
    try:
        header = next(reader)
        end = reader.line_num
        for row in reader:
            if row and not (len(row) == 1 and not row[0].strip()):
                records[end + 1] = row
            end = reader.line_num
    except (csv.Error, StopIteration):
        return None
    return header, records


def jsonl_model(data: bytes) -> dict[int, str] | None:
    """line -> text of each non-blank line, or None when some line is not UTF-8 (or all are blank)."""
    if not data.strip():
        return None
    records = {}
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            return None
        if line.strip():
            records[number] = line
    return records


def header_fits(header: list[str], columns: list[str]) -> bool:
    names = [h.strip() for h in header]
    return len(set(names)) == len(names) and set(columns) <= set(names)


def load_or_refuse(folder: Path, db: Path, table: str) -> LoadResult | None:
    """Load; on refusal check the error names the file and the database is as it was."""
    before = dataset_state(db, table)
    try:
        return load_dataset(folder, db)
    except NewsproofError as exc:
        assert exc.file and exc.message, exc
        assert dataset_state(db, table) == before
        return None


def assert_every_record_accounted(db: Path, table: str, result: LoadResult,
                                  lines: set[int]) -> dict[int, tuple]:
    """Each record line is a loaded row or a rejected one (exactly one); returns line -> row."""
    assert result.rows_loaded + result.rows_rejected == len(lines)
    with read_db(db) as con:
        loaded = {row[0]: row[1:] for row in con.execute(
            f"SELECT _line, * EXCLUDE (_line, _dataset, _file) FROM {table} WHERE _dataset = ?",
            [DATASET]).fetchall()}
        rejected = {line for (line,) in con.execute(
            "SELECT DISTINCT line FROM load_errors WHERE dataset = ? AND kind <> 'unknown-column'",
            [DATASET]).fetchall()}
        (in_file, loaded_n, rejected_n), = con.execute(
            "SELECT rows_in_file, rows_loaded, rows_rejected FROM dataset_files WHERE dataset = ?",
            [DATASET]).fetchall()
    assert not set(loaded) & rejected, "a record both loaded and rejected"
    assert set(loaded) | rejected == lines, "records lost or invented"
    assert (in_file, loaded_n, rejected_n) == (len(lines), len(loaded), len(rejected))
    return loaded


def blank_to_none(cell: str) -> str | None:
    return None if cell.strip() == "" else cell


def expected_sources(header: list[str], records: dict[int, list[str]]) -> dict[int, tuple]:
    """The sources rows that must load: right field count, a key, first of their key."""
    position = {name.strip(): i for i, name in enumerate(header)}
    first_of_key: dict[str, int] = {}
    rows = {}
    for line, cells in sorted(records.items()):
        if len(cells) != len(header):
            continue
        values = {name: blank_to_none(cells[position[name]]) for name in SOURCES}
        key = values["source_id"]
        if key is None or key in first_of_key:
            continue
        first_of_key[key] = line
        aliases = values["aliases"]
        rows[line] = tuple(aliases.split("|") if name == "aliases" and aliases is not None else values[name]
                           for name in SOURCES)
    return rows


# --------------------------------------------------------------------------- CSV files

# Characters that break naive CSV handling: separators, quotes, every newline, NUL, BOM,
# spreadsheet formula starts, list separator, SQL punctuation, wide and unusual code points.
CELL_CHARS = list('ab7 ,"\n\r\t|;=+-@\'`\x00\x0b\x0c\x1c\ufeff\u00a0\u2028\x85é😀\\')
SPECIAL_CELLS = ["", " ", "  ", '""', "=1+1", "+1", "-1", "@SUM(A1)", "=HYPERLINK(\"http://x\",\"y\")",
                 "\t=cmd", "\r=cmd", "'; DROP TABLE sources; --", "NULL", "null", "nan", "a|b", "|", "\ufeff"]
cells = st.one_of(st.text(alphabet=CELL_CHARS, max_size=6), st.sampled_from(SPECIAL_CELLS))
TERMINATORS = ["\n", "\r\n", "\r"]


@st.composite
def csv_files(draw, columns: list[str]) -> bytes:
    """A CSV file as a spreadsheet or script might write it: columns in any order, extra
    columns, short and long records, blank lines, any mix of newlines, maybe a BOM."""
    header = draw(st.permutations(columns + draw(st.lists(st.sampled_from(["extra", "note", " pad "]),
                                                          max_size=2, unique=True))))
    width = len(header)
    records = draw(st.lists(st.one_of(
        st.lists(cells, min_size=width, max_size=width),  # twice: most records fit the header
        st.lists(cells, min_size=width, max_size=width),
        st.lists(cells, min_size=0, max_size=width + 2),
        st.just([]),  # a blank line
    ), max_size=12))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    out = io.StringIO()
    writer = csv.writer(out, quoting=quoting, lineterminator="")
    for number, record in enumerate([header, *records]):
        if number:
            out.write(draw(st.sampled_from(TERMINATORS)))
        writer.writerow(record)
    if draw(st.booleans()):
        out.write(draw(st.sampled_from(TERMINATORS)))
    return (b"\xef\xbb\xbf" if draw(st.booleans()) else b"") + out.getvalue().encode("utf-8")


@st.composite
def damaged(draw, files: st.SearchStrategy[bytes]) -> bytes:
    """A file with a few bytes inserted, overwritten or cut off: quotes, NUL, invalid UTF-8, CR."""
    data = bytearray(draw(files))
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(data)))
        junk = draw(st.sampled_from([b'"', b"\x00", b"\xff", b"\xc3", b"\r", b"\n", b",", b"\xef\xbb\xbf",
                                     b"\xe2\x80\xa8"]))
        if draw(st.booleans()):
            data[at:at] = junk
        else:
            data[at:at + len(junk)] = junk
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


def check_sources_csv(workdir: Path, data: bytes) -> None:
    folder = write_dataset(workdir, "sources", "sources.csv", data)
    db = workdir / "fuzz.duckdb"  # shared: each example loads over the last one
    model = csv_model(data)
    result = load_or_refuse(folder, db, "sources")
    if model is None or not header_fits(model[0], SOURCES):
        assert result is None, "a file the csv module cannot read (or without the columns) was loaded"
        return
    header, records = model
    assert result is not None, "a well-formed UTF-8 CSV file with every column was refused"
    loaded = assert_every_record_accounted(db, "sources", result, set(records))
    # Loaded cells are the file's, verbatim (blank means missing): the same rows whichever way
    # the loader split the file.
    assert {line: row[: len(SOURCES)] for line, row in loaded.items()} == expected_sources(header, records)


@given(data=csv_files(SOURCES))
@example(data=b"source_id,name,kind,country,aliases,parent_id\r\na,A,other,,,\rb,B,other,,,\n")
@example(data=b"\xef\xbb\xbfsource_id,name,kind,country,aliases,parent_id\na,\"x\ny\",other,,,\nb,B,other,,,\n")
def test_generated_csv_loads_every_record_once(workdir, data):
    check_sources_csv(workdir, data)


@pytest.mark.parametrize("blank", [
    pytest.param("\t", id="tab"),
    pytest.param(" \t ", id="spaced-tab"),
    pytest.param("\x0b", id="vt"),
    pytest.param("\x0c", id="ff"),
    pytest.param("\u2028", id="line-sep"),
    pytest.param("   ", id="spaces"),
    pytest.param("\u00a0", id="nbsp"),
    pytest.param("\u3000", id="ideographic"),
])
def test_a_whitespace_cell_is_missing_on_every_path(workdir, blank):
    header = "source_id,name,kind,country,aliases,parent_id\n"
    fast = f"a,A,other,{blank},,\n".encode()
    careful = f'a,A,other,{blank},,\nb,"two\nlines",other,,,\n'.encode()  # a record over two lines
    countries = []
    for data in (fast, careful):
        folder = write_dataset(workdir, "sources", "sources.csv", header.encode() + data)
        load_dataset(folder, folder / "fuzz.duckdb")
        with read_db(folder / "fuzz.duckdb") as con:
            countries.append(con.execute("SELECT country FROM sources WHERE source_id = 'a'").fetchone()[0])
    assert countries == [None, None]


def test_a_cr_only_line_keeps_the_line_numbers_right(workdir):
    data = b"source_id,name,kind,country,aliases,parent_id\n\r,,,,,"
    folder = write_dataset(workdir, "sources", "sources.csv", data)
    load_dataset(folder, folder / "fuzz.duckdb")
    with read_db(folder / "fuzz.duckdb") as con:
        assert con.execute("SELECT line, kind FROM load_errors").fetchall() == [(3, "missing-key")]


@given(data=damaged(csv_files(SOURCES)))
@example(data=b"source_id,name,kind,country,aliases,parent_id\na,\"open,other,,,\nb,B,other,,,\n")
@example(data=b"source_id,name,kind,country,aliases,parent_id\na,A\x00,other,,,\n")
@example(data=b"source_id,name,kind,country,aliases,parent_id\na,A\xff,other,,,\n")
def test_damaged_csv_loads_exactly_or_is_refused(workdir, data):
    check_sources_csv(workdir, data)


@given(data=st.binary(max_size=400))
def test_random_bytes_are_refused_or_accounted(workdir, data):
    check_sources_csv(workdir, data)


@given(data=st.binary(max_size=200))
def test_random_bytes_after_a_valid_header(workdir, data):
    check_sources_csv(workdir, b"source_id,name,kind,country,aliases,parent_id\n" + data)


KU_FIGURES = (DATASETS / "korea-ukraine" / "figures.csv").read_bytes()


@given(cut=st.integers(0, len(KU_FIGURES)))
@example(cut=len(KU_FIGURES) - 1)  # the last newline gone
def test_truncated_typed_file_counts_every_record(workdir, cut):
    data = KU_FIGURES[:cut]
    folder = write_dataset(workdir, "figures", "figures.csv", data)
    db = workdir / "fuzz.duckdb"  # shared: each example loads over the last one
    model = csv_model(data)
    result = load_or_refuse(folder, db, "figures")
    if model is None or not header_fits(model[0], FIGURES):
        assert result is None
        return
    assert result is not None
    assert_every_record_accounted(db, "figures", result, set(model[1]))


# --------------------------------------------------------------------------- JSONL files

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(alphabet=CELL_CHARS, max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(SOURCES + ["x"]), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def jsonl_files(draw) -> bytes:
    lines = []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["record", "record", "value", "junk", "blank"]))
        if kind == "record":
            record = draw(st.dictionaries(st.sampled_from(SOURCES + ["extra"]), json_values, max_size=7))
            lines.append(json.dumps(record, ensure_ascii=draw(st.booleans())))
        elif kind == "value":
            lines.append(json.dumps(draw(json_values)))
        elif kind == "junk":
            lines.append(draw(st.text(alphabet=CELL_CHARS + list("{}[]:"), max_size=10)).replace("\n", ""))
        else:
            lines.append(draw(st.sampled_from(["", " ", "\r", "\t"])))
    return draw(damaged(st.just("\n".join(lines).encode("utf-8")))) if draw(st.booleans()) \
        else "\n".join(lines).encode("utf-8")


def check_sources_jsonl(workdir: Path, data: bytes) -> None:
    folder = write_dataset(workdir, "sources", "sources.jsonl", data)
    db = workdir / "fuzz.duckdb"  # shared: each example loads over the last one
    model = jsonl_model(data)
    result = load_or_refuse(folder, db, "sources")
    if model is None:
        assert result is None
        return
    assert result is not None, "a UTF-8 JSONL file was refused as a whole"
    assert_every_record_accounted(db, "sources", result, set(model))


@given(data=jsonl_files())
@example(data=b'{"source_id": "a", "name": "A", "kind": "other"}\r\n{"source_id": "b"}\n\n')
@example(data=b'{"source_id": "a", "name": "A\\u2028B", "kind": "other", "aliases": ["x", "y|z"]}\n[1]\n')
def test_generated_jsonl_loads_every_record_once(workdir, data):
    check_sources_jsonl(workdir, data)


def test_deeply_nested_json_is_a_rejected_row_not_a_crash(workdir):
    data = (b'{"source_id": "a", "name": "A", "kind": "other"}\n' + b"[" * 100_000 + b"]" * 100_000 + b"\n")
    check_sources_jsonl(workdir, data)


def test_lone_surrogate_escape_is_a_rejected_row_not_a_crash(workdir):
    # Valid JSON, valid UTF-8 on disk, but the decoded string holds half a UTF-16 pair that no
    # UTF-8 database can store.
    data = b'{"source_id": "a", "name": "A", "kind": "other"}\n{"source_id": "b", "name": "x\\ud800", "kind": "other"}\n'
    check_sources_jsonl(workdir, data)


# --------------------------------------------------------------------------- encodings and shapes

SOURCES_TEXT = "source_id,name,kind,country,aliases,parent_id\nseoul-office,Présidence à Séoul,official,KR,,\n"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1", "cp1252"])
def test_a_file_in_another_encoding_is_refused_clearly(workdir, encoding):
    folder = write_dataset(workdir, "sources", "sources.csv", SOURCES_TEXT.encode(encoding))
    result = run_cli("load", folder, "--db", folder / "fuzz.duckdb")
    assert result.exit_code == 2, result.stdout
    assert "sources.csv" in result.stderr
    assert "UTF-8" in result.stderr or "missing column" in result.stderr, result.stderr
    assert not (folder / "fuzz.duckdb").exists()


def test_a_ten_megabyte_cell_loads_whole(workdir):
    big = "x" * (10 * 1024 * 1024)
    data = f"{SOURCES_TEXT}big,\"{big}\",other,,,\n".encode("utf-8")
    folder = write_dataset(workdir, "sources", "sources.csv", data)
    db = folder / "fuzz.duckdb"
    result = load_dataset(folder, db)
    assert (result.rows_loaded, result.rows_rejected) == (2, 0)
    with read_db(db) as con:
        assert con.execute("SELECT length(name) FROM sources WHERE source_id = 'big'").fetchone()[0] == len(big)


def test_a_ten_megabyte_article_text_loads_and_is_split(workdir):
    text = ("Officials said over 1,500 soldiers left. " * 260_000)[: 10 * 1024 * 1024]
    record = {"article_id": "big", "title": "t", "language": "en", "text": text}
    folder = write_dataset(workdir, "articles", "articles.jsonl", (json.dumps(record) + "\n").encode())
    db = folder / "fuzz.duckdb"
    assert load_dataset(folder, db).rows_loaded == 1
    with read_db(db) as con:
        length, sentences, last_end = con.execute(
            "SELECT (SELECT length(text) FROM articles), count(*), max(char_end) FROM article_sentences").fetchone()
    assert (length, last_end) == (len(text), len(text.rstrip()))
    assert sentences > 100_000


def test_thousands_of_columns_are_reported_not_loaded(workdir):
    extra = [f"x{i}" for i in range(2_000)]
    header = ",".join(SOURCES + extra)
    rows = "\n".join(",".join([f"s{r}", "Name", "other", "", "", ""] + ["v"] * len(extra)) for r in range(20))
    folder = write_dataset(workdir, "sources", "sources.csv", f"{header}\n{rows}\n".encode())
    db = folder / "fuzz.duckdb"
    result = load_dataset(folder, db)
    assert (result.rows_loaded, result.rows_rejected) == (20, 0)
    with read_db(db) as con:
        unknown = con.execute("SELECT count(*) FROM load_errors WHERE kind = 'unknown-column'").fetchone()[0]
    assert unknown == len(extra)


def test_a_record_with_a_hundred_thousand_fields_is_rejected_with_its_raw_row(workdir):
    data = (SOURCES_TEXT + ",".join(["f"] * 100_000) + "\n").encode()
    folder = write_dataset(workdir, "sources", "sources.csv", data)
    db = folder / "fuzz.duckdb"
    result = load_dataset(folder, db)
    assert (result.rows_loaded, result.rows_rejected) == (1, 1)
    with read_db(db) as con:
        line, kind, raw = con.execute("SELECT line, kind, raw FROM load_errors").fetchone()
    assert (line, kind, len(json.loads(raw))) == (3, "field-count", 100_000)


def test_formula_cells_load_verbatim(workdir):
    formulas = ["=1+1", "+SUM(A1:A9)", "-2+3", "@cmd", "\t=x", "=HYPERLINK(\"http://example.invalid\")"]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([f"f{i}", f, "other", "", "", ""] for i, f in enumerate(formulas))
    folder = write_dataset(workdir, "sources", "sources.csv", (SOURCES_TEXT + out.getvalue()).encode())
    db = folder / "fuzz.duckdb"
    load_dataset(folder, db)
    with read_db(db) as con:
        names = [n for (n,) in con.execute("SELECT name FROM sources WHERE source_id LIKE 'f%' ORDER BY source_id").fetchall()]
    assert names == formulas  # data stays data; only the report's CSV exports neutralise formulas


@pytest.mark.parametrize("damage", [
    lambda data: b"PAR1" + b"\x00" * 64 + b"PAR1",
    lambda data: data[: len(data) // 2],
    lambda data: data[:-9] + b"\xff" * 9,
    lambda data: b"",
], ids=["fake-magic", "half", "bad-footer", "empty"])
def test_a_damaged_parquet_file_is_refused(workdir, damage: Callable[[bytes], bytes]):
    good = workdir / "good.parquet"
    con = duckdb.connect()
    try:
        con.execute(f"COPY (SELECT 's' || i AS source_id, 'n' AS name, 'other' AS kind, NULL AS country, "
                    f"NULL AS aliases, NULL AS parent_id FROM range(100) t(i)) TO '{good}' (FORMAT parquet)")
    finally:
        con.close()
    folder = write_dataset(workdir, "sources", "sources.parquet", damage(good.read_bytes()))
    with pytest.raises(NewsproofError) as refused:
        load_dataset(folder, folder / "fuzz.duckdb")
    assert refused.value.file and "sources.parquet" in refused.value.file
    assert not (folder / "fuzz.duckdb").exists()


# --------------------------------------------------------------------------- the CLI, as a user runs it

@given(data=st.one_of(st.binary(max_size=200), damaged(csv_files(SOURCES))))
def test_cli_load_of_any_bytes_exits_cleanly(workdir, data):
    folder = write_dataset(workdir, "sources", "sources.csv", data)
    result = run_cli("load", folder, "--db", folder / "fuzz.duckdb")  # a crash raises here
    assert result.exit_code in (0, 1, 2)
    if result.exit_code == 2:
        assert result.stderr.startswith("newsproof: error: ")


HOSTILE_FILES = {
    "random-bytes": ("sources.csv", bytes(range(256)) * 4, 2),
    "utf-16": ("sources.csv", SOURCES_TEXT.encode("utf-16"), 2),
    "nul-header": ("sources.csv", SOURCES_TEXT.replace("kind", "ki\x00nd").encode(), 2),
    "nul-cell": ("sources.csv", (SOURCES_TEXT + "x,\x00,other,,,\n").encode(), 0),
    "unclosed-quote": ("sources.csv", (SOURCES_TEXT + 'x,"never closed,other,,,\n').encode(), 2),
    "deep-json": ("sources.jsonl", b"[" * 100_000 + b"]" * 100_000 + b"\n", 1),
    "surrogate-json": ("sources.jsonl", b'{"source_id": "\\udfff", "name": "n", "kind": "other"}\n', 1),
    "not-parquet": ("sources.parquet", b"PAR1 but not really", 2),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_FILES))
def test_cli_exits_with_its_code_on_a_hostile_file(workdir, name):
    filename, data, code = HOSTILE_FILES[name]
    folder = write_dataset(workdir, "sources", filename, data)
    result = run_cli("load", folder, "--db", folder / "fuzz.duckdb")  # a crash raises here
    assert result.exit_code == code, result.stderr


@pytest.mark.parametrize("name", ["random-bytes", "deep-json", "surrogate-json"])
def test_cli_process_prints_no_traceback(workdir, name):
    """As a user sees it: the installed command, in its own process, on the worst files."""
    filename, data, code = HOSTILE_FILES[name]
    folder = write_dataset(workdir, "sources", filename, data)
    done = run_cli_process("load", folder, "--db", folder / "fuzz.duckdb")
    assert (done.returncode, "Traceback" in done.stderr) == (code, False), done.stderr


# --------------------------------------------------------------------------- the number parser

NUMBERISH = ["over", "under", "about", "nearly", "up to", "between", "and", "to", "-", "–", "a", "dozen",
             "dozens", "of", "hundreds", "several", "thousand", "million", "billion", "1,500", "1.5", "0",
             "00", "1e5", "12,000", "2024", "½", "٣", "１２", "%", "per cent", "$", "€", "£", "us$",
             "soldiers", "brigades", "troops", "twelve", "twenty-one", "one", "no", ",", ".", " ", "  ",
             "\n", "(", ")", "'", '"', "more than", "at least", "fewer than", "some", "an estimated"]
phrases = st.lists(st.sampled_from(NUMBERISH), max_size=14).map(" ".join) | \
    st.lists(st.sampled_from(NUMBERISH), max_size=14).map("".join)


def assert_offsets_inside(q, text: str) -> None:
    assert 0 <= q.start <= q.number_start <= q.number_end <= q.end <= len(text), q
    assert text[q.start:q.end] == q.value_text, q
    if q.unit_start is not None or q.unit_end is not None:
        assert q.start <= q.unit_start <= q.unit_end <= q.end, q


def check_parser(text: str) -> None:
    parse_number(text)
    quantity = parse_quantity(text)
    if quantity is not None:
        assert_offsets_inside(quantity, text)
    found = find_quantities(text)
    for index, q in enumerate(found):
        assert_offsets_inside(q, text)
        if index:
            assert found[index - 1].end <= q.start, "overlapping quantities"
        assert q.linked_to is None or 0 <= q.linked_to < index


@settings(max_examples=MANY)
@given(text=st.text())
def test_number_parser_takes_any_text(text):
    check_parser(text)


@settings(max_examples=MANY)
@given(text=phrases)
@example(text="between 1,500 and")
@example(text="over ١٢٠٠ soldiers")
@example(text="1e999 soldiers")
def test_number_parser_takes_any_number_like_phrase(text):
    check_parser(text)


def test_stacked_vague_counts_do_not_overlap():
    # Found by the property above: "a dozen dozens" and "dozens of hundreds" once overlapped.
    check_parser("a dozen dozens of hundreds of thousands of millions of billions soldiers")
