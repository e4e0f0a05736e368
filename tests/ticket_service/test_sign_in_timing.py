"""Sign-in answers and works the same for an unknown e-mail and a wrong password, at every door (no wall clock:
the hash work is counted; benchmarks/sign_in_timing.py measures the time)."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from ticket_service.auth import identity
from ticket_service.store.models import Person
from tshelpers import FAST_HASH, PASSWORD, ROLES, Api

HIDDEN = re.compile(r'(name="(?:csrf_token|form_key)" value=")[^"]+')
KNOWN = ROLES["employee_b"]


@pytest.fixture()
def hashing(monkeypatch):
    """Record the method of every hash checked and every hash generated while signing in."""
    work = {"checked": [], "generated": []}
    check, generate = identity.check_password_hash, identity.generate_password_hash

    def spy_check(pwhash, password):
        work["checked"].append(pwhash.split("$", 1)[0])
        return check(pwhash, password)

    def spy_generate(password, method, **kw):
        work["generated"].append(method)
        return generate(password, method=method, **kw)

    monkeypatch.setattr(identity, "check_password_hash", spy_check)
    monkeypatch.setattr(identity, "generate_password_hash", spy_generate)
    return work


def stored_method(app, email: str) -> str:
    with app.extensions["guichet_db"].reader() as db:
        return db.scalar(select(Person.password_hash).where(Person.email == email)).split("$", 1)[0]


def via_api(app, email: str, password: str):
    response = Api(app).post("/api/v1/session", json={"email": email, "password": password})
    return response.status_code, response.get_json()


def via_page(app, email: str, password: str):
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/connexion").text).group(1)
    response = client.post("/connexion", data={"email": email, "password": password, "csrf_token": token})
    return response.status_code, HIDDEN.sub(r"\1…", response.text.replace(email, "EMAIL"))


def via_nojs_form(app, email: str, password: str):
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/aide/formulaire").text).group(1)
    response = client.post("/aide/formulaire", data={
        "email": email, "password": password, "csrf_token": token, "form_key": "cle-de-formulaire-1",
        "title": "Écran noir", "description": "Le poste reste sur un écran noir."})
    return response.status_code, HIDDEN.sub(r"\1…", response.text.replace(email, "EMAIL"))


DOORS = {"api": via_api, "page": via_page, "nojs_form": via_nojs_form}


@pytest.mark.parametrize("door", DOORS)
def test_unknown_email_and_wrong_password_get_the_same_answer_and_the_same_hash_work(app, hashing, door):
    sign_in = DOORS[door]
    unknown = sign_in(app, f"personne-{uuid.uuid4().hex[:8]}@ferrand-associes.fr", "mauvais-mot-de-passe")
    unknown_work = {k: list(v) for k, v in hashing.items()}
    for calls in hashing.values():
        calls.clear()
    known = sign_in(app, KNOWN, "mauvais-mot-de-passe")
    assert unknown[0] == known[0] == 401
    assert unknown[1] == known[1]  # the same body, once the typed e-mail and the per-page tokens are set aside
    assert "incorrect" in str(known[1])
    # one check each, of a hash made with the same method and parameters as the account's; nothing generated
    assert unknown_work == {"checked": [stored_method(app, KNOWN)], "generated": []}
    assert hashing == unknown_work


def test_the_unknown_account_hash_is_made_once_when_the_app_starts(app, hashing):
    dummy = app.extensions["guichet_dummy_hash"]
    assert dummy.split("$", 1)[0] == generate_password_hash("x", method=FAST_HASH).split("$", 1)[0]
    for n in range(3):
        via_api(app, f"inconnu-{n}-{uuid.uuid4().hex[:6]}@ferrand-associes.fr", "mauvais")
    assert hashing["generated"] == [] and len(hashing["checked"]) == 3
    assert app.extensions["guichet_dummy_hash"] == dummy


def test_a_hash_made_with_another_method_is_renewed_at_the_next_sign_in(app, hashing):
    email = ROLES["approver_2"]
    legacy = "pbkdf2:sha256:1500"  # as if PASSWORD_HASH_METHOD had changed since the account was made
    with app.extensions["guichet_db"].write() as db:
        db.scalar(select(Person).where(Person.email == email)).password_hash = generate_password_hash(PASSWORD, legacy)
    assert via_api(app, email, "mauvais")[0] == 401
    assert hashing["checked"] == [legacy] and hashing["generated"] == []  # a failure renews nothing
    assert via_api(app, email, PASSWORD)[0] == 200
    assert hashing["generated"] == [FAST_HASH]
    assert stored_method(app, email) == app.extensions["guichet_dummy_hash"].split("$", 1)[0]
    hashing["checked"].clear()
    assert via_api(app, email, "mauvais")[0] == 401
    assert via_api(app, f"x-{uuid.uuid4().hex[:8]}@ferrand-associes.fr", "mauvais")[0] == 401
    assert hashing["checked"][0] == hashing["checked"][1]
    assert via_api(app, email, PASSWORD)[0] == 200  # and the renewed hash holds the same password


def test_a_nul_in_the_credentials_is_refused_before_any_lookup(app, hashing):
    # The API's JSON reader refuses it already; the page and the no-JS form reach authenticate with it.
    for door in (via_page, via_nojs_form):
        assert door(app, KNOWN + "\x00", PASSWORD)[0] == 400
        assert door(app, KNOWN, PASSWORD + "\x00")[0] == 400
    assert hashing == {"checked": [], "generated": []}
