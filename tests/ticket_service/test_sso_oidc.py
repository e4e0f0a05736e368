"""OpenID Connect sign-in against a local provider that really signs tokens: state, nonce and PKCE; forged id tokens
(wrong issuer or audience, expired, `alg: none`, another key, HS256 with the client secret) refused; identity linking."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from oidc_peer import OidcPeer
from sqlalchemy import select

from ticket_service import create_app
from ticket_service.auth.oidc import OidcConfigError
from ticket_service.store.models import Person, SsoIdentity
from tshelpers import PASSWORD, ROLES, app_config

CLAIRE = {"sub": "kc-claire-0001", "email": ROLES["employee_a"], "email_verified": True, "name": "Claire Rousseau"}


@pytest.fixture(scope="module")
def peer():
    provider = OidcPeer().start()
    yield provider
    provider.stop()


@pytest.fixture(scope="module")
def app(db_url, tmp_path_factory, peer):
    application = create_app(app_config(
        db_url, tmp_path_factory.mktemp("app"), OIDC_ISSUER=peer.issuer, OIDC_CLIENT_ID=peer.client_id,
        OIDC_CLIENT_SECRET=peer.client_secret, OIDC_PROVIDER_NAME="Keycloak de test", PUBLIC_URL="http://localhost"))
    yield application
    application.extensions["guichet_db"].dispose()


@pytest.fixture()
def as_user(peer, database):
    """Have the provider approve this user next; forget the identities linked by earlier tests."""
    def approve(user: dict, forge: str | None = None):
        peer.reset(user, forge)
    with database.write() as db:
        for row in db.scalars(select(SsoIdentity)):
            db.delete(row)
    return approve


def sso_sign_in(app, client=None, next_path: str | None = None):
    """Go through the whole flow: Guichet → the provider (a real HTTP client) → Guichet's callback."""
    client = client or app.test_client()
    start = client.get("/connexion/sso", query_string={"next": next_path} if next_path else None)
    assert start.status_code == 302, start.text
    answer = requests.get(start.headers["Location"], allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == "http://localhost/connexion/sso/retour"
    return client, client.get(f"{back.path}?{back.query}")


def whoami(client):
    response = client.get("/api/v1/me")
    return response.get_json().get("email") if response.status_code == 200 else None


def test_sign_in_page_offers_the_provider(app):
    page = app.test_client().get("/connexion")
    assert "Se connecter avec Keycloak de test" in page.text and 'name="password"' in page.text


def test_the_full_flow_signs_in_with_state_nonce_and_pkce(app, peer, as_user, database):
    as_user(CLAIRE)
    client, back = sso_sign_in(app)
    assert back.status_code == 303 and back.headers["Location"] == "/mes-demandes"
    assert whoami(client) == ROLES["employee_a"]
    asked = peer.authorize_requests[0]
    assert asked["code_challenge_method"] == "S256" and asked["state"] and asked["nonce"]
    assert "openid" in asked["scope"].split() and asked["redirect_uri"] == "http://localhost/connexion/sso/retour"
    assert peer.token_requests[0]["code_verifier"]  # the peer checked it against the challenge
    with database.reader() as db:
        link = db.scalar(select(SsoIdentity).where(SsoIdentity.subject == CLAIRE["sub"]))
        assert link.issuer == peer.issuer and db.get(Person, link.person_id).email == ROLES["employee_a"]


def test_a_linked_identity_keeps_its_person_when_the_address_changes(app, as_user):
    as_user(CLAIRE)
    sso_sign_in(app)
    as_user({**CLAIRE, "email": "claire.r@autre-domaine.test", "email_verified": False})
    client, back = sso_sign_in(app)
    assert back.status_code == 303 and whoami(client) == ROLES["employee_a"]  # the subject decides, not the e-mail


def test_next_is_kept_and_only_same_origin(app, as_user):
    as_user(CLAIRE)
    assert sso_sign_in(app, next_path="/mes-demandes?tri=recent")[1].headers["Location"] == "/mes-demandes?tri=recent"
    as_user(CLAIRE)
    assert sso_sign_in(app, next_path="//evil.test/x")[1].headers["Location"] == "/mes-demandes"


@pytest.mark.parametrize("forge", ["wrong_issuer", "wrong_audience", "expired", "alg_none", "other_key",
                                   "hs256_client_secret", "wrong_nonce", "no_nonce", "no_id_token"])
def test_a_forged_id_token_is_refused(app, peer, as_user, database, forge, caplog):
    as_user(CLAIRE, forge)
    if forge == "alg_none":
        peer.algorithms = ["RS256", "none"]  # even a provider that advertises `none` gets no unsigned token through
    client, back = sso_sign_in(app)
    assert back.status_code == 401 and "La connexion unique a échoué" in back.text
    assert whoami(client) is None
    assert "OIDC sign-in refused" in caplog.text
    with database.reader() as db:
        assert db.scalar(select(SsoIdentity).where(SsoIdentity.subject == CLAIRE["sub"])) is None


def test_a_callback_without_our_state_is_refused(app, peer, as_user):
    """Login CSRF: an attacker's own callback URL, opened in the victim's browser, signs nobody in."""
    as_user(CLAIRE)
    attacker = app.test_client()
    start = attacker.get("/connexion/sso")
    back = urlsplit(requests.get(start.headers["Location"], allow_redirects=False, timeout=5).headers["Location"])
    victim = app.test_client()
    response = victim.get(f"{back.path}?{back.query}")
    assert response.status_code == 401 and whoami(victim) is None
    code = parse_qs(back.query)["code"][0]
    tampered = attacker.get("/connexion/sso/retour", query_string={"code": code, "state": "autre"})
    assert tampered.status_code == 401 and whoami(attacker) is None


def test_a_replayed_callback_is_refused(app, as_user):
    """A stolen callback URL with a copy of the session cookie: the code was spent, the state with it."""
    as_user(CLAIRE)
    client, thief = app.test_client(), app.test_client()
    start = client.get("/connexion/sso")
    back = urlsplit(requests.get(start.headers["Location"], allow_redirects=False, timeout=5).headers["Location"])
    with client.session_transaction() as pending, thief.session_transaction() as copy:
        copy.update(pending)  # the state, nonce and PKCE verifier, copied before the callback
    assert client.get(f"{back.path}?{back.query}").status_code == 303
    assert client.get(f"{back.path}?{back.query}").status_code == 401  # the state is spent in the session
    assert thief.get(f"{back.path}?{back.query}").status_code == 401  # the code is spent at the provider
    assert whoami(thief) is None


def test_only_the_last_started_sign_in_is_pending(app, as_user):
    """Each click replaces the pending state: the session cookie stays small however often one clicks."""
    as_user(CLAIRE)
    client = app.test_client()
    first = client.get("/connexion/sso")
    for _ in range(20):
        last = client.get("/connexion/sso")
    with client.session_transaction() as session:
        assert len([k for k in session if k.startswith("_state_")]) == 1
    old = urlsplit(requests.get(first.headers["Location"], allow_redirects=False, timeout=5).headers["Location"])
    assert client.get(f"{old.path}?{old.query}").status_code == 401
    back = urlsplit(requests.get(last.headers["Location"], allow_redirects=False, timeout=5).headers["Location"])
    assert client.get(f"{back.path}?{back.query}").status_code == 303 and whoami(client) == ROLES["employee_a"]


@pytest.mark.parametrize("user", [{**CLAIRE, "sub": "x" * 256}, {**CLAIRE, "sub": "kc-\x00nul"}, {**CLAIRE, "sub": 42}])
def test_a_subject_that_cannot_be_stored_is_refused(app, as_user, user):
    as_user(user)
    client, back = sso_sign_in(app)
    assert back.status_code == 401 and whoami(client) is None


def test_an_error_from_the_provider_is_refused(app, as_user):
    as_user(CLAIRE)
    client = app.test_client()
    client.get("/connexion/sso")
    response = client.get("/connexion/sso/retour", query_string={"error": "access_denied", "state": "x"})
    assert response.status_code == 401 and whoami(client) is None


@pytest.mark.parametrize("user, message", [
    ({"sub": "kc-nobody", "email": "inconnu@ferrand-associes.fr", "email_verified": True}, "Aucun compte Guichet"),
    ({**CLAIRE, "sub": "kc-claire-unverified", "email_verified": False}, "pas vérifié votre adresse"),
    ({"sub": "kc-no-mail"}, "pas donné d"),
])
def test_no_person_is_opened_without_a_verified_known_address(app, as_user, database, user, message):
    as_user(user)
    client, back = sso_sign_in(app)
    assert back.status_code == 403 and message in back.text and whoami(client) is None
    with database.reader() as db:
        assert db.scalar(select(Person).where(Person.email == "inconnu@ferrand-associes.fr")) is None


def test_an_inactive_person_is_refused_even_once_linked(app, as_user, database):
    lucas = {"sub": "kc-lucas", "email": ROLES["employee_b"], "email_verified": True}
    as_user(lucas)
    assert sso_sign_in(app)[1].status_code == 303
    with database.write() as db:
        db.scalar(select(Person).where(Person.email == ROLES["employee_b"])).active = False
    try:
        as_user(lucas)
        client, back = sso_sign_in(app)
        assert back.status_code == 403 and "désactivé" in back.text and whoami(client) is None
    finally:
        with database.write() as db:
            db.scalar(select(Person).where(Person.email == ROLES["employee_b"])).active = True


def test_another_provider_account_with_the_same_address_does_not_take_the_person_over(app, as_user):
    as_user(CLAIRE)
    assert sso_sign_in(app)[1].status_code == 303
    as_user({**CLAIRE, "sub": "kc-recycled-address"})
    client, back = sso_sign_in(app)
    assert back.status_code == 403 and "déjà lié" in back.text and whoami(client) is None


def test_people_are_created_as_employees_only_when_allowed(app, as_user, database):
    newcomer = {"sub": "kc-new", "email": "Nouvelle.Recrue@Ferrand-Associes.fr", "email_verified": True,
                "name": "Nouvelle Recrue"}
    app.config["OIDC_CREATE_PEOPLE"] = True
    try:
        as_user(newcomer)
        client, back = sso_sign_in(app)
    finally:
        app.config["OIDC_CREATE_PEOPLE"] = False
    assert back.status_code == 303 and whoami(client) == "nouvelle.recrue@ferrand-associes.fr"
    with database.write() as db:
        person = db.scalar(select(Person).where(Person.email == "nouvelle.recrue@ferrand-associes.fr"))
        assert person.role == "employee" and person.password_hash is None and person.name == "Nouvelle Recrue"
        db.delete(person)


def test_local_passwords_can_be_turned_off(app):
    app.config["LOCAL_PASSWORDS"] = False
    try:
        client = app.test_client()
        page = client.get("/connexion")
        assert "Se connecter avec Keycloak de test" in page.text and 'name="password"' not in page.text
        token = client.get("/api/v1/session").get_json()["csrf_token"]
        api = client.post("/api/v1/session", json={"email": ROLES["n1"], "password": PASSWORD},
                          headers={"X-CSRFToken": token})
        assert api.status_code == 403 and api.get_json()["error"]["code"] == "local_passwords_off"
        assert whoami(client) is None
    finally:
        app.config["LOCAL_PASSWORDS"] = True


def test_a_discovery_document_for_another_issuer_is_refused(db_url, tmp_path, peer, as_user):
    as_user(CLAIRE)
    peer.discovery_issuer = "https://evil.test"
    other = create_app(app_config(db_url, tmp_path, OIDC_ISSUER=peer.issuer, OIDC_CLIENT_ID=peer.client_id,
                                  OIDC_CLIENT_SECRET=peer.client_secret))
    try:
        response = other.test_client().get("/connexion/sso")
        assert response.status_code == 503 and "ne répond pas" in response.text
    finally:
        other.extensions["guichet_db"].dispose()


def test_sso_pages_are_404_when_oidc_is_off(db_url, tmp_path):
    plain = create_app(app_config(db_url, tmp_path))
    try:
        client = plain.test_client()
        assert client.get("/connexion/sso").status_code == 404
        assert client.get("/connexion/sso/retour?code=x&state=y").status_code == 404
        assert "Se connecter avec" not in client.get("/connexion").text
    finally:
        plain.extensions["guichet_db"].dispose()


@pytest.mark.parametrize("settings, named", [
    ({"OIDC_CLIENT_ID": "x"}, "OIDC_CLIENT_SECRET"),
    ({"OIDC_CLIENT_SECRET": "x"}, "OIDC_CLIENT_ID"),
    ({"OIDC_ISSUER": "http://idp.example.org", "OIDC_CLIENT_ID": "x", "OIDC_CLIENT_SECRET": "y"}, "https://"),
])
def test_incomplete_settings_stop_the_start(db_url, tmp_path, settings, named):
    with pytest.raises(OidcConfigError, match=named):
        create_app(app_config(db_url, tmp_path, **{"OIDC_ISSUER": "https://idp.example.org", **settings}))
