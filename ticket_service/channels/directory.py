"""Read the company directory (LDAP / Active Directory) with ldap3: people as Records, and a person's own bind."""

from __future__ import annotations

import os
import ssl
from typing import Iterator

import ldap3
from ldap3.core.exceptions import LDAPBindError, LDAPException, LDAPStartTLSError
from ldap3.utils.conv import escape_filter_chars

from ticket_service.domain.directory import DirectoryConfig, Record, is_disabled

TIMEOUT_SECONDS = 15


class DirectoryError(Exception):
    """The directory could not be read (unreachable, refused the service account, bad filter); says which."""


def _server(config: DirectoryConfig) -> ldap3.Server:
    tls = None
    if config.tls != "none":  # the certificate and its host name are always checked
        tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=config.ca_file)
    return ldap3.Server(config.url, use_ssl=config.tls == "ldaps", tls=tls, connect_timeout=TIMEOUT_SECONDS,
                        get_info=ldap3.NONE)


def _connect(config: DirectoryConfig, user: str, password: str) -> ldap3.Connection:
    """Return a bound connection (STARTTLS before the bind when so configured); raise LDAPException if refused.

    Opened step by step rather than with auto_bind, which leaves the socket open when the bind is refused.
    """
    conn = ldap3.Connection(_server(config), user=user, password=password, receive_timeout=TIMEOUT_SECONDS,
                            raise_exceptions=False, read_only=True)
    try:
        conn.open()
        if config.tls == "starttls" and not conn.start_tls():
            raise LDAPStartTLSError(f"STARTTLS refused: {conn.result.get('description')}")
        if not conn.bind():
            raise LDAPBindError(f"{conn.result.get('description')} {conn.result.get('message') or ''}".strip())
    except BaseException:
        conn.unbind()
        if conn.socket is not None:  # ldap3 keeps the socket of a refused connect, closed=True but still open
            conn.socket.close()
        raise
    return conn


def service_connection(config: DirectoryConfig) -> ldap3.Connection:
    """Bind as the service account (password from its environment variable)."""
    password = os.environ.get(config.password_env, "")
    if not password:
        raise DirectoryError(f"{config.password_env} is empty: export the service account's password there.")
    try:
        return _connect(config, config.bind_dn, password)
    except LDAPException as exc:
        raise DirectoryError(f"{config.url}: bind as {config.bind_dn} failed ({type(exc).__name__}: {exc})") from None


def _first(values: dict, attribute: str) -> str | None:
    raw = values.get(attribute) or []
    if isinstance(raw, (str, bytes, int)):
        raw = [raw]
    text = str(raw[0]).strip() if raw else ""
    return text or None


def _search(conn: ldap3.Connection, config: DirectoryConfig, search: str, attributes: list[str]) -> Iterator[dict]:
    """Yield the entries of a paged subtree search under base_dn."""
    try:
        for entry in conn.extend.standard.paged_search(config.base_dn, search, search_scope=ldap3.SUBTREE,
                                                       attributes=attributes, paged_size=config.page_size,
                                                       generator=True):
            if entry.get("type") == "searchResEntry":
                yield entry
    except LDAPException as exc:
        raise DirectoryError(f"search {search} under {config.base_dn} failed ({exc})") from None
    if conn.result and conn.result.get("result") not in (0, None):
        raise DirectoryError(f"search {search} under {config.base_dn}: {conn.result.get('description')} "
                             f"{conn.result.get('message') or ''}".strip())


def read_people(config: DirectoryConfig) -> tuple[list[Record], list[str]]:
    """Return the people the filter finds (as Records) and the entries set aside (no e-mail), with the reason."""
    conn = service_connection(config)
    try:
        disabled_dns: set[str] = set()
        if config.disabled_filter is not None:
            both = f"(&{config.filter}{config.disabled_filter})"
            disabled_dns = {e["dn"].lower() for e in _search(conn, config, both, ["1.1"])}
        records, skipped = [], []
        names = config.attributes
        for entry in _search(conn, config, config.filter, config.read_attributes()):
            values, dn = entry.get("attributes") or {}, entry["dn"].lower()
            email = _first(values, names["email"])
            if email is None or "@" not in email:
                skipped.append(f"{entry['dn']}: no e-mail in {names['email']}")
                continue
            manager = _first(values, names["manager"])
            enabled = dn not in disabled_dns if config.disabled_filter is not None else not is_disabled(config, values)
            records.append(Record(dn=dn, email=email.lower(), name=_first(values, names["name"]) or email,
                                  department=_first(values, names["department"]), site=_first(values, names["site"]),
                                  manager_dn=manager.lower() if manager else None, enabled=enabled))
        return records, skipped
    finally:
        conn.unbind()


def find_login_dn(config: DirectoryConfig, login: str) -> str | None:
    """Return the DN of the one entry whose login attribute is ``login`` (escaped: no filter injection), else None."""
    conn = service_connection(config)
    try:
        search = f"(&{config.filter}({config.login_attribute}={escape_filter_chars(login)}))"
        found = [e["dn"] for e in _search(conn, config, search, ["1.1"])]
        return found[0] if len(found) == 1 else None  # two entries for one login: refuse rather than guess
    finally:
        conn.unbind()


def password_binds(config: DirectoryConfig, dn: str, password: str) -> bool:
    """True when the directory accepts ``password`` for ``dn`` (an empty password is refused before: RFC 4513 §5.1.2
    would make it an unauthenticated bind that « succeeds »)."""
    if not password:
        return False
    try:
        conn = _connect(config, dn, password)
    except LDAPException:
        return False
    conn.unbind()
    return True
