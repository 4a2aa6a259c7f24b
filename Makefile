# msp_business_planning: set-up, run, test, benchmark and lint, on Odoo 18.0 and 19.0.
# The Odoo trees are prerequisites (README "Supported versions"): ODOO_18_TREE and
# ODOO_19_TREE, by default /opt/odoo/18.0 and /opt/odoo/19.0. Each version found gets its
# own virtualenv, .cache/venv-<version>; nothing is installed into the system Python.
#
#   make test                      every version found    make test ODOO_VERSION=19   one
#   make run                       the newest version     make run ODOO_VERSION=18

SHELL := /bin/bash
BASE_PYTHON ?= python3
CACHE := .cache
ADDON := msp_business_planning
ELEARNING_ADDON := msp_business_planning_elearning
DASHBOARD_ADDON := msp_business_planning_spreadsheet_dashboard
DEMO_DB ?= msp_demo
TEST_DB ?= msp_test
HTTP_PORT ?= 8069
GEVENT_PORT ?= $(shell echo $$(( $(HTTP_PORT) + 3 )))
CONF := $(CACHE)/odoo.conf
# Both versions are tested at once (TEST_JOBS=1: one after the other), each with its own
# copy of the configuration: the tests of 18.0 serve HTTP on HTTP_PORT, those of 19.0 on
# HTTP_PORT + 1.
TEST_JOBS ?= 2
export ODOO_18_TREE ?= /opt/odoo/18.0
export ODOO_19_TREE ?= /opt/odoo/19.0

# The versions whose tree is there, oldest first; ODOO_VERSION picks one.
FOUND := $(shell $(BASE_PYTHON) scripts/check_odoo.py --found)
VERSIONS := $(or $(ODOO_VERSION),$(FOUND))
# The version of the per-version targets below (`make test-pytest V=18`): by default
# ODOO_VERSION, else the newest found.
V ?= $(or $(ODOO_VERSION),$(lastword $(FOUND)))

TREE = $(ODOO_$(V)_TREE)
PYTHON = $(CACHE)/venv-$(V)/bin/python
ADDONS_PATH = $(TREE)/odoo/addons,$(TREE)/addons,$(CURDIR)
VCONF = $(CACHE)/odoo-$(V).conf
VHTTP_PORT = $(shell echo $$(( $(HTTP_PORT) + $(if $(filter 18,$(V)),0,1) )))
ODOO = $(PYTHON) -m odoo -c $(VCONF) --addons-path=$(ADDONS_PATH)
# One database of each kind per version: msp_test18, msp_test19, ...
VDB = $(TEST_DB)$(V)
VDB_ELEARNING = $(VDB)_elearning
VDB_DASHBOARD = $(VDB)_dashboard
VDEMO_DB = $(DEMO_DB)$(V)
# Demo data: loaded by default on 18.0 (--without-demo to skip it), not on 19.0
# (--with-demo to load it; --without-demo is deprecated there).
WITH_DEMO = $(if $(filter 18,$(V)),,--with-demo)
WITHOUT_DEMO = $(if $(filter 18,$(V)),--without-demo=all,)
PSQL = PGPASSWORD=msp psql -h localhost -p $$(sed -n 's/^db_port = //p' $(CONF)) -U msp -d postgres -qc
# What the scripts read.
export CACHE PYTHON WITH_DEMO WITHOUT_DEMO

.PHONY: help require setup setup-version run test test-version test-install test-upgrade \
	test-pytest test-lifecycle test-elearning test-dashboard test-host bench bench-load lint \
	lint-python lint-xml lint-js readme readme-check pot clean

help:
	@echo "Odoo versions found: $(or $(FOUND),none)   (ODOO_18_TREE=$(ODOO_18_TREE) ODOO_19_TREE=$(ODOO_19_TREE))"
	@echo "make run    - set up, create/update the '$(DEMO_DB)<version>' database with demo data,"
	@echo "              serve it on :$(HTTP_PORT), on the newest version (ODOO_VERSION=18 to choose)"
	@echo "make test   - set up and run the whole suite on every version found (ODOO_VERSION=19: one)"
	@echo "make bench  - the performance benchmark (SIZE=small for a quick run)"
	@echo "make bench-load - replica, two servers, Locust partner sessions (SIZE=small)"
	@echo "make lint   - ruff (check + format), pylint-odoo's mandatory checks, the XML files,"
	@echo "              ESLint on the JavaScript, and the modules' README.rst up to date"
	@echo "make readme - regenerate each module's README.rst from its readme/ fragments"

# Fails within seconds, saying what is missing, when a version asked for has no tree.
require:
	@$(BASE_PYTHON) scripts/check_odoo.py --require $(or $(VERSIONS),18 19)

setup: require
	@HTTP_PORT=$(HTTP_PORT) GEVENT_PORT=$(GEVENT_PORT) bash scripts/postgres.sh
	@bash scripts/system_deps.sh
	@for v in $(VERSIONS); do $(MAKE) --no-print-directory setup-version V=$$v || exit 1; done

setup-version:
	@BASE_PYTHON=$(BASE_PYTHON) bash scripts/venv.sh $(V) $(TREE)
	@$(PYTHON) scripts/check_odoo.py --import
	@if [ -f $(CONF) ]; then sed -e 's/^http_port = .*/http_port = $(VHTTP_PORT)/' \
		-e 's/^gevent_port = .*/gevent_port = $(shell echo $$(( $(VHTTP_PORT) + 100 )))/' \
		$(CONF) > $(VCONF); fi

run: V := $(or $(ODOO_VERSION),$(lastword $(FOUND)))
run: VERSIONS := $(or $(ODOO_VERSION),$(lastword $(FOUND)))
run: setup
	@if $(PSQL) "select 1" -d $(VDEMO_DB) >/dev/null 2>&1; then \
		$(ODOO) -d $(VDEMO_DB) -u $(ADDON) --stop-after-init --log-level=warn; \
	else \
		$(ODOO) -d $(VDEMO_DB) -i $(ADDON) $(WITH_DEMO) --stop-after-init --log-level=warn; \
	fi
	@echo ""
	@echo "Odoo $(V).0 on http://localhost:$(HTTP_PORT)  (database $(VDEMO_DB))"
	@echo "  back office : admin / admin"
	@echo "  partner portal users: portal.cloudnine / cloudnine   portal.bytewise / bytewise"
	@echo ""
	$(ODOO) -d $(VDEMO_DB) --db-filter='^$(VDEMO_DB)$$' --http-port=$(HTTP_PORT)

# The whole suite on each version: install with demo, upgrade with data, pytest on that
# database; then the eLearning bridge and the lifecycle (install without demo, upgrade,
# uninstall, reinstall) on a second database.
test: setup
	@$(MAKE) --no-print-directory -j$(TEST_JOBS) --output-sync=recurse $(addprefix test-on-,$(VERSIONS))
	@echo "=== make test: passed on Odoo $(VERSIONS) ==="

test-on-%:
	@echo "=== Odoo $*.0 (started $$(date -u +%T)) ==="
	@$(MAKE) --no-print-directory test-version V=$*
	@echo "=== Odoo $*.0: passed (ended $$(date -u +%T)) ==="

# One step after the other: the steps share the databases.
test-version:
	@for step in test-install test-upgrade test-pytest test-elearning test-dashboard; do \
		$(MAKE) --no-print-directory $$step V=$(V) || exit 1; \
	done

# A fresh database with the addon and its demo data: proves the install with demo.
test-install:
	@$(PSQL) 'DROP DATABASE IF EXISTS "$(VDB)"'
	@echo "Installing $(ADDON) with demo data in a fresh database '$(VDB)' (Odoo $(V).0)..."
	@rm -f $(CACHE)/install-$(V).log
	@$(ODOO) -d $(VDB) -i $(ADDON) $(WITH_DEMO) --stop-after-init --log-level=warn \
		--logfile=$(CACHE)/install-$(V).log || (tail -n 60 $(CACHE)/install-$(V).log; exit 1)
	@bash scripts/check_log.sh $(CACHE)/install-$(V).log

# Upgrade the addon on the demo database (test-install): every record and value is kept.
test-upgrade:
	@bash scripts/upgrade_check.sh $(VCONF) $(ADDONS_PATH) $(VDB)

test-pytest:
	@rm -f $(CACHE)/pytest-$(V).log
	@set -o pipefail; $(PYTHON) -m pytest $(ADDON)/tests --odoo-config=$(VCONF) --odoo-database=$(VDB) \
		--odoo-addons-path=$(ADDONS_PATH) --odoo-http --odoo-log-level=warn $(PYTEST_ARGS) 2>&1 \
		| tee $(CACHE)/pytest-$(V).log
	@bash scripts/check_log.sh $(CACHE)/pytest-$(V).log

# The eLearning bridge needs website_slides: a second fresh database where the bridge (and
# so the addon) is installed without demo data, its tests, then the lifecycle of both
# addons on it (upgrade, uninstall: nothing left behind, reinstall).
test-elearning:
	@$(PSQL) 'DROP DATABASE IF EXISTS "$(VDB_ELEARNING)"'
	@echo "Installing $(ELEARNING_ADDON) and eLearning without demo in a fresh database '$(VDB_ELEARNING)'..."
	@rm -f $(CACHE)/install_elearning-$(V).log
	@$(ODOO) -d $(VDB_ELEARNING) -i $(ELEARNING_ADDON) $(WITHOUT_DEMO) --stop-after-init \
		--log-level=warn --logfile=$(CACHE)/install_elearning-$(V).log \
		|| (tail -n 60 $(CACHE)/install_elearning-$(V).log; exit 1)
	@bash scripts/check_log.sh $(CACHE)/install_elearning-$(V).log
	@rm -f $(CACHE)/pytest_elearning-$(V).log
	@set -o pipefail; $(PYTHON) -m pytest $(ELEARNING_ADDON)/tests --odoo-config=$(VCONF) \
		--odoo-database=$(VDB_ELEARNING) --odoo-addons-path=$(ADDONS_PATH) --odoo-log-level=warn \
		$(PYTEST_ARGS) 2>&1 | tee $(CACHE)/pytest_elearning-$(V).log
	@bash scripts/check_log.sh $(CACHE)/pytest_elearning-$(V).log
	@ADDONS=$(ELEARNING_ADDON) bash scripts/lifecycle.sh $(VCONF) $(ADDONS_PATH) $(VDB_ELEARNING)
	@ADDONS=$(ADDON) bash scripts/lifecycle.sh $(VCONF) $(ADDONS_PATH) $(VDB_ELEARNING)

# The dashboard bridge needs spreadsheet_dashboard: a fresh database where the bridge (and
# so the addon) is installed without demo data, its tests (a browser tour among them),
# its lifecycle (upgrade, uninstall: nothing left behind, reinstall); then eLearning and
# its bridge beside it, and the dashboard's lifecycle again with them.
test-dashboard:
	@$(PSQL) 'DROP DATABASE IF EXISTS "$(VDB_DASHBOARD)"'
	@echo "Installing $(DASHBOARD_ADDON) and Dashboards without demo in a fresh database '$(VDB_DASHBOARD)'..."
	@rm -f $(CACHE)/install_dashboard-$(V).log
	@$(ODOO) -d $(VDB_DASHBOARD) -i $(DASHBOARD_ADDON) $(WITHOUT_DEMO) --stop-after-init \
		--log-level=warn --logfile=$(CACHE)/install_dashboard-$(V).log \
		|| (tail -n 60 $(CACHE)/install_dashboard-$(V).log; exit 1)
	@bash scripts/check_log.sh $(CACHE)/install_dashboard-$(V).log
	@rm -f $(CACHE)/pytest_dashboard-$(V).log
	@set -o pipefail; $(PYTHON) -m pytest $(DASHBOARD_ADDON)/tests --odoo-config=$(VCONF) \
		--odoo-database=$(VDB_DASHBOARD) --odoo-addons-path=$(ADDONS_PATH) --odoo-http \
		--odoo-log-level=warn $(PYTEST_ARGS) 2>&1 | tee $(CACHE)/pytest_dashboard-$(V).log
	@bash scripts/check_log.sh $(CACHE)/pytest_dashboard-$(V).log
	@ADDONS=$(DASHBOARD_ADDON) bash scripts/lifecycle.sh $(VCONF) $(ADDONS_PATH) $(VDB_DASHBOARD)
	@echo "Adding $(ELEARNING_ADDON) and eLearning to '$(VDB_DASHBOARD)'..."
	@rm -f $(CACHE)/install_dashboard_elearning-$(V).log
	@$(ODOO) -d $(VDB_DASHBOARD) -i $(ELEARNING_ADDON) --stop-after-init --log-level=warn \
		--logfile=$(CACHE)/install_dashboard_elearning-$(V).log \
		|| (tail -n 60 $(CACHE)/install_dashboard_elearning-$(V).log; exit 1)
	@bash scripts/check_log.sh $(CACHE)/install_dashboard_elearning-$(V).log
	@ADDONS=$(DASHBOARD_ADDON) bash scripts/lifecycle.sh $(VCONF) $(ADDONS_PATH) $(VDB_DASHBOARD)

# The lifecycle alone, in its own database (install without demo first); `make test`
# runs it on the eLearning database instead, to save an install.
test-lifecycle:
	@FRESH=1 bash scripts/lifecycle.sh $(VCONF) $(ADDONS_PATH) $(VDB)_lifecycle

# Odoo's own crm and portal test suites, with the addon installed (slow: not in `test`).
test-host: VERSIONS := $(V)
test-host: setup
	@$(PSQL) 'DROP DATABASE IF EXISTS "$(VDB)_host"'
	@rm -f $(CACHE)/test-host-$(V).log
	$(ODOO) -d $(VDB)_host -i crm,portal,$(ADDON) $(WITH_DEMO) --test-tags /crm,/portal \
		--stop-after-init --log-level=test --logfile=$(CACHE)/test-host-$(V).log; \
	rc=$$?; grep -E "(ERROR|FAIL):|tests? .*failed|Ran [0-9]+ test|odoo.tests.result" $(CACHE)/test-host-$(V).log | tail -n 20; \
	! grep -qE " (ERROR|CRITICAL) " $(CACHE)/test-host-$(V).log && exit $$rc

# The performance benchmark (not part of `make test`); SIZE=small for a quick run.
bench: VERSIONS := $(V)
bench: setup
	$(PYTHON) bench/run.py --config $(VCONF) --addons-path=$(ADDONS_PATH) --size $(or $(SIZE),default)

# Lint with the newest version's virtualenv (the tools are the same in each); the same
# checks run as pre-commit hooks (.pre-commit-config.yaml calls these targets).
lint: lint-python lint-xml lint-js readme-check

lint-python:
	@test -x $(PYTHON) || $(MAKE) --no-print-directory setup-version V=$(V)
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m pylint --rcfile=.pylintrc $(ADDON) $(ELEARNING_ADDON) $(DASHBOARD_ADDON)

lint-xml:
	@test -x $(PYTHON) || $(MAKE) --no-print-directory setup-version V=$(V)
	$(PYTHON) scripts/check_xml.py

# ESLint from the npm registry, at the versions of package-lock.json, installed in
# .cache/node (never globally); reinstalled when the lock file changes.
NODE_DIR := $(CACHE)/node
ESLINT := $(NODE_DIR)/node_modules/.bin/eslint
$(ESLINT): package.json package-lock.json
	@mkdir -p $(NODE_DIR)
	@cp package.json package-lock.json $(NODE_DIR)/
	npm ci --prefix $(NODE_DIR) --no-audit --no-fund --loglevel=error
	@touch $@

lint-js: $(ESLINT)
	$(ESLINT) --max-warnings=0 .

# Each module's README.rst is generated from its readme/*.md fragments (OCA's layout).
readme:
	@test -x $(PYTHON) || $(MAKE) --no-print-directory setup-version V=$(V)
	$(PYTHON) scripts/gen_addon_readme.py

readme-check:
	@test -x $(PYTHON) || $(MAKE) --no-print-directory setup-version V=$(V)
	$(PYTHON) scripts/gen_addon_readme.py --check

# Regenerate the translation template from the test database (run `make test` first).
pot:
	$(ODOO) -d $(VDB) --i18n-export=$(ADDON)/i18n/$(ADDON).pot --modules=$(ADDON) \
		--log-level=warn --stop-after-init

clean:
	rm -rf $(CACHE)

# The load test (not part of `make test`): PostgreSQL primary + streaming replica and
# two Odoo servers in multi-process mode on this machine's loopback, Locust partner
# sessions, then "nothing lost" checks. SIZE=small (≤ 5 min) or default (≤ 15 min);
# WRITE=1 appends the results to bench/RESULTS.md. Locust gets its own virtualenv.
LOCUST_VENV := $(CACHE)/venv-locust
bench-load:
	@test -x $(LOCUST_VENV)/bin/locust || { $(BASE_PYTHON) -m venv $(LOCUST_VENV) \
		&& $(LOCUST_VENV)/bin/pip install -q -r bench/load/requirements.txt; }
	$(PYTHON) bench/load/run.py --version $(V) --python $(PYTHON) --odoo-bin $(TREE)/odoo-bin \
		--addons-path=$(ADDONS_PATH) --size $(or $(SIZE),default) $(if $(WRITE),--write)
