# The two fresh-machine commands (README): `make demo` and `make test`.
VENV ?= .venv
DEMO_DIR := runs/demo-$(shell date +%Y%m%d-%H%M%S)
DEMO_STEPS ?= 60

.PHONY: install demo test test-vllm lint bench

install:
	bash scripts/install.sh

demo: install
	$(VENV)/bin/harness run --env quest --model local --harness continual --max-meta-calls 1 --steps $(DEMO_STEPS) --run-dir $(DEMO_DIR)
	$(VENV)/bin/harness inspect $(DEMO_DIR)
	$(VENV)/bin/harness versions $(DEMO_DIR)
	$(VENV)/bin/harness memory $(DEMO_DIR)
	$(VENV)/bin/harness report $(DEMO_DIR) --out $(DEMO_DIR)/report

test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -q

# opt-in: vLLM for CPU in its own venv (3.4 GB) and the tests that need it
test-vllm: install
	bash scripts/install-vllm.sh
	$(VENV)/bin/pytest -q -m vllm -s

bench: install
	$(VENV)/bin/python -m bench
