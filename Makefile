# The two set-up commands of the README. Both work on a fresh machine: they install uv if it is
# missing, install the locked environment, and make the DuckDB extensions available offline.
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false
export DAGSTER_DISABLE_TELEMETRY := 1

.PHONY: setup demo test test-fast lint bench

setup:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --locked
	$(UV) run sdc setup

demo: setup
	$(UV) run sdc demo

lint: setup
	$(UV) run ruff check .
	$(UV) run ruff format --check .

test: lint
	$(UV) run pytest

# The tests that run no pipeline: readers, contracts, domain rules, resolution logic, masking, dbt unit tests.
test-fast: setup
	$(UV) run pytest -m "not integration"

# Never part of `make test`: end-to-end loads against the floor, per stage (bench/RESULTS.md, bench/results.json).
# BENCH_ARGS=--quick for one repetition without the 90-day and scale-10 scenarios.
bench: setup
	$(UV) run python -m bench $(BENCH_ARGS)
