# Two commands on a fresh machine: `make run` (the TUI on the demo store) and `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.kehu-installed

.PHONY: install run test lint bench demo docs translations clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

run: install
	KEHU_STORE= $(VENV)/bin/kehu --demo tui  # a copy of records/: the tracked demo never changes

test: install
	$(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check kehu_core plugins tui tests bench scripts

N ?= 10000
bench: install  ## the benchmark suite at N customers (default 10 000): `make bench N=100000`
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	$(PY) bench/run.py --customers $(N) --repeat 3
	$(PY) bench/loaders.py --customers $(N)
	$(PY) bench/reminders_list.py --customers $(N)
	$(PY) bench/khard_compare.py --customers $(N)

docs: install  ## the documentation site, strict (a broken link or anchor fails), into site/
	$(VENV)/bin/mkdocs build --strict --site-dir site

translations: install  ## re-extract messages, update the zh_CN/en catalogs, compile (docs/translating.md)
	$(PY) scripts/translations.py

demo: install
	$(PY) scripts/make_demo.py records

clean:
	rm -rf $(VENV) build dist *.egg-info
