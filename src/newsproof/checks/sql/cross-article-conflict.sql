-- The same count (subject, measure, unit, as_of) reported by two articles with bounds that
-- cannot both hold. Different measures (sent for training vs planned total) are never compared.
-- A missing bound is open; "over 1,500" and "exactly 1,500" are treated as compatible.
WITH f AS (
    SELECT f.*, coalesce(a.outlet, '') AS outlet,
           coalesce(lower, CASE WHEN upper IS NULL THEN value END) AS lo,
           coalesce(upper, CASE WHEN lower IS NULL THEN value END) AS hi
    FROM figures f
    LEFT JOIN articles a ON a._dataset = f._dataset AND a.article_id = f.article_id
    WHERE f.value IS NOT NULL AND f.subject IS NOT NULL AND f.measure IS NOT NULL
)
SELECT 'figures' AS table_name, x.figure_id AS row_key, 'value' AS column_name, x.value_text AS value,
       coalesce(x.value_text, CAST(x.value AS VARCHAR)) || ' (figure ' || x.figure_id
       || ' in article ' || coalesce(x.article_id, '?') || ') conflicts with '
       || coalesce(y.value_text, CAST(y.value AS VARCHAR)) || ' (figure ' || y.figure_id
       || ' in article ' || coalesce(y.article_id, '?') || ', '
       || CASE WHEN y._dataset <> x._dataset THEN y._dataset || '/' ELSE '' END
       || y._file || ':' || CAST(y._line AS VARCHAR) || ') for ' || x.subject || ' / ' || x.measure
       || ' / ' || x.unit || ' as of ' || coalesce(CAST(x.as_of AS VARCHAR), 'an unknown date') AS message,
       x._dataset AS dataset, x._file AS file, x._line AS line,
       x.article_id AS article_id, x.char_start AS char_start, x.char_end AS char_end
FROM f x
JOIN f y ON y.subject = x.subject AND y.measure = x.measure AND y.unit = x.unit
        AND y.as_of IS NOT DISTINCT FROM x.as_of
        AND (y._dataset <> x._dataset OR y.article_id <> x.article_id)
WHERE (x.lo IS NOT NULL AND y.hi IS NOT NULL AND x.lo > y.hi)
   OR (y.lo IS NOT NULL AND x.hi IS NOT NULL AND y.lo > x.hi)
