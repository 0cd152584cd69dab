# minikube_py: `make demo` starts a cluster and deploys the demo; `make test` runs every check.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_HOME ?= $(CURDIR)/.data/demo

.PHONY: venv test lint unit demo demo-down bench fuzz clean docker etcd

venv: $(STAMP)

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $(STAMP)

lint: venv
	$(VENV)/bin/ruff check minikube_py tests bench
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

# A Docker engine and the local images (nothing is pulled): the kubelet's tests need them.
docker: venv
	bash scripts/ensure_docker.sh
	PY=$(PY) bash scripts/build_images.sh

# Debian's etcd-server: the etcd backend's tests start real etcd processes on loopback.
etcd:
	bash scripts/ensure_etcd.sh

test: lint docker etcd
	$(VENV)/bin/pytest -q -p no:cacheprovider --durations=15

# The long fuzz profile (docs/FUZZING.md): >10,000 hostile requests, a report in .data/.
FUZZ_REPORT ?= $(CURDIR)/.data/fuzz-report.json
fuzz: venv
	MINIKUBE_PY_FUZZ=long MINIKUBE_PY_FUZZ_REPORT=$(FUZZ_REPORT) \
		$(VENV)/bin/pytest tests/fuzz/test_fuzz.py -q -p no:cacheprovider; \
		status=$$?; $(PY) -m tests.fuzz.report $(FUZZ_REPORT); exit $$status

demo: docker
	MINIKUBE_PY_HOME=$(DEMO_HOME) PY=$(PY) bash scripts/demo.sh

demo-down: venv
	$(PY) -m minikube_py.cli.main down --data-dir $(DEMO_HOME)

bench: venv etcd
	for b in bench/bench_*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) .data build *.egg-info
