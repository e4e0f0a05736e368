"""The request form without JavaScript: a server-rendered page posting form-encoded data, CSRF enforced.

The static site cannot embed a CSRF token, so the site page's ``<noscript>`` links here; this page carries the
session's token in a hidden field and the app-wide CSRF check (auth.py) refuses any POST without it.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import date, timedelta

from flask import Blueprint, redirect, render_template_string, request
from flask_babel import format_date, format_number
from flask_wtf.csrf import generate_csrf

from ticket_service.actions import tickets as actions
from ticket_service.actions.unit import rollback
from ticket_service.auth.identity import authenticate, current_user, sign_in
from ticket_service.domain.catalogue import answers_shown, today_for
from ticket_service.domain.errors import DomainError
from ticket_service.domain.policies import CatalogueItem
from ticket_service.http.errors import status_of
from ticket_service.http.ticket_fields import create_fields
from ticket_service.http.validation import check_text, validate
from ticket_service.runtime import get_ctx, get_session

bp = Blueprint("help_form", __name__)


class _FormChoices(Mapping):
    """One choice of the form, id → employee-facing label, read from helpdesk.yml's ``form_labels`` on each use."""

    def __init__(self, section: str):
        self.section = section

    def _labels(self) -> dict[str, str]:
        return getattr(get_ctx().policies.form_labels, self.section)

    def __getitem__(self, key):
        return self._labels()[key]

    def __iter__(self):
        return iter(self._labels())

    def __len__(self):
        return len(self._labels())


# Mappings rather than dicts so that a changed helpdesk.yml (tests, another company) is what the page shows.
URGENCY = _FormChoices("urgency")
IMPACT = _FormChoices("impact")
TYPES = _FormChoices("request_types")

PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demander de l'aide — Guichet</title></head>
<body><main>
<p><a href="/">← Retour au site d'aide</a></p>
{% if ticket %}
  <h1>Demande n° {{ ticket.id }} créée</h1>
  {% if ticket.status == 'awaiting_approval' %}<p>Elle attend d'abord la validation de
    {{ ngettext("%(num)s valideur désigné", "%(num)s valideurs désignés", item.quorum, num=item.quorum) }} ; vous êtes prévenu de la décision.</p>{% endif %}
  <p>Un technicien vous répond au plus tard le <strong>{{ due }}</strong> (priorité {{ ticket.priority }}).</p>
  <p><a href="/mes-demandes/{{ ticket.id }}">Suivre ma demande</a></p>
{% else %}
  <h1>Demander de l'aide</h1>
  {% if message %}<p role="alert"><strong>{{ message }}</strong></p>{% endif %}
  {% if item %}
    <h2>{{ item.label }}</h2>
    <p>{{ item.description }}{% if item.type == 'access_request' %} Cette demande d'accès est d'abord validée
      ({{ ngettext("%(num)s validation", "%(num)s validations", item.quorum, num=item.quorum) }}).{% endif %}</p>
    <p><a href="/aide/formulaire">Choisir une autre demande</a></p>
  {% else %}
    <form method="get" action="/aide/formulaire">
      <fieldset><legend>{{ service_label }} : choisissez dans le catalogue</legend>
      {% for entry in catalogue %}
        <label><input type="radio" name="item" value="{{ entry.id }}"> <strong>{{ entry.label }}</strong> — {{ entry.description }}</label><br>
      {% endfor %}
      </fieldset>
      <input type="hidden" name="titre" value="{{ values.title }}">
      <p><button type="submit">Continuer avec cette demande</button></p>
    </form>
    <p>Sinon, décrivez votre demande ci-dessous.</p>
  {% endif %}
  <form method="post" action="/aide/formulaire">
    <input type="hidden" name="csrf_token" value="{{ csrf }}">
    <input type="hidden" name="form_key" value="{{ form_key }}">
    {% if item %}<input type="hidden" name="catalogue_item" value="{{ item.id }}"><input type="hidden" name="type" value="{{ item.type }}">{% endif %}
    {% if not user %}
      <fieldset><legend>Connectez-vous pour envoyer la demande</legend>
        <p><label for="email">Adresse e-mail</label><br><input id="email" name="email" type="email" autocomplete="username" required value="{{ values.email }}"></p>
        <p><label for="password">Mot de passe</label><br><input id="password" name="password" type="password" autocomplete="current-password" required></p>
      </fieldset>
    {% else %}<p>Connecté en tant que {{ user.name }}.</p>{% endif %}
    <p><label for="title">{{ 'En une ligne' if item else 'Quel est le problème ? (une ligne)' }}</label>{% if errors.title %} <em>{{ errors.title }}</em>{% endif %}<br>
       <input id="title" name="title" maxlength="200" required value="{{ values.title }}" size="60"></p>
    {% for f in (item.fields if item else []) %}
      {% set name = 'item.' ~ f.id %}{% set error = errors['item_fields.' ~ f.id] %}{% set value = values.get(name, '') %}
      {% if f.type == 'choice' %}
        <fieldset id="field-{{ f.id }}"><legend>{{ f.label }}{% if f.required %} (obligatoire){% endif %}</legend>{% if error %} <em>{{ error }}</em>{% endif %}
        {% if f.help %}<small>{{ f.help }}</small><br>{% endif %}
        {% for option, label in f.options.items() %}
          <label><input type="radio" name="{{ name }}" value="{{ option }}" {% if value == option %}checked{% endif %}{% if f.required %} required{% endif %}> {{ label }}</label><br>
        {% endfor %}</fieldset>
      {% else %}
        <p id="field-{{ f.id }}"><label for="if-{{ f.id }}">{{ f.label }}{% if f.required %} (obligatoire){% endif %}</label>{% if error %} <em>{{ error }}</em>{% endif %}<br>
        {% if f.type == 'textarea' %}<textarea id="if-{{ f.id }}" name="{{ name }}" rows="4" cols="60" maxlength="{{ f.max_length }}"{% if f.required %} required{% endif %}>{{ value }}</textarea>
        {% else %}<input id="if-{{ f.id }}" name="{{ name }}" value="{{ value }}"
          type="{{ {'number': 'number', 'date': 'date', 'email': 'email'}.get(f.type, 'text') }}"
          {% if f.max_length %} maxlength="{{ f.max_length }}" size="60"{% endif %}{% if f.minimum is not none %} min="{{ f.minimum }}"{% endif %}{% if f.maximum is not none %} max="{{ f.maximum }}"{% endif %}{% if f.min_days is not none %} min="{{ earliest(f) }}"{% endif %}{% if f.required %} required{% endif %}>{% endif %}
        {% if f.help %}<br><small>{{ f.help }}</small>{% endif %}</p>
      {% endif %}
    {% endfor %}
    <p><label for="description">{{ 'Détails (facultatif)' if item else "Détails : message d'erreur, ce que vous avez essayé" }}</label>{% if errors.description %} <em>{{ errors.description }}</em>{% endif %}<br>
       <textarea id="description" name="description" rows="6" cols="60"{% if not item %} required{% endif %}>{{ values.description }}</textarea></p>
    {% for name, legend, choices in groups %}
      <fieldset><legend>{{ legend }}</legend>
      {% for value, label in choices.items() %}
        <label><input type="radio" name="{{ name }}" value="{{ value }}" {% if values[name] == value %}checked{% endif %}> {{ label }}</label><br>
      {% endfor %}</fieldset>
    {% endfor %}
    <p><button type="submit">Créer la demande</button></p>
  </form>
{% endif %}
</main></body></html>"""

CREATE = ("title", "description", "type", "impact", "urgency", "catalogue_item")


def _render(status: int = 200, item: CatalogueItem | None = None, **context):
    """Render the form (or the created ticket) with the choices' labels of helpdesk.yml and the chosen item's fields."""
    policies = get_ctx().policies
    types = dict(TYPES)
    values = {"title": "", "description": "", "type": next(iter(types)), "impact": "low", "urgency": "medium",
              "email": "", **context.pop("values", {})}
    groups = [("urgency", "Est-ce urgent pour vous ?", dict(URGENCY)), ("impact", "Qui est touché ?", dict(IMPACT))]
    if item is not None and item.priority:
        groups = []  # the item fixes its priority: urgency and impact would decide nothing
    if item is None:
        groups.insert(0, ("type", "Type de demande", types))
    today = today_for(policies, get_ctx().clock.now())
    body = render_template_string(
        PAGE, csrf=generate_csrf(), form_key=secrets.token_urlsafe(16), user=current_user(), values=values,
        groups=groups, errors=context.pop("errors", {}), item=item, catalogue=list(policies.catalogue.values()),
        service_label=types.get("service_request", "Demande de service"),
        earliest=lambda f: (today + timedelta(days=f.min_days)).isoformat(), **context)
    return body, status, {"Cache-Control": "no-store", "Content-Security-Policy":
                          "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                          "base-uri 'none'; frame-ancestors 'none'"}


@bp.get("/aide")
def help_page():
    """Send ``/aide`` (the short address articles and mails give, ``?item=…`` included) to the site's help page."""
    query = request.query_string.decode("latin-1")
    return redirect("/demander-de-l-aide/" + (f"?{query}" if query else ""), 302)


@bp.get("/aide/formulaire")
def form():
    """Show the form (with the sign-in fields when nobody is signed in); ``?item=`` shows that item's fields."""
    values = {"title": request.args.get("titre", "")[:200]}
    chosen = request.args.get("item")
    if chosen is None:
        return _render(values=values)
    item = get_ctx().policies.catalogue.get(chosen)
    if item is None:
        return _render(404, values=values, message="Cette demande n'existe pas dans le catalogue : choisissez-en une "
                                                   "ci-dessous.")
    return _render(item=item, values={"title": values["title"] or item.label})


@bp.post("/aide/formulaire")
def submit():
    """Create the ticket from form-encoded fields (CSRF already checked by auth.init_app's hook)."""
    fields = {k: request.form.get(k, "") for k in CREATE}
    answers = {k[len("item."):]: v for k, v in request.form.items() if k.startswith("item.")}
    values = {**fields, "email": request.form.get("email", "")[:254],
              **{f"item.{k}": v for k, v in answers.items()}}
    db, ctx = get_session(), get_ctx()
    item = ctx.policies.catalogue.get(fields["catalogue_item"])
    try:
        for value in (*fields.values(), *answers, *answers.values()):  # the API's text rule: no NUL, no lone surrogate
            check_text(value)
        user = current_user()
        if user is None:
            user = authenticate(values["email"], request.form.get("password", "")[:1024])
            sign_in(user)
        data = {k: v for k, v in fields.items() if v != "" or k in ("title", "description")}
        if data.get("type") not in TYPES and item is None:
            data.pop("type", None)
        if item is not None:
            data["item_fields"] = {k: v for k, v in answers.items() if v.strip()}
            if not data["description"].strip():  # an item's fields say what is asked: the details may stay empty
                data["description"] = data["title"]
        checked = validate(data, create_fields(False))
        key = request.form.get("form_key", "")
        # a double click or a resent form replays the same ticket (one idempotent create for every door)
        created = actions.create_ticket(db, ctx, user, checked, key=key if 8 <= len(key) <= 100 else None,
                                        channel="form")
    except DomainError as exc:
        rollback(db)
        return _render(status_of(exc), item=item, values=values, message=exc.message, errors=exc.fields)
    return _done(created.ticket)


def _done(ticket):
    """Show the created ticket with its first-response due date in the organisation's time zone."""
    due = ticket.first_response_due
    policies = get_ctx().policies
    return _render(201, ticket=ticket, item=policies.catalogue.get(ticket.catalogue_item or ""),
                   due=due.astimezone(policies.organisation.zone).strftime("%d/%m/%Y à %H h %M") if due else "—")


@bp.app_template_global()
def item_answers(ticket) -> list[tuple[str, str]]:
    """Return a ticket's answers to its catalogue item's fields as (label, text) for the desk and the portal."""
    shown = []
    for label, value in answers_shown(get_ctx().policies, ticket.catalogue_item, ticket.item_fields):
        if isinstance(value, date):
            value = format_date(value, "long")
        elif isinstance(value, int) and not isinstance(value, bool):
            value = format_number(value)
        shown.append((label, str(value)))
    return shown
