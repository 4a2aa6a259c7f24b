#!/usr/bin/env bash
# Upgrade the addon on a database full of its records (the demo data) and check that
# every record and value is still there, as it was.
# Usage: scripts/upgrade_check.sh <odoo config file> <addons path> <database>
set -euo pipefail
CONF=$1
ADDONS_PATH=$2
DB=$3
ADDON=msp_business_planning
LOG=${CACHE:-.cache}/upgrade-$DB.log
PGPORT=$(sed -n 's/^db_port = //p' "$CONF")
psql_db() { PGPASSWORD=msp psql -h localhost -p "$PGPORT" -U msp -d "$DB" -Atqc "$1"; }

# One line per table: its row count and a digest of every row, the bookkeeping of the
# last write (date, author) and the portal access tokens aside (tokens(): those of
# before must be kept; a record may get one, as when Odoo 19.0 checks, on a mail
# template's update, that it renders on a record). crm_lead: the registration columns.
fingerprint() {
    psql_db "
        SELECT string_agg(line, E'\n' ORDER BY line) FROM (
            SELECT tablename || ' ' || (xpath('/row/c/text()', query_to_xml(format(
                'SELECT count(*) || '' '' || coalesce(md5(string_agg(
                     (to_jsonb(t) - ''write_date'' - ''write_uid'' - ''access_token'')::text, ''|'' ORDER BY id)), '''') AS c
                   FROM %I t', tablename), false, true, '')))[1]::text AS line
              FROM pg_tables WHERE tablename LIKE 'msp\_%' AND tablename NOT LIKE '%\_rel'
            UNION ALL
            SELECT 'crm_lead registrations ' || count(*) || ' ' || md5(string_agg(concat_ws(',',
                   id, registered_partner_id, registration_state, registration_date,
                   registration_expiry_date, registration_qualified_date, registration_contact_id,
                   registration_reject_reason, registration_conflict_acknowledged), '|' ORDER BY id))
              FROM crm_lead WHERE registered_partner_id IS NOT NULL
        ) AS lines"
}

# "<table> <id> <token>" for every record that has a portal access token.
tokens() {
    local table
    for table in $(psql_db "SELECT table_name FROM information_schema.columns
                            WHERE table_name LIKE 'msp\_%' AND column_name = 'access_token'"); do
        psql_db "SELECT '$table ' || id || ' ' || access_token FROM $table
                 WHERE access_token IS NOT NULL ORDER BY id"
    done
}

: > "$LOG"
before=$(fingerprint)
tokens_before=$(tokens)
[ "$(psql_db "SELECT count(*) FROM msp_business_plan")" -gt 0 ] \
    || { echo "ERROR: no plan to upgrade: install the demo data first" >&2; exit 1; }
echo "  upgrade with data: $(echo "$before" | wc -l) tables fingerprinted, upgrading..."
${PYTHON:-python3} -m odoo -c "$CONF" --addons-path="$ADDONS_PATH" -d "$DB" -u "$ADDON" \
    --stop-after-init --log-level=warn --logfile="$LOG" || { tail -n 40 "$LOG"; exit 1; }
after=$(fingerprint)
lost_tokens=$(comm -23 <(echo "$tokens_before" | sort) <(tokens | sort) | grep . || true)
if [ -n "$lost_tokens" ]; then
    echo "ERROR: the upgrade changed or dropped portal access tokens: $lost_tokens" >&2
    exit 1
fi
if [ "$before" != "$after" ]; then
    echo "ERROR: the upgrade changed data:" >&2
    diff <(echo "$before") <(echo "$after") >&2 || true
    exit 1
fi
bash "$(dirname "$0")/check_log.sh" "$LOG"
echo "  upgrade with data: every record and value kept"
