-- Citation edges of one figure or claim (reporter -> via -> origin) must not loop back.
-- Cycles of two and three hops are found with plain joins (portable SQL, no recursion):
-- a chain has at most three sources.
WITH edges AS (
    SELECT _dataset, coalesce(figure_id, claim_id) AS item, attribution_id, _file, _line,
           reporter_id AS src, coalesce(via_id, origin_id) AS dst
    FROM attributions
    UNION ALL
    SELECT _dataset, coalesce(figure_id, claim_id), attribution_id, _file, _line, via_id, origin_id
    FROM attributions WHERE via_id IS NOT NULL
), cycles AS (
    SELECT e1._dataset, e1.attribution_id, e1._file, e1._line, e1.item,
           e1.src || ' -> ' || e1.dst || ' -> ' || e2.dst AS path
    FROM edges e1
    JOIN edges e2 ON e2._dataset = e1._dataset AND e2.item = e1.item
                 AND e2.src = e1.dst AND e2.dst = e1.src
    WHERE e1.src <> e1.dst
    UNION ALL
    SELECT e1._dataset, e1.attribution_id, e1._file, e1._line, e1.item,
           e1.src || ' -> ' || e1.dst || ' -> ' || e2.dst || ' -> ' || e3.dst
    FROM edges e1
    JOIN edges e2 ON e2._dataset = e1._dataset AND e2.item = e1.item AND e2.src = e1.dst
    JOIN edges e3 ON e3._dataset = e1._dataset AND e3.item = e1.item AND e3.src = e2.dst
                 AND e3.dst = e1.src
    WHERE e1.src <> e1.dst AND e2.src <> e2.dst AND e1.src <> e2.dst
)
SELECT 'attributions' AS table_name, attribution_id AS row_key, 'reporter_id' AS column_name,
       min(path) AS value, 'attribution chain of ' || item || ' cites in a circle: ' || min(path) AS message,
       _dataset AS dataset, _file AS file, _line AS line
FROM cycles
GROUP BY _dataset, attribution_id, _file, _line, item
