"""Attachments: per-ticket limits, storage under server-made names (fsync + rename before the row), orphan sweep."""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import unicodedata
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from ticket_service.store import faults
from ticket_service.domain import transitions
from ticket_service.domain.errors import Conflict, Invalid, StorageFull, TooLarge, Unsupported
from ticket_service.store.models import Attachment

# Extension → content type announced on download (always as an attachment, never rendered inline).
ALLOWED = {
    "pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif",
    "txt": "text/plain", "log": "text/plain", "csv": "text/csv", "eml": "message/rfc822",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text", "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "zip": "application/zip",
}


def storage_dir() -> Path:
    folder = current_app.config.get("ATTACHMENTS_DIR") or os.path.join(current_app.instance_path, "attachments")
    path = Path(folder)
    (path / "tmp").mkdir(parents=True, exist_ok=True)
    return path


def clean_filename(name: str | None) -> str:
    """Return a display name without paths, control or bidi characters, at most 120 characters."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c)[0] not in ("C", "Z") or c == " ")
    name = name.strip(" .")[:120]
    return name or "piece-jointe"


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def store(upload: FileStorage) -> dict:
    """Write an upload durably under a random name; return its metadata (the caller inserts the row)."""
    filename = clean_filename(upload.filename)
    ext = extension_of(filename)
    if ext not in ALLOWED:
        raise Unsupported("file_type_not_allowed", "Type de fichier non accepté. Formats acceptés : " + ", ".join(sorted(ALLOWED)) + ".")
    limit = int(current_app.config["ATTACHMENT_MAX_BYTES"])
    folder = storage_dir()
    storage_name = secrets.token_hex(16)
    tmp = folder / "tmp" / storage_name
    digest, size = hashlib.sha256(), 0
    try:
        with open(tmp, "xb") as out:
            while chunk := upload.stream.read(64 * 1024):
                size += len(chunk)
                if size > limit:
                    raise TooLarge("file_too_large", f"Fichier trop volumineux (au plus {limit // (1024 * 1024)} Mo).")
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise Invalid("invalid_fields", "Le fichier est vide.", {"file": "fichier vide"})
        faults.pause("attachment.before_rename")
        os.replace(tmp, folder / storage_name)
        _fsync_dir(folder)
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
            raise
        # A full disk (or a file-size limit) is the server's state, not a bug: say so, keep nothing half-written.
        raise StorageFull("insufficient_storage", "Espace de stockage insuffisant sur le serveur : la pièce "
                       "jointe n'a pas été enregistrée. Réessayez plus tard ou prévenez le support.") from None
    finally:
        tmp.unlink(missing_ok=True)
    return {"storage_name": storage_name, "filename": filename, "content_type": ALLOWED[ext], "size": size,
            "sha256": digest.hexdigest()}


def attach(db, ticket, user, upload: FileStorage, *, internal: bool = False) -> Attachment:
    """Store an upload on an open ticket (count limit) and add its row in the caller's transaction; the caller commits."""
    if ticket.status in transitions.CLOSED_STATES:
        raise Conflict("ticket_closed", "Ce ticket est clos.")
    count = db.scalar(select(func.count()).select_from(Attachment).where(Attachment.ticket_id == ticket.id))
    limit = int(current_app.config["ATTACHMENTS_PER_TICKET"])
    if count >= limit:
        raise Conflict("too_many_attachments", f"Au plus {limit} pièces jointes par ticket.")
    meta = store(upload)
    try:
        att = Attachment(ticket_id=ticket.id, uploader_id=user.id, internal=internal, **meta)
        db.add(att)
        transitions.record(db, ticket, user, "attachment", None, meta["filename"])
        db.flush()
        faults.pause("attachment.before_commit")
    except BaseException:
        discard(meta["storage_name"])  # no file without its row
        raise
    return att


def discard(storage_name: str) -> None:
    """Remove a stored file whose row was not committed."""
    (storage_dir() / storage_name).unlink(missing_ok=True)


def discard_all(stored: list[Attachment]) -> None:
    """Remove the files of attachments whose rows were not committed."""
    for att in stored:
        discard(att.storage_name)


def path_of(storage_name: str) -> Path:
    return storage_dir() / storage_name


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sweep_orphans(db_session) -> int:
    """Delete temp files and stored files no row points at (run at start-up, before serving)."""
    folder = storage_dir()
    known = set(db_session.scalars(select(Attachment.storage_name)))
    removed = 0
    for path in list((folder / "tmp").iterdir()) + [p for p in folder.iterdir() if p.is_file()]:
        if path.parent.name == "tmp" or path.name not in known:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
