-- A lower bound above the upper bound describes no count at all.
SELECT 'figures' AS table_name, figure_id AS row_key, 'lower' AS column_name,
       CAST(lower AS VARCHAR) AS value,
       'lower bound ' || CAST(lower AS VARCHAR) || ' is above upper bound ' || CAST(upper AS VARCHAR) AS message,
       _dataset AS dataset, _file AS file, _line AS line,
       article_id AS article_id, char_start AS char_start, char_end AS char_end
FROM figures
WHERE lower IS NOT NULL AND upper IS NOT NULL AND lower > upper
