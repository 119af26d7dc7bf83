"""The simulated tills of ``--only capacity`` (and the request headers of ``--only
profile``): enrolled on the hub in one ``comptoir shell``, each with a signing key, and
given their next sales, made by the hub's own services as each till (numbered in its
series, linked in its chain, signed) in a transaction rolled back, then pushed by the
benchmark as a real till pushes its own.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from bench.harness import World
from comptoir.syncengine.protocol import PROTOCOL_VERSION, SCHEMA_VERSION

ENROLL = """
from comptoir.stores.services import store_get_or_create
from comptoir.syncengine import auth
from comptoir.journal.postkey import post_public_text
from comptoir.syncengine.hub import log_head
key = post_public_text()[0]
tills = []
for i in range({count}):
    store = store_get_or_create(name=f"Magasin capacité {{i // {per_store}}}")
    code = auth.enrollment_create(name=f"cap-{{i}}", store=store.name)
    token, till = auth.enrollment_redeem(code=code, node_id=f"cap-node-{{i}}", public_key=key)
    tills.append({{"token": token, "till": str(till.pk), "store": str(till.store_id),
                  "prefix": till.prefix}})
out = {{"tills": tills, "head": log_head()}}
"""

# Each till's next ``count`` sales, made by the hub's own services as that till (five
# lines, a payment, stock movements; numbered in its series and linked in its chain after
# what the hub holds of it) and signed with the key the tills were enrolled with, in a
# transaction rolled back: the hub holds none of them until they are pushed, and checks
# each on arrival as a real till's (signature, chain, what is stored hashes to what was
# signed). Until stop 16 the simulated sales were unsigned copies of one sale from tills
# without a key: the hub skipped the chain check, half of a signed push's cost.
SALES = """
from django.db import connection
from comptoir.catalogue.models import Article
from comptoir.sales.services import SaleLine, invoice_sell
from comptoir.stores.models import SeriesCounter, Till
from comptoir.sync import wire
codes = list(Article.objects.order_by("code").values_list("code", flat=True))[:5]
tills = {tills!r}
made = {{}}
connection.set_autocommit(False)
try:
    # The tills' series and chain heads where their sales made before left them (the
    # hub holds those sales, pushed, but a till's counters are its own: never synced).
    for row in {counters!r}:
        SeriesCounter.objects.update_or_create(
            till_id=row["till_id"], kind=row["kind"], year=row["year"],
            defaults={{"last_number": row["last_number"], "last_hash": row["last_hash"]}},
        )
    for till in Till.objects.filter(pk__in=tills):
        ids = [
            invoice_sell(lines=[SaleLine(c, 1) for c in codes], cashier="capacité", till=till).pk
            for _ in range({count})
        ]
        found = wire.fact_aggregates("sales.invoice", ids)
        made[str(till.pk)] = [found[pk] for pk in ids]
    counters = [
        {{**row, "till_id": str(row["till_id"])}}
        for row in SeriesCounter.objects.filter(till_id__in=tills).values(
            "till_id", "kind", "year", "last_number", "last_hash"
        )
    ]
finally:
    connection.rollback()
    connection.set_autocommit(True)
out = json.loads(json.dumps({{"sales": made, "counters": counters}}, default=str))
"""


@dataclass
class Till:
    token: str
    till: str
    store: str
    prefix: str
    sales: list[dict[str, Any]] = field(default_factory=list)  # its next sales, in order
    counters: list[dict[str, Any]] = field(default_factory=list)  # after them


def sale_change(till: Till) -> dict[str, Any]:
    """This till's next sale (made beforehand, see :data:`SALES`), as a push change."""
    data = till.sales.pop(0)
    root_id = str(data["rows"]["sales.invoice"][0]["id"])
    return {
        "id": str(uuid.uuid4()),
        "model": "sales.invoice",
        "row": root_id,
        "kind": "fact",
        "data": data,
    }


def made_sales(world: World, tills: list[Till], count: int) -> None:
    """Give each of ``tills`` its next ``count`` signed sales (see :data:`SALES`); each
    till must push them all before it is given more (its counters move on with them)."""
    started = time.monotonic()
    counters = [row for t in tills for row in t.counters]
    made = world.shell(
        world.hub_home,
        "import json\n"
        + SALES.format(tills=[t.till for t in tills], count=count, counters=counters),
        timeout=1800,
    )
    for till in tills:
        till.sales = made["sales"][till.till]
        till.counters = [row for row in made["counters"] if row["till_id"] == till.till]
    print(
        f"  {count * len(tills)} ventes signées préparées pour {len(tills)} caisses"
        f" en {time.monotonic() - started:.0f} s",
        flush=True,
    )


def headers(token: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "X-Comptoir-Protocol": str(PROTOCOL_VERSION),
        "X-Comptoir-Schema": str(SCHEMA_VERSION),
        "Accept-Encoding": "zstd, gzip",
    }
