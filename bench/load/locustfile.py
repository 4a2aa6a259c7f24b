"""Locust users of `make bench-load`: partner contacts on the portal (one company each).

Run by bench/load/run.py (headless, bounded), configured through the environment:

    LOAD_USERS      CSV file "login,password[,session id]" of the portal users, one
                    company each; with a session id, the user does not log in again
    LOAD_HOSTS      comma-separated base URLs; user n talks to host n modulo their number
    LOAD_MIX        "mixed" (plan pages, lists, downloads, POSTs) or "plan" (the plan page)
    LOAD_REQUESTS   requests each user makes after logging in, then it stops
    LOAD_WAIT       "min,max": seconds each user waits between two requests (a person
                    reads a page a few seconds; a few hundredths to find the throughput)
    LOAD_OUT        directory: accepted.jsonl (the POSTs the server accepted, each with its
                    unique key), timing.json (first request start, last request end)

Each POST carries a unique key (the deal's name, the progress report's note) so that
run.py finds every accepted one in the database exactly once afterwards. Redirects are
not followed: a POST is accepted when the server answers 303 to the confirmation.
"""

import csv
import itertools
import json
import os
import random
import re
import time
import uuid
from datetime import date
from pathlib import Path

import gevent
from locust import HttpUser, between, events, task
from locust.exception import StopUser

USERS = list(csv.reader(Path(os.environ["LOAD_USERS"]).read_text().splitlines()))
HOSTS = os.environ["LOAD_HOSTS"].split(",")
MIX = os.environ.get("LOAD_MIX", "mixed")
REQUESTS = int(os.environ.get("LOAD_REQUESTS", "20"))
WAIT = [float(bound) for bound in os.environ.get("LOAD_WAIT", "0.05,0.3").split(",")]
OUT = Path(os.environ["LOAD_OUT"])
OUT.mkdir(parents=True, exist_ok=True)

_next_user = itertools.count()
_stopped = {"count": 0}
_timing = {"start": None, "end": None}

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
PLAN_RE = re.compile(r'href="/my/business-plans/(\d+)')
DEAL_RE = re.compile(r'href="/my/deal-registrations/(\d+)')
FORM_RE = re.compile(
    r'action="/my/business-plans/(\d+)/objectives/(\d+)/update[^"]*"'
    r'.*?name="csrf_token" value="([^"]+)".*?name="form_key" value="([^"]+)"',
    re.S,
)
DEAL_KEY_RE = re.compile(r'name="form_key" value="([^"]+)"')


def _record(kind, key, **extra):
    with (OUT / "accepted.jsonl").open("a") as out:
        out.write(json.dumps({"kind": kind, "key": key, **extra}) + "\n")


@events.request.add_listener
def _on_request(request_type, name, response_time, start_time=None, **kwargs):
    if name == "login":
        return
    end = time.time()
    start = start_time or end - response_time / 1000
    if _timing["start"] is None or start < _timing["start"]:
        _timing["start"] = start
    if _timing["end"] is None or end > _timing["end"]:
        _timing["end"] = end


@events.test_stop.add_listener
def _on_stop(environment, **kwargs):
    (OUT / "timing.json").write_text(json.dumps(_timing))


class PartnerContact(HttpUser):
    """A partner's contact: logs in, then reads its plan and registrations, downloads
    its plan, registers deals and reports progress, ``REQUESTS`` requests in all."""

    host = HOSTS[0]
    wait_time = between(*WAIT)

    def on_start(self):
        number = next(_next_user)
        # One request per connection, as a reverse proxy in front of Odoo's workers
        # talks to them (nginx's default toward upstreams): a kept-alive idle
        # connection would hold a prefork worker until its socket timeout (2 s).
        self.client.headers["Connection"] = "close"
        self.login, self.password, *session = USERS[number % len(USERS)]
        self.base = HOSTS[number % len(HOSTS)]
        self.done = 0
        self.plan_id = None
        self.deal_ids = []
        if session and session[0]:
            # Logged in before the run (run.py): a partner's session lasts days, and a
            # login (half a second of CPU for Odoo's password hash) is not a page.
            self.client.cookies.set("session_id", session[0])
        else:
            self._log_in_or_stop()
        try:
            if "/web/login" in (self._plan_list().url or ""):
                # The session was not valid (any more): log in, then start again.
                self.client.cookies.clear()
                self._log_in_or_stop()
                self._plan_list()
        except StopUser:
            raise
        except Exception as error:
            # Stopped, not left running: the run ends when every user stopped.
            raise StopUser() from error

    def _log_in_or_stop(self):
        for attempt in range(4):
            if self._log_in():
                return
            gevent.sleep(2**attempt)
        # Counted as the login's failures; the user makes no request.
        raise StopUser()

    def _log_in(self):
        with self.client.get(f"{self.base}/web/login", name="login", catch_response=True) as page:
            token = CSRF_RE.search(page.text or "")
            if not token:
                page.failure(f"HTTP {page.status_code}, no login form")
                return False
        with self.client.post(
            f"{self.base}/web/login",
            data={"login": self.login, "password": self.password, "csrf_token": token.group(1)},
            name="login",
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if answer.status_code != 303:
                answer.failure(f"HTTP {answer.status_code}, not logged in")
                return False
        return True

    def on_stop(self):
        _stopped["count"] += 1
        if _stopped["count"] >= self.environment.runner.target_user_count:
            # Every user made its requests: the run is over (quit outside this greenlet).
            gevent.spawn_later(0.5, self.environment.runner.quit)

    def _count(self):
        self.done += 1
        if self.done >= REQUESTS:
            raise StopUser()

    def _get(self, url, name):
        with self.client.get(f"{self.base}{url}", name=name, catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"HTTP {answer.status_code}")
        self._count()
        return answer

    # ------------------------------------------------------------
    # READS
    # ------------------------------------------------------------

    def _plan_list(self):
        answer = self._get("/my/business-plans", "plan list")
        found = PLAN_RE.search(answer.text or "")
        self.plan_id = found and int(found.group(1))
        return answer

    @task(2)
    def plan_list(self):
        if MIX == "plan":
            return self.plan_page()
        self._plan_list()

    @task(4)
    def plan_page(self):
        if self.plan_id:
            return self._get(f"/my/business-plans/{self.plan_id}", "plan page")
        return None

    @task(2)
    def deal_list(self):
        if MIX == "plan":
            return self.plan_page()
        answer = self._get("/my/deal-registrations", "registration list")
        self.deal_ids = [int(i) for i in DEAL_RE.findall(answer.text or "")]
        return answer

    @task(1)
    def deal_page(self):
        if MIX == "plan":
            return self.plan_page()
        if not self.deal_ids:
            return self.deal_list()
        return self._get(f"/my/deal-registrations/{random.choice(self.deal_ids)}", "registration")

    @task(1)
    def download(self):
        if MIX == "plan":
            return self.plan_page()
        if self.plan_id:
            return self._get(f"/my/business-plans/{self.plan_id}/download/xlsx", "download xlsx")
        return None

    # ------------------------------------------------------------
    # WRITES
    # ------------------------------------------------------------

    @task(1)
    def register_deal(self):
        if MIX == "plan":
            return self.plan_page()
        form = self._get("/my/deal-registrations/new", "registration form")
        csrf, form_key = CSRF_RE.search(form.text), DEAL_KEY_RE.search(form.text)
        if not (csrf and form_key):
            return None
        key = uuid.uuid4().hex
        data = {
            "csrf_token": csrf.group(1),
            "form_key": form_key.group(1),
            "name": f"Load deal {key}",
            "partner_name": f"Load customer {key[:8]}",
            "contact_name": "Load Contact",
            "email_from": f"buyer-{key[:12]}@load-{key[:8]}.test",
            "phone": "+1 555 0100",
            "expected_revenue": str(random.randint(1, 90) * 1000),
            "date_deadline": date.today().replace(month=12, day=31).isoformat(),
            "description": f"Registered by the load test, key {key}",
        }
        with self.client.post(
            f"{self.base}/my/deal-registrations/new",
            data=data,
            name="register deal (POST)",
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            location = answer.headers.get("Location", "")
            if answer.status_code == 303 and "message=registered" in location:
                _record("deal", key, login=self.login)
            else:
                answer.failure(f"HTTP {answer.status_code} {location}")
        self._count()
        return answer

    @task(1)
    def report_progress(self):
        if MIX == "plan":
            return self.plan_page()
        if not self.plan_id:
            return None
        page = self._get(f"/my/business-plans/{self.plan_id}", "plan page")
        forms = FORM_RE.findall(page.text or "")
        if not forms:
            return None
        plan_id, objective_id, csrf, form_key = random.choice(forms)
        key = uuid.uuid4().hex
        with self.client.post(
            f"{self.base}/my/business-plans/{plan_id}/objectives/{objective_id}/update",
            data={
                "csrf_token": csrf,
                "form_key": form_key,
                "value": "1",
                "date": "",
                "note": f"load {key}",
            },
            name="report progress (POST)",
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            location = answer.headers.get("Location", "")
            if answer.status_code == 303 and "message=progress_saved" in location:
                _record("progress", key, login=self.login, objective_id=int(objective_id))
            else:
                answer.failure(f"HTTP {answer.status_code} {location}")
        self._count()
        return answer
