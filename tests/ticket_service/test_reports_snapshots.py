"""Dashboard views pre-computed by the reports.refresh job (reports/snapshots.py): stored in the database for every
process, computed again only when the data changed, served instead of a live computation only when the view cost
more than DASHBOARD_LIVE_BUDGET_MS and the refresh is at most DASHBOARD_SNAPSHOT_SECONDS old; a snapshot equals the
live answer of its instant, and an import, a forgotten person or the retention sweep drops them all."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from html import unescape

import pytest
from sqlalchemy import func, select

from report_cases import Desk
from tshelpers import another_writer
from ticket_service.domain.clock import FixedClock
from ticket_service.reports import result_cache, snapshots
from ticket_service.reports.filters import Filters
from ticket_service.store.models import ReportSnapshot

NOW = datetime(2026, 12, 10, 12, 0, tzinfo=timezone.utc)  # a Thursday, 13:00 in Paris
PANEL = "/api/v1/metrics/volume?period=this_month"


@pytest.fixture(autouse=True)
def fresh(app, database):
    """Each test on the domain clock at NOW, with no snapshot and no kept answer left by another."""
    ctx = app.extensions["guichet_context"]
    clock, ctx.clock = ctx.clock, FixedClock(NOW)
    budget = app.config["DASHBOARD_LIVE_BUDGET_MS"]
    _drop(database)
    result_cache.forget()
    yield ctx
    ctx.clock, app.config["DASHBOARD_LIVE_BUDGET_MS"] = clock, budget
    _drop(database)
    result_cache.forget()


def _drop(database):
    from ticket_service.store import report_snapshots

    with database.write() as db:
        report_snapshots.drop_all(db)


def refresh(app, at=NOW) -> dict:
    from ticket_service.jobs import run_now

    return run_now(app, "reports.refresh", clock=FixedClock(at))


def create(app, database, title="Écran noir au démarrage", at=NOW - timedelta(minutes=1)) -> int:
    from ticket_service.actions import tickets as t

    return Desk(app, database).do(at, "employee_a", t.create_ticket, {
        "title": title, "description": "Le poste ne démarre plus.", "category": "poste-de-travail",
        "type": "incident"}).ticket.id


def created(answer: dict) -> int:
    return answer["panels"][0]["figures"][0]["value"]


def without_instants(answer):
    """Return an answer without when it was computed and whether it was refreshed (what may differ)."""
    if isinstance(answer, dict):
        return {k: without_instants(v) for k, v in answer.items() if k not in ("computed_at", "refreshed")}
    if isinstance(answer, list):
        return [without_instants(v) for v in answer]
    return answer


def stored(database) -> int:
    with database.reader() as db:
        return db.scalar(select(func.count()).select_from(ReportSnapshot))


def test_the_job_stores_each_standard_view_and_computes_again_only_when_the_data_changed(app, database):
    ctx = app.extensions["guichet_context"]
    views = snapshots.standard_views(ctx.policies, NOW)
    group_sets = {v[1].groups for v in views if v[1].groups is not None}
    assert len(views) == 4 + len(group_sets) and len(group_sets) >= 2  # the presets, then each technician's groups
    first = refresh(app)
    assert (first["computed"], first["skipped"], len(first["cost_ms"])) == (len(views), 0, len(views))
    assert stored(database) == len(views)
    assert refresh(app, NOW + timedelta(minutes=5))["computed"] == 0  # nothing new: every view skipped
    create(app, database)
    assert refresh(app, NOW + timedelta(minutes=5))["computed"] == len(views)  # a new ticket: all again
    assert refresh(app, NOW + timedelta(minutes=10))["computed"] == 0
    assert refresh(app, NOW + timedelta(minutes=13))["computed"] == len(views)  # half DASHBOARD_SNAPSHOT_SECONDS old


def test_an_expensive_view_is_served_from_the_last_refresh_and_says_so(api, app, database, fresh):
    app.config["DASHBOARD_LIVE_BUDGET_MS"] = 0  # every view counts as expensive
    before = created(api("admin").get(PANEL).get_json())
    refresh(app)
    create(app, database, "Souris sans fil muette")
    fresh.clock = FixedClock(NOW + timedelta(minutes=4))
    kept = api("admin").get(PANEL).get_json()
    assert created(kept) == before and kept["computed_at"] == "2026-12-10T12:00:00Z"  # the refresh's figures
    page = unescape(api("admin").get("/pilotage?period=this_month").get_data(as_text=True))
    assert "Chiffres de la dernière actualisation, calculés à 13:00" in page
    assert "jugé au 10/12/2026 13:00 ;" in page  # the refresh's instant, in the organisation's time zone
    refresh(app, NOW + timedelta(minutes=4))
    assert created(api("admin").get(PANEL).get_json()) == before + 1
    fresh.clock = FixedClock(NOW + timedelta(minutes=20))  # the refresh is older than DASHBOARD_SNAPSHOT_SECONDS
    live = api("admin").get(PANEL).get_json()
    assert live["computed_at"] == "2026-12-10T12:20:00Z" and "refreshed" not in live


def test_a_cheap_view_is_always_computed_live_even_with_a_snapshot(api, app, database, fresh):
    before = created(api("admin").get(PANEL).get_json())
    refresh(app)  # the demo's views cost far less than 300 ms
    create(app, database, "Clavier qui double les lettres")
    fresh.clock = FixedClock(NOW + timedelta(minutes=1))
    answer = api("admin").get(PANEL).get_json()
    assert created(answer) == before + 1 and "refreshed" not in answer


def test_a_snapshot_equals_the_live_answer_of_its_instant_for_the_page_panels_and_a_technician(api, app, database):
    app.config["DASHBOARD_LIVE_BUDGET_MS"] = 0
    create(app, database, "VPN coupé toutes les dix minutes")
    result_cache.enabled = False
    try:
        live = {role: {name: api(role).get(f"/api/v1/metrics/{name}?period=this_month").get_json()
                       for name in ("sla", "volume", "recurring")} for role in ("admin", "n1")}
        refresh(app)
        kept = {role: {name: api(role).get(f"/api/v1/metrics/{name}?period=this_month").get_json()
                       for name in ("sla", "volume", "recurring")} for role in ("admin", "n1")}
    finally:
        result_cache.enabled = True
    assert all(kept[r][n]["refreshed"] is True for r in kept for n in kept[r])
    assert without_instants(kept) == without_instants(live)
    ctx = app.extensions["guichet_context"]
    period = snapshots.standard_views(ctx.policies, NOW)[0][0]
    desk, n1 = (snapshots.view_key(ctx.policies, period, filters, timedelta(hours=24)) for filters in (
        Filters(), Filters(groups=tuple(ctx.policies.groups_of("julie.martin@ferrand-associes.fr")))))
    assert desk != n1  # the technician's answer came from the view of their groups, not the desk's


def test_a_second_app_on_the_same_database_reads_the_first_ones_refresh(app, database, db_url, tmp_path):
    from tshelpers import Api, app_config
    from ticket_service import create_app

    app.config["DASHBOARD_LIVE_BUDGET_MS"] = 0
    refresh(app)
    other = create_app({**app_config(db_url, tmp_path), "DASHBOARD_LIVE_BUDGET_MS": 0})
    try:
        other.extensions["guichet_context"].clock = FixedClock(NOW + timedelta(minutes=2))
        answer = Api(other, "admin").get(PANEL).get_json()
        assert answer["computed_at"] == "2026-12-10T12:00:00Z" and answer["refreshed"] is True
    finally:
        other.extensions["guichet_db"].dispose()


def test_an_import_and_a_forgotten_person_drop_every_snapshot(app, database, tmp_path):
    from ticket_service.actions.importing import import_tickets
    from ticket_service.actions.privacy import forget_person
    from ticket_service.runtime import get_ctx
    from ticket_service.store.files import FileStore

    refresh(app)
    assert stored(database) > 0
    line = json.dumps({"external_id": "SNAP-1", "title": "Ancien ticket importé", "description": "Du passé.",
                       "requester": "claire.rousseau@ferrand-associes.fr", "type": "incident",
                       "category": "poste-de-travail", "impact": "low", "urgency": "low", "created": "2026-11-02T09:00:00+01:00"})
    with app.app_context(), database.writer() as db:
        report = import_tickets(db, get_ctx(), [line], filename="past.jsonl", fmt="jsonl")
    assert report.imported == 1, report.errors
    assert stored(database) == 0
    refresh(app)
    with app.app_context(), database.writer() as db:
        forget_person(db, get_ctx(), "lucas.petit@ferrand-associes.fr", FileStore(tmp_path / "files", 1024, 1))
    assert stored(database) == 0


def test_guichet_report_refresh_computes_the_views_now_and_says_what_each_took(app, database, db_url, tmp_path):
    from report_cases import run_report

    done = run_report(db_url, tmp_path, "refresh")
    assert done.exit_code == 0, done.output
    count = stored(database)
    assert count >= 6 and done.output.startswith(f"{count} views computed (")  # the presets and the group sets
    again = run_report(db_url, tmp_path, "refresh")
    assert again.output.strip().endswith(f"0 views computed (-), {count} unchanged.")


def test_views_compute_without_holding_the_write_lock(app, database, db_url, monkeypatch):
    """A desk keeps writing while the job computes: on SQLite a held write lock would stop every ticket create."""
    from ticket_service.actions import report_refresh

    computed, real = [], report_refresh.view
    with another_writer(db_url) as write:
        def view_while_the_desk_writes(*args, **kwargs):
            write()
            computed.append(1)
            return real(*args, **kwargs)

        monkeypatch.setattr(report_refresh, "view", view_while_the_desk_writes)
        done = refresh(app)
    assert done["computed"] == len(computed) > 0


def test_a_filtered_view_takes_what_no_filter_changes_from_the_desks_refresh(api, app, database, fresh):
    """The fiches' effectiveness and the unsuccessful searches count help sessions, which no filter narrows: a
    filtered view reads them from the desk's snapshot of the period and computes the rest."""
    app.config["DASHBOARD_LIVE_BUDGET_MS"] = 0
    create(app, database, "Mon poste redémarre en boucle")
    path = "/api/v1/metrics/{}?period=this_month&category=poste-de-travail"
    names = ("effectiveness", "gaps", "volume")

    def figures(answer):
        return {f["key"]: (f["value"], f["ticket_ids"], f.get("previous")) for p in answer["panels"]
                for f in p["figures"]}

    result_cache.enabled = False
    try:
        live = {n: api("admin").get(path.format(n)).get_json() for n in names}  # no snapshot yet: all computed now
        refresh(app)
        fresh.clock = FixedClock(NOW + timedelta(minutes=3))
        mixed = {n: api("admin").get(path.format(n)).get_json() for n in names}
        fresh.clock = FixedClock(NOW + timedelta(minutes=20))  # the desk's refresh is too old to lend anything
        later = api("admin").get(path.format("effectiveness")).get_json()
    finally:
        result_cache.enabled = True
    assert [mixed[n]["panels"][0]["computed_at"] for n in ("effectiveness", "gaps")] == ["2026-12-10T12:00:00Z"] * 2
    assert mixed["volume"]["computed_at"] == "2026-12-10T12:03:00Z" and "refreshed" not in mixed["volume"]
    assert all(figures(mixed[n]) == figures(live[n]) for n in names)
    assert later["panels"][0]["computed_at"] == "2026-12-10T12:20:00Z"
