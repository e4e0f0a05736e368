"""The request form without JavaScript: a server-rendered page posting form-encoded data, CSRF enforced.

The static site cannot embed a CSRF token, so the site page's ``<noscript>`` links here; this page carries the
session's token in a hidden field and the app-wide CSRF check (auth.py) refuses any POST without it.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from flask import Blueprint, render_template_string, request
from flask_wtf.csrf import generate_csrf

from ticket_service.actions import tickets as actions
from ticket_service.actions.unit import rollback
from ticket_service.auth.identity import authenticate, current_user, sign_in
from ticket_service.domain.errors import DomainError
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
  <p>Un technicien vous répond au plus tard le <strong>{{ due }}</strong> (priorité {{ ticket.priority }}).</p>
  <p><a href="/mes-demandes/{{ ticket.id }}">Suivre ma demande</a></p>
{% else %}
  <h1>Demander de l'aide</h1>
  {% if message %}<p role="alert"><strong>{{ message }}</strong></p>{% endif %}
  <form method="post" action="/aide/formulaire">
    <input type="hidden" name="csrf_token" value="{{ csrf }}">
    <input type="hidden" name="form_key" value="{{ form_key }}">
    {% if not user %}
      <fieldset><legend>Connectez-vous pour envoyer la demande</legend>
        <p><label for="email">Adresse e-mail</label><br><input id="email" name="email" type="email" autocomplete="username" required value="{{ values.email }}"></p>
        <p><label for="password">Mot de passe</label><br><input id="password" name="password" type="password" autocomplete="current-password" required></p>
      </fieldset>
    {% else %}<p>Connecté en tant que {{ user.name }}.</p>{% endif %}
    <p><label for="title">Quel est le problème ? (une ligne)</label>{% if errors.title %} <em>{{ errors.title }}</em>{% endif %}<br>
       <input id="title" name="title" maxlength="200" required value="{{ values.title }}" size="60"></p>
    <p><label for="description">Détails : message d'erreur, ce que vous avez essayé</label>{% if errors.description %} <em>{{ errors.description }}</em>{% endif %}<br>
       <textarea id="description" name="description" rows="6" cols="60" required>{{ values.description }}</textarea></p>
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


def _render(status: int = 200, **context):
    """Render the form (or the created ticket) with the choices' labels of helpdesk.yml."""
    types = dict(TYPES)
    values = {"title": "", "description": "", "type": next(iter(types)), "impact": "low", "urgency": "medium",
              "email": "", **context.pop("values", {})}
    groups = [("type", "Type de demande", types), ("urgency", "Est-ce urgent pour vous ?", dict(URGENCY)),
              ("impact", "Qui est touché ?", dict(IMPACT))]
    body = render_template_string(PAGE, csrf=generate_csrf(), form_key=secrets.token_urlsafe(16), user=current_user(),
                                  values=values, groups=groups, errors=context.pop("errors", {}), **context)
    return body, status, {"Cache-Control": "no-store", "Content-Security-Policy":
                          "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                          "base-uri 'none'; frame-ancestors 'none'"}


@bp.get("/aide/formulaire")
def form():
    """Show the form (with the sign-in fields when nobody is signed in)."""
    return _render(values={"title": request.args.get("titre", "")[:200]})


@bp.post("/aide/formulaire")
def submit():
    """Create the ticket from form-encoded fields (CSRF already checked by auth.init_app's hook)."""
    fields = {k: request.form.get(k, "") for k in ("title", "description", "type", "impact", "urgency")}
    values = {**fields, "email": request.form.get("email", "")[:254]}
    db, ctx = get_session(), get_ctx()
    try:
        for value in fields.values():  # the API's text rule: NUL and lone surrogates are refused, never stored
            check_text(value)
        user = current_user()
        if user is None:
            user = authenticate(values["email"], request.form.get("password", "")[:1024])
            sign_in(user)
        data = {k: v for k, v in fields.items() if v != "" or k in ("title", "description")}
        if data.get("type") not in TYPES:
            data.pop("type", None)
        checked = validate(data, create_fields(False))
        key = request.form.get("form_key", "")
        # a double click or a resent form replays the same ticket (one idempotent create for every door)
        created = actions.create_ticket(db, ctx, user, checked, key=key if 8 <= len(key) <= 100 else None,
                                        channel="form")
    except DomainError as exc:
        rollback(db)
        return _render(status_of(exc), values=values, message=exc.message, errors=exc.fields)
    ticket = created.ticket
    return _done(ticket)


def _done(ticket):
    """Show the created ticket with its first-response due date in the organisation's time zone."""
    due = ticket.first_response_due
    zone = get_ctx().policies.organisation.zone
    return _render(201, ticket=ticket, due=due.astimezone(zone).strftime("%d/%m/%Y à %H h %M") if due else "—")
