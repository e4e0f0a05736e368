"""Attachment files: stored under server-made names (fsync + rename before the row), found again, swept when orphaned."""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import unicodedata
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select

from ticket_service.domain.errors import StorageFull, TooLarge, Unsupported, invalid
from ticket_service.store import faults
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


def clean_filename(name: str | None) -> str:
    """Return a display name without paths, control or bidi characters, at most 120 characters."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c)[0] not in ("C", "Z") or c == " ")
    name = name.strip(" .")[:120]
    return name or "piece-jointe"


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


class FileStore:
    """One folder of attachment files, with a size limit per file."""

    def __init__(self, folder: str | Path, max_bytes: int, per_ticket: int):
        self.folder = Path(folder)
        self.max_bytes, self.per_ticket = max_bytes, per_ticket

    def _ready(self) -> Path:
        (self.folder / "tmp").mkdir(parents=True, exist_ok=True)
        return self.folder

    def store(self, filename: str | None, stream: BinaryIO) -> dict:
        """Write an upload durably under a random name; return its metadata (the caller inserts the row)."""
        filename = clean_filename(filename)
        ext = extension_of(filename)
        if ext not in ALLOWED:
            raise Unsupported("file_type_not_allowed",
                              "Type de fichier non accepté. Formats acceptés : " + ", ".join(sorted(ALLOWED)) + ".")
        folder = self._ready()
        storage_name = secrets.token_hex(16)
        tmp = folder / "tmp" / storage_name
        digest, size = hashlib.sha256(), 0
        try:
            with open(tmp, "xb") as out:
                while chunk := stream.read(64 * 1024):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise TooLarge("file_too_large",
                                       f"Fichier trop volumineux (au plus {self.max_bytes // (1024 * 1024)} Mo).")
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if size == 0:
                raise invalid("Le fichier est vide.", {"file": "fichier vide"})
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

    def discard(self, storage_name: str) -> None:
        """Remove a stored file whose row was not committed."""
        (self.folder / storage_name).unlink(missing_ok=True)

    def path_of(self, storage_name: str) -> Path:
        return self.folder / storage_name

    def sweep_orphans(self, db_session) -> int:
        """Delete temp files and stored files no row points at (run at start-up, before serving)."""
        folder = self._ready()
        known = set(db_session.scalars(select(Attachment.storage_name)))
        removed = 0
        for path in list((folder / "tmp").iterdir()) + [p for p in folder.iterdir() if p.is_file()]:
            if path.parent.name == "tmp" or path.name not in known:
                path.unlink(missing_ok=True)
                removed += 1
        return removed


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
