"""Fixtures of the dataset tests: an isolated hilayers home, mirrors that never reach the
internet, and a real HTTP server on 127.0.0.1 serving generated files."""
import http.server
import socket
import threading
import time

import pytest

from hilayers.datasets import cifar10, fashion_mnist, mnist


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def dead_url():
    """A base URL on which nothing listens (connection refused)."""
    return f"http://127.0.0.1:{_closed_port()}/"


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch, dead_url):
    """Each test gets its own HILAYERS_HOME, no HILAYERS_DATASETS, and mirrors that go
    nowhere: no test can read the user's cache or contact a real mirror."""
    home = tmp_path / "home"
    monkeypatch.setenv("HILAYERS_HOME", str(home))
    monkeypatch.delenv("HILAYERS_DATASETS", raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    for module in (mnist, fashion_mnist, cifar10):
        monkeypatch.setattr(module, "MIRRORS", [dead_url])
    return home


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.requests.append(self.path)
        kind, body = self.server.routes.get(self.path, ("missing", b""))
        if kind == "missing":
            self.send_error(404, "Not Found")
            return
        if kind == "error":
            self.send_error(500, "Internal Server Error")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if kind == "slow":
            time.sleep(1.0)
        if kind == "drop":                       # half the file, then the connection closes
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, *args):                # keep the test output quiet
        pass


class LocalServer:
    """The server's routes and the requests it received."""

    def __init__(self, httpd):
        self._httpd = httpd
        self.routes = httpd.routes
        self.requests = httpd.requests
        self.base = f"http://127.0.0.1:{httpd.server_address[1]}"

    def url(self, path):
        return self.base + path

    def serve(self, path, body, kind="ok"):
        """Answer GET ``path`` with ``body``; kind "drop" stops mid-file, "error" gives 500,
        "slow" waits a second before the body."""
        self.routes[path] = (kind, body)
        return self.url(path)


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.block_on_close = False
    httpd.routes, httpd.requests = {}, []
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    yield LocalServer(httpd)
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)
