"""The dashboard page's names for the reports' table, column and row keys, in the page's language."""

from __future__ import annotations

from flask_babel import gettext as _


def table_labels() -> dict[str, str]:
    """Return each table key's heading."""
    return {"by_category": _("Par catégorie"), "by_type": _("Par type"), "by_bucket": _("Par semaine ou par mois"),
            "by_age": _("Par âge"), "by_priority": _("Par priorité"), "by_group": _("Par groupe"),
            "by_provider": _("Par prestataire (OLA)"), "breached": _("Tickets hors SLA"), "by_level": _("Par niveau"),
            "open": _("Incidents critiques ouverts"), "misses": _("Hors premier contact, par raison"),
            "distribution": _("Répartition des notes"), "comments": _("Derniers commentaires"),
            "by_technician": _("Par technicien"), "articles": _("Efficacité par fiche"),
            "search_clusters": _("Recherches infructueuses qui se ressemblent"),
            "ticket_clusters": _("Tickets résolus sans fiche qui se ressemblent"),
            "clusters": _("Incidents qui se ressemblent")}


def column_labels() -> dict[str, str]:
    """Return each column key's heading."""
    return {"value": _("Valeur"), "share": _("Part"), "met": _("Tenus"), "breached": _("Dépassés"),
            "total": _("Total"), "mean": _("Moyenne"), "median": _("Médiane"), "p90": _("90e centile"),
            "count": _("Nombre"), "business_hours": _("Heures ouvrées"), "priority": _("Priorité"),
            "major": _("Majeur"), "status": _("Statut"), "requester": _("Demandeur"), "assignee": _("Assigné"),
            "followers": _("« Moi aussi »"), "comment": _("Commentaire"), "resolved": _("Résolus"),
            "replies": _("Réponses publiques")}


def row_label(table: str, row: dict) -> str:
    """Return a row's label: the reports' own keys (age buckets, reasons, statuses) in the page's language."""
    key = row.get("key")
    if table == "by_age":
        return {"lt1": _("moins d'un jour"), "1to3": _("1 à 3 jours"), "3to7": _("3 à 7 jours"),
                "7to30": _("7 à 30 jours"), "ge30": _("30 jours ou plus")}.get(key, row["label"])
    if table == "misses":
        return {"escalated": _("escaladé"), "group_changed": _("changement de groupe"), "reopened": _("rouvert"),
                "waited": _("en attente du demandeur"),
                "replies": _("plus d'une réponse publique")}.get(key, row["label"])
    return str(row["label"])

