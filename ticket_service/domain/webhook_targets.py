"""Which webhook targets may be reached: only http(s) to public addresses, unless the admin allow-list opens one (W-01)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

SCHEMES = ("http", "https")
# Named so the refusal says why; everything else not "global" is refused as "not a public address".
NAMED_RANGES: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "unspecified"), ("127.0.0.0/8", "loopback"), ("10.0.0.0/8", "private"),
    ("172.16.0.0/12", "private"), ("192.168.0.0/16", "private"), ("100.64.0.0/10", "shared (CGNAT)"),
    ("169.254.0.0/16", "link-local (cloud metadata)"), ("224.0.0.0/4", "multicast"), ("240.0.0.0/4", "reserved"),
    ("::/128", "unspecified"), ("::1/128", "loopback"), ("fc00::/7", "unique local (IPv6 ULA)"),
    ("fe80::/10", "link-local"), ("ff00::/8", "multicast"), ("64:ff9b::/96", "NAT64 (embeds IPv4)"),
    ("::/8", "reserved (IPv4-compatible IPv6)"), ("fec0::/10", "site-local"),
)
RANGES = tuple((ipaddress.ip_network(cidr), why) for cidr, why in NAMED_RANGES)
LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
_NUMERIC_PART = re.compile(r"^(0x[0-9a-f]*|0[0-7]*|[1-9][0-9]*)$", re.IGNORECASE)


class TargetRefused(ValueError):
    """A webhook URL or address that Guichet will not connect to; the message says why."""


@dataclass(frozen=True)
class AllowList:
    """Internal targets the administrator opened on purpose (webhooks.allow in helpdesk.yml)."""

    networks: tuple[Network, ...] = ()
    hosts: tuple[str, ...] = ()

    def allows_ip(self, ip: IP) -> bool:
        """Return whether an address falls in an allowed network."""
        return any(ip.version == net.version and ip in net for net in self.networks)

    def allows_host(self, host: str) -> bool:
        """Return whether a host name was allowed by name."""
        return host.lower().rstrip(".") in self.hosts


def parse_allow(entries) -> AllowList:
    """Read allow-list entries (CIDRs, addresses or host names); raise ValueError naming a bad one."""
    networks, hosts = [], []
    for entry in entries:
        if not isinstance(entry, str) or not entry.strip():
            raise ValueError(f"{entry!r} is neither a network (10.0.0.0/8), an address nor a host name")
        text = entry.strip().lower()
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            if not re.fullmatch(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?", text):
                raise ValueError(f"{entry!r} is neither a network (10.0.0.0/8), an address nor a host name") from None
            hosts.append(text.rstrip("."))
    return AllowList(tuple(networks), tuple(hosts))


def legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """Return the address inet_aton would read from a numeric host (``2130706433``, ``0177.0.0.1``, ``0x7f.1``)."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(_NUMERIC_PART.match(p) for p in parts):
        return None
    values = []
    for part in parts:
        if part.lower().startswith("0x"):
            values.append(int(part[2:] or "0", 16))
        elif part.startswith("0") and len(part) > 1:
            values.append(int(part, 8))
        else:
            values.append(int(part))
    # a.b.c.d; a.b.c (c is 16 bits); a.b (b is 24 bits); a (32 bits)
    last_bits = 32 - 8 * (len(values) - 1)
    if any(v > 255 for v in values[:-1]) or values[-1] >= 2 ** last_bits:
        return None
    number = 0
    for value in values[:-1]:
        number = number << 8 | value
    return ipaddress.IPv4Address(number << last_bits | values[-1])


def ip_literal(host: str) -> IP | None:
    """Return the address a URL host spells, in any form a resolver accepts, or None for a name."""
    text = host.strip("[]")
    try:
        return ipaddress.ip_address(text.split("%")[0])  # a zone id (fe80::1%eth0) is still that address
    except ValueError:
        return legacy_ipv4(text)


def blocked_reason(ip: IP) -> str | None:
    """Return why an address is not a public one (so refused), or None when it may be reached."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            why = blocked_reason(embedded)
            return f"IPv6 form of {embedded}: {why}" if why else None
    for network, why in RANGES:
        if ip.version == network.version and ip in network:
            return why
    if not ip.is_global or ip.is_multicast:
        return "not a public address"
    return None


def check_address(ip: IP, allow: AllowList = AllowList()) -> None:
    """Raise TargetRefused unless the address is public or explicitly allowed."""
    why = blocked_reason(ip)
    if why and not allow.allows_ip(ip):
        raise TargetRefused(f"{ip} is {why}")


@dataclass(frozen=True)
class Target:
    """A checked URL: scheme, host as written (for Host and TLS), port, path with query, its literal address if any."""

    scheme: str
    host: str
    port: int
    path: str
    literal: IP | None


def check_url(url: str, allow: AllowList = AllowList()) -> Target:
    """Check what can be known of a URL without DNS; raise TargetRefused with the reason."""
    if not isinstance(url, str) or not url or any(c.isspace() or ord(c) < 32 for c in url):
        raise TargetRefused("the URL is empty or holds spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"the URL cannot be read ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise TargetRefused(f"scheme {parts.scheme or '(none)'!r} is refused: only http and https")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("credentials in the URL are refused: use the signing secret")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise TargetRefused("the URL has no host")
    literal = ip_literal(host)
    if literal is not None:
        check_address(literal, allow)
    elif not allow.allows_host(host):
        name = host.lower()
        if name in LOCAL_NAMES or name.endswith(".localhost"):
            raise TargetRefused(f"{host} is the local machine")
        if not re.fullmatch(r"[a-z0-9_]([a-z0-9_.-]*[a-z0-9])?", name) or "." not in name:
            raise TargetRefused(f"{host!r} is not a fully qualified public host name")
    path = parts.path or "/"
    return Target(scheme, host, port or (443 if scheme == "https" else 80), path + (f"?{parts.query}" if parts.query else ""),
                  literal)
