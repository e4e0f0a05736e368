"""People and their access: create and disable accounts, issue API tokens, end every session."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ticket_service.actions.unit import commit
from ticket_service.domain import mail_audience
from ticket_service.domain import people as rules
from ticket_service.domain.errors import Conflict, NotFound, invalid
from ticket_service.store.models import ApiToken, MailOptOut, Person


def find_by_email(db: Session, email: str, *, active_only: bool = False) -> Person | None:
    """Return the person with this e-mail (case-insensitive)."""
    stmt = select(Person).where(func.lower(Person.email) == email.strip().lower())
    if active_only:
        stmt = stmt.where(Person.active.is_(True))
    return db.scalar(stmt)


def create_person(db: Session, email: str, name: str, role: str, password_hash: str | None,
                  site: str | None = None, department: str | None = None) -> Person:
    """Create a local account (levels and groups come from helpdesk.yml, not from the account)."""
    email = email.strip().lower()
    rules.check_role(role)
    site, department = rules.clean_place(site, "site"), rules.clean_place(department, "department")
    if "@" not in email or not name.strip() or len(email) > 254 or len(name) > 200:
        raise invalid("Adresse ou nom invalide.", {"email": "adresse e-mail", "name": "obligatoire"})
    if find_by_email(db, email) is not None:
        raise Conflict("already_exists", f"{email} existe déjà : désactivez le compte plutôt que d'en créer un autre.")
    person = Person(email=email, name=name.strip(), role=role, site=site, department=department, active=True,
                    session_epoch=0, password_hash=password_hash)
    db.add(person)
    commit(db)
    return person


def disable_person(db: Session, email: str, actor: Person | None = None) -> Person:
    """Disable an account and end all its sessions and API tokens at once (an administrator never disables
    their own account, nor the last active administrator)."""
    person = find_by_email(db, email)
    if person is None:
        raise NotFound("not_found", f"Aucun compte {email} : vérifiez l'adresse dans l'annuaire.")
    if actor is not None:
        rules.check_deactivation(db, actor, person)
    person.active = False
    person.session_epoch += 1
    db.execute(update(ApiToken).where(ApiToken.person_id == person.id).values(revoked=True))
    commit(db)
    return person


def update_person(db: Session, actor: Person, person_id: int, *, role: str, department: str | None,
                  site: str | None) -> Person:
    """Change a person's role, department and site; a changed role ends their sessions (they sign in again)."""
    person = db.get(Person, person_id)
    if person is None:
        raise NotFound("not_found", "Compte introuvable.")
    rules.check_change_of_role(db, actor, person, role)
    person.department, person.site = rules.clean_place(department, "department"), rules.clean_place(site, "site")
    if person.role != role:
        person.role = role
        person.session_epoch += 1
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


def set_mail_preferences(db: Session, person: Person, switched_off: set[str], at) -> set[str]:
    """Replace the optional mails a person switched off (essential ones are refused); return the new set."""
    mail_audience.check_switched_off(switched_off)
    db.execute(delete(MailOptOut).where(MailOptOut.person_id == person.id))
    db.add_all(MailOptOut(person_id=person.id, notification=name, at=at) for name in sorted(switched_off))
    commit(db)
    return switched_off
