"""Held connections: what one till's live stream costs the hub while nothing is sold.

For N tills (five per store), N streams are opened at once, as after a hub restart when
every till reconnects: how long until all are answered, the hub's memory per stream, and
then, for ``seconds`` with no sale, the CPU the hub and PostgreSQL spend keeping them
(heartbeats every 15 s, token checks every 5 s per store, each till's contact written
every 30 s). With the per-sale costs of ``capacity``, these are the inputs of the
README's model of a hub for 10,000 tills.

The streams are read with bare asyncio sockets, not httpx: a client per till would cost
the benchmark's own process more than the hub it measures.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bench import cpu
from bench.harness import World
from comptoir.syncengine.protocol import PREFIX, PROTOCOL_VERSION, SCHEMA_VERSION

TILLS_PER_STORE = 5

ENROLL = """
from comptoir.stores.services import store_get_or_create
from comptoir.syncengine import auth
from comptoir.syncengine.hub import log_head
tokens = []
for i in range({count}):
    store = store_get_or_create(name=f"Magasin connexions {{i // {per_store}}}")
    code = auth.enrollment_create(name=f"conn-{{i}}", store=store.name)
    token, till = auth.enrollment_redeem(code=code, node_id=f"conn-node-{{i}}")
    tokens.append(token)
out = {{"tokens": tokens, "head": log_head()}}
"""


@dataclass
class Held:
    """The streams of one step: when each was answered, and what they received."""

    answered: list[float] = field(default_factory=list)
    refused: int = 0
    received: int = 0  # bytes, every stream together
    writers: list[asyncio.StreamWriter] = field(default_factory=list)


async def _hold(host: str, port: int, token: str, head: int, held: Held) -> None:
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        held.refused += 1
        return
    held.writers.append(writer)
    writer.write(
        (
            f"GET {PREFIX}stream HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {token}\r\nX-Comptoir-Protocol: {PROTOCOL_VERSION}\r\n"
            f"X-Comptoir-Schema: {SCHEMA_VERSION}\r\nAccept: text/event-stream\r\n"
            f"Last-Event-ID: {head}\r\n\r\n"
        ).encode()
    )
    try:
        status = await reader.readline()
        if b" 200 " not in status:
            held.refused += 1
            return
        while (await reader.readline()) not in (b"\r\n", b""):
            pass
        held.answered.append(time.monotonic())
        while chunk := await reader.read(65536):
            held.received += len(chunk)
    except (OSError, asyncio.IncompleteReadError):
        held.refused += 1


def rss_mib(root: int) -> float:
    """Resident memory of ``root`` and its descendants (MiB)."""
    total = 0
    for pid in cpu.tree_pids(root):
        with contextlib.suppress(OSError), open(f"/proc/{pid}/status") as f:
            total += next((int(line.split()[1]) for line in f if line.startswith("VmRSS:")), 0)
    return total / 1024


async def _step(
    url: str, tokens: list[str], head: int, seconds: float, hub_pid: int, postgres: int
) -> tuple[Held, float, float, cpu.Reading, float, cpu.Reading]:
    """Opens the streams together, waits until each is answered, then measures: the
    hub's memory once all are held, and the CPU spent over ``seconds`` of holding them."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    held = Held()
    opening = cpu.read(hub_pid, postgres)
    started = time.monotonic()
    tasks = [asyncio.create_task(_hold(host, port, t, head, held)) for t in tokens]
    deadline = started + 60
    while len(held.answered) + held.refused < len(tokens) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    connect_s = (max(held.answered) - started) if held.answered else float("nan")
    # Each stream, once answered, is brought up to its store's feed (a page read for it
    # alone, its contact noted): wait until the hub is quiet again before measuring.
    settled = await _quiet(hub_pid, postgres, deadline=time.monotonic() + 120)
    opened = cpu.spent(opening, cpu.read(hub_pid, postgres))
    rss = rss_mib(hub_pid)
    before = cpu.read(hub_pid, postgres)
    await asyncio.sleep(seconds)
    used = cpu.spent(before, cpu.read(hub_pid, postgres))
    for writer in held.writers:
        writer.close()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return held, connect_s, settled - started, opened, rss, used


async def _quiet(hub_pid: int, postgres: int, *, deadline: float) -> float:
    """When the hub and PostgreSQL together used less than a tenth of a core over a
    second (or ``deadline``)."""
    while time.monotonic() < deadline:
        before = cpu.read(hub_pid, postgres)
        await asyncio.sleep(1.0)
        used = cpu.spent(before, cpu.read(hub_pid, postgres))
        if used.hub + used.postgres < 0.1:
            break
    return time.monotonic()


def run(world: World, steps: list[int], seconds: float, results: Any) -> None:
    """Per step of N held streams: the time for all to be answered, the hub's memory per
    stream, and the idle CPU per stream (hub and PostgreSQL)."""
    assert world.hub.proc is not None
    hub_pid = world.hub.proc.pid
    made = world.shell(
        world.hub_home, ENROLL.format(count=max(steps), per_store=TILLS_PER_STORE), timeout=900
    )
    tokens, head = made["tokens"], made["head"]
    postgres = cpu.postmaster(world.pg.datadir)
    for n in steps:
        rss_before = rss_mib(hub_pid)
        held, connect_s, settle_s, opening, rss, used = asyncio.run(
            _step(world.hub.url, tokens[:n], head, seconds, hub_pid, postgres)
        )
        waited = seconds
        opened = len(held.answered)
        results.add(
            "connections",
            f"N={n}: streams answered",
            opened,
            "streams",
            f"all within {connect_s:.2f} s of opening together; {held.refused} refused or cut",
        )
        results.add(
            "connections",
            f"N={n}: CPU per stream opened",
            1000 * (opening.hub + opening.postgres) / max(opened, 1),
            "ms",
            f"hub {1000 * opening.hub / max(opened, 1):.1f} + PostgreSQL"
            f" {1000 * opening.postgres / max(opened, 1):.1f} ms (answered, brought up to its"
            f" store's feed, contact noted); the hub quiet again {settle_s:.1f} s after the"
            " first opened",
        )
        per_stream_kib = 1024 * (rss - rss_before) / max(opened, 1)
        results.add(
            "connections",
            f"N={n}: hub memory per stream",
            per_stream_kib,
            "KiB",
            f"hub RSS {rss_before:.0f} → {rss:.0f} MiB",
        )
        hub_us = 1e6 * used.hub / waited / max(opened, 1)
        pg_us = 1e6 * used.postgres / waited / max(opened, 1)
        results.add(
            "connections",
            f"N={n}: idle CPU per stream",
            hub_us + pg_us,
            "µs/s",
            f"hub {hub_us:.1f} + PostgreSQL {pg_us:.1f} µs per second per stream,"
            f" over {waited:g} s; {held.received / max(opened, 1) / waited:.0f} B/s received each",
        )
        results.raw.setdefault("connections", []).append(
            {
                "streams": n,
                "answered": opened,
                "refused": held.refused,
                "connect_seconds": connect_s,
                "settle_seconds": settle_s,
                "opening_cpu_ms_per_stream": 1000
                * (opening.hub + opening.postgres)
                / max(opened, 1),
                "hub_rss_mib_before": rss_before,
                "hub_rss_mib": rss,
                "hub_kib_per_stream": per_stream_kib,
                "hub_cpu_us_per_stream_second": hub_us,
                "postgres_cpu_us_per_stream_second": pg_us,
            }
        )
