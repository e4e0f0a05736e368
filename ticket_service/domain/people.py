"""Rules about people's accounts: what an administrator may change, and what keeps the helpdesk administrable."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ticket_service.domain.errors import Conflict, invalid
from ticket_service.domain.vocabulary import ROLES
from ticket_service.store.models import Person

PLACE = (0, 100)  # department and site: optional, at most 100 characters


def clean_place(value: str | None, field: str) -> str | None:
    """Return a department or site trimmed (None when empty); refuse one past 100 characters."""
    value = (value or "").strip()
    if len(value) > PLACE[1]:
        raise invalid("Texte trop long.", {field: f"au plus {PLACE[1]} caractères"})
    return value or None


def check_role(role: str) -> None:
    """Refuse a role that is not one of the helpdesk's."""
    if role not in ROLES:
        raise invalid("Rôle inconnu.", {"role": ", ".join(ROLES)})


def _other_active_admins(db: Session, person: Person) -> int:
    return db.scalar(select(func.count()).select_from(Person).where(
        Person.role == "admin", Person.active.is_(True), Person.id != person.id))


def check_change_of_role(db: Session, actor: Person, person: Person, role: str) -> None:
    """Refuse an administrator dropping their own role, and the change that would leave no active administrator."""
    check_role(role)
    if person.role != "admin" or role == "admin":
        return
    if person.id == actor.id:
        raise Conflict("own_role", "Vous ne pouvez pas retirer votre propre rôle d'administrateur : demandez-le à un autre.")
    if person.active and _other_active_admins(db, person) == 0:
        raise Conflict("last_admin", "C'est le dernier administrateur actif : nommez-en un autre d'abord.")


def check_deactivation(db: Session, actor: Person, person: Person) -> None:
    """Refuse deactivating oneself, or the last active administrator."""
    if person.id == actor.id:
        raise Conflict("own_account", "Vous ne pouvez pas désactiver votre propre compte.")
    if person.role == "admin" and person.active and _other_active_admins(db, person) == 0:
        raise Conflict("last_admin", "C'est le dernier administrateur actif : nommez-en un autre d'abord.")
