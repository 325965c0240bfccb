"""Great Expectations 1.x suites as newsproof checks: `validators/gx/<table>.yaml` -> check `gx-<suite>`.

A suite file is versioned YAML naming one table and a list of expectations in GX's snake_case
names (`{type: expect_column_values_to_not_be_null, kwargs: {column: figure_id}}`), mapped to the
`gx.expectations.<CamelCase>` classes. GX runs on bounded pandas batches read from DuckDB, one
dataset at a time (see docs/gx.md for why not GX's SQL data source). Every unexpected row becomes
a failure with its dataset file and line; an expectation that cannot run becomes a failure that
says so, pointing at its line in the suite file. Expectations over the whole table (uniqueness,
min/max, row counts) run only when a dataset's rows fit one batch; otherwise they are reported as
not run, with the reason, since per batch they would be wrong.

GX imports slowly (seconds): it is imported on first use only, with its usage statistics off,
no progress bars, and one ephemeral context per process.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import re
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import yaml

from ..contracts import PROVENANCE_COLUMNS, Contract, quiet_pyspark
from ..errors import NewsproofError
from ..store import connect
from .base import CHECK_ID, SEVERITIES, Check, CheckContext, Failure
from .contract import (DEFAULT_BATCH_ROWS, batch_rows_param, cell_text, read_batches, row_key,
                       table_columns)

PROVENANCE = tuple(name for name, _ in PROVENANCE_COLUMNS)
_TYPE_NAME = re.compile(r"^expect_[a-z0-9_]+$")
# Map expectations whose verdict on a row depends on other rows: per batch they would be wrong.
CROSS_ROW = frozenset({
    "expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique",
    "expect_column_values_to_be_increasing", "expect_column_values_to_be_decreasing",
    "expect_column_value_z_scores_to_be_less_than", "expect_column_values_to_not_be_outliers",
})
# Expectations about the table's columns only: the same in every batch, so run on the first.
SCHEMA_ONLY = frozenset({
    "expect_column_to_exist", "expect_column_type_to_be", "expect_table_columns_to_match_set",
    "expect_table_columns_to_match_ordered_list", "expect_table_column_count_to_equal",
    "expect_table_column_count_to_be_between",
})
_COLUMN_KWARGS = ("column", "column_A", "column_B", "column_list")
RESULT_FORMAT = {"result_format": "COMPLETE"}


@dataclass(frozen=True)
class ExpectationSpec:
    type: str
    kwargs: dict[str, Any]
    line: int | None  # line of the entry in the suite file

    @property
    def columns(self) -> list[str]:
        cols: list[str] = []
        for key in _COLUMN_KWARGS:
            value = self.kwargs.get(key)
            cols += [str(v) for v in value] if isinstance(value, list) else [str(value)] if value else []
        return cols

    @property
    def arguments(self) -> str:
        """The kwargs other than the columns, for messages: `regex='^[a-z]+$', mostly=0.9`."""
        return ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items() if k not in _COLUMN_KWARGS)


@dataclass(frozen=True)
class GxSuite:
    name: str
    version: str
    table: str
    severity: str
    description: str
    expectations: tuple[ExpectationSpec, ...]
    path: Path


def _entry_lines(text: str) -> list[int | None]:
    """Line number of each item of the top-level `expectations:` list (for could-not-run rows)."""
    root = yaml.compose(text)
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if key.value == "expectations" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def read_gx_suite(path: str | Path) -> GxSuite:
    """Read and check one GX suite file (without importing GX)."""
    path = Path(path)
    if not path.is_file():
        raise NewsproofError("GX suite file not found", file=str(path))
    text = path.read_text(encoding="utf-8")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise NewsproofError(f"not valid YAML: {getattr(exc, 'problem', exc)}", file=str(path),
                             line=mark.line + 1 if mark else None) from None
    if not isinstance(raw, dict):
        raise NewsproofError("a GX suite is a mapping with suite, version, table and expectations",
                             file=str(path))
    for needed in ("suite", "version", "table", "expectations"):
        if needed not in raw:
            raise NewsproofError(f"a GX suite needs {needed!r}", file=str(path),
                                 hint="see validators/gx/figures.yaml for the layout")
    name = str(raw["suite"])
    if not CHECK_ID.match(name):
        raise NewsproofError(f"suite name {name!r} is not kebab-case", file=str(path),
                             hint="the check id is gx-<suite>: use lower-case letters, digits and hyphens")
    severity = str(raw.get("severity", "error"))
    if severity not in SEVERITIES:
        raise NewsproofError(f"unknown severity {severity!r}", file=str(path),
                             hint="use one of " + ", ".join(SEVERITIES))
    if not isinstance(raw["expectations"], list):
        raise NewsproofError("'expectations' must be a list", file=str(path))
    lines = _entry_lines(text)
    specs = []
    for number, entry in enumerate(raw["expectations"]):
        line = lines[number] if number < len(lines) else None
        if not isinstance(entry, dict) or not _TYPE_NAME.match(str(entry.get("type", ""))):
            raise NewsproofError("each expectation needs a type such as expect_column_values_to_not_be_null",
                                 file=str(path), line=line)
        kwargs = entry.get("kwargs") or {}
        if not isinstance(kwargs, dict):
            raise NewsproofError("an expectation's kwargs must be a mapping", file=str(path), line=line)
        specs.append(ExpectationSpec(str(entry["type"]), dict(kwargs), line))
    return GxSuite(
        name=name, version=str(raw["version"]), table=str(raw["table"]), severity=severity,
        description=str(raw.get("description") or f"Great Expectations suite {name} on {raw['table']}."),
        expectations=tuple(specs), path=path.resolve(),
    )


def gx_suite_check(path: str | Path) -> Check:
    """The check `gx-<suite>` for a suite file; GX itself is imported only when it runs."""
    suite = read_gx_suite(path)
    return Check(f"gx-{suite.name}", suite.severity, suite.description, (suite.table,),
                 func=functools.partial(run_gx_suite, suite), origin=str(suite.path))


# -- GX, imported on first use ----------------------------------------------------------------------

@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """GX's own noise stays out of newsproof's output: pyspark's import warning and pandas'
    note on regexes with groups (expect_column_values_to_match_regex uses str.contains)."""
    with quiet_pyspark(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="This pattern is interpreted as a regular expression",
                                category=UserWarning)
        yield


@functools.cache
def _gx():
    """The GX module and one ephemeral context for this process (building either takes seconds)."""
    os.environ["GX_ANALYTICS_ENABLED"] = "false"  # no usage statistics: newsproof runs offline
    with _quiet():
        import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return gx, context


@functools.cache
def _expectation_classes() -> dict[str, type]:
    """GX's expectation classes by snake_case type name."""
    gx, _ = _gx()
    from great_expectations.expectations.expectation import Expectation

    return {cls.expectation_type: cls for cls in vars(gx.expectations).values()
            if isinstance(cls, type) and issubclass(cls, Expectation) and cls.expectation_type}


def _is_row_wise(cls: type, type_name: str) -> bool:
    from great_expectations.expectations.expectation import (ColumnMapExpectation,
                                                             ColumnPairMapExpectation,
                                                             MulticolumnMapExpectation)

    map_kinds = (ColumnMapExpectation, ColumnPairMapExpectation, MulticolumnMapExpectation)
    return issubclass(cls, map_kinds) and type_name not in CROSS_ROW


def _batch_definition(context, table: str):
    """A whole-dataframe batch definition per table, in a pandas data source made once."""
    if "newsproof" not in context.data_sources.all():
        context.data_sources.add_pandas("newsproof")
    source = context.data_sources.get("newsproof")
    asset = (source.get_asset(table) if table in source.get_asset_names()
             else source.add_dataframe_asset(table))
    for definition in asset.batch_definitions:
        if definition.name == "whole":
            return definition
    return asset.add_batch_definition_whole_dataframe("whole")


def _exception_message(result) -> str | None:
    """GX reports an expectation that raised in exception_info, flat or keyed by metric."""
    info = result.exception_info or {}
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message"))
    return None


# -- running a suite --------------------------------------------------------------------------------

@dataclass
class _Prepared:
    spec: ExpectationSpec
    expectation: Any
    scope: str  # "row" (every batch), "schema" (first batch), "table" (whole dataset at once)


def _could_not_run(suite: GxSuite, spec: ExpectationSpec, reason: str) -> Failure:
    return Failure(suite.table, None, ",".join(spec.columns) or None, None,
                   f"expectation {spec.type} could not run: {reason}", file=str(suite.path), line=spec.line)


def _prepare(suite: GxSuite) -> tuple[list[_Prepared], list[Failure]]:
    classes = _expectation_classes()
    prepared, broken = [], []
    for spec in suite.expectations:
        cls = classes.get(spec.type)
        if cls is None:
            broken.append(_could_not_run(suite, spec, "Great Expectations has no expectation of that name"))
            continue
        try:
            expectation = cls(**spec.kwargs)
        except Exception as exc:  # pydantic and GX raise many types for bad kwargs; each is reported
            broken.append(_could_not_run(suite, spec, " ".join(str(exc).split())))
            continue
        scope = ("row" if _is_row_wise(cls, spec.type)
                 else "schema" if spec.type in SCHEMA_ONLY else "table")
        prepared.append(_Prepared(spec, expectation, scope))
    return prepared, broken


def _row_failures(suite: GxSuite, contract: Contract | None, spec: ExpectationSpec,
                  labels: list, frame: pd.DataFrame) -> Iterator[Failure]:
    columns = [c for c in spec.columns if c in frame.columns]
    for label in labels:
        row = frame.loc[label]
        if len(columns) == 1:
            value = cell_text(row[columns[0]])
            what = f"{columns[0]} {value!r}"
        else:
            value = json.dumps({c: cell_text(row[c]) for c in columns}, ensure_ascii=False)
            what = ", ".join(f"{c}={cell_text(row[c])!r}" for c in columns)
        yield Failure(
            suite.table, row_key(contract, row) if contract else None, ",".join(columns) or None, value,
            f"{what} fails {spec.type}({spec.arguments})",
            row["_dataset"], row["_file"], int(row["_line"]), cell_text(row.get("article_id")),
        )


def _result_failures(suite: GxSuite, contract: Contract | None, item: _Prepared, result,
                     frame: pd.DataFrame, dataset: str, file: str | None) -> Iterator[Failure]:
    if result.success:
        return
    labels = result.result.get("unexpected_index_list")
    if labels:
        yield from _row_failures(suite, contract, item.spec, labels, frame)
        return
    observed = result.result.get("observed_value")
    yield Failure(suite.table, None, ",".join(item.spec.columns) or None, cell_text(observed),
                  f"{item.spec.type}({item.spec.arguments}) failed on dataset {dataset}: observed {observed!r}",
                  dataset, file)


def _dataset_sizes(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, int, str | None]]:
    """(dataset, rows in the table, the dataset's file for the table) for every loaded dataset."""
    return con.execute(
        f"SELECT d.name, (SELECT count(*) FROM \"{table}\" t WHERE t._dataset = d.name), "
        "(SELECT min(f.file) FROM dataset_files f WHERE f.dataset = d.name AND f.table_name = ?) "
        "FROM datasets d ORDER BY d.name", [table]).fetchall()


def _batches(con: duckdb.DuckDBPyConnection, suite: GxSuite, batch_rows: int
             ) -> Iterator[tuple[str, int, str | None, int, pd.DataFrame]]:
    """(dataset, its rows, its file, batch number, frame) for every batch of the suite's table."""
    columns = list(table_columns(con, suite.table))
    if not columns:
        raise NewsproofError(f"GX suite {suite.name}: the database has no table {suite.table!r}",
                             file=str(suite.path))
    for dataset, rows, file in _dataset_sizes(con, suite.table):
        for number, frame in enumerate(read_batches(con, suite.table, columns, batch_rows, dataset)):
            yield dataset, rows, file, number, frame


def run_gx_suite(suite: GxSuite, ctx: CheckContext) -> Iterator[Failure]:
    """Validate the suite's expectations on every batch of its table; yield failures."""
    batch_rows = batch_rows_param(ctx.params, "gx_batch_rows")
    contract = ctx.contracts.get(suite.table)
    with _quiet():
        _, context = _gx()
        prepared, broken = _prepare(suite)
    yield from broken
    definition = _batch_definition(context, suite.table)
    failed_to_run: set[int] = set()
    for dataset, rows, file, number, frame in _batches(ctx.con, suite, batch_rows):
        batch = definition.get_batch(batch_parameters={"dataframe": frame.drop(columns=list(PROVENANCE))})
        for index, item in enumerate(prepared):
            if index in failed_to_run or (item.scope == "schema" and number > 0):
                continue
            if item.scope == "table" and rows > batch_rows:
                if number == 0:
                    yield _could_not_run(
                        suite, item.spec,
                        f"dataset {dataset} has {rows} rows in {suite.table}, more than one batch "
                        f"(gx_batch_rows={batch_rows}); it needs the whole table at once")
                continue
            try:
                with _quiet():
                    result = batch.validate(item.expectation, result_format=RESULT_FORMAT)
            except Exception as exc:  # GX raises many types; each is reported, never skipped
                result, error = None, f"{type(exc).__name__}: {exc}"
            else:
                error = _exception_message(result)
            if error is not None:
                failed_to_run.add(index)
                yield _could_not_run(suite, item.spec, " ".join(error.split()))
                continue
            yield from _result_failures(suite, contract, item, result, frame, dataset, file)


# -- Data Docs --------------------------------------------------------------------------------------

def _last_run_suites(con: duckdb.DuckDBPyConnection, run_id: str | None) -> tuple[str, list[Path]]:
    if run_id is None:
        rows = con.execute("SELECT run_id FROM qa_runs ORDER BY finished_at DESC, run_id DESC LIMIT 1").fetchall()
        if not rows:
            raise NewsproofError("no validation run is recorded in this database",
                                 hint="run newsproof validate first")
        run_id = rows[0][0]
    origins = [origin for (origin,) in con.execute(
        "SELECT origin FROM qa_results WHERE run_id = ? AND check_id LIKE 'gx-%' "
        "AND (origin LIKE '%.yaml' OR origin LIKE '%.yml') ORDER BY check_id", [run_id]).fetchall()]
    if not origins:
        raise NewsproofError(f"validation run {run_id} ran no Great Expectations suite",
                             hint="list GX suite files under gx: in the validation suite")
    return run_id, [Path(o) for o in origins]


def build_data_docs(db: str | Path, out_dir: str | Path, *, run_id: str | None = None,
                    batch_rows: int = DEFAULT_BATCH_ROWS) -> Path:
    """Build GX's Data Docs (a static site) for the GX suites of a validation run (default: the
    last one) into `out_dir`; returns its index.html.

    The suites are validated again on the database's rows, batch by batch, through a throwaway
    file context (an ephemeral context keeps no results to render); whole-table expectations are
    left out of datasets larger than one batch, as in the checks."""
    con = connect(db, read_only=True)
    try:
        run_id, paths = _last_run_suites(con, run_id)
        suites = [read_gx_suite(p) for p in paths]
        out_dir = Path(out_dir).resolve()
        out_dir.mkdir(parents=True, exist_ok=True)
        with _quiet(), tempfile.TemporaryDirectory(prefix="newsproof-gx-") as project:
            gx, _ = _gx()
            from great_expectations.data_context.types.base import ProgressBarsConfig

            context = gx.get_context(mode="file", project_root_dir=project)
            context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
            context.add_data_docs_site("newsproof", {
                "class_name": "SiteBuilder",
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(out_dir)},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            })
            for suite in suites:
                _document_suite(gx, context, con, suite, batch_rows, run_id)
            context.build_data_docs(site_names=["newsproof"])
    finally:
        con.close()
    return out_dir / "index.html"


def _document_suite(gx, context, con: duckdb.DuckDBPyConnection, suite: GxSuite, batch_rows: int,
                    run_id: str) -> None:
    from great_expectations.core.run_identifier import RunIdentifier

    prepared, _ = _prepare(suite)
    definition = _batch_definition(context, suite.table)
    gx_suites: dict[bool, Any] = {}

    def gx_suite(whole: bool):
        # The full suite for datasets that fit one batch; the per-row part for larger ones.
        if whole not in gx_suites:
            name = suite.name if whole else f"{suite.name}.per-batch"
            items = [p.expectation for p in prepared if whole or p.scope != "table"]
            gx_suites[whole] = context.suites.add(gx.ExpectationSuite(
                name=name, expectations=[e.copy() for e in items],
                meta={"newsproof_suite_version": suite.version, "table": suite.table}))
        return gx_suites[whole]

    for dataset, rows, _, number, frame in _batches(con, suite, batch_rows):
        validation = context.validation_definitions.add(gx.ValidationDefinition(
            name=f"{suite.name}.{dataset}.{number}", data=definition, suite=gx_suite(rows <= batch_rows)))
        # One run name per batch: GX files results by suite, run and batch id (the same per table).
        validation.run(batch_parameters={"dataframe": frame.drop(columns=list(PROVENANCE))},
                       result_format="SUMMARY", run_id=RunIdentifier(run_name=f"{run_id}.{dataset}.{number}"))
