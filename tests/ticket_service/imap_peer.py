"""A real IMAP peer for the mail-in tests: Debian's dovecot with its own config in a temporary folder.

IMAPS (implicit TLS, a self-signed certificate for 127.0.0.1) and STARTTLS on free loopback ports; users in a
passwd-file; XOAUTH2 through dovecot's oauth2 passdb, which asks a local introspection endpoint (started here,
it also plays the provider's token endpoint) whether a bearer token is valid. Mails are put with IMAP APPEND.
"""

from __future__ import annotations

import imaplib
import json
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from mail_peer import free_port, self_signed

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
ACCESS_TOKEN = "jeton-d-acces-de-test"


class TokenProvider:
    """An OAuth2 provider on loopback: ``/token`` hands ACCESS_TOKEN for the right client secret, ``/introspect``
    tells dovecot whether a token is active and whose it is."""

    def __init__(self, username: str, client_id: str, client_secret: str):
        self.username, self.client_id, self.client_secret = username, client_id, client_secret
        self.grants: list[dict] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                form = dict(urllib.parse.parse_qsl(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()))
                if self.path == "/token":
                    provider.grants.append(form)
                    ok = form.get("client_id") == provider.client_id and form.get("client_secret") == provider.client_secret
                    self._json(200 if ok else 401, {"access_token": ACCESS_TOKEN, "token_type": "Bearer",
                                                    "expires_in": 3600} if ok else {"error": "invalid_client"})
                else:  # RFC 7662 introspection, as dovecot's oauth2 passdb asks it
                    token = form.get("token") or self.headers.get("Authorization", "").removeprefix("Bearer ")
                    self._json(200, {"active": token == ACCESS_TOKEN, "username": provider.username}
                               if token == ACCESS_TOKEN else {"active": False})

            def _json(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Dovecot:
    """dovecot on free loopback ports; ``users`` maps login → password; ``provider`` enables XOAUTH2."""

    def __init__(self, users: dict[str, str], provider: TokenProvider | None = None):
        self.users, self.provider = users, provider
        # Mail belongs to an unprivileged uid (dovecot refuses uid 0): ourselves, or nobody when we are root.
        self.mail_uid = os.getuid() if os.getuid() != 0 else pwd.getpwnam("nobody").pw_uid
        self.mail_gid = os.getgid() if os.getuid() != 0 else pwd.getpwnam("nobody").pw_gid
        self.folder = Path(tempfile.mkdtemp(prefix="guichet-dovecot-"))  # not under pytest's 0700 tmp: nobody reads it
        os.chmod(self.folder, 0o755)
        self.cert, self.key = self_signed(self.folder)
        self.tls_port, self.plain_port = free_port(), free_port()
        self.process: subprocess.Popen | None = None

    def _config(self) -> Path:
        f = self.folder
        (f / "passwd").write_text("".join(f"{u}:{{PLAIN}}{p}::::::\n" for u, p in self.users.items()))
        (f / "mail").mkdir(exist_ok=True)
        os.chown(f / "mail", self.mail_uid, self.mail_gid)
        me = pwd.getpwuid(os.getuid()).pw_name
        internal = "dovenull" if os.getuid() == 0 else me
        oauth = ""
        mechanisms = "plain login"
        if self.provider is not None:
            (f / "oauth2.conf").write_text(
                f"introspection_url = {self.provider.url}/introspect\nintrospection_mode = post\n"
                "username_attribute = username\nactive_attribute = active\nactive_value = true\n"
                "force_introspection = yes\n")
            oauth = f"passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = {f}/oauth2.conf\n}}\n"
            mechanisms += " xoauth2 oauthbearer"
        conf = f"""
base_dir = {f}/run
state_dir = {f}/state
log_path = {f}/dovecot.log
info_log_path = {f}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{self.cert}
ssl_key = <{self.key}
disable_plaintext_auth = yes
auth_failure_delay = 0
auth_mechanisms = {mechanisms}
default_internal_user = {internal if os.getuid() == 0 else me}
default_internal_group = {"dovecot" if os.getuid() == 0 else pwd.getpwuid(os.getuid()).pw_name}
default_login_user = {internal}
first_valid_uid = {min(self.mail_uid, 1)}
mail_location = maildir:{f}/mail/%u
{oauth}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {f}/passwd
  mechanisms = plain login
}}
userdb {{
  driver = static
  args = uid={self.mail_uid} gid={self.mail_gid} home={f}/mail/%u allow_all_users=yes
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.plain_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
service auth {{
  unix_listener auth-userdb {{
    mode = 0666
  }}
}}
"""
        path = f / "dovecot.conf"
        path.write_text(conf)
        return path

    def start(self) -> "Dovecot":
        conf = self._config()
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60  # a loaded machine may take a while
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot stopped: {self.process.stdout.read().decode()} {self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.tls_port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"dovecot did not listen in 60 s: {self.log()}")

    def log(self) -> str:
        path = self.folder / "dovecot.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process.stdout.close()
            self.process = None
        shutil.rmtree(self.folder, ignore_errors=True)

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))

    def client(self, user: str) -> imaplib.IMAP4_SSL:
        client = imaplib.IMAP4_SSL("127.0.0.1", self.tls_port, ssl_context=self.context(), timeout=30)
        client.login(user, self.users[user])
        return client

    def append(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        """Put a mail in a folder with IMAP APPEND, as a delivery would."""
        client = self.client(user)
        try:
            client.create(folder) if folder != "INBOX" else None
            status, data = client.append(folder, "", imaplib.Time2Internaldate(time.time()), raw)
            assert status == "OK", data
        finally:
            client.logout()

    def flags(self, user: str, folder: str = "INBOX") -> list[bytes]:
        """Return the FLAGS of each mail of a folder, by UID order."""
        client = self.client(user)
        try:
            client.select(folder)
            _, data = client.uid("FETCH", "1:*", "(FLAGS)")
            return [d for d in data if d]
        finally:
            client.logout()
