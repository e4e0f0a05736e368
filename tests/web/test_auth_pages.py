"""Sign-in and sign-out pages: demo accounts only in demo mode, same-origin redirects only (A-09), CSRF, sessions,
SSO."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from web_fixtures import Browser
from tshelpers import PASSWORD, ROLES

from ticket_service.http.web.common import safe_next

EVIL_NEXT = ["//evil.com", "/\\evil.com", "\\\\evil.com", "https://evil.com/", "http:evil.com", "https:evil.com",
             "javascript:alert(1)", "%2F%2Fevil.com", "/\r\nSet-Cookie: x=1", "/ /evil.com", "//evil.com/mes-demandes",
             "http://helpdesk.example.evil.test", " /mes-demandes", "/\t/evil.com", "data:text/html,x"]


def test_sign_in_page_is_french_with_demo_accounts_in_demo_mode(browser):
    page = browser().get("/connexion")
    assert page.status_code == 200
    assert '<html lang="fr">' in page.text and "Se connecter" in page.text
    assert "Comptes de démonstration" in page.text and ROLES["n1"] in page.text


def test_demo_accounts_are_hidden_outside_demo_mode(app):
    app.config["DEMO_MODE"] = False
    try:
        page = app.test_client().get("/connexion")
        assert "Comptes de démonstration" not in page.text and ROLES["n1"] not in page.text
        assert app.config["DEMO_PASSWORD"] not in page.text
    finally:
        app.config["DEMO_MODE"] = True


@pytest.mark.parametrize("role, home", [("employee_a", "/mes-demandes"), ("n1", "/desk"), ("approver", "/mes-demandes")])
def test_each_role_lands_on_its_home(app, role, home):
    client = Browser(app)
    response = client.submit("/connexion", {"email": ROLES[role], "password": PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == home


def test_wrong_password_and_unknown_account_get_the_same_answer(app):
    client = Browser(app)
    wrong = client.submit("/connexion", {"email": ROLES["employee_a"], "password": "nope"})
    unknown = client.submit("/connexion", {"email": "personne@example.com", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert "Adresse e-mail ou mot de passe incorrect." in wrong.text and "Adresse e-mail ou mot de passe incorrect." in unknown.text


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_sign_in_never_redirects_off_site(app, target):
    client = Browser(app)
    response = client.submit("/connexion?next=" + quote(target, safe=""),
                             {"email": ROLES["employee_a"], "password": PASSWORD, "next": target})
    location = response.headers["Location"]
    assert location == "/mes-demandes", location


def test_sign_in_follows_a_same_origin_next_and_the_form_keeps_it(app):
    client = Browser(app)
    first = client.get("/mes-demandes/1")
    assert first.status_code == 302 and first.headers["Location"].startswith("/connexion?next=")
    page = client.get(first.headers["Location"])
    assert 'name="next" value="/mes-demandes/1"' in page.text
    response = client.submit("/connexion", {"email": ROLES["employee_a"], "password": PASSWORD, "next": "/mes-demandes/1"})
    assert response.headers["Location"] == "/mes-demandes/1"


def test_already_signed_in_visitor_is_sent_home_not_elsewhere(browser):
    response = browser("employee_a").get("/connexion?next=//evil.com")
    assert response.status_code == 302 and response.headers["Location"] == "/mes-demandes"


def test_post_without_csrf_token_is_refused(app, browser):
    client = Browser(app)
    response = client.client.post("/connexion", data={"email": ROLES["employee_a"], "password": PASSWORD})
    assert response.status_code == 400 and "formulaire a expiré" in response.text
    assert client.get("/mes-demandes").status_code == 302  # not signed in


def test_sign_out_ends_the_session_and_the_old_cookie(app):
    client = Browser(app, "employee_b")
    cookie = client.client.get_cookie("__Host-guichet")
    assert client.get("/mes-demandes").status_code == 200
    response = client.submit("/deconnexion")
    assert response.status_code == 303 and response.headers["Location"] == "/connexion"
    replay = app.test_client()
    replay.set_cookie(cookie.key, cookie.value)
    assert replay.get("/mes-demandes").status_code == 302  # the epoch was bumped: the stolen cookie is dead


def test_sign_out_is_post_only(browser):
    client = browser("employee_a")
    assert client.get("/deconnexion").status_code in (404, 405, 503)  # a GET (link, image) never signs out
    assert client.get("/mes-demandes").status_code == 200


def test_sso_header_is_ignored_unless_configured_and_from_a_trusted_proxy(app):
    client = app.test_client()
    headers = {"X-Remote-Email": ROLES["n1"]}
    assert client.get("/desk", headers=headers).status_code == 302  # SSO off
    app.config.update(SSO_HEADER="X-Remote-Email", SSO_TRUSTED_PROXIES="10.0.0.1")
    try:
        assert client.get("/desk", headers=headers).status_code == 302  # not from the proxy
        trusted = client.get("/desk", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.1"})
        assert trusted.status_code == 200 and "Bureau des techniciens" in trusted.text
        page = client.get("/connexion", environ_base={"REMOTE_ADDR": "10.0.0.9"})
        assert "authentification unique" in page.text
    finally:
        app.config.update(SSO_HEADER=None, SSO_TRUSTED_PROXIES="")


def test_another_sessions_token_is_refused_and_nothing_changes(app, ids):
    victim, attacker = Browser(app, "employee_a"), Browser(app, "employee_b")
    ticket = ids["tickets"][7]  # Claire's open service request
    forged = victim.client.post(f"/mes-demandes/{ticket}/repondre", data={"body": "forgé", "csrf_token": attacker.token()})
    assert forged.status_code == 400
    missing = victim.client.post(f"/mes-demandes/{ticket}/repondre", data={"body": "forgé"})
    assert missing.status_code == 400
    assert "forgé" not in victim.get(f"/mes-demandes/{ticket}").text


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list("/\\:.@%?#&=aZ09 \t\r\nj-") + ["//", "http", "javascript:", "\u3002", "\uff0f"]),
                max_size=12).map("".join))
def test_safe_next_only_ever_returns_a_local_path(value):
    result = safe_next(value, "/home")
    parts = urlsplit(result)
    assert result == "/home" or (result.startswith("/") and not result.startswith("//") and "\\" not in result)
    assert not parts.scheme and not parts.netloc
    assert not any(ch in result for ch in "\r\n\t ")
