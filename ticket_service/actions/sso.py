"""Single sign-on: find the person an OpenID Connect identity belongs to, linking it by e-mail at the first sign-in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ticket_service.actions.people import find_by_email
from ticket_service.actions.unit import commit, rollback
from ticket_service.domain.errors import Conflict, Forbidden
from ticket_service.store.models import Person, SsoIdentity



def _inactive() -> Forbidden:
    return Forbidden("sso_inactive", "Ce compte est désactivé.")


def sign_in_identity(db: Session, *, issuer: str, subject: str, email: str | None, email_verified: bool,
                     name: str | None, allow_create: bool, now: datetime) -> Person:
    """Return the active person of (issuer, subject); a first sign-in links by verified e-mail (or creates, if allowed)."""
    for _attempt in range(2):  # a concurrent first sign-in of the same identity wins the link: read it back once
        try:
            return _sign_in(db, issuer, subject, email, email_verified, name, allow_create, now)
        except IntegrityError:
            rollback(db)
    return _sign_in(db, issuer, subject, email, email_verified, name, allow_create, now)


def _sign_in(db, issuer, subject, email, email_verified, name, allow_create, now) -> Person:
    identity = db.scalar(select(SsoIdentity).where(SsoIdentity.issuer == issuer, SsoIdentity.subject == subject))
    if identity is not None:
        person = db.get(Person, identity.person_id)
        if person is None or not person.active:
            raise _inactive()
        identity.last_seen_at = now
        commit(db)
        return person
    if not email or "@" not in email or len(email) > 254:
        raise Forbidden("sso_no_email", "Le fournisseur d'identité n'a pas donné d'adresse e-mail.")
    if not email_verified:
        # An address the provider has not verified could be anyone's: it must not open that person's account.
        raise Forbidden("sso_email_unverified", "Le fournisseur d'identité n'a pas vérifié cette adresse e-mail.")
    person = find_by_email(db, email)
    if person is None:
        if not allow_create:
            raise Forbidden("sso_no_account", "Aucun compte Guichet pour cette adresse.")
        person = Person(email=email, name=(name or email.split("@")[0]).strip()[:200] or email, role="employee",
                        active=True, session_epoch=0, password_hash=None, created_at=now)
        db.add(person)
        db.flush()
    elif not person.active:
        raise _inactive()
    elif db.scalar(select(SsoIdentity.id).where(SsoIdentity.person_id == person.id, SsoIdentity.issuer == issuer)):
        # Another account at the same provider already opens this person's: a reused address must not take it over.
        raise Conflict("sso_already_linked", "Ce compte Guichet est déjà lié à un autre compte du fournisseur.")
    db.add(SsoIdentity(issuer=issuer, subject=subject, person_id=person.id, email=email, created_at=now,
                       last_seen_at=now))
    commit(db)
    return person
