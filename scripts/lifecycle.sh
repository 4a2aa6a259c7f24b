#!/usr/bin/env bash
# Upgrade, uninstall and reinstall an addon installed in <database>, and check that
# uninstalling leaves nothing of it behind.
# Usage: scripts/lifecycle.sh <odoo config file> <addons path> <database>
#   ADDONS        the addon(s), comma-separated (default: msp_business_planning)
#   FRESH         set to 1 to drop <database> and install the addon without demo data
#                 first; by default <database> is used as it is, the addon installed
#                 (`make test` runs it on the eLearning database: one install saved)
#   WITHOUT_DEMO  the option that skips demo data on this Odoo version (Makefile)
set -euo pipefail
CONF=$1
ADDONS_PATH=$2
DB=$3
ODOO="${PYTHON:-python3} -m odoo"
OPTS="-c $CONF --addons-path=$ADDONS_PATH"
ADDONS=${ADDONS:-msp_business_planning}
LOG=${CACHE:-.cache}/lifecycle-$DB-${ADDONS//,/-}.log
: > "$LOG"

step() { echo "  lifecycle ($ADDONS): $*"; }
run() { $ODOO $OPTS -d "$DB" --stop-after-init --log-level=warn --logfile="$LOG" "$@" \
        || { tail -n 40 "$LOG"; exit 1; }; }
psql_db() { PGPASSWORD=msp psql -h localhost -p "$PGPORT" -U msp -d "$1" -Atqc "$2"; }
PGPORT=$(sed -n 's/^db_port = //p' "$CONF")

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
        UNION ALL SELECT 'kind ' || value FROM ir_model_fields_selection WHERE value = 'course_completion'
        UNION ALL SELECT 'course objective ' || name FROM msp_business_plan_objective
         WHERE objective_type = 'course_completion'
        UNION ALL SELECT 'table ' || tablename FROM pg_tables WHERE tablename LIKE 'msp\_%slide%'
        UNION ALL SELECT 'column slide_channel_partner.' || column_name
          FROM information_schema.columns
         WHERE table_name = 'slide_channel_partner' AND column_name LIKE 'msp\_%'" ;;
    msp_business_planning_spreadsheet_dashboard) LEFTOVERS="
        SELECT 'field ' || model || '.' || name FROM ir_model_fields
         WHERE model = 'res.partner' AND name = 'msp_business_plan_ids'
        UNION ALL SELECT 'dashboard ' || name::text FROM spreadsheet_dashboard
         WHERE name::text LIKE '%Business Planning%'
        UNION ALL SELECT 'dashboard group ' || name::text FROM spreadsheet_dashboard_group
         WHERE name::text LIKE '%Business Planning%'" ;;
    *) echo "ERROR: no leftover check for $ADDONS" >&2; exit 1 ;;
esac
LEFTOVERS="$LEFTOVERS UNION ALL SELECT 'xml id ' || module || '.' || name FROM ir_model_data
                      WHERE module = '$ADDONS'"

if [ "${FRESH:-}" = 1 ]; then
    psql_db postgres "DROP DATABASE IF EXISTS \"$DB\""
    step "install without demo data"
    # shellcheck disable=SC2086
    run -i "$ADDONS" ${WITHOUT_DEMO-}
fi
step "upgrade"
run -u "$ADDONS"
if [ "$ADDONS" = msp_business_planning_elearning ]; then
    # A running plan with a Course Completions objective: uninstalling the bridge keeps
    # it as a manual objective (the kind's ondelete), with its targets.
    step "a course objective to keep"
    echo "partner = env['res.partner'].create({'name': 'Lifecycle Partner', 'is_company': True})
course = env['slide.channel'].create({'name': 'Lifecycle Course'})
plan = env['msp.business.plan'].create({'name': 'Lifecycle Plan', 'partner_id': partner.id})
env['msp.business.plan.objective'].create({'plan_id': plan.id, 'name': 'Lifecycle courses',
    'objective_type': 'course_completion', 'target_value': 8, 'course_ids': [(6, 0, course.ids)]})
env.cr.commit()" | $ODOO shell $OPTS -d "$DB" --log-level=warn --logfile="$LOG" >/dev/null \
        || { tail -n 40 "$LOG"; exit 1; }
fi
step "uninstall"
echo "env['ir.module.module'].search([('name', 'in', '$ADDONS'.split(','))]).button_immediate_uninstall(); env.cr.commit()" \
    | $ODOO shell $OPTS -d "$DB" --log-level=warn --logfile="$LOG" >/dev/null || { tail -n 40 "$LOG"; exit 1; }
left=$(psql_db "$DB" "SELECT string_agg(item, ', ') FROM ($LEFTOVERS) AS leftovers(item)")
if [ -n "$left" ]; then
    echo "ERROR: uninstalling $ADDONS left: $left" >&2
    exit 1
fi
if [ "$ADDONS" = msp_business_planning_elearning ]; then
    kept=$(psql_db "$DB" "SELECT objective_type || ' ' || target_value FROM msp_business_plan_objective
                           WHERE name = 'Lifecycle courses'")
    if [ "$kept" != "manual 8" ]; then
        echo "ERROR: the course objective was not kept as a manual one: '$kept'" >&2
        exit 1
    fi
fi
step "reinstall after uninstall"
run -i "$ADDONS"
bash "$(dirname "$0")/check_log.sh" "$LOG"
step "install, upgrade, uninstall and reinstall: clean"
