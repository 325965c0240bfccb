"""newsproof: data-quality checks for news datasets.

The library is the interface; the `newsproof` command is a thin layer over these functions:

    load_dataset(dataset_dir, db)        -> LoadResult        (newsproof load)
    validate(db, suite=..., ...)         -> ValidationResult  (newsproof validate)
    write_report(db, out_dir, ...)       -> Path              (newsproof report)
    run_project(read_config(path), ...)  -> RunOutcome        (newsproof run)
    run_sql(db, query)                   -> (columns, rows)   (newsproof sql)
"""

__version__ = "0.1.0"

from .checks.base import Check, CheckContext, Failure  # noqa: E402
from .config import read_config  # noqa: E402
from .engine import validate  # noqa: E402
from .errors import NewsproofError  # noqa: E402
from .load import load_dataset  # noqa: E402
from .report import write_report  # noqa: E402
from .runs import run_project  # noqa: E402
from .store import run_sql  # noqa: E402

__all__ = [
    "Check", "CheckContext", "Failure", "NewsproofError", "load_dataset", "read_config",
    "run_project", "run_sql", "validate", "write_report",
]
