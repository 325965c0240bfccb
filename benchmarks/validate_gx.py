"""Great Expectations 1.x on pandas: the dataset files read into pandas and validated with
expectations equivalent to the table contracts (not null, in set, between, regex, unique key)
plus the suite's own GX suites (validators/gx/*.yaml). Cross-table rules have no GX form.

Usage: python validate_gx.py DATASET_DIR. Prints the number of failed expectations and of
unexpected rows. Run as a file, not `python -c` (pyspark, imported by GX, exits on `-c`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml
from frames import read_dataset

GX_SUITES = Path(__file__).resolve().parents[1] / "validators" / "gx"


def _camel(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


def expectations(gx, contract) -> list:
    e = gx.expectations
    found = [e.ExpectColumnValuesToBeUnique(column=contract.primary_key[0])]
    for col in contract.columns:
        if not col.nullable:
            found.append(e.ExpectColumnValuesToNotBeNull(column=col.name))
        if col.enum:
            found.append(e.ExpectColumnValuesToBeInSet(column=col.name, value_set=list(col.enum)))
        if col.min is not None or col.max is not None:
            found.append(e.ExpectColumnValuesToBeBetween(column=col.name, min_value=col.min, max_value=col.max))
        if col.pattern:
            found.append(e.ExpectColumnValuesToMatchRegex(column=col.name, regex=col.pattern))
    suite_file = GX_SUITES / f"{contract.table}.yaml"
    if suite_file.is_file():
        for spec in yaml.safe_load(suite_file.read_text(encoding="utf-8"))["expectations"]:
            found.append(getattr(e, _camel(spec["type"]))(**spec.get("kwargs", {})))
    return found


def main(dataset_dir: str) -> None:
    contracts, frames = read_dataset(dataset_dir)
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_pandas("bench")
    failed = unexpected = 0
    for table, frame in frames.items():
        batch_definition = source.add_dataframe_asset(table).add_batch_definition_whole_dataframe(table)
        suite = context.suites.add(gx.ExpectationSuite(name=table))
        for expectation in expectations(gx, contracts[table]):
            suite.add_expectation(expectation)
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=table, data=batch_definition, suite=suite))
        result = definition.run(batch_parameters={"dataframe": frame}, result_format="COMPLETE")
        for item in result.results:
            if not item.success:
                failed += 1
                unexpected += item.result.get("unexpected_count") or 0
    print(json.dumps({"rows": sum(len(f) for f in frames.values()), "failed_expectations": failed,
                      "unexpected_rows": unexpected}))


if __name__ == "__main__":
    main(*sys.argv[1:])
