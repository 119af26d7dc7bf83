"""Making closings: every period of a till that is over and not closed yet, lazily.

A period closes at the first action after its end (store time zone): the validation of a
document (``sales.hooks``, with the document's day), the start of ``comptoir serve`` and
each cycle of the background worker (``closings_close_due``). Every earlier period still
open closes with it, in order: days (a day without documents too, zero totals, perpetual
totals carried), then the months made of those days, then the fiscal years made of those
months. A month or a year is the sum of its closings, checked against the facts: one
that differs is not made (logged, and tried again when the next day closes).

Each run locks the till's document chain (``stores.services.chain_head_lock``, the lock a
document takes to be numbered), so that a worker and a sale at midnight queue: the second
finds the periods closed. The unique constraint of ``Closing`` holds it anyway.

Each closing is chained and signed in its post's ``close`` chain of the fiscal journal
as it is made, in that transaction (:func:`_linked`; the hashed values:
``closings.journal_setup.closing_values``, from what the closing stores).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.closings.errors import ClosingMismatch
from comptoir.closings.figures import (
    Documents,
    PeriodFigures,
    Perpetual,
    combine,
    days,
    fiscal_year_of,
    month_of,
    rates_from_data,
)
from comptoir.closings.journal_setup import CLOSINGS, closing_values
from comptoir.closings.models import Closing, ClosingKind
from comptoir.closings.selectors import (
    closing_last,
    figures_between,
    figures_by_day,
    first_document_day,
)
from comptoir.events.models import EventKind
from comptoir.events.services import event_record, post_verified
from comptoir.journal.kinds import head_kind
from comptoir.journal.services import journal_link, snapshots
from comptoir.stores.models import Till
from comptoir.stores.selectors import till_store_id
from comptoir.stores.services import chain_head_lock
from comptoir.sync import capture

log = logging.getLogger("comptoir.closings")


def _totals(closing: Closing) -> dict[str, Any]:
    """What a closing adds up (its values less its period and instant)."""
    names = (
        "currency",
        "invoice_count",
        "invoice_first",
        "invoice_last",
        "credit_note_count",
        "credit_note_first",
        "credit_note_last",
        "sales_excl_vat",
        "sales_vat",
        "sales_incl_vat",
        "returns_excl_vat",
        "returns_vat",
        "returns_incl_vat",
        "total_excl_vat",
        "total_vat",
        "total_incl_vat",
        "by_rate",
        "payments",
        "refunds",
        "perpetual_total",
        "perpetual_absolute_total",
    )
    return {name: getattr(closing, name) for name in names}


def closing_build(
    *,
    till: Till,
    kind: str,
    start: date,
    end: date,
    figures: PeriodFigures,
    perpetual: Perpetual,
    at: datetime,
) -> Closing:
    """The closing (not saved) of ``till``'s period from ``start`` to ``end``: its
    ``figures``, and ``perpetual``, the running totals at the end of the period."""
    sales, returns, total = figures.sales, figures.returns, figures.total
    return Closing(
        till=till,
        store_id=till.store_id,
        kind=kind,
        period_start=start,
        period_end=end,
        closed_at=at.astimezone(UTC),
        currency=till.store.currency,
        invoice_count=figures.invoices.count,
        invoice_first=figures.invoices.first,
        invoice_last=figures.invoices.last,
        credit_note_count=figures.credit_notes.count,
        credit_note_first=figures.credit_notes.first,
        credit_note_last=figures.credit_notes.last,
        sales_excl_vat=sales.excl_vat,
        sales_vat=sales.vat,
        sales_incl_vat=sales.incl_vat,
        returns_excl_vat=returns.excl_vat,
        returns_vat=returns.vat,
        returns_incl_vat=returns.incl_vat,
        total_excl_vat=total.excl_vat,
        total_vat=total.vat,
        total_incl_vat=total.incl_vat,
        by_rate=figures.by_rate_data(),
        payments=dict(figures.payments),
        refunds=dict(figures.refunds),
        perpetual_total=perpetual.total,
        perpetual_absolute_total=perpetual.absolute,
        **snapshots(till),
    )


def _linked(till: Till, closings: list[Closing]) -> list[Closing]:
    """Chain and sign ``closings`` (made on ``till``, this post's), in order, then store
    them. Runs in the closings' transaction, under the document chain's lock (taken
    first: the lock order), then the closing chain's."""
    if not closings:
        return []
    head = chain_head_lock(till=till, chain=head_kind(CLOSINGS))
    for closing in closings:
        link = journal_link(till=till, kind="closing", values=closing_values(closing), head=head)
        for name, value in link.items():
            setattr(closing, name, value)
    return Closing.objects.bulk_create(closings)


def closing_figures(closing: Closing) -> PeriodFigures:
    """The figures a closing keeps, back (to sum days into a month, months into a year)."""
    sales, returns = rates_from_data(closing.by_rate)
    return PeriodFigures(
        invoices=Documents(
            closing.invoice_count, closing.invoice_first, closing.invoice_last, sales
        ),
        credit_notes=Documents(
            closing.credit_note_count, closing.credit_note_first, closing.credit_note_last, returns
        ),
        payments=dict(closing.payments),
        refunds=dict(closing.refunds),
    )


def _perpetual(closing: Closing | None) -> Perpetual:
    if closing is None:
        return Perpetual()
    return Perpetual(closing.perpetual_total, closing.perpetual_absolute_total)


def _close_days(till: Till, last: Closing | None, end: date, at: datetime) -> list[Closing]:
    start = last.period_end + timedelta(days=1) if last else first_document_day(till=till)
    if start is None or start > end:
        return []
    found = figures_by_day(till=till, start=start, end=end)
    perpetual = _perpetual(last)
    made = []
    for day in days(start, end):
        figures = found.get(day, PeriodFigures())
        perpetual = perpetual.after(figures)
        made.append(
            closing_build(
                till=till,
                kind=ClosingKind.DAY,
                start=day,
                end=day,
                figures=figures,
                perpetual=perpetual,
                at=at,
            )
        )
    return _linked(till, made)


def _close_from(
    till: Till, kind: str, part_kind: str, bounds: Any, end: date, at: datetime
) -> list[Closing]:
    """Close every period of ``kind`` (its first and last days by ``bounds(day)``) over by
    ``end``, each the sum of its closings of ``part_kind``, checked against the facts."""
    last = closing_last(till=till, kind=kind)
    parts = Closing.objects.filter(till=till, kind=part_kind)
    if last is not None:
        parts = parts.filter(period_start__gt=last.period_end)
    first_part = parts.order_by("period_start").first()
    if first_part is None:
        return []
    made = []
    start, stop = bounds(first_part.period_start)
    while stop <= end:
        within = list(
            parts.filter(period_start__gte=start, period_end__lte=stop).order_by("period_start")
        )
        if within:
            figures = combine(closing_figures(c) for c in within)
            closing = closing_build(
                till=till,
                kind=kind,
                start=start,
                end=stop,
                figures=figures,
                perpetual=_perpetual(within[-1]),
                at=at,
            )
            try:
                _check(closing, figures_between(till=till, start=start, end=stop))
            except ClosingMismatch as exc:  # left open, tried again with the next day
                log.error("%s", exc)
            else:
                made.append(closing)
        start, stop = bounds(stop + timedelta(days=1))
    return _linked(till, made)


def _check(closing: Closing, facts: PeriodFigures) -> None:
    """Refuse a closing whose sum of closings differs from its facts."""
    from_facts = closing_build(
        till=closing.till,
        kind=closing.kind,
        start=closing.period_start,
        end=closing.period_end,
        figures=facts,
        perpetual=Perpetual(closing.perpetual_total, closing.perpetual_absolute_total),
        at=closing.closed_at,
    )
    if _totals(from_facts) != _totals(closing):
        raise ClosingMismatch(
            _(
                "La clôture %(kind)s du %(start)s au %(end)s de la caisse %(till)s ne "
                "correspond pas aux documents de la période : elle n'est pas faite."
            )
            % {
                "kind": ClosingKind(closing.kind).label,
                "start": closing.period_start.isoformat(),
                "end": closing.period_end.isoformat(),
                "till": closing.till.prefix,
            }
        )


@transaction.atomic(savepoint=False)
def closings_close_block(*, till: Till, until: date, at: datetime | None = None) -> list[Closing]:
    """Close every period of ``till`` that ends before ``until`` (a day in the store's time
    zone: the day of the action that closes them) and is not closed yet. Returns the
    closings made, in order (days, months, years)."""
    at = at or timezone.now()
    if not Till.store.is_cached(till):
        till = Till.objects.select_related("store").get(pk=till.pk)
    if capture.is_hub():
        # One lock order on the hub: change log, then rows (``sync.synced``): the closings
        # and their event append to the log after locking the chain heads. They are rows
        # of the till's store (its ordering domain, when the use case holds one).
        capture.lock_log(till.store_id)
    chain_head_lock(till=till)
    end = until - timedelta(days=1)
    last = closing_last(till=till, kind=ClosingKind.DAY)
    if last is not None and last.period_end >= end:
        return []  # the months and years ending by then closed with their last day
    first_month = till.store.fiscal_year_start
    made = _close_days(till, last, end, at)
    if not made:  # no day ended: no month or year either (see above)
        return []
    made += _close_from(till, ClosingKind.MONTH, ClosingKind.DAY, month_of, end, at)
    made += _close_from(
        till,
        ClosingKind.YEAR,
        ClosingKind.MONTH,
        lambda day: fiscal_year_of(day, first_month),
        end,
        at,
    )
    days = [c for c in made if c.kind == ClosingKind.DAY]
    event_record(
        kind=EventKind.CLOSING_MADE,
        till=till,
        at=at,
        details={
            "days": len(days),
            "from": days[0].period_start.isoformat(),
            "to": days[-1].period_end.isoformat(),
            "months": sum(c.kind == ClosingKind.MONTH for c in made),
            "years": sum(c.kind == ClosingKind.YEAR for c in made),
        },
    )
    # ``journal verify`` runs by itself after each closing: once for the closings made
    # together, on this post's chains only, after they are committed (not in the sale's
    # or the push's transaction; dropped with them if they roll back).
    transaction.on_commit(partial(post_verified, till.pk, cause="closing"))
    return made


@capture.store_use_case(till_store_id)
def closings_close(*, till: Till, until: date, at: datetime | None = None) -> list[Closing]:
    """:func:`closings_close_block` in its own transaction, holding on the hub only the
    ordering domain of the till's store."""
    return closings_close_block(till=till, until=until, at=at)


def own_tills() -> Iterable[Till]:
    """The tills this post holds: it closes their periods, and only theirs."""
    return Till.objects.filter(node_id=settings.COMPTOIR_NODE_ID, archived=False).order_by("pk")


# Per process: the day up to which a till's periods are known closed (committed). Closings
# are immutable and never removed, so the next actions of that day need not look again: a
# sale, or a worker's cycle, then costs no query (and no lock) for its closings. Set only
# once the closing's transaction committed.
_closed_before: dict[object, date] = {}


def closings_close_due(*, at: datetime | None = None) -> list[Closing]:
    """Close what is due on every till of this post, as of ``at`` (now by default): what the
    start of ``comptoir serve`` and the workers' cycles call."""
    at = at or timezone.now()
    day = timezone.localdate(at)
    made: list[Closing] = []
    for till in own_tills():
        known = _closed_before.get(till.pk)
        if known is not None and day <= known:  # same day, or a clock set back
            continue
        made += closings_close(till=till, until=day, at=at)
        _closed_before[till.pk] = day  # committed (``closings_close`` is durable)
    return made


def closings_close_before_document(till: Till, day: date) -> date:
    """The sales hook: before a document of ``day`` is numbered on ``till``, in its
    transaction, close the till's periods over by then, and give the document's business
    day: ``day``, or the first day still open when ``day`` is already closed (a clock set
    back after a closing: a closed period never takes a document again; the document keeps
    its true instant, and the event log says what happened). Never stops the sale: closings
    that cannot be made are logged and rolled back alone (their savepoint), and tried again
    at the next action."""
    known = _closed_before.get(till.pk)
    if known == day:
        return day
    if known is not None and day < known:
        _clock_set_back(till, day, known)
        return known
    try:
        with transaction.atomic():
            closings_close_block(till=till, until=day)
    except Exception:  # a sale is never refused for its closings
        log.exception("clôtures de la caisse %s non faites (nouvel essai plus tard)", till.prefix)
        return day
    last = (
        Closing.objects.filter(till=till, kind=ClosingKind.DAY)
        .order_by("-period_start")
        .values_list("period_start", flat=True)
        .first()
    )
    open_day = day if last is None or last < day else last + timedelta(days=1)
    if open_day != day:
        _clock_set_back(till, day, open_day)
    transaction.on_commit(lambda: _closed_before.__setitem__(till.pk, open_day))
    return open_day


# Per process: the tills whose clock was found set back into a closed day, and that day
# (one technical event per occurrence, not one per document).
_set_back_noted: dict[object, date] = {}


def _clock_set_back(till: Till, day: date, open_day: date) -> None:
    if _set_back_noted.get(till.pk) == day:
        return
    log.warning(
        "caisse %s : horloge au %s, jour déjà clôturé ; documents datés du %s",
        till.prefix,
        day,
        open_day,
    )
    event_record(
        kind=EventKind.CLOCK_JUMP,
        till=till,
        details={"cause": "closed_day", "clock_day": day.isoformat(), "day": open_day.isoformat()},
    )
    transaction.on_commit(lambda: _set_back_noted.__setitem__(till.pk, day))
