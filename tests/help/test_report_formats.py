"""The deflection report's renderings as a French company reads them: Babel's numbers and dates in fr_FR, the
organisation's time zone, a CSV for French spreadsheets, English on request, JSON for machines."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from ticket_service.domain.deflection import ARTICLE_COLUMNS, DEFINITIONS, UNSUCCESSFUL
from ticket_service.reports.deflection import Presentation, render_csv, render_table, to_json

UTC = timezone.utc
PARIS = ZoneInfo("Europe/Paris")
NBSP = "\u00a0"


def report() -> dict:
    """A small report as deflection_report returns it (period, figures with definitions, one row per table)."""
    values = {"sessions": 1234, "sessions_with_suggestions": 57, "confirmed": 20, "potential": 15, "none": 18,
              "no_outcome": 4, "provisional": 0, "deflection_rate": 0.614, "confirmed_rate": 0.3509,
              "kb_page_views": 187, "tickets_created": 15, "self_service_score": 12.4667}
    group = {"sessions": 7, "sessions_with_suggestions": 7, "confirmed": 1, "potential": 3, "none": 2, "no_outcome": 1,
             "provisional": 0, "deflection_rate": 0.5714, "confirmed_rate": 0.1429}
    return {"period": {"since": datetime(2026, 10, 31, 23, tzinfo=UTC), "until": datetime(2026, 11, 30, 23, tzinfo=UTC)},
            "window_hours": 1.5,
            "figures": [{"key": k, "value": values[k], "definition": v.format(w=1.5)} for k, v in DEFINITIONS.items()],
            "articles": [{"article_id": "poste-lent", **{c: 3 for c in ARTICLE_COLUMNS}}],
            "article_columns": ARTICLE_COLUMNS,
            "by_category": [{"group": "(aucune suggestion)", **group}], "by_week": [{"group": "2026-W45", **group}],
            "unsuccessful_searches": [{"query": "imprimante hors connexion", "sessions": 2, "no_suggestion": 2,
                                       "ticket_after_suggestions": 0}],
            "unsuccessful_definition": UNSUCCESSFUL.format(w=1.5)}


def test_the_french_table_writes_numbers_as_babel_does():
    table = render_table(report(), Presentation("fr_FR", PARIS))
    rate = next(line for line in table.splitlines() if line.startswith("Taux d'évitement "))
    # Babel's fr_FR percent: decimal comma and a no-break space before « % » (CLDR's pattern « #,##0 % »)
    assert f"61,4{NBSP}%" in rate and "61.4" not in rate and "61,4%" not in rate
    assert "1\u202f234" in table  # thousands with the narrow no-break space
    assert "12,47" in table and "fenêtre de 1,5 h" in table and "fenêtre 1,5 h" in table
    assert "du 01/11/2026 00:00 au 01/12/2026 00:00 (Europe/Paris)" in table  # the organisation's midnights
    header = next(line for line in table.splitlines() if line.startswith("fiche "))
    assert header.split() == ["fiche", "proposée", "ouverte", "«", "résolu", "»", "évitement", "manqué", "résolues", "avec",
                              "utile", ":", "oui", "utile", ":", "non"]  # no « shown, opened, ticket_after_open »
    assert "(aucune suggestion)" in table and f"57,1{NBSP}%" in table


def test_the_english_table_says_the_same_in_english(tmp_path):
    table = render_table(report(), Presentation("en", PARIS, english_catalogue(tmp_path)))
    assert "Deflection rate" in table and "61.4%" in table and "1,234" in table and "12.47" in table
    assert "ticket after open" in table and "window 1.5 h" in table and "(no suggestion)" in table
    assert "Taux" not in table and "fenêtre" not in table


def test_the_french_csv_is_what_a_french_spreadsheet_reads():
    text = render_csv(report(), Presentation("fr_FR", PARIS))
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["section", "clé", "valeur", "définition", "fenêtre (h)", "début (Europe/Paris)", "fin (Europe/Paris)"]
    figures = {row[1]: row for row in rows if row[0] == "indicateur"}
    assert figures["Taux d'évitement"][2] == "0,614" and figures["Score de libre-service"][2] == "12,4667"
    assert figures["Sessions d'aide"][2] == "1234"  # no grouping: a spreadsheet reads it as a number
    assert figures["Sessions d'aide"][4:] == ["1,5", "2026-11-01 00:00", "2026-12-01 00:00"]
    assert ["fiche : poste-lent", "proposée", "3"] == rows[len(figures) + 1][:3]
    assert any(row[0] == "catégorie : (aucune suggestion)" for row in rows)
    assert all(len(row) == 7 for row in rows)


def test_the_english_csv_keeps_commas_and_decimal_points(tmp_path):
    text = render_csv(report(), Presentation("en", PARIS, english_catalogue(tmp_path)))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["section", "key", "value", "definition", "window_hours", "since (Europe/Paris)", "until (Europe/Paris)"]
    figures = {row[1]: row for row in rows if row[0] == "figure"}
    assert figures["Deflection rate"][2] == "0.614" and figures["Help sessions"][4] == "1.5"


def test_json_keeps_english_keys_and_plain_numbers(tmp_path):
    data = to_json(report(), Presentation("en", PARIS, english_catalogue(tmp_path)))
    figures = {f["key"]: f for f in data["figures"]}
    assert figures["deflection_rate"]["value"] == 0.614 and figures["sessions"]["value"] == 1234
    assert data["period"] == {"since": "2026-10-31T23:00:00Z", "until": "2026-11-30T23:00:00Z", "timezone": "Europe/Paris"}
    assert figures["potential"]["definition"].endswith("within the 1.5 h window.")
    json.dumps(data)


def english_catalogue(tmp_path):
    from babel.support import Translations

    from ticket_service.http.i18n import SOURCE, compile_catalogues

    compile_catalogues(SOURCE, tmp_path / "mo")
    return Translations.load(str(tmp_path / "mo"), ["en"])
