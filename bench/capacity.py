"""Hub capacity: K simulated tills, each selling one invoice every 2 s and long-polling,
from one process (asyncio, one httpx client per till). The largest K whose push p99
stays under 500 ms, and the hub's CPU time per invoice (its process, from /proc).

The tills are enrolled on the hub directly (``comptoir shell``), five per store so that a
sale wakes a few pollers, not all of them; their invoices are copies of one real sale
with fresh ids and numbers in each till's own series (what the hub authorises).
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg

from bench import cpu
from bench.harness import World
from comptoir.lib.ids import new_id
from comptoir.syncengine import compression
from comptoir.syncengine.protocol import PREFIX, PROTOCOL_VERSION, SCHEMA_VERSION

PERIOD = 2.0  # seconds between two sales of one till
TILLS_PER_STORE = 5

ENROLL = """
from django.db import transaction
from comptoir.stores.services import store_get_or_create
from comptoir.syncengine import auth
from comptoir.sync import wire
from comptoir.sales.services import SaleLine, invoice_sell
from comptoir.catalogue.models import Article
codes = list(Article.objects.order_by("code").values_list("code", flat=True))[:5]
tills = []
for i in range({count}):
    store = store_get_or_create(name=f"Magasin capacité {{i // {per_store}}}")
    code = auth.enrollment_create(name=f"cap-{{i}}", store=store.name)
    token, till = auth.enrollment_redeem(code=code, node_id=f"cap-node-{{i}}")
    tills.append({{"token": token, "till": str(till.pk), "store": str(till.store_id),
                  "prefix": till.prefix}})
sid = transaction.savepoint()
invoice = invoice_sell(lines=[SaleLine(c, 1) for c in codes], cashier="capacité")
template = wire.states([("sales.invoice", invoice.pk)])[("sales.invoice", invoice.pk)][1]
transaction.savepoint_rollback(sid)
from comptoir.syncengine.hub import log_head
out = {{"tills": tills, "template": template, "head": log_head()}}
"""


@dataclass
class Till:
    token: str
    till: str
    store: str
    prefix: str
    sold: int = 0


def _sale(till: Till, template: dict[str, Any]) -> dict[str, Any]:
    """A copy of the template sale as this till's next invoice: a new id, its series.

    The template is in its travelling form: its parts carry no id, invoice nor store
    of their own (the hub derives them from the root, as from a real till's sale).
    """
    till.sold += 1
    rows = json.loads(json.dumps(template["rows"]))
    root = rows["sales.invoice"][0]
    root_id = str(new_id())
    root.update(
        id=root_id,
        till_id=till.till,
        store_id=till.store,
        sequence=till.sold,
        number=f"{till.prefix}-{root['year']}-{till.sold:06d}",
    )
    return {
        "id": str(uuid.uuid4()),
        "model": "sales.invoice",
        "row": root_id,
        "kind": "fact",
        "data": {"rows": rows},
    }


def _headers(token: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "X-Comptoir-Protocol": str(PROTOCOL_VERSION),
        "X-Comptoir-Schema": str(SCHEMA_VERSION),
        "Accept-Encoding": "zstd, gzip",
    }


async def _one_till(
    url: str, till: Till, made: dict[str, Any], until: float, latencies: list[float]
) -> int:
    template = made["template"]
    errors = 0
    limits = httpx.Limits(max_connections=2, max_keepalive_connections=2)
    async with httpx.AsyncClient(
        base_url=url + PREFIX, headers=_headers(till.token), timeout=60, limits=limits
    ) as client:

        async def poll() -> None:
            cursor = made["head"]  # a till that is up to date
            while time.monotonic() < until:
                try:
                    answer = await client.get(
                        "pull", params={"cursor": cursor, "limit": 100, "wait": 5}
                    )
                    cursor = int(answer.json().get("cursor", cursor))
                except (httpx.HTTPError, ValueError):
                    await asyncio.sleep(0.5)

        poller = asyncio.create_task(poll())
        await asyncio.sleep(random.uniform(0, PERIOD))
        next_sale = time.monotonic()
        while next_sale < until:
            body = compression.compress(json.dumps({"changes": [_sale(till, template)]}).encode())
            started = time.monotonic()
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
            except (httpx.HTTPError, ValueError, KeyError, IndexError):
                ok = False
            if ok:
                latencies.append((time.monotonic() - started) * 1000)
            else:
                errors += 1
            next_sale += PERIOD
            await asyncio.sleep(max(0.0, next_sale - time.monotonic()))
        poller.cancel()
    return errors


async def _load(url: str, tills: list[Till], made: dict[str, Any], seconds: float) -> Any:
    until = time.monotonic() + seconds
    latencies: list[float] = []
    errors = await asyncio.gather(*(_one_till(url, t, made, until, latencies) for t in tills))
    return latencies, sum(errors)


def run(world: World, steps: list[int], seconds: float, results: Any) -> None:
    """Steps of K tills, each for ``seconds``; stops after the first step over 500 ms."""
    made = world.shell(world.hub_home, ENROLL.format(count=max(steps), per_store=TILLS_PER_STORE))
    tills = [Till(**t) for t in made["tills"]]
    assert world.hub.proc is not None
    best = 0
    for k in steps:
        used = cpu.tree_seconds(world.hub.proc.pid)
        latencies, errors = asyncio.run(_load(world.hub.url, tills[:k], made, seconds))
        used = cpu.tree_seconds(world.hub.proc.pid) - used
        if not latencies:
            results.add("capacity", f"K={k}", None, "ms", f"no push answered ({errors} errors)")
            break
        p99 = sorted(latencies)[max(0, round(0.99 * len(latencies)) - 1)]
        note = (
            f"{len(latencies)} pushes in {seconds:g} s, p50 {statistics.median(latencies):.0f} ms,"
            f" {errors} errors; hub CPU {1000 * used / len(latencies):.1f} ms/invoice"
        )
        results.add("capacity", f"K={k} push p99", p99, "ms", note)
        if p99 >= 500 or errors:
            break
        best = k
    results.add("capacity", "largest K with push p99 < 500 ms", best, "tills", "target 500")
    _request_costs(world, tills[0], tills[1:3], made, results)


def _request_costs(world: World, seller: Till, others: list[Till], made: Any, results: Any) -> None:
    """Hub CPU per request, one request at a time: what bounds K."""
    assert world.hub.proc is not None
    pid, n = world.hub.proc.pid, 200
    url = world.hub.url + PREFIX
    packed = {"Content-Type": "application/json", "Content-Encoding": "zstd"}
    with httpx.Client(base_url=url, headers=_headers(seller.token)) as client:
        with psycopg.connect(world.database_url, autocommit=True) as conn:
            row = conn.execute("SELECT coalesce(max(seq), 0) FROM sync_changelog").fetchone()
        head = int(row[0]) if row else 0

        def empty_pull() -> None:
            client.get("pull", params={"cursor": head, "limit": 100}).raise_for_status()

        def push_one() -> None:
            body = compression.compress(
                json.dumps({"changes": [_sale(seller, made["template"])]}).encode()
            )
            answer = client.post("push", content=body, headers=packed)
            if answer.json()["results"][0]["status"] != "applied":
                raise RuntimeError(answer.text)

        _cost(pid, n, empty_pull, "empty pull", results)
        _cost(pid, n, push_one, "push of 1 invoice", results)
    # Two other tills of the store read the same sales: the first from the database, the
    # second from the hub's memory (what the other tills of a store do after a sale).
    for other, name in zip(others, ("first reader", "next reader"), strict=True):
        with httpx.Client(base_url=url, headers=_headers(other.token)) as client:
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
