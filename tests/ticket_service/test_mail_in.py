"""Mail in from a Maildir: new tickets, replies threaded only by a signed token from a participant, quotes stripped,
dedupe, loops and floods quarantined, malformed mail survived (reliability catalogue E-02, E-04 to E-08)."""

from __future__ import annotations

import os
import time
import uuid
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from sqlalchemy import func, select

from ticket_service import create_app
from ticket_service.actions.mail_in import Intake
from ticket_service.channels.intake import intake_for, run_maildir
from ticket_service.channels.mail_in import html_text, parse, strip_quotes
from ticket_service.channels.maildir import MaildirSource
from ticket_service.notify.tokens import message_id, reply_address
from ticket_service.runtime import get_ctx, get_database
from ticket_service.store.models import Attachment, Comment, InboundMail, OutboxEvent, Person, Ticket
from tshelpers import ROLES, Browser, app_config

SUPPORT = "support@ferrand-associes.fr"


@pytest.fixture(scope="module")
def app(db_url, tmp_path_factory):
    application = create_app(app_config(db_url, tmp_path_factory.mktemp("mail-in"), MAIL_FROM=f"Support <{SUPPORT}>",
                                        MAIL_IN_PER_SENDER_HOUR=1000, ATTACHMENT_MAX_BYTES=1024 * 1024))
    yield application
    application.extensions["guichet_db"].dispose()


def mail(sender: str = ROLES["employee_a"], subject: str = "Imprimante en panne", body: str = "Elle ne répond plus.",
         *, to: str = SUPPORT, html: str | None = None, files: tuple[tuple[str, bytes], ...] = (),
         **headers) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Message-ID"] = make_msgid(domain="client.test")
    message["Date"] = "Thu, 03 Dec 2026 09:00:00 +0100"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    if body is not None:
        message.set_content(body)
    if html is not None:
        if body is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    for name, data in files:
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return message


def drop(folder, *messages) -> None:
    """Deliver like an MTA: write in tmp/, rename into new/."""
    for message in messages:
        raw = message if isinstance(message, bytes) else message.as_bytes()
        name = f"{time.time_ns()}.{uuid.uuid4().hex}.test"
        (folder / "tmp" / name).write_bytes(raw)
        os.rename(folder / "tmp" / name, folder / "new" / name)


@pytest.fixture()
def box(tmp_path):
    for sub in ("new", "cur", "tmp"):
        (tmp_path / "Maildir" / sub).mkdir(parents=True)
    return tmp_path / "Maildir"


def fetch(app, folder, **intake):
    with app.app_context():
        ctx = get_ctx()
    source = MaildirSource(folder)
    base = intake_for(app, source.name)
    return run_maildir(app, ctx, source, Intake(**{**base.__dict__, **intake}))


def query(app, statement):
    with get_database(app).reader() as db:
        return db.execute(statement).all()


def row_of(app, message) -> InboundMail:
    with get_database(app).reader() as db:
        return db.scalar(select(InboundMail).where(InboundMail.message_id == message["Message-ID"]))


def ticket(app, ticket_id) -> Ticket:
    with get_database(app).reader() as db:
        return db.get(Ticket, ticket_id)


def person_id(app, email) -> int:
    with get_database(app).reader() as db:
        return db.scalar(select(Person.id).where(Person.email == email))


def comments(app, ticket_id) -> list[str]:
    return [c for (c,) in query(app, select(Comment.body).where(Comment.ticket_id == ticket_id).order_by(Comment.id))]


def test_a_new_mail_becomes_a_ticket_of_its_known_sender_with_the_original_attached(app, box):
    message = mail(subject="Imprimante du 2e étage", body="Elle affiche « bourrage » depuis ce matin.\n\n-- \n"
                   "Claire Rousseau\nComptabilité", files=(("journal.txt", b"erreur 0x42\n"),))
    drop(box, message)
    report = fetch(app, box)
    assert report.counts == {"ticket": 1} and not report.errors
    row = row_of(app, message)
    made = ticket(app, row.ticket_id)
    assert made.channel == "mail" and made.requester_id == person_id(app, ROLES["employee_a"])
    assert made.title == "Imprimante du 2e étage"
    assert made.description == "Elle affiche « bourrage » depuis ce matin."  # the signature is gone
    names = [n for (n,) in query(app, select(Attachment.filename).where(Attachment.ticket_id == made.id))]
    assert sorted(names) == ["courriel-original.eml", "journal.txt"]
    assert not list((box / "new").iterdir()) and [p.name.endswith(":2,S") for p in (box / "cur").iterdir()] == [True]
    assert row.raw is None  # only quarantined mail keeps its bytes in the table


def test_E02_same_bytes_twice_once_same_message_id_other_body_flagged_no_message_id_by_hash(app, box):
    """E-02: the same message delivered twice is taken in once; a reused Message-ID with another body is kept, flagged."""
    first = mail(subject="Double livraison")
    drop(box, first, first)
    assert fetch(app, box).counts == {"ticket": 1, "duplicate": 1}
    other = mail(subject="Double livraison", body="Un tout autre texte.")
    other.replace_header("Message-ID", first["Message-ID"])
    drop(box, other)
    assert fetch(app, box).counts == {"ticket": 1}
    rows = query(app, select(InboundMail.flags).where(InboundMail.message_id == first["Message-ID"]))
    assert sorted(f or "" for (f,) in rows) == ["", "message_id_reused"]
    bare = mail(subject="Sans identifiant")
    del bare["Message-ID"]
    drop(box, bare, bare)
    assert fetch(app, box).counts == {"ticket": 1, "duplicate": 1}
    assert not list((box / "new").iterdir())  # duplicates are marked read too


def first_ticket(app, box, **kw) -> int:
    message = mail(**kw)
    drop(box, message)
    fetch(app, box)
    return row_of(app, message).ticket_id


def test_a_reply_to_the_signed_reply_address_or_message_id_lands_on_its_ticket_quotes_stripped(app, box):
    ticket_id = first_ticket(app, box, subject="Wi-Fi salle B")
    secret = app.config["SECRET_KEY"]
    by_address = mail(subject="Re: Wi-Fi salle B", to=reply_address(secret, SUPPORT, ticket_id),
                      body="C'est revenu après redémarrage.\n\nLe jeu. 3 déc. 2026 à 10:00, Support "
                           "<support@ferrand-associes.fr> a écrit :\n> Pouvez-vous redémarrer la borne ?\n")
    ours = message_id(secret, "ferrand-associes.fr", "7-reply-3", ticket_id)
    by_id = mail(subject="RE: Wi-Fi salle B", In_Reply_To=ours, References=f"<x@client.test> {ours}",
                 body="Merci, tout fonctionne.\n\nDe : Support <support@ferrand-associes.fr>\nEnvoyé : jeudi 3 "
                      "décembre 2026 10:00\nÀ : Claire Rousseau\nObjet : Wi-Fi salle B\n\nBonjour…")
    drop(box, by_address, by_id)
    assert fetch(app, box).counts == {"comment": 2}
    assert comments(app, ticket_id) == ["C'est revenu après redémarrage.", "Merci, tout fonctionne."]
    assert row_of(app, by_id).comment_id is not None


def test_E04_a_stolen_token_from_another_sender_is_quarantined_and_the_ticket_unchanged(app, box):
    """E-04: a valid token (reply address or Message-ID) from someone who is not a participant never adds a comment."""
    ticket_id = first_ticket(app, box, subject="Accès au partage RH")
    secret = app.config["SECRET_KEY"]
    stolen = mail(ROLES["employee_b"], "Re: Accès au partage RH", "Je prends la main.",
                  to=reply_address(secret, SUPPORT, ticket_id))
    stolen_id = mail(ROLES["employee_b"], "Re: Accès", "Moi aussi.",
                     In_Reply_To=message_id(secret, "ferrand-associes.fr", "1-reply-1", ticket_id))
    drop(box, stolen, stolen_id)
    assert fetch(app, box).counts == {"quarantined": 2}
    assert row_of(app, stolen).reason == row_of(app, stolen_id).reason == "not_participant"
    assert comments(app, ticket_id) == []


def test_E04_a_forged_or_guessed_reference_and_a_ticket_number_in_the_subject_open_a_new_ticket(app, box):
    """E-04: a guessed Message-ID, a bad signature or ``[#123]`` in the subject never thread onto ticket 123."""
    ticket_id = first_ticket(app, box, subject="Poste lent")
    forged = mail(ROLES["employee_b"], f"[#{ticket_id}] Poste lent", "Pareil chez moi.",
                  In_Reply_To=f"<guichet.1-reply-1.{ticket_id}.AAAAAAAAAAAAAAAAAAAAAAAAAAA@ferrand-associes.fr>",
                  References=f"<guichet.ticket.{ticket_id}@ferrand-associes.fr>",
                  to=f"support+{ticket_id}.forged@ferrand-associes.fr")
    drop(box, forged)
    assert fetch(app, box).counts == {"ticket": 1}
    assert row_of(app, forged).ticket_id != ticket_id and comments(app, ticket_id) == []
    assert ticket(app, row_of(app, forged).ticket_id).requester_id == person_id(app, ROLES["employee_b"])


def test_a_technician_of_the_group_may_answer_by_mail(app, box):
    ticket_id = first_ticket(app, box, subject="Badge refusé")
    answer = mail(ROLES["n1"], "Re: Badge refusé", "Le badge est réactivé.",
                  to=reply_address(app.config["SECRET_KEY"], SUPPORT, ticket_id))
    drop(box, answer)
    assert fetch(app, box).counts == {"comment": 1}
    assert comments(app, ticket_id) == ["Le badge est réactivé."]


def test_E05_requester_is_the_strict_from_address_mismatches_flagged_control_headers_ignored(app, box):
    """E-05: a display name holding an address, Reply-To and X-Helpdesk-* from the sender change nothing."""
    spoof = mail(f'"{ROLES["n1"]}" <{ROLES["employee_b"]}>', "Écran qui clignote", "Clignote.",
                 Reply_To=ROLES["admin"], X_Helpdesk_Priority="P1", X_Helpdesk_Assignee=ROLES["n3"])
    two = mail(f"{ROLES['employee_a']}, {ROLES['employee_b']}", "Deux expéditeurs", "Qui ?")
    drop(box, spoof, two)
    assert fetch(app, box).counts == {"ticket": 1, "quarantined": 1}
    made = ticket(app, row_of(app, spoof).ticket_id)
    assert made.requester_id == person_id(app, ROLES["employee_b"])
    assert made.priority != "P1" and made.assignee_id is None
    assert row_of(app, spoof).flags == "address_in_name,from_mismatch"
    assert row_of(app, two).reason == "no_sender"


@pytest.mark.parametrize("headers, sender, reason", [
    ({"Auto_Submitted": "auto-replied"}, ROLES["employee_a"], "auto_submitted"),
    ({"Precedence": "bulk"}, ROLES["employee_a"], "bulk"),
    ({"Precedence": "auto_reply"}, ROLES["employee_a"], "bulk"),
    ({}, "MAILER-DAEMON@ferrand-associes.fr", "bounce"),
    ({}, "postmaster@client.test", "bounce"),
    ({}, SUPPORT, "own_address"),
    ({"X_Guichet_Notification": "reply"}, ROLES["employee_a"], "own_address"),
])
def test_E07_automated_mail_is_quarantined_and_acknowledges_nothing(app, box, headers, sender, reason):
    """E-07: no ticket (so no acknowledgement) from auto-replies, bulk mail, bounces or our own notifications."""
    before = query(app, select(func.count()).select_from(OutboxEvent))[0][0]
    looping = mail(sender, "Réponse automatique : absent", "Je suis absent.", **headers)
    drop(box, looping)
    assert fetch(app, box).counts == {"quarantined": 1}
    assert row_of(app, looping).reason == reason
    assert query(app, select(func.count()).select_from(OutboxEvent))[0][0] == before  # nothing goes out


def test_E07_a_flooding_sender_is_stopped_after_the_hourly_rate(app, box):
    """E-07: two helpdesks ping-ponging stop after N mails an hour (the rest waits in quarantine)."""
    sender = "robot@autre-helpdesk.test"
    drop(box, *[mail(sender, f"Ticket {i} reçu", "Nous avons bien reçu votre demande.") for i in range(5)])
    assert fetch(app, box, per_sender_hour=3, unknown_senders="create").counts == {"ticket": 3, "quarantined": 2}
    reasons = {r for (r,) in query(app, select(InboundMail.reason).where(InboundMail.sender == sender))}
    assert reasons == {None, "rate"}


def test_an_unknown_sender_is_quarantined_or_made_an_employee_as_configured(app, box):
    stranger = mail("Paul Inconnu <paul@fournisseur.test>", "Facture", "Voici la facture.")
    drop(box, stranger)
    assert fetch(app, box).counts == {"quarantined": 1}
    assert row_of(app, stranger).reason == "unknown_sender" and row_of(app, stranger).raw == stranger.as_bytes()
    welcome = mail("Inès Nouvelle <ines.nouvelle@ferrand-associes.fr>", "Mon poste", "Je n'ai pas de poste.")
    drop(box, welcome)
    assert fetch(app, box, unknown_senders="create").counts == {"ticket": 1}
    with get_database(app).reader() as db:
        person = db.scalar(select(Person).where(Person.email == "ines.nouvelle@ferrand-associes.fr"))
        assert (person.role, person.name, person.password_hash) == ("employee", "Inès Nouvelle", None)


def test_E08_malformed_mime_is_quarantined_and_the_other_mails_still_go_in(app, box):
    """E-08: missing boundary, too many parts, deep nesting, bogus charset and base64 garbage never stop the worker."""
    no_boundary = (b"From: " + ROLES["employee_a"].encode() + b"\r\nSubject: sans frontiere\r\nMessage-ID: <nb@t>\r\n"
                   b"Content-Type: multipart/mixed\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nhello\r\n--x--\r\n")
    many = mail(subject="Trop de pièces")
    many.set_content("x")
    for i in range(250):
        many.add_attachment(b"a", maintype="text", subtype="plain", filename=f"{i}.txt")
    nested = mail(subject="Poupées russes")
    for _ in range(10):
        outer = mail(subject="Poupées russes")
        outer.add_attachment(nested)
        nested = outer
    charset = (b"From: " + ROLES["employee_a"].encode() + b"\r\nSubject: charset\r\nMessage-ID: <cs@t>\r\n"
               b"Content-Type: text/plain; charset=x-nimporte-quoi\r\n\r\nBonjour \xe9quipe\r\n")
    garbage = mail(subject="Base64 cassé", files=(("a.txt", b"ok"),))
    raw_garbage = garbage.as_bytes().replace(b"b2s=", b"!!!$$$===")
    good = mail(subject="Le bon message")
    drop(box, no_boundary, many, nested, charset, raw_garbage, good)
    report = fetch(app, box)
    assert not report.errors and report.counts["quarantined"] == 3
    assert row_of(app, good).outcome == "ticket"
    with get_database(app).reader() as db:
        reasons = dict(db.execute(select(InboundMail.message_id, InboundMail.reason).where(
            InboundMail.message_id.in_(["<nb@t>", many["Message-ID"], nested["Message-ID"]]))).all())
    assert set(reasons.values()) == {"malformed"}
    assert "Bonjour" in ticket(app, query(app, select(InboundMail.ticket_id).where(
        InboundMail.message_id == "<cs@t>"))[0][0]).description
    assert not list((box / "new").iterdir())


def test_E06_script_in_subject_body_and_attachment_name_is_escaped_on_the_desk(app, box):
    """E-06 / I-02: what a stranger writes in a mail is text on the desk page, never markup."""
    evil = mail(subject="<script>alert('sujet')</script> Écran", body="<img src=x onerror=alert(1)> corps",
                html="<p>ok</p><script>alert('html')</script>",
                files=(("<script>alert(1)</script>.txt", b"x"),), )
    drop(box, evil)
    fetch(app, box)
    made = ticket(app, row_of(app, evil).ticket_id)
    assert made.title.startswith("<script>")  # stored as written, escaped where shown
    page = Browser(app, "n1").get(f"/desk/tickets/{made.id}").text
    assert "<script>alert(" not in page and "onerror=alert" not in page.replace("onerror=alert(1)&gt;", "")
    assert "&lt;script&gt;alert(" in page


def test_an_html_only_mail_gives_its_text_sanitised_by_nh3(app, box):
    styled = mail(subject="Mail en HTML", body=None, html="<html><head><style>p{color:red}</style></head><body><p>"
                  "Bonjour,</p><p>le <b>VPN</b> coupe &amp; relance.<script>steal()</script></p>"
                  "<blockquote>ancien message</blockquote></body></html>")
    drop(box, styled)
    fetch(app, box)
    assert ticket(app, row_of(app, styled).ticket_id).description == "Bonjour,\n\nle VPN coupe & relance."


def test_a_refused_attachment_is_skipped_and_the_ticket_still_made(app, box):
    with_exe = mail(subject="Programme joint", files=(("setup.exe", b"MZ"), ("capture.png", b"\x89PNG....")))
    drop(box, with_exe)
    assert fetch(app, box).counts == {"ticket": 1}
    names = {n for (n,) in query(app, select(Attachment.filename).where(
        Attachment.ticket_id == row_of(app, with_exe).ticket_id))}
    assert names == {"capture.png", "courriel-original.eml"}  # the .exe stays inside the original


@pytest.mark.parametrize("text, expected", [
    ("Merci !\n\nLe mar. 1 déc. 2026 à 09:12, Julie Martin <julie@x.fr> a écrit :\n> Bonjour\n", "Merci !"),
    ("Merci !\n\nLe mar. 1 déc. 2026 à 09:12, Julie Martin <julie@x.fr>\na écrit :\n> Bonjour\n", "Merci !"),
    ("Thanks\n\nOn Tue, Dec 1, 2026 at 9:12 AM Julie <julie@x.fr> wrote:\n> Hello\n", "Thanks"),
    ("OK\n\n________________________________\nDe : Support\nEnvoyé : mardi\nObjet : x\n", "OK"),
    ("OK\n\nFrom: Support <s@x.fr>\nSent: Tuesday\nTo: Claire\nSubject: x\n\nold", "OK"),
    ("Voici.\n-- \nClaire\n06 00 00 00 00", "Voici."),
    ("> cité\nMa réponse\n> encore cité\nsuite", "Ma réponse\nsuite"),
    ("-----Message d'origine-----\nDe : x", ""),
    ("Le serveur est en panne depuis ce matin.", "Le serveur est en panne depuis ce matin."),
])
def test_quoted_history_and_signatures_are_stripped(text, expected):
    assert strip_quotes(text) == expected


def test_html_text_drops_scripts_styles_and_quotes():
    assert html_text("<style>x</style><p>a<br>b</p><script>c</script>") == "a\nb"


def test_parse_reads_one_line_subjects_even_from_an_encoded_newline():
    """E-06: an RFC 2047 encoded CR/LF in the subject never reaches a header or a page as a line break."""
    raw = (b"From: a@b.test\r\nSubject: =?utf-8?q?Bonjour=0D=0ABcc=3A_eve=40evil=2Etest?=\r\n\r\nx\r\n")
    assert parse(raw).subject == "Bonjour Bcc: eve@evil.test"


def test_guichet_mail_fetch_maildir_imports_once_and_exits(app, box, db_url, tmp_path):
    from click.testing import CliRunner

    from ticket_service.cli import main as guichet

    drop(box, mail(subject="Depuis cron"))
    env = {"GUICHET_DATABASE_URL": db_url, "GUICHET_SECRET_KEY": "test-secret", "GUICHET_SITE_DIR": str(tmp_path),
           "GUICHET_ATTACHMENTS_DIR": app.config["ATTACHMENTS_DIR"], "GUICHET_MAIL_FROM": SUPPORT}
    done = CliRunner().invoke(guichet, ["mail", "fetch", "--maildir", str(box)], env=env, catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert "1 ticket" in done.output
    again = CliRunner().invoke(guichet, ["mail", "fetch", "--maildir", str(box)], env=env, catch_exceptions=False)
    assert "nothing waiting" in again.output


def test_the_quarantine_lists_why_from_subject_date_escaped_and_a_release_makes_a_ticket(app, box):
    """The desk sees each kept-out mail and lets one in (POST with CSRF): a new ticket of its sender."""
    stranger = mail("Fournisseur <devis@fournisseur.test>", "<script>alert('q')</script> Devis", "Voici le devis.")
    drop(box, stranger)
    fetch(app, box)
    row = row_of(app, stranger)
    desk = Browser(app, "n1")
    page = desk.get("/desk/quarantaine").text
    assert f'id="mail-{row.id}"' in page and "devis@fournisseur.test" in page and "expéditeur inconnu" in page
    assert "&lt;script&gt;alert(" in page and "<script>alert(" not in page
    assert Browser(app, "employee_a").get("/desk/quarantaine").status_code == 403
    forged = desk.client.post(f"/desk/quarantaine/{row.id}/liberer")  # no CSRF token
    assert forged.status_code in (400, 403) and row_of(app, stranger).outcome == "quarantined"
    released = desk.submit(f"/desk/quarantaine/{row.id}/liberer")
    assert released.status_code == 303
    after = row_of(app, stranger)
    assert after.outcome == "released" and after.raw is None and after.released_by == person_id(app, ROLES["n1"])
    made = ticket(app, after.ticket_id)
    assert made.channel == "mail" and made.requester_id == person_id(app, "devis@fournisseur.test")
    assert released.headers["Location"].endswith(f"/desk/tickets/{made.id}")
    assert desk.submit(f"/desk/quarantaine/{row.id}/liberer").status_code == 404  # once only
    assert f'id="mail-{row.id}"' not in desk.get("/desk/quarantaine").text


def test_a_disabled_account_is_not_revived_by_mail(app, box):
    from ticket_service.actions.people import disable_person

    with get_database(app).writer() as db:
        db.add(Person(email="parti@ferrand-associes.fr", name="Parti", role="employee", active=True, session_epoch=0))
        db.commit()
        disable_person(db, "parti@ferrand-associes.fr")
    gone = mail("parti@ferrand-associes.fr", "Je suis revenu", "Réactivez-moi.")
    drop(box, gone)
    assert fetch(app, box, unknown_senders="create").counts == {"quarantined": 1}
    assert row_of(app, gone).reason == "unknown_sender"


def test_E08_an_rfc2231_filename_with_dot_dot_is_stored_under_its_last_part_only(app, box):
    """E-08 / I-04: ``filename*=`` with ``../`` never leaves the attachment folder; the name shown is its last part."""
    message = mail(subject="Nom de fichier piégé")
    message.add_attachment(b"contenu", maintype="text", subtype="plain", filename=("utf-8", "", "../../évil.txt"))
    assert b"filename*=" in message.as_bytes()
    drop(box, message)
    assert fetch(app, box).counts == {"ticket": 1}
    with get_database(app).reader() as db:
        stored = db.scalars(select(Attachment).where(Attachment.ticket_id == row_of(app, message).ticket_id)).all()
    assert sorted(a.filename for a in stored) == ["courriel-original.eml", "évil.txt"]
    root = os.path.realpath(app.config["ATTACHMENTS_DIR"])
    for attachment in stored:
        path = os.path.realpath(os.path.join(root, attachment.storage_name))
        assert os.path.commonpath([root, path]) == root and os.path.exists(path)


def test_a_mail_a_ticket_rule_refuses_is_quarantined_not_retried_forever(app, box, monkeypatch):
    from ticket_service.actions import mail_in as action
    from ticket_service.domain.errors import invalid

    def refuse(*args, **kwargs):
        raise invalid("Certains champs sont invalides.", {"title": "refusé"})

    monkeypatch.setattr(action, "create_ticket", refuse)
    refused = mail(subject="Refusé par une règle")
    drop(box, refused)
    report = fetch(app, box)
    assert report.counts == {"quarantined": 1} and not report.errors and not list((box / "new").iterdir())
    assert row_of(app, refused).reason == "refused"
