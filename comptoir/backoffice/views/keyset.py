"""Keyset paging for the long document lists (invoices, credit notes).

A page is "the rows just older (``?after=``) or just newer (``?before=``) than document
N", N being a document number: the URL stays readable and shareable, and a deep page
costs what the first one costs, where ``OFFSET`` made PostgreSQL and SQLite walk every
skipped row. Rows are ordered newest first on (date, number); the number is unique, so
two documents with the same timestamp are neither skipped nor repeated across pages.

The total is counted up to :data:`COUNT_CAP` only: counting 200,000 rows on every page
is the cost keyset paging removes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import Q, QuerySet
from django.http import HttpRequest

from comptoir.backoffice.views import common

COUNT_CAP = 10_000
T = TypeVar("T")


@dataclass(frozen=True)
class KeysetPage(Generic[T]):
    """One page of rows, the cursors of its neighbours (None: none) and a capped count."""

    object_list: list[T]
    previous_cursor: str | None
    next_cursor: str | None
    count: int
    count_capped: bool

    def __iter__(self) -> Iterator[T]:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    @property
    def count_cap(self) -> int:
        return COUNT_CAP


def _older(date_field: str, when: Any, number: str) -> Q:
    # The redundant ``date <= when`` is what an index on the date can seek to; the OR
    # alone makes the database scan from the newest row down to the cursor.
    return Q(**{f"{date_field}__lte": when}) & (
        Q(**{f"{date_field}__lt": when}) | Q(**{date_field: when, "number__lt": number})
    )


def _newer(date_field: str, when: Any, number: str) -> Q:
    return Q(**{f"{date_field}__gte": when}) & (
        Q(**{f"{date_field}__gt": when}) | Q(**{date_field: when, "number__gt": number})
    )


def keyset_paginate(
    request: HttpRequest, qs: QuerySet[Any], *, date_field: str, per_page: int | None = None
) -> KeysetPage[Any]:
    """The page ``?after=N`` / ``?before=N`` selects in ``qs`` (the first page without).

    ``qs`` must be ordered by ``-<date_field>, -number``. An unknown cursor gives the
    first page. A cursor need not match the filters: it only marks a place in the order.
    """
    per_page = per_page or common.PER_PAGE
    cursor, newer = request.GET.get("after", "").strip(), False
    if not cursor:
        cursor, newer = request.GET.get("before", "").strip(), True
    when = None
    if cursor:
        when = (
            qs.model._default_manager.filter(number=cursor)
            .values_list(date_field, flat=True)
            .first()
        )

    def exists(make: Callable[[str, Any, str], Q], row: Any) -> bool:
        # Ordered from the row outwards: ``exists()`` drops the ordering, and PostgreSQL
        # then read the heap from the oldest rows up, 100,000 of them for a deep page.
        near = qs.filter(
            make(date_field, when, cursor)
            if row is None
            else make(date_field, getattr(row, date_field), row.number)
        )
        return bool((near.reverse() if make is _newer else near).values_list("pk")[:1])

    rows: list[Any] = []
    if when is not None and newer:
        rows = list(qs.filter(_newer(date_field, when, cursor)).reverse()[: per_page + 1])
        if len(rows) > per_page:
            rows = rows[:per_page][::-1]
            has_newer, has_older = True, exists(_older, rows[-1])
        else:
            when = None  # back at the top: a full first page, not the few newest rows
    if when is None:
        rows = list(qs[: per_page + 1])
        has_newer, has_older = False, len(rows) > per_page
        rows = rows[:per_page]
    elif not newer:
        rows = list(qs.filter(_older(date_field, when, cursor))[: per_page + 1])
        has_older = len(rows) > per_page
        rows = rows[:per_page]
        # The cursor may come from a shared URL whose rows no longer match the filters.
        has_newer = exists(_newer, rows[0] if rows else None)
    count = qs.order_by().values("pk")[: COUNT_CAP + 1].count()
    return KeysetPage(
        object_list=rows,
        previous_cursor=(rows[0].number if rows else cursor) if has_newer else None,
        next_cursor=rows[-1].number if has_older else None,
        count=min(count, COUNT_CAP),
        count_capped=count > COUNT_CAP,
    )
