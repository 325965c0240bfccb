"""The HTML report in a real headless Chromium, opened from file:// with the network refused:
no console error, no request outside the report, filtering and paging by click and keyboard,
printing, phone width, and markup in the data shown as text that never runs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import expect

from chromium import PHONE, chromium_available, launch, open_page
from conftest import copy_dataset, mutate_csv, mutate_jsonl
from newsproof.engine import validate
from newsproof.load import load_dataset
from newsproof.report import write_report

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="needs the system Chromium at /usr/bin/chromium"),
]

KU, SF = "korea-ukraine", "synthetic-followups"
CHECKS = ["qualifier-bounds", "bounds-order", "figure-unit-singular", "attribution-missing", "article-text-hash"]
BULK_ROWS = 1_200
XSS = {
    "script": "<script>alert(1)</script>",
    "img": '"><img src=x onerror=alert(1)>',
    "link": "javascript:alert(1)",
    "textarea": "</textarea>",
    "close": "</script>",
}


def _latest_run(db: Path) -> str:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT run_id FROM qa_runs ORDER BY started_at DESC LIMIT 1").fetchone()[0]
    finally:
        con.close()


@pytest.fixture(scope="module")
def browser():
    with launch() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def big_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real run over mutated datasets plus 1,200 bulk failing rows (two checks, two severities)."""
    folder = tmp_path_factory.mktemp("browser-report")
    ku, sf = copy_dataset(KU, folder), copy_dataset(SF, folder)
    mutate_csv(ku / "figures.csv", "ku-f01", "upper", "2000")
    mutate_csv(ku / "figures.csv", "ku-f02", "lower", "5")
    mutate_csv(sf / "figures.csv", "sf-f02", "unit", "soldiers")
    db = folder / "report.duckdb"
    load_dataset(ku, db)
    load_dataset(sf, db)
    validate(db, select=CHECKS)
    run_id = _latest_run(db)
    con = duckdb.connect(str(db))
    try:
        con.executemany("INSERT INTO qa_results VALUES (?, ?, ?, 'Bulk rows for paging.', 'figures', 'failed', ?, "
                        "1.0, NULL, 'SELECT 1', 'test')",
                        [[run_id, "bulk-errors", "error", 800], [run_id, "bulk-infos", "info", 400]])
        con.execute(
            "INSERT INTO qa_failures (run_id, check_id, severity, table_name, row_key, column_name, value, message, "
            "dataset, file, line) SELECT ?, CASE WHEN i < 800 THEN 'bulk-errors' ELSE 'bulk-infos' END, "
            "CASE WHEN i < 800 THEN 'error' ELSE 'info' END, 'figures', 'bulk-' || i, 'value', 'v' || i, "
            "'bulk row number ' || i || ' token' || i || 'x', 'korea-ukraine', 'figures.csv', i + 2 "
            "FROM range(?) t(i)", [run_id, BULK_ROWS])
    finally:
        con.close()
    return write_report(db, folder / "out")


@pytest.fixture(scope="module")
def xss_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A report whose article text, titles, source names and aliases, URL, check messages and
    user check ids carry markup and script payloads."""
    folder = tmp_path_factory.mktemp("xss-report")
    sf = copy_dataset(SF, folder)
    text = json.loads((sf / "articles.jsonl").read_text(encoding="utf-8").splitlines()[0])["text"]
    payloads = " ".join(XSS.values())
    mutate_jsonl(sf / "articles.jsonl", "sf-001", "text", text + " " + payloads)  # spans stay valid
    mutate_jsonl(sf / "articles.jsonl", "sf-001", "title", XSS["script"] + " title")
    mutate_jsonl(sf / "articles.jsonl", "sf-001", "url", XSS["link"])
    mutate_csv(sf / "sources.csv", "kr-intelligence-agency", "name", XSS["script"] + " agency")
    mutate_csv(sf / "sources.csv", "kr-intelligence-agency", "aliases", XSS["img"] + "|" + XSS["textarea"])
    db = folder / "xss.duckdb"
    load_dataset(sf, db)
    validate(db, select=["article-text-hash", "attribution-missing"])
    run_id = _latest_run(db)
    user_check = XSS["img"] + "-check"
    con = duckdb.connect(str(db))
    try:
        con.execute("INSERT INTO qa_results VALUES (?, ?, 'error', ?, 'figures', 'failed', 1, 1.0, ?, ?, ?)",
                    [run_id, user_check, XSS["script"], XSS["textarea"], XSS["close"] + XSS["script"], XSS["link"]])
        con.execute(
            "INSERT INTO qa_failures (run_id, check_id, severity, table_name, row_key, value, message, dataset, "
            "file, line, article_id, char_start, char_end, evidence) "
            "VALUES (?, ?, 'error', 'figures', 'sf-f01', ?, ?, ?, 'figures.csv', 2, 'sf-001', 85, 103, ?)",
            [run_id, user_check, XSS["link"], "message " + payloads, SF,
             json.dumps({"recorded_chain": [XSS["script"]], "expected_chain": [XSS["textarea"]], "note": XSS["img"]})])
    finally:
        con.close()
    return write_report(db, folder / "out")


def status_text(page) -> str:
    return page.locator("#f-status").inner_text()


def body_rows(page) -> int:
    return page.locator("#findings-body > tr").count()


def assert_clean(watched) -> None:
    assert watched.console_errors == [] and watched.page_errors == []
    assert watched.foreign_requests == []
    assert watched.requests and all(url.startswith("file://") for url in watched.requests)


def test_report_loads_offline_without_errors(browser, big_report: Path, tmp_path: Path) -> None:
    watched = open_page(browser, big_report)
    page = watched.page
    assert page.locator("#verdict").inner_text() == "FAILED"
    assert page.locator(".banner .tile-count").first.inner_text() == f"{800 + 3:,}"
    assert status_text(page) == f"Rows 1–50 of {BULK_ROWS + 4:,} matching"
    assert body_rows(page) == 50
    page.screenshot(path=str(tmp_path / "report-laptop.png"), full_page=True)
    assert (tmp_path / "report-laptop.png").stat().st_size > 0
    assert_clean(watched)
    watched.close()


def test_paging_and_filtering_by_click(browser, big_report: Path) -> None:
    watched = open_page(browser, big_report)
    page = watched.page
    total = BULK_ROWS + 4
    pages = -(-total // 50)
    assert page.locator("#p-info").inner_text() == f"Page 1 of {pages}"
    assert page.locator("#p-prev").is_disabled() and page.locator("#p-first").is_disabled()
    page.click("#p-next")
    assert status_text(page) == f"Rows 51–100 of {total:,} matching"
    page.click("#p-last")
    assert page.locator("#p-info").inner_text() == f"Page {pages} of {pages}"
    assert page.locator("#p-next").is_disabled() and body_rows(page) == total - 50 * (pages - 1)
    page.click("#p-first")
    assert page.locator("#p-info").inner_text() == f"Page 1 of {pages}"

    page.select_option("#f-severity", label="info")
    assert status_text(page) == f"Rows 1–50 of 400 matching (of {total:,} in this page)"
    assert set(page.locator("#findings-body .badge").all_inner_texts()) == {"info"}

    page.select_option("#f-severity", label="All severities")
    page.select_option("#f-check", label="bounds-order (1)")
    assert body_rows(page) == 1 and "lower bound 5.0 is above upper bound 4.0" in page.inner_text("#findings-body")
    assert page.locator("#findings-body mark").inner_text() == "four brigades"

    page.select_option("#f-check", label="All checks")
    page.fill("#f-text", "token1099x")
    expect(page.locator("#findings-body > tr")).to_have_count(1)
    assert "bulk row number 1099 token1099x" in page.inner_text("#findings-body")
    page.fill("#f-text", "no such row anywhere")
    expect(page.locator("#findings-body > tr")).to_have_count(0)
    assert status_text(page) == "No row matches the filters."

    page.click("#f-reset")
    expect(page.locator("#f-status")).to_have_text(f"Rows 1–50 of {total:,} matching")
    page.select_option("#f-size", "250")
    assert body_rows(page) == 250 and page.locator("#p-info").inner_text() == f"Page 1 of {-(-total // 250)}"
    assert_clean(watched)
    watched.close()


def test_show_rows_button_filters_to_its_check(browser, big_report: Path) -> None:
    watched = open_page(browser, big_report)
    page = watched.page
    page.locator("#check-bulk-infos button.show-rows").click()
    assert status_text(page) == f"Rows 1–50 of 400 matching (of {BULK_ROWS + 4:,} in this page)"
    assert page.evaluate("document.activeElement.id") == "f-check"
    watched.close()


def test_keyboard_only(browser, big_report: Path) -> None:
    watched = open_page(browser, big_report)
    page = watched.page
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.focus("#p-next")
    page.keyboard.press("Enter")
    assert page.locator("#p-info").inner_text().startswith("Page 2 of")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.focus("#f-text")
    page.keyboard.type("token5x")
    expect(page.locator("#findings-body > tr")).to_have_count(1)
    page.focus("#f-severity")
    page.keyboard.press("ArrowDown")  # error
    assert page.locator("#f-severity").input_value() == "0"
    watched.close()


def test_print_shows_every_embedded_row_without_controls(browser, big_report: Path) -> None:
    watched = open_page(browser, big_report)
    page = watched.page
    page.emulate_media(media="print")
    expect(page.locator("#findings-body > tr")).to_have_count(BULK_ROWS + 4)
    assert not page.locator("#filters").is_visible() and not page.locator(".pager").is_visible()
    assert page.locator("details.passed-group").get_attribute("open") is not None
    page.emulate_media(media="screen")
    expect(page.locator("#findings-body > tr")).to_have_count(50)
    assert page.locator("#filters").is_visible()
    watched.close()


def test_phone_width_has_no_sideways_scroll(browser, big_report: Path, tmp_path: Path) -> None:
    watched = open_page(browser, big_report, viewport=PHONE)
    page = watched.page
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.locator("#findings-body td").first.evaluate("td => getComputedStyle(td).display") == "block"
    page.screenshot(path=str(tmp_path / "report-phone.png"), full_page=False)
    assert_clean(watched)
    watched.close()


def test_article_page_in_the_browser(browser, big_report: Path, tmp_path: Path) -> None:
    watched = open_page(browser, big_report.parent / "articles/korea-ukraine/ku-001.html")
    page = watched.page
    failing = page.locator(".article-text mark.span-figure.is-failing")
    assert failing.all_inner_texts() == ["over 1,500 soldiers", "four brigades"]
    assert page.locator(".article-text mark.span-figure.is-clean").count() == 3
    assert page.locator("#figure-ku-f01").is_visible()
    page.screenshot(path=str(tmp_path / "article.png"), full_page=True)
    assert_clean(watched)
    watched.close()


def test_copy_button_reports_what_it_did(browser, big_report: Path) -> None:
    watched = open_page(browser, big_report)
    page = watched.page
    button = page.locator("#check-bounds-order button.copy")
    button.click()
    expect(page.locator("#check-bounds-order .copy-status")).to_have_text(re.compile("^(Copied|Selected: press Ctrl\\+C)$"))
    watched.close()


@pytest.mark.parametrize("page_path", ["index.html", "articles/synthetic-followups/sf-001.html"])
def test_payloads_show_as_text_and_never_run(browser, xss_report: Path, page_path: str, tmp_path: Path) -> None:
    watched = open_page(browser, xss_report.parent / page_path)
    page = watched.page
    if page_path == "index.html":
        page.fill("#f-text", "message")
        expect(page.locator("#findings-body > tr")).to_have_count(1)
        row = page.inner_text("#findings-body")
        assert all(payload in row for payload in XSS.values())
        assert XSS["img"] + "-check" in page.inner_text("#checks")
        assert XSS["script"] in page.inner_text("#checks")  # the user check's description
        assert page.locator("#findings-body mark").inner_text() == "about 3,000 troops"
    else:
        text = page.inner_text(".article-text")
        assert all(payload in text for payload in XSS.values())
        assert XSS["script"] + " agency" in page.inner_text("main")
        assert XSS["img"] in page.inner_text("main")
        assert page.locator("h1").inner_text() == XSS["script"] + " title"
        assert page.get_by_text(XSS["link"], exact=True).is_visible()
    page.screenshot(path=str(tmp_path / "xss.png"), full_page=True)
    assert watched.dialogs == []
    assert page.locator("img").count() == 0 and page.locator("a[href^='javascript']").count() == 0
    assert page.locator("script").count() == (2 if page_path == "index.html" else 0)
    assert page.locator("textarea").count() == 0
    assert_clean(watched)
    watched.close()
