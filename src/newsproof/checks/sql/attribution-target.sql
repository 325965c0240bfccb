-- An attribution is about exactly one figure or one claim.
SELECT 'attributions' AS table_name, attribution_id AS row_key, 'figure_id' AS column_name,
       coalesce(figure_id, claim_id) AS value,
       CASE WHEN figure_id IS NULL THEN 'attribution names neither a figure nor a claim'
            ELSE 'attribution names both figure ' || figure_id || ' and claim ' || claim_id || '; split it in two'
       END AS message,
       _dataset AS dataset, _file AS file, _line AS line
FROM attributions
WHERE (figure_id IS NULL AND claim_id IS NULL) OR (figure_id IS NOT NULL AND claim_id IS NOT NULL)
