"""Re-importing a file whose lines name existing rows (the monthly price list): the rows
are updated in bulk (``update_values``), a few statements per chunk rather than a save
per row, with the same state and the same sync changes as a save of each row."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from comptoir.catalogue.models import Article, Supplier
from comptoir.customers.models import Customer
from comptoir.ops.imports import import_rows, parse_csv
from comptoir.sync import registry, wire
from comptoir.sync.hlc import Timestamp
from comptoir.sync.models import ChangeLog
from comptoir.syncengine import apply
from tests.sync.helpers import reference_change

pytestmark = pytest.mark.django_db

N = 150  # one chunk (the first has imports.CHUNK_ROWS = 200 rows)


def _articles(price: Callable[[int], int]) -> str:
    return "code;name;price;vat\n" + "".join(
        f"A{i:04d};Article {i};{price(i) // 100},{price(i) % 100:02d};20\n" for i in range(N)
    )


def _contacts(phone: Callable[[int], str]) -> str:
    return "code;name;phone\n" + "".join(f"K{i:04d};Contact {i};{phone(i)}\n" for i in range(N))


# kind: (model, first file, the same file with one column changed on every other line, the
# field that changes)
FILES: dict[str, tuple[Any, str, str, str]] = {
    "articles": (
        Article,
        _articles(lambda i: 100 + i),
        _articles(lambda i: 100 + i + (7 if i % 2 else 0)),
        "sale_price",
    ),
    "customers": (  # not in the issue: the same class of slow path
        Customer,
        _contacts(lambda i: f"01 02 03 {i:04d}"),
        _contacts(lambda i: f"01 02 03 {i:04d}" if i % 2 == 0 else f"09 09 09 {i:04d}"),
        "phone",
    ),
    "suppliers": (
        Supplier,
        _contacts(lambda i: f"01 02 03 {i:04d}"),
        _contacts(lambda i: f"01 02 03 {i:04d}" if i % 2 == 0 else f"09 09 09 {i:04d}"),
        "phone",
    ),
}


def _states(model: Any) -> dict[Any, dict[str, Any]]:
    label = registry.label_of(model)
    return wire.reference_states(label, list(model.objects.values_list("pk", flat=True)))


@pytest.mark.parametrize("kind", sorted(FILES))
def test_a_re_import_updates_in_a_few_statements_what_a_save_per_row_would(
    till: Any, kind: str
) -> None:
    model, first, second, field = FILES[kind]
    assert import_rows(kind, parse_csv(kind, first)).created == N
    before = _states(model)
    seq = ChangeLog.objects.order_by("-seq").values_list("seq", flat=True).first()
    with CaptureQueriesContext(connection) as queries:
        result = import_rows(kind, parse_csv(kind, second))
    assert (result.created, result.updated, result.unchanged) == (0, N // 2, N // 2)
    # A save per row took several statements each (clock, update, trace): 450 and more.
    # A few statements for 150 rows (75 of them updated), and about five for the import's
    # technical event (``events``): never one per row.
    assert len(queries) < 36, [q["sql"][:80] for q in queries]
    after = _states(model)
    changed = {pk for pk in after if after[pk]["fields"] != before[pk]["fields"]}
    assert len(changed) == N // 2
    stamps = set()
    for pk, state in after.items():
        old = before[pk]
        moved = {f for f in state["fields"] if state["fields"][f] != old["fields"][f]}
        renewed = {f for f in state["clocks"] if state["clocks"][f] != old["clocks"][f]}
        # As a save of the row: only what changed moves, and is stamped after what it was.
        assert moved == renewed == ({field} if pk in changed else set())
        assert set(state["clocks"]) == set(old["clocks"])
        stamps |= {state["clocks"][f] for f in renewed}
        assert all(state["clocks"][f] > old["clocks"][f] for f in renewed)
    assert len(stamps) == 1  # one clock value for the chunk
    logged = (
        ChangeLog.objects.exclude(model="events.technicalevent")
        .filter(seq__gt=seq)
        .values_list("model", "row_id")
    )
    assert sorted(logged) == sorted((registry.label_of(model), pk) for pk in changed)
    again = import_rows(kind, parse_csv(kind, second))
    assert (again.updated, again.unchanged) == (0, N)
    assert _states(model) == after


def test_an_edit_made_on_a_till_before_a_price_import_keeps_its_field(till: Any) -> None:
    """Per-field merge after a bulk update: a till renamed an article (its clock after the
    article's creation, before the hub's price import) and pushes it after the import. The
    name is the till's, the price the import's, on the hub and in what it relays."""
    import_rows("articles", parse_csv("articles", _articles(lambda i: 100 + i)))
    article = Article.objects.get(code="A0003")
    seen_by_till = reference_change(article)
    created = Timestamp.decode(article.sync_clocks["name"])
    time.sleep(0.01)  # the import's clock is at least 10 ms after the creation's
    import_rows("articles", parse_csv("articles", _articles(lambda i: 200 + i)))

    till_clock = Timestamp(created.wall_ms + 1, 0, "node-b").encode()
    change = seen_by_till
    change.id = "0196a1b2-0000-7000-8000-000000000001"
    change.data.fields["name"] = "Nom donné en caisse"
    change.data.clocks["name"] = till_clock
    assert apply.apply_change(change, origin="node-b").status == "applied"

    article.refresh_from_db()
    assert (article.name, article.sale_price) == ("Nom donné en caisse", 203)
    relayed = wire.reference_states("catalogue.article", [article.pk])[article.pk]
    assert relayed["fields"]["name"] == "Nom donné en caisse"
    assert relayed["fields"]["sale_price"] == 203
    assert relayed["clocks"]["name"] == till_clock
