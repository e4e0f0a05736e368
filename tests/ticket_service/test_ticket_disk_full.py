"""D-10, disk full: the server runs under a file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored, so writes fail with EFBIG
as on a full disk). Writes that cannot be stored answer 503 or 507, never 201 and never 500; nothing acknowledged is
lost, the SQLite file stays sound, and the service works again once there is room."""

from __future__ import annotations

import http.client
import json
import os
import resource
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import select

from test_ticket_durability import free_port, start_server
from test_ticket_upload_crash import headers, multipart
from ticket_service.auth import hash_token
from ticket_service.db import Database
from ticket_service.models import ApiToken, Attachment, Person, Ticket
from tshelpers import ROLES, ROOT

TOKEN = "gct_disk-full-" + uuid.uuid4().hex


def start_limited(env: dict, port: int, max_file_bytes: int) -> subprocess.Popen:
    """Run `guichet serve` with every file it writes capped at ``max_file_bytes`` (EFBIG instead of SIGXFSZ)."""
    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))

    process = subprocess.Popen([sys.executable, "-m", "ticket_service", "serve", "--port", str(port), "--threads", "4"],
                               cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               preexec_fn=limit)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            assert process.poll() is None, "guichet serve did not start under the file-size limit"
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("guichet serve did not start")


def request(port: int, method: str, path: str, body: bytes, extra: dict) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers={"Authorization": f"Bearer {TOKEN}", **extra})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


def create(port: int, n: int) -> tuple[int, dict]:
    body = json.dumps({"title": f"disque plein {n}", "description": "Créée pendant le test disque plein. " * 20}).encode()
    return request(port, "POST", "/api/v1/tickets", body, {"Content-Type": "application/json"})


def test_a_full_disk_gives_503_or_507_and_loses_nothing(db_url, tmp_path):
    database = Database(db_url)
    try:
        with database.write() as db:
            person = db.scalar(select(Person).where(Person.email == ROLES["employee_b"]))
            db.add(ApiToken(person_id=person.id, token_hash=hash_token(TOKEN), name="D-10"))
    finally:
        database.dispose()
    sqlite_file = Path(db_url.removeprefix("sqlite:///")) if db_url.startswith("sqlite") else None
    env = {"GUICHET_DATABASE_URL": db_url, "GUICHET_SECRET_KEY": "x", "GUICHET_SITE_DIR": str(tmp_path / "site"),
           "GUICHET_ATTACHMENTS_DIR": str(tmp_path / "att"), "GUICHET_INSTANCE_PATH": str(tmp_path / "instance"),
           "GUICHET_ATTACHMENT_MAX_BYTES": str(4 * 1024 * 1024)}
    # Room for a few tickets in the SQLite file and its WAL. The attachment below is over the cap but under waitress's
    # in-memory request buffer (512 kB), so it is our write that fails, not waitress's spooling of the body.
    cap = (sqlite_file.stat().st_size if sqlite_file else 0) + 96 * 1024
    assert cap < 400 * 1024, f"the migrated database is {cap} bytes: too big for this test's attachment"
    port = free_port()
    server = start_limited(env, port, cap)
    acknowledged, refused = [], []
    try:
        for n in range(400):
            status, data = create(port, n)
            if status == 201:
                acknowledged.append(data["id"])
            else:
                assert status == 503 and data["error"]["code"] == "storage_busy", (status, data)
                refused.append(n)
                if len(refused) >= 5:
                    break
        big = b"".join(b"ligne %07d du journal\n" % n for n in range(19000))  # 437 kB, over the cap
        ticket_id = acknowledged[0]
        status, data = request(port, "POST", f"/api/v1/tickets/{ticket_id}/attachments", multipart(big),
                               {k: v for k, v in headers(len(multipart(big))).items() if k != "Authorization"})
        assert status == 507 and data["error"]["code"] == "insufficient_storage", (status, data)
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
    assert acknowledged, "nothing could be written at all: the cap is too small for the test"
    if sqlite_file is not None:
        assert refused, "the SQLite file never hit the cap: the test did not fill the disk"
        with sqlite3.connect(sqlite_file) as raw:
            assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert list((tmp_path / "att" / "tmp").iterdir()) == []
    port = free_port()
    server = start_server(env, port)  # room again (no cap)
    try:
        status, data = create(port, 999)
        assert status == 201
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=15)
        server.stderr.close()
    database = Database(db_url)
    try:
        with database.reader() as db:
            stored = set(db.scalars(select(Ticket.id).where(Ticket.title.like("disque plein %"))))
            assert db.scalar(select(Attachment.id).where(Attachment.ticket_id == acknowledged[0])) is None
    finally:
        database.dispose()
    assert set(acknowledged) <= stored, f"acknowledged then lost: {sorted(set(acknowledged) - stored)}"
