"""pandera on pandas: the dataset files read into pandas and validated against pandera schemas
equivalent to the table contracts (types, required values, enums, ranges, patterns) plus unique
keys. Cross-table rules (references, attribution chains, conflicts) have no pandera form.

Usage: python validate_pandera.py DATASET_DIR. Prints the number of failure cases.
"""

from __future__ import annotations

import json
import sys

from frames import read_dataset

from newsproof.contracts import pandera_schema


def main(dataset_dir: str) -> None:
    contracts, frames = read_dataset(dataset_dir)
    from pandera.errors import SchemaErrors

    failures = 0
    for table, frame in frames.items():
        contract = contracts[table]
        schema = pandera_schema(contract).update_columns({contract.primary_key[0]: {"unique": True}})
        try:
            schema.validate(frame, lazy=True)
        except SchemaErrors as exc:
            failures += len(exc.failure_cases)
    print(json.dumps({"rows": sum(len(f) for f in frames.values()), "failure_cases": failures}))


if __name__ == "__main__":
    main(*sys.argv[1:])
