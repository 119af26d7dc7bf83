"""Python programs run inside ``comptoir shell`` on a home (so inside Django, on its DB).

Each assigns its result to ``out`` (see :meth:`bench.harness.World.shell`), except the
latency seller, which prints one line per sale as it goes.
"""

from __future__ import annotations

ARTICLES = """
from decimal import Decimal
from django.db import transaction
from comptoir.catalogue.models import Article, Category
with transaction.atomic():
    cats = Category.objects.bulk_create([Category(name=f"Rayon {{i}}") for i in range(5)])
    Article.objects.bulk_create([
        Article(code=f"B{{i:04d}}", name=f"Article de banc n°{{i}}",
                sale_price=100 + i * 37 % 4000, vat_rate=Decimal(("20", "5.5", "10")[i % 3]),
                cost=10 + i % 90, unit="piece", category=cats[i % 5])
        for i in range({count})
    ])
out = Article.objects.count()
"""

# A large catalogue on the hub for a new till to receive: {articles} articles (category,
# barcode) and {customers} customers, through bulk_create (a captured write path: stamped
# and logged for sync as any other write), so that filling it takes seconds.
CATALOGUE = """
from decimal import Decimal
from django.db import transaction
from comptoir.catalogue.models import Article, Barcode, Category
from comptoir.customers.models import Customer
def ean13(number):
    body = f"20{{number:010d}}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)
with transaction.atomic():
    cats = Category.objects.bulk_create([Category(name=f"Rayon {{i}}") for i in range(7)])
    for start in range(0, {articles}, 5000):
        arts = Article.objects.bulk_create([
            Article(code=f"P{{i:06d}}", name=f"Produit n°{{i}} « spécial »",
                    sale_price=100 + i % 4000, vat_rate=Decimal(("20", "5.5", "10")[i % 3]),
                    cost=10 + i % 90, unit=("piece", "kg")[i % 2], category=cats[i % 7])
            for i in range(start, min(start + 5000, {articles}))
        ])
        Barcode.objects.bulk_create([Barcode(article=a, code=ean13(start + n))
                                     for n, a in enumerate(arts)])
    for start in range(0, {customers}, 5000):
        Customer.objects.bulk_create([
            Customer(code=f"CL{{i:06d}}", name=f"Client n°{{i}}", phone=f"06{{i:08d}}",
                     email=f"client{{i}}@example.fr", address=f"{{i}} rue du Marché, Lyon")
            for i in range(start, min(start + 5000, {customers}))
        ])
out = {{"articles": Article.objects.count(), "customers": Customer.objects.count()}}
"""

# N validated invoices of 5 lines, paid (exact cash payment), with their stock movements.
SELL_MANY = """
import time
from decimal import Decimal
from comptoir.catalogue.models import Article
from comptoir.sales.models import Invoice, Payment
from comptoir.sales.services import SaleLine, invoice_sell
from comptoir.stock.models import StockMovement
from django.db import connection
# Set-up, not what is measured: without a disk flush per sale (a till flushes each one,
# synchronous=FULL), 50,000 sales take minutes instead of a quarter of an hour.
connection.cursor().execute("PRAGMA synchronous=OFF")
codes = list(Article.objects.order_by("code").values_list("code", flat=True))
models = (Invoice, Payment, StockMovement)
before = [m.objects.count() for m in models]
started = time.perf_counter()
for i in range({count}):
    lines = [SaleLine(codes[(i * 5 + j) % len(codes)], 1 + j % 3) for j in range(5)]
    invoice_sell(lines=lines, cashier="bench")
elapsed = time.perf_counter() - started
after = [m.objects.count() for m in models]
out = {{"seconds": elapsed, **{{
    name: a - b for name, a, b in zip(("invoices", "payments", "movements"), after, before)
}}}}
"""

# One sync step with the engine, as ``comptoir sync --mode MODE`` runs it, with the wire
# counted at the HTTP level: request bodies as sent (zstd) and response bodies as received
# (``num_bytes_downloaded``: still compressed), plus the header bytes of both.
SYNC_COUNTED = """
import resource, time
from comptoir.syncengine import engine
client = engine.client_from_settings()
wire = {{"requests": 0, "up_body": 0, "up_headers": 0, "down_body": 0, "down_headers": 0}}
original = client.http.request
def counted(method, url, **kwargs):
    response = original(method, url, **kwargs)
    request = response.request
    wire["requests"] += 1
    wire["up_body"] += len(request.content)
    line = f"{{request.method}} {{request.url.raw_path.decode()}} HTTP/1.1"
    wire["up_headers"] += len(line) + 4 + sum(len(k) + len(v) + 4 for k, v in request.headers.raw)
    wire["down_body"] += response.num_bytes_downloaded
    wire["down_headers"] += len("HTTP/1.1 200 OK\\r\\n") + sum(
        len(k) + len(v) + 4 for k, v in response.headers.raw) + 2
    return response
client.http.request = counted
started, cpu_started = time.perf_counter(), time.process_time()
report = engine.sync("{mode}", client=client)
elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
client.close()
out = {{
    "seconds": elapsed,
    "cpu_seconds": cpu,
    "ok": report.ok,
    "errors": report.errors,
    "rejected": len(report.rejected),
    "sent": dict(report.sent),
    "received": dict(report.received),
    "wire": wire,
    "client_bytes_sent": client.bytes_sent,
    "client_bytes_received": client.bytes_received,
    "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
}}
"""

# Sells {count} invoices at {rate}/s; prints "@@SALE@@[number, unix time after commit]".
SELL_PACED = """
import json, time
from comptoir.catalogue.models import Article
from comptoir.sales.services import SaleLine, invoice_sell
codes = list(Article.objects.order_by("code").values_list("code", flat=True))
print("@@READY@@", flush=True)
start = time.monotonic() + 0.5
for i in range({count}):
    delay = start + i / {rate} - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    lines = [SaleLine(codes[(i * 5 + j) % len(codes)], 1) for j in range(5)]
    invoice = invoice_sell(lines=lines, cashier="latence")
    print("@@SALE@@" + json.dumps([invoice.number, time.time()]), flush=True)
print("@@DONE@@", flush=True)
"""

# An article CSV of {rows} rows imported by the code behind ``comptoir import``.
IMPORT = """
import tempfile, time
from pathlib import Path
from comptoir.ops.imports import import_rows, parse_csv, read_text
prefix = "I{rows}-"
def run(shift):
    # shift 0: N new articles; shift 1: the same N lines, every price changed (updates).
    lines = ["code;name;price;vat;barcode;category"]
    for i in range({rows}):
        lines.append(f"{{prefix}}{{i:06d}};Article importé n°{{i}};{{1 + shift + i % 90}},"
                     f"{{i % 100:02d}};{{('20', '5,5', '10')[i % 3]}};{{prefix}}B{{i:06d}};"
                     f"Rayon {{i % 20}}")
    path = Path(tempfile.mkdtemp()) / "articles.csv"
    path.write_text("\\n".join(lines) + "\\n", encoding="utf-8")
    marks = []
    def progress(stage, n):
        marks.append((stage, n, time.perf_counter()))
    start = time.perf_counter()
    result = import_rows("articles", parse_csv("articles", read_text(path)), progress=progress)
    end = time.perf_counter()
    writes = [(n, t) for stage, n, t in marks if stage == "write"]
    checked = max(t for stage, _n, t in marks if stage == "check")
    chunks = sorted(
        (b - a, n - m) for (m, a), (n, b) in zip([(0, checked), *writes], writes)
    )
    return {{"rows": {rows}, "created": result.created, "updated": result.updated,
            "seconds": end - start,
            "check_seconds": checked - start, "write_seconds": end - checked,
            "chunks": len(chunks), "longest_chunk_ms": chunks[-1][0] * 1000,
            "longest_chunk_rows": chunks[-1][1],
            "median_chunk_ms": chunks[len(chunks) // 2][0] * 1000}}
out = run(0)
out["update"] = run(1)
"""
