# cpaas-daemon: every set-up step lives here, so a fresh clone needs only `make run` or `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench clean system-deps bench-deps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Offline TTS (espeak-ng) and audio conversion (sox) come from Debian; installed when we can.
system-deps:
	@command -v espeak-ng >/dev/null && command -v sox >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get install -y -qq espeak-ng sox >/dev/null 2>&1 || \
	     (apt-get update -qq >/dev/null && apt-get install -y -qq espeak-ng sox >/dev/null)) \
	    || echo "warning: espeak-ng/sox not installed; OTP falls back to SayDigits"; \
	  else echo "warning: install espeak-ng and sox for spoken OTP (SayDigits fallback in use)"; fi; }
	@# Headless Chromium drives the wallboard's browser test (skipped without it).
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get install -y -qq chromium >/dev/null 2>&1 || \
	     (apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null)) \
	    || echo "warning: chromium not installed; the wallboard browser test is skipped"; \
	  else echo "warning: install chromium to run the wallboard browser test"; fi; }

# Telephone speech with known words for bench/transcripts.py (skipped without it).
bench-deps:
	@test -f /usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get install -y -qq asterisk-core-sounds-en-wav >/dev/null 2>&1 || \
	     (apt-get update -qq >/dev/null && apt-get install -y -qq asterisk-core-sounds-en-wav >/dev/null)) \
	    || echo "warning: asterisk-core-sounds-en-wav not installed; bench/transcripts skips"; \
	  else echo "warning: install asterisk-core-sounds-en-wav for bench/transcripts"; fi; }

run: $(STAMP)
	$(VENV)/bin/cpaas-daemon run --simulate --config config/cpaas.toml

test: $(STAMP) system-deps
	$(PY) -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(VENV)/bin/ruff check cpaas_daemon tests bench
	$(VENV)/bin/ruff format --check cpaas_daemon tests bench
	$(VENV)/bin/mypy cpaas_daemon

bench: $(STAMP) system-deps bench-deps
	$(PY) -m bench $(BENCH)

clean:
	rm -rf $(VENV) build *.egg-info var
