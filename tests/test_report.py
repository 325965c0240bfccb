"""The HTML report written from real validation runs over the bundled datasets (mutated so that
checks fail): layout, CSVs, embedded rows, CSP, article pages, history, templates, scale, and the
`report` / `validate --html` commands. The page's behaviour in a browser is in
test_report_browser.py."""

from __future__ import annotations

import base64
import csv
import hashlib
import html
import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from conftest import DATASETS, copy_dataset, mutate_csv, read_db, run_cli
from newsproof.engine import validate
from newsproof.errors import NewsproofError
from newsproof.load import load_dataset
from newsproof.report import write_report
from newsproof.report.highlight import Mark, Span, mark_tree
from newsproof.report.paths import article_page, safe_name

KU, SF = "korea-ukraine", "synthetic-followups"
# Fast SQL and Python checks that the mutations below make fail (plus clean ones).
CHECKS = ["qualifier-bounds", "bounds-order", "cross-article-conflict", "figure-unit-singular",
          "attribution-chain-cycle", "attribution-missing", "article-text-hash", "source-name-present"]
FAILING = {"qualifier-bounds", "bounds-order", "cross-article-conflict", "figure-unit-singular",
           "attribution-chain-cycle"}
MB = 1024 * 1024


def mutated_datasets(parent: Path) -> list[Path]:
    """Copies of both bundled datasets with one broken record per failing check."""
    ku, sf = copy_dataset(KU, parent), copy_dataset(SF, parent)
    mutate_csv(ku / "figures.csv", "ku-f01", "upper", "2000")  # "over 1,500" with an upper bound
    mutate_csv(ku / "figures.csv", "ku-f02", "lower", "5")  # lower bound above upper bound
    mutate_csv(ku / "attributions.csv", "ku-a01", "via_id", "yonhap")  # a chain citing in a circle
    mutate_csv(sf / "figures.csv", "sf-f02", "unit", "soldiers")  # plural unit (warning)
    for column, value in (("value", "30000"), ("lower", "27000"), ("upper", "33000")):
        mutate_csv(sf / "figures.csv", "sf-f04", column, value)  # conflicts with sf-f01
    return [ku, sf]


def build_db(folder: Path) -> Path:
    db = folder / "report.duckdb"
    for dataset in mutated_datasets(folder):
        load_dataset(dataset, db)
    validate(db, select=CHECKS)
    return db


@pytest.fixture(scope="module")
def base_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with one validation run over the mutated datasets. Copy it to change it."""
    return build_db(tmp_path_factory.mktemp("report-db"))


@pytest.fixture
def db(base_db: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(base_db, tmp_path / "report.duckdb"))


@pytest.fixture(scope="module")
def report(base_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of the base run, written once; returns index.html."""
    return write_report(base_db, tmp_path_factory.mktemp("report") / "out")


def latest_run(db: Path) -> str:
    with read_db(db) as con:
        return con.execute("SELECT run_id FROM qa_runs ORDER BY started_at DESC LIMIT 1").fetchone()[0]


def add_failures(db: Path, check_id: str, rows: list[dict], severity: str = "error",
                 result: bool = False) -> None:
    """Add failing rows to the latest run (and a qa_results row for a new check)."""
    run_id = latest_run(db)
    con = duckdb.connect(str(db))
    try:
        if result:
            con.execute("INSERT INTO qa_results VALUES (?, ?, ?, ?, 'figures', 'failed', ?, 1.0, NULL, ?, ?)",
                        [run_id, check_id, severity, "A check added by the test.", len(rows),
                         "SELECT 1", "validators/custom/test.sql"])
        for row in rows:
            con.execute(
                "INSERT INTO qa_failures (run_id, check_id, severity, table_name, row_key, column_name, value, "
                "message, dataset, file, line, article_id, char_start, char_end, evidence) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [run_id, check_id, severity, row.get("table_name", "figures"), row.get("row_key"),
                 row.get("column_name"), row.get("value"), row.get("message", "test failure"),
                 row.get("dataset", KU), row.get("file", "figures.csv"), row.get("line", 2),
                 row.get("article_id"), row.get("char_start"), row.get("char_end"), row.get("evidence")])
    finally:
        con.close()


def embedded_data(index: Path) -> dict:
    text = index.read_text(encoding="utf-8")
    match = re.search(r'<script type="application/json" id="findings-data">(.*?)</script>', text, re.S)
    assert match, "no embedded findings"
    return json.loads(match.group(1))


def embedded_rows(index: Path) -> list[dict]:
    data = embedded_data(index)
    return [dict(zip(data["fields"], row), check=data["checks"][row[0]]) for row in data["rows"]]


def csp_of(page: str) -> str:
    match = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
    assert match, "no CSP meta tag"
    return html.unescape(match.group(1))


def sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


# --------------------------------------------------------------------------- layout and content

def test_report_writes_index_csvs_and_article_pages(report: Path, base_db: Path) -> None:
    out = report.parent
    assert report == out / "index.html"
    assert {p.name for p in (out / "failures").iterdir()} == {f"{c}.csv" for c in FAILING}
    assert {p.relative_to(out).as_posix() for p in (out / "articles").rglob("*.html")} == {
        "articles/korea-ukraine/ku-001.html", "articles/synthetic-followups/sf-001.html",
        "articles/synthetic-followups/sf-002.html", "articles/synthetic-followups/sf-003.html"}
    page = report.read_text(encoding="utf-8")
    assert "<h1 id=\"verdict\">FAILED</h1>" in page and "banner-fail" in page
    run_id = latest_run(base_db)
    assert run_id in page
    with read_db(base_db) as con:
        suite_sha, = con.execute("SELECT suite_sha256 FROM qa_runs").fetchone()
        file_shas = [r[0] for r in con.execute("SELECT sha256 FROM dataset_files").fetchall()]
        reproduce, = con.execute("SELECT reproduce_sql FROM qa_results WHERE check_id = 'bounds-order'").fetchone()
    assert suite_sha in page and all(sha in page for sha in file_shas)
    assert "flag-synthetic" in page and "[SYNTHETIC] Invented follow-up wire reports" in page
    card = page[page.index('id="check-bounds-order"'):]
    sql = re.search(r'<pre class="sql"[^>]*><code>(.*?)</code></pre>', card, re.S).group(1)
    assert html.unescape(sql) == reproduce  # the SQL that reproduces the check, verbatim
    for check_id in CHECKS:
        assert f'id="check-{check_id}"' in page
    assert "A figure&#39;s lower bound is not above its upper bound." in page
    assert "5 failing rows" not in page  # counts are per check, not pooled


def test_counts_by_severity_match_the_run(report: Path, base_db: Path) -> None:
    with read_db(base_db) as con:
        errors, warnings = con.execute("SELECT errors, warnings FROM qa_runs").fetchone()
    page = report.read_text(encoding="utf-8")
    tiles = {label: int(count) for count, label in re.findall(
        r'<span class="tile-count">([\d,]+)</span>\s*<span class="tile-label badge [^"]+">([\w ]+)</span>', page)}
    assert tiles == {"errors": errors, "warnings": warnings, "info": 0, "not run": 0}
    assert warnings == 1 and errors > 0


def test_every_failure_is_in_the_csvs_and_embedded(report: Path, base_db: Path) -> None:
    with read_db(base_db) as con:
        counts = dict(con.execute("SELECT check_id, count(*) FROM qa_failures GROUP BY ALL").fetchall())
    for check_id, count in counts.items():
        with (report.parent / "failures" / f"{check_id}.csv").open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert len(rows) == count
        assert all(r["check_id"] == check_id and r["file"] and r["line"] for r in rows)
    rows = embedded_rows(report)
    assert len(rows) == sum(counts.values())
    (bounds,) = [r for r in rows if r["check"] == "bounds-order"]
    assert (bounds["table"], bounds["key"], bounds["dataset"], bounds["file"], bounds["line"]) == (
        "figures", "ku-f02", KU, "figures.csv", 3)
    assert bounds["message"] == "lower bound 5.0 is above upper bound 4.0" and bounds["severity"] == 0


def test_text_failures_carry_their_sentence_with_the_figure_marked(report: Path) -> None:
    (row,) = [r for r in embedded_rows(report) if r["check"] == "bounds-order"]
    before, marked, after = row["evidence"]["s"]
    assert marked == "four brigades"
    assert before.startswith("Previously, the South Korean news agency Yonhap") and after.endswith("to Ukraine.")
    assert row["href"] == "articles/korea-ukraine/ku-001.html#figure-ku-f02"


def test_evidence_chains_and_sentences_from_the_check(db: Path, tmp_path: Path) -> None:
    sentence = "Previously, the South Korean news agency Yonhap had reported."
    add_failures(db, "bounds-order", [
        {"row_key": "ku-f03", "article_id": "ku-001", "char_start": 1174, "char_end": 1189, "message": "chain",
         "evidence": json.dumps({"recorded_chain": ["yonhap", "kr-intelligence-agency"],
                                 "expected_chain": ["yonhap", "kr-intelligence-agency", "kp-government"],
                                 "cue": "citing"})},
        {"row_key": "ku-f05", "article_id": "ku-001", "char_start": 1079 + 34, "char_end": 1079 + 40, "message": "given",
         "evidence": json.dumps({"sentence": sentence, "sentence_start": 1079})},
    ])
    rows = {r["message"]: r for r in embedded_rows(write_report(db, tmp_path / "out"))}
    chain = rows["chain"]["evidence"]
    assert chain["s"][1] == "12,000 soldiers"  # sentence found in article_sentences
    assert chain["r"] == ["yonhap", "kr-intelligence-agency"]
    assert chain["e"] == ["yonhap", "kr-intelligence-agency", "kp-government"]
    assert chain["x"] == [["cue", "citing"]]
    assert rows["given"]["evidence"]["s"] == ["Previously, the South Korean news ", "agency", " Yonhap had reported."]


def test_article_page_marks_figures_and_claims_by_status(report: Path) -> None:
    page = (report.parent / "articles/korea-ukraine/ku-001.html").read_text(encoding="utf-8")
    # ku-f01 and ku-f02 have findings (ku-f01 through its attribution's cycle too); ku-f04 is clean.
    assert '<mark class="span span-figure is-failing" id="figure-ku-f01">over 1,500 soldiers</mark>' in page
    assert '<mark class="span span-figure is-failing" id="figure-ku-f02">four brigades</mark>' in page
    assert '<mark class="span span-figure is-clean" id="figure-ku-f04">two independent states</mark>' in page
    # The claim that carries ku-f01 wraps its mark, and is clean: its own rows have no finding.
    assert ('<mark class="span span-claim is-clean" id="claim-ku-c03">North Korea had sent '
            '<mark class="span span-figure is-failing" id="figure-ku-f01">over 1,500 soldiers</mark>') in page
    assert "figure with findings" in page and "claim, clean" in page  # the legend
    assert "attribution chain of ku-f01 cites in a circle" in page
    assert "South Korean intelligence agency" in page and "Yonhap" in page  # sources cited
    assert '<a href="../../index.html">' in page
    assert "script-src 'none'" in csp_of(page) and "<script" not in page


def test_failures_link_to_their_article_mark(report: Path) -> None:
    for row in embedded_rows(report):
        if row["href"]:
            path, _, anchor = row["href"].partition("#")
            assert f'id="{anchor}"' in (report.parent / path).read_text(encoding="utf-8")


def test_csp_allows_exactly_the_inline_script_and_style(report: Path) -> None:
    page = report.read_text(encoding="utf-8")
    policy = csp_of(page)
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    styles = re.findall(r"<style>(.*?)</style>", page, re.S)
    assert len(scripts) == 1 and len(styles) == 1
    assert policy == (f"default-src 'none'; script-src {sha256_source(scripts[0])}; "
                      f"style-src {sha256_source(styles[0])}; img-src data:; base-uri 'none'; form-action 'none'")
    markup = re.sub(r"<script.*?</script>", "", page, flags=re.S)
    assert not re.search(r"<[^>]*\s(on[a-z]+|style)\s*=", markup)  # inline styles and handlers need no CSP exception


def test_no_external_url_anywhere(report: Path) -> None:
    for path in report.parent.rglob("*.html"):
        page = path.read_text(encoding="utf-8")
        assert not re.search(r"https?://|(src|href)=\"?//", page, re.I), path
        assert "<link" not in page and "@import" not in page and "url(" not in page and "<img" not in page


def test_history_chart_shows_the_last_runs(db: Path, tmp_path: Path) -> None:
    validate(db, select=["bounds-order"])
    validate(db, select=["figure-unit-singular", "attribution-missing"])
    page = write_report(db, tmp_path / "out").read_text(encoding="utf-8")
    svg = re.search(r"<svg viewBox=\"0 0 720 240\" role=\"img\".*?</svg>", page, re.S).group(0)
    assert svg.count('<g class="bar') == 3 and svg.count("bar-current") == 1
    totals = re.findall(r'<text class="bar-total"[^>]*>([\d,]+)<tspan class="status-mark-(\w+)"', svg)
    with read_db(db) as con:
        expected = con.execute("SELECT errors + warnings + infos, status FROM qa_runs ORDER BY started_at").fetchall()
    assert totals == [(str(total), status) for total, status in expected]
    assert "seg-error" in svg and "seg-warning" in svg


def test_report_on_an_older_run(db: Path, tmp_path: Path) -> None:
    first = latest_run(db)
    validate(db, select=["attribution-missing"])  # a clean run
    assert latest_run(db) != first
    latest = write_report(db, tmp_path / "latest").read_text(encoding="utf-8")
    assert '<h1 id="verdict">PASSED</h1>' in latest and "banner-pass" in latest
    older = write_report(db, tmp_path / "older", run_id=first).read_text(encoding="utf-8")
    assert '<h1 id="verdict">FAILED</h1>' in older and first in older
    assert older.count('<g class="bar') == 1  # history stops at the run shown


def test_not_run_check_shows_its_message(db: Path, tmp_path: Path) -> None:
    run_id = latest_run(db)
    with duckdb.connect(str(db)) as con:
        con.execute("INSERT INTO qa_results VALUES (?, 'broken-check', 'error', 'Never runs.', 'figures', "
                    "'not-run', 0, 0.5, 'could not run: Catalog Error: Table nope does not exist', NULL, "
                    "'validators/custom/broken.sql')", [run_id])
    page = write_report(db, tmp_path / "out").read_text(encoding="utf-8")
    assert '<span class="badge status-not-run">not run</span>' in page
    assert "<strong>Could not run:</strong> could not run: Catalog Error: Table nope does not exist" in page
    assert not (tmp_path / "out/failures/broken-check.csv").exists()


def test_gx_data_docs_link_only_when_built(report: Path, db: Path, tmp_path: Path) -> None:
    assert "GX Data Docs" not in report.read_text(encoding="utf-8")
    docs = tmp_path / "gx-docs"
    docs.mkdir()
    (docs / "index.html").write_text("<html></html>", encoding="utf-8")
    page = write_report(db, tmp_path / "out", gx_data_docs=docs).read_text(encoding="utf-8")
    assert '<a href="../gx-docs/index.html">Open Great Expectations Data Docs</a>' in page
    page = write_report(db, tmp_path / "out2", gx_data_docs=tmp_path / "not-built").read_text(encoding="utf-8")
    assert "GX Data Docs" not in page


# --------------------------------------------------------------------------- safety

def test_csv_cells_that_look_like_formulas_are_neutralised(db: Path, tmp_path: Path) -> None:
    cells = ['=HYPERLINK("x","y")', "+1+1", "-2", "@SUM(A1)", "\tTAB", "\rCR", "plain"]
    add_failures(db, "bounds-order", [{"row_key": f"k{i}", "value": cell, "message": cell, "column_name": cell}
                                      for i, cell in enumerate(cells)])
    write_report(db, tmp_path / "out")
    with (tmp_path / "out/failures/bounds-order.csv").open(encoding="utf-8", newline="") as fh:
        rows = {r["row_key"]: r for r in csv.DictReader(fh)}
    for i, cell in enumerate(cells):
        expected = cell if cell == "plain" else "'" + cell
        assert rows[f"k{i}"]["value"] == rows[f"k{i}"]["message"] == rows[f"k{i}"]["column_name"] == expected
    assert rows["ku-f02"]["line"] == "3"  # numbers stay numbers


def test_embedded_json_cannot_close_its_script_element(db: Path, tmp_path: Path) -> None:
    nasty = "</script><script>alert(1)</script><!-- & \u2028 \"quoted\""
    add_failures(db, "bounds-order", [{"row_key": "nasty", "message": nasty, "value": nasty}])
    index = write_report(db, tmp_path / "out")
    page = index.read_text(encoding="utf-8")
    assert "<script>alert(1)" not in page and "<!--" not in page
    assert page.count("</script>") == 2  # the data block and the report's script
    (row,) = [r for r in embedded_rows(index) if r["key"] == "nasty"]
    assert row["message"] == row["value"] == nasty


def test_markup_in_data_is_escaped_everywhere(db: Path, tmp_path: Path) -> None:
    payload = '"><img src=x onerror=alert(1)><script>alert(1)</script>'
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE datasets SET title = ? WHERE name = ?", [payload, SF])
        con.execute("UPDATE articles SET title = ?, url = 'javascript:alert(1)' WHERE article_id = 'sf-001'",
                    [payload])
        con.execute("UPDATE sources SET name = ?, aliases = [?, '</textarea>'] WHERE source_id = 'wire-a'",
                    [payload, payload])
    add_failures(db, "x-check", [{"message": payload, "dataset": SF, "article_id": "sf-001"}], result=True)
    out = tmp_path / "out"
    write_report(db, out)
    for path in [out / "index.html", out / "articles/synthetic-followups/sf-001.html",
                 out / "articles/synthetic-followups/sf-003.html"]:
        page = path.read_text(encoding="utf-8")
        assert "<img" not in page and "<script>alert" not in page and "</textarea>" not in page, path
        assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page, path
    article = (out / "articles/synthetic-followups/sf-001.html").read_text(encoding="utf-8")
    assert "<code class=\"path\">javascript:alert(1)</code>" in article and 'href="javascript' not in article


@pytest.mark.parametrize("name", ["../../etc/passwd", "a/b", "a\\b", "..", ".", "", "con", "CON", "x" * 300,
                                  "ünïcode id", "a_b", "a-b.c"])
def test_safe_names_are_plain_file_names(name: str) -> None:
    safe = safe_name(name)
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,100}", safe) and not safe.startswith(".")
    assert safe.lower() not in ("con", "..", ".")
    if name in ("a_b", "a-b.c"):
        assert safe == name  # ordinary ids keep their name
    assert safe_name("a/b") != safe_name("a_b")


def test_hostile_ids_are_written_inside_the_report(tmp_path: Path) -> None:
    ku = copy_dataset(KU, tmp_path)
    lines = (ku / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[0])
    record["article_id"] = "../../../escaped"
    (ku / "articles.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    db = tmp_path / "hostile.duckdb"
    load_dataset(ku, db)
    validate(db, select=["bounds-order"])
    add_failures(db, "../../../evil-check", [{"dataset": KU}], result=True)
    out = tmp_path / "deep" / "out"
    write_report(db, out)
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert article_page(KU, "../../../escaped") in written
    assert f"failures/{safe_name('../../../evil-check')}.csv" in written
    # Nothing next to the report or above it.
    assert {p.name for p in tmp_path.iterdir()} == {KU, "hostile.duckdb", "deep"}
    assert list((tmp_path / "deep").iterdir()) == [out]


# --------------------------------------------------------------------------- scale

def test_100000_failures_keep_index_under_5_mb(db: Path, tmp_path: Path) -> None:
    run_id = latest_run(db)
    checks = [f"bulk-{n}" for n in range(4)]
    with duckdb.connect(str(db)) as con:
        con.executemany("INSERT INTO qa_results VALUES (?, ?, 'warning', 'Bulk rows.', 'figures', 'failed', "
                        "25000, 1.0, NULL, 'SELECT 1', 'test')", [[run_id, c] for c in checks])
        con.execute(
            "INSERT INTO qa_failures (run_id, check_id, severity, table_name, row_key, column_name, value, message, "
            "dataset, file, line) SELECT ?, 'bulk-' || (i % 4), 'warning', 'figures', 'f-' || i, 'value', "
            "'value ' || i, 'figure f-' || i || ' reports a count that does not agree with the span recorded "
            "for it in the article text, see the evidence', 'korea-ukraine', 'figures.csv', i + 2 "
            "FROM range(100000) t(i)", [run_id])
    index = write_report(db, tmp_path / "out")
    assert index.stat().st_size < 5 * MB
    rows = embedded_rows(index)
    for check_id in checks:
        assert sum(1 for r in rows if r["check"] == check_id) >= 1_000
        with (tmp_path / f"out/failures/{check_id}.csv").open(encoding="utf-8", newline="") as fh:
            assert sum(1 for _ in csv.reader(fh)) == 25_000 + 1
    page = index.read_text(encoding="utf-8")
    assert "This page holds" in page and 'href="failures/bulk-0.csv"' in page
    assert re.search(r"This page holds the first [\d,]+ of 25,000 rows", page)


# --------------------------------------------------------------------------- templates

def test_user_templates_win_and_stay_escaped(db: Path, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    (templates / "assets").mkdir(parents=True)
    (templates / "_footer.html.j2").write_text(
        "<footer>Desk copy of {{ run.run_id }} {{ '<i>not markup</i>' }}</footer>\n", encoding="utf-8")
    css = "body { color: #222; }\n"
    (templates / "assets/report.css").write_text(css, encoding="utf-8")
    page = write_report(db, tmp_path / "out", templates=templates).read_text(encoding="utf-8")
    assert f"<footer>Desk copy of {latest_run(db)} &lt;i&gt;not markup&lt;/i&gt;</footer>" in page
    assert f"<style>{css}</style>" in page and f"style-src {sha256_source(css)}" in csp_of(page)
    assert "Failing rows" in page  # other templates are the built-in ones


def test_asset_that_could_close_its_element_is_refused(db: Path, tmp_path: Path) -> None:
    (tmp_path / "templates/assets").mkdir(parents=True)
    (tmp_path / "templates/assets/report.js").write_text("var s = '</script>';\n", encoding="utf-8")
    result = run_cli("report", "--db", db, "--out", tmp_path / "out", "--templates", tmp_path / "templates")
    assert result.exit_code == 2 and "may not contain </style> or </script>" in result.stderr


def test_missing_templates_folder_is_a_user_error(db: Path, tmp_path: Path) -> None:
    with pytest.raises(NewsproofError, match="templates folder not found"):
        write_report(db, tmp_path / "out", templates=tmp_path / "nope")


# --------------------------------------------------------------------------- errors and CLI

def test_database_without_runs_is_a_user_error(tmp_path: Path) -> None:
    db = tmp_path / "loaded.duckdb"
    load_dataset(DATASETS / KU, db)
    with pytest.raises(NewsproofError, match="no validation run") as exc:
        write_report(db, tmp_path / "out")
    assert "newsproof validate" in exc.value.hint
    result = run_cli("report", "--db", db, "--out", tmp_path / "out")
    assert result.exit_code == 2 and "no validation run" in result.stderr and "Traceback" not in result.stderr


def test_unknown_run_is_a_user_error(db: Path, tmp_path: Path) -> None:
    result = run_cli("report", "--db", db, "--out", tmp_path / "out", "--run", "20990101T000000Z-000000")
    assert result.exit_code == 2
    assert "no run '20990101T000000Z-000000'" in result.stderr and latest_run(db) in result.stderr


def test_report_command_prints_the_index_path(db: Path, tmp_path: Path) -> None:
    result = run_cli("report", "--db", db, "--out", tmp_path / "out")
    assert result.exit_code == 0
    assert result.stdout == f"{(tmp_path / 'out/index.html').resolve()}\n"
    assert (tmp_path / "out/index.html").is_file()


def test_validate_html_writes_the_report_of_that_run(db: Path, tmp_path: Path) -> None:
    result = run_cli("validate", "--db", db, "--select", "bounds-order", "--format", "json",
                     "--html", tmp_path / "html")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["run_id"] == latest_run(db)  # stdout stays pure JSON
    assert f"report: {(tmp_path / 'html/index.html').resolve()}" in result.stderr
    page = (tmp_path / "html/index.html").read_text(encoding="utf-8")
    assert latest_run(db) in page and 'id="check-bounds-order"' in page


# --------------------------------------------------------------------------- marks

def _render(nodes: list) -> str:
    return "".join(n if isinstance(n, str) else
                   f"[{n.span.span_id}{'*' if n.first else ''}:{_render(n.children)}]" for n in nodes)


def test_marks_nest_split_when_crossing_and_skip_bad_spans() -> None:
    def span(span_id: str, start: int, end: int) -> Span:
        return Span("figure", span_id, start, end, False, span_id)

    text = "0123456789abcdefghij"
    tree = mark_tree(text, [span("A", 0, 10), span("B", 5, 15), span("C", 7, 8), span("bad", 15, 99),
                            span("empty", 3, 3)])
    assert _render(tree) == "[A*:01234[B*:56[C*:7]89]][B:abcde]fghij"
    assert isinstance(tree[0], Mark) and tree[0].first
    assert _render(mark_tree("", [])) == "" and _render(mark_tree("abc", [])) == "abc"
