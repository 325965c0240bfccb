"""Plausibility of composed figures: "four brigades with 12,000 soldiers" is 3,000 per brigade."""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import NewsproofError
from .base import CheckContext, Failure

# A figure linked to another (`linked_figure_id`) is a part-whole pair: soldiers per brigade.
RATIO_SQL = """
SELECT n.figure_id, n._dataset, n._file, n._line, n.article_id, n.char_start, n.char_end,
       n.value_text, d.value_text, n.value / d.value AS ratio
FROM figures n
JOIN figures d ON d._dataset = n._dataset AND d.figure_id = n.linked_figure_id
WHERE n.unit = $numerator AND d.unit = $denominator AND d.value > 0
  AND (n.value / d.value < $min OR n.value / d.value > $max)
ORDER BY n._dataset, n._file, n._line
"""


def _rule(raw: object) -> dict:
    if not isinstance(raw, dict) or not {"numerator", "denominator", "min", "max"} <= set(raw):
        raise NewsproofError(
            f"ratio rule {raw!r} needs numerator, denominator, min and max",
            hint="e.g. {numerator: soldier, denominator: brigade, min: 1000, max: 6000}",
        )
    return {"numerator": str(raw["numerator"]), "denominator": str(raw["denominator"]),
            "min": float(raw["min"]), "max": float(raw["max"])}


def ratio_plausibility(ctx: CheckContext) -> Iterator[Failure]:
    for rule in map(_rule, ctx.params.get("rules", ())):
        cursor = ctx.con.execute(RATIO_SQL, rule)
        while rows := cursor.fetchmany(10_000):
            for fid, dataset, file, line, article, start, end, text_n, text_d, ratio in rows:
                yield Failure(
                    "figures", fid, "value", text_n,
                    f"{text_n} with {text_d} is {ratio:,.0f} {rule['numerator']} per {rule['denominator']}, "
                    f"outside the plausible {rule['min']:,.0f}-{rule['max']:,.0f}",
                    dataset, file, line, article, start, end,
                )
