"""D-08: `kill -9` during an attachment upload never leaves a row without its whole file, and the next start sweeps
what the crash left (a synced temp file not yet renamed, a renamed file whose row never committed)."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import signal
import socket
import sqlite3
import threading
import time
import uuid

import pytest
from sqlalchemy import select

from test_ticket_durability import free_port, start_server
from ticket_service.store.db import Database
from ticket_service.store.models import Attachment
from tshelpers import add_api_token

TOKEN = "gct_upload-crash-" + uuid.uuid4().hex
CONTENT = b"".join(b"ligne %06d du journal d'erreurs Outlook\n" % n for n in range(6000))  # about 250 kB
BOUNDARY = "guichet-d08-boundary"


def multipart(content: bytes, name: str = "journal.log") -> bytes:
    return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: text/plain\r\n\r\n").encode() + content + f"\r\n--{BOUNDARY}--\r\n".encode()


def headers(length: int) -> dict:
    return {"Authorization": f"Bearer {TOKEN}", "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "Content-Length": str(length)}


def upload(port: int, ticket_id: int, body: bytes, timeout: float = 60) -> int | None:
    """POST an attachment; return the HTTP status, None when the server died first."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", f"/api/v1/tickets/{ticket_id}/attachments", body=body, headers=headers(len(body)))
        return conn.getresponse().status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def wait_for(condition, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the upload never reached the fault point"
        time.sleep(0.02)


def files(folder) -> tuple[list, list]:
    """Return (stored files, temp files) of the attachments folder."""
    stored = [p for p in folder.iterdir() if p.is_file()] if folder.exists() else []
    temp = list((folder / "tmp").iterdir()) if (folder / "tmp").exists() else []
    return stored, temp


def assert_rows_have_whole_files(db_url: str, folder) -> set[str]:
    """Every attachment row points at a file of its recorded size and SHA-256; return the stored names."""
    database = Database(db_url)
    try:
        if database.is_sqlite:
            with sqlite3.connect(db_url.removeprefix("sqlite:///")) as raw:
                assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        with database.reader() as db:
            rows = db.scalars(select(Attachment)).all()
    finally:
        database.dispose()
    for row in rows:
        data = (folder / row.storage_name).read_bytes()
        assert len(data) == row.size and hashlib.sha256(data).hexdigest() == row.sha256, row.storage_name
    return {row.storage_name for row in rows}


@pytest.fixture(scope="module")
def setup(db_url, tmp_path_factory):
    """The server's environment, its attachments folder and one open ticket of employee_b (made over HTTP)."""
    folder = tmp_path_factory.mktemp("d08")
    add_api_token(db_url, TOKEN, name="D-08")
    env = {"GUICHET_DATABASE_URL": db_url, "GUICHET_SECRET_KEY": "x", "GUICHET_SITE_DIR": str(folder / "site"),
           "GUICHET_ATTACHMENTS_DIR": str(folder / "att"), "GUICHET_INSTANCE_PATH": str(folder / "instance"),
           "GUICHET_ATTACHMENTS_PER_TICKET": "50", "GUICHET_ATTACHMENT_MAX_BYTES": str(1024 * 1024)}
    port = free_port()
    server = start_server(env, port)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", "/api/v1/tickets", body=json.dumps({"title": "Outlook plante", "description": "Journal joint."}),
                     headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
        response = conn.getresponse()
        assert response.status == 201
        ticket_id = json.loads(response.read())["id"]
        conn.close()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=15)
        server.stderr.close()
    return env, folder / "att", ticket_id


def crash_at(env: dict, stage, send) -> None:
    """Start the server, send an upload in a thread, SIGKILL the server once ``stage()`` holds."""
    port = free_port()
    server = start_server(env, port)
    statuses = []
    worker = threading.Thread(target=lambda: statuses.append(send(port)))
    worker.start()
    try:
        wait_for(stage)
    finally:
        os.kill(server.pid, signal.SIGKILL)
        server.wait()
        server.stderr.close()
        worker.join(timeout=30)
    assert statuses == [None], f"the upload was answered ({statuses}) although the server died first"


def restart_and_upload(env: dict, ticket_id: int) -> None:
    """A normal start sweeps what the crash left; an upload then succeeds."""
    port = free_port()
    server = start_server(env, port)
    try:
        assert upload(port, ticket_id, multipart(CONTENT)) == 201
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=15)
        server.stderr.close()


def test_crash_while_the_body_is_still_arriving_leaves_nothing_behind(setup, db_url):
    env, folder, ticket_id = setup
    body = multipart(CONTENT)

    def send_half(port):
        with socket.create_connection(("127.0.0.1", port)) as sock:
            head = "".join(f"{k}: {v}\r\n" for k, v in headers(len(body)).items())
            sock.sendall(f"POST /api/v1/tickets/{ticket_id}/attachments HTTP/1.1\r\nHost: x\r\n{head}\r\n".encode())
            sock.sendall(body[: len(body) // 2])
            sock.settimeout(60)
            try:  # the rest never comes: the server is killed meanwhile, which closes the connection
                answer = sock.recv(1024)
            except OSError:
                answer = b""
        return None if not answer else answer

    before = assert_rows_have_whole_files(db_url, folder) if folder.exists() else set()
    # waitress buffers a request body before the app sees it: the half body never reaches store()
    crash_at(env, lambda: time.sleep(1.0) or True, send_half)
    assert assert_rows_have_whole_files(db_url, folder) == before
    restart_and_upload(env, ticket_id)
    stored, temp = files(folder)
    assert temp == [] and {p.name for p in stored} == assert_rows_have_whole_files(db_url, folder)


@pytest.mark.parametrize("point", ["attachment.before_rename", "attachment.before_commit"])
def test_crash_between_fsync_rename_and_commit_leaves_no_row_without_its_file(setup, db_url, point):
    env, folder, ticket_id = setup
    before_rows = assert_rows_have_whole_files(db_url, folder) if folder.exists() else set()
    before_files = {p.name for p in files(folder)[0]}
    faulty = {**env, "GUICHET_FAULT_PAUSE": point, "GUICHET_FAULT_SECONDS": "60"}
    if point == "attachment.before_rename":  # the whole file is written and synced in tmp/, not renamed yet
        stage = lambda: any(p.stat().st_size == len(CONTENT) for p in files(folder)[1])  # noqa: E731
    else:  # renamed into place, its row inserted but not committed
        stage = lambda: {p.name for p in files(folder)[0]} - before_files  # noqa: E731
    crash_at(faulty, stage, lambda port: upload(port, ticket_id, multipart(CONTENT)))
    assert assert_rows_have_whole_files(db_url, folder) == before_rows  # the crashed upload has no row
    restart_and_upload(env, ticket_id)
    stored, temp = files(folder)
    rows = assert_rows_have_whole_files(db_url, folder)
    assert temp == [] and {p.name for p in stored} == rows and len(rows) == len(before_rows) + 1
