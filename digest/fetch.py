"""HTTP fetching: bounded concurrency overall and per host, deadlines, a size cap on the decoded
body, redirects checked hop by hop, conditional GET, and an address guard. httpx errors become
`FetchError`.

The address guard (see `digest.net`): a configured source's origin — scheme, host and port — is
trusted whatever it resolves to; anything else must resolve only to public addresses, and the
connection goes to the very address that was checked. The `httpx.AsyncClient` is injected, so
tests can hand in one on a real loopback server; it must come from `make_client`, whose transport
connects only to the checked address.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Collection, Iterator, Sequence
from email.message import Message
from urllib.parse import urljoin

import httpx

from . import timing
from .errors import FetchError, one_line
from .models import FetchSettings, Response, Validators
from .net import (
    DEFAULT_PORTS,
    PIN_EXTENSION,
    Origin,
    Pin,
    PinnedTransport,
    Resolver,
    ip_literal,
    is_public_address,
    origin_of,
    system_resolver,
)

REDIRECT_CODES = {301, 302, 303, 307, 308}

# At most two layers of Content-Encoding. `gzip, gzip` happens for real (an application gzips and
# a proxy in front of it gzips again), so two are decoded; three or more have no legitimate use
# and only multiply the expansion ratio of a decompression bomb, so they are refused unread.
MAX_ENCODING_LAYERS = 2
_DECODE_STEP = 64 * 1024  # no layer produces more than this at a time: memory stays bounded


def make_client(settings: FetchSettings) -> httpx.AsyncClient:
    """The one client a run uses: our User-Agent, our timeouts, no automatic redirects, and a
    transport that connects only to the address the `Fetcher` checked."""
    timeout = httpx.Timeout(
        connect=settings.connect_timeout,
        read=settings.read_timeout,
        write=settings.read_timeout,
        pool=settings.total_timeout,
    )
    limits = httpx.Limits(
        max_connections=settings.concurrency, max_keepalive_connections=settings.concurrency
    )
    return httpx.AsyncClient(
        headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
        transport=PinnedTransport(limits),
    )


def check_url(url: str, trusted: Collection[Origin], addresses: Sequence[str] | None) -> Origin:
    """Refuse what must never be fetched and return the URL's origin. Pure: the caller resolves.

    - only http and https, no user-info tricks;
    - an origin the user configured as a source is trusted whatever it resolves to;
    - anything else must be, or resolve only to, public addresses (`addresses` None: a name is
      let through for the caller to resolve and call again with its addresses).
    """
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, UnicodeError) as exc:
        raise FetchError(url, f"refused: invalid URL ({one_line(exc, 120)})") from None
    if parsed.scheme not in DEFAULT_PORTS:
        raise FetchError(url, f"refused: scheme {parsed.scheme or '(none)'!r} is not http(s)")
    if parsed.userinfo:
        raise FetchError(url, "refused: user-info in URL")
    if not parsed.raw_host:
        raise FetchError(url, "refused: no host")
    origin = origin_of(parsed)
    if origin in trusted:
        return origin
    literal = ip_literal(origin.host)
    if literal is not None:
        if not is_public_address(literal):
            where = f"{origin.scheme}://{parsed.netloc.decode('ascii')}"
            raise FetchError(
                url, f"refused: non-public address {literal} ({where} is not a configured source)"
            )
        return origin
    if addresses is None:
        return origin
    if not addresses:
        raise FetchError(url, "cannot resolve host")
    for ip in addresses:
        if not is_public_address(ip):
            raise FetchError(url, f"refused: {origin.host} resolves to non-public address {ip}")
    return origin


def _content_type(headers: httpx.Headers) -> tuple[str, str | None]:
    raw = headers.get("content-type", "")
    if not raw:
        return "", None
    msg = Message()
    msg["content-type"] = raw
    charset = msg.get_param("charset")
    return msg.get_content_type().lower(), (str(charset).strip().strip('"') if charset else None)


class Fetcher:
    """Fetch URLs politely: at most `concurrency` at once and `per_host` per host.

    `trusted` holds the origins of the configured sources (`digest.net.trusted_origins`);
    `resolver` answers for host names (the operating system's by default)."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        settings: FetchSettings,
        trusted: Collection[tuple[str, str, int]] = (),
        *,
        resolver: Resolver = system_resolver,
    ) -> None:
        self._client = client
        self._settings = settings
        self._trusted = frozenset(_origin(o) for o in trusted)
        self._resolver = resolver
        self._all = asyncio.Semaphore(settings.concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}

    async def _address(self, url: str, origin: Origin) -> str:
        """The one address to connect to for `url`: resolved once and checked."""
        literal = ip_literal(origin.host)
        if literal is not None:
            return literal  # check_url has checked it
        try:
            addresses = list(dict.fromkeys(await self._resolver(origin.host)))
        except OSError as exc:
            raise FetchError(url, f"cannot resolve host: {one_line(exc.strerror or exc, 160)}") from exc
        if not addresses:
            raise FetchError(url, "cannot resolve host")
        check_url(url, self._trusted, addresses)
        return addresses[0]

    async def get(self, url: str, validators: Validators | None = None) -> Response:
        """GET one URL; 2xx and 304 come back as a Response, everything else as FetchError."""
        origin = check_url(url, self._trusted, None)
        sem = self._hosts.setdefault(origin.host, asyncio.Semaphore(self._settings.per_host))
        async with self._all, sem:
            try:
                async with asyncio.timeout(self._settings.total_timeout):
                    with timing.timed("fetch"):  # a request's own time, not its wait for a slot
                        return await self._get(url, validators)
            except TimeoutError:
                raise FetchError(url, f"timed out after {self._settings.total_timeout:g} s") from None

    async def _get(self, url: str, validators: Validators | None) -> Response:
        headers: dict[str, str] = {}
        if validators is not None:
            if validators.etag:
                headers["If-None-Match"] = validators.etag
            if validators.last_modified:
                headers["If-Modified-Since"] = validators.last_modified
        current = url
        permanent = True  # every hop so far 301/308
        for _hop in range(self._settings.max_redirects + 1):
            origin = check_url(current, self._trusted, None)
            pin = Pin(origin.host, origin.port, await self._address(current, origin))
            try:
                request = self._client.build_request(
                    "GET", current, headers=headers, extensions={PIN_EXTENSION: pin}
                )
                resp = await self._client.send(request, stream=True)
            except httpx.TimeoutException as exc:
                raise FetchError(current, f"timed out ({type(exc).__name__})") from exc
            except httpx.ConnectError as exc:
                raise FetchError(current, f"cannot connect: {_reason(exc)}") from exc
            except httpx.HTTPError as exc:
                raise FetchError(current, f"{type(exc).__name__}: {_reason(exc)}") from exc
            try:
                if resp.status_code in REDIRECT_CODES:
                    location = resp.headers.get("location")
                    if not location:
                        raise FetchError(current, f"HTTP {resp.status_code} without Location")
                    current = urljoin(current, location)
                    permanent = permanent and resp.status_code in (301, 308)
                    continue
                moved_to = current if permanent and current != url else None
                if resp.status_code == 304:
                    return Response(
                        url=url,
                        final_url=current,
                        status=304,
                        body=b"",
                        content_type="",
                        charset=None,
                        validators=validators or Validators(),
                        moved_to=moved_to,
                        retry_after=resp.headers.get("retry-after"),
                        cache_control=resp.headers.get("cache-control"),
                    )
                if resp.status_code >= 400:
                    raise FetchError(
                        current,
                        f"HTTP {resp.status_code} {resp.reason_phrase}".strip(),
                        status=resp.status_code,
                        retry_after=resp.headers.get("retry-after"),
                    )
                if resp.status_code >= 300 or resp.status_code < 200:
                    raise FetchError(current, f"unexpected HTTP {resp.status_code}")
                body = await self._read_capped(resp, current)
                ctype, charset = _content_type(resp.headers)
                return Response(
                    url=url,
                    final_url=current,
                    status=resp.status_code,
                    body=body,
                    content_type=ctype,
                    charset=charset,
                    validators=Validators(
                        etag=resp.headers.get("etag"), last_modified=resp.headers.get("last-modified")
                    ),
                    moved_to=moved_to,
                    retry_after=resp.headers.get("retry-after"),
                    cache_control=resp.headers.get("cache-control"),
                )
            finally:
                await resp.aclose()
        raise FetchError(url, f"more than {self._settings.max_redirects} redirects")

    async def _read_capped(self, resp: httpx.Response, url: str) -> bytes:
        """The body decoded by us, not by httpx: every layer's output is counted against the cap
        as it is produced, a step at a time, so a small bomb stops at the cap."""
        cap = self._settings.max_bytes
        codings = _codings(url, resp.headers)
        declared = resp.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > cap and not codings:
            raise FetchError(url, f"response too large ({int(declared):,} bytes > {cap:,})")
        body = _Decoding(url, codings, cap)
        chunks: list[bytes] = []
        try:
            async for raw in resp.aiter_raw():
                chunks.extend(body.feed(raw))
        except httpx.TimeoutException as exc:
            raise FetchError(url, "timed out while reading the body") from exc
        except httpx.HTTPError as exc:
            # A short or reset body (content-length mismatch, broken chunking) is a failed fetch:
            # nothing of it is used.
            raise FetchError(url, f"incomplete body: {_reason(exc)}") from exc
        body.finish()
        return b"".join(chunks)


def _origin(o: tuple[str, str, int]) -> Origin:
    if isinstance(o, str):
        raise TypeError("trusted must hold origins (scheme, host, port): use digest.net.trusted_origins")
    scheme, host, port = o
    return Origin(scheme.lower(), host.lower().strip("[]"), port or DEFAULT_PORTS.get(scheme.lower(), 0))


def _codings(url: str, headers: httpx.Headers) -> list[str]:
    """The Content-Encoding layers to undo, outermost first; refuses what is not decoded."""
    named = [c.strip().lower() for c in headers.get_list("content-encoding", split_commas=True)]
    codings = [c for c in named if c and c != "identity"]
    if len(codings) > MAX_ENCODING_LAYERS:
        raise FetchError(
            url, f"refused: {len(codings)} layers of Content-Encoding (at most {MAX_ENCODING_LAYERS})"
        )
    for c in codings:
        if c not in ("gzip", "x-gzip", "deflate"):
            raise FetchError(url, f"unsupported Content-Encoding {one_line(c, 40)!r}")
    return codings[::-1]


class _Inflater:
    """One gzip or deflate layer, producing at most `_DECODE_STEP` bytes per step. `deflate`
    is the zlib format by the RFC, raw deflate by some servers: the first two bytes tell. Bytes
    after the end of the compressed stream are ignored, as httpx does."""

    def __init__(self, coding: str) -> None:
        self._deflate = coding == "deflate"
        self._head = b""
        self._z = None if self._deflate else zlib.decompressobj(16 + zlib.MAX_WBITS)

    @property
    def done(self) -> bool:
        return self._z is not None and self._z.eof

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._z is None:
            self._head += data
            if len(self._head) < 2:
                return
            b0, b1 = self._head[0], self._head[1]
            zlib_header = b0 & 0x0F == 8 and (b0 << 8 | b1) % 31 == 0
            self._z = zlib.decompressobj(zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS)
            data, self._head = self._head, b""
        while not self._z.eof:
            out = self._z.decompress(data, _DECODE_STEP)
            if out:
                yield out
            data = self._z.unconsumed_tail
            if not data and len(out) < _DECODE_STEP:
                return  # everything given is decoded; a full step may have more to drain


class _Decoding:
    """Raw body bytes through the layers, each layer's output counted against the cap."""

    def __init__(self, url: str, codings: list[str], cap: int) -> None:
        self._url = url
        self._cap = cap
        self._layers = [_Inflater(c) for c in codings]
        self._sizes = [0] * (len(codings) + 1)

    def feed(self, raw: bytes) -> Iterator[bytes]:
        try:
            yield from self._push(0, raw)
        except zlib.error as exc:
            raise FetchError(self._url, f"corrupt compressed body: {_reason(exc)}") from None

    def _push(self, layer: int, data: bytes) -> Iterator[bytes]:
        self._sizes[layer] += len(data)
        if self._sizes[layer] > self._cap:
            raise FetchError(self._url, f"response too large (over {self._cap:,} bytes)")
        if layer == len(self._layers):
            yield data
            return
        for piece in self._layers[layer].feed(data):
            yield from self._push(layer + 1, piece)

    def finish(self) -> None:
        if not all(layer.done for layer in self._layers):
            raise FetchError(self._url, "incomplete body: the compressed data ends early")


def _reason(exc: BaseException) -> str:
    return one_line(exc, 200)
