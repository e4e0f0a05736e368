"""The monthly summary mail: last month's key figures, each beside the month before, and a link to the dashboard."""

from __future__ import annotations

from datetime import date
from email.utils import parseaddr
from urllib.parse import urlencode

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from jinja2 import Environment
from sqlalchemy.orm import Session

from ticket_service.notify.compose import Mail, Setting
from ticket_service.store.models import Person

NOTIFICATION = "monthly_summary"
EVENT = "reports.monthly_summary"
LABELS = {
    "fr": {"sla.first_response": "Première réponse dans le SLA", "sla.resolution": "Résolution dans le SLA",
           "mttr.mean": "Temps moyen de résolution", "mttr.median": "Temps médian de résolution",
           "fcr.rate": "Résolution au premier contact", "csat.average": "Satisfaction moyenne",
           "volume.created": "Tickets créés", "backlog.open": "Tickets ouverts en fin de mois",
           "deflection.deflection_rate": "Taux d'évitement",
           "search_clusters": "recherches infructueuses", "ticket_clusters": "tickets résolus sans fiche"},
    "en": {"sla.first_response": "First response within SLA", "sla.resolution": "Resolution within SLA",
           "mttr.mean": "Mean time to resolve", "mttr.median": "Median time to resolve",
           "fcr.rate": "First-contact resolution", "csat.average": "Average satisfaction",
           "volume.created": "Tickets created", "backlog.open": "Open tickets at month end",
           "deflection.deflection_rate": "Deflection rate",
           "search_clusters": "unsuccessful searches", "ticket_clusters": "tickets resolved without a fiche"},
}
LOCALES = {"fr": "fr_FR", "en": "en_GB"}


def shown(value, unit: str, lang: str) -> str:
    """Return a figure as the reader's language writes it (« 61,4 % », « 5,5 h ouvrées », « 3,5 / 5 »)."""
    locale = LOCALES.get(lang, lang)
    if value is None:
        return "—"
    if unit == "share":
        return format_percent(value, "#,##0.0 %" if lang == "fr" else "#,##0.0%", locale=locale)
    if unit == "business_hours":
        return format_decimal(value, "#,##0.#", locale=locale) + (" h ouvrées" if lang == "fr" else " business hours")
    if unit == "rating":
        return format_decimal(value, "#,##0.#", locale=locale) + " / 5"
    return format_decimal(value, "#,##0.##", locale=locale)


def dashboard_link(setting: Setting, period: dict) -> str:
    """Return the dashboard for the month summarised (its days given, so the link still shows it next month)."""
    query = urlencode({"period": "custom", "since": period["first_day"], "until": period["last_day"]})
    return f"{setting.public_url.rstrip('/')}/pilotage?{query}"


def values(summary: dict, lang: str) -> dict:
    """Return what the templates show: the month's name, each figure's row, the top knowledge gaps, the link."""
    labels = LABELS.get(lang, LABELS["fr"])
    locale = LOCALES.get(lang, lang)
    month = format_date(date.fromisoformat(summary["period"]["first_day"]), "MMMM y", locale=locale)
    previous = summary.get("previous_period") or {}
    before = format_date(date.fromisoformat(previous["first_day"]), "MMMM y", locale=locale) if previous else ""
    rows = [{"label": labels[f["key"]], "value": shown(f["value"], f["unit"], lang),
             "previous": shown(f["previous"], f["unit"], lang)} for f in summary["figures"]]
    gaps = [{"label": g["label"], "count": g["value"], "kind": labels[g["kind"]]} for g in summary["gaps"]]
    return {"month": month, "previous_month": before, "rows": rows, "gaps": gaps}


def summary_mails(db: Session, setting: Setting, env: Environment, event_id: int, name: str,
                  payload: dict) -> list[Mail]:
    """Return the summary mail of a reports.monthly_summary event to each of its readers still active."""
    if name != EVENT or not payload.get("summary"):
        return []
    lang, domain = setting.language, setting.smtp.domain
    shown_values = {**values(payload["summary"], lang), "lang": lang,
                    "link": dashboard_link(setting, payload["summary"]["period"])}
    mails = []
    for person in (db.get(Person, int(i)) for i in payload.get("recipients") or ()):
        if person is None or not person.active:
            continue
        data = {**shown_values, "person": person}
        subject = " ".join(env.get_template(f"{lang}/{NOTIFICATION}.subject.txt").render(data).split())
        mails.append(Mail(NOTIFICATION, person.name, person.email, subject,
                          env.get_template(f"{lang}/{NOTIFICATION}.txt").render(data),
                          env.get_template(f"{lang}/{NOTIFICATION}.html").render(data),
                          f"<guichet.{event_id}.{NOTIFICATION}.{person.id}@{domain}>",
                          f"<guichet.reports.{payload['month']}@{domain}>", parseaddr(setting.smtp.sender)[1]))
    return mails
