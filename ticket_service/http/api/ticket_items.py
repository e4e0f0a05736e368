"""Comments (public replies and internal notes) and attachments of a ticket."""

from __future__ import annotations

import io

from flask import jsonify, request, send_file
from sqlalchemy import select

from ticket_service.actions import tickets as actions
from ticket_service.auth.identity import is_staff
from ticket_service.domain.access import load_ticket
from ticket_service.domain.errors import not_found
from ticket_service.domain.vocabulary import COMMENT
from ticket_service.http.api import bp
from ticket_service.http.api.common import PAGE_QUERY, doc, env, idempotency_key, paginate
from ticket_service.http.errors import ApiError
from ticket_service.http.serializers import attachment_json, comment_json
from ticket_service.http.validation import Field, read_json, read_query, validate
from ticket_service.runtime import get_files
from ticket_service.store.models import Attachment, Comment, Person


def comment_fields(staff: bool) -> dict[str, Field]:
    fields = {"body": Field("str", required=True, min_len=COMMENT[0], max_len=COMMENT[1])}
    if staff:
        fields["internal"] = Field("bool", description="Internal note, never shown to employees (technicians).")
    return fields


@bp.get("/tickets/<int:ticket_id>/comments")
@doc("List the comments; employees never receive internal notes.", query=PAGE_QUERY)
def comments_list(ticket_id: int):
    db, ctx, user = env()
    args = read_query(PAGE_QUERY)
    load_ticket(db, ctx, user, ticket_id)
    stmt = select(Comment).where(Comment.ticket_id == ticket_id)
    if not is_staff(user):
        stmt = stmt.where(Comment.internal.is_(False))
    stmt = stmt.order_by(Comment.id)
    return jsonify(paginate(db, stmt, args, lambda c: comment_json(c, db.get(Person, c.author_id))))


@bp.post("/tickets/<int:ticket_id>/comments")
@doc("Add a reply (or an internal note, technicians). The requester's reply resumes a waiting ticket "
     "and reopens a resolved one. Accepts an Idempotency-Key header.", body=lambda: comment_fields(True),
     idempotent_create=True)
def comments_create(ticket_id: int):
    db, ctx, user = env()
    data = validate(read_json(), comment_fields(is_staff(user)))
    comment, replayed = actions.comment(db, ctx, user, ticket_id, data["body"], internal=bool(data.get("internal")),
                                        key=idempotency_key())
    if replayed:
        return jsonify(comment_json(comment, user)), 201, {"Idempotent-Replayed": "true"}
    return jsonify(comment_json(comment, user)), 201


@bp.get("/tickets/<int:ticket_id>/attachments")
@doc("List the attachments (employees do not see internal ones).")
def attachments_list(ticket_id: int):
    db, ctx, user = env()
    load_ticket(db, ctx, user, ticket_id)
    stmt = select(Attachment).where(Attachment.ticket_id == ticket_id)
    if not is_staff(user):
        stmt = stmt.where(Attachment.internal.is_(False))
    return jsonify(items=[attachment_json(a) for a in db.scalars(stmt.order_by(Attachment.id))])


@bp.post("/tickets/<int:ticket_id>/attachments")
@doc("Upload a file (multipart/form-data, field `file`; `internal=true` for technicians). "
     "Size, count and type limits apply; the file is stored under a server-made name.", multipart=True,
     responses={201: "stored", 413: "file_too_large", 415: "file_type_not_allowed", 409: "too_many_attachments",
                507: "insufficient_storage"})
def attachments_create(ticket_id: int):
    db, ctx, user = env()
    allowed = {"internal"} if is_staff(user) else set()
    extra = set(request.form) - allowed
    if extra or set(request.files) != {"file"}:
        # a part whose name Werkzeug cannot read arrives as None: still a refused field, never a 500
        fields = {str(name)[:60]: "champ non autorisé" for name in sorted(extra, key=str)}
        if "file" not in request.files:
            fields["file"] = "fichier obligatoire (un seul, champ « file »)"
        raise ApiError(400, "unknown_fields", "Envoyez un seul fichier dans le champ « file ».", fields)
    internal = request.form.get("internal", "false")
    if internal not in ("true", "false"):
        raise ApiError(422, "invalid_fields", "Valeur invalide.", {"internal": "true ou false attendu"})
    upload = request.files["file"]
    att = actions.attach(db, ctx, get_files(), user, ticket_id, (upload.filename, upload.stream),
                         internal=internal == "true")
    return jsonify(attachment_json(att)), 201


@bp.get("/tickets/<int:ticket_id>/attachments/<int:attachment_id>")
@doc("Download an attachment (always as a download, with nosniff and a sandbox CSP).")
def attachment_download(ticket_id: int, attachment_id: int):
    db, ctx, user = env()
    load_ticket(db, ctx, user, ticket_id)
    att = db.get(Attachment, attachment_id)
    if att is None or att.ticket_id != ticket_id or (att.internal and not is_staff(user)):
        raise not_found()
    path = get_files().path_of(att.storage_name)
    if not path.is_file():
        raise not_found()
    # Attachments are small (ATTACHMENT_MAX_BYTES): reading them whole closes the file before the response.
    response = send_file(io.BytesIO(path.read_bytes()), mimetype=att.content_type, as_attachment=True, download_name=att.filename,
                         conditional=False, etag=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, no-store"
    return response
