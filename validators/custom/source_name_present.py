"""Example of a user check in Python.

A check function takes the check context (`ctx.con` is the DuckDB connection, `ctx.params` the
suite parameters) and yields failures as `newsproof.Failure` objects or plain dicts with the same
fields. Push the work down to SQL and stream the rows, as here.
"""

SQL = """
SELECT a.attribution_id, a.reporter_id, a._dataset, a._file, a._line
FROM attributions a
JOIN sources s ON s._dataset = a._dataset AND s.source_id = a.reporter_id
WHERE s.name IS NULL OR trim(s.name) = ''
"""


def check(ctx):
    cursor = ctx.con.execute(SQL)
    while rows := cursor.fetchmany(1000):
        for attribution_id, reporter_id, dataset, file, line in rows:
            yield {
                "table_name": "attributions", "row_key": attribution_id, "column_name": "reporter_id",
                "value": reporter_id, "message": f"reporter {reporter_id} has no name",
                "dataset": dataset, "file": file, "line": line,
            }
