"""Apply the company directory to Guichet's people: create, update, disable (with the safety brake), in one commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ticket_service.actions.unit import commit
from ticket_service.domain.directory import Change, Plan, Record
from ticket_service.store.models import ApiToken, DirectoryEntry, DirectoryRun, Person

NAME_MAX, PLACE_MAX, EMAIL_MAX = 200, 100, 254  # people.name, people.department / site, people.email


def _clip(value: str | None, size: int) -> str | None:
    value = (value or "").strip()
    return value[:size] or None


def plan(db: Session, records: list[Record], ratio: float) -> Plan:
    """Return what applying ``records`` would change (nothing is written)."""
    entries = {e.dn: e for e in db.scalars(select(DirectoryEntry))}
    # Every account once: one query per run rather than two per directory entry.
    person_of = {p.id: p for p in db.scalars(select(Person))}
    by_email = {p.email.lower(): p for p in person_of.values()}
    dn_of_person = {e.person_id: dn for dn, e in entries.items()}
    admins = {p.id for p in person_of.values() if p.role == "admin" and p.active}
    changes, skipped, seen_emails = [], [], {}
    listed = {r.dn for r in records}

    def disable(person: Person, change: Change) -> None:
        if person.id in admins and len(admins) == 1:  # as on /admin: never the last active administrator
            skipped.append(f"{change.dn}: {person.email} is the last active administrator, kept active")
            return
        admins.discard(person.id)
        changes.append(change)
    for record in records:
        if len(record.email) > EMAIL_MAX or len(record.dn) > 500:
            skipped.append(f"{record.dn}: e-mail or DN too long")
            continue
        if record.email in seen_emails:
            skipped.append(f"{record.dn}: e-mail {record.email} already given to {seen_emails[record.email]}")
            continue
        seen_emails[record.email] = record.dn
        entry = entries.get(record.dn)
        person = person_of.get(entry.person_id) if entry else by_email.get(record.email)
        if person is None:
            if record.enabled:  # an account disabled before Guichet ever knew it stays unknown
                changes.append(Change("created", record.email, record.dn))
            continue
        if entry is None and person.id in dn_of_person:
            skipped.append(f"{record.dn}: {record.email} is already synced from {dn_of_person[person.id]}")
            continue
        owner = by_email.get(record.email)
        if owner is not None and owner.id != person.id:
            skipped.append(f"{record.dn}: {record.email} belongs to another Guichet account")
            continue
        fields = {}
        for name, new in (("email", record.email), ("name", _clip(record.name, NAME_MAX)),
                          ("department", _clip(record.department, PLACE_MAX)), ("site", _clip(record.site, PLACE_MAX))):
            old = getattr(person, name)
            if (old.lower() if name == "email" and old else old) != new:
                fields[name] = (old, new)
        old_manager = dn_of_person.get(entry.manager_id) if entry is not None and entry.manager_id else None
        new_manager = record.manager_dn if record.manager_dn in listed and record.manager_dn != record.dn else None
        if old_manager != new_manager:  # a manager outside the filter cannot be named: not a change each run
            fields["manager"] = (old_manager, new_manager)
        if entry is None:
            fields["dn"] = (None, record.dn)
        if not record.enabled and person.active:
            disable(person, Change("disabled", record.email, record.dn, fields))
        elif record.enabled and not person.active and entry is not None and not entry.enabled:
            changes.append(Change("enabled", record.email, record.dn, fields))  # disabled by us, back in the directory
        elif fields:
            changes.append(Change("updated", record.email, record.dn, fields))
    for dn, entry in entries.items():  # gone from the directory (or from the filter): disabled too
        person = person_of.get(entry.person_id)
        if dn not in listed and person is not None and person.active:
            disable(person, Change("disabled", person.email, dn, {"dn": (dn, None)}))
    synced = sum(1 for e in entries.values() if e.enabled and person_of.get(e.person_id) and person_of[e.person_id].active)
    return Plan(changes, synced, ratio, skipped)


def _disable(db: Session, person: Person) -> None:
    """End every way in: sign-in (inactive), open sessions (epoch), API tokens (revoked)."""
    person.active = False
    person.session_epoch += 1
    db.execute(update(ApiToken).where(ApiToken.person_id == person.id).values(revoked=True))


def sync(db: Session, records: list[Record], ratio: float, now: datetime, *, dry_run: bool = False) -> Plan:
    """Apply the directory in one transaction and return the plan; a dry run, or a braked one, changes no one."""
    result = plan(db, records, ratio)
    if dry_run:
        db.rollback()
        return result
    if result.braked:
        db.add(DirectoryRun(at=now, outcome="braked", created=0, updated=0, disabled=0,
                            message=f"stopped by the safety brake: would have made {result.summary()}"))
        commit(db)
        return result
    by_dn = {r.dn: r for r in records}
    entries = {e.dn: e for e in db.scalars(select(DirectoryEntry))}
    for change in result.changes:
        record, entry = by_dn.get(change.dn), entries.get(change.dn)
        if change.kind == "created":
            person = Person(email=record.email, name=_clip(record.name, NAME_MAX) or record.email, role="employee",
                            site=_clip(record.site, PLACE_MAX), department=_clip(record.department, PLACE_MAX),
                            password_hash=None, active=True, session_epoch=0)
            db.add(person)
            db.flush()
            entries[change.dn] = DirectoryEntry(person_id=person.id, dn=change.dn, enabled=True, synced_at=now)
            db.add(entries[change.dn])
            continue
        person = db.get(Person, entry.person_id) if entry is not None else db.scalar(
            select(Person).where(func.lower(Person.email) == change.email))
        if entry is None:  # a local account the directory now keeps
            entry = entries[change.dn] = DirectoryEntry(person_id=person.id, dn=change.dn, enabled=True, synced_at=now)
            db.add(entry)
        for name in ("email", "name", "department", "site"):
            if name in change.fields:
                setattr(person, name, change.fields[name][1])
        if change.kind == "disabled":
            _disable(db, person)
            entry.enabled = False
        elif change.kind == "enabled":
            person.active, entry.enabled = True, True
    db.flush()
    for record in records:  # managers last: a manager may be created by this very run
        entry = entries.get(record.dn)
        if entry is None:
            continue
        manager = entries.get(record.manager_dn) if record.manager_dn in by_dn else None
        manager_id = manager.person_id if manager is not None and manager.person_id != entry.person_id else None
        if entry.manager_id != manager_id:  # only what changed: a quiet run writes one statement per 500 people
            entry.manager_id = manager_id
    seen = sorted(by_dn)
    for start in range(0, len(seen), 500):
        db.execute(update(DirectoryEntry).where(DirectoryEntry.dn.in_(seen[start:start + 500])).values(synced_at=now))
    db.add(DirectoryRun(at=now, outcome="applied", created=len(result.of("created")),
                        updated=len(result.of("updated")) + len(result.of("enabled")),
                        disabled=len(result.of("disabled")), message=result.summary()))
    commit(db)
    return result

