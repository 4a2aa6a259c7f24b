#!/usr/bin/env bash
# Install the Debian packages `make test` and `make run` need, skipping what is already
# there (the Python packages go to each version's virtualenv: scripts/venv.sh).
set -euo pipefail

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
