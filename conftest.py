"""pytest set-up shared by the addons' test suites."""

import logging


class _TestFrameworkImportFilter(logging.Filter):
    """pytest-odoo imports Odoo's test framework before it turns Odoo's test mode on,
    which makes Odoo log a misleading ERROR ("Importing test framework...") at the
    top of every run; test mode is on by the time any test runs."""

    def filter(self, record):
        return not record.getMessage().startswith("Importing test framework")


logging.getLogger("odoo.tests.common").addFilter(_TestFrameworkImportFilter())


class _WarningsLogged(logging.Handler):
    """Every WARNING (or worse) logged while the tests run, passing tests included
    (pytest shows the logs of failing tests only): any fails the run. A test that
    expects a warning says so with ``assertLogs`` or ``mute_logger``, which keep it
    from here."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines = []

    def emit(self, record):
        if record.name == "odoo.tests.common" and not _TestFrameworkImportFilter().filter(record):
            return
        self.lines.append(f"{record.levelname} {record.name}: {record.getMessage()}")


_logged = _WarningsLogged()


def pytest_sessionstart(session):
    logging.getLogger().addHandler(_logged)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _logged.lines:
        terminalreporter.section("warnings and errors logged (they fail the run)", red=True)
        for line in _logged.lines[:50]:
            terminalreporter.line(line)


def pytest_sessionfinish(session, exitstatus):
    if _logged.lines and session.exitstatus == 0:
        session.exitstatus = 1
