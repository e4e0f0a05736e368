"""`guichet serve --workers 2` (gunicorn) on PostgreSQL behind a real nginx: the static site from nginx, the service
proxied; a short mixed load (counted requests, no timing asserted) is answered without error by both workers, every
acknowledged ticket is stored, and the app sees each client's own address through ProxyFix (proxy count 1)."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import select

from servers import free_port
from ticket_service.demo.tickets import ensure_people
from ticket_service.store.db import Database, upgrade
from ticket_service.store.models import LimitCounter, Ticket
from tshelpers import FAST_HASH, PASSWORD, PG_URL, ROLES, ROOT, make_database_url

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

NGINX = Path("/usr/sbin/nginx")
QUERIES = ["le vpn me dit mot de passe incorrect", "imprimante hors ligne", "mon pc rame", "wifi refuse mon mot de passe"]
SUGGEST_CLIENTS, SUGGESTS_EACH = 4, 25  # 100 suggestions
CREATE_CLIENTS, CREATES_EACH = 3, 6  # 18 tickets, each client signed in from its own loopback address
DEADLINE = 120.0  # seconds: a stuck server fails the test instead of hanging CI
CLIENT_ADDRESS = "127.0.0.{}".format  # Linux answers on all of 127/8: each client binds its own source address
SPOOFED = "10.6.6.6"  # what a client writes itself in X-Forwarded-For: ProxyFix must not believe it


def _require(ok: bool, reason: str) -> None:
    if ok:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: this test may not skip)")
    pytest.skip(f"SKIPPED TWO-WORKER PROXY TEST — {reason}")


NGINX_CONF = """
{user}
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    access_log {dir}/access.log;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    upstream guichet {{ server 127.0.0.1:{upstream}; }}
    server {{
        listen 127.0.0.1:{port};
        root {site};
        location / {{ try_files $uri $uri/index.html =404; }}
        location ~ ^/(api|desk|mes-demandes|aide|courriel|connexion|deconnexion|admin|pilotage|static|healthz|readyz|metrics)(/|$) {{
            proxy_pass http://guichet;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $host;
            proxy_set_header X-Request-Id $request_id;
        }}
    }}
}}
"""


def _wait_for(url: str, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 90  # a generous start-up wait on a loaded machine, not a timing check
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{what} did not start ({url})")


def _stop(process: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def pg_url(tmp_path):
    _require(bool(PG_URL), "set GUICHET_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test")
    url, cleanup = make_database_url("postgresql", tmp_path)
    database = Database(url)
    upgrade(database)
    with database.write() as session:
        ensure_people(session, PASSWORD, FAST_HASH)
    database.dispose()
    yield url
    cleanup()


def test_two_gunicorn_workers_behind_nginx_serve_a_mixed_load(pg_url, tmp_path):
    _require(NGINX.exists(), f"{NGINX} is missing (scripts/ensure-test-tools.sh installs Debian's nginx)")
    index = tmp_path / "index"
    subprocess.run([sys.executable, "-m", "search", "build", "kb", "--out", str(index)], cwd=ROOT, check=True,
                   capture_output=True, timeout=300)
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<!doctype html><title>Aide</title><p>Site statique servi par nginx</p>")
    access_log = tmp_path / "gunicorn-access.log"
    upstream, port = free_port(), free_port()
    env = {**os.environ, "GUICHET_DATABASE_URL": pg_url, "GUICHET_SECRET_KEY": "two-workers",
           "GUICHET_SITE_DIR": str(site), "GUICHET_INDEX_DIR": str(index),
           "GUICHET_MANIFEST_PATH": str(tmp_path / "manifest.json"), "GUICHET_INSTANCE_PATH": str(tmp_path / "inst"),
           "GUICHET_ATTACHMENTS_DIR": str(tmp_path / "att"), "GUICHET_COOKIE_SECURE": "false",
           "GUICHET_SUGGEST_PER_SECOND": "10000", "GUICHET_SUGGEST_BURST": "10000"}  # capacity, not the limiter
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    server_log = open(tmp_path / "serve.err", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "ticket_service", "serve", "--workers", "2", "--threads", "4", "--port", str(upstream),
         "--proxy-count", "1", "--access-log", str(access_log)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=server_log)
    nginx_dir = tmp_path / "nginx"
    for sub in ("tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi"):
        (nginx_dir / sub).mkdir(parents=True)
    (nginx_dir / "nginx.conf").write_text(NGINX_CONF.format(
        dir=nginx_dir, upstream=upstream, port=port, site=site,
        user="user root;" if os.geteuid() == 0 else ""))  # as root its workers would drop to nobody: tmp is 0700
    nginx = subprocess.Popen([str(NGINX), "-p", str(nginx_dir), "-c", "nginx.conf", "-e", str(nginx_dir / "error.log"),
                              "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    statuses: Counter = Counter()
    acknowledged: dict[str, int] = {}
    lock = threading.Lock()
    start = time.monotonic()

    def connect(address: str) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(address, 0))

    def call(conn, method, path, body=None, headers=None):
        conn.request(method, path, body=body, headers={"X-Forwarded-For": SPOOFED, **(headers or {})})
        response = conn.getresponse()
        return response.status, response.read(), response

    def suggester(worker: int):
        conn = connect(CLIENT_ADDRESS(20 + worker))
        for n in range(SUGGESTS_EACH):
            if time.monotonic() - start > DEADLINE:
                break
            status, _, _ = call(conn, "GET", "/api/v1/suggest?q=" + quote(QUERIES[(worker + n) % len(QUERIES)]))
            with lock:
                statuses[("suggest", status)] += 1
        conn.close()

    def creator(worker: int):
        conn = connect(CLIENT_ADDRESS(10 + worker))
        email = ROLES["employee_a"]
        _, body, response = call(conn, "GET", "/api/v1/session")
        cookie = response.getheader("Set-Cookie").split(";", 1)[0]
        csrf = json.loads(body)["csrf_token"]
        json_headers = {"Content-Type": "application/json", "Cookie": cookie}
        status, _, _ = call(conn, "POST", "/api/v1/session", json.dumps({"email": email, "password": "faux"}),
                            {**json_headers, "X-CSRFToken": csrf})  # one failure: counted under the client's address
        with lock:
            statuses[("wrong password", status)] += 1
        status, body, response = call(conn, "POST", "/api/v1/session",
                                      json.dumps({"email": email, "password": PASSWORD}),
                                      {**json_headers, "X-CSRFToken": csrf})
        with lock:
            statuses[("sign-in", status)] += 1
        if status != 200:
            return
        cookie = response.getheader("Set-Cookie").split(";", 1)[0]
        headers = {**json_headers, "Cookie": cookie, "X-CSRFToken": json.loads(body)["csrf_token"]}
        for n in range(CREATES_EACH):
            if time.monotonic() - start > DEADLINE:
                break
            title = f"deux processus {worker}-{n} {uuid.uuid4().hex[:6]}"
            body = json.dumps({"title": title, "description": "Créée à travers nginx et gunicorn."})
            status, data, _ = call(conn, "POST", "/api/v1/tickets", body,
                                   {**headers, "Idempotency-Key": str(uuid.uuid4())})
            with lock:
                statuses[("create", status)] += 1
                if status == 201:
                    acknowledged[title] = json.loads(data)["id"]
        conn.close()

    try:
        _wait_for(f"http://127.0.0.1:{upstream}/healthz", server, "guichet serve --workers 2")
        _wait_for(f"http://127.0.0.1:{port}/", nginx, "nginx")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as page:
            assert "servi par nginx" in page.read().decode()  # the static site, straight from nginx
        start = time.monotonic()
        threads = [threading.Thread(target=suggester, args=(w,)) for w in range(SUGGEST_CLIENTS)]
        threads += [threading.Thread(target=creator, args=(w,)) for w in range(CREATE_CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(DEADLINE + 30)
        with urllib.request.urlopen(f"http://127.0.0.1:{upstream}/metrics", timeout=30) as page:  # the direct peer
            scraped = page.read().decode()
        refused = connect(CLIENT_ADDRESS(30))  # through nginx: the client's address decides, and it is not allowed
        metrics_through_proxy = call(refused, "GET", "/metrics")[0]
        refused.close()
    finally:
        _stop(nginx, signal.SIGQUIT)
        _stop(server)
        server_log.close()

    assert statuses == Counter({("suggest", 200): SUGGEST_CLIENTS * SUGGESTS_EACH,
                                ("wrong password", 401): CREATE_CLIENTS, ("sign-in", 200): CREATE_CLIENTS,
                                ("create", 201): CREATE_CLIENTS * CREATES_EACH}), statuses
    suggest_count = sum(float(v) for v in re.findall(
        r'^guichet_http_request_duration_seconds_count\{[^}]*route="/api/v1/suggest"[^}]*\} (\S+)$', scraped, re.M))
    assert suggest_count == SUGGEST_CLIENTS * SUGGESTS_EACH  # both workers' counts, summed (multiprocess mode)
    assert metrics_through_proxy == 404
    pids = Counter(re.findall(r"pid=<(\d+)>", access_log.read_text()))
    assert len(pids) == 2, f"one worker served everything: {pids}"
    assert sum(pids.values()) >= SUGGEST_CLIENTS * SUGGESTS_EACH + CREATE_CLIENTS * (CREATES_EACH + 3)
    database = Database(pg_url)
    try:
        with database.reader() as db:
            stored = dict(db.execute(select(Ticket.title, Ticket.id).where(Ticket.title.in_(acknowledged))).all())
            keys = set(db.scalars(select(LimitCounter.key)))
    finally:
        database.dispose()
    assert stored == acknowledged  # every acknowledged ticket, once, with the id it was acknowledged with
    for worker in range(CREATE_CLIENTS):  # the failure was counted under the client's address, not nginx's
        assert f"login-ip:{CLIENT_ADDRESS(10 + worker)}" in keys, keys
    assert not any(SPOOFED in key or key.endswith(":127.0.0.1") for key in keys), keys
