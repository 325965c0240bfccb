"""Dataset files as pandas DataFrames typed by the table contracts (for pandera and GX).

Numbers that do not parse become missing values, as `pandas.to_numeric(errors="coerce")`
leaves them: the same rows newsproof rejects at load then fail the not-null rules.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from newsproof.contracts import TYPES, Contract, load_contracts


def _typed(frame: pd.DataFrame, contract: Contract) -> pd.DataFrame:
    for col in contract.columns:
        if col.name not in frame:
            continue
        if col.type in ("INTEGER", "BIGINT"):
            frame[col.name] = pd.to_numeric(frame[col.name], errors="coerce").round().astype("Int64")
        elif col.type == "DOUBLE":
            frame[col.name] = pd.to_numeric(frame[col.name], errors="coerce").astype("Float64")
        elif col.type in ("DATE", "TIMESTAMP"):
            frame[col.name] = pd.to_datetime(frame[col.name], errors="coerce").astype(TYPES[col.type])
        elif col.is_list:
            frame[col.name] = frame[col.name].str.split("|")
        else:
            frame[col.name] = frame[col.name].astype("string")
    return frame


def read_dataset(dataset_dir: str | Path) -> tuple[dict[str, Contract], dict[str, pd.DataFrame]]:
    root = Path(dataset_dir)
    files = yaml.safe_load((root / "dataset.yaml").read_text(encoding="utf-8"))["files"]
    contracts = load_contracts()
    frames = {}
    for table, name in files.items():
        if name.endswith(".jsonl"):
            frame = pd.read_json(root / name, lines=True, dtype=False, convert_dates=False)
        else:
            frame = pd.read_csv(root / name, dtype=str, keep_default_na=False, na_values=[""])
        frames[table] = _typed(frame, contracts[table])
    return contracts, frames
