"""The ``webhooks:`` section of helpdesk.yml: endpoints (URL, events, secret's variable, format) and the allow-list."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Callable, Mapping

from ticket_service.domain.events import EVENT_TYPES
from ticket_service.domain.webhook_targets import AllowList, TargetRefused, check_url, parse_allow

FORMATS = ("standard", "teams", "slack")
SECRET_PREFIX = "whsec_"
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
MIN_SECRET_BYTES = 24  # Standard Webhooks asks for 24 to 64 random bytes


@dataclass(frozen=True)
class Endpoint:
    """One receiver: where events go, which ones, how they are signed and shaped."""

    name: str
    url: str
    events: tuple[str, ...]  # event names, or ("*",) for all of them
    secret_env: str  # the environment variable holding ``whsec_…`` (two, space-separated, while rotating)
    format: str = "standard"

    def wants(self, event_name: str) -> bool:
        """Return whether this endpoint subscribed to an event."""
        return "*" in self.events or event_name in self.events


@dataclass(frozen=True)
class WebhookConfig:
    """Every configured endpoint (file order) and the internal targets the administrator opened."""

    endpoints: tuple[Endpoint, ...] = ()
    allow: AllowList = field(default_factory=AllowList)

    def endpoint(self, name: str) -> Endpoint | None:
        """Return the endpoint of that name, if still configured."""
        return next((e for e in self.endpoints if e.name == name), None)


def decode_secret(text: str) -> bytes:
    """Return the key bytes of a ``whsec_<base64>`` secret; raise ValueError saying what is wrong."""
    if not text.startswith(SECRET_PREFIX):
        raise ValueError(f"a secret starts with {SECRET_PREFIX}")
    try:
        key = base64.b64decode(text[len(SECRET_PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"after {SECRET_PREFIX} a secret is base64") from None
    if len(key) < MIN_SECRET_BYTES:
        raise ValueError(f"a secret holds at least {MIN_SECRET_BYTES} random bytes")
    return key


def secrets_of(value: str | None) -> tuple[bytes, ...]:
    """Return the keys of an environment value: one secret, or two (new first) while rotating; ValueError if bad."""
    words = (value or "").split()
    if not 1 <= len(words) <= 2:
        raise ValueError("set one secret, or two separated by a space while rotating")
    return tuple(decode_secret(word) for word in words)


def read_webhooks(spec, fail: Callable[[str, str, str], None], environ: Mapping[str, str]) -> WebhookConfig:
    """Validate ``webhooks:`` (a list of endpoints, or ``{allow: [...], endpoints: [...]}``); ``fail`` raises."""
    example = ("write `webhooks: {allow: [], endpoints: [{name: supervision, url: https://…, events: [ticket.created], "
               "secret_env: GUICHET_WEBHOOK_SUPERVISION_SECRET}]}`.")
    if spec is None:
        return WebhookConfig()
    if isinstance(spec, list):
        spec = {"endpoints": spec}
    if not isinstance(spec, dict):
        fail("webhooks", "must be a list of endpoints or a mapping", example)
    unknown = sorted(set(spec) - {"allow", "endpoints"})
    if unknown:
        fail(f"webhooks.{unknown[0]}", "is not a known key", "keep only `allow` and `endpoints` under webhooks.")
    allow_spec = spec.get("allow") or []
    if not isinstance(allow_spec, list):
        fail("webhooks.allow", "must be a list", "list networks or hosts, e.g. `allow: [10.20.0.0/16, nagios.lan]`.")
    try:
        allow = parse_allow(allow_spec)
    except ValueError as exc:
        fail("webhooks.allow", str(exc), "write a CIDR (10.20.0.0/16), an address or a host name.")
    endpoints = spec.get("endpoints") or []
    if not isinstance(endpoints, list):
        fail("webhooks.endpoints", "must be a list", example)
    read, seen = [], set()
    for index, item in enumerate(endpoints):
        key = f"webhooks.endpoints.{index}"
        read.append(_endpoint(key, item, fail, environ, allow, seen))
    return WebhookConfig(tuple(read), allow)


def _endpoint(key: str, item, fail, environ, allow: AllowList, seen: set) -> Endpoint:
    if not isinstance(item, dict):
        fail(key, "must be a mapping", "give name, url, events and secret_env.")
    unknown = sorted(set(item) - {"name", "url", "events", "secret_env", "format"})
    if unknown:
        fail(f"{key}.{unknown[0]}", "is not a known key", "use name, url, events, secret_env and format.")
    name = item.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        fail(f"{key}.name", f"is {name!r}", "name it in lower case letters, digits, - or _ (e.g. supervision).")
    if name in seen:
        fail(f"{key}.name", f"repeats {name!r}", "give each endpoint its own name (it keys the delivery log).")
    seen.add(name)
    url = item.get("url")
    try:
        check_url(url, allow)
    except TargetRefused as exc:
        fail(f"{key}.url", f"is refused: {exc}",
             "give a public http(s) address, or open an internal one on purpose in `webhooks.allow`.")
    events = item.get("events")
    if isinstance(events, str):
        events = [events]
    if not isinstance(events, list) or not events:
        fail(f"{key}.events", "must be a non-empty list", "list event names, e.g. [ticket.created, sla.breached], "
             "or ['*'] for all.")
    for event in events:
        if event != "*" and event not in EVENT_TYPES:
            fail(f"{key}.events", f"names an unknown event {event!r}", "use one of: " + ", ".join(EVENT_TYPES) + ", or '*'.")
    secret_env = item.get("secret_env")
    if not isinstance(secret_env, str) or not ENV_NAME.match(secret_env):
        fail(f"{key}.secret_env", f"is {secret_env!r}",
             "name the environment variable holding the secret, e.g. GUICHET_WEBHOOK_SUPERVISION_SECRET.")
    try:
        secrets_of(environ.get(secret_env))
    except ValueError as exc:
        fail(f"{key}.secret_env", f"names {secret_env}, which is unset or wrong ({exc})",
             f"export {secret_env}=whsec_$(openssl rand -base64 32) before starting Guichet.")
    shape = item.get("format", "standard")
    if shape not in FORMATS:
        fail(f"{key}.format", f"is {shape!r}", "set one of: " + ", ".join(FORMATS) + ".")
    return Endpoint(name, url, tuple(events), secret_env, shape)
