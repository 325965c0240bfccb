"""Drive the system's headless Chromium (Debian `chromium`) through playwright, offline.

Only the browser binary at /usr/bin/chromium is used (no downloaded browser). Every page is
opened in a fresh context that records console errors, page errors, requests and dialogs, and
refuses any request that is not a file:// URL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run"]
LAPTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
_NOT_FILE = re.compile(r"^(?!file:)")


def chromium_available() -> bool:
    return CHROMIUM.is_file()


@contextmanager
def launch() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class WatchedPage:
    page: object
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    @property
    def foreign_requests(self) -> list[str]:
        return [url for url in self.requests if not url.startswith("file://")]

    def close(self) -> None:
        self.page.context.close()


def open_page(browser, path: Path, viewport: dict | None = None) -> WatchedPage:
    """Open a local file in a fresh context and record everything it does."""
    context = browser.new_context(viewport=viewport or LAPTOP)
    context.route(_NOT_FILE, lambda route: route.abort())
    page = context.new_page()
    watched = WatchedPage(page)
    page.on("console", lambda msg: watched.console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: watched.page_errors.append(str(exc)))
    page.on("request", lambda request: watched.requests.append(request.url))

    def on_dialog(dialog) -> None:
        watched.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(path.resolve().as_uri())
    return watched
