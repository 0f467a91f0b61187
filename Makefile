# Vigientreprise — every target bootstraps its own virtual environment.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: venv lint test demo bench chaos install uninstall clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP)
	$(BIN)/python -m pytest -q -m "not chaos" tests

demo: $(STAMP)
	$(BIN)/python -m vigie.daemon.cli.demo

bench: $(STAMP)
	$(BIN)/python bench/run.py

chaos: $(STAMP)
	$(BIN)/python -m pytest -q -m chaos -p no:cacheprovider tests

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache

# Box installation (Raspberry Pi OS Bookworm): sudo make install; staging: make install DESTDIR=/tmp/stage VIGIE_STAGE=1
install:
	DESTDIR="$(DESTDIR)" VIGIE_PYTHON="$(PYTHON)" VIGIE_KANNEL="$(or $(KANNEL),$(VIGIE_KANNEL))" bash install/install.sh

uninstall:
	DESTDIR="$(DESTDIR)" bash install/uninstall.sh $(if $(PURGE),--purge,)
