"""The dashboard's doors give the same numbers from the same code: GET /api/v1/metrics/<panel> and
`guichet report <panel>` (JSON, formula-safe CSV in French or English), with the technician's view limited to
their groups."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone

import pytest

from report_cases import Desk, build, local, run_report as run
from tshelpers import domain_clock

UTC = timezone.utc
NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
EVIL = '=HYPERLINK("http://evil.test","x")'
NOVEMBER = "period=custom&since=2026-11-01&until=2026-11-30"


@pytest.fixture(scope="module")
def month(app, database):
    from ticket_service.actions import tickets as t
    from ticket_service.actions import workflow as w

    ids = build(app, database)
    desk = Desk(app, database)
    evil = desk.do(local("2026-11-20", "10:00"), "employee_b", t.create_ticket,
                   {"title": "@SUM(A1) imprimante", "description": "Texte piégé.", "category": "impression"}).ticket.id
    desk.do(local("2026-11-20", "10:30"), "n1", w.take, evil)
    desk.do(local("2026-11-20", "11:00"), "n1", w.move, evil, "resolved", note="Corrigé sur le poste.", kb_gap=True)
    desk.do(local("2026-11-20", "12:00"), "employee_b", t.rate, evil, 3, EVIL)
    ids["evil"] = evil
    return ids


@pytest.fixture(autouse=True)
def fixed_clock(app):
    with domain_clock(app, NOW):
        yield


def values(body) -> dict:
    return {f["key"]: (f["value"], f["ticket_ids"]) for p in body["panels"] for f in p["figures"]}


def test_the_api_gives_each_panel_with_definitions_windows_and_tickets(api, month):
    body = api("admin").get(f"/api/v1/metrics/mttr?{NOVEMBER}").get_json()
    assert body["period"]["first_day"] == "2026-11-01" and body["previous_period"]["first_day"] == "2026-10-02"
    mean = body["panels"][0]["figures"][0]
    assert mean["key"] == "mttr.mean" and mean["definition"].startswith("Temps moyen de résolution")
    assert mean["window"] == {"since": "2026-10-31T23:00:00Z", "until": "2026-11-30T23:00:00Z",
                              "as_of": "2026-11-30T23:00:00Z"}
    assert month["evil"] in mean["ticket_ids"] and mean["denominator"] == 6
    english = api("admin").get(f"/api/v1/metrics/fcr?{NOVEMBER}&lang=en").get_json()
    assert english["panels"][0]["figures"][0]["definition"].startswith("First-contact resolution")


def test_the_api_refuses_what_it_cannot_read(api):
    admin = api("admin")
    assert admin.get("/api/v1/metrics/nothing").status_code == 404
    bad = admin.get("/api/v1/metrics/volume?priority=P9")
    assert bad.status_code == 422 and "priority" in bad.get_json()["error"]["fields"]
    assert admin.get("/api/v1/metrics/volume?period=custom&since=2026-11-30&until=2026-11-01").status_code == 422
    assert admin.get("/api/v1/metrics/volume?since=2026-13-45").status_code == 422
    assert admin.get("/api/v1/metrics/volume?provider=support-n1").status_code == 422
    assert api("employee_a").get("/api/v1/metrics/volume").status_code == 403
    assert api().get("/api/v1/metrics/volume").status_code == 401


def test_a_technician_sees_only_their_groups(api, month):
    provider = values(api("n3").get(f"/api/v1/metrics/volume?{NOVEMBER}").get_json())
    assert provider["volume.created"][1] == [month["escalated"]]
    assert api("n3").get(f"/api/v1/metrics/volume?{NOVEMBER}&group=support-n1").status_code == 422
    everything = values(api("admin").get(f"/api/v1/metrics/volume?{NOVEMBER}").get_json())
    assert everything["volume.created"][0] == 7


def test_the_cli_gives_the_apis_numbers(api, db_url, tmp_path, month):
    for panel in ("sla", "satisfaction", "levels"):
        cli = json.loads(run(db_url, tmp_path, panel, "--period", "custom", "--since", "2026-11-01",
                             "--until", "2026-11-30", "--json").output)
        assert values(cli) == values(api("admin").get(f"/api/v1/metrics/{panel}?{NOVEMBER}").get_json())
    text = run(db_url, tmp_path, "mttr", "--since", "2026-11-01", "--until", "2026-11-30").output
    assert "Temps moyen de résolution (h ouvrées) : 5,5" in text  # (32.5 + 0.5) / 6
    refused = run(db_url, tmp_path, "volume", "--priority", "P9")
    assert refused.exit_code == 2 and "--priority" in refused.output


def test_I09_csv_exports_are_formula_safe_in_french_and_english(db_url, tmp_path, month):
    french = run(db_url, tmp_path, "satisfaction", "--since", "2026-11-01", "--until", "2026-11-30", "--csv").output
    rows = list(csv.reader(io.StringIO(french), delimiter=";"))
    assert rows[0][:5] == ["panneau", "section", "clé", "libellé", "valeur"]
    cells = [cell for row in rows for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    assert "'" + EVIL in cells
    average = next(row for row in rows if row[2] == "csat.average")
    assert average[4] == "3,5" and average[8] == "01/11/2026 00:00"  # (2 + 4 + 5 + 3) / 4; the French day
    english = run(db_url, tmp_path, "satisfaction", "--since", "2026-11-01", "--until", "2026-11-30", "--csv",
                  "--lang", "en").output
    rows = list(csv.reader(io.StringIO(english)))
    assert rows[0][:3] == ["panel", "section", "key"]
    assert next(row for row in rows if row[2] == "csat.average")[4] == "3.5"
