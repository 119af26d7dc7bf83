"""What every kind of import shares: rows as read, their errors, their plan, the check loop."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

from django.db import connection
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from comptoir.lib.errors import ComptoirError, ValidationError

T = TypeVar("T")
# Rows looked up with one ``IN (...)`` query: well under SQLite's bound on parameters.
LOOKUP_BATCH = 2000
# How often (rows) the check reports its progress.
CHECK_REPORT_EVERY = 1000


@dataclass(frozen=True)
class Row:
    line: int  # line of the file where the row starts (the header is line 1)
    values: dict[str, str]
    error: str = ""  # set when the row cannot even be read (wrong number of fields)


@dataclass(frozen=True)
class RowError:
    line: int
    message: str


@dataclass
class Plan:
    """What one line of the file will write, decided before anything is written.

    ``target`` is the existing row the line updates (found by its code), or None for a
    new row; ``fields`` holds the values of the columns the file has (attnames), so that
    an update leaves the other fields as they are; ``extra`` what a kind writes beside
    the row (an article's barcodes and shelf).
    """

    line: int
    target: UUID | None
    fields: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: Counts) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged


def check_rows(
    rows: Sequence[Row],
    required: tuple[str, ...],
    clean: Callable[[Row], T],
    progress: Callable[[int], None] | None,
) -> tuple[list[tuple[Row, T]], list[RowError]]:
    """Each row's cleaned values (``clean`` raises a ``ComptoirError`` to refuse one),
    and the refused rows with their reason. Writes nothing."""
    good: list[tuple[Row, T]] = []
    errors: list[RowError] = []
    for n, row in enumerate(rows, 1):
        try:
            if row.error:
                raise ValidationError(row.error)
            empty = [c for c in required if not row.values.get(c)]
            if empty:
                raise ValidationError(
                    _("La colonne « %(column)s » est vide.") % {"column": empty[0]}
                )
            good.append((row, clean(row)))
        except ComptoirError as exc:
            errors.append(RowError(row.line, exc.message))
        if progress and n % CHECK_REPORT_EVERY == 0:
            progress(n)
    return good, errors  # the last report comes once the database checks are done too


def batches(items: Sequence[T], size: int = LOOKUP_BATCH) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def where_in(
    query: QuerySet[Any], attname: str, values: Collection[Any]
) -> Iterator[QuerySet[Any]]:
    """``query`` restricted to rows whose ``attname`` is one of ``values``: one query
    with ``= ANY(array)`` on PostgreSQL (five times faster to build and send than
    ``IN (...)`` lists of 2,000 parameters, whatever the file's size), batches of
    ``IN (...)`` elsewhere."""
    if connection.vendor == "postgresql":
        meta = query.model._meta
        column = f"{meta.db_table}.{meta.get_field(attname).column}"
        quoted = ".".join(connection.ops.quote_name(part) for part in column.split("."))
        yield query.extra(where=[f"{quoted} = ANY(%s)"], params=[list(values)])
        return
    for batch in batches(sorted(values)):
        yield query.filter(**{f"{attname}__in": batch})


def first_by_code(
    model: type[Model], codes: Iterable[str], order: tuple[str, ...], *columns: str
) -> dict[str, tuple[Any, ...]]:
    """Per code, the ``columns`` of the row a lookup by that code picks (the first in
    ``order``: of twins, the active one, then the oldest)."""
    found: dict[str, tuple[Any, ...]] = {}
    base = model._default_manager.order_by("code", *order)
    for query in where_in(base, "code", set(codes)):
        for code, *values in query.values_list("code", *columns):
            found.setdefault(code, tuple(values))
    return found
