"""The hub on a server as ``deploy/`` sets it up, with real processes: PostgreSQL prepared
by ``deploy/postgresql-setup.sh``, ``comptoir serve --workers 2`` behind the real nginx
running ``deploy/nginx-comptoir.conf`` with a certificate from a private CA. A till
enrolls through it trusting that CA (``--ca-file``), sells, and its sale arrives; a long
poll through nginx is answered within a second of a change; the live stream through
nginx (zstd frames, as a till reads it) brings a sale of the store's other till and a
change made on the hub within a second, unbuffered, and its heartbeat passes when
nothing happens; a bad token or cursor on the stream is refused in French through the
proxy; plain HTTP is redirected to HTTPS; ``comptoir hub check`` sees HTTPS through the
proxy as a browser does."""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import threading
import time
import tomllib
from pathlib import Path
from typing import Any

import httpx
import pytest
import tomli_w

from comptoir.devtools import processes
from comptoir.devtools.pgcluster import TempPostgres
from comptoir.syncengine import sse
from comptoir.syncengine.protocol import PROTOCOL_VERSION, SCHEMA_VERSION
from comptoir.syncengine.stream import HEARTBEAT_SECONDS
from tests.deploy.recipe import DEPLOY, private_ca, render_nginx
from tests.scenario.conftest import (
    CLI_TIMEOUT,
    PASSWORD,
    SERVER_START_TIMEOUT,
    Server,
    Shop,
    child_env,
    free_port,
)

pytestmark = [pytest.mark.slow, pytest.mark.scenario]

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
WOKEN_WITHIN = 1.0  # seconds


def _database(pg: TempPostgres) -> str:
    """The hub's role and database, made by the recipe's script: its URL."""
    env = {
        "PATH": os.environ["PATH"],
        "PGHOST": pg.host,
        "PGPORT": str(pg.port),
        "PGUSER": pg.user,
        "PGDATABASE": "postgres",
        "COMPTOIR_DB_HOST": pg.host,
    }
    done = subprocess.run(
        [str(DEPLOY / "postgresql-setup.sh"), "comptoir_hub"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    url = done.stdout.strip()
    assert url.startswith("postgresql://comptoir_hub:"), url
    assert url.endswith(f"@{pg.host}:{pg.port}/comptoir_hub"), url
    return url


def _wait_for_https(
    url: str, verify: ssl.SSLContext, proc: subprocess.Popen[Any], log: Path
) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while True:
        assert proc.poll() is None, log.read_text(errors="replace") if log.exists() else ""
        try:
            if httpx.get(f"{url}/admin/login/", verify=verify, timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"{url} ne répond pas"
        time.sleep(0.1)


class StreamWatch:
    """A till's live stream through the proxy, read in a thread as a till reads it (zstd
    frames, server-sent events): when each event and each heartbeat arrived."""

    def __init__(self, url: str, verify: ssl.SSLContext, headers: dict[str, str], cursor: int):
        self.url, self.verify, self.cursor = url, verify, cursor
        self.headers = {**headers, "Accept": "text/event-stream", "Accept-Encoding": "zstd"}
        self.events: list[tuple[float, sse.Event]] = []
        self.heartbeats: list[float] = []
        self.opened = threading.Event()
        self.status = 0
        self.coding = ""
        self.error: BaseException | None = None
        self._response: httpx.Response | None = None

    def start(self) -> StreamWatch:
        threading.Thread(target=self._run, daemon=True).start()
        assert self.opened.wait(30), self.error
        assert self.status == 200, self.status
        return self

    def _run(self) -> None:
        try:
            with httpx.Client(verify=self.verify, headers=self.headers, timeout=60) as http:
                url = f"{self.url}/api/sync/v1/stream"
                with http.stream("GET", url, params={"cursor": self.cursor}) as response:
                    self._response, self.status = response, response.status_code
                    self.coding = response.headers.get("content-encoding", "")
                    self.opened.set()
                    frames, parser = sse.FrameDecoder(), sse.EventParser()
                    for chunk in response.iter_raw():
                        now = time.monotonic()
                        text = frames.feed(chunk) if self.coding == "zstd" else chunk
                        if sse.HEARTBEAT in text.replace(b"\r\n", b"\n"):
                            self.heartbeats.append(now)
                        self.events += [(now, event) for event in parser.feed(text)]
        except BaseException as exc:  # closed by the test, or a failure it reports
            self.error = exc
        finally:
            self.opened.set()

    def arrival(self, text: str, timeout: float) -> float:
        """When the first event holding ``text`` arrived (waiting up to ``timeout``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, event in list(self.events):
                if text.encode() in event.data:
                    return at
            time.sleep(0.02)
        raise AssertionError(f"« {text} » pas reçu sur le flux en {timeout} s ({self.error!r})")

    def close(self) -> None:
        if self._response is not None:
            self._response.close()


def _up_to_date(http: httpx.Client, pull: str) -> int:
    """The cursor of a till that pulled everything there is."""
    page: dict[str, Any] = {"more": True, "cursor": 0}
    while page["more"]:
        page = http.get(pull, params={"cursor": page["cursor"], "limit": 2000}).json()
    return int(page["cursor"])


def test_a_till_enrolls_sells_and_long_polls_through_nginx_with_a_private_ca(
    pg: TempPostgres, tmp_path: Path
) -> None:
    if not Path(NGINX).exists():
        pytest.skip("nginx est absent : lancez « make system-deps » (apt-get install nginx).")
    shop = Shop(tmp_path, _database(pg))
    try:
        shop.init_hub()
        # As the recipe says: nginx, on this machine, is the one trusted proxy.
        config = shop.hub_home / "comptoir.toml"
        settings = tomllib.loads(config.read_text())
        config.write_text(tomli_w.dumps({**settings, "trusted_proxies": ["127.0.0.1"]}))
        shop.hub = Server(shop.hub_home, name="hub", log_dir=shop.logs, extra=("--workers", "2"))
        shop.servers = [shop.hub]
        shop.hub.start()

        ca, cert, key = private_ca(tmp_path)
        (tmp_path / "nginx").mkdir()
        http_port, https_port = free_port(), free_port()
        conf = render_nginx(
            tmp_path / "nginx",
            http_port=http_port,
            https_port=https_port,
            upstream=f"127.0.0.1:{shop.hub.port}",
            cert=cert,
            key=key,
        )
        nginx = subprocess.Popen(
            [NGINX, "-p", str(conf.parent), "-c", str(conf), "-e", str(conf.parent / "error.log")],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        shop.popens.append(nginx)
        proxy = f"https://127.0.0.1:{https_port}"
        trust = ssl.create_default_context(cafile=str(ca))
        _wait_for_https(proxy, trust, nginx, conf.parent / "error.log")

        # Plain HTTP to the hub's address: sent to HTTPS, never served.
        plain = httpx.get(f"http://127.0.0.1:{http_port}/connexion/", follow_redirects=False)
        assert plain.status_code in (301, 308), plain
        assert plain.headers["location"] == "https://127.0.0.1/connexion/"

        # A till enrolled through nginx, trusting the private CA only.
        shop.run(
            shop.hub_home, "article", "add", "--code", "A", "--name", "Article A", "--price", "2.50"
        )
        till = tmp_path / "till"
        enrolled = processes.run(
            [
                "node", "init", "--home", str(till), "--server", proxy,
                "--code", shop.enroll("Caisse 1"), "--ca-file", str(ca),
                "--admin-password", PASSWORD,
            ],
            env=child_env(),
            timeout=CLI_TIMEOUT,
        )  # fmt: skip
        assert enrolled.returncode == 0, enrolled.stdout + enrolled.stderr
        sold = shop.run(till, "sell", "A:2")
        number = next(w for w in sold.stdout.split() if w.startswith("C1-"))
        shop.sync(till)
        assert shop.invoice_numbers(shop.hub_home) == {number: 1}

        headers = {
            "X-Comptoir-Protocol": str(PROTOCOL_VERSION),
            "X-Comptoir-Schema": str(SCHEMA_VERSION),
            "Authorization": f"Bearer {shop.token(till)}",
            "Accept-Encoding": "gzip",
        }
        pull = f"{proxy}/api/sync/v1/pull"
        with httpx.Client(verify=trust, headers=headers, timeout=60) as http:
            cursor = _up_to_date(http, pull)
            # The stream refuses a bad token or cursor in French, through the proxy too.
            for params, extra, status in (
                ({"cursor": cursor}, {"Authorization": "Bearer nope"}, 401),
                ({"cursor": "x"}, {}, 400),
            ):
                refused = http.get(f"{proxy}/api/sync/v1/stream", params=params, headers=extra)
                assert refused.status_code == status, refused.text
                assert refused.json()["error"].startswith(("Poste non reconnu", "Paramètre"))

        # The live stream of till 1 through nginx: a sale on the store's other till, pushed
        # through nginx too, arrives on it within a second, not held in a buffer.
        watch = StreamWatch(proxy, trust, headers, cursor).start()
        assert watch.coding == "zstd"
        till2 = tmp_path / "till2"
        enrolled = processes.run(
            [
                "node", "init", "--home", str(till2), "--server", proxy,
                "--code", shop.enroll("Caisse 2"), "--ca-file", str(ca),
                "--admin-password", PASSWORD,
            ],
            env=child_env(),
            timeout=CLI_TIMEOUT,
        )  # fmt: skip
        assert enrolled.returncode == 0, enrolled.stdout + enrolled.stderr
        sold = shop.run(till2, "sell", "A:1")
        other = next(w for w in sold.stdout.split() if w.startswith("C2-"))
        started = time.monotonic()
        shop.sync(till2)
        pushed = time.monotonic()
        arrived = watch.arrival(other, 10)
        print(
            f"  vente de la caisse 2 sur le flux de la caisse 1 à travers nginx "
            f"{arrived - started:.2f} s après le début de « sync » ({pushed - started:.2f} s)"
        )
        assert arrived - pushed < WOKEN_WITHIN

        # A long poll through nginx (either server process) answers within a second of a
        # change made on the hub, instead of waiting out its 25 s; the stream brings it too.
        with httpx.Client(verify=trust, headers=headers, timeout=60) as http:
            page = {"cursor": _up_to_date(http, pull)}
            answered: dict[str, Any] = {}

            def long_poll() -> None:
                response = http.get(pull, params={"cursor": page["cursor"], "wait": 25})
                answered["at"] = time.monotonic()
                answered["changes"] = response.json()["changes"]

            waiter = threading.Thread(target=long_poll)
            waiter.start()
            time.sleep(1.0)
            assert waiter.is_alive()  # nothing new: it waits
            shop.run(shop.hub_home, "article", "set", "A", "--price", "3")
            changed = time.monotonic()
            waiter.join(30)
        assert not waiter.is_alive()
        assert answered["changes"], answered
        woken = answered["at"] - changed
        print(f"  long poll à travers nginx réveillé {woken:.2f} s après le changement")
        assert woken < WOKEN_WITHIN, woken
        streamed = watch.arrival('"sale_price":300', 10) - changed
        print(f"  flux à travers nginx : le changement reçu {streamed:.2f} s après")
        assert streamed < WOKEN_WITHIN, streamed

        # The nightly backup, then the operator's check through the public address.
        shop.run(shop.hub_home, "backup")
        checked = shop.run(
            shop.hub_home, "hub", "check", "--url", proxy, "--ca-file", str(ca), "--json",
            check=False,
        )  # fmt: skip
        findings = {f["check"]: f for f in json.loads(checked.stdout)}
        for name in ("trusted_proxies", "https_live", "database", "migrations", "clock"):
            assert findings[name]["ok"], findings[name]
        for name in ("backups", "pg_dump", "secure_cookies", "hsts", "debug"):
            assert findings[name]["ok"], findings[name]
        # Only loopback names are allowed in this test (COMPTOIR_ALLOWED_HOSTS unset).
        assert checked.returncode == 1
        assert not findings["allowed_hosts"]["ok"]

        # Nothing happened on the stream meanwhile: its heartbeat passes through nginx, on
        # time (nginx neither holds it nor cuts the idle connection).
        quiet_since = max(at for at, _event in watch.events)
        deadline = quiet_since + HEARTBEAT_SECONDS + 5
        while not [t for t in watch.heartbeats if t > quiet_since]:
            assert time.monotonic() < deadline, (watch.heartbeats, watch.error)
            time.sleep(0.1)
        beat = min(t for t in watch.heartbeats if t > quiet_since) - quiet_since
        print(f"  battement du flux à travers nginx {beat:.1f} s après le dernier événement")
        assert beat < HEARTBEAT_SECONDS + 2, beat
        assert watch.error is None, watch.error
        watch.close()
    finally:
        shop.cleanup()
