# The two set-up commands of the README. Both work on a fresh machine: they install uv if it is
# missing, install the locked environment, and make the DuckDB extensions available offline.
# Bytecode is compiled at set-up: where PYTHONDONTWRITEBYTECODE is set (as on our machines) Python would
# otherwise compile Dagster, dbt and GX from source in every process (≈ 2.5 s of each `sdc run` and dbt call).
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false
export DAGSTER_DISABLE_TELEMETRY := 1

.PHONY: setup demo test test-fast lint bench

setup:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --locked --compile-bytecode
	$(UV) run python -m compileall -q -j 0 bench connectors dashboard data_contracts entity_resolution pipelines sdc simulator tests warehouse
	$(UV) run sdc setup

demo: setup
	$(UV) run sdc demo

lint: setup
	$(UV) run ruff check .
	$(UV) run ruff format --check .

# One worker per core; a test module (or the shared model workspace) stays on one worker, pipeline runs first
# (tests/conftest.py).
PYTEST_PARALLEL := -n auto --dist loadscope --no-loadscope-reorder

test: lint
	$(UV) run pytest $(PYTEST_PARALLEL)

# The tests that run no pipeline: readers, contracts, domain rules, resolution logic, masking, dbt unit tests.
test-fast: setup
	$(UV) run pytest $(PYTEST_PARALLEL) -m "not integration"

# Never part of `make test`: end-to-end loads against the floor, per stage (bench/RESULTS.md, bench/results.json).
# BENCH_ARGS=--quick for one repetition without the 90-day and scale-10 scenarios.
bench: setup
	$(UV) run python -m bench $(BENCH_ARGS)
