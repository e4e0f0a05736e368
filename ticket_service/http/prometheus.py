"""``GET /metrics``: Prometheus figures of this process (or of every gunicorn worker) and of the database.

Request and suggestion figures are counted where they happen; under ``guichet serve --workers N`` each worker
writes them to PROMETHEUS_MULTIPROC_DIR and a scrape of any worker sums them all. Queue, outbox, SLA and mail
figures are read from the database at each scrape, so every process and host answers the same.
"""

from __future__ import annotations

import ipaddress
import os
import time

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from ticket_service.domain.policies import PolicyError
from ticket_service.http.errors import envelope
from ticket_service.reports.operations import OperationsFigures, operations_figures
from ticket_service.runtime import get_ctx, get_database

bp = Blueprint("prometheus", __name__)

REQUEST_SECONDS = Histogram(
    "guichet_http_request_duration_seconds", "Time to answer a request, by route (the URL rule, never the raw path).",
    ["method", "route", "status"])
SUGGEST_SECONDS = Histogram(
    "guichet_suggest_duration_seconds", "Time the suggestion index took to answer one query.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5))
SUGGEST_ABSTENTIONS = Counter(
    "guichet_suggest_abstentions", "Suggestion queries answered with no article: nothing good enough, or too short.",
    ["reason"])


def observe_suggestion(seconds: float | None, abstained: bool, reason: str = "low_confidence") -> None:
    """Count one suggestion query: its index time (None when the index was not asked) and whether it abstained."""
    if seconds is not None:
        SUGGEST_SECONDS.observe(seconds)
    if abstained:
        SUGGEST_ABSTENTIONS.labels(reason=reason).inc()


def allowed_networks(config) -> tuple:
    """Parse METRICS_ALLOWED (a list, or comma-separated CIDRs); a bad entry stops the start-up, named."""
    value = config.get("METRICS_ALLOWED") or ()
    entries = [part.strip() for part in value.split(",")] if isinstance(value, str) else [str(v).strip() for v in value]
    networks = []
    for entry in filter(None, entries):
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise PolicyError(f"METRICS_ALLOWED: {entry!r} is not an address or CIDR network: write e.g. "
                              "127.0.0.1/32,::1/128,10.0.5.0/24") from None
    return tuple(networks)


def _allowed(address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address((address or "").split("%", 1)[0])
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in current_app.extensions["guichet.metrics_allowed"])


class _Families:
    """A one-scrape collector of the figures read from the database."""

    def __init__(self, figures: OperationsFigures):
        self.figures = figures

    def collect(self):
        f = self.figures
        tickets = CounterMetricFamily("guichet_tickets_created", "Tickets created, by channel (counted in the "
                                      "database: every process and host agree).", labels=["channel"])
        for channel, count in sorted(f.tickets_by_channel.items()):
            tickets.add_metric([channel or "unknown"], count)
        yield tickets
        yield GaugeMetricFamily("guichet_jobs_due", "Background jobs due now and not yet taken by a worker.",
                                value=f.jobs_due)
        yield GaugeMetricFamily("guichet_jobs_oldest_due_age_seconds", "How long the oldest due job has waited "
                                "(0 when none is due); growing means no worker runs.", value=f.oldest_due_job_age)
        lag = GaugeMetricFamily("guichet_outbox_lag_seconds", "Age of the oldest outbox event a subscriber has not "
                                "received yet (0 when it is up to date).", labels=["subscriber"])
        for name, seconds in sorted(f.outbox_lag.items()):
            lag.add_metric([name], seconds)
        yield lag
        breaches = GaugeMetricFamily("guichet_sla_breaches", "Tickets whose SLA target was breached (the SLA "
                                     "watch's notices), by target.", labels=["target"])
        for target, count in f.sla_breaches.items():
            breaches.add_metric([target], count)
        yield breaches
        mail = GaugeMetricFamily("guichet_mail_failures", "Notifications whose mail delivery failed: failed (retried "
                                 "later) or dead (set aside, /admin/courriels).", labels=["status"])
        for status, count in f.mail_failures.items():
            mail.add_metric([status], count)
        yield mail


@bp.get("/metrics")
def metrics():
    """The Prometheus text format, to the addresses of METRICS_ALLOWED only (anyone else: 404, as if absent)."""
    # request.remote_addr is the direct peer, unless PROXY_COUNT proxies are configured: then it is the client
    # as the last trusted proxy saw it. The direct peer there is always the proxy, which would open /metrics to
    # everyone outside.
    if not _allowed(request.remote_addr):
        return envelope(404, "not_found", "Ressource introuvable.")
    from ticket_service.jobs.outbox import SUBSCRIBERS  # registered by ticket_service.jobs (mail, webhooks)
    import ticket_service.jobs  # noqa: F401

    with get_database().reader() as db:
        figures = operations_figures(db, get_ctx().clock.now(), tuple(sorted(SUBSCRIBERS)))
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counted = CollectorRegistry()
        MultiProcessCollector(counted)  # every worker's files, dead ones' counters included
    else:
        counted = REGISTRY
    read = CollectorRegistry(auto_describe=False)
    read.register(_Families(figures))
    return Response(generate_latest(counted) + generate_latest(read), content_type=CONTENT_TYPE_LATEST)


def _start():
    g.metrics_started = time.perf_counter()


def _observe(response):
    started = g.pop("metrics_started", None)
    if started is not None:
        route = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
        REQUEST_SECONDS.labels(method=request.method, route=route, status=str(response.status_code)).observe(
            time.perf_counter() - started)
    return response


def init_app(app: Flask) -> None:
    """Time every request and register /metrics (before the site's catch-all)."""
    app.extensions["guichet.metrics_allowed"] = allowed_networks(app.config)
    app.before_request(_start)
    app.after_request(_observe)
    app.register_blueprint(bp)
