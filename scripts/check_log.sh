#!/usr/bin/env bash
# Fail, showing the lines, when an Odoo log file or pytest's output holds a WARNING,
# ERROR or CRITICAL line, or a Python warning (DeprecationWarning, ...): `make test`
# passes only when nothing warns. The few messages Odoo logs on its own, whatever the
# addons, are listed below; none of them may come from this project's code.
# Usage: scripts/check_log.sh <log file>
set -euo pipefail
LOG=$1
ALLOWED=(
    # pytest-odoo imports Odoo's test framework before turning the test mode on (conftest.py)
    "Importing test framework"
    # Odoo's pinned urllib3 1.26 vendors an old `six`, whose importer Python 3.11 warns about
    "the load_module\\(\\) method is deprecated"
)
allowed=$(IFS='|'; echo "${ALLOWED[*]}")
found=$(grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (WARNING|ERROR|CRITICAL) |[A-Za-z]+Warning: ' "$LOG" \
    | grep -vE "$allowed" || true)
if [ -n "$found" ]; then
    echo "ERROR: warnings or errors in $LOG:" >&2
    echo "$found" | head -n 40 >&2
    exit 1
fi
