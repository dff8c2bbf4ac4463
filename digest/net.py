"""Where the fetcher may connect: which addresses are public, which origins the user configured,
and a transport that connects only to the address the fetcher resolved and checked.

The fetcher resolves a name once, checks every address, and hands the address it chose to the
transport with the request (`Pin`); the transport's network backend connects to that address and
never resolves a name itself. The URL keeps the name, so the Host header, SNI, certificate
verification and connection pooling are all for the name, while the socket goes to the checked
address (Miniflux's dialer does the same in Go). A later DNS answer — rebinding — cannot change
where a connection goes.
"""

from __future__ import annotations

import asyncio
import contextvars
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, NamedTuple

import httpcore
import httpx

DEFAULT_PORTS = {"http": 80, "https": 443}

# A resolver maps a host name to its addresses (strings, in the order to try). Injected in tests,
# so no test asks real DNS.
Resolver = Callable[[str], Awaitable[Sequence[str]]]

_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052 well-known prefix: the IPv4 is the low 32 bits
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215 local-use translation: never public
_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")


class Origin(NamedTuple):
    """Scheme, host (lower case, IDNA, no brackets) and port (the default filled in) of a URL."""

    scheme: str
    host: str
    port: int


class Pin(NamedTuple):
    """The checked address a request to host:port must connect to."""

    host: str
    port: int
    ip: str


PIN_EXTENSION = "digest.pin"  # the request extension that carries the Pin to the transport
_PIN: contextvars.ContextVar[Pin | None] = contextvars.ContextVar("digest_pin", default=None)


def origin_of(url: httpx.URL) -> Origin:
    """The origin a request for `url` connects to (the host as the connection spells it)."""
    scheme = url.scheme.lower()
    return Origin(scheme, url.raw_host.decode("ascii").lower(), url.port or DEFAULT_PORTS.get(scheme, 0))


def trusted_origins(urls: Iterable[str]) -> frozenset[Origin]:
    """The origins of the configured sources: trusted whatever address they resolve to, on their
    own scheme and port only. A URL that does not parse as http(s) trusts nothing."""
    origins = set()
    for url in urls:
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, UnicodeError):
            continue
        if parsed.scheme in DEFAULT_PORTS and parsed.raw_host:
            origins.add(origin_of(parsed))
    return frozenset(origins)


def ip_literal(host: str) -> str | None:
    """`host` as a normalised IP address if it is one (brackets allowed), else None."""
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def embedded_ipv4(addr: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries and is routed to: IPv4-mapped (::ffff:a.b.c.d),
    IPv4-compatible (::a.b.c.d, deprecated; :: and ::1 come out as 0.0.0.x, never public),
    NAT64 (64:ff9b::a.b.c.d) and 6to4 (2002:aabb:ccdd::)."""
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    low32 = ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    if int(addr) >> 32 == 0 or addr in _NAT64:
        return low32
    return addr.sixtofour


def is_public_address(ip: str) -> bool:
    """True for a globally routable unicast address; False for loopback, private, link-local,
    multicast, reserved … and for any IPv6 form that wraps such an IPv4 address."""
    try:
        addr: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(ip.strip("[]"))
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address):
        inner = embedded_ipv4(addr)
        if inner is not None:
            addr = inner
        elif addr not in _GLOBAL_UNICAST or addr in _NAT64_LOCAL:
            return False
    return bool(addr.is_global) and not addr.is_multicast


async def system_resolver(host: str) -> list[str]:
    """The operating system's answer for `host`, in its order, without duplicates."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """Connects to the pinned address of the current request, or to an IP literal; refuses a
    name nobody pinned, so nothing below the fetcher ever resolves a name a second time."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        pin = _PIN.get()
        if pin is not None and (pin.host, pin.port) == (host.lower(), port):
            target = pin.ip
        else:
            literal = ip_literal(host)
            if literal is None:
                raise httpcore.ConnectError(f"{host} was not resolved and checked by the fetcher")
            target = literal
        return await self._inner.connect_tcp(
            target, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not used")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with a `PinnedBackend` below it; the request's Pin rides in
    `request.extensions[PIN_EXTENSION]` and is visible to the backend for that request only."""

    def __init__(self, limits: httpx.Limits) -> None:
        super().__init__(limits=limits, trust_env=False)
        # httpx has no parameter for the network backend: replace the pool it built with the
        # same pool over ours (no proxy, no HTTP/2, as the parent builds it with these arguments).
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=PinnedBackend(),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        pin = request.extensions.get(PIN_EXTENSION)
        token = _PIN.set(pin if isinstance(pin, Pin) else None)
        try:
            return await super().handle_async_request(request)
        finally:
            _PIN.reset(token)
