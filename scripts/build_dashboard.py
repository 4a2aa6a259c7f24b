"""Writes the Business Planning spreadsheet dashboard of the
msp_business_planning_spreadsheet_dashboard bridge (data/files/*.json).

The dashboard is data, but data no one can review as JSON: this script is its
source. Run it after changing the dashboard (``python3 scripts/build_dashboard.py``)
and commit both. It writes the format of Odoo 18.0's spreadsheet (version 21, Odoo
data version 12); Odoo 19.0 migrates it when it opens the dashboard.
"""

import json
from pathlib import Path

OUT = (
    Path(__file__).resolve().parent.parent
    / "msp_business_planning_spreadsheet_dashboard/data/files/business_planning_dashboard.json"
)

# Figure ids: this prefix and two characters.
FIGURE = "b1a7c0de-0000-4000-8000-0000000000"
# Global filters.
YEAR = f"{FIGURE}01"
MANAGER = f"{FIGURE}02"
COMPANY = f"{FIGURE}03"

RUNNING = [["state", "=", "in_progress"]]
REGISTRATIONS = [["registration_state", "!=", False]]
WON_REGISTERED = ["&", ["registered_partner_id", "!=", False], ["stage_id.is_won", "=", True]]
DONE_REVIEWS = [["state", "=", "done"]]
BEHIND = ["&", ["state", "=", "in_progress"], ["pacing_status", "in", ["off_track", "at_risk"]]]
HEATMAP_MENU = "msp_business_planning.msp_business_plan_objective_target_menu_heatmap"


def matching(date_field, date_type, manager, company="company_id"):
    """How the three filters apply to a model: which date is the year, which user
    the channel manager."""
    result = {COMPANY: {"chain": company, "type": "many2one"}}
    if date_field:
        result[YEAR] = {"chain": date_field, "type": date_type, "offset": 0}
    if manager:
        result[MANAGER] = {"chain": manager, "type": "many2one"}
    return result


PLAN_MATCHING = matching("date_start", "date", "user_id")
# A registration's channel manager is the one of its partner's plans.
LEAD_REGISTERED_MATCHING = matching(
    "registration_date", "date", "registered_commercial_partner_id.msp_business_plan_ids.user_id"
)
LEAD_WON_MATCHING = matching(
    "date_closed", "datetime", "registered_commercial_partner_id.msp_business_plan_ids.user_id"
)
REVIEW_MATCHING = matching("date", "date", "plan_user_id")
# "This quarter" is today's quarter whatever year is filtered.
REVIEW_QUARTER_MATCHING = matching(None, None, "plan_user_id")


def view_link(label, model, domain, view_types=("list", "form"), context=None, name=None):
    """A cell opening the records behind a figure."""
    action = {
        "viewType": view_types[0],
        "action": {
            "domain": domain,
            "context": context or {},
            "modelName": model,
            "views": [[False, view] for view in view_types],
        },
        "threshold": 0,
        "name": name or label,
    }
    return {
        "content": f"[{label}](odoo://view/{json.dumps(action, separators=(',', ':'))})",
        "style": 2,
    }


def _dimension(group_by):
    """A pivot row: a field, and for a date its granularity ("date:quarter")."""
    name, _sep, granularity = group_by.partition(":")
    row = {"fieldName": name, "order": "asc"}
    if granularity:
        row["granularity"] = granularity
    return row


def pivot(pivot_id, name, model, domain, measures, rows=(), fieldmatching=None):
    return {
        "type": "ODOO",
        "fieldMatching": fieldmatching or {},
        "context": {},
        "domain": domain,
        "id": pivot_id,
        "measures": [{"id": m, "fieldName": m} for m in measures],
        "model": model,
        "name": name,
        "sortedColumn": None,
        "formulaId": pivot_id,
        "columns": [],
        "rows": [_dimension(r) for r in rows],
    }


def odoo_chart(
    figure_id,
    kind,
    model,
    domain,
    group_by,
    measure,
    x,
    y,
    width,
    height,
    fieldmatching,
    stacked=False,
):
    data = {
        # The title is the link above the chart, to the records behind it.
        "title": {"text": ""},
        "background": "#FFFFFF",
        "legendPosition": "top",
        "metaData": {
            "groupBy": group_by,
            "measure": measure,
            "order": None,
            "resModel": model,
            "mode": kind,
        },
        "searchParams": {
            "comparison": None,
            "context": {},
            "domain": domain,
            "groupBy": group_by,
            "orderBy": [],
        },
        "type": f"odoo_{kind}",
        "verticalAxisPosition": "left",
        "fieldMatching": fieldmatching,
    }
    if kind != "pie":
        data["stacked"] = stacked
    return {
        "id": figure_id,
        "x": x,
        "y": y,
        "width": width,
        "height": height,
        "tag": "chart",
        "data": data,
    }


def scorecard(figure_id, title, key, x, baseline=None):
    data = {
        "baselineColorDown": "#DC6965",
        "baselineColorUp": "#00A04A",
        "baselineMode": "text",
        "title": {"text": title, "bold": True, "color": "#434343"},
        "type": "scorecard",
        "background": "#EFF6FF",
        "keyValue": key,
        "humanize": False,
    }
    if baseline:
        data["baseline"] = baseline
    return {
        "id": figure_id,
        "x": x,
        "y": 75,
        "width": 235,
        "height": 104,
        "tag": "chart",
        "data": data,
    }


PLAN_COLUMNS = ["partner_id", "name", "user_id", "progress", "expected_progress", "pacing_status"]
BEHIND_ROWS = 10
PERCENT_FIELDS = ("progress", "expected_progress")
# Columns A-E hold the list's partner, plan, manager and percentages (the right
# half, from F at 500 px, its pacing status and the pivot per channel manager).
DASHBOARD_COLS = [120, 150, 110, 55, 65, 110, 100, 120, 100, 100]


def dashboard_cells():
    cells = {
        "A1": {"content": "Business Planning", "style": 1},
        "A2": {
            "content": f"[Channel heatmap: partners × quarters by pacing](odoo://ir_menu_xml_id/{HEATMAP_MENU})"
        },
        "A3": {
            "content": '="As of "&TEXT(TODAY(),"yyyy-mm-dd")&" · progress in % (0-100), '
            'averaged, never added up · amounts in company currency"',
            "style": 3,
        },
        "A9": view_link(
            "Running plans by pacing status",
            "msp.business.plan",
            RUNNING,
            ("list", "kanban", "form"),
        ),
        "F9": view_link(
            "Deal registrations by month and status",
            "crm.lead",
            REGISTRATIONS,
            ("list", "form"),
            name="Deal Registrations",
        ),
        "A24": view_link(
            "Won registered revenue by quarter (company currency)",
            "crm.lead",
            WON_REGISTERED,
            ("list", "form"),
            name="Won Registered Deals",
        ),
        "F24": view_link(
            "Progress against expected and forecast, per channel manager",
            "msp.business.plan",
            RUNNING,
        ),
        "F25": {"content": "=PIVOT(2)"},
        "A39": view_link(
            "Partners furthest behind (off track and at risk, lowest progress first)",
            "msp.business.plan",
            BEHIND,
        ),
    }
    for col, field in zip("ABCDEF", PLAN_COLUMNS, strict=True):
        cells[f"{col}40"] = {"content": f'=ODOO.LIST.HEADER(1,"{field}")', "style": 4}
        for row in range(BEHIND_ROWS):
            cells[f"{col}{41 + row}"] = {"content": f'=ODOO.LIST(1,{row + 1},"{field}")'}
            if field in PERCENT_FIELDS:
                cells[f"{col}{41 + row}"]["format"] = 1
    # Where PIVOT(2) spills its progress, expected and forecast progress per channel
    # manager.
    for row in range(27, 40):
        for col in "GHI":
            cells[f"{col}{row}"] = {"format": 1}
    return cells


def data_cells():
    rows = [
        ("Running plans", '=PIVOT.VALUE(1,"__count")', "=B1"),
        ("Average progress", '=PIVOT.VALUE(1,"progress")', '=ROUND(B2,0)&"%"'),
        (
            "Average expected progress",
            '=PIVOT.VALUE(1,"expected_progress")',
            # The forecast (Data!B7) beside it: what the open pipeline would bring.
            '="expected by today: "&ROUND(B3,0)&"% · forecast: "&ROUND(B7,0)&"%"',
        ),
        (
            "Reviews done this quarter",
            # The pivot's quarters read "quarter/year" ("4/2026").
            '=PIVOT.VALUE(3,"__count","date:quarter",ROUNDUP(MONTH(TODAY())/3,0)&"/"&YEAR(TODAY()))',
            # A quarter without any done review has no group in the pivot: none.
            "=IFERROR(B4,0)+0",
        ),
        (
            "Average excellence score",
            '=PIVOT.VALUE(4,"excellence_score")',
            '=IF(PIVOT.VALUE(4,"__count")>0,ROUND(B5,0)&" / 100","-")',
        ),
        ("Done reviews scored", '=PIVOT.VALUE(4,"__count")', '="over "&B6&" done reviews"'),
        (
            "Average forecast progress",
            '=PIVOT.VALUE(1,"forecast_progress")',
            '=ROUND(B7,0)&"%"',
        ),
    ]
    cells = {}
    for index, (label, value, text) in enumerate(rows, start=1):
        cells[f"A{index}"] = {"content": label}
        cells[f"B{index}"] = {"content": value}
        cells[f"C{index}"] = {"content": text}
    return cells


def sheet(sheet_id, name, cells, figures, col_sizes, rows, visible=True):
    # Version 21 keeps styles and formats by cell at the sheet's level.
    styles = {ref: cell.pop("style") for ref, cell in cells.items() if "style" in cell}
    formats = {ref: cell.pop("format") for ref, cell in cells.items() if "format" in cell}
    cells = {ref: cell for ref, cell in cells.items() if cell}
    return {
        "id": sheet_id,
        "name": name,
        "colNumber": len(col_sizes),
        "rowNumber": rows,
        "rows": {},
        "cols": {str(i): {"size": size} for i, size in enumerate(col_sizes)},
        "merges": [],
        "cells": cells,
        "styles": styles,
        "formats": formats,
        "borders": {},
        "conditionalFormats": [],
        "figures": figures,
        "tables": [],
        "areGridLinesVisible": False,
        "isVisible": visible,
        "headerGroups": {"ROW": [], "COL": []},
        "dataValidationRules": [],
        "comments": {},
    }


def build():
    figures = [
        scorecard(f"{FIGURE}a1", "Running plans", "Data!C1", 0),
        scorecard(f"{FIGURE}a2", "Channel progress", "Data!C2", 253, "Data!C3"),
        scorecard(f"{FIGURE}a3", "Reviews done this quarter", "Data!C4", 506),
        scorecard(
            f"{FIGURE}a4",
            "Average excellence score",
            "Data!C5",
            759,
            "Data!C6",
        ),
        odoo_chart(
            f"{FIGURE}b1",
            "pie",
            "msp.business.plan",
            RUNNING,
            ["pacing_status"],
            "__count",
            0,
            210,
            480,
            320,
            PLAN_MATCHING,
        ),
        odoo_chart(
            f"{FIGURE}b2",
            "bar",
            "crm.lead",
            REGISTRATIONS,
            ["registration_date:month", "registration_state"],
            "__count",
            510,
            210,
            490,
            320,
            LEAD_REGISTERED_MATCHING,
            stacked=True,
        ),
        odoo_chart(
            f"{FIGURE}b3",
            "bar",
            "crm.lead",
            WON_REGISTERED,
            ["date_closed:quarter"],
            "expected_revenue",
            0,
            555,
            480,
            320,
            LEAD_WON_MATCHING,
        ),
    ]
    return {
        "version": 21,
        "sheets": [
            sheet("msp_dashboard", "Dashboard", dashboard_cells(), figures, DASHBOARD_COLS, 60),
            sheet("msp_data", "Data", data_cells(), [], [200, 100, 200, 100], 10, visible=False),
        ],
        "styles": {
            "1": {"textColor": "#01666b", "bold": True, "fontSize": 16},
            "2": {"bold": True, "fontSize": 11, "textColor": "#434343"},
            "3": {"italic": True, "textColor": "#666666"},
            "4": {"bold": True, "textColor": "#434343", "fillColor": "#f2f2f2"},
        },
        # Whole percentages, the addon's one rounding rule for progress.
        "formats": {"1": '0"%"'},
        "borders": {},
        "revisionId": "START_REVISION",
        "uniqueFigureIds": True,
        "settings": {},
        "pivots": {
            "1": pivot(
                "1",
                "Running plans",
                "msp.business.plan",
                RUNNING,
                ["__count", "progress", "expected_progress", "forecast_progress"],
                fieldmatching=PLAN_MATCHING,
            ),
            "2": pivot(
                "2",
                "Channel manager",
                "msp.business.plan",
                RUNNING,
                ["progress", "expected_progress", "forecast_progress"],
                rows=["user_id"],
                fieldmatching=PLAN_MATCHING,
            ),
            "3": pivot(
                "3",
                "Reviews done by quarter",
                "msp.business.review",
                DONE_REVIEWS,
                ["__count"],
                rows=["date:quarter"],
                fieldmatching=REVIEW_QUARTER_MATCHING,
            ),
            "4": pivot(
                "4",
                "Excellence score of done reviews",
                "msp.business.review",
                DONE_REVIEWS,
                ["__count", "excellence_score"],
                fieldmatching=REVIEW_MATCHING,
            ),
        },
        "pivotNextId": 5,
        "customTableStyles": {},
        "odooVersion": 12,
        "globalFilters": [
            {
                "id": YEAR,
                "type": "date",
                "label": "Year",
                "rangeType": "fixedPeriod",
                "defaultValue": "this_year",
                "disabledPeriods": ["quarter", "month"],
            },
            {
                "id": MANAGER,
                "type": "relation",
                "label": "Channel Manager",
                "modelName": "res.users",
                "defaultValue": [],
                "defaultValueDisplayNames": [],
            },
            {
                "id": COMPANY,
                "type": "relation",
                "label": "Company",
                "modelName": "res.company",
                "defaultValue": [],
                "defaultValueDisplayNames": [],
            },
        ],
        "lists": {
            "1": {
                "columns": PLAN_COLUMNS,
                "domain": BEHIND,
                "model": "msp.business.plan",
                "context": {},
                "orderBy": [{"name": "progress", "asc": True}],
                "id": "1",
                "name": "Partners furthest behind",
                "fieldMatching": PLAN_MATCHING,
            }
        },
        "listNextId": 2,
        "chartOdooMenusReferences": {
            f"{FIGURE}b1": "msp_business_planning.msp_business_plan_menu",
            f"{FIGURE}b2": "msp_business_planning.crm_lead_registration_menu",
            f"{FIGURE}b3": "msp_business_planning.crm_lead_registration_menu",
        },
    }


if __name__ == "__main__":
    OUT.write_text(json.dumps(build(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written {OUT}")
