# msp_business_planning: set-up, run, test, benchmark and lint.
# Odoo 18.0 itself is a prerequisite (see README "Providing Odoo 18").

PYTHON ?= python3
CACHE := .cache
ADDON := msp_business_planning
ELEARNING_ADDON := msp_business_planning_elearning
DEMO_DB ?= msp_demo
TEST_DB ?= msp_test
TEST_DB_ELEARNING ?= $(TEST_DB)_elearning
HTTP_PORT ?= 8069
CONF := $(CACHE)/odoo.conf
# The odoo package's own addons folder, found without importing Odoo.
ODOO_ADDONS = $(shell $(PYTHON) -c "import importlib.util as u; print(list(u.find_spec('odoo').submodule_search_locations)[0] + '/addons')")
ADDONS_PATH = $(ODOO_ADDONS),$(CURDIR)
ODOO = $(PYTHON) -m odoo -c $(CONF) --addons-path=$(ADDONS_PATH)
PSQL = PGPASSWORD=msp psql -h localhost -p $$(sed -n 's/^db_port = //p' $(CONF)) -U msp -d postgres -qc
export CACHE PYTHON

.PHONY: help check-odoo setup run test test-install test-upgrade test-pytest test-lifecycle \
	test-elearning test-host bench lint pot clean

help:
	@echo "make run    - set up, create/update the '$(DEMO_DB)' database with demo data, serve on :$(HTTP_PORT)"
	@echo "make test   - set up, install the addon in a fresh '$(TEST_DB)' database, run the whole suite"
	@echo "              (then the eLearning bridge in '$(TEST_DB_ELEARNING)')"
	@echo "make bench  - the performance benchmark (SIZE=small for a quick run)"
	@echo "make lint   - ruff (check + format) and pylint-odoo's mandatory checks"

check-odoo:
	@$(PYTHON) scripts/check_odoo.py --tree

setup: check-odoo
	@bash scripts/postgres.sh
	@bash scripts/deps.sh
	@$(PYTHON) scripts/check_odoo.py

run: setup
	@if $(PSQL) "select 1" -d $(DEMO_DB) >/dev/null 2>&1; then \
		$(ODOO) -d $(DEMO_DB) -u $(ADDON) --stop-after-init --log-level=warn; \
	else \
		$(ODOO) -d $(DEMO_DB) -i $(ADDON) --stop-after-init --log-level=warn; \
	fi
	@echo ""
	@echo "Odoo on http://localhost:$(HTTP_PORT)  (database $(DEMO_DB))"
	@echo "  back office : admin / admin"
	@echo "  partner portal users: portal.cloudnine / cloudnine   portal.bytewise / bytewise"
	@echo ""
	$(ODOO) -d $(DEMO_DB) --db-filter='^$(DEMO_DB)$$' --http-port=$(HTTP_PORT)

test: setup test-install test-upgrade test-lifecycle test-pytest test-elearning

# Install without demo, upgrade, uninstall (nothing left behind), reinstall.
test-lifecycle:
	@bash scripts/lifecycle.sh $(CONF) $(ADDONS_PATH) $(TEST_DB)_lifecycle

# Upgrade the addon on the demo database (test-install): every record and value is kept.
test-upgrade:
	@bash scripts/upgrade_check.sh $(CONF) $(ADDONS_PATH) $(TEST_DB)

# Odoo's own crm and portal test suites, with the addon installed (slow: not in `test`).
test-host: setup
	@$(PSQL) 'DROP DATABASE IF EXISTS "$(TEST_DB)_host"'
	@rm -f $(CACHE)/test-host.log
	$(ODOO) -d $(TEST_DB)_host -i crm,portal,$(ADDON) --test-tags /crm,/portal \
		--stop-after-init --log-level=test --logfile=$(CACHE)/test-host.log; \
	rc=$$?; grep -E "(ERROR|FAIL):|tests? .*failed|Ran [0-9]+ test|odoo.tests.result" $(CACHE)/test-host.log | tail -n 20; \
	! grep -qE " (ERROR|CRITICAL) " $(CACHE)/test-host.log && exit $$rc

# A fresh database with the addon and its demo data: proves the install with demo.
test-install:
	@$(PSQL) 'DROP DATABASE IF EXISTS "$(TEST_DB)"'
	@echo "Installing $(ADDON) with demo data in a fresh database '$(TEST_DB)'..."
	@$(ODOO) -d $(TEST_DB) -i $(ADDON) --stop-after-init --log-level=warn \
		--logfile=$(CACHE)/install.log || (tail -n 60 $(CACHE)/install.log; exit 1)
	@! grep -E " (ERROR|CRITICAL) " $(CACHE)/install.log || (echo "Install logged errors" >&2; exit 1)

test-pytest:
	$(PYTHON) -m pytest $(ADDON)/tests --odoo-config=$(CONF) --odoo-database=$(TEST_DB) \
		--odoo-addons-path=$(ADDONS_PATH) --odoo-http --odoo-log-level=warn $(PYTEST_ARGS)

# The performance benchmark (not part of `make test`); SIZE=small for a quick run.
# The eLearning bridge needs website_slides: a second fresh database where the bridge is
# installed (with eLearning, without demo data to keep it quick), and its own tests.
test-elearning:
	@$(PSQL) 'DROP DATABASE IF EXISTS "$(TEST_DB_ELEARNING)"'
	@echo "Installing $(ELEARNING_ADDON) and eLearning in a fresh database '$(TEST_DB_ELEARNING)'..."
	@$(ODOO) -d $(TEST_DB_ELEARNING) -i $(ELEARNING_ADDON) --without-demo=all --stop-after-init \
		--log-level=warn --logfile=$(CACHE)/install_elearning.log \
		|| (tail -n 60 $(CACHE)/install_elearning.log; exit 1)
	@! grep -E " (ERROR|CRITICAL) " $(CACHE)/install_elearning.log || (echo "Install logged errors" >&2; exit 1)
	$(PYTHON) -m pytest $(ELEARNING_ADDON)/tests --odoo-config=$(CONF) --odoo-database=$(TEST_DB_ELEARNING) \
		--odoo-addons-path=$(ADDONS_PATH) --odoo-log-level=warn $(PYTEST_ARGS)
	@EXISTING=1 ADDONS=$(ELEARNING_ADDON) bash scripts/lifecycle.sh $(CONF) $(ADDONS_PATH) \
		$(TEST_DB_ELEARNING)

bench: setup
	$(PYTHON) bench/run.py --config $(CONF) --addons-path=$(ADDONS_PATH) --size $(or $(SIZE),default)

lint:
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m pylint --rcfile=.pylintrc $(ADDON) $(ELEARNING_ADDON)

# Regenerate the translation template from the test database (run `make test` first).
pot:
	$(ODOO) -d $(TEST_DB) --i18n-export=$(ADDON)/i18n/$(ADDON).pot --modules=$(ADDON) \
		--log-level=warn --stop-after-init

clean:
	rm -rf $(CACHE)
