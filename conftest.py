"""pytest set-up shared by the addons' test suites."""

import logging


class _TestFrameworkImportFilter(logging.Filter):
    """pytest-odoo imports Odoo's test framework before it turns Odoo's test mode on,
    which makes Odoo log a misleading ERROR ("Importing test framework...") at the
    top of every run; test mode is on by the time any test runs."""

    def filter(self, record):
        return not record.getMessage().startswith("Importing test framework")


logging.getLogger("odoo.tests.common").addFilter(_TestFrameworkImportFilter())
