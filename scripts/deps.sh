#!/usr/bin/env bash
# Install what `make test` and `make run` need, skipping what is already there:
# the Python packages from PyPI (re-run when a requirements file changes) and,
# for the browser tours, Debian's chromium.
set -euo pipefail
PYTHON=${PYTHON:-python3}
CACHE=${CACHE:-.cache}
mkdir -p "$CACHE"

stamp="$CACHE/deps-$($PYTHON -c 'import sys; print("%d.%d" % sys.version_info[:2])').stamp"
if [ ! -f "$stamp" ] || [ -n "$(find requirements*.txt -newer "$stamp")" ]; then
    echo "Installing Python dependencies from PyPI..."
    $PYTHON -m pip install -q --disable-pip-version-check --root-user-action=ignore -r requirements-dev.txt
    touch "$stamp"
fi

# Debian packages: chromium for the browser tours, wkhtmltopdf for the PDF reports.
missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v wkhtmltopdf >/dev/null 2>&1 || missing="$missing wkhtmltopdf"
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "Installing Debian packages:$missing..."
        apt-get update -qq
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
    else
        echo "WARNING: missing Debian packages:$missing (the browser tours need chromium)." >&2
    fi
fi
