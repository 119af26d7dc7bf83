"""The chaos proxy itself, against a tiny local HTTP server (fast: no comptoir process)."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.scenario.chaos_proxy import ChaosProxy, Faults

BIG = 200_000


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[bytes] = []

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # connections cut on purpose break the handler's writes


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = b"x" * BIG if self.path == "/big" else b"bonjour"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        body = self.rfile.read(length)
        if len(body) == length:
            assert isinstance(self.server, _Server)
            self.server.received.append(body)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


@pytest.fixture
def upstream() -> Iterator[_Server]:
    server = _Server()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy(upstream: _Server) -> Iterator[ChaosProxy]:
    with ChaosProxy(upstream.server_address[1], seed=1234) as chaos:
        yield chaos


def _get(proxy: ChaosProxy, path: str = "/") -> bytes:
    conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
    try:
        conn.request("GET", path)
        return conn.getresponse().read()
    finally:
        conn.close()


def _post(proxy: ChaosProxy, body: bytes) -> bytes:
    conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
    try:
        conn.request("POST", "/push", body=body)
        return conn.getresponse().read()
    finally:
        conn.close()


def _wait_for(check: object, timeout: float = 10.0) -> None:
    assert callable(check)
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "pas arrivé à temps"
        time.sleep(0.02)


def test_without_faults_the_proxy_forwards_faithfully(proxy: ChaosProxy) -> None:
    assert _get(proxy) == b"bonjour"
    assert _get(proxy, "/big") == b"x" * BIG
    assert _post(proxy, b"vente") == b"vente"
    assert proxy.snapshot() == {"connections": 3}


def test_refused_connections_get_nothing_and_are_counted(proxy: ChaosProxy) -> None:
    proxy.faults = Faults(refuse=1.0)
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        _get(proxy)
    assert proxy.snapshot()["refused"] == 1
    proxy.heal()
    assert _get(proxy) == b"bonjour"


def test_delays_slow_the_chunks_down(proxy: ChaosProxy) -> None:
    proxy.faults = Faults(delay=1.0, delay_max=0.2)
    started = time.monotonic()
    for _ in range(5):
        assert _get(proxy) == b"bonjour"
    assert proxy.snapshot()["delayed"] >= 10  # each way, each connection
    assert time.monotonic() - started > 0.2


def test_a_cut_towards_the_client_truncates_the_answer(proxy: ChaosProxy) -> None:
    proxy.faults = Faults(cut=1.0, cut_directions=("down",), cut_max_bytes=50_000)
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        _get(proxy, "/big")
    assert proxy.snapshot()["cut_down"] == 1


def test_a_cut_towards_the_server_truncates_the_request(
    proxy: ChaosProxy, upstream: _Server
) -> None:
    proxy.faults = Faults(cut=1.0, cut_directions=("up",), cut_max_bytes=50_000)
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        _post(proxy, b"v" * BIG)
    assert proxy.snapshot()["cut_up"] == 1
    time.sleep(0.2)
    assert upstream.received == []


def test_a_duplicated_connection_delivers_the_request_twice_and_one_answer(
    proxy: ChaosProxy, upstream: _Server
) -> None:
    proxy.faults = Faults(duplicate=1.0)
    assert _post(proxy, b"facture 1") == b"facture 1"
    received = upstream.received
    _wait_for(lambda: len(received) == 2)
    assert received == [b"facture 1", b"facture 1"]
    assert proxy.snapshot()["duplicated"] == 1


def test_drop_connections_resets_what_is_open(proxy: ChaosProxy) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
    conn.request("GET", "/")
    assert conn.getresponse().read() == b"bonjour"  # keep-alive: still open
    proxy.drop_connections()
    time.sleep(0.1)
    conn.sock.settimeout(2)  # type: ignore[union-attr]
    # The reset is seen on the read: http.client does not retry.
    try:
        data = conn.sock.recv(1)  # type: ignore[union-attr]
    except ConnectionResetError:
        data = b""
    assert data == b""
    conn.close()
    assert proxy.snapshot()["connections"] == 1


def test_the_same_seed_draws_the_same_faults(upstream: _Server) -> None:
    outcomes = []
    for _ in range(2):
        with ChaosProxy(upstream.server_address[1], seed=7) as chaos:
            chaos.faults = Faults(refuse=0.5)
            for _ in range(12):
                try:
                    _get(chaos)
                    outcomes.append("ok")
                except (ConnectionError, http.client.HTTPException):
                    outcomes.append("refusé")
    assert outcomes[:12] == outcomes[12:]
    assert set(outcomes) == {"ok", "refusé"}
