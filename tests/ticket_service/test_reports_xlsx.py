"""XLSX twins of the dashboard's CSV exports (page, API, CLI): the CSV's values with numbers as numbers and dates as
dates, a sheet per table, and no formula ever (catalogue I-09) — read back with zipfile and the XML itself."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import datetime, timedelta, timezone
from xml.etree import ElementTree

import pytest

from report_cases import Desk, build, local, run_report as run
from tshelpers import domain_clock

NOW = datetime(2026, 12, 10, 12, 0, tzinfo=timezone.utc)
EVIL = '=HYPERLINK("http://evil.test","x")'
NOVEMBER = "period=custom&since=2026-11-01&until=2026-11-30"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
UNSAFE = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def month(app, database):
    from ticket_service.actions import tickets as t
    from ticket_service.actions import workflow as w

    ids = build(app, database)
    desk = Desk(app, database)
    for hour in ("10:00", "14:00"):  # two alike, so the knowledge gaps panel clusters them, titles as examples
        evil = desk.do(local("2026-11-20", hour), "employee_b", t.create_ticket,
                       {"title": f"{EVIL} imprimante bloquée", "description": "L'imprimante du deuxième étage bloque.",
                        "category": "impression"}).ticket.id
        desk.do(local("2026-11-20", hour) + timedelta(minutes=30), "n1", w.take, evil)
        desk.do(local("2026-11-20", hour) + timedelta(hours=1), "n1", w.move, evil, "resolved",
                note="Corrigé sur le poste.", kb_gap=True)
    desk.do(local("2026-11-20", "16:00"), "employee_b", t.rate, evil, 3, EVIL)
    ids["evil"] = evil
    return ids


@pytest.fixture(autouse=True)
def fixed_clock(app):
    with domain_clock(app, NOW):
        yield


def read_xlsx(data: bytes) -> dict[str, list[list]]:
    """Return each sheet's rows as values: shared or inline strings, numbers, dates (by their number format).

    A cell holding a formula comes back as ``("FORMULA", text)``, so a test sees it.
    """
    book = zipfile.ZipFile(io.BytesIO(data))
    strings = [("".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t")))
               for si in ElementTree.fromstring(book.read("xl/sharedStrings.xml")).findall("m:si", NS)] \
        if "xl/sharedStrings.xml" in book.namelist() else []
    styles = ElementTree.fromstring(book.read("xl/styles.xml"))
    formats = {int(f.get("numFmtId")): f.get("formatCode") for f in styles.iter(f"{{{NS['m']}}}numFmt")}
    xfs = styles.find("m:cellXfs", NS).findall("m:xf", NS)
    rels = {r.get("Id"): r.get("Target") for r in ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))}
    sheets = {}
    for sheet in ElementTree.fromstring(book.read("xl/workbook.xml")).find("m:sheets", NS):
        target = rels[sheet.get(f"{{{NS['r']}}}id")].lstrip("/")
        xml = ElementTree.fromstring(book.read(target if target.startswith("xl/") else "xl/" + target))
        rows = []
        for row in xml.iter(f"{{{NS['m']}}}row"):
            cells: dict[int, object] = {}
            for c in row.findall("m:c", NS):
                col = _column(c.get("r"))
                value, formula = c.find("m:v", NS), c.find("m:f", NS)
                xf = xfs[int(c.get("s", 0))]
                if formula is not None:
                    cells[col] = ("FORMULA", formula.text)
                elif c.get("t") == "s":
                    cells[col] = (strings[int(value.text)], xf.get("quotePrefix") == "1")
                elif c.get("t") == "inlineStr":
                    cells[col] = ("".join(t.text or "" for t in c.iter(f"{{{NS['m']}}}t")), False)
                elif value is not None:
                    number = float(value.text)
                    code = formats.get(int(xf.get("numFmtId", 0)), "")
                    cells[col] = datetime(1899, 12, 30) + timedelta(days=number) if "yy" in code else number
            rows.append([cells.get(i) for i in range(max(cells, default=-1) + 1)])
        sheets[sheet.get("name")] = rows
    return sheets


def _column(ref: str) -> int:
    letters = re.match(r"[A-Z]+", ref).group(0)
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def texts(sheets) -> list[str]:
    return [cell[0] for rows in sheets.values() for row in rows for cell in row if isinstance(cell, tuple)]


def as_csv_cell(cell, french: bool) -> str:
    """Return how the CSV writes an XLSX cell: a quoted formula-like text with « ' », numbers in the language."""
    if cell is None:
        return ""
    if isinstance(cell, tuple):
        text, quoted = cell
        return "'" + text if quoted else text
    if isinstance(cell, datetime):
        return cell.strftime("%d/%m/%Y %H:%M" if french else "%Y-%m-%d %H:%M")
    text = f"{cell:.4f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if french else text


def csv_rows(text: str, delimiter: str) -> list[list[str]]:
    return [r for r in csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter) if r]


def test_the_page_exports_each_panel_as_xlsx_with_the_csv_values(api, month):
    admin = api("admin")
    response = admin.get(f"/pilotage/satisfaction.xlsx?{NOVEMBER}&lang=fr")
    assert response.status_code == 200 and response.mimetype == XLSX
    assert response.headers["Content-Disposition"] == 'attachment; filename="pilotage-satisfaction-2026-11-01.xlsx"'
    sheets = read_xlsx(response.get_data())
    assert list(sheets)[0] == "satisfaction" and all(rows[0][0] == ("panneau", False) for rows in sheets.values())
    assert len(sheets) > 1  # a sheet per table beside the figures
    average = next(r for r in sheets["satisfaction"] if r[2] == ("csat.average", False))
    assert isinstance(average[4], float) and average[4] > 0  # a real number (its value: the CSV's, below)
    assert average[8] == datetime(2026, 11, 1, 0, 0)  # a real date, the org's local midnight
    csv_text = admin.get(f"/pilotage/satisfaction.csv?{NOVEMBER}&lang=fr").get_data(as_text=True)
    expected = csv_rows(csv_text, ";")
    got = [[as_csv_cell(c, True) for c in row] for rows in sheets.values() for row in rows[1:]]
    header = [as_csv_cell(c, True) for c in sheets["satisfaction"][0]]
    assert header == expected[0]
    assert sorted(map(tuple, got)) == sorted(map(tuple, expected[1:]))
    assert admin.get("/pilotage/nothing.xlsx").status_code == 404
    assert api("employee_a").get("/pilotage/volume.xlsx").status_code == 403


def test_titles_that_look_like_formulas_stay_text(api, month):
    for panel in ("gaps", "satisfaction", "recurring"):
        data = api("admin").get(f"/api/v1/metrics/{panel}?{NOVEMBER}&format=xlsx").get_data()
        sheets = read_xlsx(data)
        cells = [cell for rows in sheets.values() for row in rows for cell in row if cell is not None]
        assert not any(isinstance(c, tuple) and c[0] == "FORMULA" for c in cells), panel
        for cell in cells:  # every formula-like text carries Excel's quote prefix
            if isinstance(cell, tuple) and cell[0].startswith(UNSAFE):
                assert cell[1], (panel, cell)
    gaps = read_xlsx(api("admin").get(f"/api/v1/metrics/gaps?{NOVEMBER}&format=xlsx").get_data())
    assert any(text.startswith(EVIL) or f"| {EVIL}" in text or text == EVIL for text in texts(gaps)), texts(gaps)
    assert b"<f>" not in b"".join(zipfile.ZipFile(io.BytesIO(data)).read(n) for n in zipfile.ZipFile(io.BytesIO(data))
                                   .namelist())


def test_the_api_serves_csv_and_xlsx_of_the_same_figures(api, month):
    from ticket_service.reports.knowledge_panels import KNOWLEDGE_PANELS
    from ticket_service.reports.panels import PANELS

    admin = api("admin")
    for panel in [*PANELS, *KNOWLEDGE_PANELS]:
        csv_response = admin.get(f"/api/v1/metrics/{panel}?{NOVEMBER}&format=csv&lang=en")
        assert csv_response.status_code == 200 and csv_response.mimetype == "text/csv"
        xlsx_response = admin.get(f"/api/v1/metrics/{panel}?{NOVEMBER}&format=xlsx&lang=en")
        assert xlsx_response.mimetype == XLSX and panel in xlsx_response.headers["Content-Disposition"]
        expected = csv_rows(csv_response.get_data(as_text=True), ",")
        sheets = read_xlsx(xlsx_response.get_data())
        got = [[as_csv_cell(c, False) for c in row] for rows in sheets.values() for row in rows[1:]]
        if panel in KNOWLEDGE_PANELS:  # their CSV writes days; the workbook has them as dates
            got = [row[:8] + [d[:10] for d in row[8:]] for row in got]
        assert sorted(map(tuple, got)) == sorted(map(tuple, expected[1:])), panel
    assert admin.get("/api/v1/metrics/mttr?format=pdf").status_code == 422


def test_the_cli_writes_the_workbook(db_url, tmp_path, month):
    target = tmp_path / "sla.xlsx"
    result = run(db_url, tmp_path, "sla", "--since", "2026-11-01", "--until", "2026-11-30", "--xlsx", str(target))
    assert result.exit_code == 0, result.output
    sheets = read_xlsx(target.read_bytes())
    expected = csv_rows(run(db_url, tmp_path, "sla", "--since", "2026-11-01", "--until", "2026-11-30",
                            "--csv").output, ";")
    got = [[as_csv_cell(c, True) for c in row] for rows in sheets.values() for row in rows[1:]]
    assert sorted(map(tuple, got)) == sorted(map(tuple, expected[1:]))
    refused = run(db_url, tmp_path, "sla", "--csv", "--xlsx", str(target))
    assert refused.exit_code == 2
