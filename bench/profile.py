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
import os
import pstats
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, connections
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


class _Commits:
    """The wall time of the database's COMMITs while :meth:`timing`."""

    def __init__(self) -> None:
        self.seconds = 0.0

    @contextmanager
    def timing(self) -> Iterator[None]:
        wrapper: Any = connections["default"]
        plain = wrapper._commit

        def timed() -> None:
            started = time.perf_counter()
            try:
                plain()
            finally:
                self.seconds += time.perf_counter() - started

        wrapper._commit = timed
        try:
            yield
        finally:
            del wrapper._commit


def _backend_pid() -> int | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        row = cursor.fetchone()
    return int(row[0]) if row else None


def _process_seconds(pid: int | None) -> float:
    """CPU time of a process of this machine so far (0 without one)."""
    if pid is None:
        return 0.0
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _shape(sql: str) -> str:
    sql = re.sub(r"'[^']*'", "?", sql)
    sql = re.sub(r"%s(, %s)*", "?", sql)
    sql = re.sub(r"\(\?(, \?)*\)", "(?)", sql)
    return re.sub(r"\s+", " ", sql)[:160]


def _stats(profile: cProfile.Profile | pstats.Stats, key: str, *, ours: bool = False) -> str:
    """The top entries; ``ours``: comptoir's own functions only (where to act)."""
    out = io.StringIO()
    stats = profile if isinstance(profile, pstats.Stats) else pstats.Stats(profile)
    stats.stream = out  # type: ignore[attr-defined]
    if ours:
        stats.sort_stats(key).print_stats(r"/comptoir/", TOP)
    else:  # (stripping the folders undoes the order: it comes after)
        stats.strip_dirs().sort_stats(key).print_stats(TOP)
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


def push_body(data: dict[str, Any]) -> bytes:
    """The body of a push of one sale (``data``: its travelling form), as a till sends it."""
    from comptoir.lib.ids import new_id
    from comptoir.syncengine import compression

    change = {
        "id": str(new_id()),
        "model": "sales.invoice",
        "row": str(data["rows"]["sales.invoice"][0]["id"]),
        "kind": "fact",
        "data": data,
    }
    return compression.compress(json.dumps({"changes": [change]}, default=str).encode())


@contextmanager
def _threads_profiled() -> Iterator[pstats.Stats]:
    """Every thread started meanwhile profiled (CPU of its own), added up once they are
    all done (a profiler sees the thread that enabled it only)."""
    import threading

    profiles: list[cProfile.Profile] = []
    plain = threading.Thread.run

    def run(thread: threading.Thread) -> None:
        profile = cProfile.Profile(time.thread_time)
        profiles.append(profile)
        profile.enable()
        try:
            plain(thread)
        finally:
            profile.disable()

    threading.Thread.run = run  # type: ignore[method-assign,assignment]
    total = pstats.Stats()
    try:
        yield total
    finally:
        threading.Thread.run = plain  # type: ignore[method-assign]
        for profile in profiles:
            total.add(profile)


def _through_asgi(pushes: int, body: Callable[[], bytes], token: str) -> dict[str, Any]:
    """Pushes through the served application (``comptoir.asgi``: routing, the API's
    middleware, the hop to a thread for the push view, the database connection kept), in
    this process over an in-memory transport: CPU per push, and the profiles of the
    event loop's thread and of the thread the view runs in."""
    import asyncio

    import httpx

    from bench.simtills import headers as till_headers
    from comptoir.asgi import application
    from comptoir.syncengine.protocol import PREFIX

    connections["default"].settings_dict["CONN_MAX_AGE"] = None  # (served: a pool)
    # The event loop's thread alone (the view runs in a thread of each request's own).
    loop_profile = cProfile.Profile(time.thread_time)
    headers = {
        **till_headers(token),
        "Content-Type": "application/json",
        "Content-Encoding": "zstd",
    }

    async def session(count: int, profiled: bool) -> tuple[float, float]:
        transport = httpx.ASGITransport(app=application)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            bodies = [body() for _ in range(count)]
            if profiled:
                loop_profile.enable()
            started, loop_started = time.process_time(), time.thread_time()
            for content in bodies:
                answer = await client.post(PREFIX + "push", content=content, headers=headers)
                if answer.json()["results"][0]["status"] != "applied":
                    raise RuntimeError(answer.text)
            spent, loop = time.process_time() - started, time.thread_time() - loop_started
            if profiled:
                loop_profile.disable()
            return spent / count, loop / count

    asyncio.run(session(10, False))  # (warm: the application's first requests)
    cpu, loop = asyncio.run(session(pushes, False))
    with _threads_profiled() as threads:
        asyncio.run(session(min(pushes, 100), True))
    return {
        "cpu": cpu,
        "text": "\n".join(
            [
                f"through the ASGI application: process CPU {1000 * cpu:.2f} ms per push,"
                f" of which the event loop's thread {1000 * loop:.2f} ms (the client's"
                " requests and answers too)",
                "event loop's thread, by cumulative time:",
                _stats(loop_profile, "cumulative"),
                "the other threads (the views'), by cumulative time:",
                _stats(threads, "cumulative"),
                "the other threads, by own time:",
                _stats(threads, "tottime"),
            ]
        ),
    }


def run(*, history: int = 200, pushes: int = 200, feed_pushes: int = 50) -> dict[str, Any]:
    from bench.simtills import headers as till_headers
    from comptoir.syncengine import stream, views
    from comptoir.syncengine.hub import log_head
    from comptoir.syncengine.protocol import PREFIX

    made = _store(history + 4 * pushes + 10 + feed_pushes)
    sales = iter(made["sales"])
    seller = made["tills"][0]
    factory = RequestFactory()
    headers: dict[str, Any] = {
        f"HTTP_{name.upper().replace('-', '_')}": value
        for name, value in till_headers(seller["token"]).items()
    }

    def push_one() -> None:
        request = factory.post(
            PREFIX + "push",
            data=push_body(next(sales)),
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
    # Unprofiled first: the profiler's own cost is not the push's. With the time the
    # COMMITs take (the flush a group commit would share) and the CPU of this
    # connection's PostgreSQL server process.
    backend = _backend_pid()
    commits = _Commits()
    pg_started = _process_seconds(backend)
    started, cpu_started = time.perf_counter(), time.process_time()
    with commits.timing():
        for _ in range(pushes):
            push_one()
    clean_wall = (time.perf_counter() - started) / pushes
    clean_cpu = (time.process_time() - cpu_started) / pushes
    pg_cpu = (_process_seconds(backend) - pg_started) / pushes
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

    asgi = _through_asgi(pushes, lambda: push_body(next(sales)), seller["token"])

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
        f"  PostgreSQL server process CPU {1000 * pg_cpu:.2f} ms,"
        f" COMMIT wall {1000 * commits.seconds / pushes:.2f} ms",
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
        asgi["text"],
        f"feed: read of one sale and frames for {len(others)} tills, {feed_pushes} times:"
        f" {1000 * feed_cpu:.2f} ms CPU each (with a push), queries"
        f" {len(feed_queries.statements) / feed_pushes:.1f} each",
        _stats(feed, "cumulative"),
    ]
    return {
        "text": "\n".join(report),
        "push_queries": max(per_push),
        "push_pg_cpu_ms": 1000 * pg_cpu,
        "commit_ms": 1000 * commits.seconds / pushes,
        "push_ms": 1000 * clean_wall,
        "asgi_push_cpu_ms": 1000 * asgi["cpu"],
        "push_cpu_ms": 1000 * clean_cpu,
        "push_sql_ms": 1000 * sql_seconds,
    }
