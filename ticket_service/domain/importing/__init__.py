"""Importing past tickets: the JSON-lines format, GLPI's CSV export, and the replay through the live rules.

``read_file`` turns a file's lines into records, or the problems of each bad line, named by the file's own field
(the JSON path, or the GLPI column header); ``Replay`` writes records into a session.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo

from ticket_service.domain.importing import glpi
from ticket_service.domain.importing.records import LineProblems, Step, TicketRecord, parse_line, read_record
from ticket_service.domain.importing.replay import Replay
from ticket_service.domain.policies import Policies

FORMATS = ("jsonl", "glpi-csv")
# The part of a record a GLPI column became (records' field → glpi.COLUMNS key).
_GLPI_FIELDS = {"external_id": "id", "assigned": "technician", "qualified": "taken", "waiting": "updated",
                "rating": "satisfaction"}


@dataclass
class Line:
    """One line of the file: its number, and its record or its problems."""

    number: int
    record: TicketRecord | None = None
    problems: list[tuple[str, str]] | None = None


def guess_format(filename: str) -> str:
    """Return the format a file's name suggests (``.csv`` is GLPI's export, anything else JSON lines)."""
    return "glpi-csv" if filename.lower().endswith(".csv") else "jsonl"


def read_file(lines: Iterable[str], fmt: str, policies: Policies, zone: tzinfo, now: datetime) -> Iterator[Line]:
    """Yield every ticket line of a file (blank lines skipped), read and checked, in file order."""
    if fmt == "jsonl":
        for number, text in enumerate(lines, 1):
            try:
                found = parse_line(text, number, policies, zone, now)
            except LineProblems as exc:
                yield Line(number, problems=exc.problems)
                continue
            if found is not None:
                yield Line(number, record=found)
        return
    if fmt != "glpi-csv":
        raise ValueError(f"unknown import format {fmt!r}")
    for number, values, headers in glpi.read_rows(lines):
        data, problems = glpi.to_ticket(values, policies, zone)
        try:
            found = read_record(data, number, policies, zone, now)
        except LineProblems as exc:
            problems = problems + [p for p in exc.problems if p[0] not in {q[0] for q in problems}]
            found = None
        if problems:
            yield Line(number, problems=[(glpi_header(name, headers), problem) for name, problem in problems])
        else:
            yield Line(number, record=found)


def glpi_header(name: str, headers: dict[str, str]) -> str:
    """Return the GLPI column a record field came from (« resolved.by » → « Attribué à - Technicien »)."""
    top = re.split(r"[.\[]", name, maxsplit=1)[0]
    if name.endswith((".by", ".to")):
        top = "technician"
    key = _GLPI_FIELDS.get(top, top)
    return headers.get(key, name if key not in glpi.COLUMNS else glpi.COLUMNS[key][0])


__all__ = ["FORMATS", "Line", "LineProblems", "Replay", "Step", "TicketRecord", "guess_format", "read_file"]
