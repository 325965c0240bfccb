"""Write the HTML report of one validation run into a folder.

Layout of the folder:
  index.html                       summary, checks, failing rows, articles, run history
  failures/<check-id>.csv          every failing row of each failing check
  articles/<dataset>/<article>.html  article text with figures and claims marked by status

Pages are self-contained (CSS and JS inline, no external URL) and carry a Content-Security-Policy
that allows only the report's own script and stylesheet, by hash: markup injected through data
could neither run nor load anything even if it got past escaping.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

import duckdb
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined
from markupsafe import Markup

from .. import __version__
from ..errors import NewsproofError
from ..store import connect
from . import data
from .articles import article_pages
from .chart import history_chart
from .csv_export import write_failure_csvs
from .embed import embedded_rows, json_script
from .paths import article_page, failures_csv, inside, safe_name

CSS_ASSET, JS_ASSET = "assets/report.css", "assets/report.js"


def environment(templates: str | Path | None = None) -> Environment:
    """Jinja with autoescape on everywhere; a template in `templates` wins over the built-in one."""
    loaders = [PackageLoader("newsproof.report", "templates")]
    if templates is not None:
        folder = Path(templates)
        if not folder.is_dir():
            raise NewsproofError("templates folder not found", file=str(folder),
                                 hint="give a folder holding templates named like the built-in ones")
        loaders.insert(0, FileSystemLoader(str(folder)))
    env = Environment(loader=ChoiceLoader(loaders), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["json_script"] = json_script
    env.filters["thousands"] = lambda n: f"{n:,}" if isinstance(n, int) else n
    env.globals.update(safe_name=safe_name, failures_csv=failures_csv, article_page=article_page)
    return env


def _asset(env: Environment, name: str) -> str:
    # Assets are inlined verbatim (not rendered): their bytes are what the CSP hash covers.
    source, filename, _ = env.loader.get_source(env, name)
    if re.search(r"</(style|script)", source, re.I):
        raise NewsproofError("an inline asset may not contain </style> or </script>", file=filename)
    return source


def _sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def content_security_policy(css: str, js: str | None) -> str:
    script = _sha256_source(js) if js is not None else "'none'"
    return (f"default-src 'none'; script-src {script}; style-src {_sha256_source(css)}; img-src data:; "
            "base-uri 'none'; form-action 'none'")


def _gx_docs_href(gx_data_docs: str | Path | None, out_dir: Path) -> str | None:
    """A link to built GX Data Docs, relative to the report when it can be."""
    if gx_data_docs is None:
        return None
    target = Path(gx_data_docs)
    if target.is_dir():
        target = target / "index.html"
    if not target.is_file():
        return None
    try:
        return quote(Path(os.path.relpath(target.resolve(), out_dir.resolve())).as_posix())
    except ValueError:  # another drive on Windows: no relative path exists
        return target.resolve().as_uri()


def _write(out_dir: Path, relative: str, text: str) -> Path:
    path = inside(out_dir, relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _render_report(con: duckdb.DuckDBPyConnection, db_label: str, out_dir: Path, run_id: str | None,
                   templates: str | Path | None, gx_data_docs: str | Path | None) -> Path:
    env = environment(templates)
    css, js = _asset(env, CSS_ASSET), _asset(env, JS_ASSET)
    run = data.find_run(con, db_label, run_id)
    checks = data.check_rows(con, run.run_id)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_paths = write_failure_csvs(con, run.run_id, out_dir)
    embedded = embedded_rows(con, run.run_id, [c.check_id for c in checks],
                             link_articles=data.has_article_tables(con))
    article_list, article_total = data.articles(con, run)
    common = {
        "css": Markup(css), "version": __version__, "run": run,
        "generated_at": datetime.now(timezone.utc).replace(microsecond=0),
    }
    article_template = env.get_template("article.html.j2")
    for page in article_pages(con, run):
        html = article_template.render(**common, csp=content_security_policy(css, None), page=page, root="../../")
        _write(out_dir, page.path, html)
    html = env.get_template("index.html.j2").render(
        **common, csp=content_security_policy(css, js), js=Markup(js), db_label=db_label,
        checks=checks, counts=data.severity_counts(checks), not_run=data.not_run_count(checks),
        datasets=data.datasets(con, run), csv_paths=csv_paths, embedded=embedded,
        total_failures=sum(c.failure_count for c in checks),
        chart=history_chart(data.history(con, run), run.run_id),
        articles=article_list, article_total=article_total,
        gx_docs_href=_gx_docs_href(gx_data_docs, out_dir),
    )
    return _write(out_dir, "index.html", html)


def write_report(db: str | Path, out_dir: str | Path, *, run_id: str | None = None,
                 templates: str | Path | None = None, gx_data_docs: str | Path | None = None,
                 con: duckdb.DuckDBPyConnection | None = None) -> Path:
    """Write the HTML report of a validation run (default: the latest) into `out_dir`; return
    the path of its index.html. Writes only inside `out_dir`, which is created if needed."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise NewsproofError("report folder is a file", file=str(out), hint="give a folder for --out")
    own = con is None
    con = con or connect(db, read_only=True)
    try:
        return _render_report(con, str(db), out, run_id, templates, gx_data_docs)
    finally:
        if own:
            con.close()
