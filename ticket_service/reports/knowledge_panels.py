"""The dashboard's knowledge panels (deflection and fiches, knowledge gaps, recurring incidents): names, texts, CSV."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ticket_service.domain import deflection
from ticket_service.domain.clock import iso
from ticket_service.domain.messages import N_
from ticket_service.reports import deflection as deflection_texts
from ticket_service.reports.article_effectiveness import effectiveness
from ticket_service.reports.clusters import MAX_TEXTS, SEARCH_FLOOR, TICKET_FLOOR
from ticket_service.reports import export, result_cache
from ticket_service.reports.export import number, safe
from ticket_service.reports.knowledge_gaps import gaps, unsuccessful_sessions, without_fiche
from ticket_service.reports.recurring_incidents import recurring
from ticket_service.reports.scope import Scope

KNOWLEDGE_PANELS = ("effectiveness", "gaps", "recurring")

LABELS = {
    **{f"deflection.{k}": v for k, v in deflection_texts.LABELS.items()},
    "gaps.searches": N_("Recherches infructueuses"), "gaps.no_fiche": N_("Résolus sans fiche"),
    "recurring.clusters": N_("Groupes d'incidents récurrents"), "recurring.incidents": N_("Incidents regroupés"),
}
# {floor} is the similarity floor, {most} the texts clustered, {w} the deflection window in hours.
DEFINITIONS = {
    **{f"deflection.{k}": v for k, v in deflection.DEFINITIONS.items()},
    "deflection.articles": N_("Entonnoir par fiche des sessions d'aide commencées dans la période (DESIGN §3.5) ; "
                              "« résolues avec » : demandes résolues ou closes dans la période avec la fiche liée. "
                              "Les filtres ne s'appliquent pas aux sessions d'aide."),
    "gaps.searches": N_("Sessions d'aide commencées dans la période où une recherche a été tapée, aucune fiche ouverte "
                        "depuis le formulaire ni « résolu » cliqué (rien proposé compris), puis une demande dans la "
                        "fenêtre de {w} h ou rien une fois la fenêtre passée (abandon). Regroupées par ressemblance "
                        "de la dernière recherche (seuil {floor}, les {most} plus récentes) ; les filtres ne "
                        "s'appliquent pas aux sessions."),
    "gaps.no_fiche": N_("Tickets résolus pendant la période (résolution toujours valable à sa fin) sans aucune fiche "
                        "liée, regroupés par ressemblance du titre et de la description (seuil {floor}, les {most} "
                        "plus récents)."),
    "recurring.clusters": N_("Groupes d'au moins deux incidents créés pendant la période, non fusionnés et pas encore "
                             "liés à un problème, qui se ressemblent (titre et description, seuil {floor} par rapport "
                             "au premier du groupe, les {most} plus récents)."),
    "recurring.incidents": N_("Incidents appartenant à un groupe, sur les incidents de la période pas encore liés à un "
                              "problème."),
}
FLOORS = {"gaps.searches": SEARCH_FLOOR}


def definition(key: str, p, window_hours: float) -> str:
    """Return a knowledge figure's definition in the presentation's language."""
    return p._(DEFINITIONS[key]).format(w=p.decimal(window_hours), floor=p.decimal(FLOORS.get(key, TICKET_FLOOR)),
                                        most=p.integer(MAX_TEXTS))


def compute(db: Session, names, scope: Scope, before: Scope | None, now: datetime, window: timedelta,
            max_age: timedelta | None = None, unfiltered: list[dict] | None = None) -> list[dict]:
    """Return the named knowledge panels, each figure with the previous period's value where it is counted alike.

    With ``max_age``, a panel computed for the same period, filters and data less than that long ago is served again
    (reports/result_cache.py); each panel says when it was computed (``computed_at``). ``unfiltered``: the knowledge
    panels of the same period without filters (a refreshed snapshot): what no filter changes is taken from them,
    the fiches' effectiveness whole and the unsuccessful searches of the gaps, with their instant."""
    shared = {p["panel"]: p for p in unfiltered or ()}
    out = []
    for name in names:
        if name == "effectiveness" and name in shared:
            out.append(shared[name])  # help sessions and fiche links only: no filter applies (DEFINITIONS)
            continue
        searches = _searches_of(shared["gaps"]) if name == "gaps" and "gaps" in shared else None
        key = (name, scope.period, before.period if before is not None else None, scope.filters, window,
               searches is not None)
        panel, at = result_cache.cached(db, key, now, max_age,
                                        lambda: _panel(db, name, scope, before, now, window, searches))
        # Its searches are as old as the snapshot they come from: the panel says the older instant.
        panel["computed_at"] = shared["gaps"]["computed_at"] if searches is not None else iso(at)
        out.append(panel)
    return out


def _searches_of(panel: dict) -> tuple[dict, dict]:
    """Return the unsuccessful searches' figure and clusters of a computed gaps panel."""
    return (next(f for f in panel["figures"] if f["key"] == "gaps.searches"),
            next(t for t in panel["tables"] if t["key"] == "search_clusters"))


def _panel(db: Session, name: str, scope: Scope, before: Scope | None, now: datetime, window: timedelta,
           searches: tuple[dict, dict] | None = None) -> dict:
    old = {}
    if name == "effectiveness":
        panel = effectiveness(db, scope, window, now)
        if before is not None:
            old = {f["key"]: f["value"] for f in effectiveness(db, before, window, now)["figures"]}
    elif name == "gaps":
        panel = gaps(db, scope, window, now, searches)
        if before is not None:
            old = {"gaps.searches": searches[0].get("previous") if searches is not None
                   else len(unsuccessful_sessions(db, before, window, now)),
                   "gaps.no_fiche": len(without_fiche(db, before))}
    else:
        panel = recurring(db, scope)
    for fig in panel["figures"]:
        if before is not None:
            fig["previous"] = old.get(fig["key"])
            fig["change"] = None if fig["previous"] is None or fig["value"] is None \
                else round(fig["value"] - fig["previous"], 4)
    panel["window_hours"] = window.total_seconds() / 3600
    return panel


def to_json(result: dict, p) -> dict:
    """Add each knowledge figure's and table's label and definition, in ``p``'s language, to a computed result."""
    for panel in result["panels"]:
        hours = panel["window_hours"]
        for fig in panel["figures"]:
            fig["label"], fig["definition"] = p._(LABELS[fig["key"]]), definition(fig["key"], p, hours)
        for table in panel["tables"]:
            table["definition"] = definition(table["definition_id"], p, hours)
    return result


def render_text(result: dict, p) -> str:
    """Return knowledge panels as plain text, as the dashboard panels' text reads."""
    hours = result["panels"][0]["window_hours"] if result["panels"] else 0
    return export.render_text(result, p, label=lambda key: p._(LABELS[key]),
                              describe=lambda key: definition(key, p, hours))


def render_csv(result: dict, panel: dict, p) -> str:
    """Return one knowledge panel as formula-safe CSV: each figure, then each row (clusters with their examples)."""
    _ = p._
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=p.csv_delimiter)
    writer.writerow([_("panneau"), _("section"), _("clé"), _("libellé"), _("valeur"), _("période précédente"),
                     _("tickets"), _("définition"), _("début"), _("fin")])
    since, until = result["period"]["first_day"], result["period"]["last_day"]
    hours = panel["window_hours"]
    for fig in panel["figures"]:
        writer.writerow([panel["panel"], _("indicateur"), safe(fig["key"]), safe(_(LABELS[fig["key"]])),
                         number(fig["value"], p), number(fig.get("previous"), p), len(fig["ticket_ids"]),
                         safe(definition(fig["key"], p, hours)), since, until])
    for table in panel["tables"]:
        for row in table["rows"]:
            details = " | ".join(row.get("examples") or []) or _(" ; ").join(
                f"{_(deflection_texts.ARTICLE_LABELS[c])} = {row[c]}" for c in table["columns"]
                if c in deflection_texts.ARTICLE_LABELS)
            writer.writerow([panel["panel"], safe(table["key"]), safe(row["key"]), safe(row["label"]),
                             number(row["value"], p), "", len(row["ticket_ids"]), safe(details), since, until])
    return buffer.getvalue()
