"""For each SQL-backed check, the failure count newsproof reports on a broken dataset equals a
count written here by hand from the rule's wording (not copied from the check's SQL).

One mutated copy of both bundled datasets gives every check at least one failing row.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from conftest import copy_dataset, csv_header, csv_records, mutate_csv, mutate_jsonl, read_db, run_cli
from newsproof.suites import load_suite

KU, SF = "korea-ukraine", "synthetic-followups"

# (dataset, file, row id, column, value): several rule breaks per check, some in both datasets.
EDITS = (
    (KU, "articles.jsonl", "ku-001", "text_sha256", "0" * 64),
    (SF, "articles.jsonl", "sf-002", "text_sha256", "F" * 64),
    (KU, "attributions.csv", "ku-a01", "via_id", "yonhap"),                      # cycle, via ok
    (KU, "attributions.csv", "ku-a08", "via_id", "yonhap"),                      # cycle
    (KU, "attributions.csv", "ku-a05", "figure_id", "ku-f01"),                   # ku-f05 unattributed
    (KU, "attributions.csv", "ku-a23", "claim_id", "ku-c17"),                    # ku-c18 unattributed
    (KU, "attributions.csv", "ku-a06", "figure_id", "ku-f02"),                   # figure and claim
    (SF, "attributions.csv", "sf-a05", "claim_id", ""),                          # neither
    (KU, "attributions.csv", "ku-a02", "via_id", "kr-intelligence-agency"),      # via = origin
    (KU, "attributions.csv", "ku-a10", "via_id", "zelenskyy"),                   # via = reporter
    (KU, "attributions.csv", "ku-a11", "via_id", "us-government"),               # via not an outlet
    (KU, "attributions.csv", "ku-a14", "via_id", "no-such-outlet"),              # dangling via
    (KU, "figures.csv", "ku-f02", "lower", "5"),                                 # lower > upper
    (KU, "figures.csv", "ku-f04", "lower", "3"),
    (KU, "figures.csv", "ku-f01", "upper", "2000"),                              # over with upper
    (SF, "figures.csv", "sf-f01", "lower", "2000"),                              # about, band wrong
    (SF, "figures.csv", "sf-f04", "value", "30000"),                             # conflicts sf-f01
    (SF, "figures.csv", "sf-f04", "lower", "27000"),
    (SF, "figures.csv", "sf-f04", "upper", "33000"),
    (KU, "claims.csv", "ku-c03", "status", "corroborated"),                      # denied by kp
    (KU, "claims.csv", "ku-c04", "status", "reported"),
    (KU, "figures.csv", "ku-f04", "char_end", "99999"),                          # past the text
    (KU, "attributions.csv", "ku-a13", "char_end", "1600"),                      # end before start
    (KU, "attributions.csv", "ku-a01", "reporter_id", "kr-spy-agency"),          # dangling
    (KU, "claims.csv", "ku-c12", "about_id", "nobody"),
    (KU, "sources.csv", "experts", "source_id", "nato"),                         # duplicate key
    (SF, "claims.csv", "sf-c06", "claim_id", "sf-c05"),
    (SF, "figures.csv", "sf-f02", "value", "ten thousand"),                      # rejected at load
    (KU, "claims.csv", "ku-c14", "char_start", "2548.5"),
    (KU, "figures.csv", "ku-f03", "value", "120000"),                            # 30,000 per brigade
    (KU, "figures.csv", "ku-f03", "lower", "120000"),
    (KU, "figures.csv", "ku-f03", "upper", "120000"),
    (SF, "figures.csv", "sf-f03", "unit", "soldiers"),                           # plural unit
    (SF, "sources.csv", "wire-a", "name", " "),                                  # nameless reporter
)

# Hand-written counts, one per check, phrased from each rule's description.
HAND_COUNTS = {
    "article-text-hash": """
        SELECT count(*) FROM articles
        WHERE text_sha256 IS NOT NULL AND text IS NOT NULL AND sha256(text) <> lower(text_sha256)""",
    "attribution-chain-cycle": """
        WITH RECURSIVE edge AS (
            SELECT _dataset AS ds, coalesce(figure_id, claim_id) AS item, attribution_id AS owner,
                   reporter_id AS a, CASE WHEN via_id IS NULL THEN origin_id ELSE via_id END AS b
            FROM attributions
            UNION ALL
            SELECT _dataset, coalesce(figure_id, claim_id), attribution_id, via_id, origin_id
            FROM attributions WHERE via_id IS NOT NULL
        ), walk AS (
            SELECT ds, item, owner, a AS home, b AS node, 1 AS steps FROM edge WHERE a <> b
            UNION ALL
            SELECT w.ds, w.item, w.owner, w.home, e.b, w.steps + 1
            FROM walk w JOIN edge e ON e.ds = w.ds AND e.item = w.item AND e.a = w.node AND e.a <> e.b
            WHERE w.steps < 3
        )
        SELECT count(*) FROM (SELECT DISTINCT ds, owner FROM walk WHERE node = home)""",
    "attribution-missing": """
        SELECT (SELECT count(*) FROM figures f WHERE NOT EXISTS (
                    SELECT 1 FROM attributions a WHERE a._dataset = f._dataset AND a.figure_id = f.figure_id))
             + (SELECT count(*) FROM claims c WHERE NOT EXISTS (
                    SELECT 1 FROM attributions a WHERE a._dataset = c._dataset AND a.claim_id = c.claim_id))""",
    "attribution-target": """
        SELECT count(*) FROM attributions WHERE (figure_id IS NULL) = (claim_id IS NULL)""",
    "attribution-via-invalid": """
        SELECT count(*) FROM attributions a
        WHERE a.via_id IS NOT NULL AND (a.via_id IN (a.reporter_id, a.origin_id) OR EXISTS (
            SELECT 1 FROM sources s WHERE s._dataset = a._dataset AND s.source_id = a.via_id
              AND s.kind NOT IN ('outlet', 'news-agency')))""",
    "bounds-order": "SELECT count(*) FROM figures WHERE lower > upper",
    "cross-article-conflict": """
        WITH band AS (
            SELECT _dataset, article_id, subject, measure, unit, as_of,
                   CASE WHEN lower IS NOT NULL THEN lower WHEN upper IS NULL THEN value END AS lo,
                   CASE WHEN upper IS NOT NULL THEN upper WHEN lower IS NULL THEN value END AS hi
            FROM figures WHERE value IS NOT NULL AND subject IS NOT NULL AND measure IS NOT NULL
        )
        SELECT count(*) FROM band x, band y
        WHERE x.subject = y.subject AND x.measure = y.measure AND x.unit = y.unit
          AND (x.as_of = y.as_of OR (x.as_of IS NULL AND y.as_of IS NULL))
          AND NOT (x._dataset = y._dataset AND x.article_id = y.article_id)
          AND NOT (coalesce(x.lo, '-infinity'::DOUBLE) <= coalesce(y.hi, 'infinity'::DOUBLE)
                   AND coalesce(y.lo, '-infinity'::DOUBLE) <= coalesce(x.hi, 'infinity'::DOUBLE))""",
    "denied-claim-status": """
        SELECT count(*) FROM claims c
        WHERE c.about_id IS NOT NULL AND c.stance <> 'denies' AND c.status NOT IN ('disputed', 'denied')
          AND EXISTS (
            SELECT 1 FROM claims d LEFT JOIN sources s ON s._dataset = d._dataset AND s.source_id = d.claimant_id
            WHERE d._dataset = c._dataset AND d.article_id = c.article_id AND d.stance = 'denies'
              AND c.about_id IN (d.claimant_id, s.parent_id))""",
    "offset-out-of-range": """
        WITH span AS (
            SELECT _dataset, article_id, char_start AS s, char_end AS e FROM figures
            UNION ALL SELECT _dataset, article_id, char_start, char_end FROM claims
            UNION ALL
            SELECT a._dataset,
                   coalesce((SELECT f.article_id FROM figures f
                             WHERE f._dataset = a._dataset AND f.figure_id = a.figure_id),
                            (SELECT c.article_id FROM claims c
                             WHERE c._dataset = a._dataset AND c.claim_id = a.claim_id)),
                   a.char_start, a.char_end
            FROM attributions a WHERE NOT (a.char_start IS NULL AND a.char_end IS NULL)
        )
        SELECT count(*) FROM span JOIN articles t ON t._dataset = span._dataset AND t.article_id = span.article_id
        WHERE NOT coalesce(0 <= s AND s < e AND e <= length(t.text), false)""",
    "qualifier-bounds": """
        SELECT count(*) FROM figures
        WHERE value IS NOT NULL AND NOT coalesce(CASE qualifier
            WHEN 'exact' THEN lower = value AND upper = value
            WHEN 'over' THEN lower = value AND upper IS NULL
            WHEN 'at-least' THEN lower = value AND upper IS NULL
            WHEN 'under' THEN upper = value AND lower IS NULL
            WHEN 'at-most' THEN upper = value AND lower IS NULL
            WHEN 'about' THEN abs(lower - 0.9 * value) <= value / 1000 AND abs(upper - 1.1 * value) <= value / 1000
            WHEN 'range' THEN lower <= value AND value <= upper
            ELSE true END, false)""",
    "reference-dangling": """
        WITH ref(child_ds, val, parent) AS (
            SELECT _dataset, article_id, 'article' FROM figures
            UNION ALL SELECT _dataset, claim_id, 'claim' FROM figures
            UNION ALL SELECT _dataset, linked_figure_id, 'figure' FROM figures
            UNION ALL SELECT _dataset, article_id, 'article' FROM claims
            UNION ALL SELECT _dataset, claimant_id, 'source' FROM claims
            UNION ALL SELECT _dataset, about_id, 'source' FROM claims
            UNION ALL SELECT _dataset, figure_id, 'figure' FROM attributions
            UNION ALL SELECT _dataset, claim_id, 'claim' FROM attributions
            UNION ALL SELECT _dataset, reporter_id, 'source' FROM attributions
            UNION ALL SELECT _dataset, via_id, 'source' FROM attributions
            UNION ALL SELECT _dataset, origin_id, 'source' FROM attributions
            UNION ALL SELECT _dataset, parent_id, 'source' FROM sources
        ), known(ds, id, kind) AS (
            SELECT _dataset, article_id, 'article' FROM articles
            UNION SELECT _dataset, claim_id, 'claim' FROM claims
            UNION SELECT _dataset, figure_id, 'figure' FROM figures
            UNION SELECT _dataset, source_id, 'source' FROM sources
        )
        SELECT count(*) FROM ref r
        WHERE r.val IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM known k WHERE k.ds = r.child_ds AND k.id = r.val AND k.kind = r.parent)""",
    "duplicate-key": """
        SELECT (SELECT count(*) FROM load_errors WHERE kind = 'duplicate-key')
             + (SELECT count(*) - count(DISTINCT (_dataset, article_id)) FROM articles)
             + (SELECT count(*) - count(DISTINCT (_dataset, source_id)) FROM sources)
             + (SELECT count(*) - count(DISTINCT (_dataset, claim_id)) FROM claims)
             + (SELECT count(*) - count(DISTINCT (_dataset, figure_id)) FROM figures)
             + (SELECT count(*) - count(DISTINCT (_dataset, attribution_id)) FROM attributions)""",
    "load-rejected-row": "SELECT count(*) FROM load_errors WHERE kind NOT IN ('duplicate-key', 'unknown-column')",
    "load-unknown-column": "SELECT count(*) FROM load_errors WHERE kind = 'unknown-column'",
    "figure-unit-singular": """
        SELECT count(*) FROM figures
        WHERE right(unit, 1) = 's' AND right(unit, 2) <> 'ss' AND unit NOT IN ('series', 'species', 'news')""",
    "source-name-present": """
        SELECT count(*) FROM attributions a
        JOIN sources s ON s._dataset = a._dataset AND s.source_id = a.reporter_id
        WHERE coalesce(trim(s.name), '') = ''""",
}


def ratio_count_sql() -> str:
    """Composed figures (part linked to whole) whose ratio is outside a suite rule's range."""
    (check,) = [c for c in load_suite("default").checks if c.id == "ratio-plausibility"]
    parts = [
        f"SELECT count(*) FROM figures n, figures d WHERE d._dataset = n._dataset "
        f"AND d.figure_id = n.linked_figure_id AND n.unit = '{r['numerator']}' AND d.unit = '{r['denominator']}' "
        f"AND d.value > 0 AND NOT (n.value / d.value BETWEEN {r['min']} AND {r['max']})"
        for r in check.params["rules"]
    ]
    return "SELECT " + " + ".join(f"({p})" for p in parts)


def add_unknown_column(path: Path) -> None:
    header = csv_header(path)
    rows = [row + ["x"] for _, row in csv_records(path)]
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([header + ["notes"], *rows])


@pytest.fixture(scope="module")
def counted(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, int], Path]:
    """Reported failure counts per check, and the database they were counted on."""
    root = tmp_path_factory.mktemp("counts")
    for name in (KU, SF):
        copy_dataset(name, root)
    for dataset, file, row_id, column, value in EDITS:
        path = root / dataset / file
        if path.suffix == ".jsonl":
            mutate_jsonl(path, row_id, column, value)
        else:
            mutate_csv(path, row_id, column, value)
    add_unknown_column(root / SF / "sources.csv")
    db = root / "counts.duckdb"
    assert run_cli("load", root / KU, root / SF, "--db", db).exit_code == 1
    result = run_cli("validate", "--db", db, "--format", "json", "--ignore", "gx-*")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert not [c for c in report["checks"] if c["status"] == "not-run"]
    return {c["id"]: c["failure_count"] for c in report["checks"]}, db


@pytest.mark.parametrize("check_id", [*HAND_COUNTS, "ratio-plausibility"])
def test_reported_count_equals_the_hand_count(counted, check_id):
    reported, db = counted
    sql = ratio_count_sql() if check_id == "ratio-plausibility" else HAND_COUNTS[check_id]
    with read_db(db) as con:
        (expected,) = con.execute(sql).fetchone()
    assert expected > 0, f"the mutated dataset breaks no {check_id} rule: the comparison proves nothing"
    assert reported[check_id] == expected
