"""The hub's change log per sale, and per day for a chain of 500 tills (issue 17).

Measured around the capacity run (the sales the simulated tills pushed): log entries per
sale, and bytes per entry of the log's table with its indexes once it is large
(``pg_total_relation_size`` around a bulk insert that is rolled back). Then the hub
compacts its log (``log_compact``: superseded entries; the run is younger than the
horizon) and the entries left per sale are counted again. Extrapolated to 500 tills
selling one invoice every 2 s (21.6 million sales a day): the log's growth per day
before and after compaction, and the most it holds with the horizon
(``log_horizon_days`` days of entries). A sale is a new document, which no later entry
supersedes: the horizon is what bounds the log. Deleted rows leave their pages to be
reused (autovacuum), not returned to the disk: the size held is the horizon's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from bench.harness import World

TILLS = 500
PERIOD = 2.0
SALES_PER_DAY = TILLS * 86400 / PERIOD

COMPACT = """
from comptoir.syncengine.compaction import horizon_days, log_compact
report = log_compact()
out = {**report.as_json(), "horizon": horizon_days()}
"""


@dataclass
class Mark:
    head: int
    entries: int
    bytes: int
    invoices: int


def measure(world: World) -> Mark:
    with psycopg.connect(world.database_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT coalesce(max(seq), 0), count(*),"
            " pg_total_relation_size('sync_changelog'),"
            " (SELECT count(*) FROM sales_invoice) FROM sync_changelog"
        ).fetchone()
    assert row is not None
    return Mark(*(int(v) for v in row))


SAMPLE = 20_000


def bytes_per_entry(world: World) -> float:
    """What an entry adds to the log's table and indexes once it is large: ``SAMPLE``
    entries shaped as the run's (a sale's, one store, one origin) inserted in a
    transaction that is rolled back; the files' growth divided by their number (a small
    table's size is mostly its first pages)."""
    with psycopg.connect(world.database_url) as conn:
        size = "SELECT pg_total_relation_size('sync_changelog')"
        before = int(conn.execute(size).fetchone()[0])  # type: ignore[index]
        conn.execute(
            "INSERT INTO sync_changelog (model, row_id, store_id, origin_node, created_at)"
            " SELECT model, gen_random_uuid(), store_id, origin_node, now()"
            " FROM (SELECT model, store_id, origin_node FROM sync_changelog"
            "       WHERE model = 'sales.invoice' ORDER BY seq DESC LIMIT 1) AS shape,"
            " generate_series(1, %s)",
            [SAMPLE],
        )
        after = int(conn.execute(size).fetchone()[0])  # type: ignore[index]
        conn.rollback()
    return (after - before) / SAMPLE


def _entries_since(world: World, head: int) -> int:
    with psycopg.connect(world.database_url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM sync_changelog WHERE seq > %s", [head]).fetchone()
    return int(row[0]) if row else 0


def report(world: World, start: Mark, results: Any) -> None:
    """The log's size per sale and per day, before and after compaction."""
    end = measure(world)
    sales = end.invoices - start.invoices
    if sales <= 0 or end.entries <= 0:
        return
    per_sale = (end.entries - start.entries) / sales
    per_entry = bytes_per_entry(world)
    compacted = world.shell(world.hub_home, COMPACT)
    kept = _entries_since(world, start.head) / sales
    horizon = int(compacted["horizon"])
    gb = 1e9
    results.add(
        "capacity",
        "change log per sale",
        per_sale * per_entry,
        "bytes",
        f"{per_sale:.2f} entries of {per_entry:.0f} B (table and indexes, at scale), {sales} sales",
    )
    results.add(
        "capacity",
        f"change log per day, {TILLS} tills (before compaction)",
        per_sale * per_entry * SALES_PER_DAY / gb,
        "GB",
        f"{per_sale * SALES_PER_DAY / 1e6:.1f} M entries a day, never removed before issue 17",
    )
    results.add(
        "capacity",
        f"change log per day, {TILLS} tills (after compaction)",
        kept * per_entry * SALES_PER_DAY / gb,
        "GB",
        f"{kept:.2f} entries per sale kept ({compacted['superseded']} superseded removed);"
        f" the log holds at most {horizon} days (log_horizon_days):"
        f" {kept * per_entry * SALES_PER_DAY * horizon / gb:.0f} GB",
    )
    results.raw["log_size"] = {
        "sales": sales,
        "entries_per_sale": per_sale,
        "bytes_per_entry": per_entry,
        "entries_per_sale_after_compaction": kept,
        "superseded_removed": compacted["superseded"],
        "horizon_days": horizon,
        "sales_per_day": SALES_PER_DAY,
    }
