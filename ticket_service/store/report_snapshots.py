"""The report_snapshots table: read one pre-computed dashboard answer, save one, drop them (the caller commits)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from ticket_service.store.models import ReportSnapshot


def read(db: Session, key: str) -> ReportSnapshot | None:
    """Return the snapshot stored under a view's key, or None."""
    return db.get(ReportSnapshot, key)


def save(db: Session, key: str, data_version: str, as_of: datetime, cost_ms: int, payload: bytes) -> None:
    """Store (or replace) the snapshot of a view."""
    row = db.get(ReportSnapshot, key, with_for_update=True)
    if row is None:
        db.add(ReportSnapshot(key=key, data_version=data_version, as_of=as_of, cost_ms=cost_ms, payload=payload))
    else:
        row.data_version, row.as_of, row.cost_ms, row.payload = data_version, as_of, cost_ms, payload


def prune(db: Session, before: datetime) -> int:
    """Delete the snapshots computed before an instant (views of days gone by); return how many."""
    return db.execute(delete(ReportSnapshot).where(ReportSnapshot.as_of < before)).rowcount or 0


def drop_all(db: Session) -> int:
    """Delete every snapshot (an import rewrote the past, a person was forgotten); return how many."""
    return db.execute(delete(ReportSnapshot)).rowcount or 0
