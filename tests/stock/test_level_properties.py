"""Property: whatever facts arrive, in whatever order, incremental = rebuild = definition."""

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comptoir.stock.models import InventoryCount, StockLevel, StockMovement
from comptoir.stock.services import stock_count, stock_loss, stock_rebuild, stock_receive
from comptoir.stores.services import store_get_or_create
from tests.factories import at, make_article, stock_snapshot

ORIGIN = at(1, 8)
SERIAL = itertools.count()

facts = st.lists(
    st.tuples(
        st.sampled_from(["receive", "loss", "count"]),
        st.integers(min_value=0, max_value=1),  # article
        st.integers(min_value=0, max_value=1),  # store
        st.integers(min_value=1, max_value=30),  # quantity
        st.integers(min_value=0, max_value=4),  # minutes after ORIGIN: ties are likely
    ),
    max_size=25,
)


def by_definition(article_id, store_id):
    """Last count (by instant, then id) plus the movements strictly after it."""
    counts = sorted(
        InventoryCount.objects.filter(article_id=article_id, store_id=store_id),
        key=lambda c: (c.counted_at, str(c.id)),
    )
    movements = StockMovement.objects.filter(article_id=article_id, store_id=store_id)
    if not counts:
        return sum((m.quantity for m in movements), Decimal(0))
    last = counts[-1]
    return last.quantity + sum(
        (m.quantity for m in movements if m.occurred_at > last.counted_at), Decimal(0)
    )


@pytest.mark.slow
@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(facts)
def test_levels_follow_the_definition_in_any_arrival_order(till, sequence):
    serial = next(SERIAL)
    articles = [make_article(f"P{serial}-{i}") for i in range(2)]
    stores = [till.store, store_get_or_create(name="Dépôt")]
    for kind, a, s, quantity, minutes in sequence:
        args = {
            "article": articles[a].code,
            "quantity": quantity,
            "store": stores[s].name,
            "at": ORIGIN + timedelta(minutes=minutes),
        }
        if kind == "receive":
            stock_receive(**args)
        elif kind == "loss":
            stock_loss(**args)
        else:
            stock_count(**args)
    for article in articles:
        for store in stores:
            row = StockLevel.objects.filter(article=article, store=store).first()
            expected = by_definition(article.pk, store.pk)
            assert (row.quantity if row else Decimal(0)) == expected
    incremental = stock_snapshot()
    stock_rebuild()
    assert stock_snapshot() == incremental
