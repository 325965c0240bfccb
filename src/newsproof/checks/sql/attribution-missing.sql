-- Every figure and every claim needs at least one attribution row.
SELECT 'figures' AS table_name, f.figure_id AS row_key, 'figure_id' AS column_name,
       f.figure_id AS value,
       'figure ' || f.figure_id || coalesce(' (' || f.value_text || ')', '') || ' has no attribution' AS message,
       f._dataset AS dataset, f._file AS file, f._line AS line,
       f.article_id AS article_id, f.char_start AS char_start, f.char_end AS char_end
FROM figures f
LEFT JOIN attributions a ON a._dataset = f._dataset AND a.figure_id = f.figure_id
WHERE a.attribution_id IS NULL
UNION ALL
SELECT 'claims', c.claim_id, 'claim_id', c.claim_id,
       'claim ' || c.claim_id || ' has no attribution',
       c._dataset, c._file, c._line, c.article_id, c.char_start, c.char_end
FROM claims c
LEFT JOIN attributions a ON a._dataset = c._dataset AND a.claim_id = c.claim_id
WHERE a.attribution_id IS NULL
