"""The HTTP side of ``lmdoctor serve``: ``/metrics`` through prometheus_client, a landing page, a health path.

prometheus_client's WSGI app does the content negotiation (OpenMetrics or text 0.0.4, gzip);
lmdoctor's collector does the probing. Prometheus says how long it will wait in the
``X-Prometheus-Scrape-Timeout-Seconds`` header: a scrape answers a little before that, so a slow
target costs a "probe overrun" finding instead of the whole scrape.
"""
from __future__ import annotations

import socket
import threading
from typing import Optional
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

HEADER_MARGIN = 0.5  # answer this much before Prometheus gives up


class _Handler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass  # Prometheus scrapes every few seconds: no access log on stderr


class _Threading(WSGIServer):
    """One thread per request (two Prometheus servers may scrape at once); threads die with the server."""

    daemon_threads = True
    block_on_close = False

    def process_request(self, request, client_address):  # pragma: no cover - exercised over HTTP
        t = threading.Thread(target=self._one, args=(request, client_address), daemon=True,
                             name="lmdoctor-http")
        t.start()

    def _one(self, request, client_address) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)

    def handle_error(self, request, client_address) -> None:
        pass  # a client that hung up mid-answer is not lmdoctor's error


LANDING = b"""<!doctype html><html><head><title>lmdoctor exporter</title></head><body>
<h1>lmdoctor exporter</h1><p>FlexNet license servers: usage (flexlm_exporter's metrics) and the why
(lmdoctor_finding).</p><p><a href="/metrics">/metrics</a></p></body></html>
"""


class PerRequest:
    """Each request's deadline from Prometheus' header, kept in the request's own thread for the collector."""

    def __init__(self) -> None:
        self._local = threading.local()

    def set(self, limit: Optional[float]) -> None:
        self._local.limit = limit

    def get(self) -> Optional[float]:
        return getattr(self._local, "limit", None)


def header_limit(environ) -> Optional[float]:
    """Seconds this scrape may take, from X-Prometheus-Scrape-Timeout-Seconds (minus a margin)."""
    raw = environ.get("HTTP_X_PROMETHEUS_SCRAPE_TIMEOUT_SECONDS")
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    if not value > 0 or value != value or value == float("inf"):
        return None
    return max(0.1, value - HEADER_MARGIN)


def make_app(collector, per_request: PerRequest, registry=None):
    """The WSGI app: /metrics (the collector), / (a landing page), /-/healthy."""
    from prometheus_client import CollectorRegistry, make_wsgi_app

    if registry is None:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(collector)
    metrics = make_wsgi_app(registry)

    def app(environ, start_response):
        path = environ.get("PATH_INFO") or "/"
        if path == "/metrics":
            per_request.set(header_limit(environ))
            return metrics(environ, start_response)
        if path == "/-/healthy":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"OK\n"]
        if path == "/":
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [LANDING]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found: the metrics are at /metrics\n"]

    return app


def serve_http(app, host: str, port: int) -> WSGIServer:
    """A started-but-not-serving server bound to (host, port); raises OSError (address in use ...)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET

    class Server(_Threading):
        address_family = family

    return make_server(host, port, app, server_class=Server, handler_class=_Handler)
