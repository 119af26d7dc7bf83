"""Where the hub's CPU goes per sale: the push of one invoice, and a store feed's read
and send of it, profiled one request at a time on the hub's own database.

Run inside a configured Django process on a hub home (``comptoir shell``), as
``python -m bench --only profile`` does: :func:`run` enrolls a store of five tills,
pushes ``history`` invoices first (a store with a past: a cost that scans grows with
it), then ``pushes`` more, each through the push view (decompression, decoding,
credential, apply, reply; the sync API's middleware aside), counting the queries of
each and profiling them all with cProfile. Then the store feed's read of each sale
(``stream.store_batch``) and its frames for the other tills. Nothing asserts a timing.
"""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.test import RequestFactory

TOP = 35
TILLS = 5  # in the store: the seller and the four that receive its sales


class Queries:
    """The SQL statements run while it is installed (``connection.execute_wrapper``),
    with the time spent in each, normalised (literals and placeholders out)."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, float]] = []

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.statements.append((sql, time.perf_counter() - started))

    @contextmanager
    def counting(self) -> Iterator[Queries]:
        with connection.execute_wrapper(self):
            yield self

    def shapes(self) -> Counter[str]:
        return Counter(_shape(sql) for sql, _t in self.statements)


def _shape(sql: str) -> str:
    sql = re.sub(r"'[^']*'", "?", sql)
    sql = re.sub(r"%s(, %s)*", "?", sql)
    sql = re.sub(r"\(\?(, \?)*\)", "(?)", sql)
    return re.sub(r"\s+", " ", sql)[:160]


def _stats(profile: cProfile.Profile, key: str, *, ours: bool = False) -> str:
    """The top entries; ``ours``: comptoir's own functions only (where to act)."""
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out).sort_stats(key)
    if ours:
        stats.print_stats(r"/comptoir/", TOP)
    else:
        stats.strip_dirs().print_stats(TOP)
    return out.getvalue()


def _store(count: int) -> dict[str, Any]:
    """A store of five tills enrolled on this hub, and ``count`` sales of five lines made
    on the first (in a transaction rolled back: the hub holds none of them before they
    are pushed), in their travelling form. The seller enrolls with this process's key,
    which signs the sales: its records are checked on arrival as a real till's are."""
    from django.db import connection

    from comptoir.catalogue.models import Article
    from comptoir.journal.postkey import post_public_text
    from comptoir.sales.services import SaleLine, invoice_sell
    from comptoir.stores.models import Till
    from comptoir.stores.services import store_get_or_create
    from comptoir.sync import wire
    from comptoir.syncengine import auth

    store = store_get_or_create(name="Magasin profil")
    tills = []
    for i in range(TILLS):
        code = auth.enrollment_create(name=f"profil-{i}", store=store.name)
        key = post_public_text()[0] if i == 0 else ""
        token, till = auth.enrollment_redeem(code=code, node_id=f"profil-node-{i}", public_key=key)
        tills.append({"token": token, "till": str(till.pk), "store": str(till.store_id)})
    seller = Till.objects.get(pk=tills[0]["till"])
    codes = list(Article.objects.order_by("code").values_list("code", flat=True))[:5]
    connection.set_autocommit(False)
    try:
        invoices = [
            invoice_sell(lines=[SaleLine(c, 1) for c in codes], cashier="profil", till=seller).pk
            for _ in range(count)
        ]
        sales = wire.fact_aggregates("sales.invoice", invoices)
    finally:
        connection.rollback()
        connection.set_autocommit(True)
    return {"tills": tills, "sales": [sales[pk] for pk in invoices]}


def run(*, history: int = 200, pushes: int = 200, feed_pushes: int = 50) -> dict[str, Any]:
    from bench.capacity import _headers
    from comptoir.lib.ids import new_id
    from comptoir.syncengine import compression, stream, views
    from comptoir.syncengine.hub import log_head
    from comptoir.syncengine.protocol import PREFIX

    made = _store(history + 2 * pushes + feed_pushes)
    sales = iter(made["sales"])
    seller = made["tills"][0]
    factory = RequestFactory()
    headers: dict[str, Any] = {
        f"HTTP_{name.upper().replace('-', '_')}": value
        for name, value in _headers(seller["token"]).items()
    }

    def push_one() -> None:
        data = next(sales)
        change = {
            "id": str(new_id()),
            "model": "sales.invoice",
            "row": str(data["rows"]["sales.invoice"][0]["id"]),
            "kind": "fact",
            "data": data,
        }
        body = compression.compress(json.dumps({"changes": [change]}, default=str).encode())
        request = factory.post(
            PREFIX + "push",
            data=body,
            content_type="application/json",
            HTTP_CONTENT_ENCODING="zstd",
            **headers,
        )
        answer = views.push(request)
        status = json.loads(answer.content)["results"][0]["status"]
        if status != "applied":
            raise RuntimeError(answer.content.decode())

    for _ in range(history):
        push_one()
    # Unprofiled first: the profiler's own cost is not the push's.
    started, cpu_started = time.perf_counter(), time.process_time()
    for _ in range(pushes):
        push_one()
    clean_wall = (time.perf_counter() - started) / pushes
    clean_cpu = (time.process_time() - cpu_started) / pushes
    queries = Queries()
    profile = cProfile.Profile(time.process_time)  # CPU, not waits on PostgreSQL
    per_push: list[int] = []
    started = time.perf_counter()
    cpu_started = time.process_time()
    for _ in range(pushes):
        before = len(queries.statements)
        with queries.counting():
            profile.enable()
            push_one()
            profile.disable()
        per_push.append(len(queries.statements) - before)
    wall = (time.perf_counter() - started) / pushes
    cpu = (time.process_time() - cpu_started) / pushes
    sql_seconds = sum(t for _sql, t in queries.statements) / pushes
    one_push = Counter(_shape(sql) for sql, _t in queries.statements[-per_push[-1] :])

    # The feed: one read per sale, the frames for the four other tills.
    feed = cProfile.Profile(time.process_time)
    feed_queries = Queries()
    store = seller["store"]
    others = made["tills"][1:]
    position = log_head(store)
    feed_started = time.process_time()
    for _ in range(feed_pushes):
        push_one()
        with feed_queries.counting():
            feed.enable()
            batch = stream.store_batch(store, position)
            for other in others:
                subscriber = stream.Subscriber(
                    node=f"profil-node-{made['tills'].index(other)}",
                    token_hash="",
                    store=store,
                    cursor=position,
                    packed=True,
                )
                content = tuple(
                    ((model, row), seq)
                    for seq, model, row, origin in batch.entries
                    if origin != subscriber.node
                )
                stream.frames(
                    stream.Page(changes=stream._changes(batch, content), cursor=batch.end),
                    packed=True,
                )
            feed.disable()
        position = batch.end
    feed_cpu = (time.process_time() - feed_started) / feed_pushes

    from comptoir.journal.models import ChainCheck

    check = ChainCheck.objects.filter(till_id=seller["till"], chain="doc").first()
    report = [
        f"the seller's chain on the hub: {check.status if check else 'never checked'}"
        f" ({check.count if check else 0} records checked at the last push)",
        f"push of one invoice, after {history} in the store: {pushes} pushes",
        f"  unprofiled: wall {1000 * clean_wall:.2f} ms, process CPU {1000 * clean_cpu:.2f} ms",
        f"  profiled: wall {1000 * wall:.2f} ms, process CPU {1000 * cpu:.2f} ms,"
        f" SQL wall {1000 * sql_seconds:.2f} ms",
        f"  queries per push: min {min(per_push)}, max {max(per_push)}",
        "  queries of the last push:",
        *(f"    {n:3d} x {shape}" for shape, n in one_push.most_common()),
        "",
        "push, by cumulative time:",
        _stats(profile, "cumulative"),
        "push, comptoir's functions by cumulative time:",
        _stats(profile, "cumulative", ours=True),
        "push, by own time:",
        _stats(profile, "tottime"),
        f"feed: read of one sale and frames for {len(others)} tills, {feed_pushes} times:"
        f" {1000 * feed_cpu:.2f} ms CPU each (with a push), queries"
        f" {len(feed_queries.statements) / feed_pushes:.1f} each",
        _stats(feed, "cumulative"),
    ]
    return {
        "text": "\n".join(report),
        "push_queries": max(per_push),
        "push_ms": 1000 * clean_wall,
        "push_cpu_ms": 1000 * clean_cpu,
        "push_sql_ms": 1000 * sql_seconds,
    }
