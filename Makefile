# AskBuddyX: `make run` (the whole pipeline) and `make test` are all most people need.
# Every pipeline target is a thin wrapper over DVC, which reruns only what changed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: run test test-rebuild deps fetch-data prep-data train eval eval-full all bundle serve publish lint clean-venv bench

# PROFILE=tiny (or release): run that profile as a DVC experiment (params.yaml recomposed
# from conf/, as `dvc exp run -S profile=tiny`); without it, `dvc repro` of params.yaml as is.
PROFILE ?=

run: $(STAMP)  ## create .venv, install, run the pipeline (dvc repro), say where things are
	$(if $(PROFILE),$(BIN)/dvc exp run -S profile=$(PROFILE),$(BIN)/dvc repro)
	@echo ""
	@echo "Adapter : outputs/adapters/dev/  (adapters.safetensors, adapter_config.json, run_meta.json)"
	@echo "Metrics : metrics/  (data.json, train.json, eval.json; compare: dvc metrics diff)"
	@echo "Report  : outputs/eval/report.md  (chart: outputs/eval/base_vs_adapter.png)"
	@echo "Bundle  : outputs/hf_bundle/"

# Tests run a file per worker on every core (pytest-xdist --dist loadfile): a file's tests share
# module fixtures and run in order, so files that build on an earlier test stay correct.
# Serially (`.venv/bin/python -m pytest -q`) the suite takes ~11 min on 2 cores, ~5.6 with xdist.
test: $(STAMP)  ## ruff + pytest, offline
	@bash scripts/install_browser.sh
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n auto --dist loadfile --durations=10

test-rebuild: $(STAMP)  ## rebuild the embedded base model and compare bytes (~30 min)
	ASKBUDDYX_REBUILD_TEST=1 $(BIN)/python -m pytest -q tests/test_tiny_model.py

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	-@bash scripts/install_openblas.sh
	-@bash scripts/install_torch_cpu.sh $(BIN)/python
	touch $(STAMP)

deps: $(STAMP)  ## install dependencies into .venv

fetch-data: $(STAMP)
	$(BIN)/dvc repro fetch_data

prep-data: $(STAMP)
	$(BIN)/dvc repro build_text

train: $(STAMP)
	$(BIN)/dvc repro train

eval: $(STAMP)
	$(BIN)/dvc repro evaluate

# All 164 HumanEval problems (the pipeline scores eval.humaneval_limit of them), base and
# adapter, with the evaluate stage's other settings. Outside DVC: it writes
# metrics/eval_full.json, no DVC output, so `dvc status` stays clean.
eval-full: $(STAMP)  ## HumanEval pass@1 over all 164, base vs adapter: metrics/eval_full.json
	$(BIN)/dvc repro train
	$(BIN)/askbuddyx eval compare --model models/base --adapter outputs/adapters/dev \
	  --suite humaneval --humaneval-limit 0 --out metrics/eval_full.json

all: run

bundle: $(STAMP)
	$(BIN)/dvc repro bundle

serve: $(STAMP)  ## OpenAI-compatible server + chat page on the trained adapter (127.0.0.1:8080)
	$(BIN)/askbuddyx serve $(SERVE_ARGS)

# Gated upload (metrics/eval.json gate_passed, no regression vs metrics/published.json).
# Check first: make publish PUBLISH_ARGS=--dry-run ; override: PUBLISH_ARGS='--force "reason"'
publish: $(STAMP)  ## release check (dvc repro publish), then upload outputs/hf_bundle to the hub
	$(BIN)/dvc repro publish
	$(BIN)/askbuddyx publish $(PUBLISH_ARGS)

bench: $(STAMP)  ## the benchmarks in bench/, each sized to its time share (<20 min): metrics/bench.json
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

clean-venv:
	rm -rf $(VENV)
