"""The driver script to hand to spark-submit: `newsproof validate --engine spark` on the
session spark-submit configures (its --master, --conf and resources stand).

    spark-submit --master spark://host:7077 submit.py DATASET_DIR... --findings-dir DIR [OPTIONS]

It takes the arguments and options of `newsproof validate --engine spark`, prints the findings
and exits as it does: 0 clean, 1 findings, 2 usage or input error (spark-submit passes the
code on in client mode). Its path in an installation:
`python -c 'import newsproof.spark.submit as m; print(m.__file__)'`.
"""

from __future__ import annotations

import sys

# Absolute: spark-submit runs this file as a script, outside its package.
from newsproof.cli import main as newsproof_command


def main(argv: list[str] | None = None) -> None:
    """Validate with `argv` (default: the command line); exits with the validation's code."""
    args = sys.argv[1:] if argv is None else argv
    newsproof_command.main(["validate", "--engine", "spark", *args], prog_name="spark-submit submit.py")


if __name__ == "__main__":
    main()
