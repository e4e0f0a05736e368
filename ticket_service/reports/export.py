"""The dashboard's panels as JSON (definitions in the reader's language) and as formula-safe CSV."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from babel.dates import format_datetime

from ticket_service.domain.messages import N_
from ticket_service.reports.deflection import FRENCH, Presentation
from ticket_service.reports.definitions import DEFINITIONS
from ticket_service.reports.reopens import REOPEN_DAYS

UNSAFE = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet reads these as a formula (catalogue I-09)
LABELS = {
    "volume.created": N_("Tickets créés"), "backlog.open": N_("Tickets ouverts"),
    "backlog.median_age": N_("Âge médian (jours)"), "sla.first_response": N_("Première réponse dans le SLA"),
    "sla.resolution": N_("Résolution dans le SLA"), "sla.open_breached": N_("Ouverts hors SLA"),
    "sla.ola": N_("OLA prestataire"), "levels.resolved": N_("Tickets résolus"),
    "levels.escalation_rate": N_("Taux d'escalade"), "levels.self_service": N_("Clos en libre-service"),
    "critical.open": N_("Incidents critiques ouverts"), "mttr.mean": N_("Temps moyen de résolution (h ouvrées)"),
    "mttr.median": N_("Temps médian de résolution (h ouvrées)"), "mttr.p90": N_("90e centile (h ouvrées)"),
    "fcr.rate": N_("Résolution au premier contact"), "reopen.rate": N_("Taux de réouverture"),
    "csat.average": N_("Satisfaction moyenne"), "csat.response_rate": N_("Taux de réponse à l'enquête"),
    "workload.open": N_("Tickets ouverts assignés"),
}


def definition(key: str, p: Presentation = FRENCH) -> str:
    """Return a figure's definition in the presentation's language."""
    return p._(DEFINITIONS[key]).format(n=REOPEN_DAYS)


def to_json(result: dict, p: Presentation = FRENCH) -> dict:
    """Add each figure's and table's label and definition, in ``p``'s language, to a computed result."""
    for panel in result["panels"]:
        for fig in panel["figures"]:
            fig["label"], fig["definition"] = p._(LABELS[fig["key"]]), definition(fig["key"], p)
        for table in panel["tables"]:
            table["definition"] = definition(table["definition_id"], p)
    return result


def safe(cell) -> str:
    """Return a cell a spreadsheet shows as text: a leading = + - @ tab or CR is escaped with « ' »."""
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(UNSAFE) else text


def number(value, p: Presentation) -> str:
    """Return a number as that language's spreadsheets read it (« 0,8 » in French); a negative change stays text-safe."""
    if value is None or isinstance(value, bool):
        return "" if value is None else str(value)
    if isinstance(value, float):
        return p.decimal(value, "0.####")
    return str(value)


def render_csv(result: dict, p: Presentation = FRENCH) -> str:
    """Return every figure and table row of the result, one self-describing line each."""
    _ = p._
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=p.csv_delimiter, quoting=csv.QUOTE_MINIMAL)
    period = result["period"]
    since, until = (_moment(period[k], p) for k in ("since", "until"))
    writer.writerow([_("panneau"), _("section"), _("clé"), _("libellé"), _("valeur"), _("période précédente"),
                     _("tickets"), _("définition"), _("début ({zone})").format(zone=p.zone_name),
                     _("fin ({zone})").format(zone=p.zone_name)])
    for panel in result["panels"]:
        for fig in panel["figures"]:
            writer.writerow([safe(panel["panel"]), _("indicateur"), safe(fig["key"]), safe(_(LABELS[fig["key"]])),
                             number(fig["value"], p), number(fig.get("previous"), p), len(fig["ticket_ids"]),
                             safe(definition(fig["key"], p)), since, until])
        for table in panel["tables"]:
            for row in table["rows"]:
                value = row.get("value")
                writer.writerow([safe(panel["panel"]), safe(table["key"]), safe(row["key"]), safe(row["label"]),
                                 number(value, p) if not isinstance(value, str) else safe(value),
                                 number(row.get("previous"), p), len(row["ticket_ids"]),
                                 safe(row.get("comment") or definition(table["definition_id"], p)), since, until])
    return buffer.getvalue()


def _moment(text: str, p: Presentation) -> str:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    pattern = "dd/MM/yyyy HH:mm" if p.csv_delimiter == ";" else "yyyy-MM-dd HH:mm"
    return format_datetime(moment, pattern, tzinfo=p.zone, locale=p.locale)


def _shown(value, unit: str, p: Presentation) -> str:
    if value is None:
        return "—"
    if unit == "share":
        return p.percent(value)
    return p.decimal(value) if isinstance(value, float) else p.integer(value)


def render_text(result: dict, p: Presentation = FRENCH, *, label=None, describe=None) -> str:
    """Return the panels as plain text: each figure, its previous value and definition, then its tables.

    ``label`` and ``describe`` map a figure's key to its label and definition (the dashboard panels' by default).
    """
    _ = p._
    label = label or (lambda key: _(LABELS[key]))
    describe = describe or (lambda key: definition(key, p))
    period = result["period"]
    out = [_("Pilotage — du {first} au {last} ({zone})").format(
        first=_moment(period["since"], p), last=_moment(period["until"], p), zone=p.zone_name)]
    for panel in result["panels"]:
        out.append("")
        for fig in panel["figures"]:
            previous = fig.get("previous")
            before = _(" (période précédente : {value})").format(value=_shown(previous, fig["unit"], p)) \
                if "previous" in fig else ""
            out.append(f"{label(fig['key'])} : {_shown(fig['value'], fig['unit'], p)}{before}")
            out.append(f"    {describe(fig['key'])}")
        for table in panel["tables"]:
            if not table["rows"]:
                continue
            out.append(f"  [{table['key']}]")
            for row in table["rows"]:
                value = row.get("value")
                shown = value if isinstance(value, str) else _shown(value, "share" if panel["panel"] == "sla" else "",
                                                                    p)
                out.append(f"    {str(row['label'])[:50]:<50} {shown:>10}")
    return "\n".join(out)
