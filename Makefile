# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB ?= newsproof.duckdb

.PHONY: demo test bench fuzz clean

$(BIN)/newsproof: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

demo: $(BIN)/newsproof
	rm -f $(DB)
	$(BIN)/newsproof load datasets/korea-ukraine datasets/synthetic-followups --db $(DB)
	$(BIN)/newsproof validate --db $(DB)
	$(BIN)/newsproof sql "SELECT value_text, reporter, via, origin, cue FROM figure_evidence WHERE dataset = 'korea-ukraine'" --db $(DB)

test: $(BIN)/newsproof
	$(BIN)/python -m pytest -q

# 100k and 1M figures (BENCH_LARGE=1 adds 10M); never part of `make test`. See benchmarks/README.md.
bench: $(BIN)/newsproof
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) $(DB) reports/latest .pytest_cache
