-- The default suite's rules written by hand as plain DuckDB SQL: the floor newsproof is
-- measured against (benchmarks/run.py) and the cross-check of its counts (tests/test_synth.py).
-- One named block per check id; each returns one row per finding:
-- (table_name, row_key, file, line). Parameters are written in (about_tolerance 0.1, the
-- default ratio rules). Left out: contract-type (it compares the database's column types with
-- the contracts and has nothing to find after a load) and the checks against the article text
-- (value-text-mismatch ... denial-recorded-as-assertion), which parse the text in Python and
-- have no SQL form; benchmarks/run.py compares this floor with `validate-structural`.

-- name: duplicate-key
SELECT f.table_name, e.value AS row_key, e.file, e.line
FROM load_errors e LEFT JOIN dataset_files f ON f.dataset = e.dataset AND f.file = e.file
WHERE e.kind = 'duplicate-key'
UNION ALL SELECT 'articles', article_id, _file, _line FROM articles
  QUALIFY row_number() OVER (PARTITION BY _dataset, article_id ORDER BY _line) > 1
UNION ALL SELECT 'sources', source_id, _file, _line FROM sources
  QUALIFY row_number() OVER (PARTITION BY _dataset, source_id ORDER BY _line) > 1
UNION ALL SELECT 'claims', claim_id, _file, _line FROM claims
  QUALIFY row_number() OVER (PARTITION BY _dataset, claim_id ORDER BY _line) > 1
UNION ALL SELECT 'figures', figure_id, _file, _line FROM figures
  QUALIFY row_number() OVER (PARTITION BY _dataset, figure_id ORDER BY _line) > 1
UNION ALL SELECT 'attributions', attribution_id, _file, _line FROM attributions
  QUALIFY row_number() OVER (PARTITION BY _dataset, attribution_id ORDER BY _line) > 1;

-- name: reference-dangling
SELECT 'sources', s.source_id, s._file, s._line FROM sources s
  ANTI JOIN sources p ON p._dataset = s._dataset AND p.source_id = s.parent_id WHERE s.parent_id IS NOT NULL
UNION ALL SELECT 'claims', c.claim_id, c._file, c._line FROM claims c
  ANTI JOIN articles a ON a._dataset = c._dataset AND a.article_id = c.article_id WHERE c.article_id IS NOT NULL
UNION ALL SELECT 'claims', c.claim_id, c._file, c._line FROM claims c
  ANTI JOIN sources s ON s._dataset = c._dataset AND s.source_id = c.claimant_id WHERE c.claimant_id IS NOT NULL
UNION ALL SELECT 'claims', c.claim_id, c._file, c._line FROM claims c
  ANTI JOIN sources s ON s._dataset = c._dataset AND s.source_id = c.about_id WHERE c.about_id IS NOT NULL
UNION ALL SELECT 'figures', f.figure_id, f._file, f._line FROM figures f
  ANTI JOIN articles a ON a._dataset = f._dataset AND a.article_id = f.article_id WHERE f.article_id IS NOT NULL
UNION ALL SELECT 'figures', f.figure_id, f._file, f._line FROM figures f
  ANTI JOIN claims c ON c._dataset = f._dataset AND c.claim_id = f.claim_id WHERE f.claim_id IS NOT NULL
UNION ALL SELECT 'figures', f.figure_id, f._file, f._line FROM figures f
  ANTI JOIN figures g ON g._dataset = f._dataset AND g.figure_id = f.linked_figure_id
  WHERE f.linked_figure_id IS NOT NULL
UNION ALL SELECT 'attributions', a.attribution_id, a._file, a._line FROM attributions a
  ANTI JOIN figures f ON f._dataset = a._dataset AND f.figure_id = a.figure_id WHERE a.figure_id IS NOT NULL
UNION ALL SELECT 'attributions', a.attribution_id, a._file, a._line FROM attributions a
  ANTI JOIN claims c ON c._dataset = a._dataset AND c.claim_id = a.claim_id WHERE a.claim_id IS NOT NULL
UNION ALL SELECT 'attributions', a.attribution_id, a._file, a._line FROM attributions a
  ANTI JOIN sources s ON s._dataset = a._dataset AND s.source_id = a.reporter_id WHERE a.reporter_id IS NOT NULL
UNION ALL SELECT 'attributions', a.attribution_id, a._file, a._line FROM attributions a
  ANTI JOIN sources s ON s._dataset = a._dataset AND s.source_id = a.via_id WHERE a.via_id IS NOT NULL
UNION ALL SELECT 'attributions', a.attribution_id, a._file, a._line FROM attributions a
  ANTI JOIN sources s ON s._dataset = a._dataset AND s.source_id = a.origin_id WHERE a.origin_id IS NOT NULL;

-- name: load-rejected-row
SELECT f.table_name, NULL, e.file, e.line
FROM load_errors e LEFT JOIN dataset_files f ON f.dataset = e.dataset AND f.file = e.file
WHERE e.kind NOT IN ('duplicate-key', 'unknown-column');

-- name: load-unknown-column
SELECT f.table_name, NULL, e.file, e.line
FROM load_errors e LEFT JOIN dataset_files f ON f.dataset = e.dataset AND f.file = e.file
WHERE e.kind = 'unknown-column';

-- name: article-text-hash
SELECT 'articles', article_id, _file, _line FROM articles
WHERE sha256(text) <> lower(text_sha256);

-- name: offset-out-of-range
WITH spans AS (
    SELECT 'figures' AS t, figure_id AS k, _dataset, _file, _line, article_id, char_start, char_end FROM figures
    UNION ALL SELECT 'claims', claim_id, _dataset, _file, _line, article_id, char_start, char_end FROM claims
    UNION ALL SELECT 'attributions', a.attribution_id, a._dataset, a._file, a._line,
                     coalesce(f.article_id, c.article_id), a.char_start, a.char_end
    FROM attributions a
    LEFT JOIN figures f ON f._dataset = a._dataset AND f.figure_id = a.figure_id
    LEFT JOIN claims c ON c._dataset = a._dataset AND c.claim_id = a.claim_id
    WHERE a.char_start IS NOT NULL OR a.char_end IS NOT NULL
)
SELECT s.t, s.k, s._file, s._line FROM spans s
JOIN articles a ON a._dataset = s._dataset AND a.article_id = s.article_id
WHERE s.char_start IS NULL OR s.char_end IS NULL OR s.char_start < 0 OR s.char_end <= s.char_start
   OR s.char_end > length(a.text);

-- name: contract-not-null
SELECT 'articles', article_id, _file, _line FROM articles, (VALUES (1), (2), (3), (4)) v(n)
WHERE (n = 1 AND article_id IS NULL) OR (n = 2 AND title IS NULL) OR (n = 3 AND language IS NULL)
   OR (n = 4 AND text IS NULL)
UNION ALL SELECT 'sources', source_id, _file, _line FROM sources, (VALUES (1), (2), (3)) v(n)
WHERE (n = 1 AND source_id IS NULL) OR (n = 2 AND name IS NULL) OR (n = 3 AND kind IS NULL)
UNION ALL SELECT 'claims', claim_id, _file, _line FROM claims, (VALUES (1), (2), (3), (4), (5), (6), (7), (8)) v(n)
WHERE (n = 1 AND claim_id IS NULL) OR (n = 2 AND article_id IS NULL) OR (n = 3 AND char_start IS NULL)
   OR (n = 4 AND char_end IS NULL) OR (n = 5 AND text IS NULL) OR (n = 6 AND claimant_id IS NULL)
   OR (n = 7 AND stance IS NULL) OR (n = 8 AND status IS NULL)
UNION ALL SELECT 'figures', figure_id, _file, _line FROM figures,
    (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10)) v(n)
WHERE (n = 1 AND figure_id IS NULL) OR (n = 2 AND article_id IS NULL) OR (n = 3 AND char_start IS NULL)
   OR (n = 4 AND char_end IS NULL) OR (n = 5 AND value_text IS NULL) OR (n = 6 AND value IS NULL)
   OR (n = 7 AND qualifier IS NULL) OR (n = 8 AND unit IS NULL) OR (n = 9 AND subject IS NULL)
   OR (n = 10 AND measure IS NULL)
UNION ALL SELECT 'attributions', attribution_id, _file, _line FROM attributions, (VALUES (1), (2), (3), (4)) v(n)
WHERE (n = 1 AND attribution_id IS NULL) OR (n = 2 AND reporter_id IS NULL) OR (n = 3 AND origin_id IS NULL)
   OR (n = 4 AND cue IS NULL);

-- name: contract-enum
SELECT 'sources', source_id, _file, _line FROM sources
WHERE kind NOT IN ('news-agency', 'outlet', 'government', 'intelligence-agency', 'official',
                   'international-org', 'expert', 'other')
UNION ALL SELECT 'claims', claim_id, _file, _line FROM claims
WHERE stance NOT IN ('asserts', 'reports', 'denies', 'questions')
UNION ALL SELECT 'claims', claim_id, _file, _line FROM claims
WHERE status NOT IN ('reported', 'corroborated', 'disputed', 'denied', 'unverified')
UNION ALL SELECT 'figures', figure_id, _file, _line FROM figures
WHERE qualifier NOT IN ('exact', 'over', 'under', 'at-least', 'at-most', 'about', 'range', 'vague');

-- name: contract-range
SELECT 'claims', claim_id, _file, _line FROM claims, (VALUES (1), (2)) v(n)
WHERE (n = 1 AND char_start < 0) OR (n = 2 AND char_end < 0)
UNION ALL SELECT 'figures', figure_id, _file, _line FROM figures, (VALUES (1), (2), (3), (4), (5)) v(n)
WHERE (n = 1 AND char_start < 0) OR (n = 2 AND char_end < 0) OR (n = 3 AND value < 0)
   OR (n = 4 AND lower < 0) OR (n = 5 AND upper < 0)
UNION ALL SELECT 'attributions', attribution_id, _file, _line FROM attributions, (VALUES (1), (2)) v(n)
WHERE (n = 1 AND char_start < 0) OR (n = 2 AND char_end < 0);

-- name: contract-pattern
SELECT 'articles', article_id, _file, _line FROM articles
WHERE NOT regexp_full_match(text_sha256, '[0-9a-f]{64}');

-- name: qualifier-bounds
SELECT 'figures', figure_id, _file, _line FROM figures
WHERE value IS NOT NULL AND CASE qualifier
    WHEN 'exact' THEN lower IS NULL OR upper IS NULL OR lower <> value OR upper <> value
    WHEN 'over' THEN lower IS NULL OR lower <> value OR upper IS NOT NULL
    WHEN 'at-least' THEN lower IS NULL OR lower <> value OR upper IS NOT NULL
    WHEN 'under' THEN upper IS NULL OR upper <> value OR lower IS NOT NULL
    WHEN 'at-most' THEN upper IS NULL OR upper <> value OR lower IS NOT NULL
    WHEN 'about' THEN lower IS NULL OR upper IS NULL OR abs(lower - value * 0.9) > 0.001 * value
                      OR abs(upper - value * 1.1) > 0.001 * value
    WHEN 'range' THEN lower IS NULL OR upper IS NULL OR lower > value OR value > upper
    ELSE false END;

-- name: bounds-order
SELECT 'figures', figure_id, _file, _line FROM figures WHERE lower > upper;

-- name: ratio-plausibility
SELECT 'figures', n.figure_id, n._file, n._line
FROM figures n JOIN figures d ON d._dataset = n._dataset AND d.figure_id = n.linked_figure_id
WHERE n.unit = 'soldier' AND d.value > 0 AND (
       (d.unit = 'brigade' AND n.value / d.value NOT BETWEEN 1000 AND 6000)
    OR (d.unit = 'battalion' AND n.value / d.value NOT BETWEEN 300 AND 1200)
    OR (d.unit = 'division' AND n.value / d.value NOT BETWEEN 6000 AND 25000));

-- name: cross-article-conflict
WITH f AS (
    SELECT figure_id, _dataset, _file, _line, article_id, subject, measure, unit, as_of,
           coalesce(lower, CASE WHEN upper IS NULL THEN value END) AS lo,
           coalesce(upper, CASE WHEN lower IS NULL THEN value END) AS hi
    FROM figures WHERE value IS NOT NULL AND subject IS NOT NULL AND measure IS NOT NULL
)
SELECT 'figures', x.figure_id, x._file, x._line
FROM f x JOIN f y ON y.subject = x.subject AND y.measure = x.measure AND y.unit = x.unit
                 AND y.as_of IS NOT DISTINCT FROM x.as_of
                 AND (y._dataset <> x._dataset OR y.article_id <> x.article_id)
WHERE x.lo > y.hi OR y.lo > x.hi;

-- name: attribution-missing
SELECT 'figures', f.figure_id, f._file, f._line FROM figures f
  ANTI JOIN attributions a ON a._dataset = f._dataset AND a.figure_id = f.figure_id
UNION ALL SELECT 'claims', c.claim_id, c._file, c._line FROM claims c
  ANTI JOIN attributions a ON a._dataset = c._dataset AND a.claim_id = c.claim_id;

-- name: attribution-target
SELECT 'attributions', attribution_id, _file, _line FROM attributions
WHERE (figure_id IS NULL) = (claim_id IS NULL);

-- name: attribution-via-invalid
SELECT 'attributions', a.attribution_id, a._file, a._line FROM attributions a
LEFT JOIN sources v ON v._dataset = a._dataset AND v.source_id = a.via_id
WHERE a.via_id = a.origin_id OR a.via_id = a.reporter_id OR v.kind NOT IN ('outlet', 'news-agency');

-- name: attribution-chain-cycle
-- A chain has at most two edges (reporter -> via -> origin), so a cycle among the edges of one
-- figure or claim is a pair of opposite edges or a triangle.
WITH edges AS (
    SELECT _dataset, coalesce(figure_id, claim_id) AS item, attribution_id, _file, _line,
           reporter_id AS src, coalesce(via_id, origin_id) AS dst FROM attributions
    UNION ALL
    SELECT _dataset, coalesce(figure_id, claim_id), attribution_id, _file, _line, via_id, origin_id
    FROM attributions WHERE via_id IS NOT NULL
), looped AS (
    SELECT e1._dataset, e1.attribution_id, e1._file, e1._line FROM edges e1
    JOIN edges e2 ON e2._dataset = e1._dataset AND e2.item = e1.item AND e2.src = e1.dst AND e2.dst = e1.src
    WHERE e1.src <> e1.dst
    UNION ALL
    SELECT e1._dataset, e1.attribution_id, e1._file, e1._line FROM edges e1
    JOIN edges e2 ON e2._dataset = e1._dataset AND e2.item = e1.item AND e2.src = e1.dst
    JOIN edges e3 ON e3._dataset = e1._dataset AND e3.item = e1.item AND e3.src = e2.dst AND e3.dst = e1.src
    WHERE e1.src <> e1.dst AND e2.src <> e2.dst AND e1.src <> e2.dst
)
SELECT DISTINCT 'attributions', attribution_id, _file, _line FROM looped;

-- name: denied-claim-status
-- Parties that deny something in an article: the claimant, and the body it belongs to.
WITH deniers AS (
    SELECT DISTINCT d._dataset, d.article_id, party
    FROM claims d LEFT JOIN sources s ON s._dataset = d._dataset AND s.source_id = d.claimant_id,
         LATERAL (SELECT unnest([d.claimant_id, s.parent_id]) AS party)
    WHERE d.stance = 'denies' AND party IS NOT NULL
)
SELECT 'claims', c.claim_id, c._file, c._line FROM claims c
SEMI JOIN deniers n ON n._dataset = c._dataset AND n.article_id = c.article_id AND n.party = c.about_id
WHERE c.stance <> 'denies' AND c.status NOT IN ('disputed', 'denied');

-- name: figure-unit-singular
SELECT 'figures', figure_id, _file, _line FROM figures
WHERE unit LIKE '%s' AND unit NOT LIKE '%ss' AND unit NOT IN ('series', 'species', 'news');

-- name: source-name-present
SELECT 'attributions', a.attribution_id, a._file, a._line FROM attributions a
JOIN sources s ON s._dataset = a._dataset AND s.source_id = a.reporter_id
WHERE s.name IS NULL OR trim(s.name) = '';

-- name: gx-articles
SELECT 'articles', article_id, _file, _line FROM articles, (VALUES (1), (2), (3), (4)) v(n)
WHERE (n = 1 AND NOT regexp_matches(language, '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$'))
   OR (n = 2 AND length(title) NOT BETWEEN 1 AND 300)
   OR (n = 3 AND length(text) < 1)
   OR (n = 4 AND NOT regexp_matches(url, '^https?://'));

-- name: gx-sources
SELECT 'sources', source_id, _file, _line FROM sources, (VALUES (1), (2), (3)) v(n)
WHERE (n = 1 AND NOT regexp_matches(source_id, '^[a-z0-9]+(-[a-z0-9]+)*$'))
   OR (n = 2 AND length(name) NOT BETWEEN 1 AND 200)
   OR (n = 3 AND NOT regexp_matches(country, '^[A-Z]{2}$'));

-- name: gx-claims
SELECT 'claims', claim_id, _file, _line FROM claims, (VALUES (1), (2)) v(n)
WHERE (n = 1 AND char_end <= char_start) OR (n = 2 AND length(text) < 1);

-- name: gx-figures
SELECT 'figures', figure_id, _file, _line FROM figures, (VALUES (1), (2), (3), (4), (5), (6)) v(n)
WHERE (n = 1 AND value < 0) OR (n = 2 AND char_end <= char_start) OR (n = 3 AND upper < lower)
   OR (n = 4 AND NOT regexp_matches(subject, '^[a-z0-9]+(-[a-z0-9]+)*$'))
   OR (n = 5 AND NOT regexp_matches(measure, '^[a-z0-9]+(-[a-z0-9]+)*$'))
   OR (n = 6 AND length(value_text) NOT BETWEEN 1 AND 200);

-- name: gx-attributions
SELECT 'attributions', attribution_id, _file, _line FROM attributions, (VALUES (1), (2), (3)) v(n)
WHERE (n = 1 AND length(cue) NOT BETWEEN 1 AND 60) OR (n = 2 AND char_end <= char_start)
   OR (n = 3 AND reporter_id = via_id);
