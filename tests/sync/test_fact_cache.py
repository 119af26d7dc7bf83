"""The hub's memory of facts it served (``wire.FactCache``): a sale wakes every till of
its store at once, and the database should be read for it once, not once per till."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from comptoir.sales.services import SaleLine, invoice_sell
from comptoir.stores.models import Till
from comptoir.sync import wire
from comptoir.sync.wire import FactCache, travel
from tests.factories import make_article

LABEL = "sales.invoice"


@pytest.fixture
def cache() -> FactCache:
    made = FactCache(size=3)
    made.enabled = True
    return made


@pytest.fixture
def sold(till: Till) -> list[uuid.UUID]:
    make_article("PAIN", "1.20")
    return [invoice_sell(lines=[SaleLine("PAIN", n)]).pk for n in (1, 2, 3, 4)]


def test_a_fact_read_once_is_served_from_memory_unchanged(
    cache: FactCache, sold: list[uuid.UUID]
) -> None:
    first = cache.aggregates(LABEL, sold[:2])
    with CaptureQueriesContext(connection) as queries:
        again = cache.aggregates(LABEL, sold[:2])
    assert len(queries) == 0
    assert again == first == wire.wire_aggregates(LABEL, sold[:2])


def test_only_the_missing_facts_are_read_and_the_least_recent_is_dropped(
    cache: FactCache, sold: list[uuid.UUID], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = wire.wire_aggregates
    asked: list[list[uuid.UUID]] = []

    def counted(label: str, ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
        asked.append(list(ids))
        return real(label, ids)

    monkeypatch.setattr(travel, "wire_aggregates", counted)
    cache.aggregates(LABEL, sold[:2])
    cache.aggregates(LABEL, sold[:3])
    cache.aggregates(LABEL, [sold[3]])  # size 3: the least recently used, sold[0], goes
    cache.aggregates(LABEL, sold[1:4])
    cache.aggregates(LABEL, [sold[0]])
    assert asked == [sold[:2], [sold[2]], [sold[3]], [sold[0]]]


def test_off_it_reads_every_time(sold: list[uuid.UUID]) -> None:
    off = FactCache()
    off.aggregates(LABEL, sold[:1])
    with CaptureQueriesContext(connection) as queries:
        off.aggregates(LABEL, sold[:1])
    assert len(queries) > 0


def _counting_reads(monkeypatch: pytest.MonkeyPatch, *, fail_first: bool = False) -> list[Any]:
    """Slow reads, counted: the four requests then surely overlap."""
    calls: list[list[uuid.UUID]] = []

    def read(label: str, ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
        calls.append(list(ids))
        time.sleep(0.2)
        if fail_first and len(calls) == 1:
            raise RuntimeError("la base a disparu")
        return {row: {"rows": {label: [{"id": str(row)}]}} for row in ids}

    monkeypatch.setattr(travel, "wire_aggregates", read)
    return calls


def _together(cache: FactCache, rows: list[uuid.UUID], n: int) -> list[Any]:
    answers: list[Any] = [None] * n
    start = threading.Barrier(n)

    def ask(index: int) -> None:
        start.wait()
        try:
            answers[index] = cache.aggregates(LABEL, rows)
        except RuntimeError as exc:
            answers[index] = exc

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return answers


def test_requests_arriving_together_read_a_fact_once(
    cache: FactCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _counting_reads(monkeypatch)
    row = uuid.uuid4()
    answers = _together(cache, [row], 4)
    assert calls == [[row]]
    assert all(answer == {row: {"rows": {LABEL: [{"id": str(row)}]}}} for answer in answers)


def test_when_the_first_read_fails_the_others_read_for_themselves(
    cache: FactCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _counting_reads(monkeypatch, fail_first=True)
    row = uuid.uuid4()
    answers = _together(cache, [row], 3)
    assert sum(isinstance(a, RuntimeError) for a in answers) == 1
    assert [a for a in answers if not isinstance(a, RuntimeError)] == [
        {row: {"rows": {LABEL: [{"id": str(row)}]}}}
    ] * 2
    assert len(calls) == 3  # the failed read, then each waiter's own
