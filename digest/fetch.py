"""HTTP fetching: bounded concurrency overall and per host, deadlines, a size cap, redirects
checked hop by hop, conditional GET, and an address guard. httpx errors become `FetchError`.

The `httpx.AsyncClient` is injected, so tests can hand in one on a real loopback server.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Collection
from email.message import Message
from urllib.parse import urljoin, urlsplit

import httpx

from .errors import FetchError, one_line
from .models import FetchSettings, Response, Validators

REDIRECT_CODES = {301, 302, 303, 307, 308}


def make_client(settings: FetchSettings) -> httpx.AsyncClient:
    """The one client a run uses: our User-Agent, our timeouts, no automatic redirects."""
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
        limits=limits,
        follow_redirects=False,
        trust_env=False,
    )


def is_public_address(ip: str) -> bool:
    """True for a globally routable unicast address; False for loopback, private, link-local …"""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return bool(addr.is_global) and not addr.is_multicast


def check_url(url: str, trusted_hosts: Collection[str], addresses: list[str] | None) -> None:
    """Refuse what must never be fetched. Pure: the caller resolves the host.

    - only http and https, no user-info tricks;
    - a host the user configured as a source is trusted whatever it resolves to;
    - any other host must resolve only to public addresses.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError(url, f"refused: scheme {parts.scheme or '(none)'!r} is not http(s)")
    if parts.username is not None or parts.password is not None:
        raise FetchError(url, "refused: user-info in URL")
    host = (parts.hostname or "").lower()
    if not host:
        raise FetchError(url, "refused: no host")
    if host in trusted_hosts:
        return
    if addresses is None:
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return  # a name: the caller resolves it and calls again with the addresses
        addresses = [host]
    if not addresses:
        raise FetchError(url, "cannot resolve host")
    for ip in addresses:
        if not is_public_address(ip):
            raise FetchError(url, f"refused: {host} resolves to non-public address {ip}")


def _content_type(headers: httpx.Headers) -> tuple[str, str | None]:
    raw = headers.get("content-type", "")
    if not raw:
        return "", None
    msg = Message()
    msg["content-type"] = raw
    charset = msg.get_param("charset")
    return msg.get_content_type().lower(), (str(charset).strip().strip('"') if charset else None)


class Fetcher:
    """Fetch URLs politely: at most `concurrency` at once and `per_host` per host."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        settings: FetchSettings,
        trusted_hosts: Collection[str] = (),
    ) -> None:
        self._client = client
        self._settings = settings
        self._trusted = {h.lower() for h in trusted_hosts}
        self._all = asyncio.Semaphore(settings.concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}

    async def _resolve(self, url: str) -> None:
        host = (urlsplit(url).hostname or "").lower()
        if host in self._trusted:
            return
        try:
            ipaddress.ip_address(host)
            check_url(url, self._trusted, [host])
            return
        except ValueError:
            pass
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise FetchError(url, f"cannot resolve host: {exc.strerror or exc}") from exc
        check_url(url, self._trusted, sorted({str(info[4][0]) for info in infos}))

    async def get(self, url: str, validators: Validators | None = None) -> Response:
        """GET one URL; 2xx and 304 come back as a Response, everything else as FetchError."""
        check_url(url, self._trusted, None)
        host = (urlsplit(url).hostname or "").lower()
        sem = self._hosts.setdefault(host, asyncio.Semaphore(self._settings.per_host))
        async with self._all, sem:
            try:
                async with asyncio.timeout(self._settings.total_timeout):
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
        for _hop in range(self._settings.max_redirects + 1):
            await self._resolve(current)
            try:
                request = self._client.build_request("GET", current, headers=headers)
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
                    check_url(current, self._trusted, None)
                    continue
                if resp.status_code == 304:
                    return Response(
                        url=url,
                        final_url=current,
                        status=304,
                        body=b"",
                        content_type="",
                        charset=None,
                        validators=validators or Validators(),
                    )
                if resp.status_code >= 400:
                    raise FetchError(current, f"HTTP {resp.status_code} {resp.reason_phrase}".strip())
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
                )
            finally:
                await resp.aclose()
        raise FetchError(url, f"more than {self._settings.max_redirects} redirects")

    async def _read_capped(self, resp: httpx.Response, url: str) -> bytes:
        cap = self._settings.max_bytes
        declared = resp.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > cap and "content-encoding" not in resp.headers:
            raise FetchError(url, f"response too large ({int(declared):,} bytes > {cap:,})")
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in resp.aiter_bytes():
                size += len(chunk)
                if size > cap:
                    raise FetchError(url, f"response too large (over {cap:,} bytes)")
                chunks.append(chunk)
        except httpx.TimeoutException as exc:
            raise FetchError(url, "timed out while reading the body") from exc
        except httpx.HTTPError as exc:
            # A short or reset body (content-length mismatch, broken chunking, bad gzip) is a
            # failed fetch: nothing of it is used.
            raise FetchError(url, f"incomplete body: {_reason(exc)}") from exc
        return b"".join(chunks)


def _reason(exc: BaseException) -> str:
    return one_line(exc, 200)
