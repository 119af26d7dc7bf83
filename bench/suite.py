"""The benchmarks. Each one records figures in :class:`Results`; none asserts a timing."""

from __future__ import annotations

import json
import queue
import sqlite3
import statistics
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from bench import cpu, pouch, scripts
from bench.harness import BenchError, World

NAMES = (
    "catchup_push",
    "catchup_pull",
    "latency",
    "wire_cost",
    "bootstrap",
    "pouchdb",
    "capacity",
    "connections",
    "profile",
    "pages",
    "import",
)
DEFAULT = (
    "catchup_push",
    "catchup_pull",
    "latency",
    "wire_cost",
    "bootstrap",
    "pouchdb",
    "import",
)


@dataclass(frozen=True)
class Scale:
    invoices: int
    sales: int
    rate: float = 5.0
    articles: int = 200


QUICK = Scale(invoices=200, sales=20)
FULL = Scale(invoices=1000, sales=200)


@dataclass
class Row:
    bench: str
    metric: str
    value: float | int | str | None
    unit: str = ""
    note: str = ""


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)

    def add(self, bench: str, metric: str, value: Any, unit: str = "", note: str = "") -> None:
        row = Row(bench, metric, value, unit, note)
        self.rows.append(row)
        shown = f"{value:,.1f}" if isinstance(value, float) else str(value)
        print(f"  {bench:14} {metric:34} {shown:>12} {unit} {note}", flush=True)

    def to_json(self) -> dict[str, Any]:
        return {"rows": [asdict(r) for r in self.rows], "raw": self.raw}


def _pct(values: list[float], q: float) -> float:
    """Percentile by nearest rank (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def hub_count(world: World, sql: str) -> int:
    with psycopg.connect(world.database_url, autocommit=True) as conn:
        row = conn.execute(sql).fetchone()
    return int(row[0]) if row else 0


def till_db(home: Path) -> Path:
    return home / "node.sqlite3"


def till_count(home: Path, sql: str) -> int:
    with sqlite3.connect(f"file:{till_db(home)}?mode=ro", uri=True) as conn:
        return int(conn.execute(sql).fetchone()[0])


# -- set-up ------------------------------------------------------------------------------


def setup(world: World, scale: Scale) -> tuple[Path, Path]:
    """Articles on the hub, then two tills enrolled (they receive the articles)."""
    t = time.perf_counter()
    world.start()
    print(f"  [setup] postgres + hub served in {time.perf_counter() - t:.1f} s", flush=True)
    t = time.perf_counter()
    world.shell(world.hub_home, scripts.ARTICLES.format(count=scale.articles))
    till_a = world.add_till("till_a")
    till_b = world.add_till("till_b")
    print(f"  [setup] articles + 2 tills enrolled in {time.perf_counter() - t:.1f} s", flush=True)
    return till_a, till_b


# -- 1, 2, 4: catch-up push and pull, and their wire cost --------------------------------


def catchup(world: World, till_a: Path, till_b: Path, n: int, results: Results) -> None:
    before_hub = hub_count(world, "SELECT count(*) FROM sales_invoice")
    made = world.shell(till_a, scripts.SELL_MANY.format(count=n), timeout=n * 0.05)
    results.raw["create"] = made
    results.add(
        "setup",
        "invoices created on till A",
        n / made["seconds"],
        "inv/s",
        f"{n} invoices, {made['movements']} stock movements"
        " (invoice_sell without a flush per sale, outside the clock)",
    )

    meter = _meter(world)
    before = meter()
    push = world.shell(till_a, scripts.SYNC_COUNTED.format(mode="push"))
    push_cpu = cpu.spent(before, meter())
    results.raw["push"] = push
    if not push["ok"] or push["rejected"]:
        raise BenchError(f"push failed: {push['errors']} ({push['rejected']} rejected)")
    on_hub = hub_count(world, "SELECT count(*) FROM sales_invoice") - before_hub
    results.add(
        "catchup_push",
        f"push {n} invoices",
        push["seconds"],
        "s",
        f"{on_hub}/{n} committed on the hub; {push['wire']['requests']} requests",
    )
    results.add("catchup_push", "throughput", n / push["seconds"], "inv/s")

    before_b = till_count(till_b, "SELECT count(*) FROM sales_invoice")
    before = meter()
    pull = world.shell(till_b, scripts.SYNC_COUNTED.format(mode="pull"))
    pull_cpu = cpu.spent(before, meter())
    results.raw["pull"] = pull
    if not pull["ok"] or pull["rejected"]:
        raise BenchError(f"pull failed: {pull['errors']} ({pull['rejected']} rejected)")
    on_b = till_count(till_b, "SELECT count(*) FROM sales_invoice") - before_b
    results.add(
        "catchup_pull",
        f"pull {n} invoices",
        pull["seconds"],
        "s",
        f"{on_b}/{n} on till B; {pull['wire']['requests']} requests",
    )
    results.add("catchup_pull", "throughput", n / pull["seconds"], "inv/s")
    for step, spent, data in (("push", push_cpu, push), ("pull", pull_cpu, pull)):
        _cpu_rows(results, f"catchup_{step}", spent, data["cpu_seconds"], n)
    for step, data in (("push", push), ("pull", pull)):
        results.add(
            f"catchup_{step}",
            "node peak RSS",
            data["peak_rss_kb"] / 1024,
            "MB",
            "the whole comptoir shell process (target < 300)",
        )

    for step, data in (("push", push), ("pull", pull)):
        w = data["wire"]
        up = w["up_body"] + w["up_headers"]
        down = w["down_body"] + w["down_headers"]
        results.add(
            "wire_cost", f"{step}: till->hub per invoice", up / n, "B", "zstd body + headers"
        )
        results.add(
            "wire_cost", f"{step}: hub->till per invoice", down / n, "B", "zstd body + headers"
        )
    results.add(
        "wire_cost",
        "pull: hub->till uncompressed",
        pull["client_bytes_received"] / n,
        "B",
        "HubClient.bytes_received (decoded JSON)",
    )


def _meter(world: World) -> Any:
    assert world.hub.proc is not None
    hub, postgres = world.hub.proc.pid, cpu.postmaster(world.pg.datadir)
    return lambda: cpu.read(hub, postgres)


def _cpu_rows(results: Results, bench: str, spent: cpu.Reading, till: float, n: int) -> None:
    """Where the CPU went, per invoice: the till (its sync, from its own clock), the hub's
    server, PostgreSQL; and the rate their sum allows when they share this machine."""
    total = till + spent.hub + spent.postgres
    results.add(bench, "till CPU per invoice", 1e6 * till / n, "us", "the sync, all threads")
    results.add(bench, "hub CPU per invoice", 1e6 * spent.hub / n, "us", "comptoir serve")
    results.add(bench, "PostgreSQL CPU per invoice", 1e6 * spent.postgres / n, "us")
    results.add(
        bench,
        "CPU per invoice, all three",
        1e6 * total / n,
        "us",
        f"{cpu.cores()} cores at this cost: at most {cpu.cores() * n / total:,.0f} inv/s",
    )


# -- 7: CSV import -------------------------------------------------------------------------


def csv_import(world: World, sizes: list[int], results: Results) -> None:
    """``comptoir import articles`` on the hub's PostgreSQL, N rows (code, name, price,
    VAT, barcode, one of 20 shelves), then the same N lines with every price changed (the
    monthly price list: N updates): the check and the chunked writes timed inside one
    ``comptoir shell`` (Python start-up not counted), and the longest chunk, i.e. the
    longest time the change-log lock was held (a till's push waits at most that long)."""
    world.start()
    for n in sizes:
        out = world.shell(world.hub_home, scripts.IMPORT.format(rows=n), timeout=3600)
        if out["created"] != n:
            raise BenchError(f"import: {out['created']} articles created of {n}")
        if out["update"]["updated"] != n:
            raise BenchError(f"import: {out['update']['updated']} articles updated of {n}")
        results.raw[f"import_{n}"] = out
        for run, what in ((out, "new"), (out["update"], "updated")):
            results.add(
                "import",
                f"{n:,} {what} article rows",
                n / run["seconds"],
                "rows/s",
                f"check {run['check_seconds']:.1f} s + write {run['write_seconds']:.1f} s",
            )
            results.add(
                "import",
                f"{n:,} {what} rows: longest chunk",
                run["longest_chunk_ms"],
                "ms",
                f"change-log lock held at most this long ({run['chunks']} chunks, median "
                f"{run['median_chunk_ms']:.0f} ms; longest: {run['longest_chunk_rows']} rows)",
            )


# -- 6: bootstrap --------------------------------------------------------------------------


def bootstrap(world: World, articles: int, customers: int, results: Results) -> None:
    """A new till enrolled with a hub that holds a large catalogue: ``node init --server
    --code``, timed from the command's start to its return (its database created and
    migrated, the code redeemed, everything received), on a hub of its own."""
    t = time.perf_counter()
    world.start()
    made = world.shell(
        world.hub_home,
        scripts.CATALOGUE.format(articles=articles, customers=customers),
        timeout=600,
    )
    print(f"  [setup] hub with {made} in {time.perf_counter() - t:.1f} s", flush=True)
    t = time.perf_counter()
    till = world.add_till("till_new")
    elapsed = time.perf_counter() - t
    received = {
        "articles": till_count(till, "SELECT count(*) FROM catalogue_article"),
        "customers": till_count(till, "SELECT count(*) FROM customers_customer"),
    }
    if received != made:
        raise BenchError(f"bootstrap: the new till has {received}, the hub {made}")
    results.add(
        "bootstrap",
        f"new till, {articles:,} articles + {customers:,} customers",
        elapsed,
        "s",
        "comptoir node init --server --code, start to return; all received (target < 15)",
    )


# -- 3: latency ---------------------------------------------------------------------------


def latency(world: World, till_a: Path, till_b: Path, scale: Scale, results: Results) -> None:
    """Sales at ``rate``/s in one long ``comptoir shell`` on till A, both tills served:
    time from the commit on A until the invoice number is readable on the hub (psycopg)
    and on till B (its SQLite file, read-only). Polling every 5 ms."""
    world.serve(till_a, "till_a")
    world.serve(till_b, "till_b")
    time.sleep(1.0)  # let the workers' first full sync and long polls settle
    seller = world.shell_popen(
        till_a, scripts.SELL_PACED.format(count=scale.sales, rate=scale.rate)
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def reader() -> None:
        assert seller.stdout is not None
        for line in seller.stdout:
            lines.put(line.strip())
        lines.put(None)

    threading.Thread(target=reader, daemon=True).start()
    validated: dict[str, float] = {}
    on_hub: dict[str, float] = {}
    on_b: dict[str, float] = {}
    done = False
    deadline = time.monotonic() + scale.sales / scale.rate + 120
    hub = psycopg.connect(world.database_url, autocommit=True)
    b = sqlite3.connect(f"file:{till_db(till_b)}?mode=ro", uri=True, isolation_level=None)
    try:
        while time.monotonic() < deadline:
            while True:
                try:
                    line = lines.get_nowait()
                except queue.Empty:
                    break
                if line is None or line == "@@DONE@@":
                    done = True
                elif line.startswith("@@SALE@@"):
                    number, at = json.loads(line[len("@@SALE@@") :])
                    validated[number] = at
            pending_hub = [n for n in validated if n not in on_hub]
            if pending_hub:
                now = time.time()
                for (number,) in hub.execute(
                    "SELECT number FROM sales_invoice WHERE number = ANY(%s)", (pending_hub,)
                ):
                    on_hub[number] = now
            pending_b = [n for n in validated if n not in on_b]
            if pending_b:
                now = time.time()
                marks = ",".join("?" * len(pending_b))
                for (number,) in b.execute(
                    f"SELECT number FROM sales_invoice WHERE number IN ({marks})", pending_b
                ):
                    on_b[number] = now
            if done and len(on_hub) == len(validated) and len(on_b) == len(validated):
                break
            time.sleep(0.005)
    finally:
        hub.close()
        b.close()
    if seller.wait(timeout=30) != 0 or len(validated) < scale.sales:
        raise BenchError(f"the seller on till A failed ({len(validated)}/{scale.sales} sales)")
    results.raw["latency"] = {"validated": validated, "hub": on_hub, "till_b": on_b}
    for where, seen in (("hub", on_hub), ("till B", on_b)):
        delays = [(seen[n] - validated[n]) * 1000 for n in validated if n in seen]
        missing = len(validated) - len(delays)
        note = f"{len(delays)} sales at {scale.rate:g}/s" + (
            f"; {missing} NOT visible after the deadline" if missing else ""
        )
        if not delays:
            results.add("latency", f"A -> {where}", None, "ms", note)
            continue
        results.add("latency", f"A -> {where} p50", statistics.median(delays), "ms", note)
        results.add("latency", f"A -> {where} p99", _pct(delays, 99), "ms")
        results.add("latency", f"A -> {where} max", max(delays), "ms")


# -- 5: PouchDB, same invocation ----------------------------------------------------------


def pouchdb(n: int, ours: tuple[float, float] | None, results: Results) -> None:
    """``ours``: comptoir's push and pull rates (invoices/s) for the same ``n``, if run."""
    try:
        figures = pouch.run(n)
    except pouch.Unavailable as exc:
        results.add("pouchdb", "skipped", "-", "", str(exc))
        return
    results.raw["pouchdb"] = figures
    rate = n / figures["secs"]
    results.add("pouchdb", f"one-shot push {n} docs (batch 1000)", rate, "docs/s")
    results.add("pouchdb", "till->hub per doc", figures["bytes_in"] / n, "B", "HTTP, uncompressed")
    results.add("pouchdb", "hub->till per doc", figures["bytes_out"] / n, "B")
    if ours:
        for step, mine in zip(("push", "pull"), ours, strict=True):
            results.add(
                "pouchdb", f"ratio comptoir {step} / pouchdb push", mine / rate, "x", "target >= 2"
            )
