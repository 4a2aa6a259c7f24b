"""`make bench-load`: several Odoo servers, a PostgreSQL replica, and nothing lost.

On this machine's loopback only, it starts:

* a PostgreSQL primary and its streaming replica: two clusters under
  ``.cache/load/`` (initdb, pg_basebackup -R), run as the ``postgres`` user;
* a database with the addon, seeded with a channel (bench/seed.py: partners, running
  plans, leads), a portal contact per partner company, actuals refreshed, then made
  stale on purpose (the daily refresh, run during the load, must put them right);
* two Odoo servers in multi-process mode on that database (``--workers 2``,
  ``--max-cron-threads 1``, the replica as ``--db_replica_host/--db_replica_port``);

then four bounded Locust runs (headless, a fixed number of requests per user, a time
cap): one user on the plan page (the single-user latency); N partner contacts at a
person's pace (each page read 5 to 15 s) mixing plan pages, registration lists, deal
registrations (POST), progress reports (POST) and downloads across both servers while
the daily refresh runs in the cron workers; and the same mix as fast as the users can
go, on both servers and on one (the throughput, up to the machine's limit). It
reports requests per second, p50/p95/p99 per route, errors, the share of the reads the
replica served (Odoo's own ro/rw mark on each request's log line, and pg_stat_database
of each cluster), then checks that nothing was lost: every accepted POST is in the database exactly
once, and the stored actuals equal a fresh recomputation. Everything it started is
stopped on exit, failure and Ctrl-C included. Results: bench/RESULTS.md (--write).
"""

import argparse
import csv
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, suppress
from datetime import date
from pathlib import Path

import psycopg2

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE.parent))

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_PORTS = {"primary": 5440, "replica": 5441}
HTTP_PORTS = [8222, 8224]  # each server's gevent port is the next one
SIZES = {
    # partners (one portal contact each), leads, users, requests per user, time caps (s)
    # of the runs as fast as the users can go and at a person's pace
    "small": {
        "partners": 60,
        "leads": 20_000,
        "users": 50,
        "requests": 12,
        "cap": 90,
        "paced cap": 200,
    },
    "default": {
        "partners": 300,
        "leads": 200_000,
        "users": 50,
        "requests": 40,
        "cap": 240,
        "paced cap": 600,
    },
}
SINGLE_USER_REQUESTS = 30
# Users and requests of the warm-up before the measured runs (not reported).
WARM_UP_USERS = 8
WARM_UP_REQUESTS = 8
SPAWN_RATE = 5
# Seconds a user waits between two requests: a person reading each page, or as fast as
# the users can go (to find the throughput).
PACES = {"paced": (5, 15), "stress": (0.05, 0.3)}
# A request's line in an Odoo server's log, which ends with the cursor that served it.
REQUEST_LINE_RE = re.compile(
    r'werkzeug: .*"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[0-9.]+" \d+ .* (?P<mode>ro|rw|ro->rw)$'
)
# Partner companies per batch of the daily jobs during the run: small batches, so the
# refresh spans the load and both servers' cron workers take turns.
CRON_BATCH_SIZE = 3
READ_ROUTES = (
    "plan list",
    "plan page",
    "registration list",
    "registration",
    "registration form",
    "download xlsx",
)


def log(message):
    print(f"[bench-load {time.strftime('%H:%M:%S')}] {message}", flush=True)


# ----------------------------------------------------------------------------
# everything started is stopped
# ----------------------------------------------------------------------------


class Stack:
    """What was started, stopped in reverse order on exit (also on SIGINT/SIGTERM)."""

    def __init__(self):
        self.stops = []

    def push(self, name, stop):
        self.stops.append((name, stop))

    def close(self):
        while self.stops:
            name, stop = self.stops.pop()
            log(f"stopping {name}")
            try:
                stop()
            except Exception as error:
                log(f"  could not stop {name}: {error}")


def _terminate(process, timeout=20):
    if process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


def _as_postgres(*command, check=True, **kwargs):
    return subprocess.run(["runuser", "-u", "postgres", "--", *command], check=check, **kwargs)


# ----------------------------------------------------------------------------
# PostgreSQL: a primary and its streaming replica
# ----------------------------------------------------------------------------


def start_clusters(stack, workdir):
    pg = workdir / "pg"
    if pg.exists():
        shutil.rmtree(pg)
    pg.mkdir(parents=True)
    shutil.chown(pg, "postgres", "postgres")
    primary, replica = pg / "primary", pg / "replica"
    _as_postgres(
        str(PG_BIN / "initdb"), "-D", str(primary), "-U", "postgres", "--auth=trust",
        "-E", "UTF8", "--locale=C.UTF-8", stdout=subprocess.DEVNULL,
    )  # fmt: skip
    settings = {
        "listen_addresses": "'127.0.0.1'",
        "unix_socket_directories": f"'{pg}'",
        "wal_level": "replica",
        "max_wal_senders": "4",
        "hot_standby": "on",
        "hot_standby_feedback": "on",
        "max_connections": "200",
        "shared_buffers": "128MB",
        "track_counts": "on",
        # Every lock wait longer than 100 ms in the primary's log (what a request or a
        # batch of the refresh waited for, and how long).
        "log_lock_waits": "on",
        "deadlock_timeout": "'100ms'",
        # Each line with its backend and application (Odoo's "odoo-<pid>"): who waited.
        "log_line_prefix": "'%m [%p] %a '",
    }
    with (primary / "postgresql.conf").open("a") as conf:
        conf.write("".join(f"{key} = {value}\n" for key, value in settings.items()))
        conf.write(f"port = {PG_PORTS['primary']}\n")
    with (primary / "pg_hba.conf").open("a") as hba:
        hba.write("host all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n")
    _pg_ctl(stack, "primary", primary)
    _as_postgres(
        str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(PG_PORTS["primary"]),
        "-U", "postgres", "-D", str(replica), "-R", "-X", "stream",
    )  # fmt: skip
    with (replica / "postgresql.conf").open("a") as conf:
        conf.write(f"port = {PG_PORTS['replica']}\n")
    _pg_ctl(stack, "replica", replica)
    with closing(_connect("primary", "postgres")) as cnx, cnx.cursor() as cr:
        cr.execute("CREATE ROLE msp LOGIN SUPERUSER PASSWORD 'msp'")


def _pg_ctl(stack, name, datadir):
    _as_postgres(
        str(PG_BIN / "pg_ctl"), "-D", str(datadir), "-l", str(datadir / "server.log"),
        "-w", "-t", "60", "start", stdout=subprocess.DEVNULL,
    )  # fmt: skip
    stack.push(
        f"PostgreSQL {name}",
        lambda: _as_postgres(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(datadir),
            "-m",
            "fast",
            "-w",
            "stop",
            check=False,
            stdout=subprocess.DEVNULL,
        ),  # fmt: skip
    )


def _connect(cluster, dbname):
    cnx = psycopg2.connect(host="127.0.0.1", port=PG_PORTS[cluster], user="postgres", dbname=dbname)
    cnx.autocommit = True
    return cnx


def db_counters(dbname):
    """{cluster: {counter: value}} of pg_stat_database for ``dbname``."""
    counters = {}
    for cluster in PG_PORTS:
        with closing(_connect(cluster, dbname)) as cnx, cnx.cursor() as cr:
            cr.execute("SELECT pg_stat_clear_snapshot()")
            cr.execute(
                "SELECT xact_commit + xact_rollback, tup_returned + tup_fetched"
                "  FROM pg_stat_database WHERE datname = %s",
                [dbname],
            )
            transactions, rows = cr.fetchone()
            counters[cluster] = {"transactions": transactions, "rows read": rows}
    return counters


# ----------------------------------------------------------------------------
# the database: addon, channel, portal contacts
# ----------------------------------------------------------------------------


def write_conf(workdir, version):
    conf = workdir / f"odoo-{version}.conf"
    conf.write_text(
        "[options]\n"
        "db_host = 127.0.0.1\n"
        f"db_port = {PG_PORTS['primary']}\n"
        "db_user = msp\n"
        "db_password = msp\n"
        "db_replica_host = 127.0.0.1\n"
        f"db_replica_port = {PG_PORTS['replica']}\n"
        "http_interface = 127.0.0.1\n"
        f"data_dir = {workdir / 'data'}\n"
        "list_db = False\n"
    )
    return conf


def install(python, conf, addons_path, dbname, version, workdir):
    log(f"installing the addon in {dbname} (Odoo {version}.0, no demo data)")
    without_demo = ["--without-demo=all"] if version == "18" else []
    subprocess.run(
        [
            python, "-m", "odoo", "-c", str(conf), f"--addons-path={addons_path}",
            "-d", dbname, "-i", "msp_business_planning", *without_demo,
            "--stop-after-init", "--log-level=warn", f"--logfile={workdir / 'install.log'}",
        ],
        check=True,
    )  # fmt: skip


PREPARE = r"""
import csv, json, sys
import odoo
from odoo import SUPERUSER_ID, api
odoo.tools.config.parse_config(["-c", {conf!r}, "--addons-path={addons}", "-d", {db!r},
                                "--log-level=warn"])
odoo.modules.module.initialize_sys_path()
sys.path.insert(0, {bench!r})
import seed as seeding
registry = odoo.modules.registry.Registry({db!r})
with registry.cursor() as cr:
    counts = seeding.seed(cr, {partners}, {leads}, {year})
with registry.cursor() as cr:
    env = api.Environment(cr, SUPERUSER_ID, {{"tracking_disable": True}})
    partners = env["res.partner"].search([("name", "=like", "Bench MSP %")], order="id")
    portal = env.ref("base.group_portal")
    rows = []
    PASSWORD = "load-test-password"
    for number, company in enumerate(partners[:{users}], 1):
        contact = env["res.partner"].create(
            {{"name": f"Load Contact {{number}}", "parent_id": company.id,
              "email": f"contact{{number}}@load.test"}})
        login = f"load{{number}}"
        env["res.users"].with_context(no_reset_password=True).create(
            {{"login": login, "partner_id": contact.id, "{groups}": [(6, 0, [portal.id])]}})
        rows.append((login, PASSWORD))
    # One password, hashed once with Odoo's own rounds. A hash with fewer rounds would
    # be replaced at each user's first login (passlib's verify_and_update): Odoo then
    # hashes it again (600,000 rounds, half a second of CPU), writes it and clears the
    # caches of every worker of both servers (registry.clear_cache()), once a user.
    users = env["res.users"].search([("login", "=like", "load%")])
    cr.execute("UPDATE res_users SET password = %s WHERE id = ANY(%s)",
               [users._crypt_context().hash(PASSWORD), users.ids])
    with open({users_csv!r}, "w", newline="") as out:
        csv.writer(out).writerows(rows)
    # Every figure true first (the seed leaves them at 0), in one pass.
    env["msp.business.plan.objective"]._cron_refresh_actuals()
    env["ir.config_parameter"].set_param("msp_business_planning.cron_batch_size", {batch!r})
    # Odoo's report and link URLs: the first server.
    env["ir.config_parameter"].set_param("web.base.url", {base_url!r})
    env["ir.config_parameter"].set_param("web.base.url.freeze", "True")
    # No lead enrichment: it calls Odoo's IAP service over the internet.
    cr.execute("UPDATE ir_cron SET active = false WHERE cron_name::text ILIKE '%%enrich%%'")
    env["ir.config_parameter"].set_param("crm.iap_lead_enrichment", "manual")
    cron = env.ref("msp_business_planning.ir_cron_refresh_actuals")
    print(json.dumps({{"counts": counts, "cron_id": cron.id}}))
"""


def prepare(python, conf, addons_path, dbname, version, size, workdir):
    log(f"seeding {size['partners']} partner companies, {size['leads']} leads, portal users")
    script = PREPARE.format(
        bench=str(HERE.parent),
        conf=str(conf),
        addons=addons_path,
        db=dbname,
        partners=size["partners"],
        leads=size["leads"],
        year=date.today().year,
        users=size["users"],
        users_csv=str(workdir / "users.csv"),
        groups="groups_id" if version == "18" else "group_ids",
        batch=str(CRON_BATCH_SIZE),
        base_url=f"http://127.0.0.1:{HTTP_PORTS[0]}",
    )
    return _odoo_script(python, script)


def _odoo_script(python, script):
    """The JSON the script prints last; its errors shown when it fails."""
    done = subprocess.run([python, "-c", script], capture_output=True, text=True, check=False)
    if done.returncode:
        sys.stderr.write(done.stderr[-5000:])
        raise RuntimeError("an Odoo script of the load test failed (its output is above)")
    return json.loads(done.stdout.strip().splitlines()[-1])


def make_actuals_stale(dbname):
    """Stored actuals off by 1000 everywhere: the daily refresh run during the load
    must put every one right again."""
    with closing(_connect("primary", dbname)) as cnx, cnx.cursor() as cr:
        cr.execute(
            "UPDATE msp_business_plan_objective_target SET actual_value = actual_value + 1000"
            " WHERE objective_type != 'manual' AND plan_state = 'in_progress'"
        )
        return cr.rowcount


# ----------------------------------------------------------------------------
# the Odoo servers
# ----------------------------------------------------------------------------


def gevent_env(python, workdir):
    """Environment of the servers: in multi-process mode Odoo also runs its gevent
    (websocket) process, whose monkey-patching loads gevent's entry points through
    pkg_resources. An old pkg_resources does not recognise the zope.interface and
    zope.event of a virtualenv by their new metadata names and the process dies at
    start, over and over; then a directory with their metadata under the old names
    goes on the servers' PYTHONPATH (nothing is installed)."""
    check = [python, "-c", "from gevent import monkey; monkey.patch_all()"]
    if subprocess.run(check, capture_output=True, check=False).returncode == 0:
        return dict(os.environ)
    shim = workdir / "gevent-shim"
    versions = subprocess.run(
        [python, "-c", "import importlib.metadata as m; print(*(m.version(n) for n in "
         "('zope.interface', 'zope.event')))"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    for name, version in zip(("zope.interface", "zope.event"), versions, strict=True):
        info = shim / f"{name}-{version}.dist-info"
        info.mkdir(parents=True, exist_ok=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    env = dict(os.environ, PYTHONPATH=str(shim))
    subprocess.run(check, capture_output=True, check=True, env=env)
    log("gevent's metadata shim on the servers' PYTHONPATH (see gevent_env)")
    return env


def start_servers(stack, python, odoo_bin, conf, addons_path, dbname, workdir, ports):
    """The servers, started with odoo-bin: in multi-process mode, Odoo starts its
    gevent (websocket) process by running its own command line again."""
    env = gevent_env(python, workdir)
    servers = []
    for index, port in enumerate(ports):
        logfile = workdir / f"server-{index + 1}.log"
        process = subprocess.Popen(
            [
                python, odoo_bin, "-c", str(conf), f"--addons-path={addons_path}",
                "-d", dbname, f"--db-filter=^{dbname}$", "--workers", "2",
                "--max-cron-threads", "1", "--http-port", str(port),
                "--gevent-port", str(port + 1), "--log-level=warn",
                f"--logfile={logfile}", "--limit-time-real=300",
                # the cron runner's lines: which server ran which batches
                "--log-handler=odoo.addons.base.models.ir_cron:INFO",
                # workers started again (limits reached) and caches invalidated
                "--log-handler=odoo.service.server:INFO",
                "--log-handler=odoo.registry:INFO",
                "--log-handler=odoo.modules.registry:INFO",
                # Each request's line ends with the cursor it was served from (ro/rw).
                "--log-handler=werkzeug:INFO",
            ],
            start_new_session=True,
            env=env,
        )  # fmt: skip
        stack.push(f"Odoo server {index + 1} (:{port})", lambda p=process: _terminate(p))
        servers.append((process, port, logfile))
    for process, port, _logfile in servers:
        _wait_http(process, port)
    return servers


def _wait_http(process, port, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Odoo server on :{port} stopped (exit {process.returncode})")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/web/login", timeout=10):
                return
        except OSError:
            time.sleep(1)
    raise RuntimeError(f"the Odoo server on :{port} did not answer within {timeout} s")


def trigger_refresh(dbname, cron_id):
    """The daily refresh, due now; the cron workers are woken up (as Odoo does)."""
    with closing(_connect("primary", dbname)) as cnx, cnx.cursor() as cr:
        cr.execute(
            "UPDATE ir_cron SET nextcall = now() AT TIME ZONE 'UTC' - interval '1 minute'"
            " WHERE id = %s",
            [cron_id],
        )
    wake_crons(dbname)


def wake_crons(dbname):
    with closing(_connect("primary", "postgres")) as cnx, cnx.cursor() as cr:
        cr.execute("SELECT pg_notify('cron_trigger', %s)", [dbname])


def refresh_state(dbname, cron_id):
    """(batches committed, partner companies still to do, pass finished?)."""
    with closing(_connect("primary", dbname)) as cnx, cnx.cursor() as cr:
        cr.execute(
            "SELECT count(*), COALESCE(SUM(done), 0) FROM ir_cron_progress"
            " WHERE cron_id = %s AND done > 0",
            [cron_id],
        )
        batches, done = cr.fetchone()
        cr.execute(
            "SELECT value FROM ir_config_parameter WHERE key ="
            " 'msp_business_planning.cron_resume.refresh_actuals'"
        )
        row = cr.fetchone()
        cr.execute(
            "SELECT nextcall > now() AT TIME ZONE 'UTC' FROM ir_cron WHERE id = %s", [cron_id]
        )
        rescheduled = cr.fetchone()[0]
    return batches, done, bool(row) and row[0] == "0" and rescheduled


def log_in_users(workdir, hosts):
    """Logs every portal user in before the runs, two at a time, and adds its session
    id to users.csv: the Locust users reuse it, as a partner's browser keeps its session
    (days) between pages. A login costs Odoo's password hash (600,000 rounds of
    PBKDF2-SHA512, about half a second of CPU): 50 logins in the first seconds of a run
    kept both cores busy and every worker queued. Returns the logins' latencies (s)."""
    import requests  # in Odoo's virtualenv

    path = workdir / "users.csv"
    rows = list(csv.reader(path.read_text().splitlines()))

    def log_in(numbered):
        number, (login, password, *_rest) = numbered
        host = hosts[number % len(hosts)]
        with requests.Session() as client:
            client.headers["Connection"] = "close"
            page = client.get(f"{host}/web/login", timeout=60)
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
            started = time.monotonic()
            answer = client.post(
                f"{host}/web/login",
                data={"login": login, "password": password, "csrf_token": token},
                allow_redirects=False,
                timeout=60,
            )
            seconds = time.monotonic() - started
            if answer.status_code != 303 or "session_id" not in client.cookies:
                raise RuntimeError(f"{login} could not log in (HTTP {answer.status_code})")
            return [login, password, client.cookies["session_id"]], seconds

    with ThreadPoolExecutor(2) as pool:
        done = list(pool.map(log_in, enumerate(rows)))
    with path.open("w", newline="") as out:
        csv.writer(out).writerows(row for row, _seconds in done)
    return [seconds for _row, seconds in done]


# ----------------------------------------------------------------------------
# Locust
# ----------------------------------------------------------------------------


def locust(workdir, name, hosts, users, requests, cap, mix, pace="stress"):
    out = workdir / name
    out.mkdir(parents=True, exist_ok=True)
    env = dict(
        os.environ,
        LOAD_USERS=str(workdir / "users.csv"),
        LOAD_HOSTS=",".join(hosts),
        LOAD_MIX=mix,
        LOAD_REQUESTS=str(requests),
        LOAD_WAIT=",".join(str(bound) for bound in PACES[pace]),
        LOAD_OUT=str(out),
    )
    log(
        f"Locust run '{name}': {users} users, {requests} requests each ({pace}), "
        f"{cap} s at most"
    )
    started = time.monotonic()
    subprocess.run(
        [
            str(ROOT / ".cache" / "venv-locust" / "bin" / "locust"), "-f",
            str(HERE / "locustfile.py"), "--headless", "--users", str(users),
            # A few sessions a second: Odoo's prefork server listens with a short
            # backlog (8 per worker); in production a reverse proxy queues the rest.
            "--spawn-rate", str(min(users, SPAWN_RATE)), "--run-time", f"{cap}s",
            "--stop-timeout", "30",
            "--csv", str(out / "stats"), "--only-summary", "--loglevel", "WARNING",
        ],
        env=env,
        check=False,
        stdout=(out / "locust.log").open("w"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    wall = time.monotonic() - started
    return read_stats(out, wall)


def read_stats(out, wall):
    routes = {}
    with (out / "stats_stats.csv").open() as stats:
        for row in csv.DictReader(stats):
            # One line per method and name: the login's GET and POST make one route.
            route = routes.setdefault(
                row["Name"], {"requests": 0, "failures": 0, "p50": 0.0, "p95": 0.0, "p99": 0.0}
            )
            route["requests"] += int(row["Request Count"])
            route["failures"] += int(row["Failure Count"])
            for key in ("p50", "p95", "p99"):
                route[key] = max(route[key], float(row[key[1:] + "%"] or 0))
    timing = json.loads((out / "timing.json").read_text()) if (out / "timing.json").exists() else {}
    counted = sum(v["requests"] for k, v in routes.items() if k not in ("login", "Aggregated"))
    seconds = (timing.get("end") or 0) - (timing.get("start") or 0)
    failures_file = out / "stats_failures.csv"
    failures = list(csv.DictReader(failures_file.open())) if failures_file.exists() else []
    return {
        "routes": routes,
        "requests": counted,
        "seconds": seconds,
        "rps": counted / seconds if seconds > 0 else 0.0,
        # Logins included: a session that could not log in is an error too.
        "errors": sum(v["failures"] for k, v in routes.items() if k != "Aggregated"),
        "failures": failures,
        "wall": wall,
    }


# ----------------------------------------------------------------------------
# nothing lost
# ----------------------------------------------------------------------------


def accepted_posts(workdir, runs):
    posts = []
    for name in runs:
        path = workdir / name / "accepted.jsonl"
        if path.exists():
            posts += [json.loads(line) for line in path.read_text().splitlines() if line]
    return posts


def check_posts(dbname, posts):
    """{kind: (accepted, found exactly once, found in the database at all)}."""
    result = {}
    with closing(_connect("primary", dbname)) as cnx, cnx.cursor() as cr:
        for kind, table, column, prefix, pattern in (
            ("deal", "crm_lead", "name", "Load deal ", "Load deal %"),
            ("progress", "msp_business_plan_objective_update", "note", "load ", "load %"),
        ):
            keys = [prefix + post["key"] for post in posts if post["kind"] == kind]
            cr.execute(
                f"SELECT {column}, count(*) FROM {table} WHERE {column} = ANY(%s)"
                f" GROUP BY {column}",
                [keys],
            )
            found = dict(cr.fetchall())
            cr.execute(f"SELECT count(*) FROM {table} WHERE {column} LIKE %s", [pattern])
            total = cr.fetchone()[0]
            once = sum(1 for key in keys if found.get(key) == 1)
            result[kind] = {"accepted": len(keys), "exactly once": once, "in database": total}
    return result


CHECK_ACTUALS = r"""
import json, sys
import odoo
from odoo import SUPERUSER_ID, api
odoo.tools.config.parse_config(["-c", {conf!r}, "--addons-path={addons}", "-d", {db!r},
                                "--log-level=warn"])
odoo.modules.module.initialize_sys_path()
registry = odoo.modules.registry.Registry({db!r})
with registry.cursor() as cr:
    env = api.Environment(cr, SUPERUSER_ID, {{}})
    cr.execute("SELECT id, actual_value FROM msp_business_plan_objective_target"
               " WHERE plan_state = 'in_progress'")
    stored = dict(cr.fetchall())
    env["msp.business.plan.objective"].search(
        [("plan_state", "=", "in_progress")]).action_refresh_actuals()
    env.flush_all()
    cr.execute("SELECT id, actual_value FROM msp_business_plan_objective_target"
               " WHERE plan_state = 'in_progress'")
    fresh = dict(cr.fetchall())
    cr.rollback()
wrong = [i for i in fresh if abs((stored.get(i) or 0) - (fresh[i] or 0)) > 1e-6]
print(json.dumps({{"periods": len(fresh), "wrong": len(wrong), "examples": wrong[:5]}}))
"""


def check_actuals(python, conf, addons_path, dbname):
    script = CHECK_ACTUALS.format(conf=str(conf), addons=addons_path, db=dbname)
    return _odoo_script(python, script)


def log_offsets(servers):
    """Where each server's log ends now: what follows is the next run's."""
    return [logfile.stat().st_size if logfile.exists() else 0 for _p, _port, logfile in servers]


def cursor_modes(servers, offsets):
    """``{(method, route): {cursor mode: requests}}`` of the requests logged since
    ``offsets``: Odoo ends each request's line with the cursor that served it when a
    replica is configured (``ro``: the replica, ``rw``: the primary, ``ro->rw``: a
    read-only route that had to write)."""
    modes = {}
    for (_process, _port, logfile), offset in zip(servers, offsets, strict=True):
        if not logfile.exists():
            continue
        with logfile.open(errors="replace") as log_file:
            log_file.seek(offset)
            for line in log_file:
                match = REQUEST_LINE_RE.search(line)
                if match:
                    route = re.sub(r"/\d+", "/<id>", match["path"].split("?")[0])
                    counts = modes.setdefault((match["method"], route), {})
                    counts[match["mode"]] = counts.get(match["mode"], 0) + 1
    return modes


# A request's line: its query count, query time and remaining time (server time is the
# sum of both times: from the worker taking the request to its answer).
PERF_LINE_RE = re.compile(
    r'werkzeug: .*"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[0-9.]+" \d+ \S+ '
    r"(?P<queries>\d+) (?P<query_time>[0-9.]+) (?P<other_time>[0-9.]+)"
)
LOCUST_NAMES = {
    ("GET", "/my/business-plans"): "plan list",
    ("GET", "/my/business-plans/<id>"): "plan page",
    ("GET", "/my/business-plans/<id>/download/xlsx"): "download xlsx",
    ("GET", "/my/deal-registrations"): "registration list",
    ("GET", "/my/deal-registrations/<id>"): "registration",
    ("GET", "/my/deal-registrations/new"): "registration form",
    ("POST", "/my/deal-registrations/new"): "register deal (POST)",
    ("POST", "/my/business-plans/<id>/objectives/<id>/update"): "report progress (POST)",
}


def _log_text(logfile, start, end=None):
    if not logfile.exists():
        return ""
    with logfile.open(errors="replace") as log_file:
        log_file.seek(start)
        return log_file.read(None if end is None else max(end - start, 0))


def server_times(servers, start, end):
    """``{Locust route name: [server seconds]}`` of the requests logged between the
    ``start`` and ``end`` offsets: the time a worker spent on each request, without
    the time the request waited for a worker (Locust's latency has both)."""
    times = {}
    for index, (_process, _port, logfile) in enumerate(servers):
        for match in PERF_LINE_RE.finditer(_log_text(logfile, start[index], end[index])):
            route = re.sub(r"/\d+", "/<id>", match["path"].split("?")[0])
            name = LOCUST_NAMES.get((match["method"], route))
            if name:
                seconds = float(match["query_time"]) + float(match["other_time"])
                times.setdefault(name, []).append(seconds)
    return times


def percentile(values, share):
    """The nearest-rank percentile of ``values`` (0 when empty)."""
    values = sorted(values)
    if not values:
        return 0
    return values[max(0, math.ceil(len(values) * share) - 1)]


def server_events(servers, start, end):
    """What the servers did besides requests between two offsets: workers started
    (again: a limit reached), caches invalidated by another worker, the refresh's
    batches and their durations."""
    events = {
        "workers started": 0,
        "cron workers started": 0,
        "limits reached": 0,
        "cache invalidations": 0,
    }
    calls, batches = [], 0
    for index, (_process, _port, logfile) in enumerate(servers):
        text = _log_text(logfile, start[index], end[index])
        events["workers started"] += len(re.findall(r"Worker WorkerHTTP \(\d+\) alive", text))
        events["cron workers started"] += len(re.findall(r"Worker WorkerCron \(\d+\) alive", text))
        events["limits reached"] += len(
            re.findall(r"(max request|memory limit|CPU time limit|max age) .*reached", text)
        )
        events["cache invalidations"] += text.count("Invalidating caches after database")
        # 18.0: a line per call of the job (one batch); 19.0: a line per call, which
        # runs batches in a loop ("#loop n"), with its duration.
        for line in re.findall(r"refresh actuals of running plans' \(\d+\) .*done.*", text):
            seconds = re.search(r"done in ([0-9.]+)s|duration ([0-9.]+)s", line)
            loops = re.search(r"#loop (\d+)", line)
            if seconds:
                calls.append(float(seconds.group(1) or seconds.group(2)))
                batches += int(loops.group(1)) if loops else 1
    events["refresh calls"] = calls
    events["refresh batches"] = batches
    return events


def odoo_process_kinds(servers):
    """``{Odoo process id: "cron" or "http"}``, from the servers' logs (the cron runner's
    lines come from the cron workers, the request lines from the HTTP workers)."""
    kinds = {}
    for _process, _port, logfile in servers:
        for pid, logger in re.findall(
            r"^\S+ \S+ (\d+) \w+ \S+ (werkzeug|odoo\.addons\.base\.models\.ir_cron):",
            _log_text(logfile, 0),
            re.M,
        ):
            kinds[int(pid)] = "cron" if "ir_cron" in logger else "http"
    return kinds


def primary_lock_waits(workdir, start, end, backends, kinds):
    """The lock waits longer than ``deadlock_timeout`` (100 ms) that the primary logged
    between two offsets of its log: how many, the longest (ms), and who waited for whom
    (``backends``: {backend pid: Odoo process id}, ``kinds``: {Odoo pid: kind})."""
    text = _log_text(workdir / "pg" / "primary" / "server.log", start, end)
    waited = [float(ms) for ms in re.findall(r"acquired \w+ on .* after ([0-9.]+) ms", text)]

    def kind(backend):
        return kinds.get(backends.get(backend), "other")

    pairs = {}
    for waiter, holder in re.findall(
        r"\[(\d+)\] \S* LOG:  process \d+ still waiting for .*\n.*Process holding the lock: (\d+)",
        text,
    ):
        pair = f"{kind(int(waiter))} waiting for {kind(int(holder))}"
        pairs[pair] = pairs.get(pair, 0) + 1
    return {
        "waits": text.count("still waiting for"),
        "longest ms": max(waited, default=0),
        "who": pairs,
    }


def pg_log_offset(workdir):
    path = workdir / "pg" / "primary" / "server.log"
    return path.stat().st_size if path.exists() else 0


def replica_conflicts(dbname):
    """Queries the replica cancelled so far because WAL replay needed what they held."""
    with closing(_connect("replica", dbname)) as cnx, cnx.cursor() as cr:
        cr.execute(
            "SELECT confl_tablespace + confl_lock + confl_snapshot + confl_bufferpin"
            " + confl_deadlock FROM pg_stat_database_conflicts WHERE datname = %s",
            [dbname],
        )
        return cr.fetchone()[0]


def cpu_times():
    """(busy, total) jiffies of all the machine's cores (/proc/stat)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _processes():
    """``{pid: (parent pid, command line, CPU seconds of it and its reaped children)}``."""
    ticks = os.sysconf("SC_CLK_TCK")
    processes = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with suppress(OSError, ValueError, IndexError):
            # The fields after the command name (which may hold spaces and parentheses).
            stat = (proc / "stat").read_text().rpartition(")")[2].split()
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            cpu = sum(int(value) for value in stat[11:15]) / ticks  # utime stime cutime cstime
            processes[int(proc.name)] = (int(stat[1]), command, cpu)
    return processes


def cpu_by_owner(workdir):
    """CPU seconds used so far by what this benchmark runs: ``{"Odoo servers",
    "PostgreSQL (both clusters)", "Locust and this script"}`` (each process tree's live
    processes and the children they reaped); :func:`cpu_times` gives the machine's."""
    processes = _processes()
    children = {}
    for pid, (parent, _command, _cpu) in processes.items():
        children.setdefault(parent, []).append(pid)

    def tree(root):
        pids, todo = [], [root]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            todo += children.get(pid, [])
        return pids

    servers = [pid for pid in children.get(os.getpid(), []) if "odoo-bin" in processes[pid][1]]
    clusters = [
        pid
        for pid, (_parent, command, _cpu) in processes.items()
        if command.startswith(str(PG_BIN / "postgres")) and str(workdir / "pg") in command
    ]
    owners = {
        "Odoo servers": [pid for root in servers for pid in tree(root)],
        "PostgreSQL (both clusters)": [pid for root in clusters for pid in tree(root)],
    }
    # This script, and Locust's runs once they ended (reaped: in this script's figure).
    owners["Locust and this script"] = [os.getpid()]
    return {
        owner: sum(processes[pid][2] for pid in pids if pid in processes)
        for owner, pids in owners.items()
    }


class ActivitySampler:
    """Samples pg_stat_activity on the primary five times a second during a run: the
    backends of the database running a statement, those waiting for a lock, and the
    client port of each backend (which Odoo process it serves)."""

    def __init__(self, dbname):
        self.dbname = dbname
        self.samples = []
        self.ports = {}  # backend pid: the client's TCP port
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_exc):
        self.stop.set()
        self.thread.join(10)

    def _run(self):
        with closing(_connect("primary", self.dbname)) as cnx, cnx.cursor() as cr:
            while not self.stop.wait(0.2):
                cr.execute(
                    "SELECT count(*) FILTER (WHERE state = 'active'),"
                    "       count(*) FILTER (WHERE wait_event_type = 'Lock')"
                    "  FROM pg_stat_activity WHERE datname = %s AND pid != pg_backend_pid()",
                    [self.dbname],
                )
                self.samples.append(cr.fetchone())
                cr.execute(
                    "SELECT pid, client_port FROM pg_stat_activity WHERE datname = %s",
                    [self.dbname],
                )
                self.ports.update(cr.fetchall())

    def backends(self):
        """``{backend pid: Odoo process id}``: the process at the other end of each
        backend's connection (the client's port in /proc/net/tcp, its socket's inode
        among the processes' open files), for the connections still open. Odoo names
        every connection after the server's main process, not the worker's."""
        inodes = {}
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            inodes[int(fields[1].split(":")[1], 16)] = fields[9]
        owners = {}
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            with suppress(OSError):
                for fd in (proc / "fd").iterdir():
                    with suppress(OSError):
                        target = os.readlink(fd)
                        if target.startswith("socket:["):
                            owners[target[8:-1]] = int(proc.name)
        return {
            backend: owners[inodes[port]]
            for backend, port in self.ports.items()
            if port in inodes and inodes[port] in owners
        }

    def summary(self):
        active = [sample[0] for sample in self.samples]
        locked = [sample[1] for sample in self.samples]
        return {
            "samples": len(self.samples),
            "active max": max(active, default=0),
            "lock-waiting samples": sum(1 for count in locked if count),
            "lock-waiting max": max(locked, default=0),
        }


def server_log_problems(servers, start, end=None):
    """``{kind: [line]}``: the warnings and errors the servers logged between the
    ``start`` and ``end`` offsets of their logs. ``conflict``: a serialization failure
    or a deadlock (two transactions writing the same rows; Odoo logs the statement as a
    "bad query" and retries); ``timeout``: a client that did not send or read in time (the
    prefork workers' 2 s socket timeout); ``other``: anything else."""
    problems = {"conflict": [], "timeout": [], "other": []}
    for index, (_process, _port, logfile) in enumerate(servers):
        if not logfile.exists():
            continue
        with logfile.open(errors="replace") as log_file:
            log_file.seek(start[index])
            text = log_file.read(None if end is None else max(end[index] - start[index], 0))
        lines = text.splitlines()
        for number, line in enumerate(lines):
            if not (" WARNING " in line or " ERROR " in line or " CRITICAL " in line):
                continue
            following = next(
                (later for later in lines[number + 1 : number + 40] if later.startswith("ERROR:")),
                "",
            )
            if "bad query" in line and (
                "could not serialize access" in following or "deadlock detected" in following
            ):
                problems["conflict"].append(line.strip())
            elif "Request timed out" in line:
                problems["timeout"].append(line.strip())
            else:
                problems["other"].append(line.strip())
    return problems


def _problem_counts(problems):
    return (
        f"{len(problems['conflict'])} serialization conflicts or deadlocks (each retried; "
        "Odoo logs the "
        f"statement as a bad query), {len(problems['timeout'])} socket timeouts, "
        f"{len(problems['other'])} other"
    )


def cron_hosts(servers):
    """How many batch calls of the refresh each server's cron worker made."""
    return {
        f"server {index + 1}": logfile.read_text(errors="replace").count(
            "refresh actuals of running plans"
        )
        if logfile.exists()
        else 0
        for index, (_process, _port, logfile) in enumerate(servers)
    }


# ----------------------------------------------------------------------------
# report
# ----------------------------------------------------------------------------


def _route_table(run, server_times):
    """Locust's latencies per route, and the servers' own time for the same requests
    (from each request's log line: without the wait for a worker)."""
    lines = [
        "| Route | Requests | Errors | p50 (ms) | p95 (ms) | p99 (ms) "
        "| server p50 (ms) | server p95 (ms) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, route in sorted(run["routes"].items()):
        if name in ("Aggregated", "login"):
            continue
        times = server_times.get(name, [])
        lines.append(
            f"| {name} | {route['requests']} | {route['failures']} | {route['p50']:.0f} | "
            f"{route['p95']:.0f} | {route['p99']:.0f} | {percentile(times, 0.5) * 1000:.0f} "
            f"| {percentile(times, 0.95) * 1000:.0f} |"
        )
    return lines


def _diagnosis_lines(diagnosis, size):
    events, calls = diagnosis["events"], diagnosis["events"]["refresh calls"]
    activity, waits = diagnosis["activity"], diagnosis["lock waits"]
    logins, cpu = diagnosis["logins"], diagnosis["cpu seconds"]
    ours = sum(seconds for owner, seconds in cpu.items() if owner not in ("machine", "capacity"))
    return [
        "Where the sessions' time went:",
        "",
        f"- Logins: the {size['users']} users logged in before the runs (two at a time; "
        f"p50 {percentile(logins, 0.5) * 1000:.0f} ms, max {max(logins, default=0) * 1000:.0f}"
        " ms: Odoo's password hash) and kept their sessions.",
        f"- Machine: its {os.cpu_count()} cores {diagnosis['cpu busy']:.0%} busy on average "
        f"during the sessions (/proc/stat): {cpu['machine']:.0f} of {cpu['capacity']:.0f} "
        "CPU seconds, of which "
        + ", ".join(
            f"{owner} {seconds:.0f}"
            for owner, seconds in cpu.items()
            if owner not in ("machine", "capacity")
        )
        + f", the rest of the machine (other work) {cpu['machine'] - ours:.0f}.",
        f"- Daily refresh during the sessions: {events['refresh batches']} batches in "
        f"{len(calls)} calls of its cron job, {sum(calls):.1f} s in all (longest call "
        f"{max(calls, default=0):.1f} s).",
        f"- Locks: {waits['waits']} lock waits over 100 ms logged by the primary "
        f"(longest {waits['longest ms']:.0f} ms"
        + "".join(f"; {count} {pair}" for pair, count in sorted(waits["who"].items()))
        + f"); pg_stat_activity sampled "
        f"{activity['samples']} times: at most {activity['active max']} statements "
        f"running at once, a backend waiting for a lock in {activity['lock-waiting samples']}"
        " samples.",
        f"- Replica: {diagnosis['replica conflicts']} queries cancelled by WAL replay "
        "(pg_stat_database_conflicts).",
        f"- Workers: {events['workers started']} HTTP workers (and "
        f"{events['cron workers started']} cron workers) started during the sessions "
        f"({events['limits reached']} limits reached); {events['cache invalidations']} "
        "cache invalidations signalled by another worker.",
        "",
    ]


def report(
    args, size, seeded, runs, replica, modes, posts, actuals, problems, refresh, load, diagnosis
):
    single, sessions = runs["single"], runs["sessions"]
    two, one = runs["two servers"], runs["one server"]
    single_p95 = single["routes"].get("plan page", {}).get("p95", 0)
    loaded_p95 = sessions["routes"].get("plan page", {}).get("p95", 0)
    ratio = loaded_p95 / single_p95 if single_p95 else 0
    speedup = two["rps"] / one["rps"] if one["rps"] else 0
    read_requests = sum(sessions["routes"].get(name, {}).get("requests", 0) for name in READ_ROUTES)
    gets = [counts for (method, route), counts in modes.items() if method == "GET"]
    get_total = sum(sum(counts.values()) for counts in gets)
    get_ro = sum(counts.get("ro", 0) for counts in gets)
    get_rw_routes = sorted(
        route
        for (method, route), counts in modes.items()
        if method == "GET" and counts.get("rw", 0) + counts.get("ro->rw", 0)
    )
    pace = "–".join(f"{bound:g}" for bound in PACES["paced"])
    lines = [
        f"### Odoo {args.version}.0, size {args.size} ({date.today().isoformat()})",
        "",
        f"`make bench-load SIZE={args.size} V={args.version}`: PostgreSQL 15 primary + "
        "streaming replica, two Odoo servers `--workers 2 --max-cron-threads 1` with the "
        f"replica configured; {seeded['partners']} partner companies, {seeded['leads']} "
        f"leads, {size['users']} portal contacts (one company each), {size['requests']} "
        "requests each after logging in. Machine: "
        f"{os.cpu_count()} cores, load average {load[0]} before / {load[1]} after the runs.",
        "",
        f"**Partner sessions**: {size['users']} contacts at a person's pace (each page read "
        f"{pace} s before the next), on both servers, while the daily refresh runs "
        f"({sessions['requests']} requests, {sessions['seconds']:.1f} s, "
        f"{sessions['rps']:.1f} req/s, **{sessions['errors']} errors**):",
        "",
        *_route_table(sessions, diagnosis["server times"]),
        "",
        *_diagnosis_lines(diagnosis, size),
        f"**As fast as the users can go** ({'–'.join(f'{b:g}' for b in PACES['stress'])} s "
        "between requests; the machine's "
        f"limit): two servers {two['rps']:.1f} req/s ({two['errors']} errors), one server "
        f"{one['rps']:.1f} req/s ({one['errors']} errors); plan page p95 "
        f"{two['routes'].get('plan page', {}).get('p95', 0):.0f} ms on two servers.",
        "",
        "| Goal | Measured |",
        "|---|---|",
        f"| Zero errors at {size['users']} sessions | {sessions['errors']} errors |",
        f"| Plan page p95 < 3× single user | {loaded_p95:.0f} ms vs {single_p95:.0f} ms "
        f"single user (p95 vs p95, warm workers; single user's p50 "
        f"{single['routes'].get('plan page', {}).get('p50', 0):.0f} ms): **{ratio:.1f}×** |",
        f"| Replica serves the read-only share | GET requests served by the replica (Odoo's "
        f"own `ro` mark): {get_ro} of {get_total}"
        + (f" (on the primary: {', '.join(get_rw_routes)})" if get_rw_routes else "")
        + f"; replica {replica['transactions']:.0%} of the database transactions, "
        f"{replica['rows']:.0%} of the rows read (logins, POSTs, cron and the refresh are "
        f"the primary's); read-only routes were {read_requests / max(sessions['requests'], 1):.0%}"
        " of the requests |",
        f"| Two servers ≥ 1.5× one | {two['rps']:.1f} vs {one['rps']:.1f} req/s: "
        f"**{speedup:.2f}×** ({os.cpu_count()} cores shared by both servers, both "
        "clusters and Locust) |",
        f"| Nothing lost | deals: {posts['deal']['accepted']} accepted, "
        f"{posts['deal']['exactly once']} in the database exactly once "
        f"({posts['deal']['in database']} load deals in all); progress reports: "
        f"{posts['progress']['accepted']} accepted, {posts['progress']['exactly once']} "
        f"exactly once ({posts['progress']['in database']} in all) |",
        f"| Stored actuals = fresh recomputation | {actuals['wrong']} of "
        f"{actuals['periods']} periods differ (all {seeded['stale']} made stale before "
        f"the run; the refresh committed {refresh['batches']} batches, "
        f"{refresh['hosts']}) |",
        f"| Server log | during the sessions: {_problem_counts(problems['sessions'])}; "
        f"during the runs as fast as possible: {_problem_counts(problems['stress'])} |",
        "",
    ]
    return "\n".join(lines)


LOAD_SECTION = "## Load test (`make bench-load`)"
# The section of bench/RESULTS.md this benchmark writes (see bench/results.py).
LOAD_MARKER = "bench/load/run.py"


def write_results(path, version, text):
    """This run's subsection in the load test section of ``path``, in place of the
    previous run on this version; the other sections of the file are kept."""
    import results  # bench/results.py

    section = results.read_section(path, LOAD_MARKER) or LOAD_SECTION
    _head, _sep, rest = section.partition(LOAD_SECTION)
    intro, *subsections = rest.split("\n### ")
    intro = intro.strip()
    subsections = [
        part for part in subsections if part.strip() and not part.startswith(f"Odoo {version}.0")
    ]
    subsections.append(text.removeprefix("### "))
    parts = [LOAD_SECTION + "\n"]
    if intro:
        parts.append("\n" + intro + "\n")
    parts += ["\n### " + part.strip() + "\n" for part in sorted(subsections)]
    results.write_section(path, LOAD_MARKER, "".join(parts))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", default="19", choices=("18", "19"))
    parser.add_argument("--python", required=True, help="the Odoo virtualenv's python")
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--odoo-bin", required=True, help="the Odoo tree's odoo-bin")
    parser.add_argument("--size", default="default", choices=sorted(SIZES))
    parser.add_argument("--write", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args()
    size = SIZES[args.size]
    workdir = ROOT / ".cache" / "load"
    workdir.mkdir(parents=True, exist_ok=True)
    for leftover in workdir.glob("*"):
        if leftover.name != "pg":
            shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
    (workdir / "data").mkdir()
    dbname = f"scl_load{args.version}"
    stack = Stack()

    def interrupted(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    started = time.monotonic()
    try:
        log("starting the PostgreSQL primary and its replica")
        start_clusters(stack, workdir)
        conf = write_conf(workdir, args.version)
        install(args.python, conf, args.addons_path, dbname, args.version, workdir)
        prepared = prepare(args.python, conf, args.addons_path, dbname, args.version, size, workdir)
        seeded = dict(prepared["counts"], stale=make_actuals_stale(dbname))
        log(f"seeded: {seeded}")
        servers = start_servers(
            stack, args.python, args.odoo_bin, conf, args.addons_path, dbname, workdir, HTTP_PORTS
        )
        hosts = [f"http://127.0.0.1:{port}" for port in HTTP_PORTS]
        load_before = os.getloadavg()[0]
        log(f"logging the {size['users']} portal users in (their sessions are reused)")
        logins = log_in_users(workdir, hosts)
        # Every worker of both servers warm (its templates compiled, its caches
        # filled), as a server in service is: not reported.
        locust(workdir, "warm-up", hosts, WARM_UP_USERS, WARM_UP_REQUESTS, size["cap"], "mixed")
        runs = {}
        runs["single"] = locust(
            workdir, "single", hosts[:1], 1, SINGLE_USER_REQUESTS, size["cap"], "plan"
        )
        before = db_counters(dbname)
        offsets = log_offsets(servers)
        pg_offset = pg_log_offset(workdir)
        conflicts_before = replica_conflicts(dbname)
        cpu_before, owners_before = cpu_times(), cpu_by_owner(workdir)
        trigger_refresh(dbname, prepared["cron_id"])
        # Partner sessions at a person's pace, on both servers, while the refresh runs:
        # latency, errors, the replica's share, nothing lost.
        with ActivitySampler(dbname) as sampler:
            runs["sessions"] = locust(
                workdir, "sessions", hosts, size["users"], size["requests"],
                size["paced cap"], "mixed", "paced",
            )  # fmt: skip
        cpu_after, owners_after = cpu_times(), cpu_by_owner(workdir)
        after = db_counters(dbname)
        sessions_end = log_offsets(servers)
        modes = cursor_modes(servers, offsets)
        diagnosis = {
            "logins": logins,
            "server times": server_times(servers, offsets, sessions_end),
            "events": server_events(servers, offsets, sessions_end),
            "lock waits": primary_lock_waits(
                workdir,
                pg_offset,
                pg_log_offset(workdir),
                sampler.backends(),
                odoo_process_kinds(servers),
            ),
            "replica conflicts": replica_conflicts(dbname) - conflicts_before,
            "activity": sampler.summary(),
            "cpu busy": (cpu_after[0] - cpu_before[0]) / max(cpu_after[1] - cpu_before[1], 1),
            # CPU seconds: the machine's (all cores), then what this benchmark ran.
            "cpu seconds": {
                "machine": (cpu_after[0] - cpu_before[0]) / os.sysconf("SC_CLK_TCK"),
                "capacity": (cpu_after[1] - cpu_before[1]) / os.sysconf("SC_CLK_TCK"),
                **{owner: owners_after[owner] - owners_before[owner] for owner in owners_after},
            },
        }
        # Then as fast as the users can go: the throughput of two servers and of one.
        runs["two servers"] = locust(
            workdir, "two servers", hosts, size["users"], size["requests"], size["cap"], "mixed"
        )
        runs["one server"] = locust(
            workdir, "one server", hosts[:1], size["users"], size["requests"], size["cap"],
            "mixed",
        )  # fmt: skip
        load_after = os.getloadavg()[0]
        # The refresh may still be at work: it must end by itself.
        deadline = time.monotonic() + 120
        while True:
            batches, done, finished = refresh_state(dbname, prepared["cron_id"])
            if finished or time.monotonic() > deadline:
                break
            wake_crons(dbname)
            time.sleep(3)
        log(f"daily refresh: {batches} batches, {done} companies, pass finished: {finished}")
        delta = {
            cluster: {key: after[cluster][key] - before[cluster][key] for key in after[cluster]}
            for cluster in after
        }
        replica = {
            "transactions": delta["replica"]["transactions"]
            / max(delta["replica"]["transactions"] + delta["primary"]["transactions"], 1),
            "rows": delta["replica"]["rows read"]
            / max(delta["replica"]["rows read"] + delta["primary"]["rows read"], 1),
        }
        posts = check_posts(dbname, accepted_posts(workdir, [*runs, "warm-up"]))
        actuals = check_actuals(args.python, conf, args.addons_path, dbname)
        problems = {
            "sessions": server_log_problems(servers, offsets, sessions_end),
            "stress": server_log_problems(servers, sessions_end),
        }
        refresh = {"batches": batches, "finished": finished, "hosts": cron_hosts(servers)}
        text = report(
            args,
            size,
            seeded,
            runs,
            replica,
            modes,
            posts,
            actuals,
            problems,
            refresh,
            (f"{load_before:.1f}", f"{load_after:.1f}"),
            diagnosis,
        )
        print(text)
        print(
            json.dumps(
                {
                    "db counters delta": delta,
                    "refresh": refresh,
                    "diagnosis": {
                        key: value
                        for key, value in diagnosis.items()
                        if key not in ("server times", "logins")
                    },
                    "cursor modes": {f"{m} {r}": c for (m, r), c in sorted(modes.items())},
                },
                indent=1,
            )
        )
        for problem in [
            line for kind in problems.values() for group in kind.values() for line in group
        ][:20]:
            print("  server log:", problem)
        for name, run in runs.items():
            for failure in run["failures"][:10]:
                print(f"  {name} failure:", dict(failure))
        if args.write:
            write_results(ROOT / "bench" / "RESULTS.md", args.version, text)
        log(f"done in {time.monotonic() - started:.0f} s")
        lost = any(p["accepted"] != p["exactly once"] for p in posts.values())
        return 1 if lost or actuals["wrong"] else 0
    except KeyboardInterrupt as stop:
        log(f"interrupted ({stop}): stopping everything")
        return 130
    finally:
        stack.close()


if __name__ == "__main__":
    sys.exit(main())
