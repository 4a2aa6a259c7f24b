"""The tracking engine: the actuals of objectives' periods and the figures that follow.

A refresh, however many objectives it covers, is a few queries (see
``docs/tracking_engine.md``):

1. :meth:`TrackingEngine.for_refresh` reads what the objectives measure, then lets the
   database compare the stored period figures with the deals (one scan per kind of deal
   for all its deal filters) and with the progress updates, in one statement; only for
   the objectives to recompute does it read their periods and every objective of their
   plans (a plan's figures weigh all its objectives). :meth:`TrackingEngine.for_condition`
   reads the periods and objectives directly (snapshots, deal lists).
2. :meth:`TrackingEngine.actuals` asks each objective kind's *aggregate* (the
   objective model's ``_get_actual_computers``, which other modules extend) for the
   actuals of its periods. The deal kinds share one aggregate,
   :meth:`TrackingEngine.deal_actuals`: one query per population of deals measured
   (kind and deal filter), which groups each deal once by (registering partner,
   company, day or month), then buckets those groups into the *distinct* period ranges
   of every objective measuring that population.
3. :meth:`TrackingEngine.figures` computes the progress and pacing of the periods,
   objectives and plans with the computed fields' own rules, and
   :func:`write_figures` writes the rows whose figures changed, with one
   ``UPDATE ... FROM unnest`` per table, all in one statement.

Rows are named: :class:`ObjectiveRow` for the objectives (:class:`MeasuredRow` for the
comparison's light read), the ``PERIOD_*`` index constants for the (many) period rows,
kept as plain tuples.
"""

import functools
import itertools
import logging
import operator
from collections import defaultdict
from datetime import timedelta
from typing import NamedTuple

from odoo.exceptions import ValidationError
from odoo.tools import SQL

from . import compat, deal_tracking, planning
from . import forecast as forecast_rules

_logger = logging.getLogger(__name__)

ONE_DAY = timedelta(days=1)
# The figures a refresh computes and writes itself, after the actuals.
PACING_FIELDS = ("progress", "expected_progress", "pacing_status")
# The stored figures a refresh writes, by table, in the order of their FigureColumns
# (a period's are also read in this order: PERIOD_STORED).
PERIOD_FIGURES = ("actual_value", *PACING_FIELDS, "forecast_value")
OBJECTIVE_FIGURES = (
    "actual_value",
    *PACING_FIELDS,
    "forecast_value",
    "forecast_to_miss",
    "figures_date",
)
PLAN_FIGURES = (*PACING_FIELDS, "forecast_progress", "forecast_to_miss")
# Column types of the arrays of a bulk UPDATE, by field type.
BULK_COLUMN_TYPES = {
    "boolean": "bool",
    "date": "date",
    "float": "float8",
    "integer": "int4",
    "selection": "varchar",
}
# The key of the weighted open pipeline's totals in an aggregate (the actual's are
# the field names).
PIPELINE = "pipeline"
# A refresh of up to this many objectives (a plan's, a partner's) reads every
# objective of their plans whole at once (TrackingEngine.for_refresh ``few``): one
# query less than the light read of what they measure, then the plans' objectives.
FEW_OBJECTIVES = 100
# The kind measured by the progress updates partners and staff report.
MANUAL = "manual"
# Whether a period's stored actual or forecast differs from ``new`` (actual, pipeline)
# in a comparison query.
CHANGED_PERIOD = SQL(
    "new.actual IS DISTINCT FROM period.actual OR period.forecast IS DISTINCT FROM %s",
    forecast_rules.period_forecast_sql(SQL("new.actual"), SQL("new.pipeline")),
)
# System parameters of the pacing thresholds (percent), set in Settings.
PARAM_ON_TRACK = "msp_business_planning.on_track_threshold"
PARAM_AT_RISK = "msp_business_planning.at_risk_threshold"

# A period row, as the engine reads it: a plain tuple (a refresh may hold hundreds of
# thousands), read by these indexes.
(
    PERIOD_ID,
    PERIOD_OBJECTIVE,
    PERIOD_PARTNER,  # the plan's partner company
    PERIOD_COMPANY,  # the plan's company
    PERIOD_START,
    PERIOD_END,
    PERIOD_TARGET,
    PERIOD_ACTUAL,
    PERIOD_PROGRESS,
    PERIOD_EXPECTED,
    PERIOD_STATUS,
    PERIOD_FORECAST,
) = range(12)
PERIOD_WIDTH = PERIOD_FORECAST + 1
# The figures stored on a period, in the order of PERIOD_FIGURES.
PERIOD_STORED = slice(PERIOD_ACTUAL, PERIOD_FORECAST + 1)

PERIOD_COLUMNS = SQL(
    """target.id, target.objective_id, target.commercial_partner_id, target.company_id,
       target.date_start, target.date_end, COALESCE(target.target_value, 0),
       target.actual_value, target.progress, target.expected_progress,
       target.pacing_status, target.forecast_value"""
)


class ObjectiveRow(NamedTuple):
    """An objective as a refresh reads it: its figures, what it measures, its plan's."""

    id: int
    plan_id: int
    weight: float
    target: float
    actual: float
    progress: float
    expected_progress: float
    pacing_status: str
    kind: str
    measure: str
    sum_field: str  # the summed deal field's name (measure "sum")
    lead_domain: str  # the deal filter, as text
    currency_id: int  # the plan's currency
    company_id: int  # the plan's company
    company_currency_id: int  # that company's currency
    plan_state: str
    plan_progress: float
    plan_expected_progress: float
    plan_pacing_status: str
    lowest_currency_id: int  # of every company: equal to the highest when they share one
    highest_currency_id: int
    on_track_percent: str  # the thresholds set in Settings (text, maybe None)
    at_risk_percent: str
    forecast: float
    forecast_to_miss: bool
    plan_date_end: object
    plan_forecast_progress: float
    plan_forecast_to_miss: bool
    partner_id: int  # the plan's partner company
    figures_date: object  # the day the engine last computed its figures
    plan_date_start: object

    @property
    def stored(self):
        """``(actual, progress, expected progress, pacing status, forecast, forecast to
        miss, figures date)`` as stored (OBJECTIVE_FIGURES)."""
        return (
            self.actual,
            self.progress,
            self.expected_progress,
            self.pacing_status,
            self.forecast,
            self.forecast_to_miss,
            self.figures_date,
        )

    @property
    def plan_stored(self):
        """The plan's ``(progress, expected progress, pacing status, forecast progress,
        forecast to miss)`` as stored."""
        return (
            self.plan_progress,
            self.plan_expected_progress,
            self.plan_pacing_status,
            self.plan_forecast_progress,
            self.plan_forecast_to_miss,
        )

    @property
    def one_currency(self):
        """Whether the plan and every company share one currency: no deal to convert."""
        return self.currency_id == self.lowest_currency_id == self.highest_currency_id

    @property
    def measured(self):
        """What a period of it adds up: None (the number of deals) or a field name."""
        return self.sum_field if self.measure == "sum" else None


class MeasuredRow(NamedTuple):
    """An objective as a refresh's comparison reads it (:meth:`TrackingEngine.for_refresh`):
    what it measures, whose deals, over which days, and when its figures were last
    computed; the full :class:`ObjectiveRow` is read only for objectives to
    recompute."""

    id: int
    plan_id: int
    kind: str
    measure: str
    sum_field: str
    lead_domain: str
    currency_id: int
    lowest_currency_id: int
    highest_currency_id: int
    partner_id: int
    figures_date: object
    plan_date_start: object  # the plan's days, which bound its periods' (a constraint)
    plan_date_end: object

    one_currency = ObjectiveRow.one_currency
    measured = ObjectiveRow.measured


MEASURED_COLUMNS = SQL(
    """objective.id, objective.plan_id, objective.objective_type, objective.measure,
       field.name, objective.lead_domain, plan.currency_id,
       (SELECT MIN(currency_id) FROM res_company),
       (SELECT MAX(currency_id) FROM res_company),
       objective.commercial_partner_id, objective.figures_date, plan.date_start,
       plan.date_end"""
)

# What decides how an objective's periods are compared (TrackingEngine.compared_populations):
# its kind, what it adds up, its deal filter, and whether it has amounts to convert.
DEFINITION = ("kind", "measured", "lead_domain", "one_currency")


OBJECTIVE_COLUMNS = SQL(
    """objective.id, objective.plan_id, objective.weight,
       COALESCE(objective.target_value, 0), objective.actual_value, objective.progress,
       objective.expected_progress, objective.pacing_status, objective.objective_type,
       objective.measure, field.name, objective.lead_domain, plan.currency_id,
       plan.company_id, plan_company.currency_id, plan.state, plan.progress,
       plan.expected_progress, plan.pacing_status,
       (SELECT MIN(currency_id) FROM res_company),
       (SELECT MAX(currency_id) FROM res_company),
       (SELECT value FROM ir_config_parameter WHERE key = %s),
       (SELECT value FROM ir_config_parameter WHERE key = %s),
       objective.forecast_value, objective.forecast_to_miss, plan.date_end,
       plan.forecast_progress, plan.forecast_to_miss, objective.commercial_partner_id,
       objective.figures_date, plan.date_start""",
    PARAM_ON_TRACK,
    PARAM_AT_RISK,
)
OBJECTIVE_JOINS = SQL(
    """JOIN msp_business_plan plan ON plan.id = objective.plan_id
       JOIN res_company plan_company ON plan_company.id = plan.company_id
  LEFT JOIN ir_model_fields field ON field.id = objective.sum_field_id"""
)
OBJECTIVE_WIDTH = len(ObjectiveRow._fields)


class Span(NamedTuple):
    """A distinct period range of a population: the deals of ``partner_id`` in
    ``company_id`` (or without company) dated from ``date_start`` to ``date_end``,
    counted in ``currency_id`` (the plan's), ``company_currency_id`` being the
    currency of the deals without company or currency of their own."""

    partner_id: int
    company_id: int
    date_start: object
    date_end: object
    currency_id: int
    company_currency_id: int


def array_literal(values):
    """A PostgreSQL array literal of numbers, dates or the pacing keys (never user
    text): one short string parameter instead of an ``ARRAY[...]`` expression of a
    hundred thousand values to build and parse.

    >>> from datetime import date
    >>> array_literal([1, None, 2.5]), array_literal([date(2026, 1, 31)])
    ('{1,NULL,2.5}', '{2026-01-31}')
    """
    if None in values:
        values = ("NULL" if value is None else value for value in values)
    return "{" + ",".join(map(str, values)) + "}"


def month_aligned(start, end):
    """Whether a period is whole months, so that deals grouped by month fall in it or
    not as a whole.

    >>> from datetime import date
    >>> month_aligned(date(2026, 1, 1), date(2026, 3, 31))
    True
    >>> month_aligned(date(2026, 1, 1), date(2026, 3, 30))
    False
    """
    return start.day == 1 and (end + ONE_DAY).day == 1


class FigureColumns:
    """Figures of records, one list per figure: the new values of every record, and
    the indexes of those whose stored values differ.

    >>> columns = FigureColumns(2)
    >>> columns.add(1, (1.0, "on_track"), (1.0, "on_track"))
    >>> columns.add(2, (0.0, None), (3.0, "at_risk"))
    >>> columns.ids, columns.changed_columns()
    ([1, 2], ([2], [[3.0], ['at_risk']]))
    """

    __slots__ = ("_appends", "changed", "columns", "ids")

    def __init__(self, width):
        self.ids = []
        self.columns = [[] for _index in range(width)]
        self._appends = [column.append for column in self.columns]
        self.changed = []

    @classmethod
    def from_columns(cls, ids, columns, stored):
        """The figures ``columns`` (one sequence per figure) of the records ``ids``,
        ``stored`` being the columns of what the database holds, in the same order.

        >>> columns = FigureColumns.from_columns([1, 2], [[1.0, 0.0], ["a", None]],
        ...                                      [(1.0, 3.0), ("a", None)])
        >>> columns.changed_columns()
        ([2], [[0.0], [None]])
        """
        figures = cls(len(columns))
        figures.ids = list(ids)
        figures.columns = [list(column) for column in columns]
        figures._appends = [column.append for column in figures.columns]
        figures.changed = [
            index
            for index, new, old in zip(
                itertools.count(), zip(*columns, strict=True), zip(*stored, strict=True)
            )
            if new != old
        ]
        return figures

    def add(self, record_id, stored, figures):
        """Add a record's new ``figures`` (a tuple), ``stored`` being what the database
        holds (a sequence of the same length)."""
        if tuple(stored) != figures:
            self.changed.append(len(self.ids))
        self.ids.append(record_id)
        for append, value in zip(self._appends, figures, strict=True):
            append(value)

    def changed_columns(self):
        """``(ids, columns)`` of the changed records only."""
        changed = self.changed
        ids = self.ids
        return [ids[index] for index in changed], [
            [column[index] for index in changed] for column in self.columns
        ]


class TrackingEngine:
    """The actuals and figures of a set of periods (see the module's docstring).

    ``objective_model`` is an ``msp.business.plan.objective`` recordset (its
    environment runs the queries: callers acting for someone else pass it sudo),
    ``periods`` the period rows (``PERIOD_*``) ordered by objective and date,
    ``objectives`` ``{objective id: ObjectiveRow}`` (at least those of the periods),
    ``cut`` (a day), when given, ends every period on that day at the latest.
    """

    def __init__(self, objective_model, periods, objectives, cut=None):
        self.Objective = objective_model.browse()
        self.env = objective_model.env
        self.periods = periods
        self.objectives = objectives
        self.cut = cut
        self._period_index = None
        self._columns = None
        self._objective_ids = None  # {period id: objective id}
        self._positions = None
        self._slices = None
        self._filter_sql = {}  # deal filter (repr): its SQL conditions
        # {period id: weighted open pipeline}, filled by the deal aggregates of the
        # kinds with a pipeline, in the same pass as their actuals (none with a cut).
        self.pipeline = {}
        self.today = objective_model._pacing_today()

    # ------------------------------------------------------------
    # reading
    # ------------------------------------------------------------

    @classmethod
    def for_condition(cls, objective_model, condition, cut=None):
        """The engine of the periods matching ``condition`` (SQL on the period
        targets, ``target``; it selects whole objectives) and of every objective of
        their plans: two queries. None when no period matches."""
        cls.flush_for_reading(objective_model)
        periods = cls.read_periods(objective_model.env, condition)
        if not periods:
            return None
        objective_ids = sorted(set(map(operator.itemgetter(PERIOD_OBJECTIVE), periods)))
        objectives = cls.read_plan_objectives(
            objective_model, SQL("objective.id = ANY(%s)", objective_ids)
        )
        return cls(objective_model, periods, objectives, cut=cut)

    @staticmethod
    def flush_for_reading(objective_model):
        """Every pending value first: the figures are read from the database, and a
        stale value flushed after the bulk writes would undo them."""
        env = objective_model.env
        env["msp.business.plan.objective.target"].flush_model()
        objective_model.flush_model()
        env["msp.business.plan"].flush_model()

    @staticmethod
    def read_periods(env, condition):
        """The period rows (``PERIOD_*``) matching ``condition`` (SQL on the period
        targets, ``target``), ordered by objective and date: one query."""
        return env.execute_query(
            SQL(
                """
                SELECT %s
                  FROM msp_business_plan_objective_target target
                 WHERE %s
              ORDER BY target.objective_id, target.date_start, target.id
                """,
                PERIOD_COLUMNS,
                condition,
            )
        )

    @staticmethod
    def read_compared_periods(env, comparison, objective_ids):
        """Rows ``(period row, actual or None, weighted open pipeline or None)`` of the
        periods of every objective with a period the ``comparison`` returns (a query
        of rows ``(period id, objective id, actual, pipeline)``: those whose actual
        or forecast differs) and of the objectives ``objective_ids``, ordered by
        objective and date: the comparison and the read of the periods to recompute
        in one statement. The actual is that of the comparison (None for a period it
        does not return). Each objective's periods are read by its index (an empty
        comparison reads none)."""
        return env.execute_query(
            SQL(
                """
                WITH changed AS MATERIALIZED (%(comparison)s),
                recompute AS (
                    SELECT objective_id FROM changed
                     UNION
                    SELECT unnest(%(objectives)s::int4[])
                )
                SELECT target.*, changed.id IS NOT NULL, changed.actual, changed.pipeline
                  FROM recompute
                 CROSS JOIN LATERAL (
                       SELECT %(columns)s
                         FROM msp_business_plan_objective_target target
                        WHERE target.objective_id = recompute.objective_id
                 ) target
             LEFT JOIN changed ON changed.id = target.id
              ORDER BY target.objective_id, target.date_start, target.id
                """,
                comparison=comparison,
                objectives=array_literal(sorted(objective_ids)),
                columns=PERIOD_COLUMNS,
            )
        )

    @classmethod
    def for_refresh(cls, objective_model, condition, actuals=True, force=False, few=False):
        """``(engine, {period id: actual})`` of a refresh of the objectives matching
        ``condition`` (SQL on ``msp_business_plan_objective objective``): the engine
        holds only the periods of the objectives whose figures may change, and the
        actuals are those to compute their figures with; ``(None, None)`` when no figure
        may change.

        1. One query reads what the objectives measure (:meth:`read_measured`).
        2. The deals of each kind the database can add up as they are (no currency to
           convert), and the manual progress updates, are compared with the stored
           actuals by the database itself (:meth:`changed_periods_query`, one for
           each kind, all in one statement): it returns only the periods whose actual
           or forecast differs.
        3. Only then, for the objectives to recompute, two queries read every
           objective of their plans (a plan's figures weigh all its objectives) and
           their periods.

        When the objectives are ``few`` (a partner's after a deal change, a plan's),
        the first query reads every objective of their plans whole instead
        (:meth:`read_plan_objectives`), and the comparison reads the periods to
        recompute too (:meth:`read_compared_periods`): two queries in all.

        The objectives to recompute are those with a changed period; those whose figures
           were last computed on another day, or never (expected progress moves with
           the calendar); those whose actuals are aggregated in Python
           (:meth:`actuals`: a currency to convert, another kind's aggregate, a deal
           filter that no longer parses); all of them when ``force`` is set (the
           pacing thresholds changed). With ``actuals`` False (pacing only), nothing
           is compared: only the objectives last computed on another day, or all with
           ``force``."""
        env = objective_model.env
        cls.flush_for_reading(objective_model)
        objectives = None
        if few:
            objectives, measured = cls.read_plan_objectives(
                objective_model, condition, selected=True
            )
        else:
            measured = cls.read_measured(objective_model, condition)
        if not measured:
            return None, None
        engine = cls(objective_model, [], measured)
        # The objectives to recompute whatever the comparison finds.
        recompute = set(measured) if force else set()
        recompute.update(
            objective_id
            for objective_id, objective in measured.items()
            if objective.figures_date != engine.today
        )
        elsewhere = set()
        queries = []
        if actuals:
            populations, elsewhere = engine.compared_populations(list(measured))
            recompute |= elsewhere
            queries = [
                SQL("(%s)", engine.changed_periods_query(kind, kind_populations))
                for kind, kind_populations in populations.items()
            ]
        changed = {}  # period id: (actual, weighted open pipeline or None)
        periods = None
        if queries:
            # Every kind's comparison in one statement (one round trip).
            comparison = SQL(" UNION ALL ").join(queries)
            if few:  # with the read of the periods to recompute
                rows = cls.read_compared_periods(env, comparison, recompute)
                periods = [row[:PERIOD_WIDTH] for row in rows]
                for row in rows:
                    if row[PERIOD_WIDTH]:
                        changed[row[PERIOD_ID]] = row[PERIOD_WIDTH + 1 :]
                recompute.update(row[PERIOD_OBJECTIVE] for row in periods)
            else:
                for period_id, objective_id, actual, pipeline in env.execute_query(comparison):
                    changed[period_id] = (actual, pipeline)
                    recompute.add(objective_id)
        if not recompute:
            return None, None
        recompute = sorted(recompute)
        if periods is None:
            periods = cls.read_periods(
                env, SQL("target.objective_id = ANY(%s::int4[])", array_literal(recompute))
            )
        if not periods:
            return None, None
        if objectives is None:
            objectives = cls.read_plan_objectives(
                objective_model, SQL("objective.id = ANY(%s::int4[])", array_literal(recompute))
            )
        else:  # read whole already (few): those of the plans to recompute
            plan_ids = {objectives[objective_id].plan_id for objective_id in recompute}
            objectives = {
                objective_id: objective
                for objective_id, objective in objectives.items()
                if objective.plan_id in plan_ids
            }
        engine.set_periods(periods, objectives)
        values = engine.stored_actuals()
        aggregated = [row[PERIOD_ID] for row in periods if row[PERIOD_OBJECTIVE] in elsewhere]
        if aggregated:
            values.update(engine.actuals(aggregated))
        for period_id, (actual, pipeline) in changed.items():
            values[period_id] = actual
            if pipeline is not None:
                engine.pipeline[period_id] = pipeline
        return engine, values

    @staticmethod
    def read_measured(objective_model, condition):
        """``{objective id: MeasuredRow}`` of the objectives matching ``condition`` (SQL
        on ``msp_business_plan_objective objective``), in one query: what a refresh
        compares before it reads anything else."""
        env = objective_model.env
        env["res.company"].flush_model(["currency_id"])
        rows = env.execute_query(
            SQL(
                """
                SELECT %s
                  FROM msp_business_plan_objective objective
                  JOIN msp_business_plan plan ON plan.id = objective.plan_id
             LEFT JOIN ir_model_fields field ON field.id = objective.sum_field_id
                 WHERE %s
              ORDER BY objective.id
                """,
                MEASURED_COLUMNS,
                condition,
            )
        )
        return {row[0]: MeasuredRow._make(row) for row in rows}

    def set_periods(self, periods, objectives):
        """Work on these period rows and ``{objective id: ObjectiveRow}`` from now on."""
        self.periods = periods
        self.objectives = objectives
        self._period_index = self._columns = self._objective_ids = None
        self._positions = self._slices = None

    @classmethod
    def read_plan_objectives(cls, objective_model, condition, selected=False):
        """``{objective id: ObjectiveRow}`` of every objective of the plans of the
        objectives matching ``condition`` (SQL on ``msp_business_plan_objective
        objective``), in the plans' order, in one query; with ``selected``, also the
        ids of those matching it: ``(objectives, {id: ObjectiveRow} of those)``."""
        env = objective_model.env
        env["res.company"].flush_model(["currency_id"])
        env["ir.config_parameter"].flush_model(["key", "value"])
        rows = env.execute_query(
            SQL(
                """
                SELECT %s, %s
                  FROM msp_business_plan_objective objective
                       %s
                 WHERE objective.plan_id IN (
                       SELECT objective.plan_id
                         FROM msp_business_plan_objective objective
                        WHERE %s
                 )
              ORDER BY objective.plan_id, objective.sequence, objective.id
                """,
                OBJECTIVE_COLUMNS,
                SQL("COALESCE(%s, FALSE)", condition) if selected else SQL("FALSE"),
                OBJECTIVE_JOINS,
                condition,
            )
        )
        objectives = {row[0]: ObjectiveRow._make(row[:OBJECTIVE_WIDTH]) for row in rows}
        if not selected:
            return objectives
        chosen = {row[0]: objectives[row[0]] for row in rows if row[OBJECTIVE_WIDTH]}
        return objectives, dict(sorted(chosen.items()))

    @classmethod
    def for_targets(cls, targets, cut=None):
        """The engine of the stored period ``targets`` (a recordset) and of their own
        objectives, read in one query: for aggregating (not for plan figures)."""
        env = targets.env
        Objective = env["msp.business.plan.objective"]
        env["msp.business.plan"].flush_model()
        Objective.flush_model()
        targets.flush_recordset()
        env["res.company"].flush_model(["currency_id"])
        rows = env.execute_query(
            SQL(
                """
                SELECT %s, %s
                  FROM msp_business_plan_objective_target target
                  JOIN msp_business_plan_objective objective
                    ON objective.id = target.objective_id
                       %s
                 WHERE target.id = ANY(%s)
              ORDER BY target.objective_id, target.date_start, target.id
                """,
                PERIOD_COLUMNS,
                OBJECTIVE_COLUMNS,
                OBJECTIVE_JOINS,
                targets.ids,
            )
        )
        periods = [row[:PERIOD_WIDTH] for row in rows]
        objectives = {row[PERIOD_WIDTH]: ObjectiveRow(*row[PERIOD_WIDTH:]) for row in rows}
        return cls(Objective, periods, objectives, cut=cut)

    @property
    def columns(self):
        """The periods as columns: one tuple per ``PERIOD_*`` index."""
        if self._columns is None:
            # One list per index (zip(*rows) would make an iterator per row, and
            # wake the garbage collector over the whole heap).
            self._columns = [
                list(map(operator.itemgetter(index), self.periods)) for index in range(PERIOD_WIDTH)
            ]
        return self._columns

    def objective_slices(self):
        """``[(objective id, first index, index after its last)]`` of the periods (they
        are ordered by objective)."""
        if self._slices is None:
            self._slices = []
            low = 0
            for objective_id, rows in itertools.groupby(self.columns[PERIOD_OBJECTIVE]):
                high = low + len(list(rows))
                self._slices.append((objective_id, low, high))
                low = high
        return self._slices

    @property
    def position(self):
        """``{period id: its index in the periods}``."""
        if self._positions is None:
            self._positions = {
                period_id: index for index, period_id in enumerate(self.columns[PERIOD_ID])
            }
        return self._positions

    def period(self, period_id):
        """The row of a period."""
        if self._period_index is None:
            self._period_index = {row[PERIOD_ID]: row for row in self.periods}
        return self._period_index[period_id]

    def objective_of(self, period_id):
        """The :class:`ObjectiveRow` of a period's objective."""
        return self.objectives[self.period(period_id)[PERIOD_OBJECTIVE]]

    def by_objective(self, period_ids):
        """``(objective id, its periods among period_ids)`` of consecutive runs of
        ``period_ids`` of one objective: the per-objective work is done once per run
        (once per objective when, as the engine's own, they are ordered by
        objective)."""
        if self._objective_ids is None:
            self._objective_ids = dict(
                zip(self.columns[PERIOD_ID], self.columns[PERIOD_OBJECTIVE], strict=True)
            )
        return itertools.groupby(period_ids, key=self._objective_ids.__getitem__)

    # ------------------------------------------------------------
    # actuals
    # ------------------------------------------------------------

    def actuals(self, period_ids=None):
        """``{period id: actual}`` of ``period_ids`` (every period by default), each
        kind by its aggregate; the periods of a kind no installed module measures are
        left out (their last actuals stay)."""
        objectives = self.objectives
        by_kind = defaultdict(list)
        if period_ids is None:
            ids = self.columns[PERIOD_ID]
            for objective_id, low, high in self.objective_slices():
                by_kind[objectives[objective_id].kind] += ids[low:high]
        else:
            for objective_id, run in self.by_objective(period_ids):
                by_kind[objectives[objective_id].kind] += run
        computers = self.Objective._get_actual_computers(engine=self)
        Target = self.env["msp.business.plan.objective.target"]
        actuals = {}
        for kind, ids in by_kind.items():
            if kind not in computers:
                continue  # measured by a module not installed: keep the last actuals
            computed = computers[kind](Target.browse(ids), cut=self.cut)
            actuals.update(dict.fromkeys(ids, 0.0))
            actuals.update(computed)
        if None in actuals.values():  # (a sum of nothing)
            actuals = {period_id: actual or 0.0 for period_id, actual in actuals.items()}
        return actuals

    def stored_actuals(self):
        """``{period id: actual}`` as stored (0 for none)."""
        columns = self.columns
        actuals = dict(zip(columns[PERIOD_ID], columns[PERIOD_ACTUAL], strict=True))
        if None in actuals.values():
            actuals = {period_id: actual or 0.0 for period_id, actual in actuals.items()}
        return actuals

    def populations(self, kind, period_ids):
        """The periods of deal ``kind`` by population measured: ``({domain key:
        (domain, [period ids])}, [period ids whose deal filter can no longer be
        used])``. Each distinct deal filter is parsed once."""
        parsed = {}  # filter text -> domain key, or None when it cannot be used
        key_of = {}  # objective id -> domain key
        groups = {}
        broken = []
        for objective_id, run in self.by_objective(period_ids):
            key = key_of.get(objective_id, False)
            if key is False:
                text = self.objectives[objective_id].lead_domain
                if text not in parsed:
                    try:
                        domain = self.Objective.browse(objective_id)._parse_lead_domain(
                            text, to_sql=self.deal_filter_sql
                        )
                    except ValidationError as error:
                        # A filter made invalid later (e.g. a field removed with its
                        # module) must not block the CRM: keep the last actuals, say why.
                        _logger.warning("Objective %s not refreshed: %s", objective_id, error)
                        parsed[text] = None
                    else:
                        parsed[text] = repr(domain)
                        groups.setdefault(parsed[text], (domain, []))
                key = key_of[objective_id] = parsed[text]
            if key is None:
                broken += run
            else:
                groups[key][1].extend(run)
        return groups, broken

    def compared_populations(self, objective_ids):
        """``({kind: [(domain, {field or None: [objective ids]}, [plain fields])]},
        {objective ids})``:
        the objectives among ``objective_ids`` whose actuals the database compares
        itself (:meth:`changed_periods_query`), by kind and population (deal filter,
        each distinct filter parsed once; none for the manual kind), with the fields
        they add up; and the others, aggregated by :meth:`actuals`: kinds with an
        aggregate of their own (not the deal kinds' nor the manual kind's), amounts to
        convert, a field or a deal filter that can no longer be
        used (:meth:`populations` keeps their last actuals and says why)."""
        Lead = self.env["crm.lead"]
        computers = self.Objective._get_actual_computers(engine=self)
        deal_aggregate = self.Objective._deal_actuals
        # The progress updates of the manual kind, unless a module measures it its way.
        manual = computers.get(MANUAL) == self.Objective._manual_actuals
        compared_kinds = {
            kind
            for kind, computer in computers.items()
            if kind in deal_tracking.TRACKED_KINDS
            and isinstance(computer, functools.partial)
            and computer.func == deal_aggregate
        }
        money = {}  # field name -> None (not addable as it is), True (monetary), False
        parsed = {}  # filter text -> (domain key, domain), or None when it cannot be used
        groups = {}
        elsewhere = set()
        # The objectives by definition: what decides where each is compared is decided
        # once for each distinct one (a channel's thousands of objectives have a few).
        by_definition = defaultdict(list)
        definition_of = operator.attrgetter(*DEFINITION)
        for objective_id in objective_ids:
            by_definition[definition_of(self.objectives[objective_id])].append(objective_id)
        for ids in by_definition.values():
            objective = self.objectives[ids[0]]
            if objective.kind == MANUAL and manual:
                manual_group = groups.setdefault((MANUAL, None), (None, {None: []}, set()))
                manual_group[1][None].extend(ids)
                continue
            if objective.kind not in compared_kinds:
                elsewhere.update(ids)
                continue
            measured = objective.measured
            if measured:
                if measured not in money:
                    field = Lead._fields.get(measured)
                    money[measured] = (
                        None
                        if field is None
                        or (field.type == "monetary" and self._deal_currency_field(measured))
                        else field.type == "monetary"
                    )
                kind_of_sum = money[measured]
                if kind_of_sum is None or (kind_of_sum and not objective.one_currency):
                    elsewhere.update(ids)
                    continue
            text = objective.lead_domain
            if text not in parsed:
                try:
                    domain = self.Objective.browse(ids[0])._parse_lead_domain(
                        text, to_sql=self.deal_filter_sql
                    )
                except ValidationError:
                    parsed[text] = None
                else:
                    parsed[text] = (repr(domain), domain)
            if parsed[text] is None:
                elsewhere.update(ids)
                continue
            key, domain = parsed[text]
            group = groups.setdefault((objective.kind, key), (domain, {}, set()))
            group[1].setdefault(measured, []).extend(ids)
            if measured:
                group[2].add(measured)
        populations = defaultdict(list)
        for (kind, _key), (domain, members, fields_) in groups.items():
            populations[kind].append((domain, members, sorted(fields_)))
        return dict(populations), elsewhere

    def changed_periods_query(self, kind, populations):
        """The query comparing the stored period actuals of the objectives of deal
        ``kind`` with the deals: ``populations`` are ``(deal filter, {field or None:
        [objective ids]}, [plain fields])``, the objectives by what they add up: nothing
        (None: a count) or one of the population's plain fields (amounts the database
        adds up as they are). Rows
        ``(period id, objective id, actual, weighted open pipeline or None)`` of the
        periods whose actual or forecast (:func:`forecast.period_forecast_sql`)
        differs from the stored one: the others are left out.

        The deals of the kind are scanned once for all its populations, grouped as
        for :meth:`deal_query` (:meth:`deal_groups`) and by whether they pass each
        deal filter, into the distinct ranges of these periods, which the database
        works out. They are scanned over the days of the objectives' plans, which
        hold their periods (a constraint), given as values: the database then knows
        how many deals it will group, and groups them in memory.

        The manual kind's periods are compared with the sum of the progress updates
        dated in them (:meth:`changed_updates_query`)."""
        if kind == MANUAL:
            return self.changed_updates_query(populations[0][1][None])
        forecasting = self.forecasts(kind)
        objective_ids, measures = [], []  # the objectives, and the total each reads
        columns = {}  # (population, field or None) -> total's number
        plain = sorted({name for _domain, _ids, fields_ in populations for name in fields_})
        for index, (_domain, members, _fields) in enumerate(populations):
            for measured, ids in members.items():
                objective_ids += ids
                measures += [columns.setdefault((index, measured), len(columns))] * len(ids)
        objectives = list(map(self.objectives.__getitem__, objective_ids))
        by_month = SQL(
            "(SELECT bool_and(EXTRACT(DAY FROM date_start) = 1"
            " AND EXTRACT(DAY FROM date_end + 1) = 1) FROM span)"
        )
        deal, _currencies = self.deal_groups(
            kind,
            [domain for domain, _ids, _fields in populations],
            plain,
            {},
            min(map(operator.attrgetter("plan_date_start"), objectives)),
            max(map(operator.attrgetter("plan_date_end"), objectives)),
            by_month,
            sorted(set(map(operator.attrgetter("partner_id"), objectives))),
        )
        totals = []
        for (index, name), number in columns.items():
            total = SQL(
                "SUM(deal.%s)",
                SQL.identifier(f"sum{plain.index(name)}" if name else "deals"),
            )
            passes = SQL.identifier(f"passes{index}")
            states = [(SQL("NOT deal.is_open"), "a"), (SQL("deal.is_open"), "p")]
            for state, prefix in states if forecasting else [(None, "a")]:
                where = [SQL("deal.%s", passes), *([state] if state else [])]
                totals.append(
                    SQL(
                        "%s FILTER (WHERE %s) AS %s",
                        total,
                        SQL(" AND ").join(where),
                        SQL.identifier(f"{prefix}{number}"),
                    )
                )

        def measured(prefix):
            # The total of what each period's objective measures (0 without deals).
            return SQL(
                "CASE period.measure %s END",
                SQL(" ").join(
                    SQL(
                        "WHEN %s THEN COALESCE(total.%s, 0)::float8",
                        number,
                        SQL.identifier(f"{prefix}{number}"),
                    )
                    for number in columns.values()
                ),
            )

        pipeline = measured("p") if forecasting else SQL("NULL::float8")
        return SQL(
            """
            WITH period AS MATERIALIZED (
                SELECT target.id, target.objective_id, sel.measure,
                       target.commercial_partner_id AS partner_id, target.company_id,
                       target.date_start, target.date_end,
                       COALESCE(target.actual_value, 0) AS actual,
                       target.forecast_value AS forecast
                  FROM msp_business_plan_objective_target target
                  JOIN unnest(%(objectives)s::int4[], %(measures)s::int4[])
                       AS sel(objective_id, measure)
                    ON sel.objective_id = target.objective_id
                 WHERE target.objective_id = ANY(%(objectives)s::int4[])
            ),
            span AS MATERIALIZED (
                SELECT partner_id, company_id, date_start, date_end
                  FROM period
              GROUP BY 1, 2, 3, 4
            ),
            deal AS (%(deal)s),
            total AS MATERIALIZED (
                SELECT span.partner_id, span.company_id, span.date_start, span.date_end,
                       %(totals)s
                  FROM span
                  JOIN deal
                    ON deal.partner_id = span.partner_id
                   AND (deal.company_id IS NULL OR deal.company_id = span.company_id)
                   AND deal.day BETWEEN span.date_start AND span.date_end
              GROUP BY 1, 2, 3, 4
            )
            SELECT period.id, period.objective_id, new.actual, new.pipeline
              FROM period
         LEFT JOIN total
                ON total.partner_id = period.partner_id
               AND total.company_id = period.company_id
               AND total.date_start = period.date_start
               AND total.date_end = period.date_end
             CROSS JOIN LATERAL (SELECT %(actual)s AS actual, %(pipeline)s AS pipeline) new
             WHERE %(differs)s
            """,
            objectives=array_literal(objective_ids),
            measures=array_literal(measures),
            deal=deal,
            totals=SQL(", ").join(totals),
            actual=measured("a"),
            pipeline=pipeline,
            differs=CHANGED_PERIOD,
        )

    def changed_updates_query(self, objective_ids):
        """:meth:`changed_periods_query` of the manual objectives ``objective_ids``: a
        period's actual is the sum of the progress updates dated in it
        (``_manual_actuals``), its forecast that actual."""
        self.env["msp.business.plan.objective.update"].flush_model(
            ["objective_id", "date", "value"]
        )
        return SQL(
            """
            WITH period AS MATERIALIZED (
                SELECT target.id, target.objective_id, target.date_start, target.date_end,
                       COALESCE(target.actual_value, 0) AS actual,
                       target.forecast_value AS forecast
                  FROM msp_business_plan_objective_target target
                 WHERE target.objective_id = ANY(%(objectives)s::int4[])
            ),
            total AS (
                SELECT period.id, SUM(upd.value) AS actual
                  FROM period
                  JOIN msp_business_plan_objective_update upd
                    ON upd.objective_id = period.objective_id
                   AND upd.date BETWEEN period.date_start AND period.date_end
              GROUP BY period.id
            )
            SELECT period.id, period.objective_id, new.actual, new.pipeline
              FROM period
         LEFT JOIN total ON total.id = period.id
             CROSS JOIN LATERAL (
                   SELECT COALESCE(total.actual, 0)::float8 AS actual, NULL::float8 AS pipeline
             ) new
             WHERE %(differs)s
            """,
            objectives=array_literal(objective_ids),
            differs=CHANGED_PERIOD,
        )

    def deal_actuals(self, kind, period_ids):
        """``{period id: actual}`` of periods of deal ``kind``: one aggregate query per
        deal filter (usually one for the kind), plus one for currency rates when some
        deals are in another currency than their plan."""
        groups, broken = self.populations(kind, period_ids)
        actuals = {period_id: self.period(period_id)[PERIOD_ACTUAL] for period_id in broken}
        for domain, ids in groups.values():
            actuals.update(self.aggregate_deals(kind, domain, ids))
        return actuals

    def spans(self, period_ids):
        """``([Span], [(objective id, [its period ids], [span index of each])])``: the
        distinct ranges of these periods (cut at ``cut``), the deals of each counted
        once whatever the number of objectives sharing it, and the runs of periods of
        one objective with the span of each (``-1`` for a period not started by the
        cut: nothing counted). The objectives of a plan with the same periods share
        their ranges: worked out once for all of them."""
        spans = {}
        runs = []
        cut = self.cut
        columns = self.columns
        ids, starts, ends = columns[PERIOD_ID], columns[PERIOD_START], columns[PERIOD_END]
        partners, companies = columns[PERIOD_PARTNER], columns[PERIOD_COMPANY]
        position = self.position
        shared = {}  # (plan's partner, company, currencies, starts, ends): span indexes
        for objective_id, run in self.by_objective(period_ids):
            objective = self.objectives[objective_id]
            run = list(run)
            low = position[run[0]]
            high = low + len(run)
            if ids[low:high] == run:  # in the engine's order (its own periods are)
                run_starts, run_ends = tuple(starts[low:high]), tuple(ends[low:high])
            else:
                indexes = [position[period_id] for period_id in run]
                run_starts = tuple([starts[index] for index in indexes])
                run_ends = tuple([ends[index] for index in indexes])
            head = (partners[low], companies[low], objective.currency_id)
            key = (head, objective.company_currency_id, run_starts, run_ends)
            found = shared.get(key)
            if found is None:
                found = shared[key] = []
                for start, end in zip(run_starts, run_ends, strict=True):
                    if cut and cut < end:
                        end = cut
                        if end < start:
                            found.append(-1)  # not started by the cut: nothing counted
                            continue
                    span = (head[0], head[1], start, end, head[2], key[1])
                    index = spans.get(span)
                    if index is None:
                        index = spans[span] = len(spans)
                    found.append(index)
            runs.append((objective_id, run, found))
        return list(map(Span._make, spans)), runs

    def aggregate_deals(self, kind, domain, period_ids):
        """``{period id: actual}`` of periods of deal ``kind`` sharing the deal filter
        ``domain``: what each period measures (the number of deals or a summed field),
        from one query (:meth:`deal_query`).

        Monetary sums are in the plan currency: the deals in it are added up exactly by
        the database; the others are grouped by currency and day, and converted at the
        rates of their day (one query for all the rates), then rounded.

        For a kind with a pipeline (:meth:`forecasts`), the same query weighs the open
        deals by their probability: their totals go to :attr:`pipeline`."""
        spans, runs = self.spans(period_ids)
        if not spans:
            return dict.fromkeys(period_ids, 0.0)
        Lead = self.env["crm.lead"]
        objectives = [self.objectives[objective_id] for objective_id, _run, _found in runs]
        field_names = sorted({objective.measured for objective in objectives} - {None})
        one_currency = all(objective.one_currency for objective in objectives)
        plain, money = [], defaultdict(list)  # money: {deals' currency field: fields}
        for field_name in field_names:
            currency_field = None
            is_monetary = Lead._fields[field_name].type == "monetary"
            if is_monetary:
                currency_field = self._deal_currency_field(field_name)
            if currency_field is None and (one_currency or not is_monetary):
                plain.append(field_name)  # amounts the database can add up as they are
            else:
                money[currency_field].append(field_name)
        rows = self.env.execute_query(self.deal_query(kind, domain, spans, plain, money))
        forecasting = self.forecasts(kind)
        # One total per span and measure: None counts the deals; the open pipeline's
        # are keyed (PIPELINE, name).
        measures = (None, *field_names)
        keys = {False: {name: name for name in measures}}
        if forecasting:
            keys[True] = {name: (PIPELINE, name) for name in measures}
        # Each total a list by span index, its last item the 0 of the periods without
        # span (not started by the cut).
        width = len(spans) + 1
        totals = {key: [0.0] * width for names in keys.values() for key in names.values()}
        foreign = []  # ((span index, total's key), currency id, day, amount)
        money_fields = list(money.values())
        converting = len(money_fields)  # the rows' currency columns (then their day)
        for span_index, *columns in rows:
            currencies, day = columns[:converting], columns[converting] if converting else None
            start = converting + bool(converting)
            key = keys[bool(forecasting and columns[start])]  # then whether deals are open
            values = iter(columns[start + forecasting :])
            totals[key[None]][span_index] += next(values)
            for name in plain:
                totals[key[name]][span_index] += next(values) or 0
            for currency_id, names in zip(currencies, money_fields, strict=True):
                for name in names:
                    value = next(values)
                    if currency_id is None:
                        totals[key[name]][span_index] += value or 0
                    else:
                        foreign.append(((span_index, key[name]), currency_id, day, value))
        if foreign:
            self._add_converted(foreign, spans, totals)
        actuals = {}
        pipeline = self.pipeline
        for objective_id, run, found in runs:
            measured = self.objectives[objective_id].measured
            actuals.update(zip(run, map(totals[measured].__getitem__, found), strict=True))
            if forecasting:
                opened = totals[PIPELINE, measured].__getitem__
                pipeline.update(zip(run, map(opened, found), strict=True))
        return actuals

    def deal_filter_sql(self, domain):
        """:func:`deal_domain_sql` of a deal filter, worked out once per engine: when
        its text is parsed (which checks it) and when its query is built."""
        key = repr(domain)
        if key not in self._filter_sql:
            self._filter_sql[key] = deal_domain_sql(self.env, domain)
        return self._filter_sql[key]

    def forecasts(self, kind):
        """Whether the aggregate of deal ``kind`` weighs its open pipeline too: for a
        kind with one (``deal_tracking.TRACKED_KINDS``), in a refresh (not as of a
        cut day)."""
        return deal_tracking.has_pipeline(kind) and not self.cut

    def deal_query(self, kind, domain, spans, plain, money):
        """The one query behind a population's actuals. Its inner part
        (:meth:`deal_groups`) scans the deals of ``kind`` matching ``domain`` once,
        grouped by (registering partner company, company, day — or month when every
        span is whole months and nothing needs converting —, and the currency of each
        ``money`` group); its outer part joins those groups to the distinct ``spans``
        (partner, company, first and last day). Rows: ``(span index, [currency of each
        money group unless the plan's], [day when some currency is not the plan's],
        [whether the deals are open], number of deals, sum of each plain field, sum of
        each money field)``."""
        first = min(span.date_start for span in spans)
        last = max(span.date_end for span in spans)
        by_month = not money and all(month_aligned(s.date_start, s.date_end) for s in spans)
        deal, currencies = self.deal_groups(
            kind,
            [domain],
            plain,
            money,
            first,
            last,
            by_month,
            sorted({s.partner_id for s in spans}),
        )
        forecasting = self.forecasts(kind)
        # The outer part: per span, the currency of each money group unless the plan's.
        converted = [
            SQL(
                "NULLIF(COALESCE(deal.%s, span.company_currency_id), span.currency_id)",
                SQL.identifier(f"cur{i}"),
            )
            for i in range(currencies)
        ]
        keys = [SQL("span.nr"), *converted]
        if converted:
            keys.append(
                SQL(
                    "CASE WHEN %s THEN deal.day END",
                    SQL(" OR ").join(SQL("%s IS NOT NULL", cur) for cur in converted),
                )
            )
        if forecasting:
            keys.append(SQL("deal.is_open"))
        sums = [
            SQL("SUM(deal.deals)"),
            *(
                SQL("SUM(deal.%s)", SQL.identifier(f"sum{i}"))
                for i in range(len(plain) + sum(map(len, money.values())))
            ),
        ]
        columns = list(zip(*spans, strict=True))
        return SQL(
            """
            WITH deal AS (%(deal)s)
            SELECT %(keys)s, %(sums)s
              FROM unnest(%(nr)s::int4[], %(partner)s::int4[], %(company)s::int4[],
                          %(start)s::date[], %(end)s::date[], %(currency)s::int4[],
                          %(company_currency)s::int4[])
                   AS span(nr, partner_id, company_id, date_start, date_end, currency_id,
                           company_currency_id)
              JOIN deal
                ON deal.partner_id = span.partner_id
               AND (deal.company_id IS NULL OR deal.company_id = span.company_id)
               AND deal.day BETWEEN span.date_start AND span.date_end
          GROUP BY %(group_by)s
            """,
            deal=deal,
            keys=SQL(", ").join(keys),
            sums=SQL(", ").join(sums),
            nr=array_literal(range(len(spans))),
            partner=array_literal(columns[0]),
            company=array_literal(columns[1]),
            start=array_literal(columns[2]),
            end=array_literal(columns[3]),
            currency=array_literal(columns[4]),
            company_currency=array_literal(columns[5]),
            group_by=SQL(", ").join(SQL(str(index + 1)) for index in range(len(keys))),
        )

    def deal_groups(self, kind, domains, plain, money, first, last, by_month, partner_ids):
        """``(query, number of currency columns)``: the deals of ``kind`` matching one
        of the deal filters ``domains`` (``passes0``... whether a group's deals match
        each; with one filter, it is the scan's own condition), of the registering
        partner companies ``partner_ids`` dated from
        ``first`` to ``last`` (dates), scanned once and grouped by
        (``partner_id``, ``company_id``, ``day`` — the first of its month when
        ``by_month``, a bool or SQL giving one —, ``cur0``... the currency of each
        ``money`` group, ``is_open`` when the kind :meth:`forecasts`), each group with
        its number of deals (``deals``) and the sum of each plain then money field
        (``sum0``...). A deal counts when it is active, its registration is in the
        kind's states (its stage won, for the won kinds) and its day (UTC) lies in the
        range.

        When the kind :meth:`forecasts`, the deals scanned are also the *open* ones
        (registration submitted or approved, active, not in a won stage, probability
        above 0) that the kind does not count yet, dated by the day they are expected
        to close (:func:`forecast.expected_day`: ``date_deadline``, or today when it has
        none or it is past), their number and sums weighted by their probability."""
        spec = deal_tracking.TRACKED_KINDS[kind]
        Lead = self.env["crm.lead"]
        date_field = spec["date_field"]
        money_names = [name for names in money.values() for name in names]
        Lead.flush_model(
            [
                "registered_commercial_partner_id",
                "registration_state",
                "active",
                "company_id",
                "stage_id",
                date_field,
                *plain,
                *money_names,
                *(field for field in money if field),
            ]
        )
        self.env["crm.stage"].flush_model(["is_won"])
        lead_date = SQL.identifier("crm_lead", date_field)
        is_datetime = Lead._fields[date_field].type == "datetime"

        def monthly(day, moment):
            # The first of the month of ``moment``: a datetime column as stored (UTC),
            # or the day read as a timestamp, not in the session's time zone.
            month = SQL("date_trunc('month', %s)::date", moment)
            if isinstance(by_month, SQL):
                return SQL("CASE WHEN %s THEN %s ELSE %s END", by_month, month, day)
            return month if by_month else day

        day = SQL("(%s)::date", lead_date) if is_datetime else lead_date
        moment = lead_date if is_datetime else SQL("%s::timestamp", day)
        if is_datetime:
            # Stored in UTC: the periods' days are taken in UTC too.
            window = SQL("%s >= %s AND %s < (%s) + 1", lead_date, first, lead_date, last)
        else:
            window = SQL("%s BETWEEN %s AND %s", lead_date, first, last)
        conditions = [
            SQL(
                "crm_lead.registered_commercial_partner_id = ANY(%s::int4[])",
                array_literal(partner_ids),
            ),
            SQL("crm_lead.active"),
            SQL("crm_lead.registration_state IN %s", spec["states"]),
            window,
        ]
        # The deal's stage joined once (a sub-query inside the conditions and columns
        # of the pipeline below would run again for each deal and each use).
        won = SQL("lead_stage.is_won IS TRUE")
        if spec["won"]:
            conditions.append(won)
        forecasting = self.forecasts(kind)
        if forecasting:
            # The open deals the kind does not count yet, in the same scan.
            Lead.flush_model(["probability", "date_deadline"])
            counted = SQL(" AND ").join(conditions[2:])
            expected = SQL("GREATEST(crm_lead.date_deadline, %s::date)", self.today)
            is_open = SQL("NOT COALESCE(%s, FALSE)", counted)
            pipeline = SQL(
                "crm_lead.registration_state IN %s AND NOT %s AND crm_lead.probability > 0"
                " AND %s BETWEEN %s AND %s",
                forecast_rules.OPEN_STATES,
                won,
                expected,
                first,
                last,
            )
            conditions[2:] = [SQL("((%s) OR (%s))", counted, pipeline)]
            day = SQL("CASE WHEN %s THEN %s ELSE %s END", is_open, expected, day)
            moment = SQL("%s::timestamp", day)
        day = monthly(day, moment)
        # Whether the deals pass each filter (grouped by): with one filter, it is the
        # scan's condition; when every filter restricts, deals passing none are left out.
        filters = [self.deal_filter_sql(domain) for domain in domains]
        if len(filters) == 1:
            conditions += filters[0]
            filters = [[]]
        passes = [
            SQL("COALESCE(%s, FALSE)", SQL(" AND ").join(SQL("(%s)", c) for c in clauses))
            if clauses
            else SQL("TRUE")
            for clauses in filters
        ]
        if all(filters):
            conditions.append(SQL("(%s)", SQL(" OR ").join(passes)))
        # The deals' groups: one column per money group's currency, one sum per field.
        currencies = [
            SQL("COALESCE(%s, lead_company.currency_id)", SQL.identifier("crm_lead", field))
            if field
            else SQL("lead_company.currency_id")
            for field in money
        ]
        deals = SQL("COUNT(*)")
        summed = [SQL.identifier("crm_lead", name) for name in [*plain, *money_names]]
        if forecasting:
            # Weighted by probability when open (numeric: the sums stay exact).
            weight = SQL("crm_lead.probability::numeric / 100")
            deals = SQL("SUM(CASE WHEN %s THEN %s ELSE 1 END)", is_open, weight)
            summed = [
                SQL("CASE WHEN %s THEN %s * %s ELSE %s END", is_open, field, weight, field)
                for field in summed
            ]
        inner = [
            SQL("crm_lead.registered_commercial_partner_id AS partner_id"),
            SQL("crm_lead.company_id AS company_id"),
            SQL("%s AS day", day),
            *(SQL("%s AS %s", cur, SQL.identifier(f"cur{i}")) for i, cur in enumerate(currencies)),
            *([SQL("%s AS is_open", is_open)] if forecasting else []),
            *(SQL("%s AS %s", flag, SQL.identifier(f"passes{i}")) for i, flag in enumerate(passes)),
            SQL("%s AS deals", deals),
            *(
                SQL("SUM(%s) AS %s", field, SQL.identifier(f"sum{i}"))
                for i, field in enumerate(summed)
            ),
        ]
        joins = []
        if spec["won"] or forecasting:
            joins.append(SQL("LEFT JOIN crm_stage lead_stage ON lead_stage.id = crm_lead.stage_id"))
        if money:
            self.env["res.company"].flush_model(["currency_id"])
            joins.append(
                SQL("LEFT JOIN res_company lead_company ON lead_company.id = crm_lead.company_id")
            )
        query = SQL(
            """
                SELECT %(inner)s
                  FROM crm_lead
                       %(joins)s
                 WHERE %(where)s
              GROUP BY 1, 2, 3%(keys)s
            """,
            inner=SQL(", ").join(inner),
            joins=SQL(" ").join(joins),
            where=SQL(" AND ").join(conditions),
            keys=SQL(
                "".join(
                    f", {4 + i}" for i in range(len(currencies) + bool(forecasting) + len(passes))
                )
            ),
        )
        return query, len(currencies)

    def _deal_currency_field(self, field_name):
        """The stored currency field of a monetary deal field, or None when it has none
        (crm's revenues: they are in the deal's company currency)."""
        Lead = self.env["crm.lead"]
        currency_field = Lead._fields[field_name].get_currency_field(Lead)
        column = Lead._fields.get(currency_field)
        if column is not None and column.store and column.type == "many2one":
            return currency_field
        return None

    def _add_converted(self, foreign, spans, totals):
        """Add ``(key, currency id, day, amount)`` rows, ``key`` being ``(span index,
        total's key)`` (a field name, or ``(PIPELINE, field name)``), to ``totals``,
        each converted into its span's plan currency at the rates of its day (one query
        for all the rates), and round those totals."""
        span_currencies = {
            key: (spans[key[0]].currency_id, spans[key[0]].company_id) for key, *_r in foreign
        }
        currency_ids = {currency_id for _key, currency_id, _day, _amount in foreign}
        currency_ids |= {currency_id for currency_id, _co in span_currencies.values()}
        companies = self.env["res.company"].browse({co for _c, co in span_currencies.values()})
        roots = {company: company.root_id.id for company in companies}
        self.env["res.currency.rate"].flush_model(["currency_id", "company_id", "name", "rate"])
        rates = self.env.execute_query(
            SQL(
                """
                SELECT currency_id, name, rate, company_id
                  FROM res_currency_rate
                 WHERE currency_id = ANY(%s)
                   AND (company_id IS NULL OR company_id = ANY(%s))
                """,
                list(currency_ids),
                list(set(roots.values())),
            )
        )
        tables = {
            company.id: deal_tracking.RateTable(
                (currency_id, day, rate, company_id is not None)
                for currency_id, day, rate, company_id in rates
                if company_id in (None, root_id)
            )
            for company, root_id in roots.items()
        }
        converted = deal_tracking.sum_converted(foreign, span_currencies, tables)
        by_id = {
            currency.id: currency
            for currency in self.env["res.currency"].browse(
                {currency_id for currency_id, _company in span_currencies.values()}
            )
        }
        for (span_index, name), amount in converted.items():
            currency = by_id[spans[span_index].currency_id]
            totals[name][span_index] = currency.round(totals[name][span_index] + amount)

    # ------------------------------------------------------------
    # figures
    # ------------------------------------------------------------

    def forecast_column(self, actuals):
        """The periods' forecasts, in the order of :attr:`columns`, for their
        ``actuals`` (a list in that order): :func:`forecast.period_forecast` of each
        with its weighted open pipeline (:attr:`pipeline`); a period of a kind with a
        pipeline whose deals were not aggregated now (pacing only, a deal filter that no
        longer parses) keeps its stored forecast."""
        ids, stored = self.columns[PERIOD_ID], self.columns[PERIOD_FORECAST]
        pipeline = self.pipeline
        forecasts = []
        for objective_id, low, high in self.objective_slices():
            kind = self.objectives[objective_id].kind
            keeps = deal_tracking.has_pipeline(kind)
            for index in range(low, high):
                open_deals = pipeline.get(ids[index])
                if open_deals is None and keeps and stored[index] is not None:
                    forecasts.append(stored[index])
                else:
                    forecasts.append(forecast_rules.period_forecast(actuals[index], open_deals))
        return forecasts

    def figures(self, values):
        """What to write for ``{period id: actual}`` (every period of the engine): the
        actuals with the progress and pacing that follow from them for the periods,
        their objectives and their plans, as :func:`write_figures` batches.

        The rules are the computed fields' own: the periods' are applied on columns
        (:func:`planning.period_figure_columns`, the same rules as the period's
        computed fields, without a function call per period), the objectives' and
        plans' by the models' own functions. Figures are kept in columns (lists of
        numbers) rather than a tuple per period: a million small objects alive at once
        would keep Python's garbage collector busy."""
        env = self.env
        Objective = self.Objective
        Target = env["msp.business.plan.objective.target"]
        Plan = env["msp.business.plan"]
        today = Objective._pacing_today()
        objectives = self.objectives
        any_objective = next(iter(objectives.values()))
        thresholds = planning.thresholds_from_percent(
            any_objective.on_track_percent, any_objective.at_risk_percent
        )
        columns = self.columns
        ids, starts, ends = columns[PERIOD_ID], columns[PERIOD_START], columns[PERIOD_END]
        targets = columns[PERIOD_TARGET]
        actuals = [values[period_id] for period_id in ids]
        slices = self.objective_slices()
        running = []
        for objective_id, low, high in slices:
            running += [objectives[objective_id].plan_state in planning.RUNNING_STATES] * (
                high - low
            )
        progresses, expected, statuses = planning.period_figure_columns(
            actuals, targets, starts, ends, running, today, thresholds
        )
        forecasts = self.forecast_column(actuals)
        period_columns = FigureColumns.from_columns(
            ids, [actuals, progresses, expected, statuses, forecasts], columns[PERIOD_STORED]
        )

        objective_figures = {}  # objective id: (actual, progress, expected, status, ...)
        elapsed = {}  # (starts, ends, targets): the expected progress of such periods
        for objective_id, low, high in slices:
            objective = objectives[objective_id]
            actual = sum(actuals[low:high])
            key = (tuple(starts[low:high]), tuple(ends[low:high]), tuple(targets[low:high]))
            periods = list(zip(*key, strict=True))
            if key not in elapsed:
                elapsed[key] = planning.expected_progress(periods, today)
            progress, expected_progress, status = Objective._objective_figures(
                actual,
                objective.target,
                periods,
                objective.plan_state,
                today,
                thresholds,
                expected=elapsed[key],
            )
            forecast = sum(forecasts[low:high])
            to_miss = forecast_rules.objective_to_miss(
                forecast,
                objective.target,
                objective.plan_date_end,
                objective.plan_state,
                today,
                pipeline=deal_tracking.has_pipeline(objective.kind),
            )
            objective_figures[objective_id] = (
                actual,
                progress,
                expected_progress,
                status or None,
                forecast,
                to_miss,
                today,
            )

        objective_columns = FigureColumns(len(OBJECTIVE_FIGURES))
        # plan id: [(progress, expected, weight, target, forecast, forecast to miss)]
        plan_items = defaultdict(list)
        plans = {}  # plan id: one of its ObjectiveRow
        for objective in objectives.values():
            figures = objective_figures.get(objective.id)
            if figures:
                objective_columns.add(objective.id, objective.stored, figures)
            else:
                figures = objective.stored
            plan_items[objective.plan_id].append(
                (
                    figures[1] or 0.0,
                    figures[2] or 0.0,
                    objective.weight,
                    objective.target,
                    figures[4] or 0.0,
                    bool(figures[5]),
                )
            )
            plans[objective.plan_id] = objective
        plan_columns = FigureColumns(len(PLAN_FIGURES))
        for plan_id, objective in plans.items():
            items = plan_items[plan_id]
            progress, expected_progress, status = Plan._progress_figures(
                items, objective.plan_state, thresholds
            )
            forecast_progress, to_miss = forecast_rules.plan_forecast(
                [(item[4], item[3], item[2], item[5]) for item in items]
            )
            plan_columns.add(
                plan_id,
                objective.plan_stored,
                (progress, expected_progress, status or None, forecast_progress, to_miss),
            )
        return [
            (Target, PERIOD_FIGURES, period_columns),
            (Objective, OBJECTIVE_FIGURES, objective_columns),
            (Plan, PLAN_FIGURES, plan_columns),
        ]


# ----------------------------------------------------------------
# the deals behind the figures
# ----------------------------------------------------------------


def deal_domain_sql(env, domain):
    """The conditions of a deal filter on ``crm_lead``, applied without anyone's record
    rules (actuals are the same whoever triggers the refresh): none for an empty
    filter, the filter's own WHERE clause when it needs no join, else a sub-query."""
    if compat.Domain.is_true(domain):
        return []
    query = env["crm.lead"].sudo().with_context(active_test=False)._search(domain)
    if query.is_empty():
        return [SQL("FALSE")]
    if list(query._tables) == ["crm_lead"] and not query._joins:
        return [query.where_clause] if query._where_clauses else []
    return [SQL("crm_lead.id IN %s", query.subselect())]


def period_deals_query(env, kind, target_ids, domain, select):
    """The deals of ``kind`` joined to the period targets ``target_ids`` that count
    them, by the rules of :meth:`TrackingEngine.deal_query` (the same conditions), for
    listing them: ``select`` uses ``target`` and ``crm_lead``."""
    spec = deal_tracking.TRACKED_KINDS[kind]
    Lead = env["crm.lead"]
    date_field = spec["date_field"]
    Lead.flush_model(
        [
            "registered_commercial_partner_id",
            "registration_state",
            "active",
            "company_id",
            "stage_id",
            date_field,
        ]
    )
    env["msp.business.plan.objective.target"].flush_model(
        ["objective_id", "commercial_partner_id", "company_id", "date_start", "date_end"]
    )
    env["crm.stage"].flush_model(["is_won"])
    lead_date = SQL.identifier("crm_lead", date_field)
    if Lead._fields[date_field].type == "datetime":
        # Stored in UTC: the period's days are taken in UTC too.
        in_period = SQL(
            "%s >= target.date_start AND %s < target.date_end + 1", lead_date, lead_date
        )
    else:
        in_period = SQL("%s BETWEEN target.date_start AND target.date_end", lead_date)
    conditions = [
        SQL("target.id = ANY(%s)", list(target_ids)),
        SQL("crm_lead.active"),
        SQL("crm_lead.registration_state IN %s", spec["states"]),
        SQL("(crm_lead.company_id IS NULL OR crm_lead.company_id = target.company_id)"),
    ]
    if spec["won"]:
        conditions.append(
            SQL("EXISTS(SELECT 1 FROM crm_stage WHERE id = crm_lead.stage_id AND is_won)")
        )
    conditions += deal_domain_sql(env, domain)
    return SQL(
        """
        SELECT %s
          FROM msp_business_plan_objective_target target
          JOIN crm_lead
            ON crm_lead.registered_commercial_partner_id = target.commercial_partner_id
           AND %s
         WHERE %s
        """,
        select,
        in_period,
        SQL(" AND ").join(conditions),
    )


# ----------------------------------------------------------------
# the writer
# ----------------------------------------------------------------


def write_figures(env, batches):
    """Write computed figures, one UPDATE per model in one statement, for the rows
    whose stored figures differ; ``batches`` are ``(model, field names,
    FigureColumns)``, in the database's terms (no pacing status is None).

    The cache gets the new values of the rows written (those of the others are what
    the database holds already, when cached at all), and the ORM recomputes nothing of
    what was refreshed here: each figure's compute gives the value stored. Any other
    stored field depending on them (another module's) is left to the ORM as usual."""
    written = []
    updates = []
    for model, field_names, figures in batches:
        if figures.changed:
            ids, columns = figures.changed_columns()
            updates.append((model, field_names, ids, columns))
        written.append((model.browse(figures.ids), field_names))
    bulk_update(updates)
    for model, field_names, ids, columns in updates:
        changed = model.browse(ids)
        for field_name, column in zip(field_names, columns, strict=True):
            compat.cache_update(changed, model._fields[field_name], column)
    handled = {
        records._fields[field_name]
        for records, field_names in written
        for field_name in field_names
    }
    cache = env.cache

    def depends_elsewhere(field):
        return field not in handled and (
            (field.compute and field.store) or cache.contains_field(field)
        )

    for records, field_names in written:
        fields_ = [records._fields[field_name] for field_name in field_names]
        if env.registry.get_trigger_tree(fields_, select=depends_elsewhere):
            records.modified(field_names)
    # What the ORM would have recomputed here is already stored and cached.
    for records, field_names in written:
        for field_name in field_names:
            env.remove_to_compute(records._fields[field_name], records)


def bulk_update(updates):
    """``UPDATE`` of each ``(model, field names, ids, columns)`` of ``updates``: the
    records ``ids`` get ``columns`` (one list of values per field), all in one statement
    (one round trip; each further table's ``UPDATE`` in a ``WITH``, which PostgreSQL
    runs once and to completion). One array per column, passed as one literal each
    rather than an expression of a hundred thousand values to build and parse."""
    if not updates:
        return
    env = updates[0][0].env
    statements = []
    for model, field_names, ids, columns in updates:
        types = [SQL("int4")] + [
            SQL(BULK_COLUMN_TYPES[model._fields[field_name].type]) for field_name in field_names
        ]
        names = [SQL.identifier(field_name) for field_name in field_names]
        statements.append(
            SQL(
                """
                UPDATE %(table)s record
                   SET %(assignments)s, write_uid = %(uid)s, write_date = %(now)s
                  FROM unnest(%(arrays)s) AS new(id, %(names)s)
                 WHERE record.id = new.id
                """,
                table=SQL.identifier(model._table),
                assignments=SQL(", ").join(SQL("%s = new.%s", name, name) for name in names),
                uid=env.uid,
                now=env.cr.now(),
                arrays=SQL(", ").join(
                    SQL("%s::%s[]", array_literal(column), type_)
                    for column, type_ in zip([ids, *columns], types, strict=True)
                ),
                names=SQL(", ").join(names),
            )
        )
    *first, last = statements
    if first:
        last = SQL(
            "WITH %s %s",
            SQL(", ").join(
                SQL("%s AS (%s)", SQL.identifier(f"update{index}"), statement)
                for index, statement in enumerate(first)
            ),
            last,
        )
    env.execute_query(last)
    for model, _field_names, ids, _columns in updates:
        model.browse(ids).invalidate_recordset(["write_uid", "write_date"])
