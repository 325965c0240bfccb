-- A via is a distinct intermediate that passes the statement on: an outlet or a news agency.
SELECT 'attributions' AS table_name, a.attribution_id AS row_key, 'via_id' AS column_name,
       a.via_id AS value,
       CASE WHEN a.via_id = a.origin_id THEN 'via ' || a.via_id || ' is also the origin; leave via empty'
            WHEN a.via_id = a.reporter_id THEN 'via ' || a.via_id || ' is also the reporter; leave via empty'
            ELSE 'via ' || a.via_id || ' is a ' || v.kind || ', not an outlet or news agency'
       END AS message,
       a._dataset AS dataset, a._file AS file, a._line AS line
FROM attributions a
LEFT JOIN sources v ON v._dataset = a._dataset AND v.source_id = a.via_id
WHERE a.via_id IS NOT NULL
  AND (a.via_id = a.origin_id OR a.via_id = a.reporter_id OR v.kind NOT IN ('outlet', 'news-agency'))
