"""A loopback HTTP server for the bundled demo site (or any folder of saved pages).

`digest run --demo` serves ``digest/demo/data/day1`` (then ``day2``) with it and points the real
pipeline at the address it got. It behaves like a small, well-mannered news web server:

* ``{base}`` in a served text file is replaced with the server's own address
  (``http://127.0.0.1:PORT``, no trailing slash), so feeds and listing pages carry absolute links;
* ``Content-Type`` carries the charset the file declares (``<?xml … encoding="euc-kr"?>``,
  ``<meta charset="euc-kr">``), ``UTF-8`` when it declares none;
* strong ``ETag`` (a hash of the bytes sent) and ``Last-Modified``, with ``304 Not Modified`` for
  ``If-None-Match`` (which wins) or ``If-Modified-Since``;
* gzip when the client asks for it (``Accept-Encoding: gzip``); ``Vary: Accept-Encoding``;
* ``404`` for anything missing, hidden or outside the root; no directory listings
  (a directory is served by its ``index.html`` or not at all);
* it binds only to ``127.0.0.1`` or ``::1`` and writes nothing to stderr.

URL → file mapping
------------------
A path maps to the file of the same path under the root. A query string cannot be part of a
file name everywhere (``?`` is not allowed on Windows), so the page for
``/medinews/news/articleView.html?idxno=21501`` is stored as the file
``medinews/news/articleView.html@idxno=21501``. For a request with a query the server tries, in order:

1. ``<path>@<query>``, the query exactly as sent;
2. the same with tracking parameters (``utm_*``, ``fbclid``, ``gclid`` …) removed, or ``<path>`` alone
   when nothing else is left;
3. ``<path>`` itself, ignoring the query (as static servers and most CMS listing pages do).

Only queries made of ``A-Z a-z 0-9 _ - . = &`` are looked up as file names.

``Last-Modified`` is the moment the current root started being served (set again, one second later
at least, by `DemoServer.set_root`), so a client that only sends ``If-Modified-Since`` sees every
file as changed after a day switch; clients that send ``If-None-Match`` get 304 for unchanged bytes.

Run ``python -m digest.demo.server [DIR] [--port N]`` to browse a folder by hand; with no ``DIR`` it
serves the bundled demo's day 1.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import http.server
import mimetypes
import re
import socket
import socketserver
import sys
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from types import TracebackType
from typing import Final
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

__all__ = ["DATA_DIR", "DemoServer", "ServedRequest", "main", "serve"]

DATA_DIR: Final = Path(__file__).resolve().parent / "data"
BASE_PLACEHOLDER: Final = b"{base}"

_LOOPBACK: Final = {"127.0.0.1": socket.AF_INET, "::1": socket.AF_INET6, "localhost": socket.AF_INET}
_SAFE_QUERY: Final = re.compile(r"[A-Za-z0-9_.=&-]+")
_TRACKING: Final = re.compile(r"(?:utm_[a-z]+|fbclid|gclid|dclid|mc_cid|mc_eid|n_media|n_query)", re.I)
_XML_DECL: Final = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""", re.I)
_META_CHARSET: Final = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.I)
_TEXT_TYPES: Final = ("text/", "application/xml", "application/rss+xml", "application/atom+xml")
_JSON_TYPES: Final = ("application/json", "application/feed+json")
_SNIFF_BYTES: Final = 2048
_LOG_SIZE: Final = 1000


@dataclass(frozen=True)
class ServedRequest:
    """One request the server answered, kept in memory (the server logs nothing)."""

    method: str
    path: str  # as sent, with its query
    status: int
    headers: tuple[tuple[str, str], ...]  # the request headers


@dataclass(frozen=True)
class _Resource:
    body: bytes
    content_type: str  # with its charset parameter when it is text


class DemoServer:
    """A threaded HTTP server on loopback, answering from one folder at a time.

    Use `serve` to get a running one; it is a context manager that stops the server on exit.
    """

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        if host not in _LOOPBACK:
            raise ValueError(f"the demo server binds only to 127.0.0.1 or ::1, not {host!r}")
        bind_host = "127.0.0.1" if host == "localhost" else host
        self._lock = threading.Lock()
        self._root = _check_root(root)
        self._since = int(time.time())
        self._log: deque[ServedRequest] = deque(maxlen=_LOG_SIZE)
        self._httpd = _HTTPServer((bind_host, port), _Handler, family=_LOOPBACK[host], demo=self)
        bound_port = self._httpd.server_address[1]
        shown = f"[{bind_host}]" if ":" in bind_host else bind_host
        self._base_url = f"http://{shown}:{bound_port}"
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ public API

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``, without a trailing slash: what ``{base}`` becomes."""
        return self._base_url

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def root(self) -> Path:
        with self._lock:
            return self._root

    @property
    def requests(self) -> tuple[ServedRequest, ...]:
        """The last requests answered (at most 1000), oldest first."""
        with self._lock:
            return tuple(self._log)

    def url(self, path: str = "/") -> str:
        """An absolute URL on this server for a path such as ``/medinews/rss/allArticle.xml``."""
        return self._base_url + (path if path.startswith("/") else "/" + path)

    def set_root(self, root: Path) -> None:
        """Serve another folder from now on (the demo's switch from day 1 to day 2)."""
        checked = _check_root(root)
        with self._lock:
            self._root = checked
            self._since = max(int(time.time()), self._since + 1)

    def start(self) -> DemoServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"digest-demo-server:{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop answering and release the port; safe to call twice."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"DemoServer({self._base_url!r}, root={str(self.root)!r})"

    # ------------------------------------------------------------------ used by the handler

    def _state(self) -> tuple[Path, int]:
        with self._lock:
            return self._root, self._since

    def _record(self, request: ServedRequest) -> None:
        with self._lock:
            self._log.append(request)

    def _resource(self, root: Path, target: str) -> _Resource | None:
        found = _find_file(root, target)
        if found is None:
            return None
        file, url_path = found
        try:
            raw = file.read_bytes()
        except OSError:
            return None
        content_type = _content_type(url_path, raw)
        if content_type.startswith(_TEXT_TYPES + _JSON_TYPES):
            raw = raw.replace(BASE_PLACEHOLDER, self._base_url.encode("ascii"))
        return _Resource(body=raw, content_type=content_type)


def serve(root: Path, host: str = "127.0.0.1", port: int = 0) -> DemoServer:
    """Start a `DemoServer` on ``host:port`` (port 0: any free one) in a background thread."""
    return DemoServer(Path(root), host=host, port=port).start()


# ---------------------------------------------------------------------- HTTP plumbing


class _HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[http.server.BaseHTTPRequestHandler],
        *,
        family: socket.AddressFamily,
        demo: DemoServer,
    ) -> None:
        self.address_family = family
        self.demo = demo
        super().__init__(address, handler)

    def server_bind(self) -> None:
        """Bind without `HTTPServer`'s reverse DNS lookup of the address (no network here)."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that hang up mid-answer are not worth a traceback on stderr."""


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "digest-demo/1"
    sys_version = ""
    timeout = 15

    def log_message(self, format: str, *args: object) -> None:
        """Silent: the demo must not write to stderr. Requests are kept in `DemoServer.requests`."""

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def _demo(self) -> DemoServer:
        server = self.server
        assert isinstance(server, _HTTPServer)
        return server.demo

    def _answer(self, *, with_body: bool) -> None:
        demo = self._demo()
        root, since = demo._state()
        resource = demo._resource(root, self.path)
        if resource is None:
            self._finish(404, b"404 Not Found\n", "text/plain; charset=UTF-8", with_body=with_body)
            return
        compressible = resource.content_type.startswith(_TEXT_TYPES + _JSON_TYPES)
        gzipped = compressible and _accepts_gzip(self.headers.get("Accept-Encoding", ""))
        digest = hashlib.sha256(resource.body).hexdigest()[:24]
        headers = {
            "ETag": f'"{digest}-gzip"' if gzipped else f'"{digest}"',
            "Last-Modified": formatdate(since, usegmt=True),
            "Cache-Control": "no-cache",
        }
        if compressible:
            headers["Vary"] = "Accept-Encoding"
        if self._not_modified(digest, since):
            self._finish(304, b"", None, with_body=False, headers=headers)
            return
        body = resource.body
        if gzipped:
            body = gzip.compress(body, mtime=0)
            headers["Content-Encoding"] = "gzip"
        self._finish(200, body, resource.content_type, with_body=with_body, headers=headers)

    def _not_modified(self, digest: str, since: int) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            return _etag_matches(if_none_match, digest)
        if_modified_since = self.headers.get("If-Modified-Since")
        if if_modified_since:
            try:
                asked = parsedate_to_datetime(if_modified_since)
            except (TypeError, ValueError, IndexError):
                return False
            if asked.tzinfo is None:
                return False
            return since <= asked.timestamp()
        return False

    def _finish(
        self,
        status: int,
        body: bytes,
        content_type: str | None,
        *,
        with_body: bool,
        headers: dict[str, str] | None = None,
    ) -> None:
        # Recorded before answering, so a client that has its answer also finds it here.
        self._demo()._record(
            ServedRequest(
                method=self.command,
                path=self.path,
                status=status,
                headers=tuple((k, v) for k, v in self.headers.items()),
            )
        )
        self.send_response(status)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body and status != 304:
            self.wfile.write(body)


# ---------------------------------------------------------------------- pure helpers


def _check_root(root: Path) -> Path:
    resolved = Path(root).resolve()
    if not resolved.is_dir():
        raise NotADirectoryError(f"not a folder to serve: {root}")
    return resolved


def _find_file(root: Path, target: str) -> tuple[Path, str] | None:
    """The file answering a request target (path and query), and the URL path it stands for."""
    parts = urlsplit(target)
    url_path = unquote(parts.path or "/")
    segments = url_path.split("/")
    if any(seg in {".", ".."} or seg.startswith(".") or "\\" in seg or "\0" in seg for seg in segments):
        return None
    names = [seg for seg in segments if seg]
    base = root.joinpath(*names)
    candidates: list[Path] = []
    if parts.query and _SAFE_QUERY.fullmatch(parts.query) and names:
        candidates.append(base.with_name(f"{base.name}@{parts.query}"))
        kept = [
            (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.fullmatch(k)
        ]
        if kept:
            candidates.append(base.with_name(f"{base.name}@{urlencode(kept)}"))
    candidates.append(base)
    for candidate in candidates:
        served_as = url_path
        if candidate.is_dir():
            candidate = candidate / "index.html"
            served_as = url_path.rstrip("/") + "/index.html"
        try:
            resolved = candidate.resolve()
        except OSError:
            continue
        if resolved.is_file() and resolved.is_relative_to(root):
            return resolved, served_as
    return None


def _content_type(url_path: str, body: bytes) -> str:
    """Media type from the URL's suffix (and a look at the bytes), with the declared charset."""
    suffix = Path(url_path).suffix.lower()
    head = body[:_SNIFF_BYTES]
    if suffix in {".html", ".htm"}:
        media = "text/html"
    elif suffix in {".xml", ".rss", ".atom", ".rdf"}:
        if suffix == ".atom" or re.search(rb"<feed[\s>]", head):
            media = "application/atom+xml"
        elif suffix == ".rss" or re.search(rb"<rss[\s>]", head):
            media = "application/rss+xml"
        else:
            media = "application/xml"
    elif suffix == ".json":
        return (
            "application/feed+json; charset=UTF-8"
            if b"jsonfeed.org/version" in head
            else "application/json; charset=UTF-8"
        )
    else:
        media = mimetypes.guess_type(url_path)[0] or "application/octet-stream"
    if not media.startswith(_TEXT_TYPES):
        return media
    return f"{media}; charset={_declared_charset(head) or 'UTF-8'}"


def _declared_charset(head: bytes) -> str | None:
    match = _XML_DECL.search(head) or _META_CHARSET.search(head)
    if match is None:
        return None
    label = match.group(1).decode("ascii").upper()
    return "UTF-8" if label in {"UTF8", "UTF-8"} else label


def _accepts_gzip(header: str) -> bool:
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() not in {"gzip", "x-gzip", "*"}:
            continue
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            return True
    return False


def _etag_matches(header: str, digest: str) -> bool:
    """Weak comparison (RFC 9110 §13.1.2), treating the gzip variant as the same bytes."""
    for tag in header.split(","):
        tag = tag.strip()
        if tag == "*":
            return True
        tag = tag.removeprefix("W/").strip('"').removesuffix("-gzip")
        if tag == digest:
            return True
    return False


# ---------------------------------------------------------------------- by hand


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m digest.demo.server",
        description="Serve a folder of saved pages and feeds on loopback, with {base} filled in.",
    )
    parser.add_argument(
        "directory",
        nargs="?",
        type=Path,
        default=DATA_DIR / "day1",
        help="the folder to serve (default: the bundled demo's day1)",
    )
    parser.add_argument("--port", type=int, default=8000, help="port, 0 for any free one (default 8000)")
    parser.add_argument("--host", default="127.0.0.1", choices=sorted(_LOOPBACK), help="loopback address")
    args = parser.parse_args(argv)
    try:
        server = serve(args.directory, host=args.host, port=args.port)
    except (OSError, ValueError) as exc:
        print(f"cannot serve {args.directory}: {exc}", file=sys.stderr)
        return 2
    with server:
        print(f"serving {server.root} at {server.base_url}/ (Ctrl-C to stop)", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
