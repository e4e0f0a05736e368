"""The configuration table: every setting with its default and what it does."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# (name, default, help) — overridden by instance/config.py, then GUICHET_* environment, then test config.
SETTINGS: tuple[tuple[str, object, str], ...] = (
    ("SECRET_KEY", None, "Signs session cookies; generated into the instance folder when unset."),
    ("SITE_DIR", str(PROJECT_ROOT / "build" / "site"), "Built employee site served at /."),
    ("KB_DIR", str(PROJECT_ROOT / "kb"), "Knowledge-base folder (Markdown articles)."),
    ("HELPDESK_CONFIG", str(PROJECT_ROOT / "helpdesk.yml"), "Policies as code; re-read when the file changes (an "
     "invalid change is logged and the running policies stay)."),
    ("POLICIES_CHECK_SECONDS", 2.0, "How often a request looks whether helpdesk.yml changed on disk."),
    ("INDEX_DIR", str(PROJECT_ROOT / "build" / "index"), "Suggestion index artifact (written by the site build); "
     "reloaded without restart when it changes."),
    ("MANIFEST_PATH", str(PROJECT_ROOT / "build" / "manifest.json"), "Article id → URL manifest written by the site build."),
    # storage
    ("DATABASE_URL", None, "SQLAlchemy URL; default: SQLite file guichet.sqlite3 in the instance folder. "
     "PostgreSQL: postgresql+psycopg://user@host/db."),
    ("BUSY_TIMEOUT_MS", 5000, "SQLite busy timeout; past it a write answers 503 + Retry-After."),
    ("ALLOW_ASYNC_COMMIT", False, "Accept PostgreSQL synchronous_commit=off (acknowledged tickets may be lost)."),
    ("VERIFY_DATABASE", True, "Refuse to start unless durability settings and the schema revision are right."),
    # sign-in and sessions
    ("COOKIE_SECURE", True, "Secure, __Host- session cookie; set false only for plain-HTTP trials off localhost."),
    ("PERMANENT_SESSION_LIFETIME", 8 * 3600, "Session lifetime in seconds."),
    ("PASSWORD_HASH_METHOD", "scrypt", "werkzeug password hash method for new passwords."),
    ("LOGIN_MAX_FAILURES", 10, "Failed sign-ins per account and address before growing delays; an address alone gets "
     "five times that per window (a whole office may sit behind one address)."),
    ("LOGIN_FIRST_DELAY_SECONDS", 30, "Wait after the last free failure of an account and address; it doubles with each "
     "further failure, up to LOGIN_WINDOW_SECONDS."),
    ("LOGIN_WINDOW_SECONDS", 900, "Window of the sign-in failure counts (and the longest wait), in seconds."),
    ("SSO_HEADER_NAME", None, "Trusted-header SSO: header in which the reverse proxy puts the person's e-mail "
     "(e.g. X-Forwarded-Email); off when unset (docs/connexion-sso.md)."),
    ("SSO_HEADER", None, "Former name of SSO_HEADER_NAME, still honoured."),
    ("SSO_TRUSTED_PROXIES", "", "Addresses or CIDR blocks of the reverse proxies (comma- or space-separated) whose "
     "SSO header is believed; from any other peer the header is ignored and logged."),
    # input limits
    ("MAX_JSON_BYTES", 256 * 1024, "Largest JSON body accepted."),
    ("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, "Largest attachment accepted."),
    ("ATTACHMENTS_PER_TICKET", 10, "Most attachments on one ticket."),
    ("ATTACHMENTS_DIR", None, "Attachment storage folder; default: attachments/ in the instance folder."),
    ("MAX_FORM_PARTS", 20, "Most multipart parts in one request."),
    # Werkzeug 3.1 also applies this limit to the parser's buffer of *file* data: at 64 kB, any text file with line
    # breaks over ~64 kB (a log!) was refused with 413. 512 kB (Werkzeug's default is 500 kB) lets files of any size
    # through; MAX_CONTENT_LENGTH and ATTACHMENT_MAX_BYTES bound the request and the file.
    ("MAX_FORM_MEMORY_SIZE", 512 * 1024, "Largest non-file multipart field (and the form parser's buffer)."),
    # knowledge base and demo
    ("KB_REVISION", None, "KB revision recorded with resolutions; default: `kb_revision` of the site build's "
     "manifest (MANIFEST_PATH, re-read when it changes), else none."),
    ("DEMO_PASSWORD", "demo-guichet-2026", "Password of the demo accounts made by `guichet demo load` (demo only)."),
    # pages: desk, portal, sign-in
    ("DEMO_MODE", False, "List the demo accounts and their password on the sign-in page; only `make run` turns it on."),
    ("LANGUAGES", ("fr", "en"), "Page languages, the first is the default (French); ?lang=en switches."),
    ("TRANSLATIONS_BUILD_DIR", None, "Where .po catalogues are compiled at start; default: translations/ in the instance folder."),
)

DEFAULTS = {name: default for name, default, _ in SETTINGS}

# help sessions, events and deflection metrics
SETTINGS += (
    ("DEFLECTION_WINDOW_HOURS", 24, "A ticket from the same person within this many hours after a help session "
     "means no deflection (DESIGN §3.5)."),
    ("SUGGEST_PER_SECOND", 5, "Suggestion requests per second and person (a typist with a 300 ms debounce makes ≤ 3.3); "
                               "ten times more per address for visitors who are not signed in."),
    ("SUGGEST_BURST", 30, "Suggestion requests a person may make at once before the per-second rate applies."),
    ("EVENTS_PER_MINUTE", 120, "Events accepted per help session and minute before 429 (ten times that per address)."),
    ("EVENTS_MAX_BATCH", 50, "Most events in one POST /api/v1/events."),
    ("QUERY_RETENTION_DAYS", 90, "Typed query texts and feedback reasons are blanked after this many days "
     "(`guichet events purge`)."),
    ("DASHBOARD_CACHE_SECONDS", 60, "/pilotage and /api/v1/metrics/<panel> serve an answer again for this long while no "
     "ticket, history row, comment, link, follower, person or help event is added; 0 computes each time."),
    ("KNOWLEDGE_CACHE_SECONDS", 300, "The dashboard's knowledge panels (deflection, gaps, recurring incidents) are "
     "served again for this long while no help event, ticket, history row or link is added; 0 computes each time."),
    ("DASHBOARD_SNAPSHOT_SECONDS", 900, "A standard dashboard view (a preset period for the desk, this month for a "
     "technician's groups) whose computation took longer than DASHBOARD_LIVE_BUDGET_MS is served from the last run of "
     "the reports.refresh job while that run is at most this old (the page says when); 0 always computes live."),
    ("DASHBOARD_LIVE_BUDGET_MS", 300, "Views cheaper than this to compute are computed on every request, never read "
     "from a refresh: a small desk's figures are never older than its data."),
    ("GC_FIRST_THRESHOLD", 50_000, "Objects CPython's youngest generation holds before a collection (Python's default "
     "700; 0 keeps it): a request's short-lived objects then die young instead of triggering full collections."),
    ("BANNER_CACHE_SECONDS", 15, "Longest time a process keeps the known-issue banner feed (/api/v1/incidents/major); "
     "a change shows at once in every process."),
)
DEFAULTS = {name: default for name, default, _ in SETTINGS}

# background jobs: `guichet worker`, or a thread of `guichet serve` (ticket_service/jobs/)
SETTINGS += (
    ("JOBS_IN_SERVE", True, "Run the job loop in a thread of `guichet serve`; set false when a separate "
     "`guichet worker` runs (both may run: each job still runs once)."),
    ("JOB_INTERVALS", {"tickets.auto_close": 600, "events.purge": 86400, "learning.publish": 3600,
                       "outbox.deliver": 10, "jobs.prune": 86400, "sla.watch": 300, "webhooks.deliver": 10,
                       "tickets.retention": 86400, "tickets.waiting_reminder": 600,
                       "directory.sync": 0, "mail.fetch": 60, "triage.train": 86400,
                       "reports.monthly_summary": 86400, "reports.refresh": 300},
     "Built-in seconds between runs of each periodic job; helpdesk.yml's `jobs.every` overrides them, and this "
     "setting (a partial mapping) overrides both, for an operator or a test. 0 turns a job off; every worker must "
     "see the same values."),
    ("JOB_POLL_SECONDS", 2.0, "How often an idle worker looks for due jobs."),
    ("JOB_LEASE_SECONDS", 300, "A claimed job stays its worker's this long, renewed while the worker lives; a killed "
     "worker's job is run again by another once the lease has passed."),
    ("JOB_MAX_ATTEMPTS", 5, "Attempts before a failing job is dead (`guichet jobs list --status dead`, "
     "`guichet jobs retry ID`)."),
    ("JOB_BACKOFF_SECONDS", 30, "Delay before the first retry; doubled at each attempt, with jitter."),
    ("JOB_BACKOFF_MAX_SECONDS", 3600, "Longest delay between two attempts."),
    ("JOB_RETENTION_DAYS", 7, "Done jobs are deleted after this many days (dead ones are kept)."),
    ("JOB_MODULES", (), "Extra modules every worker imports at start: they register job handlers and outbox "
     "subscribers."),
    ("OUTBOX_BATCH", 200, "Most events delivered to one subscriber per delivery job."),
    ("OUTBOX_MAX_ATTEMPTS", 10, "Failed deliveries of one event to one subscriber before it is set aside (dead) and "
     "the following events go on."),
)
DEFAULTS = {name: default for name, default, _ in SETTINGS}

# mail out (ticket_service/notify/): notifications leave through the outbox; with SMTP_HOST unset they wait there
SETTINGS += (
    ("SMTP_HOST", None, "SMTP server that sends the notifications; unset, mails wait in the outbox (nothing is lost) "
     "and /admin/courriels shows what would go out."),
    ("SMTP_PORT", None, "SMTP port; default 25 with SMTP_SECURITY none, 587 with starttls, 465 with tls."),
    ("SMTP_SECURITY", "starttls", "none | starttls (upgrade a plain connection, refuse a server without it) | tls "
     "(implicit TLS from the start)."),
    ("SMTP_USERNAME", None, "SMTP authentication user; no authentication when unset."),
    ("SMTP_PASSWORD", None, "SMTP authentication password (with SMTP_USERNAME)."),
    ("SMTP_CA_FILE", None, "CA bundle that signs the SMTP server's certificate (an internal CA); default: the "
     "system's trusted roots. The certificate and the host name are always checked."),
    ("SMTP_TIMEOUT_SECONDS", 30, "Longest wait for the SMTP server; past it the mail is retried later."),
    ("MAIL_FROM", "Guichet <guichet@localhost>", "Sender of the notifications; its domain names the Message-IDs and "
     "the signed reply address (local+token@domain)."),
    ("PUBLIC_URL", "http://localhost:5000", "Address of Guichet as people reach it, for the links in mails."),
    ("MAIL_LINK_DAYS", 14, "Days a signed link of a mail (« C'est résolu » / « Ce n'est pas résolu ») stays valid; "
     "it opens a page that asks for one click before anything changes."),
)
DEFAULTS = {name: default for name, default, _ in SETTINGS}

# outbound webhooks (helpdesk.yml `webhooks:`; ticket_service/notify/webhooks.py, jobs/webhooks.py)
SETTINGS += (
    ("WEBHOOK_TIMEOUT_SECONDS", 15, "Longest wait for a webhook receiver (connect, then the whole reply); past it the "
     "try is a failure, retried later."),
    ("WEBHOOK_MAX_ATTEMPTS", 8, "Tries of one delivery before it is set aside (dead) on /admin/webhooks."),
    ("WEBHOOK_BACKOFF_SECONDS", 30, "Delay before the first webhook retry; doubled at each try, with jitter."),
    ("WEBHOOK_BACKOFF_MAX_SECONDS", 6 * 3600, "Longest delay between two webhook tries."),
    ("WEBHOOK_CA_FILE", None, "CA bundle that signs internal HTTPS receivers' certificates; default: the system's "
     "trusted roots. The certificate and the host name are always checked."),
    ("WEBHOOK_BATCH", 100, "Most webhook deliveries tried per run of webhooks.deliver."),
    ("WEBHOOK_EVENT_MAX_AGE_HOURS", 24, "Events older than this when the outbox hands them over are owed to no "
     "webhook (the first start after an upgrade does not replay the whole history to a new endpoint)."),
)
DEFAULTS = {name: default for name, default, _ in SETTINGS}

# single sign-on: OpenID Connect (auth/oidc.py, http/web/sso.py) and local passwords; see docs/connexion-sso.md
SETTINGS += (
    ("OIDC_ISSUER", None, "OpenID Connect issuer URL (Entra ID: https://login.microsoftonline.com/<tenant>/v2.0; "
     "Google: https://accounts.google.com; Keycloak: https://<host>/realms/<realm>); off when unset. Its "
     "/.well-known/openid-configuration is read, and every id token's `iss` must equal it."),
    ("OIDC_CLIENT_ID", None, "Client id registered at the provider; every id token's `aud` must name it."),
    ("OIDC_CLIENT_SECRET", None, "Client secret: set it from the environment (GUICHET_OIDC_CLIENT_SECRET), never "
     "in a file kept in git."),
    ("OIDC_SCOPES", "openid email profile", "Scopes asked for (`openid` is always added)."),
    ("OIDC_EMAIL_CLAIM", "email", "Id token claim holding the e-mail that links the provider's account to a person "
     "at the first sign-in (Entra ID: email, or preferred_username)."),
    ("OIDC_REQUIRE_VERIFIED_EMAIL", True, "Link by e-mail only when the token says `email_verified: true`; turn off "
     "only for a single-tenant provider whose addresses the company's admins set (Entra ID)."),
    ("OIDC_CREATE_PEOPLE", False, "At a first sign-in with an unknown e-mail, create the person as an employee "
     "(off: refused, an admin creates the account)."),
    ("OIDC_PROVIDER_NAME", "SSO", "Shown on the sign-in button: « Se connecter avec <name> »."),
    ("OIDC_TIMEOUT_SECONDS", 10, "Longest wait for the provider (discovery, keys, token)."),
    ("LOCAL_PASSWORDS", True, "Sign-in with a Guichet password (pages and API); turn off when everyone signs in "
     "through SSO (API tokens still work)."),
)
DEFAULTS = {name: default for name, default, _ in SETTINGS}


# company directory (helpdesk.yml `directory:`; docs/annuaire.md)
SETTINGS += (
    ("PASSWORD_SIGN_IN", "local", "Which password a sign-in checks: local (Guichet's own), ldap (a bind to the "
     "directory as the person; Guichet stores no password) or both (local when the account has one, else ldap)."),
)

# monitoring alerts in (helpdesk.yml `alerts:`; ticket_service/channels/alerts.py, docs/canaux-alertes.md)
SETTINGS += (
    ("ALERTS_MAX_JSON_BYTES", 1024 * 1024, "Largest body of POST /api/v1/alerts (an Alertmanager group of up to 500 "
     "alerts with their labels)."),
)

# triage from history (search/triage.py, ticket_service/domain/triage.py, `guichet triage train`)
SETTINGS += (
    ("TRIAGE_DIR", None, "Folder of the triage model `guichet triage train` and the triage.train job write (category "
     "and group suggestions for new tickets); default: triage/ in the instance folder."),
    ("TRIAGE_MIN_TICKETS", 20, "Fewest resolved or closed tickets with a category the triage model is trained on; "
     "with fewer, training is refused and the desk shows no suggestion."),
)

# production serving and observability (`guichet serve --workers N`, /metrics, logs; docs/exploitation.md)
SETTINGS += (
    ("PROXY_COUNT", 0, "Reverse proxies in front of Guichet (nginx alone: 1) whose X-Forwarded-For/Proto/Host are "
     "trusted (werkzeug ProxyFix); 0 reads none. `guichet serve --proxy-count N` sets it too."),
    ("METRICS_ALLOWED", ("127.0.0.1/32", "::1/128"), "Addresses (CIDR list, or comma-separated) allowed to read "
     "/metrics; any other gets 404. Behind PROXY_COUNT proxies, the client's address as the proxy saw it."),
    ("LOG_FORMAT", "text", "text (readable lines) | json (one JSON object per line: time, level, logger, message, "
     "request_id, method, route, status, duration_ms)."),
)
DEFAULTS = {name: default for name, default, _ in SETTINGS}


def dashboard_cache_age(config) -> timedelta:
    """How long a dashboard answer (page or panel), once computed, is served again on unchanged data."""
    return timedelta(seconds=float(config["DASHBOARD_CACHE_SECONDS"]))


def knowledge_cache_age(config) -> timedelta:
    """How long the dashboard's knowledge panels, once computed, are served again on unchanged data."""
    return timedelta(seconds=float(config["KNOWLEDGE_CACHE_SECONDS"]))


def dashboard_snapshots(config):
    """When a refreshed snapshot answers a dashboard request (reports/snapshots.py), or None when never."""
    from ticket_service.reports.snapshots import ServePolicy

    seconds = float(config["DASHBOARD_SNAPSHOT_SECONDS"])
    if seconds <= 0:
        return None
    return ServePolicy(timedelta(seconds=seconds), timedelta(milliseconds=float(config["DASHBOARD_LIVE_BUDGET_MS"])))


def deflection_window(config) -> timedelta:
    """How long after a help session a ticket from the same person still counts against it."""
    return timedelta(hours=float(config["DEFLECTION_WINDOW_HOURS"]))

# mail in (helpdesk.yml `mail_in:`; ticket_service/channels/, `guichet mail fetch`, job mail.fetch)
SETTINGS += (
    ("MAIL_IN_PER_SENDER_HOUR", 30, "Mails one sender may send in an hour; past it they wait in /desk/quarantaine "
     "(a flood or a loop with another robot)."),
    ("MAIL_IN_UNKNOWN_SENDERS", "quarantine", "For `guichet mail fetch --maildir`: quarantine (default) or create "
     "(an employee account) for a sender nobody knows; an IMAP mailbox says it in helpdesk.yml."),
    ("MAIL_IN_ADDRESSES", "", "Comma-separated addresses that are Guichet's own besides MAIL_FROM and the mailboxes' "
     "usernames: a mail from them is a loop, quarantined."),
    ("MAIL_IN_MAX_BYTES", 25 * 1024 * 1024, "Largest mail read; a larger one is quarantined without its content."),
    ("MAIL_IN_TIMEOUT_SECONDS", 60, "Longest wait for an IMAP server or an OAuth2 token endpoint."),
    ("MAIL_IN_CA_FILE", None, "CA bundle that signs the IMAP servers' certificates (an internal CA); default: the "
     "system's trusted roots. The certificate and the host name are always checked."),
)
DEFAULTS = {name: default for name, default, _ in SETTINGS}
