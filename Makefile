# atlas-coord: `make run` serves the console on http://127.0.0.1:5000; `make test` runs the suite.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
HOST   ?= 127.0.0.1
export ATLAS_CONFIG ?=

.PHONY: run setup test bench loadtest lint venv assets clean serve-only

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

assets: static/vendor/.complete

static/vendor/.complete: package.json package-lock.json scripts/vendor_assets.py
	$(PYTHON) scripts/vendor_assets.py
	@touch $@

instance/secret_key:
	@mkdir -p instance
	@$(PYTHON) -c 'import secrets; print(secrets.token_hex(32))' > $@
	@chmod 600 $@

# The audit trail's HMAC key (id "local"), held outside the database; ATLAS_AUDIT_KEYS or
# audit.hmac_keys take precedence (atlas_coord/config.py). Back it up apart from the database.
instance/audit_key:
	@mkdir -p instance
	@$(PYTHON) -c 'import secrets; print("local:" + secrets.token_hex(32))' > $@
	@chmod 600 $@

# The key that seals secrets the application reads back (TOTP secrets; id "local"), held outside
# the database like the audit key; ATLAS_ENCRYPTION_KEYS or encryption.keys take precedence.
instance/encryption_key:
	@mkdir -p instance
	@$(PYTHON) -c 'import secrets; print("local:" + secrets.token_hex(32))' > $@
	@chmod 600 $@

instance/demo_password:
	@mkdir -p instance
	@$(PYTHON) -c 'import secrets; print("demo-" + secrets.token_urlsafe(9))' > $@
	@chmod 600 $@

# Embedded default: SQLite in instance/, one process, no other service. `setup` is the part of
# `make run` before serving. No secret key is passed around: every atlas-coord process started
# in this folder (make run's and the CLI run by hand) reads instance/secret_key when neither
# ATLAS_SECRET_KEY nor server.secret_key is set, instance/audit_key when no audit key is
# configured, and instance/encryption_key when no encryption key is (atlas_coord/config.py).
setup: venv instance/secret_key instance/audit_key instance/encryption_key instance/demo_password
	@$(BIN)/atlas-coord db upgrade
	@ATLAS_DEMO_PASSWORD=$${ATLAS_DEMO_PASSWORD:-$$(cat instance/demo_password)} $(BIN)/atlas-coord seed --demo

run: setup assets
	@$(BIN)/atlas-coord serve --host $(HOST) --port $(PORT)

test: venv assets
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Fault tests: kill -9 a server mid-traffic, restart Redis and PostgreSQL (private instances on
# free ports), kill the scheduler mid-run. Also part of `make test`; this runs them alone. Set
# ATLAS_TEST_DATABASE_URL / ATLAS_TEST_REDIS_URL as for `make test` (CI=true: no skips).
.PHONY: faults
faults: venv
	$(BIN)/python -m pytest tests/faults \
	  tests/test_scheduler_process.py::test_a_scheduler_killed_mid_run_and_restarted_loses_nothing_and_doubles_nothing \
	  $(PYTEST_ARGS)

bench: venv
	$(BIN)/python -m benchmarks

# Load test of the production layout (needs PostgreSQL and Redis on 127.0.0.1; ~2 minutes):
# 2 servers, 200 operators (locust), 500 live listeners, then load steps until p99 > 1 s (the measured
# saturation); prints a `loadtest ...` and a `goals:` line.
loadtest: venv
	$(BIN)/python -m benchmarks.loadtest

lint: venv
	$(BIN)/ruff check atlas_coord tests benchmarks migrations
	$(BIN)/ruff check --select C901 atlas_coord

clean:
	rm -rf $(VENV) node_modules static/vendor
