"""Write a Parquet copy of a generated dataset folder (typed columns, as Parquet is).

Usage: python to_parquet.py CSV_DIR PARQUET_DIR. Rows whose text cannot take the column's type
("n/a" in a number) cannot be stored in typed Parquet and are left out.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import yaml

from newsproof.contracts import load_contracts


def main(csv_dir: str, parquet_dir: str) -> None:
    src, out = Path(csv_dir), Path(parquet_dir)
    out.mkdir(parents=True, exist_ok=True)
    manifest = yaml.safe_load((src / "dataset.yaml").read_text(encoding="utf-8"))
    contracts = load_contracts()
    con = duckdb.connect()
    for table, name in manifest["files"].items():
        types = {c.name: ("VARCHAR" if c.is_list else c.type) for c in contracts[table].columns}
        if name.endswith(".jsonl"):
            source = f"read_json('{src / name}', format = 'newline_delimited', columns = {types!r})"
        else:
            source = (f"read_csv('{src / name}', header = true, delim = ',', quote = '\"', escape = '\"', "
                      f"types = {types!r}, ignore_errors = true)")
        exprs = ", ".join(f"string_split({c.name}, '|') AS {c.name}" if c.is_list else c.name
                          for c in contracts[table].columns)
        con.execute(f"COPY (SELECT {exprs} FROM {source}) TO '{out / (table + '.parquet')}' (FORMAT parquet)")
        manifest["files"][table] = table + ".parquet"
    manifest["name"] = manifest["name"] + "-parquet"
    (out / "dataset.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:])
