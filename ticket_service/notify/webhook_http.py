"""One webhook POST: resolve once, refuse if any address is blocked, connect to that pinned address (W-01, W-02, W-03).

The Host header and the TLS server name (and certificate check) use the host name of the URL, while the socket goes
to the address checked here: a second DNS answer (rebinding) is never asked for, so it cannot switch the target.
Redirects are not followed (http.client never follows them); the caller counts a 3xx as a failure.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass

from ticket_service.domain.webhook_targets import IP, AllowList, Target, TargetRefused, check_address, check_url

REPLY_BYTES = 4096  # read of a reply at most; the rest is dropped unread (a 50 MB body costs nothing)
EXCERPT_CHARS = 200  # kept of a failed reply for the delivery log (shown escaped, never as HTML)
USER_AGENT = "Guichet-Webhooks/1.0"


@dataclass(frozen=True)
class Reply:
    """The receiver's HTTP status and the start of its body (as text, control characters removed)."""

    status: int
    excerpt: str


class SendError(Exception):
    """No HTTP reply came: refused target, DNS failure, connection error or timeout (the message says which)."""


def resolve(target: Target, allow: AllowList) -> IP:
    """Return the one address to connect to: the literal, or the first DNS answer once EVERY answer is allowed."""
    if target.literal is not None:
        check_address(target.literal, allow)
        return target.literal
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise SendError(f"DNS: {target.host} does not resolve ({exc.strerror})") from None
    addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))
    if not addresses:
        raise SendError(f"DNS: {target.host} has no address")
    if not allow.allows_host(target.host):  # a host the admin named is allowed whatever it resolves to
        for address in addresses:
            try:
                check_address(address, allow)
            except TargetRefused as exc:
                raise TargetRefused(f"{target.host} resolves to {exc}") from None
    return addresses[0]


def _pinned(connection: http.client.HTTPConnection, address: IP,
            tls: ssl.SSLContext | None) -> http.client.HTTPConnection:
    """Make the connection open its socket to ``address`` whatever its host name resolves to now (TLS on top)."""
    def create_connection(_host_port, timeout, source_address=None):
        # not socket.create_connection: it would call getaddrinfo again, which a test (or a resolver) may answer anew
        family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect((str(address), connection.port))
            if tls is not None:  # SNI and the certificate check use the URL's host name, not the address
                sock = tls.wrap_socket(sock, server_hostname=connection.host)
        except BaseException:
            sock.close()
            raise
        connection.pinned_socket = sock  # the watchdog's handle: http.client drops its own once the reply starts
        return sock
    connection._create_connection = create_connection
    return connection


def connection_for(target: Target, address: IP, timeout: float,
                   ca_file: str | None = None) -> http.client.HTTPConnection:
    """Return an unopened connection to the pinned address, speaking to ``target.host`` (Host, SNI, certificate)."""
    connection = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
    if target.scheme != "https":
        return _pinned(connection, address, None)
    connection.default_port = 443  # the Host header names no port for https on 443
    return _pinned(connection, address, ssl.create_default_context(cafile=ca_file))


def excerpt(raw: bytes) -> str:
    """Return a short, printable excerpt of a reply body."""
    text = raw.decode("utf-8", errors="replace")
    return "".join(c if c.isprintable() else " " for c in text)[:EXCERPT_CHARS]


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float, allow: AllowList,
         ca_file: str | None = None) -> Reply:
    """POST ``body`` to ``url`` with ``headers``; return the reply, or raise TargetRefused / SendError.

    ``timeout`` bounds the whole exchange: a receiver that trickles its reply is cut off when it runs out.
    """
    target = check_url(url, allow)
    address = resolve(target, allow)
    connection = connection_for(target, address, timeout, ca_file)
    # the watchdog closes the socket at the deadline, so a slow trickle cannot hold a worker past `timeout`
    expired = threading.Event()
    watchdog = threading.Timer(timeout, _abort, args=(connection, expired))
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request("POST", target.path, body=body, headers={
            "Content-Type": "application/json", "User-Agent": USER_AGENT, **headers})
        response = connection.getresponse()
        raw = response.read(REPLY_BYTES)
        if expired.is_set():  # cut off mid-reply: a half-read 2xx is not a delivery
            raise SendError(f"timeout after {timeout:g} s")
        return Reply(response.status, excerpt(raw))
    except ssl.SSLError as exc:
        raise SendError(f"TLS: {exc.reason or exc}") from None
    except (OSError, http.client.HTTPException) as exc:
        raise SendError(f"timeout after {timeout:g} s" if expired.is_set() or isinstance(exc, TimeoutError)
                        else f"connection: {type(exc).__name__}: {exc}") from None
    finally:
        watchdog.cancel()
        connection.close()


def _abort(connection: http.client.HTTPConnection, expired: threading.Event) -> None:
    expired.set()
    sock = getattr(connection, "pinned_socket", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
