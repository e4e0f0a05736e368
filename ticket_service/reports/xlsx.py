"""The dashboard's panels as XLSX: the CSV export's rows, numbers as numbers, dates as dates, a sheet per table.

Every text goes in with ``write_string``, so a title such as ``=HYPERLINK(...)`` is stored as text, never as a formula
(catalogue I-09); a text a spreadsheet would read as a formula also gets Excel's quote prefix, as if typed with « ' ».
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime

import xlsxwriter

from ticket_service.reports import knowledge_panels as knowledge
from ticket_service.reports.deflection import ARTICLE_LABELS, Presentation
from ticket_service.reports.export import LABELS, UNSAFE, definition

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_NAME_MAX = 31  # Excel's limit
NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\']")


def _french(p: Presentation) -> bool:
    return p.csv_delimiter == ";"


class _Book:
    """One workbook and its cell formats, in the presentation's conventions."""

    def __init__(self, p: Presentation):
        self.buffer = io.BytesIO()
        # Strings stay strings (no guessing of numbers or formulas); dates are written in the org's local time.
        self.book = xlsxwriter.Workbook(self.buffer, {"in_memory": True, "strings_to_formulas": False,
                                                      "strings_to_numbers": False, "strings_to_urls": False})
        french = _french(p)
        self.header = self.book.add_format({"bold": True})
        self.quoted = self.book.add_format({"quote_prefix": True})
        self.integer = self.book.add_format({"num_format": "#,##0"})
        self.decimal = self.book.add_format({"num_format": "#,##0.0###"})
        self.share = self.book.add_format({"num_format": "0.0%"})
        self.moment = self.book.add_format({"num_format": "dd/mm/yyyy hh:mm" if french else "yyyy-mm-dd hh:mm"})
        self.day = self.book.add_format({"num_format": "dd/mm/yyyy" if french else "yyyy-mm-dd"})
        self.used: set[str] = set()

    def sheet(self, name: str, header: list[str]):
        """Add a sheet with its header row; a name Excel refuses is cleaned, a repeated one numbered."""
        base = NOT_IN_SHEET_NAMES.sub("_", name)[:SHEET_NAME_MAX] or "_"
        chosen, n = base, 1
        while chosen.lower() in self.used:
            n += 1
            chosen = f"{base[:SHEET_NAME_MAX - len(str(n)) - 1]}~{n}"
        self.used.add(chosen.lower())
        sheet = self.book.add_worksheet(chosen)
        for col, title in enumerate(header):
            sheet.write_string(0, col, title, self.header)
        sheet.freeze_panes(1, 0)
        return sheet

    def row(self, sheet, index: int, cells: list, units: dict[int, str] | None = None) -> None:
        """Write one row: numbers as numbers, dates as dates, everything else as text."""
        for col, value in enumerate(cells):
            self.cell(sheet, index, col, value, (units or {}).get(col, ""))

    def cell(self, sheet, row: int, col: int, value, unit: str = "") -> None:
        if value is None:
            return
        if isinstance(value, bool):
            sheet.write_boolean(row, col, value)
        elif isinstance(value, int):
            sheet.write_number(row, col, value, self.share if unit == "share" else self.integer)
        elif isinstance(value, float):
            sheet.write_number(row, col, value, self.share if unit == "share" else self.decimal)
        elif isinstance(value, datetime):
            sheet.write_datetime(row, col, value, self.moment)
        elif isinstance(value, date):
            sheet.write_datetime(row, col, value, self.day)
        else:
            text = str(value)
            if text.startswith(UNSAFE):
                sheet.write_string(row, col, text, self.quoted)
            else:
                sheet.write_string(row, col, text)

    def close(self) -> bytes:
        self.book.close()
        return self.buffer.getvalue()


def _local(text: str, p: Presentation) -> datetime:
    """Return an ISO instant as the org's local wall time, without zone (spreadsheets have none)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(p.zone).replace(tzinfo=None)


def _header(p: Presentation, zoned: bool) -> list[str]:
    _ = p._
    ends = [_("début ({zone})").format(zone=p.zone_name), _("fin ({zone})").format(zone=p.zone_name)] if zoned \
        else [_("début"), _("fin")]
    return [_("panneau"), _("section"), _("clé"), _("libellé"), _("valeur"), _("période précédente"), _("tickets"),
            _("définition"), *ends]


def _sheets_of(book: _Book, panel: dict, header: list[str], p: Presentation):
    """Return the panel's figures sheet and a function giving each table's own sheet."""
    figures = book.sheet(f"{panel['panel']}", header)
    tables = {}

    def table_sheet(key: str):
        if key not in tables:
            tables[key] = [book.sheet(f"{panel['panel']}.{key}", header), 1]
        return tables[key]
    return figures, table_sheet


def render_xlsx(result: dict, p: Presentation) -> bytes:
    """Return a dashboard result as a workbook: per panel, a sheet of its figures and a sheet per table."""
    _ = p._
    book = _Book(p)
    header = _header(p, zoned=True)
    since, until = (_local(result["period"][k], p) for k in ("since", "until"))
    for panel in result["panels"]:
        figures, table_sheet = _sheets_of(book, panel, header, p)
        for i, fig in enumerate(panel["figures"], start=1):
            unit = fig.get("unit", "")
            book.row(figures, i, [panel["panel"], _("indicateur"), fig["key"], _(LABELS[fig["key"]]), fig["value"],
                                  fig.get("previous"), len(fig["ticket_ids"]), definition(fig["key"], p), since, until],
                     {4: unit, 5: unit})
        for table in panel["tables"]:
            for row in table["rows"]:
                sheet = table_sheet(table["key"])
                unit = "share" if panel["panel"] == "sla" else ""
                book.row(sheet[0], sheet[1], [panel["panel"], table["key"], row["key"], row["label"], row.get("value"),
                                              row.get("previous"), len(row["ticket_ids"]),
                                              row.get("comment") or definition(table["definition_id"], p), since,
                                              until], {4: unit, 5: unit})
                sheet[1] += 1
    return book.close()


def render_knowledge_xlsx(result: dict, panel: dict, p: Presentation) -> bytes:
    """Return one knowledge panel as a workbook: its figures, then a sheet per table (clusters with their examples)."""
    _ = p._
    book = _Book(p)
    header = _header(p, zoned=False)
    since, until = (date.fromisoformat(result["period"][k]) for k in ("first_day", "last_day"))
    hours = panel["window_hours"]
    figures, table_sheet = _sheets_of(book, panel, header, p)
    for i, fig in enumerate(panel["figures"], start=1):
        unit = fig.get("unit", "")
        book.row(figures, i, [panel["panel"], _("indicateur"), fig["key"], _(knowledge.LABELS[fig["key"]]),
                              fig["value"], fig.get("previous"), len(fig["ticket_ids"]),
                              knowledge.definition(fig["key"], p, hours), since, until], {4: unit, 5: unit})
    for table in panel["tables"]:
        for row in table["rows"]:
            details = " | ".join(row.get("examples") or []) or _(" ; ").join(
                f"{_(ARTICLE_LABELS[c])} = {row[c]}" for c in table["columns"] if c in ARTICLE_LABELS)
            sheet = table_sheet(table["key"])
            book.row(sheet[0], sheet[1], [panel["panel"], table["key"], row["key"], row["label"], row["value"], None,
                                          len(row["ticket_ids"]), details, since, until])
            sheet[1] += 1
    return book.close()


def filename(panel: str, result: dict) -> str:
    """Return the download's name, as the CSV's with .xlsx."""
    return f"pilotage-{panel}-{result['period']['first_day']}.xlsx"
