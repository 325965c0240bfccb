-- Offsets are Python str indices into articles.text: 0 <= char_start < char_end <= length(text).
WITH spans AS (
    SELECT 'figures' AS table_name, figure_id AS row_key, _dataset, _file, _line, article_id,
           char_start, char_end FROM figures
    UNION ALL
    SELECT 'claims', claim_id, _dataset, _file, _line, article_id, char_start, char_end FROM claims
    UNION ALL
    SELECT 'attributions', a.attribution_id, a._dataset, a._file, a._line,
           coalesce(f.article_id, c.article_id), a.char_start, a.char_end
    FROM attributions a
    LEFT JOIN figures f ON f._dataset = a._dataset AND f.figure_id = a.figure_id
    LEFT JOIN claims c ON c._dataset = a._dataset AND c.claim_id = a.claim_id
    WHERE a.char_start IS NOT NULL OR a.char_end IS NOT NULL
)
SELECT s.table_name, s.row_key, 'char_start' AS column_name,
       CAST(s.char_start AS VARCHAR) || '..' || CAST(s.char_end AS VARCHAR) AS value,
       'span ' || coalesce(CAST(s.char_start AS VARCHAR), '?') || '..' || coalesce(CAST(s.char_end AS VARCHAR), '?')
       || ' is outside article ' || s.article_id || ' (' || CAST(length(a.text) AS VARCHAR)
       || ' characters) or empty' AS message,
       s._dataset AS dataset, s._file AS file, s._line AS line, s.article_id AS article_id
FROM spans s
JOIN articles a ON a._dataset = s._dataset AND a.article_id = s.article_id
WHERE s.char_start IS NULL OR s.char_end IS NULL OR s.char_start < 0
   OR s.char_end <= s.char_start OR s.char_end > length(a.text)
