-- Example of a user check in SQL. Return one row per failure with at least table_name and
-- message; dataset, file, line, row_key, column_name and value make the finding point at the row.
SELECT 'figures' AS table_name, figure_id AS row_key, 'unit' AS column_name, unit AS value,
       'unit ' || unit || ' looks plural; record the singular noun' AS message,
       _dataset AS dataset, _file AS file, _line AS line
FROM figures
WHERE unit LIKE '%s' AND unit NOT LIKE '%ss' AND unit NOT IN ('series', 'species', 'news')
