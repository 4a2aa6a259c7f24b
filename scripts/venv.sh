#!/usr/bin/env bash
# Build (or reuse) the virtualenv of one Odoo version: $CACHE/venv-<series>, with that
# tree's pinned runtime requirements (scripts/odoo_requirements.py), ours
# (requirements-dev.txt) and a .pth that makes the tree's `odoo` importable.
# Nothing is installed into the Python that creates it.
# Usage: scripts/venv.sh <series> <tree>      (BASE_PYTHON: the Python to copy, python3)
set -euo pipefail
SERIES=$1
TREE=$(cd "$2" && pwd)
CACHE=${CACHE:-.cache}
BASE_PYTHON=${BASE_PYTHON:-python3}
VENV=$CACHE/venv-$SERIES
REQ=$VENV/requirements-odoo.txt
STAMP=$VENV/deps.stamp
mkdir -p "$CACHE"

if [ ! -x "$VENV/bin/python" ]; then
    echo "Creating the Odoo $SERIES virtualenv in $VENV..."
    "$BASE_PYTHON" -m venv "$VENV"
    rm -f "$STAMP"
fi
"$VENV/bin/python" scripts/odoo_requirements.py "$TREE/requirements.txt" > "$REQ.new"
if [ ! -f "$STAMP" ] || ! cmp -s "$REQ.new" "$REQ" || [ -n "$(find requirements*.txt -newer "$STAMP")" ]; then
    echo "Installing Odoo $SERIES's and our Python dependencies into $VENV..."
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$REQ.new" -r requirements-dev.txt
    mv "$REQ.new" "$REQ"
    touch "$STAMP"
else
    rm -f "$REQ.new"
fi
site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "$TREE" > "$site/odoo-tree.pth"
