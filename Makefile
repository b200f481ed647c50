# cpaas-daemon: every set-up step lives here, so a fresh clone needs only `make run` or `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test test-fast test-postgres lint bench clean system-deps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Debian packages the suite uses where it can: espeak-ng + sox (offline TTS for spoken
# OTPs), chromium (the wallboard's browser test), and the prompts and hold music a real
# Asterisk plays in the real-Asterisk tests (the prompts and their words are also the
# speech bench/transcripts.py scores). Each is skipped, with a warning, without them.
DEBIAN_DEPS := espeak-ng:espeak-ng sox:sox chromium:chromium \
  /usr/share/asterisk/sounds/en/digits/1.wav:asterisk-core-sounds-en-wav \
  /usr/share/asterisk/moh:asterisk-moh-opsound-wav
system-deps:
	@missing=""; for dep in $(DEBIAN_DEPS); do \
	  what=$${dep%%:*}; pkg=$${dep##*:}; \
	  command -v $$what >/dev/null 2>&1 || [ -e "$$what" ] || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null 2>&1 || \
	     (apt-get update -qq >/dev/null && \
	      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null)) \
	    || echo "warning: could not install$$missing; the tests that need them skip"; \
	  else echo "warning: install$$missing for the tests that need them"; fi; fi
	@# PostgreSQL's server (initdb) for the PostgreSQL store tests (tests/store_rig.py).
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null 2>&1 \
	    || echo "warning: could not install postgresql; the PostgreSQL store tests skip"; \
	  else echo "warning: install postgresql for the PostgreSQL store tests"; fi; }

run: $(STAMP)
	$(VENV)/bin/cpaas-daemon run --simulate --config config/cpaas.toml

test: $(STAMP) system-deps
	$(PY) -m pytest -q -p no:cacheprovider
	$(MAKE) --no-print-directory test-postgres

# The suite again on a private PostgreSQL (docs/storage.md, "Tests on PostgreSQL"): the
# unit and integration tiers, every daemon and store on PostgreSQL. Not tests/real_asterisk:
# it tests Asterisk, not the store, through the same code paths the integration tier covers
# on PostgreSQL, and would add its minutes of real calls twice. Nor the folders that open
# no store at all (the simulator, the AMI protocol, TTS): they would run the same twice.
NO_STORE := tests/integration/sim tests/unit/sim tests/unit/ami tests/unit/asterisk \
  tests/integration/tts tests/unit/tts
test-postgres: $(STAMP)
	TEST_STORE=postgresql $(PY) -m pytest -q -p no:cacheprovider tests/unit tests/integration \
	  $(addprefix --ignore=,$(NO_STORE))

# The unit tier (no daemon, simulator, Asterisk or subprocess) minus its few `slow` tests
# (seconds of generated data each): about 11 s. `make test` runs everything.
test-fast: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider -m "unit and not slow" tests/unit

lint: $(STAMP)
	$(VENV)/bin/ruff check cpaas_daemon tests bench
	$(VENV)/bin/ruff format --check cpaas_daemon tests bench
	$(VENV)/bin/mypy cpaas_daemon

bench: $(STAMP) system-deps
	$(PY) -m bench $(BENCH)

clean:
	rm -rf $(VENV) build *.egg-info var
