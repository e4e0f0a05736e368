"""/admin: administrators only (every route, every role), CSRF on every form, people created, changed and
deactivated through the actions, helpdesk.yml shown read-only with its validation result."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from tshelpers import ROLES, Browser

from ticket_service.http.security_headers import PAGES_CSP
from ticket_service.store.models import Person


def admin_rules(app):
    return [(rule.rule, sorted(rule.methods - {"HEAD", "OPTIONS"})) for rule in app.url_map.iter_rules()
            if rule.rule.startswith("/admin")]


def _person(app, email) -> Person | None:
    with app.extensions["guichet_db"].reader() as session:
        return session.scalar(select(Person).where(Person.email == email))


@pytest.mark.parametrize("role", [None, "employee_a", "approver", "n1", "n3"])
def test_nobody_but_an_administrator_reaches_any_admin_route(app, browser, ids, role):
    rules = admin_rules(app)
    assert len(rules) == 10  # people (4), policies, mails (list, retry), webhooks (list, redeliver, re-enable)
    client = browser(role)
    target = ids["people"]["employee_b"]
    for rule, methods in rules:
        path = re.sub(r"<(int:)?\w+>", str(target), rule)
        for method in methods:
            form = {"role": "admin", "email": "intrus@ferrand-associes.fr", "name": "Intrus"}
            response = client.get(path) if method == "GET" else client.submit(path, form)
            assert response.status_code == (302 if role is None else 403), (role, method, path)
            assert "helpdesk.yml" not in response.text and "lucas.petit" not in response.text
    assert _person(app, "intrus@ferrand-associes.fr") is None and _person(app, ROLES["employee_b"]).role == "employee"
    if role is not None:
        assert "/admin" not in client.get("/mes-demandes").text  # no link to a page they cannot open


def test_the_administrator_sees_people_roles_groups_and_a_link_in_the_menu(app, browser):
    admin = browser("admin")
    assert 'href="/admin"' in admin.get("/desk").text
    page = admin.get("/admin")
    assert page.status_code == 200 and page.headers["Content-Security-Policy"] == PAGES_CSP
    row = page.text.split(f'id="person-{_person(app, ROLES["n1"]).id}"')[1].split("</tr>")[0]
    assert "Julie Martin" in row and "Support de proximité (N1)" in row and 'value="Informatique"' in row
    assert "se modifient par pull request" in page.text


def test_every_admin_form_needs_its_csrf_token(app, browser):
    admin = browser("admin")
    email = "sans.jeton@ferrand-associes.fr"
    create = {"email": email, "name": "Sans Jeton", "role": "employee"}
    assert admin.client.post("/admin/personnes", data=create).status_code == 400  # signed in, but no token
    assert _person(app, email) is None
    assert admin.submit("/admin/personnes", create).status_code == 303  # the same form with the page's token
    target = _person(app, email).id
    for path, form in ((f"/admin/personnes/{target}", {"role": "admin"}), (f"/admin/personnes/{target}/desactiver", {})):
        assert admin.client.post(path, data=form).status_code == 400, path
        assert admin.client.post(path, data={**form, "csrf_token": "forged"}).status_code == 400, path
    person = _person(app, email)
    assert person.role == "employee" and person.active
    assert admin.submit(f"/admin/personnes/{target}", {"role": "approver"}).status_code == 303
    assert admin.submit(f"/admin/personnes/{target}/desactiver").status_code == 303
    person = _person(app, email)
    assert person.role == "approver" and not person.active


def test_create_change_role_and_deactivate_a_person(app, browser):
    admin = browser("admin")
    email = "ines.bernard@ferrand-associes.fr"
    response = admin.submit("/admin/personnes", {"name": "Inès Bernard", "email": email.upper(), "role": "employee",
                                                 "department": "Comptabilité", "site": "Lyon",
                                                 "password": "un-mot-de-passe-long"}, follow_redirects=True)
    assert "Compte créé pour ines.bernard@ferrand-associes.fr." in response.text
    ines = _person(app, email)
    assert (ines.name, ines.role, ines.department, ines.site, ines.active) == ("Inès Bernard", "employee", "Comptabilité",
                                                                             "Lyon", True)
    assert _signs_in(app, email, "un-mot-de-passe-long")
    again = admin.submit("/admin/personnes", {"name": "Inès B.", "email": email, "role": "employee"}, follow_redirects=True)
    assert "existe déjà" in again.text
    short = admin.submit("/admin/personnes", {"name": "Paul", "email": "paul@ferrand-associes.fr", "role": "employee",
                                              "password": "court"}, follow_redirects=True)
    assert "Mot de passe trop court" in short.text and _person(app, "paul@ferrand-associes.fr") is None

    session = _signed_in(app, email, "un-mot-de-passe-long")
    admin.submit(f"/admin/personnes/{ines.id}", {"role": "technician", "department": "Informatique", "site": ""})
    ines = _person(app, email)
    assert (ines.role, ines.department, ines.site) == ("technician", "Informatique", None)
    assert session.get("/mes-demandes").status_code == 302  # a new role: signed in again
    assert _signed_in(app, email, "un-mot-de-passe-long").get("/desk").status_code == 200

    assert admin.submit(f"/admin/personnes/{ines.id}", {"role": "root"}).status_code == 303
    assert _person(app, email).role == "technician"
    assert admin.submit(f"/admin/personnes/{ines.id}/desactiver").status_code == 303
    assert _person(app, email).active is False
    assert not _signs_in(app, email, "un-mot-de-passe-long")
    assert f'id="deactivate-{ines.id}"' not in admin.get("/admin").text


def test_an_administrator_cannot_lock_the_helpdesk_out(app, browser):
    admin = browser("admin")
    nadia = _person(app, ROLES["admin"])
    page = admin.submit(f"/admin/personnes/{nadia.id}", {"role": "technician"}, follow_redirects=True)
    assert "propre rôle d&#39;administrateur" in page.text and _person(app, ROLES["admin"]).role == "admin"
    page = admin.submit(f"/admin/personnes/{nadia.id}/desactiver", follow_redirects=True)
    assert "propre compte" in page.text and _person(app, ROLES["admin"]).active
    assert admin.submit("/admin/personnes/999999/desactiver").status_code == 404


def test_helpdesk_yml_is_shown_read_only_with_its_validation(app, browser, tmp_path):
    admin = browser("admin")
    page = admin.get("/admin/politiques").text
    assert "est valide, et c'est celui que le service applique" in page
    assert "support-n1" in page and "Systèmes et réseau" in page and "Thomas Girard" in page
    assert '<form method="post"' not in page.split("</header>")[1]  # nothing to submit: the file changes by pull request
    source = app.config["HELPDESK_CONFIG"]
    broken = tmp_path / "helpdesk.yml"
    text = Path(source).read_text(encoding="utf-8")
    broken.write_text(text.replace("default_group: support-n1", "default_group: inconnu"), encoding="utf-8")
    app.config["HELPDESK_CONFIG"] = str(broken)
    try:
        page = admin.get("/admin/politiques").text
    finally:
        app.config["HELPDESK_CONFIG"] = source
    assert "ne passe plus la validation" in page and "default_group" in page.split('id="policy-problem"')[1]


def _signed_in(app, email: str, password: str) -> Browser:
    client = Browser(app)
    response = client.submit("/connexion", {"email": email, "password": password})
    assert response.status_code == 303, response.text
    return client


def _signs_in(app, email: str, password: str) -> bool:
    client = Browser(app)
    return client.submit("/connexion", {"email": email, "password": password}).status_code == 303

