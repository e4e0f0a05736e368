"""Mail in: parse a raw mail strictly (sender, subject, text without quotes, files) and read what its headers say.

Mail is an untrusted, unauthenticated input (reliability catalogue E-04 to E-08): the sender is the one From
addr-spec, never Reply-To or Sender; control headers (X-Helpdesk-*) are never read; a reply names its ticket only
by a token Guichet signed; anything the parser cannot read is quarantined with a reason, never raised.
"""

from __future__ import annotations

import hashlib
import html
import re
from email import errors, message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from typing import Iterable

import nh3

from ticket_service.domain.inbound_mail import Inbound, Part
from ticket_service.notify.tokens import ticket_of, ticket_of_message_id

MAX_PARTS = 200  # MIME parts walked in one mail; past it, quarantine (E-08)
MAX_DEPTH = 6  # nested multiparts / message/rfc822
MAX_FILES = 20  # files kept from one mail (the per-ticket limit applies after)
BULK = {"bulk", "junk", "list", "auto_reply"}
DAEMONS = {"mailer-daemon", "postmaster"}
SUBJECT_CHARS = 200
BROKEN = (errors.NoBoundaryInMultipartDefect, errors.StartBoundaryNotFoundDefect,
          errors.MultipartInvariantViolationDefect)  # a multipart that cannot be split safely (E-08)
_ID = re.compile(r"<[^<>\s]{1,245}>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


class Malformed(ValueError):
    """A mail the door cannot read safely; its message says what, for the quarantine list."""


def parse(raw: bytes, *, own_addresses: Iterable[str] = ()) -> Inbound:
    """Return the mail as Guichet reads it; a mail it cannot read comes back with ``block="malformed"``."""
    raw_sha = hashlib.sha256(raw).hexdigest()
    head, sep, body = raw.partition(b"\r\n\r\n") if b"\r\n\r\n" in raw[:1 << 20] else raw.partition(b"\n\n")
    body_sha = hashlib.sha256(body if sep else raw).hexdigest()
    try:
        message = message_from_bytes(raw, policy=policy.default)
        sender, name, flags = _sender(message)
        subject = one_line(_header(message, "Subject"))[:SUBJECT_CHARS]
        text, files = _content(message)
    except Exception as exc:  # any parser failure is the mail's fault: quarantine it, go on with the next (E-08)
        what = str(exc) if isinstance(exc, Malformed) else f"{type(exc).__name__} while reading the MIME structure"
        loose_id = _ids(_loose(raw, rb"message-id"))
        return Inbound(sender=_loose_sender(raw), sender_name="", subject=one_line(_loose(raw, rb"subject"))[:200],
                       message_id=loose_id[0] if loose_id else None,
                       refs=(), recipients=(), text="", files=(), sent_at=None, raw_sha256=raw_sha,
                       body_sha256=body_sha, block="malformed", malformed=what[:200])
    message_id = _ids(_header(message, "Message-ID"))
    refs = _ids(_header(message, "In-Reply-To")) + _ids(_header(message, "References"))
    recipients = tuple(_addresses(message, ("To", "Cc", "Delivered-To", "X-Original-To")))
    inbound = Inbound(sender=sender, sender_name=one_line(name)[:200], subject=subject,
                      message_id=message_id[0] if message_id else None, refs=refs, recipients=recipients,
                      text=strip_quotes(text), files=tuple(files), sent_at=_date(message), raw_sha256=raw_sha,
                      body_sha256=body_sha, flags=tuple(flags))
    block = classify(message, inbound, {a.lower() for a in own_addresses})
    return Inbound(**{**inbound.__dict__, "block": block}) if block else inbound


def classify(message: EmailMessage, inbound: Inbound, own: set[str]) -> str | None:
    """Return why the headers alone keep a mail out (loops and floods, E-07), or None."""
    if not inbound.sender:
        return "no_sender"
    auto = _header(message, "Auto-Submitted").strip().lower()
    if (auto and auto != "no") or _header(message, "X-Autoreply") or _header(message, "X-Autorespond"):
        return "auto_submitted"
    if _header(message, "Precedence").strip().lower() in BULK:
        return "bulk"
    local, _, domain = inbound.sender.partition("@")
    if local.lower() in DAEMONS or message.get_content_type() == "multipart/report":
        return "bounce"
    base = local.split("+", 1)[0] + "@" + domain
    if inbound.sender in own or base in own or _header(message, "X-Guichet-Notification"):
        return "own_address"
    return None


def reply_ticket(secret_key: str, inbound: Inbound) -> int | None:
    """Return the ticket a mail answers by a token Guichet signed: its reply address, else a Message-ID it quotes."""
    for address in inbound.recipients:
        local = address.partition("@")[0]
        if "+" in local:
            found = ticket_of(secret_key, local.partition("+")[2])
            if found is not None:
                return found
    for ref in inbound.refs:
        found = ticket_of_message_id(secret_key, ref)
        if found is not None:
            return found
    return None


def one_line(text: str) -> str:
    """Return text on one line without control or bidi characters (a subject goes into headers and pages, E-06)."""
    return " ".join(_CONTROL.sub(" ", text or "").split())


# Quoted history: everything from the first of these lines on is the previous mails, not what the sender wrote.
_CUTS = [re.compile(p, re.I) for p in (
    r"^\s*(le|on)\s.{0,200}?(a écrit|wrote)\s*:\s*$",
    r"^\s*-{2,}\s*(original message|message d'origine|message original|forwarded message|message transféré)\s*-{2,}",
    r"^\s*_{10,}\s*$",
    r"^--\s?$",
)]
_OUTLOOK_FROM = re.compile(r"^\s*\*?(de|from)\s?:\*?\s", re.I)
_OUTLOOK_NEXT = re.compile(r"^\s*\*?(envoyé|sent|date|à|to|objet|subject|cc)\s?:", re.I)


def strip_quotes(text: str) -> str:
    """Return what the sender wrote: no ``>`` lines, no « Le … a écrit : » history, no Outlook block, no signature."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        joined = line + " " + lines[i + 1] if i + 1 < len(lines) else line  # « Le …, Alice <a@b>\na écrit : »
        if any(c.match(line) for c in _CUTS) or (_CUTS[0].match(joined) and not line.startswith(">")):
            break
        if _OUTLOOK_FROM.match(line) and any(_OUTLOOK_NEXT.match(n) for n in lines[i + 1:i + 4]):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    result = "\n".join(kept).strip()
    return re.sub(r"\n{3,}", "\n\n", result)


def html_text(markup: str) -> str:
    """Return the text of an HTML mail: nh3 drops every tag (scripts and styles with their content), then unescape."""
    markup = re.sub(r"(?i)<blockquote[^>]*>.*?</blockquote>", "\n", markup, flags=re.S)  # quoted history
    markup = re.sub(r"(?i)<br\s*/?>|</li>", "\n", markup)
    markup = re.sub(r"(?i)</(p|div|tr|h[1-6]|ul|ol|table)>", "\n\n", markup)
    text = html.unescape(nh3.clean(markup, tags=set(), clean_content_tags={"script", "style", "head", "title"}))
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _header(message: EmailMessage, name: str) -> str:
    value = message.get(name)
    return str(value) if value is not None else ""


def _sender(message: EmailMessage) -> tuple[str, str, list[str]]:
    """Return (addr-spec, display name, flags) of the single From address; ("", "", …) when there is not exactly one."""
    flags = []
    froms = message.get_all("From") or []
    addresses = [a for header in froms for a in getattr(header, "addresses", ())]
    if len(addresses) != 1 or not addresses[0].username or not addresses[0].domain:
        return "", "", ["from_count"] if addresses else []
    address = addresses[0]
    sender = address.addr_spec.lower()
    if "@" in address.display_name:
        flags.append("address_in_name")  # "alice@corp" <eve@evil.test>: the requester is eve (E-05)
    for other in ("Reply-To", "Sender"):
        values = [a.addr_spec.lower() for h in (message.get_all(other) or []) for a in getattr(h, "addresses", ())]
        if values and values != [sender]:
            flags.append("from_mismatch")
    return sender, address.display_name, sorted(set(flags))


def _addresses(message: EmailMessage, names: tuple[str, ...]) -> list[str]:
    found = []
    for name in names:
        for header in message.get_all(name) or []:
            # Case kept: the reply token's signature is case-sensitive.
            found += [a.addr_spec for a in getattr(header, "addresses", ()) if a.username]
            if not hasattr(header, "addresses"):
                found += re.findall(r"[^\s<>,]+@[^\s<>,]+", str(header))
    return found


def _ids(value: str) -> tuple[str, ...]:
    return tuple(_ID.findall(value or ""))[:50]


def _date(message: EmailMessage):
    try:
        moment = parsedate_to_datetime(_header(message, "Date"))
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo is not None else None


def _content(message: EmailMessage) -> tuple[str, list[Part]]:
    """Return (text, files): the first text/plain body (else the HTML one's text) and every attached file."""
    plain, markup, files = [], [], []
    count = 0

    def walk(part: EmailMessage, depth: int, keep: bool = True) -> None:
        nonlocal count
        count += 1
        if count > MAX_PARTS:
            raise Malformed(f"more than {MAX_PARTS} MIME parts")
        if depth > MAX_DEPTH:
            raise Malformed(f"MIME parts nested deeper than {MAX_DEPTH}")
        broken = [d for d in part.defects if isinstance(d, BROKEN)]
        if broken:
            raise Malformed(f"broken MIME structure ({type(broken[0]).__name__})")
        kind = part.get_content_type()
        if kind == "message/rfc822":  # a forwarded mail: one .eml file, its own structure checked too
            for inner in part.get_payload() if isinstance(part.get_payload(), list) else ():
                walk(inner, depth + 1, keep=False)
            if keep:
                add_file(part, part.get_filename() or "message.eml")
            return
        if part.get_content_maintype() == "multipart":
            if not part.is_multipart() or not part.get_boundary():
                raise Malformed("multipart without a boundary")
            for child in part.iter_parts():
                walk(child, depth + 1, keep)
            return
        if not keep:
            return
        filename = part.get_filename()
        if filename or part.get_content_disposition() == "attachment":
            add_file(part, filename or "piece-jointe")
        elif kind == "text/plain":
            plain.append(_text(part))
        elif kind == "text/html":
            markup.append(_text(part))

    def add_file(part: EmailMessage, name: str) -> None:
        if len(files) >= MAX_FILES:
            raise Malformed(f"more than {MAX_FILES} attached files")
        files.append(Part(name, _bytes(part)))

    walk(message, 0)
    text = "\n\n".join(plain) if plain else "\n\n".join(html_text(m) for m in markup)
    return text, files


def _text(part: EmailMessage) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeError, AssertionError):  # a bogus charset: read it as UTF-8, replacing the rest
        return (part.get_payload(decode=True) or b"").decode("utf-8", "replace")


def _bytes(part: EmailMessage) -> bytes:
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        return inner[0].as_bytes() if isinstance(inner, list) and inner else bytes(part.get_payload(decode=True) or b"")
    return part.get_payload(decode=True) or b""


def _loose_sender(raw: bytes) -> str:
    found = re.search(rb"(?im)^from:.*?([A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,190})", raw[:65536])
    return found.group(1).decode("ascii", "replace").lower() if found else ""


def _loose(raw: bytes, name: bytes) -> str:
    """Return a header of a mail the parser could not read, found by a plain search (for the quarantine list)."""
    found = re.search(rb"(?im)^" + name + rb":[ \t]*(.{0,250})", raw[:65536])
    return found.group(1).decode("utf-8", "replace") if found else ""
