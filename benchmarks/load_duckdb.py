"""The loading floor: DuckDB's own readers load a dataset folder's files into typed tables.

Usage: python load_duckdb.py DATASET_DIR DB. Types come from the table contracts; rows DuckDB
cannot type are kept in its own rejects table (`store_rejects`), as newsproof keeps them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb
import yaml

from newsproof.contracts import load_contracts


def main(dataset_dir: str, db: str) -> None:
    root = Path(dataset_dir)
    files = yaml.safe_load((root / "dataset.yaml").read_text(encoding="utf-8"))["files"]
    contracts = load_contracts()
    con = duckdb.connect(db)
    rows = 0
    for table, name in files.items():
        path = str(root / name)
        types = {c.name: c.type for c in contracts[table].columns}
        if name.endswith(".parquet"):
            source = f"read_parquet('{path}')"
        elif name.endswith(".jsonl"):
            source = f"read_json('{path}', format = 'newline_delimited', columns = {types!r})"
        else:
            csv_types = {k: ("VARCHAR" if v.endswith("[]") else v) for k, v in types.items()}
            source = (f"read_csv('{path}', header = true, delim = ',', quote = '\"', escape = '\"', "
                      f"types = {csv_types!r}, store_rejects = true, "
                      f"rejects_table = 'rejects_{table}', rejects_scan = 'scan_{table}')")
        columns = ", ".join(types)  # the contract's columns; others in the file are not loaded
        con.execute(f"CREATE TABLE {table} AS SELECT {columns} FROM {source}")
        rows += con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    con.close()
    print(json.dumps({"rows": rows}))


if __name__ == "__main__":
    main(*sys.argv[1:])
