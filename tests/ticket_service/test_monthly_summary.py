"""The monthly summary mail on the test clock, through the outbox to a real SMTP peer: sent once on the month's first
business day (never on a weekend or a holiday), to the admins or to reports.monthly_summary_to, with the figures
`guichet report` gives for that month beside the month before."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import delete, select

from mail_peer import empty_mailboxes, mail_config, peer  # noqa: F401  (peer: a fixture)
from report_cases import build, run_report
from ticket_service import create_app
from ticket_service.domain.clock import FixedClock
from ticket_service.domain.policies import PolicyError, load_policies
from ticket_service.jobs import HANDLERS, run_now
from ticket_service.notify.monthly_summary import shown
from ticket_service.store.models import Job, OutboxEvent, Person
from tshelpers import ROLES, ROOT, Browser, another_writer

pytestmark = pytest.mark.timeout(120)
PARIS = ZoneInfo("Europe/Paris")


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.fixture(scope="module")
def app(db_url, tmp_path_factory, peer):
    folder = tmp_path_factory.mktemp("summary-app")
    application = create_app(mail_config(db_url, folder, peer))
    yield application
    application.extensions["guichet_db"].dispose()


@pytest.fixture(scope="module")
def november(app, database):
    return build(app, database)


@pytest.fixture
def clock(app, peer):
    """Each test starts with no summary sent yet (outbox, markers) and an empty mailbox."""
    empty_mailboxes(app, peer)
    with app.extensions["guichet_db"].write() as db:
        db.execute(delete(Job).where(Job.name == "reports.monthly_summary.sent"))
    ctx = app.extensions["guichet_context"]
    saved, ctx.clock = ctx.clock, FixedClock(paris(2026, 12, 1, 9, 0))
    yield ctx.clock
    ctx.clock = saved


def tick(app, clock, peer, at: datetime) -> list:
    """Run the daily job at ``at``, deliver the outbox, and return the summary mails received so far."""
    clock.at = at
    HANDLERS["reports.monthly_summary"](app, app.extensions["guichet_db"], {}, clock)
    run_now(app, "outbox.deliver", clock=clock)
    return [(to, m) for to, m in peer.received if m["X-Guichet-Notification"] == "monthly_summary"]


def text_of(message) -> str:
    return next(p.get_content() for p in message.iter_parts() if p.get_content_type() == "text/plain")


def admins(database) -> list[str]:
    with database.reader() as db:
        return sorted(db.scalars(select(Person.email).where(Person.role == "admin", Person.active.is_(True))))


def test_not_on_a_holiday_nor_a_weekend_then_once_on_the_first_business_day(app, database, peer, clock):
    # 1 January 2027 is a Friday and a holiday, then a weekend: Monday the 4th is the month's first business day.
    assert tick(app, clock, peer, paris(2027, 1, 1, 10, 0)) == []
    assert tick(app, clock, peer, paris(2027, 1, 2, 10, 0)) == []
    assert tick(app, clock, peer, paris(2027, 1, 3, 23, 30)) == []
    sent = tick(app, clock, peer, paris(2027, 1, 4, 8, 0))
    assert sorted(to for recipients, _m in sent for to in recipients) == admins(database)
    assert sent[0][1]["Subject"] == "Guichet — synthèse du pilotage de décembre 2026"
    assert len(tick(app, clock, peer, paris(2027, 1, 4, 15, 0))) == len(sent)  # once, not twice
    assert len(tick(app, clock, peer, paris(2027, 1, 5, 9, 0))) == len(sent)
    assert len(tick(app, clock, peer, paris(2027, 1, 27, 9, 0))) == len(sent)  # the marker job may be pruned by now
    with database.reader() as db:
        assert db.scalar(select(Job.status).where(Job.dedupe_key == "reports.monthly_summary.sent@2026-12")) == "done"
    outbox = Browser(app, "admin").get("/admin/courriels")  # a mail about no ticket is listed, without a ticket link
    assert outbox.status_code == 200 and "synthèse du pilotage de décembre 2026" in outbox.text


def test_a_tick_missed_on_the_day_is_caught_up_later_in_the_month(app, peer, clock):
    [(_to, late)] = tick(app, clock, peer, paris(2026, 12, 2, 9, 0))  # Tuesday 1 December had no tick
    assert late["Subject"] == "Guichet — synthèse du pilotage de novembre 2026"
    assert len(tick(app, clock, peer, paris(2026, 12, 3, 9, 0))) == 1


def test_the_figures_are_guichet_reports_for_that_month_beside_the_month_before(app, database, db_url, tmp_path,
                                                                                 peer, clock, november):
    [(to, message), *_] = tick(app, clock, peer, paris(2026, 12, 1, 9, 0))  # Tuesday 1 December
    with database.reader() as db:
        payload = json.loads(db.scalar(select(OutboxEvent.payload).where(
            OutboxEvent.name == "reports.monthly_summary")))
    summary = payload["summary"]
    assert payload["month"] == "2026-11" and summary["period"]["first_day"] == "2026-11-01"

    def report(panel, since, until):
        out = run_report(db_url, tmp_path, panel, "--since", since, "--until", until, "--no-compare", "--json")
        assert out.exit_code == 0, out.output
        return {f["key"]: f["value"] for p in json.loads(out.output)["panels"] for f in p["figures"]}

    now, before = {}, {}
    for panel in ("sla", "mttr", "fcr", "satisfaction", "volume", "backlog", "effectiveness"):
        now.update(report(panel, "2026-11-01", "2026-11-30"))
        before.update(report(panel, "2026-10-01", "2026-10-31"))
    figures = {f["key"]: f for f in summary["figures"]}
    assert set(figures) == {"sla.first_response", "sla.resolution", "mttr.mean", "mttr.median", "fcr.rate",
                            "csat.average", "volume.created", "backlog.open", "deflection.deflection_rate"}
    for key, fig in figures.items():
        assert (fig["value"], fig["previous"]) == (now[key], before[key]), key
    assert figures["volume.created"]["value"] == 6 and figures["mttr.mean"]["value"] is not None
    text = text_of(message)
    assert f"- Tickets créés : 6 ({shown(before['volume.created'], 'count', 'fr')})" in text
    assert f"Temps moyen de résolution : {shown(now['mttr.mean'], 'business_hours', 'fr')}" in text
    assert "https://guichet.example.org/pilotage?period=custom&since=2026-11-01&until=2026-11-30" in text
    html = next(p.get_content() for p in message.iter_parts() if p.get_content_type() == "text/html")
    assert html.lstrip().startswith("<!doctype html>") and "novembre 2026" in html
    gaps = run_report(db_url, tmp_path, "gaps", "--since", "2026-11-01", "--until", "2026-11-30", "--json")
    rows = [r for t in json.loads(gaps.output)["panels"][0]["tables"] for r in t["rows"]]
    assert [g["value"] for g in summary["gaps"]] == sorted((r["value"] for r in rows), reverse=True)[:3]


def test_it_goes_to_reports_monthly_summary_to_and_can_be_switched_off(app, peer, clock):
    from dataclasses import replace

    from ticket_service.domain import mail_audience

    ctx = app.extensions["guichet_context"]
    saved = ctx.policies
    lead = Browser(app, "admin")
    page = lead.get("/mes-demandes/preferences").text
    assert "Synthèse mensuelle du pilotage" in page and 'value="monthly_summary" checked' in page
    wanted = [n for n in mail_audience.OPTIONAL if n != "monthly_summary"]
    try:
        ctx.policies = replace(saved, monthly_summary_to=(ROLES["n2"], ROLES["admin"]))
        assert lead.submit("/mes-demandes/preferences", {"wanted": wanted}).status_code in (200, 302, 303)
        assert 'value="monthly_summary" checked' not in lead.get("/mes-demandes/preferences").text
        sent = tick(app, clock, peer, paris(2026, 12, 1, 9, 0))
        assert [to for to, _m in sent] == [[ROLES["n2"]]]  # the admin switched it off; n2 is named in the file
        assert "Bonjour" in text_of(sent[0][1])
    finally:
        ctx.policies = saved
        lead.submit("/mes-demandes/preferences", {"wanted": list(mail_audience.OPTIONAL)})


def test_english_templates_render(app, database, clock):
    from dataclasses import replace as swap

    from ticket_service.notify import compose, mail

    with app.app_context():
        setting = swap(mail.setting(app), language="en")
    summary = {"period": {"first_day": "2026-11-01", "last_day": "2026-11-30"},
               "previous_period": {"first_day": "2026-10-01", "last_day": "2026-10-31"},
               "figures": [{"key": "sla.resolution", "unit": "share", "value": 0.75, "previous": None},
                           {"key": "mttr.mean", "unit": "business_hours", "value": 5.5, "previous": 6.0}],
               "gaps": [{"kind": "search_clusters", "label": "vpn <b>", "value": 4}]}
    with database.reader() as db:
        admin = db.scalar(select(Person.id).where(Person.email == ROLES["admin"]))
        [m] = compose.mails_for(db, setting, 9, "reports.monthly_summary", None,
                                {"month": "2026-11", "recipients": [admin], "summary": summary})
    assert m.subject == "Guichet — dashboard summary for November 2026"
    assert "- Resolution within SLA: 75.0% (—)" in m.text and "- Mean time to resolve: 5.5 business hours (6" in m.text
    assert "vpn &lt;b&gt;" in m.html and "vpn <b>" not in m.html  # user text escaped in the HTML part


def test_the_job_is_scheduled_daily_and_a_bad_list_is_refused(tmp_path):
    policies = load_policies(ROOT / "helpdesk.yml")
    assert policies.job_intervals["reports.monthly_summary"] == 86400 and policies.monthly_summary_to == ()
    data = yaml.safe_load((ROOT / "helpdesk.yml").read_text(encoding="utf-8"))
    for bad in ({"monthly_summary_to": "chef@example.org"}, {"monthly_summary_to": ["pas-une-adresse"]}, ["x"]):
        data["reports"] = bad
        path = tmp_path / "helpdesk.yml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        with pytest.raises(PolicyError) as err:
            load_policies(path)
        assert "reports" in str(err.value) and "fix:" in str(err.value)
    data["reports"] = {"monthly_summary_to": ["Chef.Support@Example.org"]}
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert load_policies(path).monthly_summary_to == ("chef.support@example.org",)


def test_the_figures_compute_without_holding_the_write_lock(app, db_url, peer, clock, monkeypatch):
    """The desk keeps writing while the month's figures compute: on SQLite a held write lock would stop it."""
    from ticket_service.actions import monthly_summary

    computed, real = [], monthly_summary.key_figures
    with another_writer(db_url) as write:
        def figures_while_the_desk_writes(*args, **kwargs):
            write()
            computed.append(1)
            return real(*args, **kwargs)

        monkeypatch.setattr(monthly_summary, "key_figures", figures_while_the_desk_writes)
        sent = tick(app, clock, peer, paris(2026, 12, 1, 9, 0))
    assert computed == [1] and sent
