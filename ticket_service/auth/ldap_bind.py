"""Sign-in with the directory password: find the person's entry, bind as them; Guichet stores no password."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticket_service.channels.directory import DirectoryError, find_login_dn, password_binds
from ticket_service.domain.directory import DirectoryConfig
from ticket_service.domain.policies import PolicyError
from ticket_service.http.errors import ApiError
from ticket_service.store.models import DirectoryEntry, Person

MODES = ("local", "ldap", "both")


def check_mode(mode: str) -> str:
    """Return the PASSWORD_SIGN_IN setting, refused unless it is one of MODES."""
    if mode not in MODES:
        raise PolicyError(f"PASSWORD_SIGN_IN is {mode!r} — fix: set local, ldap or both.")
    return mode


def check_settings(mode: str, config: DirectoryConfig | None) -> None:
    """Stop at start-up when sign-in is to check directory passwords and no directory is configured."""
    if check_mode(mode) != "local" and config is None:
        raise PolicyError(f"PASSWORD_SIGN_IN is {mode} but helpdesk.yml has no `directory:` section — fix: add it "
                          "(docs/annuaire.md), or set PASSWORD_SIGN_IN=local.")


def directory_login(config: DirectoryConfig | None, login: str, password: str) -> str | None:
    """Return the DN the directory accepts ``password`` for (the login looked up escaped), else None.

    Talks to the directory only: call it outside any database transaction (it waits on the network).
    """
    if config is None or not password or not login:
        return None
    try:
        dn = find_login_dn(config, login)
        if dn is None:
            # An unknown login still costs one bind, like a known one with a wrong password (A-11: no timing oracle).
            password_binds(config, f"cn=guichet-{secrets.token_hex(8)},{config.base_dn}", password)
            return None
        return dn.lower() if password_binds(config, dn, password) else None
    except DirectoryError:
        raise ApiError(503, "directory_unavailable", "L'annuaire de l'entreprise ne répond pas : réessayez dans "
                       "quelques minutes.", headers={"Retry-After": "60"}) from None


def synced_person(db: Session, dn: str) -> Person | None:
    """Return the active Guichet account the directory sync keeps for this DN (None: not synced, or disabled)."""
    entry = db.scalar(select(DirectoryEntry).where(DirectoryEntry.dn == dn))
    person = db.get(Person, entry.person_id) if entry is not None and entry.enabled else None
    return person if person is not None and person.active else None
