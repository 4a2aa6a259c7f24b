"""The daily jobs, partner company by partner company, in batches that resume.

A daily job (actuals, pacing, registration expiry) goes through the partner companies
concerned in the order of their ids, a batch at a time (``BATCH_SIZE_PARAM`` companies,
a system parameter), and each batch is its own transaction: it locks only the rows of
its companies, for as long as that batch takes, while partners keep registering deals.

Run by Odoo's cron runner (an ``ir.cron.progress`` in the context), one call does one
batch: it commits it with the id of its last company (``RESUME_PARAM``) and reports how
many companies remain (:func:`compat.cron_commit_progress`), so that Odoo calls the job
again or reschedules it for the rest. After a crash or a kill, the next run starts after
the last company committed; the mark goes back to 0 when a pass ends. The mark's row is
locked for the batch's transaction (``FOR UPDATE SKIP LOCKED``), on top of Odoo's job
lock: two runs of the same job never take the same batch, the second one stops at once.

A batch that meets a concurrent transaction writing the same rows (a serialization
failure or a deadlock: a partner registering a deal while its company's batch runs) is
rolled back and tried again in a new transaction, as Odoo retries a request, up to
``MAX_TRIES`` times. A batch that fails otherwise (or keeps conflicting) is rolled back
and logged with its companies; the batches before it stay committed and the pass goes
on after it (the failed companies are done again by the next pass).

Called outside a cron run (a settings change, a test), the job makes a whole pass in
the caller's transaction: the same batches, no commit, no mark, and an error fails the
caller's transaction as a whole.
"""

import logging
import random
import time

from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL

from . import compat

_logger = logging.getLogger(__name__)

BATCH_SIZE_PARAM = "msp_business_planning.cron_batch_size"
DEFAULT_BATCH_SIZE = 200
# Tries of a batch that meets a concurrent transaction (Odoo's own number for requests).
MAX_TRIES = 5
# Followed by the job's name: the id of the last partner company of the pass committed.
RESUME_PARAM = "msp_business_planning.cron_resume."


def batch_size(env):
    try:
        size = int(env["ir.config_parameter"].sudo().get_param(BATCH_SIZE_PARAM, 0))
    except ValueError:
        size = 0
    return size if size > 0 else DEFAULT_BATCH_SIZE


def _partner_ids_sql(model, domain, partner_field, after, limit=None):
    """The distinct partner companies (``partner_field``) of the records of ``domain``
    above id ``after``, in the order of their ids."""
    query = model._search(domain)
    column = SQL.identifier(model._table, partner_field)
    return SQL(
        "SELECT DISTINCT sub.partner_id FROM (%s) sub WHERE sub.partner_id > %s"
        " ORDER BY sub.partner_id %s",
        query.select(SQL("%s AS partner_id", column)),
        after,
        SQL("LIMIT %s", limit) if limit else SQL(),
    )


def _count_sql(model, domain, partner_field, after):
    query = model._search(domain)
    column = SQL.identifier(model._table, partner_field)
    return SQL(
        "SELECT COUNT(DISTINCT sub.partner_id) FROM (%s) sub WHERE sub.partner_id > %s",
        query.select(SQL("%s AS partner_id", column)),
        after,
    )


def _lock_mark(env, job):
    """The job's mark, locked for this transaction; None when another transaction
    holds it (another run of the job is in a batch)."""
    key = RESUME_PARAM + job
    # The parameter is read and written in SQL: the ORM's setter would clear the
    # caches of every worker at each batch. Nobody reads it through get_param.
    env.cr.execute(
        SQL(
            """
            INSERT INTO ir_config_parameter (key, value, create_uid, write_uid,
                                             create_date, write_date)
            VALUES (%s, '0', %s, %s, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
            ON CONFLICT (key) DO NOTHING
            """,
            key,
            env.uid,
            env.uid,
        )
    )
    env.cr.execute(
        SQL(
            "SELECT value FROM ir_config_parameter WHERE key = %s FOR UPDATE SKIP LOCKED",
            key,
        )
    )
    row = env.cr.fetchone()
    if row is None:
        return None
    try:
        return max(int(row[0]), 0)
    except (TypeError, ValueError):
        return 0


def _set_mark(env, job, partner_id):
    env.cr.execute(
        SQL(
            "UPDATE ir_config_parameter SET value = %s, write_uid = %s,"
            " write_date = now() AT TIME ZONE 'UTC' WHERE key = %s",
            str(partner_id),
            env.uid,
            RESUME_PARAM + job,
        )
    )


class Conflict(Exception):
    """A batch met a concurrent transaction: to be tried again in a new one."""


def _process_batch(env, job, partner_ids, process, last_try=True):
    """``process(partner_ids)`` in a savepoint: True when done; False, logged and rolled
    back, when it failed. Raises :class:`Conflict` when it met a concurrent
    transaction and this is not its ``last_try``: the caller rolls back and retries."""
    try:
        with env.cr.savepoint():
            process(partner_ids)
    except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as error:
        env.invalidate_all(flush=False)
        if not last_try:
            raise Conflict() from error
        _logger.error(
            "Daily job %s: the batch of partner companies %s to %s kept meeting concurrent "
            "changes (%s) and was rolled back; the other batches are kept, these companies "
            "are done again by the next pass (ids: %s)",
            job,
            partner_ids[0],
            partner_ids[-1],
            error.pgcode,
            partner_ids,
        )
        return False
    except Exception:
        env.invalidate_all(flush=False)
        _logger.exception(
            "Daily job %s: the batch of partner companies %s to %s failed and was rolled "
            "back; the other batches are kept, these companies are done again by the "
            "next pass (ids: %s)",
            job,
            partner_ids[0],
            partner_ids[-1],
            partner_ids,
        )
        return False
    return True


def _run_batch(env, model, job, domain, partner_field, process, size, last_try):
    """One batch of a cron run, in the cron's transaction: (done, remaining), or None
    when another run of the job holds the pass."""
    after = _lock_mark(env, job)
    if after is None:
        return None
    env.cr.execute(_partner_ids_sql(model, domain, partner_field, after, size))
    partner_ids = [row[0] for row in env.cr.fetchall()]
    if partner_ids:
        _process_batch(env, job, partner_ids, process, last_try=last_try)
        after = partner_ids[-1]
    env.cr.execute(_count_sql(model, domain, partner_field, after))
    remaining = env.cr.fetchone()[0]
    # The pass ends with its last batch: the next run starts a new one.
    _set_mark(env, job, after if remaining else 0)
    return len(partner_ids), remaining


def run(model, job, domain, partner_field, process):
    """Run the daily ``job`` on the partner companies (``partner_field``) of ``model``'s
    records matching ``domain``: ``process(partner ids)`` batch after batch, as the
    module's docstring says. Returns ``(done, remaining)`` partner companies."""
    env = model.env
    size = batch_size(env)
    if not env.context.get("ir_cron_progress_id"):
        done, after = 0, 0
        while True:
            env.cr.execute(_partner_ids_sql(model, domain, partner_field, after, size))
            partner_ids = [row[0] for row in env.cr.fetchall()]
            if not partner_ids:
                return done, 0
            # One transaction, the caller's: a failure fails it all, as it should.
            process(partner_ids)
            done += len(partner_ids)
            after = partner_ids[-1]

    for attempt in range(1, MAX_TRIES + 1):
        try:
            outcome = _run_batch(
                env, model, job, domain, partner_field, process, size, attempt == MAX_TRIES
            )
            break
        except Conflict as conflict:
            # A new transaction, so a new snapshot: what the other one committed is seen.
            env.cr.rollback()
            env.invalidate_all(flush=False)
            wait = random.uniform(0.0, 0.1 * 2**attempt)
            _logger.info(
                "Daily job %s: a batch met a concurrent change (%s), tried again in %.2f s",
                job,
                conflict.__cause__.pgcode,
                wait,
            )
            time.sleep(wait)
    if outcome is None:
        # Another run of this job holds the pass: nothing for this one.
        compat.cron_commit_progress(env, 0, 0)
        return 0, 0
    done, remaining = outcome
    compat.cron_commit_progress(env, done, remaining)
    return done, remaining
