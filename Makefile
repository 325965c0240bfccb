# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB ?= newsproof.duckdb

.PHONY: demo test bench fuzz clean

$(BIN)/newsproof: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,spark]"
	touch $@

demo: $(BIN)/newsproof
	$(BIN)/newsproof run --config newsproof.toml
	$(BIN)/newsproof sql "SELECT value_text, reporter, via, origin, cue FROM figure_evidence WHERE dataset = 'korea-ukraine'" --db $(DB)
	@echo "report: $(CURDIR)/reports/latest/index.html"

test: $(BIN)/newsproof
	$(BIN)/python -m pytest -q

# 100k and 1M figures (BENCH_LARGE=1 adds 10M); never part of `make test`. See benchmarks/README.md.
bench: $(BIN)/newsproof
	$(BIN)/python benchmarks/run.py

# Long property runs, 123 crash kills (25 in `make test`) and 1 GB streaming loads through each
# reader (NEWSPROOF_FUZZ=1); never part of `make test`, which runs the same files smaller.
fuzz: $(BIN)/newsproof
	NEWSPROOF_FUZZ=1 $(BIN)/python -m pytest -q tests/test_fuzz_inputs.py tests/test_crash_consistency.py \
		tests/test_resources.py

clean:
	rm -rf $(VENV) $(DB) $(DB).lock reports/latest reports/runs .pytest_cache
