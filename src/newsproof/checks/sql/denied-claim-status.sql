-- A claim about a party that denies it (the party itself or one of its officials) in the same
-- article is disputed or denied, never corroborated or merely reported.
SELECT 'claims' AS table_name, c.claim_id AS row_key, 'status' AS column_name, c.status AS value,
       'claim ' || c.claim_id || ' is about ' || c.about_id || ', who denies it (claim ' || d.claim_id
       || ' by ' || d.claimant_id || '), but its status is ' || c.status || '; use disputed or denied' AS message,
       c._dataset AS dataset, c._file AS file, c._line AS line,
       c.article_id AS article_id, c.char_start AS char_start, c.char_end AS char_end
FROM claims c
JOIN claims d ON d._dataset = c._dataset AND d.article_id = c.article_id
             AND d.stance = 'denies' AND d.claim_id <> c.claim_id
LEFT JOIN sources ds ON ds._dataset = d._dataset AND ds.source_id = d.claimant_id
WHERE c.about_id IS NOT NULL
  AND c.stance <> 'denies'
  AND (d.claimant_id = c.about_id OR ds.parent_id = c.about_id)
  AND c.status NOT IN ('disputed', 'denied')
  AND d.claim_id = (
      SELECT min(d2.claim_id) FROM claims d2
      LEFT JOIN sources s2 ON s2._dataset = d2._dataset AND s2.source_id = d2.claimant_id
      WHERE d2._dataset = c._dataset AND d2.article_id = c.article_id AND d2.stance = 'denies'
        AND (d2.claimant_id = c.about_id OR s2.parent_id = c.about_id))
