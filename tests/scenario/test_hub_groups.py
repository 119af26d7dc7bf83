"""One hub served by two groups of processes, as two machines would: two ``comptoir serve
--workers 2`` on two homes (the second holds a copy of the first's ``comptoir.toml`` and
``fiscal-key.pem``: one hub, one post identity) and one PostgreSQL, behind the real nginx
running ``deploy/nginx-balancer.conf`` (TLS, a private CA).

Three tills enrolled through the balancer (two of one store, one of another) sell; each
sale reaches the hub and the other till of its store, whichever group each till talks to.
Then one group is SIGKILLed with all its processes: every till whose stream it held is
back, through the other group, within 5 s, and sales and a hub change made after the kill
all arrive within 5 s of being made; at the end every invoice is on the hub and on its
store's tills exactly once, and ``verify`` is identical on each till.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import ssl
import subprocess
import time
import tomllib
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import tomli_w

from comptoir.devtools import processes
from comptoir.devtools.pgcluster import TempPostgres
from comptoir.fiscal.keys import KEY_FILE
from tests.deploy.recipe import CERT, DEPLOY, KEY, SERVER_NAME, private_ca, replaced
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
BACK_WITHIN = 5.0  # seconds: a till whose group died is served by the other one
OTHER_STORE = "Autre magasin"
NUMBER = re.compile(r"C\d+-\d{4}-\d+")
# The groups' addresses in deploy/nginx-balancer.conf, replaced by the test's.
GROUP_ADDRESSES = ("10.0.0.11:8000", "10.0.0.12:8000")


# -- the balancer ----------------------------------------------------------------------


def _render_balancer(
    directory: Path, *, http_port: int, https_port: int, groups: list[str], cert: Path, key: Path
) -> Path:
    """``deploy/nginx-balancer.conf`` on loopback ports in front of ``groups``, in a main
    configuration of the test's that logs, per request, when it ended, the group(s) that
    answered and the first characters of the till's token (which till)."""
    site = replaced(
        (DEPLOY / "nginx-balancer.conf").read_text(),
        {
            "    listen [::]:80;\n": "",
            "    listen [::]:443 ssl;\n": "",
            "listen 80;": f"listen 127.0.0.1:{http_port};",
            "listen 443 ssl;": f"listen 127.0.0.1:{https_port} ssl;",
            CERT: str(cert),
            KEY: str(key),
            SERVER_NAME: "127.0.0.1",
            GROUP_ADDRESSES[0]: groups[0],
            GROUP_ADDRESSES[1]: groups[1],
        },
    )
    (directory / "site.conf").write_text(site)
    conf = directory / "nginx.conf"
    conf.write_text(
        f"""
worker_processes 1;
daemon off;
pid {directory}/nginx.pid;
error_log {directory}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    map $http_authorization $till {{ "~^Bearer (?<start>.{{10}})" $start; default "-"; }}
    log_format groups '$msec|$till|$request_method|$uri|$status|$upstream_addr';
    access_log {directory}/access.log groups;
    client_body_temp_path {directory}/client_body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    include {directory}/site.conf;
}}
"""
    )
    return conf


def _requests(log: Path) -> list[dict[str, Any]]:
    """The access log: one entry per request, once it ended."""
    entries = []
    for line in log.read_text().splitlines():
        at, till, method, uri, status, upstream = line.split("|")
        entries.append(
            {
                "at": float(at),
                "till": till,
                "method": method,
                "path": uri.rsplit("/", 1)[-1],
                "status": int(status),
                "upstreams": [u.strip() for u in upstream.split(",")],
            }
        )
    return entries


def _wait_for_https(url: str, trust: ssl.SSLContext, nginx: subprocess.Popen[Any]) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while True:
        assert nginx.poll() is None, "nginx s'est arrêté"
        try:
            if httpx.get(f"{url}/admin/login/", verify=trust, timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"{url} ne répond pas"
        time.sleep(0.1)


# -- reading the databases directly (fast enough to time a few seconds) ------------------


def _till_numbers(home: Path, *, counted: bool = False) -> Any:
    """The invoice numbers on a till (a set; with ``counted``, each with its count)."""
    db = sqlite3.connect(f"file:{home / 'node.sqlite3'}?mode=ro", uri=True, timeout=5)
    try:
        numbers = [row[0] for row in db.execute("SELECT number FROM sales_invoice")]
    finally:
        db.close()
    return Counter(numbers) if counted else set(numbers)


def _till_price(home: Path) -> int:
    db = sqlite3.connect(f"file:{home / 'node.sqlite3'}?mode=ro", uri=True, timeout=5)
    try:
        return int(
            db.execute("SELECT sale_price FROM catalogue_article WHERE code = 'A'").fetchone()[0]
        )
    finally:
        db.close()


def _hub_numbers(url: str, *, counted: bool = False) -> Any:
    with psycopg.connect(url) as db:
        numbers = [row[0] for row in db.execute("SELECT number FROM sales_invoice")]
    return Counter(numbers) if counted else set(numbers)


def _wait_for(check: Callable[[], bool], timeout: float, what: str) -> float:
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what} : pas en {timeout} s")
        time.sleep(0.05)
    return time.monotonic() - started


# -- the scenario ------------------------------------------------------------------------


def test_two_hub_groups_behind_nginx_and_one_killed(pg: TempPostgres, tmp_path: Path) -> None:
    if not Path(NGINX).exists():
        pytest.skip("nginx est absent : lancez « make system-deps » (apt-get install nginx).")
    url = pg.create_database("hub_groups")
    shop = Shop(tmp_path, url)
    try:
        # One hub, two homes: the second is the first's configuration and signing key, on
        # another "machine" (its own logs, cache and backups).
        shop.init_hub()
        first = shop.hub_home
        config = first / "comptoir.toml"
        settings = tomllib.loads(config.read_text())
        config.write_text(tomli_w.dumps({**settings, "trusted_proxies": ["127.0.0.1"]}))
        assert (first / KEY_FILE).exists()
        second = tmp_path / "hub2"
        second.mkdir(mode=0o700)
        for name in ("comptoir.toml", KEY_FILE):
            shutil.copy2(first / name, second / name)
        groups = [
            Server(home, name=name, log_dir=shop.logs, extra=("--workers", "2"))
            for home, name in ((first, "groupe1"), (second, "groupe2"))
        ]
        shop.servers = list(groups)
        groups[0].start()  # group 2 comes later: see below

        ca, cert, key = private_ca(tmp_path)
        lb = tmp_path / "nginx"
        lb.mkdir()
        https_port = free_port()
        addresses = [f"127.0.0.1:{group.port}" for group in groups]
        conf = _render_balancer(
            lb,
            http_port=free_port(),
            https_port=https_port,
            groups=addresses,
            cert=cert,
            key=key,
        )
        nginx = subprocess.Popen(
            [NGINX, "-p", str(lb), "-c", str(conf), "-e", str(lb / "error.log")],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        shop.popens.append(nginx)
        balancer = f"https://127.0.0.1:{https_port}"
        _wait_for_https(balancer, ssl.create_default_context(cafile=str(ca)), nginx)

        shop.shell(
            first,
            "from django.db import transaction\n"
            "from comptoir.catalogue.services import article_create_block\n"
            "from comptoir.stock.services import stock_receive_block\n"
            "from comptoir.stores.services import store_get_or_create\n"
            "with transaction.atomic():\n"
            "    article_create_block(code='A', name='Article A', sale_price='2')\n"
            "    stock_receive_block(article='A', quantity=100)\n"
            f"store_get_or_create(name={OTHER_STORE!r})\n",
        )

        def add_till(name: str, key: str, store: str | None) -> Path:
            args = ["hub", "enroll", "--name", name, *(["--store", store] if store else [])]
            code = shop.run(first, *args).stdout.strip().splitlines()[-1].strip()
            home = tmp_path / key
            done = processes.run(
                [
                    "node", "init", "--home", str(home), "--server", balancer, "--code", code,
                    "--ca-file", str(ca), "--admin-password", PASSWORD,
                ],
                env=child_env(),
                timeout=CLI_TIMEOUT,
            )  # fmt: skip
            assert done.returncode == 0, done.stdout + done.stderr
            shop.tills[name] = home
            return home

        a1 = add_till("Caisse A1", "a1", None)
        a2 = add_till("Caisse A2", "a2", None)
        z = add_till("Caisse Z", "z", OTHER_STORE)
        tills = {"a1": a1, "a2": a2, "z": z}
        by_token = {shop.token(home)[:10]: name for name, home in tills.items()}
        # A1 and Z open their streams while group 1 is alone, so that the kill below cuts
        # at least two streams (where A2's goes is nginx's choice); A2 starts once group 2
        # is up and nginx's 5 s quarantine of a group that refused is over.
        for name in ("a1", "z"):
            # --interval 600: the safety-net full sync cannot be what delivers anything.
            shop.serve(tills[name], name, "--interval", "600")
        groups[1].start()
        time.sleep(6)
        shop.serve(a2, "a2", "--interval", "600")
        store_a = {a1, a2}

        def sell(count: int) -> dict[Path, list[str]]:
            """``count`` sales on each till, the tills side by side: their numbers."""
            homes = list(tills.values())
            running = [
                [processes.spawn(["sell", "A:1", "--home", str(home)]) for home in homes]
                for _ in range(count)
            ]
            made: dict[Path, list[str]] = {home: [] for home in homes}
            for procs in running:
                for home, proc in zip(homes, procs, strict=True):
                    out, err = proc.communicate(timeout=CLI_TIMEOUT)
                    assert proc.returncode == 0, out + err
                    made[home].append(next(w for w in out.split() if NUMBER.fullmatch(w)))
            return made

        def delivered(sales: dict[Path, list[str]]) -> Callable[[], bool]:
            """Every sale on the hub and on every till of its store."""

            def check() -> bool:
                if not {n for made in sales.values() for n in made} <= _hub_numbers(url):
                    return False
                for home in tills.values():
                    mates = store_a if home in store_a else {home}
                    wanted = {n for till, made in sales.items() if till in mates for n in made}
                    if not wanted <= _till_numbers(home):
                        return False
                return True

            return check

        # 1. Both groups up: sales on every till reach the hub and their store's tills.
        sales = sell(2)
        took = _wait_for(delivered(sales), 30, "ventes livrées (deux groupes)")
        print(f"  ventes livrées en {took:.2f} s, deux groupes")
        before = _requests(lb / "access.log")
        answered = {u for e in before if e["till"] != "-" for u in e["upstreams"]}
        assert answered == set(addresses), answered  # the tills were spread over both

        # 2. SIGKILL of group 1, with all its processes.
        killed, survivor = addresses
        killed_at = time.time()  # before: the streams end while kill() waits
        groups[0].kill()
        print("  groupe 1 tué (SIGKILL)")

        # Each till whose stream group 1 held is served again by group 2 within 5 s.
        def cut_streams() -> dict[str, float]:
            ended = {
                by_token[e["till"]]
                for e in _requests(lb / "access.log")
                if e["path"] == "stream" and e["at"] >= killed_at and killed in e["upstreams"]
            }
            back: dict[str, float] = {}
            for e in _requests(lb / "access.log"):
                name = by_token.get(e["till"])
                if (
                    name in ended
                    and name not in back
                    and e["at"] >= killed_at
                    and e["status"] == 200
                    and e["upstreams"][-1] == survivor
                ):
                    back[name] = e["at"] - killed_at
            return {name: back.get(name, -1.0) for name in ended}

        _wait_for(lambda: bool(cut_streams()), 5, "un flux coupé avec le groupe 1")
        _wait_for(
            lambda: all(t >= 0 for t in cut_streams().values()),
            BACK_WITHIN + 1,
            "caisses revenues par le groupe 2",
        )
        back = cut_streams()
        print(f"  flux coupés avec le groupe 1, revenus par le groupe 2 après : {back}")
        assert {"a1", "z"} <= set(back)
        assert all(0 <= t < BACK_WITHIN for t in back.values()), back

        # Sales on every till and a change on the hub, made after the kill: each arrives
        # everywhere it should within 5 s of being made, through group 2 only.
        after = sell(1)
        took = _wait_for(delivered(after), BACK_WITHIN, "ventes après la panne")
        print(f"  ventes faites après la panne livrées en {took:.2f} s")
        shop.run(first, "article", "set", "A", "--price", "3")
        took = _wait_for(
            lambda: all(_till_price(h) == 300 for h in tills.values()),
            BACK_WITHIN,
            "prix changé sur le hub reçu par chaque caisse",
        )
        print(f"  changement du hub reçu par chaque caisse en {took:.2f} s")

        # 3. More sales; then nothing lost, nothing doubled, verify identical.
        for home, numbers in sell(2).items():
            after[home] += numbers
        _wait_for(delivered(after), 30, "dernières ventes")
        everything = {home: sales[home] + after[home] for home in tills.values()}
        on_hub = _hub_numbers(url, counted=True)
        expected = Counter(n for numbers in everything.values() for n in numbers)
        assert set(expected.values()) == {1}
        assert on_hub == expected
        for name, home in tills.items():
            mates = store_a if home in store_a else {home}
            wanted = Counter(n for till in mates for n in everything[till])
            assert _till_numbers(home, counted=True) == wanted, name
            done = shop.verify(home)
            assert done.returncode == 0, done.stdout + done.stderr
        late = [e for e in _requests(lb / "access.log") if e["at"] > killed_at + BACK_WITHIN]
        assert all(e["upstreams"][-1] == survivor for e in late if e["till"] != "-"), late
    except AssertionError:
        log = tmp_path / "nginx" / "access.log"
        if log.exists():
            print("--- nginx\n" + "\n".join(log.read_text().splitlines()[-60:]))
        for server in shop.servers:
            print(f"--- {server.name}\n{server.log_tail(80)}")
        raise
    finally:
        shop.cleanup()
