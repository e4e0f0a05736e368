"""Trusted-header SSO: a reverse proxy names the signed-in person in a header, believed only from its own address."""

from __future__ import annotations

import ipaddress
import logging
from functools import lru_cache

from flask import Flask, current_app, g, request

from ticket_service.http.proxy import direct_peer

log = logging.getLogger(__name__)
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class HeaderSsoConfigError(ValueError):
    """SSO_TRUSTED_PROXIES holds something that is not an address or a CIDR block."""


def init_app(app: Flask) -> None:
    """Check the proxy list at start, then read the header once per request (ignored and logged from anyone else)."""
    trusted_networks(app.config.get("SSO_TRUSTED_PROXIES"))

    @app.before_request
    def _trusted_header():
        sso_email()


def header_name(config) -> str | None:
    """Return the configured header; SSO_HEADER is its former name, still honoured."""
    return (config.get("SSO_HEADER_NAME") or config.get("SSO_HEADER") or "").strip() or None


def trusted_networks(value) -> tuple[_Network, ...]:
    """Parse the proxy list (« 10.0.0.5, 10.1.0.0/24 », or a list): addresses and CIDR blocks."""
    if not value:
        return ()
    items = value.replace(",", " ").split() if isinstance(value, str) else [str(v).strip() for v in value]
    return _parse(tuple(items))


@lru_cache(maxsize=8)
def _parse(items: tuple[str, ...]) -> tuple[_Network, ...]:
    networks = []
    for item in items:
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise HeaderSsoConfigError(
                f"SSO_TRUSTED_PROXIES: {item!r} is not an address or a CIDR block (e.g. GUICHET_SSO_TRUSTED_PROXIES="
                "'10.0.0.5, 192.168.10.0/24')") from None
    return tuple(networks)


def from_trusted_proxy(address: str | None, networks: tuple[_Network, ...]) -> bool:
    """Whether the direct peer's address lies in one of the proxy networks (never X-Forwarded-For: anyone writes it)."""
    try:
        peer = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    if isinstance(peer, ipaddress.IPv6Address) and peer.ipv4_mapped is not None:
        peer = peer.ipv4_mapped  # a dual-stack listener reports an IPv4 proxy as ::ffff:a.b.c.d
    return any(peer in network for network in networks)


def sso_email() -> str | None:
    """Return the e-mail the trusted header names for this request, or None (off, absent, or not from a proxy)."""
    if "sso_email" in g:
        return g.sso_email
    g.sso_email = None
    name = header_name(current_app.config)
    value = request.headers.get(name, "").strip().lower() if name else ""
    if not value:
        return None
    peer = direct_peer()  # the host that connected: with PROXY_COUNT, remote_addr is the client behind the proxy
    if not from_trusted_proxy(peer, trusted_networks(current_app.config.get("SSO_TRUSTED_PROXIES"))):
        # Someone reached Guichet without the proxy, or the proxy list is wrong: the header proves nothing.
        log.warning("SSO header %s ignored: request from %s, not a trusted proxy (SSO_TRUSTED_PROXIES)", name, peer)
        return None
    if "@" not in value or len(value) > 254 or any(ord(c) < 32 for c in value):
        log.warning("SSO header %s from proxy %s ignored: not an e-mail address", name, peer)
        return None
    g.sso_email = value
    return value
