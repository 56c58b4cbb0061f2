# The two commands of the README:
#   make serve   sets up and starts the app on http://127.0.0.1:8000
#   make test    sets up and runs every test (desktop WebGPU and headless Chromium)
PY := .venv/bin/python

.PHONY: setup serve test bench

setup:
	bash .ci/setup

serve: setup
	.venv/bin/webgrad serve

test: setup
	$(PY) -m pytest tests e2e

bench: setup
	.venv/bin/pip install -q -e ".[dev,bench]"
	$(PY) benchmarks/matmul.py
	$(PY) benchmarks/eager_overhead.py
	$(PY) benchmarks/train_step_desktop.py
	$(PY) benchmarks/train_step_browser.py --no-write
	$(PY) benchmarks/startup.py --no-write
	$(PY) benchmarks/playground.py
