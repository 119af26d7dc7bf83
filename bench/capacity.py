"""Hub capacity: K simulated tills, each selling one invoice every 2 s and following its
store's changes, from one process (asyncio, one httpx client per till): once with long
polls (``GET pull?wait=5``), once with the live stream (``GET stream``, one held
connection per till), in the same run. Per mode and K: the push p99, how long after its
sale an invoice is seen on the other tills of its store (p99), and the CPU time per sale
of the hub's processes and of PostgreSQL (from /proc); the largest K whose push p99
stays under 500 ms and whose sale-to-other-till p99 stays under 1 s.

The tills (:mod:`bench.simtills`) are enrolled on the hub directly, five per store so
that a sale wakes a few pollers, not all of them, each with a signing key; before each
step their next sales are made by the hub's own services as each till and signed, so the
hub checks every pushed sale on arrival as it checks a real till's.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import random
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg

from bench import cpu, logsize
from bench.groups import TwoGroups
from bench.harness import World
from bench.simtills import ENROLL, Till, headers, made_sales, sale_change
from comptoir.syncengine import compression, sse
from comptoir.syncengine.protocol import PREFIX

PERIOD = 2.0  # seconds between two sales of one till
TILLS_PER_STORE = 5

MODES = ("poll", "stream")
PUSH_TARGET_MS = 500
SEEN_TARGET_MS = 1000


@dataclass
class Load:
    """What one step measured: push latencies, and how long after its sale each invoice
    was seen by each of the other tills of its store."""

    pushes: list[float] = field(default_factory=list)
    seen: list[float] = field(default_factory=list)
    sold: dict[str, float] = field(default_factory=dict)  # invoice id -> when it was sold
    errors: int = 0
    failures: list[str] = field(default_factory=list)  # the first errors, as answered
    expected: int = 0  # deliveries owed: each sale, to the other tills of its store

    def received(self, page: dict[str, Any], now: float) -> None:
        for change in page.get("changes", ()):
            if change.get("model") == "sales.invoice":
                sold = self.sold.get(change.get("row"))
                if sold is not None:
                    self.seen.append((now - sold) * 1000)


async def _poll(client: httpx.AsyncClient, load: Load, cursor: int, until: float) -> None:
    """The long poll (the fallback): a pull that waits up to 5 s for a change."""
    while time.monotonic() < until:
        try:
            answer = await client.get("pull", params={"cursor": cursor, "limit": 100, "wait": 5})
            page = answer.json()
            load.received(page, time.monotonic())
            cursor = int(page.get("cursor", cursor))
        except (httpx.HTTPError, ValueError):
            await asyncio.sleep(0.5)


async def _stream(client: httpx.AsyncClient, load: Load, cursor: int, until: float) -> None:
    """The live stream, read as a till reads it (zstd frames, events); reconnects from its
    last event after a cut."""
    while time.monotonic() < until:
        headers = {"Accept": "text/event-stream", "Last-Event-ID": str(cursor)}
        try:
            async with client.stream("GET", "stream", headers=headers) as response:
                if response.status_code != 200:
                    raise httpx.HTTPStatusError(
                        "stream", request=response.request, response=response
                    )
                packed = response.headers.get("content-encoding", "") == "zstd"
                frames, parser = sse.FrameDecoder(), sse.EventParser()
                async for chunk in response.aiter_raw():
                    for event in parser.feed(frames.feed(chunk) if packed else chunk):
                        page = json.loads(event.data)
                        load.received(page, time.monotonic())
                        cursor = int(page["cursor"])
        except (httpx.HTTPError, ValueError, KeyError):
            await asyncio.sleep(0.5)


async def _one_till(
    url: str, till: Till, made: dict[str, Any], until: float, load: Load, mode: str
) -> None:
    limits = httpx.Limits(max_connections=2, max_keepalive_connections=2)
    async with httpx.AsyncClient(
        base_url=url + PREFIX, headers=headers(till.token), timeout=60, limits=limits
    ) as client:
        follow = _stream if mode == "stream" else _poll
        # (a till that is up to date; the stream or poll runs a little past the last sale,
        # so that the last sales can arrive)
        follower = asyncio.create_task(follow(client, load, made["head"], until + 2.0))
        await asyncio.sleep(random.uniform(0, PERIOD))
        next_sale = time.monotonic()
        while till.sales:  # all of them: its counters have moved on past them
            change = sale_change(till)
            body = compression.compress(json.dumps({"changes": [change]}).encode())
            started = time.monotonic()
            load.sold[change["row"]] = started
            try:
                answer = await client.post(
                    "push",
                    content=body,
                    headers={"Content-Type": "application/json", "Content-Encoding": "zstd"},
                )
                ok = answer.status_code == 200 and answer.json()["results"][0]["status"] in (
                    "applied",
                    "duplicate",
                )
                if not ok and len(load.failures) < 5:
                    load.failures.append(f"{answer.status_code} {answer.text[:300]}")
            except (httpx.HTTPError, ValueError, KeyError, IndexError) as exc:
                ok = False
                if len(load.failures) < 5:
                    load.failures.append(repr(exc)[:300])
            if ok:
                load.pushes.append((time.monotonic() - started) * 1000)
                load.expected += TILLS_PER_STORE - 1
            else:
                load.errors += 1
            next_sale += PERIOD
            await asyncio.sleep(max(0.0, next_sale - time.monotonic()))
        await asyncio.sleep(max(0.0, until + 2.0 - time.monotonic()))
        follower.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await follower


async def _load(
    url: str, tills: list[Till], made: dict[str, Any], seconds: float, mode: str
) -> Load:
    # Each till sells the sales made for it, one every PERIOD from a random start.
    until = time.monotonic() + PERIOD * (max(len(t.sales) for t in tills) + 1)
    load = Load()
    await asyncio.gather(*(_one_till(url, t, made, until, load, mode) for t in tills))
    return load


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(q * len(ordered)) - 1)]


def run(
    world: World,
    steps: list[int],
    seconds: float,
    results: Any,
    *,
    quick: bool = False,
    groups: tuple[int, ...] = (1,),
    workers: int = 1,
) -> None:
    """Steps of K tills, each for ``seconds``, once with long polls and once with streams
    (the same run, the same hub); with 2 in ``groups``, then with streams through a load
    balancer in front of two hub groups (:mod:`bench.groups`, ``workers`` processes
    each). A mode stops after its first step whose push p99 reaches 500 ms or whose
    sale-to-other-till p99 reaches 1 s. ``quick``: printing only, without the
    per-request costs."""
    made = world.shell(world.hub_home, ENROLL.format(count=max(steps), per_store=TILLS_PER_STORE))
    log_start = logsize.measure(world)
    tills = [Till(**t) for t in made["tills"]]
    assert world.hub.proc is not None
    postgres = cpu.postmaster(world.pg.datadir)
    modes = [(m, 1) for m in MODES if 1 in groups] + [("stream", 2)] * (2 in groups)
    for mode, count in modes:
        if count == 1:
            _steps(
                world,
                world.hub.url,
                [world.hub.proc.pid],
                postgres,
                tills,
                made,
                steps,
                seconds,
                mode,
                mode,
                results,
            )
        else:
            two = TwoGroups(world, workers=workers).start()
            try:
                _steps(
                    world,
                    two.url,
                    two.pids(),
                    postgres,
                    tills,
                    made,
                    steps,
                    seconds,
                    mode,
                    f"{mode}, 2 groups",
                    results,
                    balancer=two.nginx_pid(),
                )
            finally:
                two.stop()
    if not quick:
        _request_costs(world, tills[0], tills[1:3], made, results)
    with psycopg.connect(world.database_url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM sync_integrityalert").fetchone()
    results.add(
        "capacity",
        "integrity alerts on the hub",
        int(row[0]) if row else None,
        "",
        "the simulated tills' signed sales, checked on arrival: 0 when every one was whole",
    )
    logsize.report(world, log_start, results)


def _steps(
    world: World,
    url: str,
    hub_pids: list[int],
    postgres: int,
    tills: list[Till],
    made: dict[str, Any],
    steps: list[int],
    seconds: float,
    mode: str,
    label: str,
    results: Any,
    *,
    balancer: int | None = None,
) -> None:
    """The steps of one mode (``label`` in the results), up to the first that fails."""
    best = 0
    for k in steps:
        with psycopg.connect(world.database_url, autocommit=True) as conn:
            row = conn.execute("SELECT coalesce(max(seq), 0) FROM sync_changelog").fetchone()
            made["head"] = int(row[0]) if row else 0  # every till starts up to date
        made_sales(world, tills[:k], max(1, math.ceil(seconds / PERIOD)))
        with psycopg.connect(world.database_url, autocommit=True) as conn:
            wal_before = _wal(conn)  # (after the sales made and rolled back)
        before = cpu.read(hub_pids, postgres)
        proxy_before = cpu.tree_seconds(balancer) if balancer else 0.0
        load = asyncio.run(_load(url, tills[:k], made, seconds, mode))
        used = cpu.spent(before, cpu.read(hub_pids, postgres))
        proxy = (cpu.tree_seconds(balancer) - proxy_before) if balancer else 0.0
        with psycopg.connect(world.database_url, autocommit=True) as conn:
            wal = _wal(conn) - wal_before
        if not load.pushes:
            results.add(
                "capacity",
                f"K={k} {label}",
                None,
                "ms",
                f"no push answered ({load.errors} errors)",
            )
            break
        for failure in load.failures:
            print(f"  push refusée ou perdue ({label}, K={k}) : {failure}", flush=True)
        n = len(load.pushes)
        push_p99 = _p(load.pushes, 0.99)
        hub_ms, pg_ms = 1000 * used.hub / n, 1000 * used.postgres / n
        results.add(
            "capacity",
            f"K={k} {label}: push p99",
            push_p99,
            "ms",
            f"{n} pushes in {seconds:g} s, p50 {statistics.median(load.pushes):.0f} ms,"
            f" {load.errors} errors",
        )
        seen_p99 = _p(load.seen, 0.99) if load.seen else None
        seen_p50 = f"p50 {statistics.median(load.seen):.0f} ms, " if load.seen else ""
        results.add(
            "capacity",
            f"K={k} {label}: sale on other tills p99",
            seen_p99,
            "ms",
            f"{seen_p50}{len(load.seen)} of {load.expected} deliveries seen",
        )
        results.add(
            "capacity",
            f"K={k} {label}: CPU per sale",
            hub_ms + pg_ms,
            "ms",
            f"hub {hub_ms:.1f} ms + PostgreSQL {pg_ms:.1f} ms"
            + (f" (balancer {1000 * proxy / n:.1f} ms apart)" if balancer else ""),
        )
        results.add(
            "capacity",
            f"K={k} {label}: WAL per sale",
            wal / n / 1024,
            "KiB",
            "PostgreSQL's write-ahead log, everything the hub wrote (sales, log, contacts)",
        )
        results.raw.setdefault("capacity", []).append(
            {
                "tills": k,
                "mode": label,
                "balancer_cpu_ms_per_sale": 1000 * proxy / n if balancer else None,
                "pushes": n,
                "errors": load.errors,
                "push_p99_ms": push_p99,
                "seen_p99_ms": seen_p99,
                "seen": len(load.seen),
                "expected": load.expected,
                "hub_cpu_ms_per_sale": hub_ms,
                "postgres_cpu_ms_per_sale": pg_ms,
                "wal_bytes_per_sale": wal / n,
            }
        )
        held = (
            push_p99 < PUSH_TARGET_MS
            and not load.errors
            and seen_p99 is not None
            and seen_p99 < SEEN_TARGET_MS
        )
        if not held:
            break
        best = k
    results.add(
        "capacity",
        f"largest K ({label})",
        best,
        "tills",
        "push p99 < 500 ms and sale on other tills p99 < 1 s; target 500",
    )


def _wal(conn: psycopg.Connection[Any]) -> int:
    """Where PostgreSQL's write-ahead log is, in bytes."""
    row = conn.execute("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn").fetchone()
    return int(row[0]) if row else 0


def _request_costs(world: World, seller: Till, others: list[Till], made: Any, results: Any) -> None:
    """Hub CPU per request, one request at a time: what bounds K."""
    assert world.hub.proc is not None
    pid, n = world.hub.proc.pid, 200
    url = world.hub.url + PREFIX
    packed = {"Content-Type": "application/json", "Content-Encoding": "zstd"}
    made_sales(world, [seller], n)
    with httpx.Client(base_url=url, headers=headers(seller.token)) as client:
        with psycopg.connect(world.database_url, autocommit=True) as conn:
            row = conn.execute("SELECT coalesce(max(seq), 0) FROM sync_changelog").fetchone()
        head = int(row[0]) if row else 0

        def empty_pull() -> None:
            client.get("pull", params={"cursor": head, "limit": 100}).raise_for_status()

        def push_one() -> None:
            body = compression.compress(json.dumps({"changes": [sale_change(seller)]}).encode())
            answer = client.post("push", content=body, headers=packed)
            if answer.json()["results"][0]["status"] != "applied":
                raise RuntimeError(answer.text)

        _cost(pid, n, empty_pull, "empty pull", results)
        _cost(pid, n, push_one, "push of 1 invoice", results)
    # Two other tills of the store read the same sales: the first from the database, the
    # second from the hub's memory (what the other tills of a store do after a sale).
    for other, name in zip(others, ("first reader", "next reader"), strict=True):
        with httpx.Client(base_url=url, headers=headers(other.token)) as client:
            cursor = head

            def pull_one() -> None:
                nonlocal cursor
                page = client.get("pull", params={"cursor": cursor, "limit": 1}).json()
                if len(page["changes"]) != 1:
                    raise RuntimeError(f"expected one sale, got {len(page['changes'])}")
                cursor = int(page["cursor"])

            _cost(pid, n, pull_one, f"pull of 1 invoice ({name})", results)


def _cost(pid: int, n: int, request: Any, name: str, results: Any) -> None:
    used, started = cpu.tree_seconds(pid), time.perf_counter()
    for _ in range(n):
        request()
    used, wall = cpu.tree_seconds(pid) - used, time.perf_counter() - started
    note = f"{n} in a row; wall {1000 * wall / n:.1f} ms each"
    results.add("capacity", f"hub CPU per {name}", 1000 * used / n, "ms", note)
