"""D-10, disk full: the server runs under a file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored, so writes fail with EFBIG
as on a full disk). Writes that cannot be stored answer 503 or 507, never 201 and never 500; nothing acknowledged is
lost, the SQLite file stays sound, and the service works again once there is room."""

from __future__ import annotations

import http.client
import json
import signal
import sqlite3
import uuid
from pathlib import Path

from sqlalchemy import select

import servers
from test_ticket_durability import free_port, start_server
from test_ticket_upload_crash import headers, multipart
from ticket_service.store.db import Database
from ticket_service.store.models import Attachment, Ticket
from tshelpers import ROOT, add_api_token

TOKEN = "gct_disk-full-" + uuid.uuid4().hex
WAITRESS_MEMORY_BUFFER = 512 * 1024  # waitress's inbuf_overflow: a body over it is spooled to a file first


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
    add_api_token(db_url, TOKEN, name="D-10")
    sqlite_file = Path(db_url.removeprefix("sqlite:///")) if db_url.startswith("sqlite") else None
    if sqlite_file:  # 1 kB pages: the migrated schema's hundred-odd tables and indexes take a quarter of the room
        with sqlite3.connect(sqlite_file, isolation_level=None) as conn:
            conn.execute("PRAGMA journal_mode=DELETE")
            conn.execute("PRAGMA page_size=1024")
            conn.execute("VACUUM")
            conn.execute("PRAGMA journal_mode=WAL")
        conn.close()
    env = {"GUICHET_DATABASE_URL": db_url, "GUICHET_SECRET_KEY": "x", "GUICHET_SITE_DIR": str(tmp_path / "site"),
           "GUICHET_ATTACHMENTS_DIR": str(tmp_path / "att"), "GUICHET_INSTANCE_PATH": str(tmp_path / "instance"),
           "GUICHET_ATTACHMENT_MAX_BYTES": str(4 * 1024 * 1024)}
    # Room for a few tickets in the SQLite file and its WAL. The attachment below is over the cap but under waitress's
    # in-memory request buffer (512 kB), so it is our write that fails, not waitress's spooling of the body.
    cap = (sqlite_file.stat().st_size if sqlite_file else 0) + 96 * 1024
    big = b"".join(b"ligne %07d du journal\n" % n for n in range((cap + 32 * 1024) // 22 + 1))  # 32 kB over the cap
    assert len(multipart(big)) < WAITRESS_MEMORY_BUFFER, f"the migrated database is {cap} bytes: too big for this test"
    port = free_port()
    server = servers.start_server(env, port, ROOT, threads=4, max_file_bytes=cap)
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
        ticket_id = acknowledged[0]
        status, data = request(port, "POST", f"/api/v1/tickets/{ticket_id}/attachments", multipart(big),
                               {k: v for k, v in headers(len(multipart(big))).items() if k != "Authorization"})
        assert status == 507 and data["error"]["code"] == "insufficient_storage", (status, data)
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
        server.stderr.close()
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
