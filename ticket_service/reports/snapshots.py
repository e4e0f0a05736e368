"""Dashboard answers pre-computed by the ``reports.refresh`` job and shared through the database by every process.

On a big history a view (the page for a period and filters, with every panel and the previous period) takes seconds
to compute; the job computes the standard views — the preset periods for the whole desk, this month for each
technician's set of groups — and stores each with the data version it read and what it cost. A request for one of
them is served from the store when computing it cost more than the live budget and the snapshot is recent enough;
a cheaper view (a small company) is always computed on the request, so its figures are never older than the data.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ticket_service.domain.policies import Policies
from ticket_service.reports import result_cache
from ticket_service.reports.filters import Filters
from ticket_service.reports.options import DEFAULT_PERIOD
from ticket_service.reports.period import Period, resolve_period
from ticket_service.store import report_snapshots as store

VIEW_PERIODS = ("this_month", "last_month", "30d", "90d")  # the page's presets, for the whole desk
MAX_GROUP_VIEWS = 12  # technicians' sets of groups kept (this month only): the rest is computed on request
FORMAT = 3  # of the payload, in every key: rows written by another release are never read
_digests: dict[int, tuple[Policies, str]] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class ServePolicy:
    """When a snapshot answers a request: it cost at least ``budget`` to compute and is at most ``max_age`` old."""

    max_age: timedelta
    budget: timedelta


def policies_digest(policies: Policies) -> str:
    """Return a digest of the policies (their repr holds only values), the same in every process."""
    with _lock:
        found = _digests.get(id(policies))
        if found is not None and found[0] is policies:
            return found[1]
        digest = hashlib.sha256(repr(policies).encode()).hexdigest()[:16]
        if len(_digests) > 8:
            _digests.clear()
        _digests[id(policies)] = (policies, digest)
        return digest


def view_key(policies: Policies, period: Period, filters: Filters, window: timedelta) -> str:
    """Return the key of a view: the policies, the period, the filters with a technician's groups, the window."""
    text = json.dumps([FORMAT, policies_digest(policies), period.as_json(), filters.as_json(),
                       list(filters.groups) if filters.groups is not None else None, window.total_seconds()])
    return hashlib.sha256(text.encode()).hexdigest()


def standard_views(policies: Policies, now: datetime) -> list[tuple[Period, Filters]]:
    """Return the views the job keeps: each preset period for the whole desk, this month for each group set."""
    zone = policies.organisation.zone
    views = [(resolve_period(name, now, zone), Filters()) for name in VIEW_PERIODS]
    members = sorted({email for g in policies.groups.values() for email in g.members})
    sets = []
    for email in members:
        groups = tuple(policies.groups_of(email))
        if groups and groups not in sets:
            sets.append(groups)
    default = resolve_period(DEFAULT_PERIOD, now, zone)
    return views + [(default, Filters(groups=groups)) for groups in sets[:MAX_GROUP_VIEWS]]


def data_version(db: Session) -> str:
    """Return the data version a view reads (the highest id of each table it counts, the staff count), as text."""
    return json.dumps(result_cache.data_version(db, result_cache.DASHBOARD_TABLES))


def encode(result: dict, knowledge: list[dict]) -> bytes:
    """Return a view's answer as JSON, each panel its own JSON text (a request decodes only its own).

    Not compressed: the service imports no archive reader (catalogue I-05), and a 90-day view at 120,000 tickets
    is under 2 MB."""
    envelope = {k: v for k, v in result.items() if k != "panels"}
    packed = {"envelope": envelope, "panels": [[p["panel"], json.dumps(p, separators=(",", ":"))] for p in result["panels"]],
              "knowledge": [[p["panel"], json.dumps(p, separators=(",", ":"))] for p in knowledge]}
    return json.dumps(packed, separators=(",", ":")).encode()


def decode(payload: bytes, names: tuple[str, ...] | None = None) -> tuple[dict, list[dict]]:
    """Return the answer ``encode`` stored, limited to the named panels (None: all of them)."""
    packed = json.loads(payload)

    def wanted(pairs):
        return [json.loads(text) for name, text in pairs if names is None or name in names]

    return {**packed["envelope"], "panels": wanted(packed["panels"])}, wanted(packed["knowledge"])


def served(db: Session, key: str, now: datetime, policy: ServePolicy,
           names: tuple[str, ...]) -> tuple[dict, list[dict], datetime] | None:
    """Return (result, the knowledge panels, the instant computed for) of the named panels when a snapshot may
    answer, else None."""
    row = store.read(db, key)
    if row is None or row.cost_ms < policy.budget.total_seconds() * 1000:
        return None
    if not timedelta(0) <= now - row.as_of <= policy.max_age:
        return None
    result, knowledge = decode(row.payload, names)
    return result, knowledge, row.as_of
