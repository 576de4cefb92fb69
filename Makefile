# jwtgate: `make serve` and `make test` are all a new user needs (Python 3.11+).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SERVE_STAMP := $(VENV)/.serve-stamp
# make serve PORT=8080 HOST=0.0.0.0 (on the command line only: a shell's own HOST or PORT
# variable is not taken); without them jwtgate serve reads JWTGATE_PORT and JWTGATE_HOST
# (default 127.0.0.1:8000).
serve_option = $(if $(filter command line,$(origin $(1))), --$(2) $($(1)))

.PHONY: serve test lint typecheck pytest bench bench-http bench-servers bench-venv bench-growth fuzz fuzz-api soak clean browser-deps scale-deps node-deps oidc-deps mfa-deps screenshots

define make_venv
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "jwtgate needs Python 3.11 or newer: set PYTHON=python3.11")'
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
endef

# What serving needs, and nothing more: jwtgate and its runtime dependencies.
$(SERVE_STAMP): pyproject.toml
	$(make_venv)
	@echo "installing jwtgate into $(VENV) ..."
	@$(BIN)/python -m pip install -q -e .
	@touch $@

# Everything make test runs: the runtime plus the dev extra (linters, test tools, peers).
$(STAMP): pyproject.toml
	$(make_venv)
	@echo "installing jwtgate and its dev tools into $(VENV) ..."
	@$(BIN)/python -m pip install -q --upgrade pip
	@$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@ $(SERVE_STAMP)

serve: $(SERVE_STAMP)
	$(BIN)/jwtgate serve$(call serve_option,HOST,host)$(call serve_option,PORT,port)

test: $(STAMP) browser-deps scale-deps node-deps oidc-deps mfa-deps lint typecheck pytest

# The browser tests drive Debian's chromium package (not a browser download). Installed when
# missing (as root, or with sudo); under CI=true a missing chromium is an error.
CHROMIUM ?= /usr/bin/chromium
browser-deps:
	@if [ -x "$(CHROMIUM)" ]; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "installing chromium (Debian package) for the browser tests ..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1; then \
		sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	elif [ "$$CI" = true ]; then echo "chromium is missing and cannot be installed" >&2; exit 1; \
	else echo "chromium is missing: the browser tests will be skipped (apt-get install chromium)"; fi

# The multi-instance tests (tests/scale) put Debian's nginx in front of two jwtgate serve
# processes, and the scale-out benchmark's smoke test drives them with wrk. Both are installed
# when missing (as root, or with sudo); under CI=true a missing one is an error.
scale-deps:
	@missing=""; for tool in nginx wrk; do \
		command -v $$tool >/dev/null 2>&1 || [ -x /usr/sbin/$$tool ] || missing="$$missing $$tool"; \
	done; \
	if [ -z "$$missing" ]; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "installing$$missing (Debian packages) for the multi-instance tests ..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1; then \
		sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	elif [ "$$CI" = true ]; then echo "missing and cannot be installed:$$missing" >&2; exit 1; \
	else echo "missing:$$missing: the multi-instance tests will be skipped (apt-get install$$missing)"; fi

# The TOTP tests check codes from a second, independent generator: Debian's oathtool
# (package oathtool). Installed when missing (as root, or with sudo); under CI=true a missing
# oathtool is an error.
mfa-deps:
	@if command -v oathtool >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "installing oathtool (Debian package) for the TOTP tests ..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq oathtool >/dev/null; \
	elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1; then \
		sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq oathtool >/dev/null; \
	elif [ "$$CI" = true ]; then echo "oathtool is missing and cannot be installed" >&2; exit 1; \
	else echo "oathtool missing: the TOTP cross-check will be skipped (apt-get install oathtool)"; fi

# Protocol tests run clients and providers nobody here wrote (npm openid-client, oauth4webapi,
# oidc-provider, jose) from tests/node's committed package-lock.json. Node and npm come from
# Debian when missing (as root, or with sudo); under CI=true a missing one is an error.
node-deps:
	@if ! command -v npm >/dev/null 2>&1; then \
		if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
			echo "installing nodejs and npm (Debian packages) for the protocol tests ..."; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
		elif [ "$$CI" = true ]; then echo "node and npm are missing and cannot be installed" >&2; exit 1; \
		else echo "npm is missing: the protocol tests will be skipped (apt-get install nodejs npm)"; exit 0; fi; \
	fi; \
	if [ ! -f tests/node/node_modules/.package-lock.json ] || [ tests/node/package-lock.json -nt tests/node/node_modules/.package-lock.json ]; then \
		echo "installing the npm packages of tests/node (npm ci) ..."; \
		npm ci --prefix tests/node --no-audit --no-fund --loglevel=error >/dev/null; \
	fi

# The OpenID Connect relying-party test puts Debian's Apache with mod_auth_openidc in front of
# a static page (tests/web/test_apache_oidc.py). Installed when missing (as root, or with sudo);
# under CI=true a missing one is an error.
APACHE_OIDC_MODULE ?= /usr/lib/apache2/modules/mod_auth_openidc.so
oidc-deps:
	@if [ -x /usr/sbin/apache2 ] && [ -f "$(APACHE_OIDC_MODULE)" ]; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "installing apache2 and libapache2-mod-auth-openidc (Debian packages) for the OIDC tests ..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq apache2 libapache2-mod-auth-openidc >/dev/null; \
	elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1; then \
		sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq apache2 libapache2-mod-auth-openidc >/dev/null; \
	elif [ "$$CI" = true ]; then echo "apache2 with mod_auth_openidc is missing and cannot be installed" >&2; exit 1; \
	else echo "apache2 or mod_auth_openidc is missing: the Apache OIDC test will be skipped (apt-get install apache2 libapache2-mod-auth-openidc)"; fi

# Run the browser tests and copy their screenshots to docs/screenshots (linked from docs/web.md).
screenshots: $(STAMP) browser-deps
	JWTGATE_PUBLISH_SCREENSHOTS=1 $(BIN)/pytest -q -m browser tests/web/test_browser.py tests/email/test_browser.py

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples fuzz
	$(BIN)/ruff format --check src

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/tokens.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis

# Long fuzzing runs (make test runs each harness for a few seconds): FUZZ_SECONDS per harness.
# libFuzzer keeps what it learns in .fuzz/<harness>; a crash leaves .fuzz/crash-*. fuzz/README.md
FUZZ_SECONDS ?= 600
FUZZ_HARNESSES ?= decode jwks refresh_token
fuzz: $(STAMP)
	@for h in $(FUZZ_HARNESSES); do \
		mkdir -p .fuzz/$$h && echo "fuzzing $$h for $(FUZZ_SECONDS) s ..." && \
		$(BIN)/python -m fuzz.fuzz_$$h -max_total_time=$(FUZZ_SECONDS) -timeout=20 \
			-artifact_prefix=.fuzz/ -print_final_stats=1 .fuzz/$$h fuzz/corpus/$$h || exit 1; \
	done

# API fuzzing with many more examples than make test runs (schemathesis and hypothesis).
FUZZ_API_EXAMPLES ?= 300
fuzz-api: $(STAMP)
	JWTGATE_FUZZ_API_EXAMPLES=$(FUZZ_API_EXAMPLES) $(BIN)/pytest -q tests/fuzzapi

# Soak: mixed load on a real server for SOAK_SECONDS with its memory sampled; fails when the
# RSS still grows after warm-up (slope printed) or any request got a 5xx.
SOAK_SECONDS ?= 600
soak: $(STAMP)
	$(BIN)/python benchmarks/soak.py --seconds $(SOAK_SECONDS)

# The HTTP benchmark of one worker (wrk from Debian: make scale-deps installs it).
bench-http: $(STAMP) scale-deps
	$(BIN)/python benchmarks/http.py

# jwtgate against djangorestframework-simplejwt, Flask-JWT-Extended and fastapi-users over HTTP
# (benchmarks/servers.py). The peers live in .venv-bench, made from pyproject's `bench` extra
# (their dependencies would downgrade .venv's); jwtgate itself runs from .venv.
BENCH_VENV := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed-stamp
bench_extra = $(PYTHON) -c 'import tomllib; print(" ".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["bench"]))'
$(BENCH_STAMP): pyproject.toml
	@test -d $(BENCH_VENV) || $(PYTHON) -m venv $(BENCH_VENV)
	@echo "installing the benchmark peers into $(BENCH_VENV) ..."
	@$(BENCH_VENV)/bin/python -m pip install -q $$($(bench_extra))
	@touch $@
bench-venv: $(BENCH_STAMP)

BENCH_ARGS ?=
bench-servers: $(STAMP) $(BENCH_STAMP) scale-deps
	$(BIN)/python benchmarks/servers.py $(BENCH_ARGS)

# Refresh and protected-GET speed as the database grows (SQLite and PostgreSQL).
bench-growth: $(STAMP) scale-deps
	$(BIN)/python benchmarks/growth.py $(BENCH_ARGS)
