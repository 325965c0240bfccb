-- The qualifier fixes the bounds: over N -> lower N, no upper; under N -> upper N, no lower;
-- exact N -> lower = upper = N; about N -> N x (1 -/+ $about_tolerance); range -> lower <= N <= upper.
SELECT 'figures' AS table_name, figure_id AS row_key, 'qualifier' AS column_name, qualifier AS value,
       'qualifier ' || qualifier || ' needs ' || expected || '; recorded value ' || CAST(value AS VARCHAR)
       || ', lower ' || coalesce(CAST(lower AS VARCHAR), 'empty')
       || ', upper ' || coalesce(CAST(upper AS VARCHAR), 'empty') AS message,
       _dataset AS dataset, _file AS file, _line AS line,
       article_id AS article_id, char_start AS char_start, char_end AS char_end
FROM (
    SELECT *, CASE
        WHEN qualifier = 'exact'
             AND NOT (lower IS NOT NULL AND upper IS NOT NULL AND lower = value AND upper = value)
            THEN 'lower = upper = value'
        WHEN qualifier IN ('over', 'at-least')
             AND NOT (lower IS NOT NULL AND lower = value AND upper IS NULL)
            THEN 'lower = value and an empty upper bound'
        WHEN qualifier IN ('under', 'at-most')
             AND NOT (upper IS NOT NULL AND upper = value AND lower IS NULL)
            THEN 'upper = value and an empty lower bound'
        WHEN qualifier = 'about'
             AND NOT (lower IS NOT NULL AND upper IS NOT NULL
                      AND abs(lower - value * (1 - $about_tolerance)) <= 0.001 * value
                      AND abs(upper - value * (1 + $about_tolerance)) <= 0.001 * value)
            THEN 'lower = value x (1 - ' || CAST($about_tolerance AS VARCHAR) || ') and upper = value x (1 + '
                 || CAST($about_tolerance AS VARCHAR) || ')'
        WHEN qualifier = 'range'
             AND NOT (lower IS NOT NULL AND upper IS NOT NULL AND lower <= value AND value <= upper)
            THEN 'both bounds, with lower <= value <= upper'
    END AS expected
    FROM figures
    WHERE value IS NOT NULL
) checked
WHERE expected IS NOT NULL
