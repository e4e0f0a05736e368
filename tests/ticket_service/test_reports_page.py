"""/pilotage: the dashboard page for admins (technicians read-only on their groups, others 403), each figure with
its definition and a link to the desk queue filtered to its tickets, SVG charts with their tables, CSV per panel."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timezone
from html import unescape

import pytest

from report_cases import build
from tshelpers import domain_clock

NOW = datetime(2026, 12, 10, 12, 0, tzinfo=timezone.utc)
NOVEMBER = "period=custom&since=2026-11-01&until=2026-11-30"


@pytest.fixture(scope="module")
def month(app, database):
    return build(app, database)


@pytest.fixture(autouse=True)
def fixed_clock(app):
    with domain_clock(app, NOW):
        yield


def test_the_lead_sees_every_figure_with_its_definition_and_its_tickets_at_the_desk(api, month):
    admin = api("admin")
    page = admin.get(f"/pilotage?{NOVEMBER}")
    assert page.status_code == 200
    html = unescape(page.get_data(as_text=True))
    assert "Résolution au premier contact : part des tickets résolus" in html and "<svg" in html
    assert "<script" not in html.split("</header>")[-1]  # no inline script on the page (CSP)
    breached = re.search(r'id="figure-sla-open_breached".*?href="([^"]+)"', html, re.S).group(1)
    assert breached == f"/desk?queue=all&ids={month['critical']}"
    desk = unescape(admin.get(breached).get_data(as_text=True))
    assert f"#{month['critical']}" in desk and f"#{month['pause']}" not in desk
    english = unescape(admin.get(f"/pilotage?{NOVEMBER}&lang=en").get_data(as_text=True))
    assert "First-contact resolution: share of the tickets" in english


def test_each_panel_exports_formula_safe_csv_with_the_pages_numbers(api, month):
    response = api("admin").get(f"/pilotage/mttr.csv?{NOVEMBER}&priority=P4&lang=fr")  # the cookie keeps the last ?lang=
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = [r for r in csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";") if r]
    assert next(r for r in rows if r[2] == "mttr.mean")[4] == "6"  # 3.5, 4 and 10.5 business hours
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for c in r)
    assert api("admin").get("/pilotage/nothing.csv").status_code == 404


def test_technicians_read_their_groups_and_others_are_refused(api, month):
    provider = unescape(api("n3").get(f"/pilotage?{NOVEMBER}").get_data(as_text=True))
    assert "lecture seule" in provider
    link = re.search(r'id="figure-volume-created".*?href="([^"]+)"', provider, re.S).group(1)
    assert link == f"/desk?queue=all&ids={month['escalated']}"
    assert api("employee_a").get("/pilotage").status_code == 403
    assert api("admin").get("/pilotage?priority=P9").status_code == 400
    assert api("admin").get("/desk?ids=1,abc").status_code == 400
