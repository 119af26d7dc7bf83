"""Printer tests play a till with a fake network printer: a TCP server in the test that
keeps every byte it receives, one ``bytes`` per connection (one ticket)."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from comptoir.printing.config import PrinterConfig
from comptoir.printing.services import printer_set
from comptoir.stores.models import Till
from tests.cli.conftest import cli, cli_fail, cli_json  # noqa: F401
from tests.pos.conftest import (  # noqa: F401
    cashier,
    cashier_client,
    catalogue,
    manager_client,
    node_role,
)


class FakePrinter:
    """What the fake printer received: ``jobs`` (one per connection, once closed)."""

    def __init__(self) -> None:
        self.jobs: list[bytes] = []
        self.done = threading.Condition()
        self.server: socketserver.ThreadingTCPServer | None = None

    @property
    def address(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"{host}:{port}"

    def wait(self, count: int = 1, timeout: float = 5) -> list[bytes]:
        """The jobs, once ``count`` of them have arrived (fails after ``timeout``)."""
        end = time.monotonic() + timeout
        with self.done:
            while len(self.jobs) < count:
                left = end - time.monotonic()
                assert left > 0, f"{len(self.jobs)} ticket(s) reçu(s), {count} attendu(s)"
                self.done.wait(left)
            return list(self.jobs)


@pytest.fixture
def fake_printer() -> Iterator[FakePrinter]:
    printer = FakePrinter()

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            chunks = []
            while data := self.request.recv(65536):
                chunks.append(data)
            with printer.done:
                printer.jobs.append(b"".join(chunks))
                printer.done.notify_all()

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    printer.server = server
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield printer
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def dead_address() -> str:
    """A loopback port where nothing listens: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"127.0.0.1:{port}"


def use_printer(till: Till, address: str, **settings: Any) -> PrinterConfig:
    return printer_set(till=till, config=PrinterConfig(kind="tcp", target=address, **settings))


@pytest.fixture
def printer_on(till: Till, fake_printer: FakePrinter) -> FakePrinter:
    use_printer(till, fake_printer.address)
    return fake_printer
