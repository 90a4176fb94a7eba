# The two commands: `make run` and `make test`. Everything else is here for them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
NPM_STAMP := frontend/node_modules/.installed
export FLASK_APP := app

# Where `make run` serves (common/serving.py): `make run HOST=0.0.0.0 PORT=8080` lets a phone on the same network
# in; HTTPS=1 serves HTTPS with a self-signed certificate made on first start (instance/), which the camera needs;
# BASE_URL (the address on labels) follows scheme, host and port unless given.
# (some shells export HOST as the machine's name: only the command line's HOST counts)
ifneq ($(origin HOST),command line)
HOST := 127.0.0.1
endif
PORT ?= 8000
HTTPS ?=
BASE_URL ?=

.PHONY: run test bench loadtest screenshots install dev system-deps postgres translations clean

run: install translations
	$(BIN)/flask db upgrade
	HOST='$(HOST)' PORT='$(PORT)' HTTPS='$(HTTPS)' BASE_URL='$(BASE_URL)' $(BIN)/flask demo --if-empty
	DEMO=1 HOST='$(HOST)' PORT='$(PORT)' HTTPS='$(HTTPS)' BASE_URL='$(BASE_URL)' $(BIN)/gunicorn -c gunicorn.conf.py 'app:create_app()'

test: dev system-deps translations postgres
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# wrk (Debian) is the load generator of the scan benchmark (bench/scan.py).
bench: dev translations postgres
	@command -v wrk >/dev/null || { echo "installing wrk from Debian"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python -m bench

# Many phones at once against gunicorn on PostgreSQL, retries, racing duplicates, a worker killed (bench/loadtest.py).
# Not part of `make test`; LOADTEST_CLIENTS and LOADTEST_SECONDS change its size.
loadtest: dev translations postgres
	$(BIN)/python -m bench.loadtest

# Full-page PNGs of every page at 1280 px and 390 x 844, Chinese and English, into screenshots/ (not committed),
# on a throwaway copy of the demo county (scripts/screenshots.py; --only SUBSTRING picks pages).
screenshots: dev system-deps translations
	$(BIN)/python scripts/screenshots.py $(SCREENSHOTS_ARGS)

install: $(VENV)/.installed $(NPM_STAMP)
dev: $(VENV)/.dev-installed

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

# Front-end files the app serves itself under /static/vendor/ (the scanning page's decoder and its .wasm, the map's Leaflet):
# installed from the npm registry exactly as frontend/package-lock.json says, again only when it changes.
$(NPM_STAMP): frontend/package-lock.json
	@command -v npm >/dev/null || { echo "installing npm from Debian"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $@

translations: install
	$(BIN)/pybabel -q compile -d translations

# Debian packages the tests use: Chromium for the browser tests, a CJK font so pages render Chinese (and
# fonts-wqy-microhei, a TrueType one, for the report PDFs: ReportLab cannot embed Noto CJK's CFF outlines),
# ffmpeg to turn a rendered label into the fake camera's .mjpeg stream.
system-deps:
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi "noto sans cjk" || ! fc-list 2>/dev/null | grep -qi "wenquanyi micro hei" || ! command -v pdftotext >/dev/null || ! ldconfig -p | grep -q libpangoft2-1.0 || ! command -v ffmpeg >/dev/null; then \
		echo "installing chromium, fonts-noto-cjk, fonts-wqy-microhei, poppler-utils, pango (WeasyPrint) and ffmpeg from Debian"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk fonts-wqy-microhei fontconfig poppler-utils libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 ffmpeg >/dev/null; \
	fi

# Starts (or installs) the local PostgreSQL the tests run against; with REQUIRE_POSTGRES=1 (CI) a failure stops here.
postgres:
	@scripts/ensure-postgres.sh || { [ "$$REQUIRE_POSTGRES" != 1 ] && echo "WARNING: PostgreSQL unavailable; its half of the suite will not run"; }

clean:
	rm -rf $(VENV) instance frontend/node_modules
