"""OpenID Connect sign-in through Authlib: discovery, state, nonce and PKCE (S256); the id token's signature, issuer,
audience and expiry checked."""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app, session
from joserfc.errors import JoseError

log = logging.getLogger(__name__)
CLIENT = "guichet_sso"  # Authlib reads « <CLIENT>_* » settings from the config: a name no Guichet setting uses
# Asymmetric signatures only: never `none`, and never HS256 (keyed with the client secret, which we also hold).
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
LEEWAY_SECONDS = 60  # clock skew allowed on exp and iat (Authlib's default is two minutes)


class OidcConfigError(ValueError):
    """An OIDC_* setting is missing or wrong: the message names it and the fix."""


class OidcRefused(Exception):
    """The provider's answer did not prove who is signing in (bad state, token, signature or claim; provider down)."""


@dataclass(frozen=True)
class VerifiedClaims:
    """What a checked id token says: who (issuer and subject) and the e-mail that may link them to a person."""

    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    name: str | None


def init_app(app: Flask) -> None:
    """Register the provider when OIDC_ISSUER is set, after checking the settings that go with it."""
    issuer = (app.config.get("OIDC_ISSUER") or "").strip()
    if not issuer:
        return
    _check_settings(app.config, issuer)
    scopes = str(app.config.get("OIDC_SCOPES") or "").replace(",", " ").split()
    scopes = ["openid", *[s for s in scopes if s != "openid"]]  # `openid` makes it OIDC: an id token and its nonce
    oauth = OAuth(app)
    oauth.register(
        CLIENT, client_id=app.config["OIDC_CLIENT_ID"], client_secret=app.config["OIDC_CLIENT_SECRET"],
        server_metadata_url=issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": " ".join(scopes), "code_challenge_method": "S256",
                       "default_timeout": float(app.config.get("OIDC_TIMEOUT_SECONDS") or 10)})
    app.extensions["guichet_oidc"] = oauth


def _check_settings(config, issuer: str) -> None:
    parts = urlsplit(issuer)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise OidcConfigError(f"OIDC_ISSUER={issuer!r} is not a URL (e.g. https://accounts.google.com)")
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise OidcConfigError(f"OIDC_ISSUER={issuer!r} must use https:// (plain http only on this machine)")
    for name in ("OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"):
        if not config.get(name):
            raise OidcConfigError(f"{name} is not set while OIDC_ISSUER is (set GUICHET_{name}, from the provider's "
                                  "app registration; the secret from the environment, never from git)")


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def enabled(app: Flask | None = None) -> bool:
    return "guichet_oidc" in (app or current_app).extensions


def _client():
    return current_app.extensions["guichet_oidc"].create_client(CLIENT)


def provider_name() -> str:
    return str(current_app.config.get("OIDC_PROVIDER_NAME") or "SSO")


def redirect_uri() -> str:
    """The callback address registered at the provider: built from PUBLIC_URL, never from the request's Host."""
    return str(current_app.config["PUBLIC_URL"]).rstrip("/") + "/connexion/sso/retour"


def authorize_redirect():
    """Send the browser to the provider; Authlib keeps state, nonce and the PKCE verifier in the session."""
    client = _client()
    for key in [k for k in session if k.startswith(f"_state_{CLIENT}_")]:
        session.pop(key)  # one pending sign-in per browser: repeated clicks must not grow the cookie past 4 kB
    try:
        _metadata(client)
        return client.authorize_redirect(redirect_uri())
    except (AuthlibBaseError, requests.RequestException, ValueError) as exc:
        raise OidcRefused(f"provider unreachable or its discovery document is wrong: {exc}") from exc


def verified_claims() -> VerifiedClaims:
    """Check the provider's callback: state, code for token (with the PKCE verifier), then the id token."""
    client = _client()
    try:
        metadata = _metadata(client)
        issuer = metadata["issuer"]
        client_id = current_app.config["OIDC_CLIENT_ID"]
        options = {"iss": {"essential": True, "value": issuer}, "aud": {"essential": True, "value": client_id},
                   "sub": {"essential": True}, "exp": {"essential": True}, "nonce": {"essential": True}}
        token = client.authorize_access_token(claims_options=options, leeway=LEEWAY_SECONDS)
    except (AuthlibBaseError, JoseError, requests.RequestException, KeyError, ValueError, TypeError) as exc:
        raise OidcRefused(f"{type(exc).__name__}: {exc}") from exc
    claims = token.get("userinfo")
    if not claims:  # no id token, or a state saved without a nonce: nothing was proved
        raise OidcRefused("the token response carries no id token")
    subject, email, name = claims["sub"], claims.get(str(current_app.config.get("OIDC_EMAIL_CLAIM") or "email")), \
        claims.get("name")
    if not isinstance(subject, str) or not 0 < len(subject) <= 255 or not _printable(subject):
        raise OidcRefused("the id token's subject is not a string of 1 to 255 printable characters")
    email = email.strip().lower() if isinstance(email, str) and _printable(email) and email.strip() else None
    name = name.strip()[:200] if isinstance(name, str) and _printable(name) and name.strip() else None
    verified = claims.get("email_verified") in (True, "true")
    if not current_app.config.get("OIDC_REQUIRE_VERIFIED_EMAIL", True):
        verified = True  # a single-tenant provider whose addresses only the company's admins set (docs)
    return VerifiedClaims(issuer=issuer, subject=subject, email=email, email_verified=verified, name=name)


def _printable(text: str) -> bool:
    """No control characters (a NUL cannot even be stored by PostgreSQL)."""
    return not any(ord(c) < 32 or ord(c) == 127 for c in text)

def _metadata(client) -> dict:
    """Load the discovery document once; refuse one for another issuer; keep only asymmetric signatures."""
    metadata = client.load_server_metadata()
    if not metadata.get("_guichet_checked"):
        configured = str(current_app.config["OIDC_ISSUER"]).strip().rstrip("/")
        if str(metadata.get("issuer", "")).rstrip("/") != configured:
            metadata.pop("_loaded_at", None)  # read it again next time, the provider may be fixed by then
            raise ValueError(f"the discovery document names issuer {metadata.get('issuer')!r}, not {configured!r} "
                             "(OIDC_ISSUER)")
        offered = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        metadata["id_token_signing_alg_values_supported"] = [a for a in offered if a in ALGORITHMS] or ["RS256"]
        metadata["_guichet_checked"] = True
    return metadata
