"""The bench's chain fill (``bench/pages.py``) at a small size: every chain page answers,
and the sync page counts the tills the fill made, by state."""

from __future__ import annotations

from typing import Any

from bench.pages import CHAIN_PAGES, fill_chain, measure_chain
from comptoir.dashboard.sync_selectors import nodes_summary
from comptoir.stores.models import Till


def test_the_chain_fill_makes_pages_that_answer(settings: Any, till: Till) -> None:
    settings.COMPTOIR_ROLE = "hub"
    filled = fill_chain(stores=8, tills=200)
    summary = nodes_summary()
    assert summary.total == 200
    assert (summary.late, summary.never, summary.revoked, summary.pending) == (2, 4, 1, 8)
    rows = measure_chain(store=filled["store"], store_name=filled["store_name"], repeat=1)
    assert [name for name, _p50, _worst in rows] == [name for name, _url in CHAIN_PAGES]
