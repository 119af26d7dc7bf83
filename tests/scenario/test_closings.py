"""Scenario: a till's closings reach the hub once, as they were made (real hub and till)."""

from __future__ import annotations

import pytest

from tests.scenario.conftest import Shop

pytestmark = [pytest.mark.slow, pytest.mark.scenario]


def test_closings_made_on_a_till_reach_the_hub_exactly_once(shop: Shop) -> None:
    till = shop.add_till("Caisse 1")
    # Three past days of sales, through the services, in time order: the first sale of each
    # day closes the days before it.
    shop.run(
        till,
        "demo_populate",
        "--days",
        "3",
        "--articles",
        "5",
        "--customers",
        "1",
        "--sales-per-day",
        "3",
    )
    on_till = shop.json(till, "closing", "list", "--kind", "day")
    assert len(on_till) >= 2
    # Chained and signed in the post's ``close`` chain (issue 15).
    assert all(len(c["chain_hash"]) == 64 for c in on_till)
    assert len({c["chain_hash"] for c in on_till}) == len(on_till)
    shop.sync(till)
    shop.sync(till)  # again: nothing new, nothing doubled
    on_hub = shop.json(shop.hub_home, "closing", "list")
    assert on_hub == shop.json(till, "closing", "list")
    shop.verify(till)
