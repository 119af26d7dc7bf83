"""``python -m bench [--quick] [--only NAME ...] [--json FILE]``: see bench/__init__.py."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import bench
from bench import capacity, connections, suite
from bench.harness import World
from comptoir.devtools.processes import ProcessError


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=bench.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="smoke run (< 90 s), for CI")
    parser.add_argument(
        "--only", nargs="+", choices=suite.NAMES, metavar="NAME", help=", ".join(suite.NAMES)
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON")
    parser.add_argument(
        "--sizes",
        help="catch-up sizes, comma-separated (default 1000,10000; --quick: 200)",
    )
    parser.add_argument("--sales", type=int, help="latency: number of sales (200; --quick: 20)")
    parser.add_argument(
        "--tills",
        help="capacity: numbers of simulated tills, in steps (default 50,...,700; --quick: 10)",
    )
    parser.add_argument(
        "--seconds", type=float, help="capacity: per step and mode (default 20; --quick: 5)"
    )
    parser.add_argument(
        "--streams",
        help="connections: numbers of held streams, in steps (default 500,1000,2000; --quick: 50)",
    )
    parser.add_argument(
        "--groups",
        default="1,2",
        help="capacity: hub groups to measure, 1 and/or 2 behind nginx (default 1,2)",
    )
    parser.add_argument(
        "--pages-data",
        default="50000,200000,2000,10000",
        help="pages: articles,invoices[,stores,tills] filled on the hub (default "
        "50000,200000,2000,10000; without stores and tills, no chain pages)",
    )
    parser.add_argument(
        "--hub-workers",
        type=int,
        default=1,
        metavar="N",
        help="server processes of the hub (serve --workers N; default 1)",
    )
    parser.add_argument(
        "--bootstrap-data",
        default=None,
        help="bootstrap: articles,customers on the hub (default 50000,10000; quick 2000,400)",
    )
    parser.add_argument(
        "--import-rows",
        default=None,
        help="import: CSV sizes in rows (default 1000,10000,100000; --quick: 1000)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, homes)")
    return parser.parse_args(argv)


def markdown(results: suite.Results, selected: set[str]) -> str:
    out = ["| benchmark | metric | value | unit | notes |", "|---|---|---:|---|---|"]
    for row in results.rows:
        if row.bench not in selected and row.bench != "setup":
            continue
        value = row.value
        if isinstance(value, float):
            shown = f"{value:.3g}" if abs(value) < 10 else f"{value:,.0f}"
        else:
            shown = "-" if value is None else str(value)
        out.append(f"| {row.bench} | {row.metric} | {shown} | {row.unit} | {row.note} |")
    return "\n".join(out)


def _run_in(world: World, work: Callable[[World], None]) -> bool:
    """``work`` in ``world``, closed after; True if a benchmark failed (the world's folder
    is then kept, for its logs)."""
    try:
        work(world)
        return False
    except ProcessError as exc:  # BenchError, or a process of the harness that failed
        print(f"\nBENCH FAILED: {exc}\n(work folder: {world.base})", file=sys.stderr)
        world.keep = True
        return True
    finally:
        world.close()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    selected = set(args.only or suite.DEFAULT)
    if args.quick:
        selected.discard("pouchdb")  # never in --quick (npm, node start-up)
        if not args.only:
            selected.add("capacity")  # the stream against the long poll, at a small size
            selected.add("connections")
    sizes = [int(s) for s in (args.sizes or ("200" if args.quick else "1000,10000")).split(",")]
    sales = args.sales or (suite.QUICK.sales if args.quick else suite.FULL.sales)
    scale = suite.Scale(invoices=sizes[0], sales=sales)
    results = suite.Results()
    results.raw["machine"] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "quick": args.quick,
        "sizes": sizes,
        "sales": sales,
    }
    need_catchup = bool(selected & {"catchup_push", "catchup_pull", "wire_cost"})
    started = time.perf_counter()
    failed = False
    ours: dict[int, tuple[float, float]] = {}
    if need_catchup or selected & {"latency", "capacity", "connections", "profile", "pages"}:

        def shared(world: World) -> None:
            till_a, till_b = suite.setup(world, scale)
            if need_catchup:
                for n in sizes:
                    suite.catchup(world, till_a, till_b, n, results)
                    ours[n] = (
                        n / results.raw["push"]["seconds"],
                        n / results.raw["pull"]["seconds"],
                    )
                    results.raw[f"catchup_{n}"] = {
                        "create": results.raw.pop("create"),
                        "push": results.raw.pop("push"),
                        "pull": results.raw.pop("pull"),
                    }
            if "latency" in selected:
                suite.latency(world, till_a, till_b, scale, results)
            if "capacity" in selected:
                tills = args.tills or ("10" if args.quick else "50,100,200,300,400,500,700")
                steps = [int(k) for k in tills.split(",")]
                seconds = args.seconds or (5.0 if args.quick else 20.0)
                groups = tuple(int(g) for g in args.groups.split(","))
                capacity.run(
                    world,
                    steps,
                    seconds,
                    results,
                    quick=args.quick,
                    groups=groups,
                    workers=args.hub_workers,
                )
            if "connections" in selected:
                streams = args.streams or ("50" if args.quick else "500,1000,2000")
                connections.run(
                    world,
                    [int(n) for n in streams.split(",")],
                    args.seconds or (5.0 if args.quick else 30.0),
                    results,
                )
            if "profile" in selected:
                out = world.shell(world.hub_home, "from bench.profile import run\nout = run()")
                print(out.pop("text"))
                results.raw["profile"] = out
                results.add("profile", "queries per push of 1 invoice", out["push_queries"])
                results.add(
                    "profile",
                    "push of 1 invoice (push view, in process)",
                    out["push_cpu_ms"],
                    "ms CPU",
                    f"wall {out['push_ms']:.1f} ms, SQL {out['push_sql_ms']:.1f} ms (profiled)",
                )
                results.add(
                    "profile",
                    "PostgreSQL CPU per push of 1 invoice",
                    out["push_pg_cpu_ms"],
                    "ms CPU",
                    f"COMMIT wall {out['commit_ms']:.2f} ms",
                )
            if "pages" in selected:  # last: it fills the hub with its own bulk data
                articles, invoices, stores, tills = (
                    [int(n) for n in args.pages_data.split(",")] + [0, 0]
                )[:4]
                out = world.shell(
                    world.hub_home,
                    "from bench.pages import run\n"
                    f"out = run(articles={articles}, invoices={invoices},"
                    f" stores={stores}, tills={tills})",
                )
                results.raw["pages"] = out
                for page, p50, worst in out["rows"]:
                    results.add("pages", page, p50, "ms", f"max {worst:.0f} ms")

        failed = _run_in(World(keep=args.keep, hub_workers=args.hub_workers), shared)
    if "bootstrap" in selected and not failed:
        data = args.bootstrap_data or ("2000,400" if args.quick else "50000,10000")
        articles, customers = (int(n) for n in data.split(","))
        failed = _run_in(
            World(keep=args.keep, hub_workers=args.hub_workers),
            lambda world: suite.bootstrap(world, articles, customers, results),
        )
    if "import" in selected and not failed:
        rows = [
            int(n)
            for n in (args.import_rows or ("1000" if args.quick else "1000,10000,100000")).split(
                ","
            )
        ]
        failed = _run_in(
            World(keep=args.keep, hub_workers=args.hub_workers),
            lambda world: suite.csv_import(world, rows, results),
        )
    if "pouchdb" in selected and not failed:
        for n in sizes:
            suite.pouchdb(n, ours.get(n), results)
    elapsed = time.perf_counter() - started
    print()
    print(markdown(results, selected))
    print(f"\n{elapsed:.0f} s in all ({'quick' if args.quick else 'full'} run)")
    if args.json:
        payload = results.to_json()
        payload["elapsed_seconds"] = elapsed
        args.json.write_text(json.dumps(payload, indent=1, default=str))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
