-- text_sha256 must be the SHA-256 of the text: a changed text invalidates every offset.
SELECT 'articles' AS table_name, article_id AS row_key, 'text_sha256' AS column_name,
       text_sha256 AS value,
       'text_sha256 does not match the text (the text changed since curation?); expected ' || sha256(text) AS message,
       _dataset AS dataset, _file AS file, _line AS line, article_id AS article_id
FROM articles
WHERE text_sha256 IS NOT NULL AND text IS NOT NULL AND sha256(text) <> lower(text_sha256)
