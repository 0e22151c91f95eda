# Two commands for a new machine with Python 3.11 and make: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test demo eval bench lint install install-test browser compile clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test browser

## browser: Debian's Chromium for the browser tests (Playwright drives it; no browser download)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium >/dev/null; }

## compile: the project's bytecode, written ahead (compileall skips what is up to date). Where
## PYTHONDONTWRITEBYTECODE is set, Python writes none itself, so every process (the service, its crawl
## fork server, each CLI call) compiled the project again: about 0.4 s of CPU each.
compile: | $(BIN)/python
	@$(BIN)/python -m compileall -q crawler storage monitor tests >/dev/null

## run: install and start the service on the shipped configuration (SQLite in ./data; without
## --data-dir foiwatch uses the user's data folder, e.g. ~/.local/share/foiwatch)
run: install compile
	$(BIN)/foiwatch --data-dir data run

## test: install with test extras and run the whole suite, two workers (the crash test included;
## `$(BIN)/pytest -m "not crash"` leaves it out while you work)
test: install-test compile
	$(BIN)/pytest -n 2

## demo: crawl a bundled sample log on 127.0.0.1 twice and print the notifications (kept in ./data/demo)
demo: install
	$(BIN)/foiwatch --data-dir data/demo demo

## eval: CCTV classifier precision and recall (eval/cctv.jsonl), outcome accuracy (eval/outcomes.jsonl),
## exemptions cited (eval/exemptions.jsonl), then field-by-field accuracy of the page readers (eval/fields)
eval: install
	$(BIN)/python -m monitor.evaluation.topics
	$(BIN)/python -m monitor.evaluation.fields

## bench: parser and storage throughput figures, classifier texts/s per core beside its target, then
## search times over 100,000 responses (SQLite, PostgreSQL), then the benchmark farm: foiwatch crawling
## generated police and council logs on 127.0.0.1 against a do-nothing Scrapy spider and the minimum
## requests, and the CPU of the same full crawl again, all 304s (BENCHFARM sets its size: 8 police and 2 council logs x 100 responses, 3 runs, about
## 8 minutes on two busy cores), then the per-run cost of an unchanged re-crawl with 1,000 versus
## 100,000 stored responses on SQLite and PostgreSQL (BENCHRECRAWL, about 5 minutes), then
## `foiwatch run` over 500 farm sources until 200 crawls have run: peak memory, its trend, crawls a
## minute (BENCHSERVICE, about 8 minutes). Each prints figure | target | met and writes JSON to data/.
BENCHFARM ?= --sources 8 --councils 2 --responses 100 --runs 3 --json data/benchfarm.json
BENCHRECRAWL ?= --small 1000 --large 100000 --runs 15 --json data/bench_recrawl.json
BENCHSERVICE ?= --sources 500 --runs 200 --per-minute 30 --json data/benchservice.json
bench: install-test compile
	$(BIN)/python -m tests.bench
	$(BIN)/python -m tests.bench_classify
	$(BIN)/python -m tests.bench_search
	mkdir -p data
	$(BIN)/python -m tests.benchfarm $(BENCHFARM)
	$(BIN)/python -m tests.bench_recrawl $(BENCHRECRAWL)
	$(BIN)/python -m tests.benchservice $(BENCHSERVICE)

## lint: ruff everywhere, mypy strict on storage/ and default (settings in pyproject.toml) on crawler/ and monitor/
lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict storage
	$(BIN)/mypy crawler monitor

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
