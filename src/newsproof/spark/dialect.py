"""The one place where DuckDB SQL becomes Spark SQL.

Checks, the loader's typing rules and the integrity queries are written once, in DuckDB SQL. On
Spark they are translated here: `$params` are written in as typed literals, then sqlglot
transpiles the statement (`read="duckdb", write="spark"`) and the rewrites below fix what sqlglot
translates literally but Spark evaluates differently:

- `TRY_CAST(text AS type)`: Spark accepts forms DuckDB rejects (`'2024'` as a DATE, `'1d'` as a
  DOUBLE, `' true '` as a BOOLEAN) and rejects forms DuckDB accepts (`'1.0'` and `'1.5'` as an
  INTEGER: DuckDB rounds). Each cast is guarded so that the same texts are accepted and give
  the same values. Known gaps (DuckDB accepts, Spark rejects): hexadecimal (`0x10`) and
  underscore-grouped (`1_000`) numbers.
- `regexp_full_match(x, p)` -> `x RLIKE '^(?:p)$'` and `isfinite(x)`, which Spark lacks.

Anything else that does not translate fails here with the construct named, and the check is
reported as not run (never silently skipped).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import sqlglot
from sqlglot import exp

from ..errors import NewsproofError

PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")

# A date as DuckDB reads one: year-month-day with '-' or '/', then nothing or a time part.
_DATE_TEXT = r"^\s*[0-9]{4,}[-/][0-9]{1,2}[-/][0-9]{1,2}(\s*$|[ T])"
# A timestamp needs at least hours and minutes after the date ('2024-01-05 10' is no timestamp).
_TIMESTAMP_TEXT = r"^\s*[0-9]{4,}-[0-9]{1,2}-[0-9]{1,2}(\s*$|[ T][0-9]{1,2}:[0-9]{2})"


def literal(value: Any) -> str:
    """A Python value as a DuckDB SQL literal of the type DuckDB would bind it as."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # A DOUBLE, not a DECIMAL literal: `0.9` must be the same binary number on both engines.
        text = repr(value) if math.isfinite(value) else f"'{value}'"
        return f"CAST({text} AS DOUBLE)"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise NewsproofError(f"suite parameter value {value!r} cannot be written into SQL",
                         hint="SQL checks take numbers, strings and booleans as $parameters")


def substitute_params(sql: str, params: Mapping[str, Any]) -> str:
    """Write `$name` parameters into the SQL as literals (outside string literals only)."""
    missing = sorted({name for name in _params_outside_strings(sql) if name not in params})
    if missing:
        raise NewsproofError("check SQL uses parameters with no value: " + ", ".join(missing),
                             hint="give them under params: in the suite")
    pieces = re.split(r"('(?:[^']|'')*')", sql)
    for i in range(0, len(pieces), 2):  # even pieces are outside quotes
        pieces[i] = PARAM.sub(lambda m: literal(params[m.group(1)]), pieces[i])
    return "".join(pieces)


def _params_outside_strings(sql: str) -> list[str]:
    outside = re.split(r"'(?:[^']|'')*'", sql)
    return [name for piece in outside for name in PARAM.findall(piece)]


def _try(value: exp.Expression, to: exp.DataType | str) -> exp.TryCast:
    to = to.copy() if isinstance(to, exp.DataType) else exp.DataType.build(to)
    return exp.TryCast(this=value.copy(), to=to, safe=True)


def _text(node: exp.Expression) -> exp.Expression:
    return exp.Cast(this=node.copy(), to=exp.DataType.build("STRING"))


def _when(condition: str, then: exp.Expression, text: exp.Expression) -> exp.Expression:
    cond = sqlglot.parse_one(condition, read="spark").transform(
        lambda n: text.copy() if isinstance(n, exp.Column) and n.name == "__x" else n)
    return exp.Case(ifs=[exp.If(this=cond, true=then)])


def _try_cast(node: exp.TryCast) -> exp.Expression:
    """TRY_CAST with DuckDB's acceptance rules for text input (see the module docstring)."""
    to = node.args["to"]
    value = node.this
    text = _text(value)
    if to.is_type(*exp.DataType.INTEGER_TYPES):
        # DuckDB reads '12.5' and '1e3' as numbers and rounds half away from zero, as Spark's
        # round() on a DECIMAL does.
        rounded = exp.Round(this=_try(text, "DECIMAL(38, 9)"), decimals=exp.Literal.number(0))
        return _try(rounded, to)
    if to.is_type(exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT):
        # Spark reads Java literal suffixes ('1d', '2f'); DuckDB does not ('inf' it reads).
        return _when(r"NOT __x RLIKE '[0-9.][dDfF]\\s*$'", _try(text, to), text)
    if to.is_type(exp.DataType.Type.DATE):
        slashes = sqlglot.parse_one(r"regexp_replace(__x, '^(\\s*[0-9]+)/([0-9]{1,2})/', '$1-$2-')",
                                    read="spark").transform(
            lambda n: text.copy() if isinstance(n, exp.Column) and n.name == "__x" else n)
        return _when(f"__x RLIKE '{_escape(_DATE_TEXT)}'", _try(slashes, to), text)
    if to.is_type(exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIMESTAMPNTZ):
        return _when(f"__x RLIKE '{_escape(_TIMESTAMP_TEXT)}'", _try(text, to), text)
    if to.is_type(exp.DataType.Type.BOOLEAN):
        return _when("__x = trim(__x)", _try(text, to), text)
    return node


def _escape(pattern: str) -> str:
    """A regex as the body of a Spark SQL string literal (backslashes are escapes there)."""
    return pattern.replace("\\", "\\\\").replace("'", "\\'")


def _rewrite_cast(node: exp.Expression) -> exp.Expression:
    return _try_cast(node) if isinstance(node, exp.TryCast) else node


def _rewrite_function(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.RegexpFullMatch):
        pattern = node.expression
        if isinstance(pattern, exp.Literal) and pattern.is_string:
            anchored = exp.Literal.string("^(?:" + pattern.this + ")$")
        else:
            anchored = exp.Concat(expressions=[exp.Literal.string("^(?:"), pattern.copy(),
                                               exp.Literal.string(")$")])
        return exp.RegexpLike(this=node.this.copy(), expression=anchored)
    if isinstance(node, exp.Anonymous) and node.name.lower() == "isfinite":
        # NaN sorts above +Infinity in Spark, so one comparison rules out NaN and both infinities.
        arg = node.expressions[0].copy()
        infinity = exp.Cast(this=exp.Literal.string("Infinity"), to=exp.DataType.build("DOUBLE"))
        return exp.LT(this=exp.Abs(this=arg), expression=infinity)
    return node


def to_spark(sql: str, params: Mapping[str, Any] | None = None) -> str:
    """Translate one DuckDB SQL statement (with `$params`) to Spark SQL."""
    text = substitute_params(sql.strip().rstrip(";"), params or {})
    try:
        statements = sqlglot.parse(text, read="duckdb")
    except sqlglot.errors.SqlglotError as exc:
        raise NewsproofError(f"cannot translate the SQL to Spark: {str(exc).splitlines()[0]}") from None
    if len(statements) != 1 or statements[0] is None:
        raise NewsproofError("a check must be one SQL statement")
    # Functions first, casts second: a replaced node's children are not visited again.
    tree = statements[0].transform(_rewrite_function).transform(_rewrite_cast)
    try:
        return tree.sql(dialect="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)
    except sqlglot.errors.SqlglotError as exc:
        raise NewsproofError(f"cannot translate the SQL to Spark: {str(exc).splitlines()[0]}") from None
