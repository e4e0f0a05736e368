"""A small real OpenID Connect provider on loopback: discovery, JWKS, /authorize and /token, signing RS256 id tokens.

It auto-approves ``user`` at /authorize, checks the client secret, the redirect URI and the PKCE verifier at /token,
and can be told to forge its id token (``forge``): wrong issuer, wrong audience, expired, ``alg: none``, signed with
another key or with the client secret (HS256), wrong or missing nonce.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

FORGERIES = ("wrong_issuer", "wrong_audience", "expired", "alg_none", "other_key", "hs256_client_secret",
             "wrong_nonce", "no_nonce", "no_id_token")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class OidcPeer:
    """Start with ``OidcPeer(client_id, client_secret).start()``; set ``user`` and ``forge`` per test."""

    def __init__(self, client_id: str = "guichet-test", client_secret: str = "s3cret-" + "x" * 40):
        self.client_id, self.client_secret = client_id, client_secret
        self.key = RSAKey.generate_key(2048, parameters={"kid": "peer-1", "use": "sig", "alg": "RS256"})
        self.other_key = RSAKey.generate_key(2048, parameters={"kid": "peer-1"})  # same kid, not in the JWKS
        self.user: dict = {}
        self.forge: str | None = None
        self.algorithms = ["RS256"]  # advertised in discovery
        self.discovery_issuer: str | None = None  # None: the real one
        self.codes: dict[str, dict] = {}
        self.authorize_requests: list[dict] = []
        self.token_requests: list[dict] = []
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def reset(self, user: dict, forge: str | None = None) -> None:
        with self.lock:
            self.user, self.forge = dict(user), forge
            self.algorithms, self.discovery_issuer = ["RS256"], None
            self.authorize_requests, self.token_requests = [], []

    # --- the endpoints --------------------------------------------------------------------------------------------

    def discovery(self) -> dict:
        return {"issuer": self.discovery_issuer or self.issuer,
                "authorization_endpoint": self.issuer + "/authorize", "token_endpoint": self.issuer + "/token",
                "jwks_uri": self.issuer + "/jwks", "response_types_supported": ["code"],
                "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": self.algorithms,
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"]}

    def authorize(self, query: dict) -> tuple[int, dict, dict]:
        """Auto-approve ``user``: redirect back with a one-time code and the same state."""
        self.authorize_requests.append(query)
        if query.get("client_id") != self.client_id or query.get("response_type") != "code":
            return 400, {}, {"error": "invalid_request"}
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return 400, {}, {"error": "invalid_request", "error_description": "PKCE S256 required"}
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"redirect_uri": query.get("redirect_uri"), "nonce": query.get("nonce"),
                            "challenge": query["code_challenge"], "user": dict(self.user)}
        back = query["redirect_uri"] + "?" + urlencode({"code": code, "state": query.get("state", "")})
        return 302, {"Location": back}, {}

    def token(self, form: dict, authorization: str) -> tuple[int, dict]:
        """Exchange a code: client secret, redirect URI and PKCE verifier checked; then the (perhaps forged) id token."""
        self.token_requests.append(form)
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if authorization.startswith("Basic "):
            client_id, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
        if client_id != self.client_id or not secrets.compare_digest(secret or "", self.client_secret):
            return 401, {"error": "invalid_client"}
        grant = self.codes.pop(form.get("code", ""), None)  # one use only
        if grant is None or form.get("grant_type") != "authorization_code":
            return 400, {"error": "invalid_grant"}
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri"}
        verifier = form.get("code_verifier", "")
        if _b64(hashlib.sha256(verifier.encode()).digest()) != grant["challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE verifier"}
        answer = {"access_token": secrets.token_urlsafe(24), "token_type": "Bearer", "expires_in": 300}
        if self.forge != "no_id_token":
            answer["id_token"] = self.id_token(grant)
        return 200, answer

    def id_token(self, grant: dict) -> str:
        now, forge = int(time.time()), self.forge
        claims = {"iss": self.issuer, "aud": self.client_id, "iat": now, "exp": now + 300, "nonce": grant["nonce"],
                  **grant["user"]}
        if forge == "wrong_issuer":
            claims["iss"] = "http://127.0.0.1:1/evil"
        elif forge == "wrong_audience":
            claims["aud"] = "another-app"
        elif forge == "expired":
            claims["iat"], claims["exp"] = now - 3600, now - 600
        elif forge == "wrong_nonce":
            claims["nonce"] = "not-the-one-sent"
        elif forge == "no_nonce":
            del claims["nonce"]
        if forge == "alg_none":
            header = {"alg": "none", "typ": "JWT"}
            return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}."
        if forge == "hs256_client_secret":  # the old key-confusion trick: sign with what the client also knows
            return jwt.encode({"alg": "HS256", "kid": "peer-1"}, claims, OctKey.import_key(self.client_secret),
                              algorithms=["HS256"])
        key = self.other_key if forge == "other_key" else self.key
        return jwt.encode({"alg": "RS256", "kid": "peer-1"}, claims, key)

    # --- the server -----------------------------------------------------------------------------------------------

    def start(self) -> "OidcPeer":
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, status: int, body: dict, headers: dict | None = None):
                data = json.dumps(body).encode()
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):  # noqa: N802 (http.server's naming)
                parts = urlsplit(self.path)
                with peer.lock:
                    if parts.path == "/.well-known/openid-configuration":
                        return self._reply(200, peer.discovery())
                    if parts.path == "/jwks":
                        return self._reply(200, {"keys": [peer.key.as_dict(private=False)]})
                    if parts.path == "/authorize":
                        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                        status, headers, body = peer.authorize(query)
                        return self._reply(status, body, headers)
                self._reply(404, {"error": "not_found"})

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if urlsplit(self.path).path != "/token":
                    return self._reply(404, {"error": "not_found"})
                with peer.lock:
                    status, body = peer.token(form, self.headers.get("Authorization", ""))
                self._reply(status, body, {"Cache-Control": "no-store"})

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
