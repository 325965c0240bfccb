"""Hostile content in every text the HTML report shows, opened in a real headless Chromium.

A copy of synthetic-followups carries 34 script and markup vectors (script tags, event
handlers, javascript:/data: URLs, SVG, closing tags, srcdoc, CSS expression and url(), escaped
and template forms, quote and backtick attribute breakouts, meta refresh, base, form, ...) in
article titles, outlets, URLs, languages and texts, source names, countries and aliases, figure
value_text, unit, subject and measure, claim texts, attribution cues, the manifest's title and
licence, a user check's suite name, description and messages, and (as a hostile database could
hold them) check ids. On the index and every article page: no dialog, no script ran (a vector
would set `window.__pwned` or the title), no element or attribute came from the data, no request
left the report folder, and every vector is on the page as text.

The report's CSV exports neutralise spreadsheet formulas; `newsproof sql --format csv` is raw
data for programs and does not (SECURITY.md).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from chromium import chromium_available, launch, open_page
from conftest import DATASETS, read_db, run_cli
from newsproof.engine import validate
from newsproof.load import load_dataset
from newsproof.report import write_report
from newsproof.report.highlight import MAX_DEPTH

SF = "synthetic-followups"
TITLE = "newsproof report"
VECTORS = [
    "<script>window.__pwned=1</script>",
    "<img src=x onerror=\"window.__pwned=2\">",
    "<svg onload=\"window.__pwned=3\"></svg>",
    "<svg><script>window.__pwned=4</script></svg>",
    "javascript:window.__pwned=5",
    "data:text/html,<script>window.__pwned=6</script>",
    "</script><script>window.__pwned=7</script>",
    "</textarea><script>window.__pwned=8</script>",
    "<iframe srcdoc=\"<script>parent.__pwned=9</script>\"></iframe>",
    "<div style=\"width:expression(window.__pwned=10)\">css</div>",
    "<div style=\"background:url(javascript:window.__pwned=11)\">css</div>",
    "\\u003cscript\\u003ewindow.__pwned=12\\u003c/script\\u003e",
    "{{ 7*7 }}{% print(7*191) %}${7*7}",
    "\" onmouseover=\"window.__pwned=14\" x=\"",
    "' onfocus='window.__pwned=15' autofocus x='",
    "` onclick=`window.__pwned=16` x=`",
    "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\">",
    "<base href=\"https://evil.example/\">",
    "<form action=\"https://evil.example/\"><button>go</button></form>",
    "<a href=\"javascript:window.__pwned=20\">click</a>",
    "<object data=\"javascript:window.__pwned=21\"></object>",
    "<details open ontoggle=\"window.__pwned=22\">",
    "<style>@import 'https://evil.example/x.css';</style>",
    "<link rel=stylesheet href=https://evil.example/x.css>",
    "<!-- ]]> <![CDATA[",
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__pwned=26>",
    "<body onload=\"window.__pwned=27\">",
    "<input autofocus onfocus=\"window.__pwned=28\">",
    "<title>PWNED</title>",
    "<noscript><p title=\"</noscript><img src=x onerror=window.__pwned=30>\">",
    "%3Cscript%3Ewindow.__pwned=31%3C/script%3E",
    "&lt;script&gt;window.__pwned=32&lt;/script&gt;",
    "\\x3cscript\\x3ewindow.__pwned=33\\x3c/script\\x3e",
    "<img src=\"https://evil.example/beacon.gif\"><script>alert(34)</script>",
]
# Where each vector goes: (table, column). Three vectors per field, every vector in some field.
FIELDS = [("articles", "title"), ("articles", "outlet"), ("articles", "text"), ("sources", "name"),
          ("sources", "kind"), ("sources", "aliases"), ("figures", "value_text"), ("figures", "unit"),
          ("figures", "subject"), ("figures", "measure"), ("claims", "text"), ("attributions", "cue"),
          ("manifest", "title"), ("manifest", "license"), ("suite", "description")]
# Whole-value fields: a URL and a language tag are attribute-shaped.
WHOLE = {("articles", "url"): "javascript:window.__pwned=100",
         ("articles", "language"): "en\" onmouseover=\"window.__pwned=101\" x=\""}
FORMULAS = ["=HYPERLINK(\"https://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
USER_CHECK_SQL = """SELECT 'figures' AS table_name, figure_id AS row_key, 'value_text' AS column_name,
       value_text AS value, 'figure ' || value_text || ' counts ' || unit || ' of ' || subject || ', ' || measure AS message,
       _dataset AS dataset, _file AS file, _line AS line, article_id, char_start, char_end
FROM figures
UNION ALL
SELECT 'figures', 'formula-' || i, m, m, m, 'synthetic-followups', m, 2, NULL, NULL, NULL
FROM (VALUES {formulas}) v(i, m)
"""

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="needs the system Chromium at /usr/bin/chromium"),
]


def vectors_for(field: tuple[str, str]) -> list[str]:
    j = FIELDS.index(field)
    return [VECTORS[(3 * j + k) % len(VECTORS)] for k in range(3)]


def hostile(field: tuple[str, str], value: str | None) -> str:
    payload = " ".join(vectors_for(field))
    if field[1] == "aliases":
        return "|".join(f"{a} {payload}" for a in (value or "alias").split("|"))
    return f"{value} {payload}" if value else payload


def rewrite_csv(path: Path, table: str) -> None:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        for (t, column) in FIELDS:
            if t == table:
                row[column] = hostile((t, column), row[column])
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def build_dataset(root: Path) -> Path:
    ds = Path(shutil.copytree(DATASETS / SF, root / SF))
    lines = []
    for line in (ds / "articles.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        for (table, column) in FIELDS:
            if table == "articles":
                record[column] = hostile((table, column), record[column])
        for (table, column), value in WHOLE.items():
            record[column] = value
        lines.append(json.dumps(record, ensure_ascii=False))
    (ds / "articles.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for table in ("sources", "figures", "claims", "attributions"):
        rewrite_csv(ds / f"{table}.csv", table)
    manifest = (ds / "dataset.yaml").read_text(encoding="utf-8")
    manifest = manifest.replace('title: "[SYNTHETIC] Invented follow-up wire reports on North Korean troop counts"',
                                "title: " + json.dumps(hostile(("manifest", "title"), "Hostile")))
    manifest = manifest.replace("license: Apache-2.0", "license: " + json.dumps(hostile(("manifest", "license"), "")))
    (ds / "dataset.yaml").write_text(manifest, encoding="utf-8")
    return ds


def build_suite(root: Path) -> Path:
    # Control characters as chr(): the suite reads SQL files as text, which folds a CR into LF.
    formulas = ", ".join(f"({i}, " + " || ".join(f"chr({ord(c)})" for c in f) + ")" for i, f in enumerate(FORMULAS))
    (root / "hostile-check.sql").write_text(USER_CHECK_SQL.format(formulas=formulas), encoding="utf-8")
    suite = {
        "suite": VECTORS[0] + " suite",
        "description": VECTORS[1],
        "params": {"about_tolerance": 0.1},
        "checks": ["qualifier-bounds", "attribution-missing", "article-text-hash", "contract-enum", {
            "id": "hostile-check", "sql": "hostile-check.sql", "severity": "error", "tables": ["figures"],
            "description": " ".join(vectors_for(("suite", "description"))),
        }],
    }
    path = root / "hostile.yaml"
    path.write_text(json.dumps(suite), encoding="utf-8")  # JSON is YAML
    return path


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile-report")
    ds = build_dataset(root)
    db = root / "hostile.duckdb"
    assert load_dataset(ds, db).rows_rejected == 0
    validate(db, suite=str(build_suite(root)))
    con = duckdb.connect(str(db))
    try:  # check ids are kebab-case in suites; a hostile database could still hold any
        run_id = con.execute("SELECT run_id FROM qa_runs").fetchone()[0]
        for n, vector in enumerate(VECTORS[:6]):
            con.execute("INSERT INTO qa_results VALUES (?, ?, 'warning', ?, 'figures', 'failed', 1, 1.0, ?, ?, ?)",
                        [run_id, f"{vector}-{n}", vector, vector, vector, vector])
            con.execute("INSERT INTO qa_failures (run_id, check_id, severity, table_name, row_key, message, dataset, "
                        "file, line) VALUES (?, ?, 'warning', 'figures', ?, ?, ?, 'figures.csv', 2)",
                        [run_id, f"{vector}-{n}", vector, vector, SF])
    finally:
        con.close()
    return write_report(db, root / "out")


@pytest.fixture(scope="module")
def browser():
    with launch() as chromium:
        yield chromium


# Every element or attribute that could run, load or navigate, as the page holds them.
INSPECT_JS = """() => {
  const handlers = [], urls = [], counts = {};
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (attr.name.startsWith('on')) handlers.push(el.tagName + '[' + attr.name + ']');
      if (['href', 'src', 'action', 'data', 'formaction', 'srcdoc', 'xlink:href'].includes(attr.name)
          && !/^(#|index\\.html|\\.\\.\\/\\.\\.\\/index\\.html|articles\\/|failures\\/)/.test(attr.value))
        urls.push(el.tagName + '[' + attr.name + '=' + attr.value + ']');
    }
  }
  for (const sel of ['script', 'style', 'head > title', 'title:not(svg *)', 'form', 'input', 'noscript',
                     'svg:not(.history-svg):not(.verdict-icon)', 'base', 'link', 'img', 'iframe',
                     'frame', 'object', 'embed', 'textarea', 'math', 'video', 'audio', 'source', 'meta[http-equiv]',
                     'meta[http-equiv="Content-Security-Policy"]'])
    counts[sel] = document.querySelectorAll(sel).length;
  return {handlers, urls, counts};
}"""
NEVER = ("base", "link", "img", "iframe", "frame", "object", "embed", "textarea", "math", "video", "audio", "source")


def page_text(page) -> str:
    return page.evaluate("() => document.body.innerText")


def assert_untouched(watched, out: Path, scripts: int) -> None:
    page = watched.page
    assert watched.dialogs == []
    assert page.evaluate("() => window.__pwned") is None
    assert page.title().endswith(TITLE)
    found = page.evaluate(INSPECT_JS)
    assert found["handlers"] == [] and found["urls"] == []
    counts = found["counts"]
    assert {tag: counts[tag] for tag in NEVER} == dict.fromkeys(NEVER, 0)
    index = scripts > 0  # the index page has the filter form and the history chart
    assert (counts["script"], counts["style"], counts["head > title"], counts["title:not(svg *)"]) == (scripts, 1, 1, 1)
    assert (counts["form"], counts["input"], counts["noscript"]) == ((1, 1, 1) if index else (0, 0, 0))
    assert counts["meta[http-equiv]"] == counts['meta[http-equiv="Content-Security-Policy"]'] == 1
    assert counts["svg:not(.history-svg):not(.verdict-icon)"] == 0
    assert watched.foreign_requests == []
    root = out.resolve().as_uri()
    assert all(url.startswith(root) for url in watched.requests), watched.requests
    assert watched.page_errors == []


def article_pages(out: Path) -> list[Path]:
    return sorted((out / "articles").rglob("*.html"))


def test_no_vector_runs_or_loads_anything_and_all_show_as_text(browser, report):
    out = report.parent
    shown = []
    watched = open_page(browser, report)
    page = watched.page
    page.fill("#f-text", "")  # every finding row rendered by the page script, from the JSON data
    page.mouse.move(200, 200)
    page.keyboard.press("Tab")
    shown.append(page_text(page))
    assert_untouched(watched, out, scripts=2)
    # Filtering re-renders the rows with text from the data.
    page.fill("#f-text", "pwned")
    shown.append(page_text(page))
    assert_untouched(watched, out, scripts=2)
    watched.close()
    pages = article_pages(out)
    assert len(pages) == 3
    for path in pages:
        watched = open_page(browser, path)
        watched.page.hover(".article-text")
        shown.append(page_text(watched.page))
        assert_untouched(watched, out, scripts=0)
        watched.close()
    everything = "\n".join(shown)
    missing = [v for v in VECTORS if v.strip() not in everything]
    assert missing == [], "vectors not shown as text"
    for value in WHOLE.values():
        if "onmouseover" not in value:  # the language tag is an attribute, not shown
            assert value in everything


def test_every_field_shows_its_vectors(browser, report):
    out = report.parent
    texts = {}
    for path in [report, *article_pages(out)]:
        watched = open_page(browser, path)
        texts[path.name] = page_text(watched.page)
        watched.close()
    everything = "\n".join(texts.values())
    for field in FIELDS:
        for vector in vectors_for(field):
            assert vector.strip() in everything, (field, vector)
    assert hostile(("articles", "title"), "x").split(" ", 1)[1] in "".join(
        t for name, t in texts.items() if name != "index.html")


def test_report_csvs_neutralise_formulas_and_keep_the_rest(report):
    path = report.parent / "failures" / "hostile-check.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    formula_rows = [r for r in rows if r["row_key"].startswith("formula-")]
    assert len(formula_rows) == len(FORMULAS)
    for row in formula_rows:
        for column in ("column_name", "value", "message", "file"):
            assert row[column][0] == "'" and row[column][1:] in FORMULAS, (column, row[column])
    # Nothing else changes: the other text is as in the database.
    assert any(VECTORS[0] in r["message"] or VECTORS[0] in r["value"] for r in rows) or rows
    for any_csv in (report.parent / "failures").glob("*.csv"):
        with any_csv.open(encoding="utf-8", newline="") as fh:
            for record in csv.reader(fh):
                assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in record), any_csv


def test_sql_csv_is_raw_data(report):
    db = report.parent.parent / "hostile.duckdb"
    result = run_cli("sql", "SELECT message FROM qa_failures WHERE row_key LIKE 'formula-%' ORDER BY row_key",
                     "--db", db, "--format", "csv")
    assert result.exit_code == 0
    assert [row[0] for row in csv.reader(io.StringIO(result.stdout))][1:] == FORMULAS


def test_an_article_with_thousands_of_stacked_spans_renders(browser, tmp_path):
    """Any number of figures on one phrase: marks nest at most MAX_DEPTH deep, the page renders."""
    ds = Path(shutil.copytree(DATASETS / SF, tmp_path / SF))
    with (ds / "figures.csv").open("a", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        for i in range(3_000):
            writer.writerow([f"stack-{i}", "sf-001", "", 85, 103, "about 3,000 troops", 3000, "about", 2700, 3300,
                             "troop", "north-korean-troops", "sent-to-russia-for-training", "2024-10-28", ""])
    db = tmp_path / "stack.duckdb"
    load_dataset(ds, db)
    validate(db, select=["qualifier-bounds"])
    index = write_report(db, tmp_path / "out")
    page_path = next(p for p in article_pages(index.parent) if "sf-001" in p.name)
    watched = open_page(browser, page_path)
    depth = watched.page.evaluate("() => { let d = 0, el = document.querySelector('.article-text mark');"
                                  " while (el) { d++; el = el.querySelector(':scope > mark'); } return d; }")
    assert depth == MAX_DEPTH
    assert "about 3,000 troops" in watched.page.inner_text(".article-text")
    watched.close()
    with read_db(db) as con:
        assert con.execute("SELECT count(*) FROM figures").fetchone()[0] == 3_000 + 4
