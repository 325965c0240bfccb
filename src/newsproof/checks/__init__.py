"""Built-in checks, listed explicitly. A suite (validators/*.yaml) picks which of them run.

Families: integrity (keys, references, load rejects), bounds (qualifiers, parsing, plausibility),
attribution (chains, denials), conflicts (across articles). SQL lives in `sql/<check-id>.sql`.
"""

from __future__ import annotations

from importlib import resources

from ..contracts import Contract
from . import contract, grounding, integrity, plausibility, text_attribution, textbundle
from .base import Check


def sql_file(check_id: str) -> str:
    return resources.files(__package__).joinpath("sql", f"{check_id}.sql").read_text(encoding="utf-8")


def _sql(check_id: str, severity: str, description: str, *tables: str) -> Check:
    return Check(check_id, severity, description, tables, sql=sql_file(check_id))


def builtin_checks(contracts: dict[str, Contract]) -> dict[str, Check]:
    """Every built-in check, keyed by id, with its default severity."""
    checks = [
        Check("reference-dangling", "error",
              "Every id a row refers to (article, claim, source, figure) exists in the same dataset.",
              tuple(contracts), sql=integrity.dangling_references_sql(contracts)),
        Check("duplicate-key", "error", "Each table's key is unique within a dataset.",
              tuple(contracts), sql=integrity.duplicate_keys_sql(contracts)),
        Check("load-rejected-row", "error",
              "No row of a dataset file was rejected at load (type errors, missing keys, bad records).",
              ("load_errors",), sql=integrity.REJECTED_ROWS_SQL),
        Check("load-unknown-column", "warning",
              "Dataset files have no columns outside their table contract (such columns are not loaded).",
              ("load_errors",), sql=integrity.UNKNOWN_COLUMNS_SQL),
        _sql("article-text-hash", "error", "text_sha256 is the SHA-256 of the article text.", "articles"),
        _sql("offset-out-of-range", "error",
             "Every span lies inside its article text and is not empty.",
             "figures", "claims", "attributions", "articles"),
        _sql("qualifier-bounds", "error",
             "Bounds follow the qualifier: over N keeps N as a lower bound, about N a tolerance band.",
             "figures"),
        _sql("bounds-order", "error", "A figure's lower bound is not above its upper bound.", "figures"),
        Check("ratio-plausibility", "warning",
              "Composed figures have a plausible ratio (e.g. 1,000-6,000 soldiers per brigade).",
              ("figures",), func=plausibility.ratio_plausibility),
        _sql("cross-article-conflict", "error",
             "The same count (subject, measure, unit, date) is not reported with incompatible bounds.",
             "figures", "articles"),
        _sql("attribution-missing", "error", "Every figure and claim has an attribution.",
             "figures", "claims", "attributions"),
        _sql("attribution-target", "error",
             "Each attribution is about exactly one figure or one claim.", "attributions"),
        _sql("attribution-via-invalid", "error",
             "A via differs from reporter and origin and is an outlet or news agency.",
             "attributions", "sources"),
        _sql("attribution-chain-cycle", "error",
             "No attribution chain cites in a circle.", "attributions"),
        _sql("denied-claim-status", "error",
             "A claim denied by the party it is about is marked disputed or denied.",
             "claims", "sources"),
        # contracts: pandera (or generated SQL) over schemas/*.yaml, one pass for five ids
        *contract.contract_checks(contracts),
        # text: figures and attributions against the article text, one parse per article
        *textbundle.bundle_checks(grounding.CHECKS + text_attribution.CHECKS),
    ]
    return {c.id: c for c in checks}
