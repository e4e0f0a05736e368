"""`guichet report deflection`: French by default, English with --lang en, and periods made of the organisation's
days (Europe/Paris), not UTC days."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from ticket_service.cli import main as guichet
from ticket_service.domain.clock import FixedClock
from ticket_service.store.models import HelpEvent, Person
from tshelpers import ROLES

UTC = timezone.utc
NBSP = "\u00a0"


@pytest.fixture(scope="module")
def seeded(app, database):
    """Two tickets around midnight in Paris on 31 October, two help sessions around midnight on 1 and 2 November."""
    from ticket_service.actions import tickets as ticket_actions
    from ticket_service.runtime import get_ctx

    moments = {"after_midnight_paris": datetime(2026, 10, 31, 23, 30, tzinfo=UTC),  # 1 November, 00:30 in Paris
               "before_midnight_paris": datetime(2026, 10, 31, 22, 30, tzinfo=UTC)}  # 31 October, 23:30 in Paris
    with app.app_context():
        for title, at in moments.items():
            with database.writer() as session:
                person = session.scalar(select(Person).where(Person.email == ROLES["employee_a"]))
                ticket_actions.create_ticket(session, replace(get_ctx(), clock=FixedClock(at)), person,
                                             {"title": f"Période {title}", "description": "Un ticket près de minuit."})
    shown = json.dumps({"suggestions": [{"id": "poste-lent", "rank": 1, "score": 0.8, "category": "poste-de-travail"}]})
    with database.write() as session:
        for n, at in enumerate([datetime(2026, 11, 1, 23, 30, tzinfo=UTC),  # Monday 2 November, 00:30 in Paris
                                datetime(2026, 11, 2, 23, 30, tzinfo=UTC)]):  # 3 November in Paris: outside
            session.add_all([
                HelpEvent(event_id=f"period-{n}", session_id=f"period-session-{n}", type="suggestions_shown", at=at,
                          query="écran noir", data=shown, received_at=at),
                HelpEvent(event_id=f"period-{n}-solved", session_id=f"period-session-{n}", type="solved",
                          at=at + timedelta(minutes=2), article_id="poste-lent", data="{}", received_at=at)])
    return app


def run(db_url, tmp_path, *args):
    env = {"GUICHET_DATABASE_URL": db_url, "GUICHET_SECRET_KEY": "x", "GUICHET_SITE_DIR": str(tmp_path),
           "GUICHET_INSTANCE_PATH": str(tmp_path / "instance"), "GUICHET_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}
    return CliRunner().invoke(guichet, ["report", "deflection", *args], env=env, catch_exceptions=False)


def test_the_period_is_made_of_the_organisations_days(seeded, db_url, tmp_path):
    result = run(db_url, tmp_path, "--since", "2026-11-01", "--until", "2026-11-02", "--json")
    data = json.loads(result.output)
    figures = {f["key"]: f["value"] for f in data["figures"]}
    assert figures["tickets_created"] == 1  # 23:30 UTC on the 31st is 1 November in Paris; 22:30 UTC is not
    assert figures["sessions"] == 1  # 2 November 23:30 UTC is already 3 November in Paris
    assert [g["group"] for g in data["by_week"]] == ["2026-W45"]  # Sunday 23:30 UTC is Monday in Paris
    assert data["period"] == {"since": "2026-10-31T23:00:00Z", "until": "2026-11-02T23:00:00Z", "timezone": "Europe/Paris"}


def test_the_command_speaks_french_by_default_and_english_on_request(seeded, db_url, tmp_path):
    french = run(db_url, tmp_path, "--since", "2026-11-01", "--until", "2026-11-02")
    assert french.exit_code == 0
    assert "sessions du 01/11/2026 00:00 au 03/11/2026 00:00 (Europe/Paris)" in french.output
    assert f"100,0{NBSP}%" in french.output and "Entonnoir par fiche" in french.output and "proposée" in french.output
    english = run(db_url, tmp_path, "--since", "2026-11-01", "--until", "2026-11-02", "--lang", "en")
    assert english.exit_code == 0 and "Request deflection" in english.output and "100.0%" in english.output
    assert "Funnel per article" in english.output and "Entonnoir" not in english.output
    csv_rows = run(db_url, tmp_path, "--since", "2026-11-01", "--until", "2026-11-02", "--csv").output.splitlines()
    assert csv_rows[0].startswith("section;clé;valeur;définition;")
    assert any(row.startswith("indicateur;Taux d'évitement;1;") for row in csv_rows)
    english_csv = run(db_url, tmp_path, "--since", "2026-11-01", "--until", "2026-11-02", "--csv", "--lang", "en").output
    assert english_csv.startswith("section,key,value,definition,window_hours,")


def test_an_unknown_language_is_a_usage_error(seeded, db_url, tmp_path):
    result = CliRunner().invoke(guichet, ["report", "deflection", "--lang", "xx"],
                                env={"GUICHET_DATABASE_URL": db_url, "GUICHET_SECRET_KEY": "x",
                                     "GUICHET_INSTANCE_PATH": str(tmp_path / "instance")})
    assert result.exit_code == 2 and "'xx' is not one of fr, en" in result.output
