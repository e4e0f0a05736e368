"""Mail in over IMAP against a real dovecot (TLS, STARTTLS, password, XOAUTH2), the mail.fetch job, UIDVALIDITY
changes (E-03), and the issue's scenario: a mail becomes a ticket, the desk answers by SMTP, the reply threads back."""

from __future__ import annotations

import os
import re
import shutil
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from imap_peer import ACCESS_TOKEN, DOVECOT, Dovecot, TokenProvider
from mail_peer import Peer
from test_mail_in import SUPPORT, comments, mail, row_of, ticket
from ticket_service import create_app
from ticket_service.actions.mail_in import Intake
from ticket_service.channels.imap import ImapError, run_mailbox, run_source
from ticket_service.channels.intake import Report
from ticket_service.domain.policies import PolicyError, load_policies
from ticket_service.jobs import run_now
from ticket_service.runtime import get_ctx
from ticket_service.settings import DEFAULTS
from tshelpers import ROLES, ROOT, Browser, app_config

PASSWORD = "mot-de-passe-imap"
CLIENT_SECRET = "secret-du-client-oauth"
ENVIRONMENT = {"GUICHET_TEST_IMAP_PASSWORD": PASSWORD, "GUICHET_TEST_IMAP_SECRET": CLIENT_SECRET}
NO_SCHEDULES = {name: 0 for name in DEFAULTS["JOB_INTERVALS"]}

if not os.path.exists(DOVECOT) and not os.environ.get("CI"):
    pytest.skip("DOVECOT MISSING — run scripts/ensure-test-tools.sh (Debian dovecot-imapd); CI never skips this",
                allow_module_level=True)


@pytest.fixture(scope="module")
def provider():
    server = TokenProvider(SUPPORT, "guichet-test", CLIENT_SECRET)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def dovecot(provider, db_url):  # one per database variant: each starts with empty folders
    server = Dovecot({SUPPORT: PASSWORD}, provider).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def smtp():
    peer = Peer().start()
    yield peer
    peer.stop()


@pytest.fixture(scope="module")
def app(db_url, tmp_path_factory, dovecot, provider, smtp):
    folder = tmp_path_factory.mktemp("mail-in-imap")
    helpdesk = folder / "helpdesk.yml"
    helpdesk.write_text((ROOT / "helpdesk.yml").read_text(encoding="utf-8") + f"""
mail_in:
  - name: support
    host: 127.0.0.1
    port: {dovecot.tls_port}
    username: {SUPPORT}
    password_env: GUICHET_TEST_IMAP_PASSWORD
  - name: support-starttls
    host: 127.0.0.1
    port: {dovecot.plain_port}
    security: starttls
    username: {SUPPORT}
    auth: oauth2
    token_endpoint: {provider.url}/token
    client_id: guichet-test
    client_secret_env: GUICHET_TEST_IMAP_SECRET
    scope: https://outlook.office365.com/.default
    folder: Tri
    move_to: Traites
""", encoding="utf-8")
    saved = {k: os.environ.get(k) for k in ENVIRONMENT}
    os.environ.update(ENVIRONMENT)
    application = create_app(app_config(db_url, folder, HELPDESK_CONFIG=str(helpdesk), MAIL_FROM=f"Support <{SUPPORT}>",
                                        MAIL_IN_CA_FILE=str(dovecot.cert), MAIL_IN_PER_SENDER_HOUR=1000,
                                        ATTACHMENT_MAX_BYTES=1024 * 1024, JOB_INTERVALS=NO_SCHEDULES,
                                        SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, SMTP_SECURITY="none",
                                        PUBLIC_URL="https://guichet.example.org"))
    yield application
    application.extensions["guichet_db"].dispose()
    for key, value in saved.items():
        os.environ.pop(key) if value is None else os.environ.__setitem__(key, value)


def ctx_of(app):
    with app.app_context():
        return get_ctx()


def test_the_mail_fetch_job_reads_imaps_with_a_password_and_flags_seen_only_what_it_took(app, dovecot):
    first, second = mail(subject="Souris sans fil"), mail(subject="Clavier qui colle")
    dovecot.append(SUPPORT, first.as_bytes())
    dovecot.append(SUPPORT, second.as_bytes())
    result = run_now(app, "mail.fetch", {"mailbox": "support"})
    assert result == {"support": "2 ticket"}
    assert ticket(app, row_of(app, first).ticket_id).channel == "mail"
    assert row_of(app, second).uid == 2 and row_of(app, second).uidvalidity > 0
    assert all(b"\\Seen" in f for f in dovecot.flags(SUPPORT))
    assert run_now(app, "mail.fetch", {"mailbox": "support"}) == {"support": "nothing waiting"}


def test_starttls_with_oauth2_client_credentials_reads_a_folder_and_moves_what_it_took(app, dovecot, provider):
    message = mail(subject="Écran Teams figé")
    dovecot.append(SUPPORT, message.as_bytes(), folder="Tri")
    box = ctx_of(app).policies.mail_in.mailbox("support-starttls")
    report = run_mailbox(app, ctx_of(app), box)
    assert report.counts == {"ticket": 1} and not report.errors
    grant = provider.grants[-1]
    assert grant["grant_type"] == "client_credentials" and grant["scope"] == "https://outlook.office365.com/.default"
    assert dovecot.flags(SUPPORT, "Tri") == [] and len(dovecot.flags(SUPPORT, "Traites")) == 1


def test_a_wrong_password_or_client_secret_is_a_clear_error_naming_the_mailbox(app, monkeypatch):
    monkeypatch.setenv("GUICHET_TEST_IMAP_PASSWORD", "faux")
    with pytest.raises(ImapError, match="mailbox support: sign-in or folder refused"):
        run_mailbox(app, ctx_of(app), ctx_of(app).policies.mail_in.mailbox("support"))
    monkeypatch.setenv("GUICHET_TEST_IMAP_SECRET", "faux")
    with pytest.raises(ImapError, match=r"mailbox support-starttls: the token endpoint refused \(401\)"):
        run_mailbox(app, ctx_of(app), ctx_of(app).policies.mail_in.mailbox("support-starttls"))
    monkeypatch.delenv("GUICHET_TEST_IMAP_PASSWORD")
    with pytest.raises(ImapError, match="GUICHET_TEST_IMAP_PASSWORD is not set"):
        run_mailbox(app, ctx_of(app), ctx_of(app).policies.mail_in.mailbox("support"))


def test_dovecot_refuses_a_bearer_token_its_introspection_does_not_know(dovecot):
    import imaplib

    from ticket_service.channels.imap import xoauth2

    client = imaplib.IMAP4_SSL("127.0.0.1", dovecot.tls_port, ssl_context=dovecot.context(), timeout=30)
    with pytest.raises(imaplib.IMAP4.error):
        client.authenticate("XOAUTH2", lambda _: xoauth2(SUPPORT, ACCESS_TOKEN + "-faux"))
    client.shutdown()


class RenumberedBox:
    """A fake mailbox (no server) that recreates itself: a new UIDVALIDITY and the old UIDs given to other mails."""

    name = "recreated"

    def __init__(self, uidvalidity: int, mails: dict[int, bytes]):
        self.uidvalidity, self.mails, self.marked = uidvalidity, mails, []

    def waiting(self):
        return sorted(set(self.mails) - set(self.marked))

    def fetch(self, uid):
        return self.mails[uid]

    def mark(self, uid):
        self.marked.append(uid)


def test_E03_a_new_uidvalidity_with_reused_uids_loses_nothing_and_duplicates_nothing(app):
    """E-03: after the box is recreated, UID 1 is another mail (taken in) and the old mail under UID 2 is known."""
    old, new = mail(subject="Avant recréation").as_bytes(), mail(subject="Après recréation").as_bytes()
    intake = Intake("recreated", per_sender_hour=1000)
    assert run_source(app, ctx_of(app), RenumberedBox(7, {1: old}), intake, Report()).counts == {"ticket": 1}
    again = run_source(app, ctx_of(app), RenumberedBox(8, {1: new, 2: old}), intake, Report())
    assert again.counts == {"ticket": 1, "duplicate": 1} and not again.errors
    assert run_source(app, ctx_of(app), RenumberedBox(8, {1: new, 2: old}), intake, Report()).counts == {
        "duplicate": 2}  # known by UIDVALIDITY + UID now, without fetching


def test_scenario_mail_to_ticket_desk_answer_by_smtp_and_the_reply_threads_back(app, dovecot, smtp):
    """The end-to-end scenario: IMAP → ticket; the technician answers from the desk, the mail goes out; the requester
    answers it (In-Reply-To its Message-ID) and the reply lands on the same ticket, its quotes stripped."""
    first = mail(subject="VPN coupé toutes les 10 minutes", body="Bonjour,\nle VPN se coupe sans arrêt.\n\n--\nClaire")
    dovecot.append(SUPPORT, first.as_bytes())
    assert run_now(app, "mail.fetch", {"mailbox": "support"}) == {"support": "1 ticket"}
    ticket_id = row_of(app, first).ticket_id
    smtp.received.clear()
    desk = Browser(app, "n1")
    answered = desk.submit(f"/desk/tickets/{ticket_id}/commentaire", {"body": "Pouvez-vous mettre à jour le client ?"})
    assert answered.status_code in (302, 303)
    run_now(app, "outbox.deliver")
    replies = [m for rcpt, m in smtp.received if m["X-Guichet-Notification"] == "reply"]
    assert len(replies) == 1 and smtp.received[-1][0] == [ROLES["employee_a"]]
    sent = replies[0]
    answer = EmailMessage()
    answer["From"], answer["To"] = ROLES["employee_a"], str(sent["Reply-To"])
    answer["Subject"] = "Re: " + str(sent["Subject"])
    answer["Message-ID"], answer["In-Reply-To"] = "<reponse-claire@client.test>", sent["Message-ID"]
    answer["References"] = f"{sent['References']} {sent['Message-ID']}"
    answer.set_content("C'est fait, merci : plus de coupure.\n\nLe jeu. 3 déc. 2026 à 10:00, Support "
                       f"<{SUPPORT}> a écrit :\n> Pouvez-vous mettre à jour le client ?\n")
    dovecot.append(SUPPORT, answer.as_bytes())
    assert run_now(app, "mail.fetch", {"mailbox": "support"}) == {"support": "1 comment"}
    assert comments(app, ticket_id) == ["Pouvez-vous mettre à jour le client ?", "C'est fait, merci : plus de coupure."]
    received = message_from_bytes(answer.as_bytes(), policy=policy.default)
    assert row_of(app, received).ticket_id == ticket_id


def test_guichet_mail_fetch_imap_by_name_and_an_unknown_name(app, dovecot, db_url, tmp_path):
    from click.testing import CliRunner

    from ticket_service.cli import main as guichet

    dovecot.append(SUPPORT, mail(subject="Par cron et IMAP").as_bytes())
    env = {"GUICHET_DATABASE_URL": db_url, "GUICHET_SECRET_KEY": "test-secret", "GUICHET_SITE_DIR": str(tmp_path),
           "GUICHET_HELPDESK_CONFIG": app.config["HELPDESK_CONFIG"], "GUICHET_MAIL_FROM": SUPPORT,
           "GUICHET_ATTACHMENTS_DIR": app.config["ATTACHMENTS_DIR"], "GUICHET_MAIL_IN_CA_FILE": str(dovecot.cert)}
    done = CliRunner().invoke(guichet, ["mail", "fetch", "--imap", "support"], env=env, catch_exceptions=False)
    assert done.exit_code == 0 and "support: 1 ticket" in done.output, done.output
    missing = CliRunner().invoke(guichet, ["mail", "fetch", "--imap", "nope"], env=env)
    assert missing.exit_code != 0 and "no mailbox 'nope'" in missing.output


@pytest.mark.parametrize("section, key", [
    ("[{name: a, host: h, username: u}]", "mail_in.0.password_env"),
    ("[{name: a, host: h, username: u, password_env: 'hunter2!'}]", "mail_in.0.password_env"),
    ("[{name: a, host: h, username: u, password_env: P, security: none}]", "mail_in.0.security"),
    ("[{name: a, host: h, username: u, password_env: P, passwd: x}]", "mail_in.0.passwd"),
    ("[{name: a, host: h, username: u, auth: oauth2, client_secret_env: S}]", "mail_in.0.token_endpoint"),
    ("[{name: a, host: h, username: u, password_env: P}, {name: a, host: h, username: u, password_env: P}]",
     "mail_in.1.name"),
    ("{name: a}", "mail_in"),
])
def test_mail_in_settings_are_validated_naming_the_key_and_the_fix(tmp_path, section, key):
    path = tmp_path / "helpdesk.yml"
    path.write_text((ROOT / "helpdesk.yml").read_text(encoding="utf-8") + f"\nmail_in: {section}\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=re.escape(f"`{key}`") + ".*fix:"):
        load_policies(path)


def test_dovecot_is_installed_by_the_test_tools_script():
    assert "dovecot-imapd" in (ROOT / "scripts" / "ensure-test-tools.sh").read_text()
    assert shutil.which("dovecot") or os.path.exists(DOVECOT)


def test_oauth2_refresh_token_grant_is_used_when_configured(app, provider, monkeypatch):
    from dataclasses import replace

    from ticket_service.channels.imap import oauth2_token

    monkeypatch.setenv("GUICHET_TEST_IMAP_REFRESH", "jeton-d-actualisation")
    box = replace(ctx_of(app).policies.mail_in.mailbox("support-starttls"), refresh_token_env="GUICHET_TEST_IMAP_REFRESH")
    assert oauth2_token(box, timeout=10) == ACCESS_TOKEN
    grant = provider.grants[-1]
    assert (grant["grant_type"], grant["refresh_token"]) == ("refresh_token", "jeton-d-actualisation")


def test_E06_an_encoded_newline_in_the_subject_gives_one_acknowledgement_to_the_requester_only(app, dovecot, smtp):
    """E-06: a mail subject carrying an RFC 2047 CR/LF and a Bcc: becomes a one-line title; the acknowledgement goes to
    exactly the requester, with one Subject line, and the delivery job does not crash."""
    raw = (f"From: {ROLES['employee_a']}\r\nTo: {SUPPORT}\r\nMessage-ID: <crlf@client.test>\r\n"
           "Subject: =?utf-8?q?Imprimante=0D=0ABcc=3A_eve=40evil=2Etest?=\r\n\r\nElle bourre.\r\n").encode()
    dovecot.append(SUPPORT, raw)
    run_now(app, "mail.fetch", {"mailbox": "support"})
    smtp.received.clear()
    run_now(app, "outbox.deliver")
    acks = [(rcpt, m) for rcpt, m in smtp.received if m["X-Guichet-Notification"] == "acknowledgement"
            and "Imprimante" in str(m["Subject"])]
    assert len(acks) == 1
    rcpt, message = acks[0]
    assert rcpt == [ROLES["employee_a"]] and message.get_all("Bcc") is None
    assert len(message.get_all("Subject")) == 1 and "\n" not in str(message["Subject"])
