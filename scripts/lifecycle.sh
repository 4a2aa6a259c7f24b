#!/usr/bin/env bash
# Install, upgrade, uninstall and reinstall the addon on a fresh database without demo
# data, and check that uninstalling leaves nothing of it behind.
# Usage: scripts/lifecycle.sh <odoo config file> <addons path> <database>
set -euo pipefail
CONF=$1
ADDONS_PATH=$2
DB=$3
ODOO="${PYTHON:-python3} -m odoo"
OPTS="-c $CONF --addons-path=$ADDONS_PATH"
ADDONS=${ADDONS:-msp_business_planning}
LOG=${CACHE:-.cache}/lifecycle.log
: > "$LOG"

step() { echo "  lifecycle: $*"; }
run() { $ODOO $OPTS -d "$DB" --stop-after-init --log-level=warn --logfile="$LOG" "$@" \
        || { tail -n 40 "$LOG"; exit 1; }; }
psql_db() { PGPASSWORD=msp psql -h localhost -p "$PGPORT" -U msp -d "$1" -Atqc "$2"; }
PGPORT=$(sed -n 's/^db_port = //p' "${CACHE:-.cache}/odoo.conf")

psql_db postgres "DROP DATABASE IF EXISTS \"$DB\""
step "install without demo data"
run -i "$ADDONS" --without-demo=all
step "upgrade"
run -u "$ADDONS"
step "uninstall"
echo "env['ir.module.module'].search([('name', 'in', '$ADDONS'.split(','))]).button_immediate_uninstall(); env.cr.commit()" \
    | $ODOO shell $OPTS -d "$DB" --log-level=warn --logfile="$LOG" >/dev/null || { tail -n 40 "$LOG"; exit 1; }
left=$(psql_db "$DB" "SELECT string_agg(model, ', ') FROM ir_model WHERE model LIKE 'msp.%'")
tables=$(psql_db "$DB" "SELECT string_agg(tablename, ', ') FROM pg_tables WHERE tablename LIKE 'msp\_%'")
columns=$(psql_db "$DB" "SELECT string_agg(column_name, ', ') FROM information_schema.columns
                          WHERE table_name IN ('crm_lead', 'res_partner') AND column_name LIKE 'regist%'")
if [ -n "$left$tables$columns" ]; then
    echo "ERROR: uninstall left models [$left] tables [$tables] columns [$columns]" >&2
    exit 1
fi
step "reinstall after uninstall"
run -i "$ADDONS"
if grep -E " (ERROR|CRITICAL) " "$LOG"; then
    echo "ERROR: the lifecycle logged errors (see $LOG)" >&2
    exit 1
fi
step "install, upgrade, uninstall and reinstall: clean"
