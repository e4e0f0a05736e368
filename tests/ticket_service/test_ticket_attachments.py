"""Attachments (I-03, I-04, A-03): limits, server-made names, downloads only, nosniff, no IDOR."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from ticket_service.store.models import Attachment
from tshelpers import new_ticket


def upload(client, ticket_id, content: bytes, name: str, **form):
    return client.post(f"/api/v1/tickets/{ticket_id}/attachments", data={"file": (io.BytesIO(content), name), **form})


@pytest.fixture()
def ticket(api):
    return new_ticket(api("employee_a"))


def test_upload_and_download_as_an_attachment_with_nosniff(app, api, database, ticket):
    response = upload(api("employee_a"), ticket["id"], b"<html><script>alert(1)</script>", "rapport.txt")
    assert response.status_code == 201
    meta = response.get_json()
    assert meta["filename"] == "rapport.txt" and meta["size"] == 31 and len(meta["sha256"]) == 64
    download = api("employee_a").get(meta["download_url"])
    assert download.status_code == 200 and download.data.startswith(b"<html>")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in download.headers["Content-Security-Policy"]
    assert download.headers["Content-Type"].startswith("text/plain")
    with database.reader() as db:
        stored = db.scalar(select(Attachment).where(Attachment.id == meta["id"])).storage_name
    folder = Path(app.config["ATTACHMENTS_DIR"])
    assert (folder / stored).is_file() and "rapport" not in stored and len(stored) == 32
    assert list((folder / "tmp").iterdir()) == []


def test_a_part_without_a_readable_name_is_a_refused_field_not_a_500(app, api, ticket):
    """Found by schemathesis (I-11): a part with no name (or a CR in it) reaches the view with the name None."""
    boundary = "fuzz"
    body = (f"--{boundary}\r\nContent-Disposition: form-data\r\n\r\nnull\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nok\r\n"
            f"--{boundary}--\r\n").encode()
    response = api("employee_a").post(f"/api/v1/tickets/{ticket['id']}/attachments", data=body,
                                      content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "unknown_fields"
    page = app.test_client().post("/connexion", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert page.status_code in (303, 400)  # refused (a page flashes it and redirects); Flask-WTF's CSRF lookup used to crash on the nameless part (500)


def test_a_log_file_with_many_lines_uploads_whole(app, api, ticket):
    """Werkzeug 3.1 applies MAX_FORM_MEMORY_SIZE to its buffer of file data: text with line breaks must still pass."""
    content = b"".join(b"2026-11-28 09:%02d:%02d ERREUR Outlook 0x8004010F\r\n" % divmod(n, 60) for n in range(3600))
    assert 150_000 < len(content) < app.config["ATTACHMENT_MAX_BYTES"]
    response = upload(api("employee_a"), ticket["id"], content, "outlook.log")
    assert response.status_code == 201, response.get_json()
    assert api("employee_a").get(response.get_json()["download_url"]).data == content


@pytest.mark.parametrize("name, expected", [
    ("../../app.txt", "app.txt"), ("..\\..\\x.txt", "x.txt"), ("%2e%2e%2fa.txt", "%2e%2e%2fa.txt"),
    ("exe\u202etxt.pdf", "exetxt.pdf"), ("a\r\nSet-Cookie: x.txt", None), ("x" * 300 + ".txt", None),
])
def test_hostile_filenames_are_cleaned_and_kept_inside_storage(app, api, ticket, name, expected):
    response = upload(api("n1"), ticket["id"], b"data", name)
    if response.status_code in (400, 415):  # unparseable part, or the cleaned name lost its extension: refused
        assert expected is None
        return
    assert response.status_code == 201, response.get_json()
    meta = response.get_json()
    if expected:
        assert meta["filename"] == expected
    assert "/" not in meta["filename"] and "\\" not in meta["filename"] and "\n" not in meta["filename"]
    download = api("n1").get(meta["download_url"])
    assert "\n" not in download.headers["Content-Disposition"]
    root = os.path.realpath(app.config["ATTACHMENTS_DIR"])
    assert all(os.path.commonpath([root, os.path.realpath(p)]) == root for p in Path(root).rglob("*"))


def test_limits_type_size_and_count(app, api, ticket):
    client = api("employee_a")
    assert upload(client, ticket["id"], b"MZ...", "outil.exe").status_code == 415
    assert upload(client, ticket["id"], b"<svg onload=alert(1)>", "logo.svg").status_code == 415
    assert upload(client, ticket["id"], b"<html>", "page.html").status_code == 415
    too_big = upload(client, ticket["id"], b"x" * (app.config["ATTACHMENT_MAX_BYTES"] + 1), "gros.txt")
    assert too_big.status_code == 413
    assert upload(client, ticket["id"], b"", "vide.txt").status_code == 422
    assert client.post(f"/api/v1/tickets/{ticket['id']}/attachments", data={}).status_code == 400
    for i in range(app.config["ATTACHMENTS_PER_TICKET"]):
        assert upload(client, ticket["id"], b"ok", f"capture{i}.png").status_code == 201
    assert upload(client, ticket["id"], b"ok", "une-de-trop.png").status_code == 409
    folder = Path(app.config["ATTACHMENTS_DIR"])
    assert list((folder / "tmp").iterdir()) == []  # refused uploads left nothing behind


def test_no_idor_and_internal_files_stay_internal(app, api, ticket):
    mine = upload(api("employee_a"), ticket["id"], b"a moi", "moi.txt").get_json()
    internal = upload(api("n1"), ticket["id"], b"interne", "interne.txt", internal="true").get_json()
    other = new_ticket(api("employee_b"))
    b = api("employee_b")
    assert b.get(mine["download_url"]).status_code == 404
    assert b.get(f"/api/v1/tickets/{other['id']}/attachments/{mine['id']}").status_code == 404  # re-pairing ids
    assert upload(b, ticket["id"], b"x", "x.txt").status_code == 404
    a = api("employee_a")
    assert a.get(internal["download_url"]).status_code == 404
    assert [x["id"] for x in a.get(f"/api/v1/tickets/{ticket['id']}/attachments").get_json()["items"]] == [mine["id"]]
    assert api("n1").get(internal["download_url"]).status_code == 200


def test_startup_sweep_removes_orphans_and_keeps_referenced_files(app, api, database, ticket):
    from ticket_service.runtime import get_files

    kept = upload(api("employee_a"), ticket["id"], b"garde-moi", "garde.txt").get_json()
    folder = Path(app.config["ATTACHMENTS_DIR"])
    (folder / "tmp" / "interrompu").write_bytes(b"upload interrompu par kill -9")
    (folder / ("0" * 32)).write_bytes(b"fichier sans ligne")
    with app.app_context(), database.write() as db:
        assert get_files(app).sweep_orphans(db) == 2
    assert not (folder / ("0" * 32)).exists() and list((folder / "tmp").iterdir()) == []
    assert api("employee_a").get(kept["download_url"]).data == b"garde-moi"


def _bomb(tmp_path: Path) -> bytes:
    """A zip of 100 MB of zeros (about 100 kB), with a zip-slip name and a nested zip beside it."""
    import zipfile

    path = tmp_path / "bombe.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("zeros.bin", "w", force_zip64=True) as entry:
            chunk = bytes(1024 * 1024)
            for _ in range(100):
                entry.write(chunk)
        archive.writestr("../../etc/cron.d/evil", "* * * * * root rm -rf /\n")
        archive.writestr("imbrique.zip", path.read_bytes()[:1024])
    return path.read_bytes()


def test_I05_archives_are_stored_and_served_as_they_came_never_opened(app, api, database, ticket, tmp_path):
    bomb = _bomb(tmp_path)
    assert len(bomb) < 1024 * 1024  # what is uploaded: the attachment limit applies to these bytes, not to 100 MB
    response = upload(api("employee_a"), ticket["id"], bomb, "journaux.zip")
    assert response.status_code == 201, response.get_json()
    meta = response.get_json()
    assert meta["size"] == len(bomb)
    download = api("employee_a").get(meta["download_url"])
    assert download.data == bomb and download.headers["Content-Disposition"].startswith("attachment;")
    folder = Path(app.config["ATTACHMENTS_DIR"])
    assert sorted(p.name for p in folder.rglob("*") if p.is_file()) == sorted(
        p.name for p in folder.iterdir() if p.is_file())  # nothing was extracted beside the stored files
    assert not (folder / "zeros.bin").exists() and not (folder.parent / "etc").exists()


def test_I05_no_server_code_can_open_an_archive():
    """The guarantee behind the test above: the service never imports an archive reader."""
    import ast

    root = Path(__file__).resolve().parents[2] / "ticket_service"
    readers = {"zipfile", "tarfile", "gzip", "bz2", "lzma", "zlib", "py7zr", "rarfile"}
    found = []
    for source in root.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [f"{source.relative_to(root)}: {n}" for n in names if n.split(".")[0] in readers]
            if isinstance(node, ast.Attribute) and node.attr == "unpack_archive":
                found.append(f"{source.relative_to(root)}: shutil.unpack_archive")
    assert found == []
