#!/usr/bin/env bash
# Install, upgrade, uninstall and reinstall an addon, and check that uninstalling leaves
# nothing of it behind.
# Usage: scripts/lifecycle.sh <odoo config file> <addons path> <database>
#   ADDONS    the addon(s), comma-separated (default: msp_business_planning)
#   EXISTING  set to 1 to work on <database> as it is, the addon already installed (no
#             fresh database: used for the eLearning bridge, whose dependencies are long
#             to install); by default the database is dropped and installed without demo.
set -euo pipefail
CONF=$1
ADDONS_PATH=$2
DB=$3
ODOO="${PYTHON:-python3} -m odoo"
OPTS="-c $CONF --addons-path=$ADDONS_PATH"
ADDONS=${ADDONS:-msp_business_planning}
LOG=${CACHE:-.cache}/lifecycle-${ADDONS//,/-}.log
: > "$LOG"

step() { echo "  lifecycle ($ADDONS): $*"; }
run() { $ODOO $OPTS -d "$DB" --stop-after-init --log-level=warn --logfile="$LOG" "$@" \
        || { tail -n 40 "$LOG"; exit 1; }; }
psql_db() { PGPASSWORD=msp psql -h localhost -p "$PGPORT" -U msp -d "$1" -Atqc "$2"; }
PGPORT=$(sed -n 's/^db_port = //p' "${CACHE:-.cache}/odoo.conf")

# What each addon puts in the database: all of it must be gone once it is uninstalled.
case "$ADDONS" in
    msp_business_planning) LEFTOVERS="
        SELECT 'model ' || model FROM ir_model WHERE model LIKE 'msp.%'
        UNION ALL SELECT 'table ' || tablename FROM pg_tables WHERE tablename LIKE 'msp\_%'
        UNION ALL SELECT 'column ' || table_name || '.' || column_name
          FROM information_schema.columns
         WHERE table_name IN ('crm_lead', 'res_partner') AND column_name LIKE 'regist%'" ;;
    msp_business_planning_elearning) LEFTOVERS="
        SELECT 'field ' || model || '.' || name FROM ir_model_fields
         WHERE model = 'msp.business.plan.objective' AND name = 'course_ids'
        UNION ALL SELECT 'table ' || tablename FROM pg_tables WHERE tablename LIKE 'msp\_%slide%'
        UNION ALL SELECT 'column slide_channel_partner.' || column_name
          FROM information_schema.columns
         WHERE table_name = 'slide_channel_partner' AND column_name LIKE 'msp\_%'" ;;
    *) echo "ERROR: no leftover check for $ADDONS" >&2; exit 1 ;;
esac
LEFTOVERS="$LEFTOVERS UNION ALL SELECT 'xml id ' || module || '.' || name FROM ir_model_data
                      WHERE module = '$ADDONS'"

if [ "${EXISTING:-}" != 1 ]; then
    psql_db postgres "DROP DATABASE IF EXISTS \"$DB\""
    step "install without demo data"
    run -i "$ADDONS" --without-demo=all
fi
step "upgrade"
run -u "$ADDONS"
step "uninstall"
echo "env['ir.module.module'].search([('name', 'in', '$ADDONS'.split(','))]).button_immediate_uninstall(); env.cr.commit()" \
    | $ODOO shell $OPTS -d "$DB" --log-level=warn --logfile="$LOG" >/dev/null || { tail -n 40 "$LOG"; exit 1; }
left=$(psql_db "$DB" "SELECT string_agg(item, ', ') FROM ($LEFTOVERS) AS leftovers(item)")
if [ -n "$left" ]; then
    echo "ERROR: uninstalling $ADDONS left: $left" >&2
    exit 1
fi
step "reinstall after uninstall"
run -i "$ADDONS"
if grep -E " (ERROR|CRITICAL) " "$LOG"; then
    echo "ERROR: the lifecycle logged errors (see $LOG)" >&2
    exit 1
fi
step "install, upgrade, uninstall and reinstall: clean"
