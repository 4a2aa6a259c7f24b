"""1.10.0: snapshot lines say what kind of figure they hold (count, amount, number).

Lines frozen before 1.10.0 have no kind: the column was added with the default
("number"), which would show a count with decimals and an amount without its
currency. They take the kind of their objective, as a line frozen today does. A line
whose objective was deleted keeps "number".
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    Snapshot = env["msp.business.review.snapshot"].with_context(active_test=False)
    lines = Snapshot.search([("objective_id", "!=", False)])
    for kind, group in lines.grouped(lambda line: line.objective_id.figure_kind).items():
        if kind and kind != "number":
            # Direct SQL: snapshot lines are locked once frozen (done reviews), and
            # this fills a column the ORM just created.
            cr.execute(
                "UPDATE msp_business_review_snapshot SET figure_kind = %s WHERE id = ANY(%s)",
                (kind, group.ids),
            )
    Snapshot.invalidate_model(["figure_kind"])
