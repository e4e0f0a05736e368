"""People and their access: create and disable accounts, issue API tokens, end every session."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ticket_service.actions.unit import commit
from ticket_service.domain.errors import Conflict, NotFound, invalid
from ticket_service.domain.vocabulary import ROLES
from ticket_service.store.models import ApiToken, Person


def find_by_email(db: Session, email: str, *, active_only: bool = False) -> Person | None:
    """Return the person with this e-mail (case-insensitive)."""
    stmt = select(Person).where(func.lower(Person.email) == email.strip().lower())
    if active_only:
        stmt = stmt.where(Person.active.is_(True))
    return db.scalar(stmt)


def create_person(db: Session, email: str, name: str, role: str, password_hash: str | None,
                  site: str | None = None) -> Person:
    """Create a local account (levels and groups come from helpdesk.yml, not from the account)."""
    email = email.strip().lower()
    if role not in ROLES:
        raise invalid("Rôle inconnu.", {"role": ", ".join(ROLES)})
    if "@" not in email or not name.strip():
        raise invalid("Adresse ou nom invalide.", {"email": "adresse e-mail", "name": "obligatoire"})
    if find_by_email(db, email) is not None:
        raise Conflict("already_exists", f"{email} existe déjà : désactivez le compte plutôt que d'en créer un autre.")
    person = Person(email=email, name=name.strip(), role=role, site=site, active=True, session_epoch=0,
                    password_hash=password_hash)
    db.add(person)
    commit(db)
    return person


def disable_person(db: Session, email: str) -> Person:
    """Disable an account and end all its sessions and API tokens at once."""
    person = find_by_email(db, email)
    if person is None:
        raise NotFound("not_found", f"Aucun compte {email} : vérifiez l'adresse dans l'annuaire.")
    person.active = False
    person.session_epoch += 1
    db.execute(update(ApiToken).where(ApiToken.person_id == person.id).values(revoked=True))
    commit(db)
    return person


def issue_token(db: Session, email: str, token_hash: str, name: str) -> ApiToken:
    """Store a new API token's hash for an active account (the token itself is shown once, never stored)."""
    person = find_by_email(db, email, active_only=True)
    if person is None:
        raise NotFound("not_found", f"Aucun compte actif {email} : créez-le avec `guichet users add`.")
    token = ApiToken(person_id=person.id, token_hash=token_hash, name=name)
    db.add(token)
    commit(db)
    return token


def end_sessions(db: Session, person: Person) -> None:
    """Sign a person out everywhere: the bumped epoch ends every older session."""
    person.session_epoch += 1
    commit(db)


def renew_password_hash(db: Session, person: Person, password_hash: str) -> None:
    """Replace a person's password hash by one made with today's method (same password, made by the caller)."""
    person.password_hash = password_hash
    commit(db)
