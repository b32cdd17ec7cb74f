# hotmap: the two commands are `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export HOTMAP_SHARED_DATA ?= $(abspath ../shared/data)
DEMO   := resources/demo/hotmap_vale.hotmap.toml
# Debian packages the tests need: headless Chromium (HTML maps), Xvfb (screenshots),
# LibreOffice + poppler (audit-pack page renders), and Qt's xcb libraries.
APT_PACKAGES := chromium xvfb xauth libreoffice-writer-nogui poppler-utils fonts-dejavu-core \
	libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 \
	libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libegl1 libgl1 libfontconfig1 libdbus-1-3

# Byte-compile hotmap's own modules: with PYTHONDONTWRITEBYTECODE set (as on CI) every
# command would otherwise recompile them from source. Only stale files are redone.
COMPILE := $(BIN)/python -m compileall -q -j 0 app mapping layers boundaries resources >/dev/null

.PHONY: run test demo bench fuzz sysdeps venv clean help

help:
	@echo "make run    - install into .venv and open the desktop app on the FICTIONAL demo"
	@echo "make test   - install the test extra and run the whole suite headless"
	@echo "make demo   - run 'hotmap demo --out out/' headless"
	@echo "make bench  - speed and memory benchmarks (figures as ratios to baselines)"
	@echo "make fuzz   - a longer property-based fuzzing campaign of every loader"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "hotmap needs Python 3.11 or newer: set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	@touch $@

venv: $(VENV)/.installed

run: $(VENV)/.installed
	@$(COMPILE)
	$(BIN)/hotmap gui $(DEMO)

demo: $(VENV)/.installed
	@$(COMPILE)
	QT_QPA_PLATFORM=offscreen $(BIN)/hotmap demo --out out/

# Installs the Debian packages the tests use when running as root (as CI does);
# otherwise names the apt line and the tests that need them skip with that reason.
sysdeps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian packages:$$missing"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing) >/dev/null \
		|| echo "warning: apt-get failed; tests that need these packages will skip"; \
	else \
		echo "note: some tests need: sudo apt-get install$$missing"; \
	fi

test: $(VENV)/.installed-test sysdeps
	@$(COMPILE)
	@out=$$($(BIN)/lint-imports --no-cache 2>&1) || { echo "$$out" | sed -n '/Broken contracts/,$$p'; \
		echo "make test: import contracts broken (pyproject.toml [tool.importlinter])"; exit 1; }
	@QT_QPA_PLATFORM=offscreen MPLBACKEND=Agg $(BIN)/python -m pytest -q -p no:cacheprovider; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests; that is a failure here (check tests/)"; exit 1; fi; \
	exit $$rc

bench: $(VENV)/.installed-test
	@$(COMPILE)
	@failed=""; for b in tests/bench/bench_*.py; do echo "== $$b"; \
		QT_QPA_PLATFORM=offscreen $(BIN)/python $$b || failed="$$failed $$b"; done; \
	if [ -n "$$failed" ]; then echo "make bench: targets missed in:$$failed"; exit 1; fi

fuzz: $(VENV)/.installed-test
	HOTMAP_FUZZ_EXAMPLES=20000 QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -p no:cacheprovider -m fuzz tests

clean:
	rm -rf out build *.egg-info .pytest_cache
