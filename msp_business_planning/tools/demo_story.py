"""The demo's story, dated from the day it is installed.

A security vendor runs its MSP channel on plans. CloudNine Managed IT works its plan
of the current year at a steady pace (last year's plan is completed); Bytewise
Solutions has just received its plan to review; Northwind SecureOps is being
onboarded (an internal outline). Whatever the day of installation, the running plan
is where an even pace puts it: deals registered, qualified and won up to today,
progress reported, the reviews of the quarters already behind held, the others
scheduled ahead.

Nothing here touches the ORM: :func:`story` returns plain values, which
:mod:`.demo_builder` turns into records.
"""

import math
from collections import namedtuple
from datetime import date, timedelta

from . import planning

# An open deal (approved or submitted, not won) also has the probability of winning
# it and the day it is expected to close: the forecast weighs it by them.
Deal = namedtuple(
    "Deal",
    "key name account email revenue state registered qualified closed expiry "
    "probability deadline",
    defaults=(False, False),
)
Update = namedtuple("Update", "key objective date value note")
Review = namedtuple("Review", "key date period_start period_end held")

# CloudNine's objectives of the year (key, name, kind, measure, weight, periodicity,
# target); the deal ones are tracked from the deals below.
CLOUDNINE_OBJECTIVES = [
    ("registrations", "Registered deals", "deal_registration", "count", 25, "quarterly", 24),
    (
        "won",
        "Won revenue from registered deals",
        "won_deal",
        "sum",
        35,
        "quarterly",
        240000,
    ),
    (
        "qualified",
        "Qualified registered opportunities",
        "qualified_deal_registration",
        "count",
        10,
        "quarterly",
        20,
    ),
    ("certified", "Certified XDR engineers", "manual", "count", 15, "annual", 2),
    ("webinars", "Co-marketing webinars", "manual", "count", 15, "quarterly", 4),
]

# End customers CloudNine registers deals for, oldest first: (key, account, e-mail
# domain, expected revenue, what the deal is).
CLOUDNINE_ACCOUNTS = [
    ("harbor_dental", "Harbor Dental Group", "harbordental", 18000, "managed XDR roll-out"),
    ("summit_law", "Summit Law Partners", "summitlaw", 12000, "SOC as a service"),
    ("bayview", "Bayview Clinics", "bayviewclinics", 22000, "endpoint migration"),
    ("mission_vet", "Mission Veterinary Group", "missionvet", 14000, "MDR for 6 clinics"),
    ("sausalito_cpa", "Sausalito CPA Partners", "sausalitocpa", 9000, "e-mail security"),
    ("oak_street", "Oak Street Architects", "oakstreetarch", 12000, "managed firewall"),
    ("presidio_school", "Presidio Day School", "presidioschool", 18000, "XDR for staff"),
    ("embarcadero", "Embarcadero Logistics", "embarcaderolog", 9000, "SOC as a service"),
    ("sunset_ortho", "Sunset Orthodontics", "sunsetortho", 8000, "backup as a service"),
    ("berkeley_bio", "Berkeley Biolabs", "berkeleybio", 16000, "zero-trust access"),
    ("noe_valley", "Noe Valley Pediatrics", "noevalleyped", 11000, "endpoint protection"),
    ("alameda_credit", "Alameda Credit Union", "alamedacu", 14000, "MDR and compliance"),
    ("twin_peaks", "Twin Peaks Realty", "twinpeaksrealty", 7000, "e-mail security"),
    ("marin_health", "Marin Home Health", "marinhomehealth", 10000, "XDR roll-out"),
    ("fremont_mfg", "Fremont Precision Mfg", "fremontprecision", 13000, "OT network security"),
    ("palo_alto_law", "Palo Alto Legal", "paloaltolegal", 16000, "SOC as a service"),
    ("richmond_port", "Richmond Port Services", "richmondport", 11000, "managed firewall"),
    ("castro_dental", "Castro Dental Studio", "castrodental", 6000, "backup as a service"),
    ("napa_wines", "Napa Estate Wines", "napaestate", 15000, "endpoint migration"),
    ("hayward_schools", "Hayward Charter Schools", "haywardcharter", 9000, "e-mail security"),
    ("daly_city_clinic", "Daly City Clinic", "dalycityclinic", 10000, "MDR pilot"),
    ("sf_accounting", "Bay Accounting Group", "bayaccounting", 13000, "zero-trust access"),
    ("san_mateo_eng", "San Mateo Engineering", "sanmateoeng", 10000, "XDR roll-out"),
    ("oakland_arts", "Oakland Arts Center", "oaklandarts", 5000, "backup as a service"),
    ("walnut_creek", "Walnut Creek Dermatology", "walnutcreekderm", 12000, "endpoint protection"),
    ("livermore_labs", "Livermore Test Labs", "livermorelabs", 12000, "SOC as a service"),
    ("santa_rosa_ins", "Santa Rosa Insurance", "santarosains", 9000, "MDR and compliance"),
    ("menlo_ventures", "Menlo Family Office", "menlofamily", 8000, "zero-trust access"),
]
# The two most recent registrations, awaiting approval; Redwood conflicts with a
# lead the vendor already works.
CLOUDNINE_PENDING = [
    ("redwood", "Redwood Unified Schools", "redwood-schools", 15000, "e-mail security"),
    ("pacific_freight", "Pacific Freight Lines", "pacificfreight", 21000, "managed firewall"),
]

# Won revenue and counts kept this far ahead of the even pace.
PACE_MARGIN = 1.1
# An approved registration is won after this many days, or expires unprotected.
DAYS_TO_WIN = 35
DAYS_TO_QUALIFY = 5
# Open deals: the probability of winning them, by registration state, and the days
# from registration to their expected closing.
OPEN_PROBABILITIES = {"approved": (60, 35), "submitted": (20, 20)}
DAYS_TO_EXPECTED_CLOSE = 75


def open_outlook(index, state, registered):
    """``(probability, deadline)`` of an open deal: approved ones alternate between
    a likely and a less likely one, submitted ones are early; each is expected to
    close :data:`DAYS_TO_EXPECTED_CLOSE` days after its registration, by the end of
    its year at the latest (the partner pushes to close within its plan).

    >>> open_outlook(0, "approved", date(2026, 5, 1))
    (60, datetime.date(2026, 7, 15))
    >>> open_outlook(1, "submitted", date(2026, 11, 20))
    (20, datetime.date(2026, 12, 31))
    """
    probability = OPEN_PROBABILITIES[state][index % 2]
    deadline = registered + timedelta(days=DAYS_TO_EXPECTED_CLOSE)
    return probability, min(deadline, year_span(registered.year)[1])


def year_span(year):
    return date(year, 1, 1), date(year, 12, 31)


def _quarter_periods(year, target):
    return [
        (period["date_start"], period["date_end"], target / 4)
        for period in planning.split_periods(*year_span(year), "quarterly")
    ]


def _spread_day(start, today, index, count):
    """The ``index``-th of ``count`` days spread evenly after ``start`` up to
    ``today`` (the last one is today)."""
    elapsed = (today - start).days
    return start + timedelta(days=round(elapsed * (index + 1) / count))


def cloudnine_deals(today):
    """CloudNine's registrations of the year up to ``today``: as many approved as an
    even pace of qualified deals asks for (and a little more), won as long as the won
    revenue is behind pace or once they are old enough; the two latest awaiting
    approval; one rejected and, past the first quarter, one expired."""
    start, _end = year_span(today.year)
    pace = planning.expected_progress(_quarter_periods(today.year, 1.0), today) / 100
    approved_count = min(max(1, math.ceil(20 * pace * PACE_MARGIN)), len(CLOUDNINE_ACCOUNTS))
    count = approved_count + len(CLOUDNINE_PENDING)
    revenue_due = 240000 * pace * PACE_MARGIN
    accounts = CLOUDNINE_ACCOUNTS[:approved_count] + CLOUDNINE_PENDING
    deals, won = [], 0.0
    for index, (key, account, domain, revenue, what) in enumerate(accounts):
        registered = _spread_day(start, today, index, count)
        name = f"{account.split()[0]} {account.split()[1]} — {what}"
        email = f"it@{domain}.example.com"
        if index >= approved_count:
            deals.append(
                Deal(
                    key,
                    name,
                    account,
                    email,
                    revenue,
                    "submitted",
                    registered,
                    *[False] * 3,
                    *open_outlook(index, "submitted", registered),
                )
            )
            continue
        qualified = min(registered + timedelta(days=DAYS_TO_QUALIFY), today)
        old_enough = (today - registered).days > DAYS_TO_WIN
        if old_enough or won < revenue_due:
            closed = min(registered + timedelta(days=DAYS_TO_WIN), today)
            won += revenue
            deals.append(
                Deal(
                    key, name, account, email, revenue, "won", registered, qualified, closed, False
                )
            )
        else:
            expiry = qualified + timedelta(days=90)
            deals.append(
                Deal(
                    key,
                    name,
                    account,
                    email,
                    revenue,
                    "approved",
                    registered,
                    qualified,
                    False,
                    expiry,
                    *open_outlook(index, "approved", registered),
                )
            )
    elapsed = (today - start).days
    deals.append(
        Deal(
            "golden_gate",
            "Golden Gate Dental — backup as a service",
            "Golden Gate Dental",
            "office@goldengatedental.example.com",
            9000,
            "rejected",
            start + timedelta(days=elapsed // 2),
            *[False] * 3,
        )
    )
    if elapsed > 100:
        registered = start + timedelta(days=elapsed - 100)
        deals.append(
            Deal(
                "marina",
                "Marina Retail — MDR pilot",
                "Marina Retail Co",
                "it@marinaretail.example.com",
                12000,
                "expired",
                registered,
                registered + timedelta(days=DAYS_TO_QUALIFY),
                False,
                today - timedelta(days=5),
            )
        )
    return deals


def bytewise_deals(today):
    """Bytewise's first registrations of the year: one won, one approved, one
    awaiting approval."""
    start, _end = year_span(today.year)

    def ago(days):
        return max(today - timedelta(days=days), start)

    return [
        Deal(
            "bytewise_hill_country",
            "Hill Country Health — firewall refresh",
            "Hill Country Health",
            "it@hillcountryhealth.example.com",
            22000,
            "won",
            ago(80),
            ago(75),
            ago(20),
            False,
        ),
        Deal(
            "bytewise_lone_star",
            "Lone Star Logistics — XDR",
            "Lone Star Logistics",
            "security@lonestarlogistics.example.com",
            40000,
            "approved",
            ago(45),
            ago(40),
            False,
            ago(40) + timedelta(days=90),
            *open_outlook(0, "approved", ago(45)),
        ),
        Deal(
            "bytewise_austin_legal",
            "Austin Legal Aid — MDR",
            "Austin Legal Aid",
            "it@austinlegalaid.example.com",
            18000,
            "submitted",
            ago(10),
            False,
            False,
            False,
            *open_outlook(0, "submitted", ago(10)),
        ),
    ]


def cloudnine_updates(today):
    """Progress CloudNine's contact reported: engineers certified as the year goes
    (the second one past mid-year), one webinar per quarter over (and the current
    quarter's once a third of it is gone)."""
    start, _end = year_span(today.year)
    elapsed = (today - start).days
    updates = [
        Update(
            "certified_1",
            "certified",
            start + timedelta(days=round(elapsed * 0.35)),
            1,
            "Lead engineer passed the XDR Professional exam.",
        )
    ]
    if today >= date(today.year, 7, 1):
        updates.append(
            Update(
                "certified_2",
                "certified",
                start + timedelta(days=round(elapsed * 0.8)),
                1,
                "Second engineer certified after the April bootcamp.",
            )
        )
    notes = [
        "“Ransomware readiness for dental practices” — 64 attendees.",
        "Joint webinar with the vendor's SE team.",
        "“Zero trust for small law firms” — 41 attendees.",
        "Year-end threat briefing for managed customers.",
    ]
    for index, period in enumerate(planning.split_periods(*year_span(today.year), "quarterly")):
        quarter_start, quarter_end = period["date_start"], period["date_end"]
        if quarter_start > today:
            break
        share = planning.period_expected(quarter_start, quarter_end, today) / 100
        if today > quarter_end:
            day = quarter_start + timedelta(days=47)
        elif share > 1 / 3 or index == 0:
            day = quarter_start + timedelta(days=(today - quarter_start).days // 2)
        else:
            continue
        updates.append(Update(f"webinar_{index + 1}", "webinars", day, 1, notes[index]))
    return updates


def cloudnine_reviews(today):
    """CloudNine's quarterly reviews whose usual day (two weeks before the quarter
    ends) is behind ``today``: held. The later ones are left to the playbook."""
    start, end = year_span(today.year)
    reviews = []
    for index, (block_start, block_end) in enumerate(planning.split_plan_span(start, end, 3)):
        day = planning.review_date_in_block(block_start, block_end)
        reviews.append(Review(f"q{index + 1}", day, block_start, block_end, day < today))
    return reviews


def previous_year_updates(today):
    """Last year's completed plan: new managed-security customers reported."""
    year = today.year - 1
    return [
        Update("previous_1", "customers", date(year, 6, 30), 5, "Five customers signed in H1."),
        Update("previous_2", "customers", date(year, 12, 15), 4, "Four more in H2."),
    ]


def story(today):
    """Everything dated in the demo, as of ``today``.

    >>> s = story(date(2026, 12, 1))
    >>> s["year"], [r.held for r in s["reviews"]]
    (2026, [True, True, True, False])
    >>> all(d.registered <= date(2026, 12, 1) for d in s["cloudnine_deals"])
    True
    >>> [r.held for r in story(date(2026, 2, 10))["reviews"]]
    [False, False, False, False]
    """
    return {
        "year": today.year,
        "cloudnine_deals": cloudnine_deals(today),
        "bytewise_deals": bytewise_deals(today),
        "cloudnine_updates": cloudnine_updates(today),
        "previous_updates": previous_year_updates(today),
        "reviews": cloudnine_reviews(today),
    }
