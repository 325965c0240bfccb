"""The validation floor: the default suite's rules as hand-written DuckDB SQL (handwritten.sql).

Usage: python validate_sql.py DB. Every rule's failing rows are materialised, as newsproof
stores its findings; prints the number of findings.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import duckdb

HANDWRITTEN = Path(__file__).with_name("handwritten.sql")


def rules() -> dict[str, str]:
    parts = re.split(r"^-- name: ([a-z0-9-]+)\s*$", HANDWRITTEN.read_text(encoding="utf-8"), flags=re.M)
    return {name: sql.strip().rstrip(";") for name, sql in zip(parts[1::2], parts[2::2])}


def main(db: str) -> None:
    con = duckdb.connect(db, read_only=True)
    found = 0
    for number, sql in enumerate(rules().values()):
        con.execute(f"CREATE TEMP TABLE rule_{number} AS {sql}")
        found += con.execute(f"SELECT count(*) FROM rule_{number}").fetchone()[0]
    con.close()
    print(json.dumps({"rules": len(rules()), "findings": found}))


if __name__ == "__main__":
    main(*sys.argv[1:])
