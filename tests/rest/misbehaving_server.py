"""A small real HTTP server on 127.0.0.1 that answers the way broken or unexpected servers
do, for the connection's error lines and retries:

    /html-page             200 with an HTML page (a web site, not a tracking server)
    /html-error            500 with an HTML error page
    /status/<code>         <code> with a short plain-text body (401, 403, 500, ...)
    /missing               404 with an HTML page, as a web server without the endpoint
    /flaky/<n>/<code>      <code> for the first n requests to this path, then {"ok": true}
    /rate-limited/<n>      429 with "Retry-After: 1" n times, then {"ok": true}
    /invalid-json          200 with a body that is not JSON
    /slow/<seconds>        {"ok": true} after sleeping <seconds>
    /echo                  {"authorization": <header>, "method", "query", "body"}
    /mlflow-error/<code>   400 with MLflow's error body {"error_code": code, "message": ...}
                           (?status=<n> for another status, ?message=<text>,
                           ?tuitrack_error=<class> as a tuitrack server names its error)
    /files/<path>          PUT stores the body, GET returns it (404 MLflow-style if absent)
    /flaky-files/<n>/<path> 503 for the first n requests, then as /files/<path>
    /redirect              301 to another address
    /truncated             a body shorter than its Content-Length, then the connection closes

`hits(path)` counts the requests each path received. Use as a context manager; `tls=`
(a certificate and key file) serves HTTPS instead.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import cast
from urllib.parse import parse_qs, urlsplit

from tests.server_processes import free_port


def closed_port() -> int:
    """A 127.0.0.1 port nothing listens on (connections to it are refused)."""
    return free_port()


class MisbehavingServer:
    def __init__(self, tls: tuple[Path, Path] | None = None) -> None:
        self._counts: Counter[str] = Counter()
        self._counts_lock = threading.Lock()
        self.files: dict[str, bytes] = {}
        self.last_headers: dict[str, str] = {}
        self._httpd = _HTTPServer(self)
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(tls[0]), str(tls[1]))
            self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        host, port = self._httpd.server_address[:2]
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://{host!s}:{port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
        )

    def __enter__(self) -> MisbehavingServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        error_type: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    def hits(self, path: str) -> int:
        with self._counts_lock:
            return self._counts[path]

    def count(self, path: str) -> int:
        """Record one request to `path`; how many it has had, this one included."""
        with self._counts_lock:
            self._counts[path] += 1
            return self._counts[path]


@dataclass(frozen=True)
class _Request:
    parts: list[str]
    query: dict[str, list[str]]
    query_text: str
    body: bytes
    hit: int


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, owner: MisbehavingServer) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.owner = owner

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet: clients that time out hang up on purpose in these tests."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    @property
    def owner(self) -> MisbehavingServer:
        return cast(_HTTPServer, self.server).owner

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests read what they need from the server's counters."""

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def do_PUT(self) -> None:
        self._answer()

    def do_DELETE(self) -> None:
        self._answer()

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: object, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(data).encode(), headers=headers)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            return self.rfile.read(length)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._chunked_body()
        return b""

    def _chunked_body(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip(), 16)
            if size == 0:
                self.rfile.readline()
                return b"".join(parts)
            parts.append(self.rfile.read(size))
            self.rfile.readline()

    def _answer(self) -> None:
        split = urlsplit(self.path)
        body = self._body()
        self.owner.last_headers = dict(self.headers.items())
        hit = self.owner.count(split.path)
        parts = split.path.strip("/").split("/")
        request = _Request(parts, parse_qs(split.query), split.query, body, hit)
        route = getattr(self, "_route_" + parts[0].replace("-", "_"), None)
        if route is None:
            self._json(404, {"error_code": "ENDPOINT_NOT_FOUND", "message": split.path})
        else:
            route(request)

    def _route_html_page(self, request: _Request) -> None:
        page = b"<!DOCTYPE html><html><head><title>Welcome</title></head><body>hi</body>"
        self._send(200, page + b"</html>", "text/html; charset=utf-8")

    def _route_html_error(self, request: _Request) -> None:
        page = b"<html><head><title>Oops</title></head><body>internal</body></html>"
        self._send(500, page, "text/html")

    def _route_status(self, request: _Request) -> None:
        self._send(int(request.parts[1]), b"no", "text/plain")

    def _route_missing(self, request: _Request) -> None:
        page = b"<html><title>404 Not Found</title><h1>Not Found</h1></html>"
        self._send(404, page, "text/html")

    def _route_flaky(self, request: _Request) -> None:
        failures, status = int(request.parts[1]), int(request.parts[2])
        if request.hit <= failures:
            self._send(status, b"try again", "text/plain")
        else:
            self._json(200, {"ok": True, "hits": request.hit})

    def _route_rate_limited(self, request: _Request) -> None:
        if request.hit <= int(request.parts[1]):
            answer = {"error_code": "REQUEST_LIMIT_EXCEEDED"}
            self._json(429, answer, {"Retry-After": "1"})
        else:
            self._json(200, {"ok": True})

    def _route_invalid_json(self, request: _Request) -> None:
        self._send(200, b'{"runs": [unfinished')

    def _route_slow(self, request: _Request) -> None:
        time.sleep(float(request.parts[1]))
        self._json(200, {"ok": True})

    def _route_echo(self, request: _Request) -> None:
        echoed = {
            "authorization": self.headers.get("Authorization"),
            "method": self.command,
            "query": request.query_text,
            "body": request.body.decode(errors="replace"),
        }
        self._json(200, echoed)

    def _route_mlflow_error(self, request: _Request) -> None:
        status = int(request.query.get("status", ["400"])[0])
        message = request.query.get("message", ["it went wrong"])[0]
        answer = {"error_code": request.parts[1], "message": message}
        if "tuitrack_error" in request.query:
            answer["tuitrack_error"] = request.query["tuitrack_error"][0]
        self._json(status, answer)

    def _route_truncated(self, request: _Request) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", "1000")
        self.end_headers()
        self.wfile.write(b"only part")
        self.wfile.flush()
        self.close_connection = True

    def _route_redirect(self, request: _Request) -> None:
        self._send(301, b"", "text/plain", {"Location": "https://tracking.example.com/"})

    def _route_flaky_files(self, request: _Request) -> None:
        if request.hit <= int(request.parts[1]):
            self._send(503, b"busy", "text/plain")
        else:
            self._files("/".join(request.parts[2:]), request.body)

    def _route_files(self, request: _Request) -> None:
        self._files("/".join(request.parts[1:]), request.body)

    def _files(self, name: str, body: bytes) -> None:
        if self.command == "PUT":
            self.owner.files[name] = body
            self._send(200, b"")
        elif name in self.owner.files:
            self._send(200, self.owner.files[name], "application/octet-stream")
        else:
            message = f"No such artifact: {name!r}"
            self._json(404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": message})
