"""Who is calling: session cookie, API token or trusted-header SSO; sign-in with rate limiting; CSRF."""

from __future__ import annotations

import hashlib
import secrets

from flask import Flask, current_app, g, request, session
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ticket_service.actions import people
from ticket_service.auth.rate_limit import shared_limits
from ticket_service.domain.vocabulary import STAFF_ROLES
from ticket_service.http.errors import ApiError
from ticket_service.http.proxy import direct_peer
from ticket_service.http.validation import check_text
from ticket_service.runtime import get_session
from ticket_service.store.models import ApiToken, Person

csrf = CSRFProtect()
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def init_app(app: Flask) -> None:
    """Harden the session cookie, enable CSRF for every browser write, and resolve the caller per request."""
    secure = bool(app.config["COOKIE_SECURE"])
    app.config.update(
        SESSION_COOKIE_NAME="__Host-guichet" if secure else "guichet",
        SESSION_COOKIE_SECURE=secure, SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_CHECK_DEFAULT=False,  # checked below, for every write not made with an API token
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    )
    csrf.init_app(app)
    # Made once, here: an unknown e-mail must cost one hash check, exactly like a known one with a wrong password.
    app.extensions["guichet_dummy_hash"] = generate_password_hash(
        secrets.token_hex(16), method=app.config["PASSWORD_HASH_METHOD"])

    @app.before_request
    def _csrf_for_browser_writes():
        if request.method in _UNSAFE and not _bearer():
            if None in request.form or None in request.files:
                # A multipart part without a readable name: Flask-WTF's token lookup would crash on it (500).
                raise ApiError(400, "unknown_fields", "Partie de formulaire sans nom.", {"form": "champ sans nom"})
            csrf.protect()


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def current_user() -> Person | None:
    """Return the signed-in person (None when anonymous); 401 for a bad API token."""
    if "user" in g:
        return g.user
    db = get_session()
    user, method = None, None
    token = _bearer()
    if token is not None:
        row = db.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token), ApiToken.revoked.is_(False)))
        user = db.get(Person, row.person_id) if row else None
        if user is None or not user.active:
            raise ApiError(401, "invalid_token", "Jeton d'API invalide ou révoqué.")
        method = "token"
    elif _sso_email() is not None:
        user = db.scalar(select(Person).where(func.lower(Person.email) == _sso_email()))
        user, method = (user if user is not None and user.active else None), "sso"
    elif "uid" in session:
        user = db.get(Person, session["uid"])
        # A bumped epoch (logout, disable, password change) ends every older session at once.
        if user is None or not user.active or session.get("epoch") != user.session_epoch:
            session.clear()
            user = None
        method = "session" if user else None
    g.user, g.auth_method = user, method
    return user


def _sso_email() -> str | None:
    """Return the trusted header's e-mail, only when SSO is on and the peer is a configured proxy."""
    header = current_app.config.get("SSO_HEADER")
    if not header:
        return None
    proxies = current_app.config.get("SSO_TRUSTED_PROXIES") or ()
    if isinstance(proxies, str):
        proxies = [p.strip() for p in proxies.split(",") if p.strip()]
    # The peer that sends the header must be the proxy itself: with PROXY_COUNT, remote_addr is the client.
    if direct_peer() not in proxies:
        return None
    value = request.headers.get(header, "").strip().lower()
    return value or None


def role_of(user: Person | None) -> str:
    return user.role if user is not None else "anonymous"


def is_staff(user: Person | None) -> bool:
    return user is not None and user.role in STAFF_ROLES


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def _method_of(password_hash: str) -> str:
    """Return a stored hash's method with its parameters (« scrypt:32768:8:1 »): what one check of it costs."""
    return password_hash.split("$", 1)[0]


def authenticate(email: str, password: str) -> Person:
    """Check credentials; the same error (and one hash check of the same cost) whether or not the account exists."""
    check_text(email), check_text(password)  # a NUL cannot be a query parameter on PostgreSQL; none is ever stored
    email = email.strip().lower()
    limiter = shared_limits(current_app._get_current_object())
    db = get_session()
    limiter.admit_sign_in(db, email, request.remote_addr)  # counted as a failure until the password is right
    user = db.scalar(select(Person).where(func.lower(Person.email) == email))
    stored, active = (user.password_hash, user.active) if user is not None else (None, False)
    db.rollback()  # release the transaction (and SQLite's write lock) before the deliberately slow hash
    dummy = current_app.extensions["guichet_dummy_hash"]
    valid = check_password_hash(stored or dummy, password)  # unknown account: same work, same answer
    if not valid or stored is None or not active:
        raise ApiError(401, "invalid_credentials", "Adresse e-mail ou mot de passe incorrect.")
    if _method_of(stored) != _method_of(dummy):
        # Made before PASSWORD_HASH_METHOD changed, this hash costs more or less than an unknown e-mail's check
        # and would tell the account exists: renewed now that the password is known (hashed before the write lock).
        people.renew_password_hash(db, user, hash_password(password))
    limiter.sign_in_succeeded(db, email, request.remote_addr)
    return user


def sign_in(user: Person) -> None:
    """Start a fresh session (no fixation) for the person."""
    session.clear()
    session.permanent = True
    session["uid"], session["epoch"] = user.id, user.session_epoch
    g.user, g.auth_method = user, "session"


def new_api_token() -> str:
    """Return a new random token (256 bits)."""
    return "gct_" + secrets.token_urlsafe(32)
