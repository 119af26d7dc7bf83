"""Reads of cash sessions: the open one, lists, and the figures of a report.

A session's documents are the till's invoices and credit notes numbered after the
opening's bounds and, once closed, up to the closing's (``models.DocumentBounds``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.cash.models import CashMovement, CashMovementKind, CashSession, DocumentBounds
from comptoir.cash.reports import DocumentTotals, SessionFigures, SessionReport, VatRow
from comptoir.lib.errors import NotFoundError
from comptoir.sales.models import (
    AccountSettlement,
    CreditNote,
    CreditNoteTax,
    Invoice,
    InvoiceLine,
    InvoiceTax,
    Payment,
)
from comptoir.stores.models import Till


def session_open_get(*, till: Till) -> CashSession | None:
    """The till's open session (at most one: see ``cash.models``), or None."""
    return CashSession.objects.filter(till=till, closing__isnull=True).order_by("-number").first()


def session_list(*, till: Till | None = None, limit: int | None = None) -> QuerySet[CashSession]:
    """Sessions, newest first, with their closing (None while open)."""
    qs = CashSession.objects.select_related("till", "closing").order_by("-opened_at", "-number")
    if till is not None:
        qs = qs.filter(till=till)
    return qs[:limit] if limit else qs


def session_get(*, till: Till, number: int) -> CashSession:
    session = session_list(till=till).filter(number=number).first()
    if session is None:
        raise NotFoundError(_("Session de caisse n° %(n)d introuvable.") % {"n": number})
    return session


def till_bounds(*, till: Till) -> dict[str, int]:
    """The till's last invoice and credit-note numbers now, as ``DocumentBounds`` values."""
    invoice = (
        Invoice.objects.filter(till=till)
        .order_by("-year", "-sequence")
        .values_list("year", "sequence")
        .first()
    )
    credit_note = (
        CreditNote.objects.filter(till=till)
        .order_by("-year", "-sequence")
        .values_list("year", "sequence")
        .first()
    )
    return {
        "invoice_year": invoice[0] if invoice else 0,
        "invoice_sequence": invoice[1] if invoice else 0,
        "credit_note_year": credit_note[0] if credit_note else 0,
        "credit_note_sequence": credit_note[1] if credit_note else 0,
    }


def _between(prefix: str, start: DocumentBounds, end: DocumentBounds | None) -> Q:
    """Documents numbered after ``start``'s ``prefix`` number and up to ``end``'s."""
    year, sequence = getattr(start, f"{prefix}_year"), getattr(start, f"{prefix}_sequence")
    q = Q(year__gt=year) | Q(year=year, sequence__gt=sequence)
    if end is not None:
        year, sequence = getattr(end, f"{prefix}_year"), getattr(end, f"{prefix}_sequence")
        q &= Q(year__lt=year) | Q(year=year, sequence__lte=sequence)
    return q


def session_documents(
    *, session: CashSession, end: DocumentBounds | None = None
) -> tuple[QuerySet[Invoice], QuerySet[CreditNote]]:
    """The session's invoices and credit notes, up to ``end`` (by default its closing if
    it has one, else everything numbered since the opening)."""
    if end is None:
        end = getattr(session, "closing", None)
    invoices = Invoice.objects.filter(
        Q(till_id=session.till_id) & _between("invoice", session, end)
    )
    credit_notes = CreditNote.objects.filter(
        Q(till_id=session.till_id) & _between("credit_note", session, end)
    )
    return invoices, credit_notes


def _rates(model: Any, parent: str, ids: QuerySet[Any]) -> tuple[VatRow, ...]:
    rows = (
        model.objects.filter(**{f"{parent}__in": ids})
        .values("vat_rate")
        .annotate(excl=Sum("base_excl_tax"), vat=Sum("tax"), incl=Sum("total_incl_tax"))
        .order_by("vat_rate")
    )
    return tuple(VatRow(Decimal(r["vat_rate"]), r["excl"], r["vat"], r["incl"]) for r in rows)


def _documents(qs: QuerySet[Any], model: Any, parent: str) -> DocumentTotals:
    numbers = qs.order_by("year", "sequence").values_list("number", flat=True)
    count = qs.count()
    if not count:
        return DocumentTotals()
    return DocumentTotals(
        count=count,
        first=numbers.first() or "",
        last=numbers.last() or "",
        by_rate=_rates(model, parent, qs.values("pk")),
    )


def _by(qs: QuerySet[Any], key: str, amount: str) -> dict[str, int]:
    rows = qs.values(key).annotate(total=Sum(amount)).order_by(key)
    return {r[key]: r["total"] for r in rows if r["total"]}


def session_figures(*, session: CashSession, end: DocumentBounds | None = None) -> SessionFigures:
    """What the session's facts add up to (see :func:`session_documents` for ``end``)."""
    invoices, credit_notes = session_documents(session=session, end=end)
    invoice_ids = invoices.values("pk")
    moves = {
        r["kind"]: r["total"]
        for r in CashMovement.objects.filter(session=session)
        .values("kind")
        .annotate(total=Sum("amount"))
        .order_by("kind")
    }
    return SessionFigures(
        currency=session.currency,
        float_amount=session.float_amount,
        sales=_documents(invoices, InvoiceTax, "invoice"),
        returns=_documents(credit_notes, CreditNoteTax, "credit_note"),
        payments=_by(Payment.objects.filter(invoice__in=invoice_ids), "method", "amount"),
        change_given=invoices.aggregate(total=Sum("change_given"))["total"] or 0,
        refunds=_by(credit_notes, "refund_method", "total_incl_tax"),
        discounts=InvoiceLine.objects.filter(invoice__in=invoice_ids).aggregate(
            total=Sum("discount_amount")
        )["total"]
        or 0,
        cash_in=moves.get(CashMovementKind.IN, 0),
        cash_out=moves.get(CashMovementKind.OUT, 0),
        settlements=_by(session_settlements(session=session), "method", "amount"),
    )


def session_settlements(*, session: CashSession) -> QuerySet[AccountSettlement]:
    """The accounts settled at the session's till while it was open. A settlement takes
    the till's document chain lock, as a close does: it falls wholly before or after it."""
    settlements = AccountSettlement.objects.filter(
        till_id=session.till_id, settled_at__gte=session.opened_at
    )
    closing = getattr(session, "closing", None)
    if closing is not None:
        settlements = settlements.filter(settled_at__lt=closing.closed_at)
    return settlements


def report_x(*, session: CashSession) -> SessionReport:
    """The session's report now (mid-session: changes nothing; the X of a closed session
    is its Z without the count)."""
    return SessionReport(session_figures(session=session))


def report_z(*, session: CashSession) -> SessionReport:
    """The Z of a closed session, as computed and kept at its close."""
    closing = getattr(session, "closing", None)
    if closing is None:
        raise NotFoundError(
            _("La session n° %(n)d est encore ouverte : elle n'a pas de rapport Z.")
            % {"n": session.number}
        )
    return SessionReport.from_data(closing.report)


@dataclass(frozen=True)
class CashierBalance:
    """A cashier's closed sessions of a period in one currency: how many, and the sums of
    their over (counted above expected) and short (below) differences, in minor units."""

    cashier: str
    currency: str
    sessions: int
    over: int
    short: int

    @property
    def net(self) -> int:
        return self.over + self.short


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def session_search(
    *,
    store_ids: Collection[UUID] | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    till: Till | None = None,
    cashier: str | None = None,
) -> QuerySet[CashSession]:
    """Sessions opened in the period (local days, both included), in the given stores
    (all when None), of one till and one cashier (the one who opened it) when given;
    newest first, with their till and closing (None while open)."""
    qs = session_list().select_related("till__store")
    if store_ids is not None:
        qs = qs.filter(store_id__in=list(store_ids))
    if date_from is not None:
        qs = qs.filter(opened_at__gte=_day_start(date_from))
    if date_to is not None:
        qs = qs.filter(opened_at__lt=_day_start(date_to + timedelta(days=1)))
    if till is not None:
        qs = qs.filter(till=till)
    if cashier:
        qs = qs.filter(cashier=cashier)
    return qs


def session_cashiers(*, store_ids: Collection[UUID] | None = None) -> list[str]:
    """The names of the cashiers who opened a session in those stores (all when None)."""
    qs = CashSession.objects.all()
    if store_ids is not None:
        qs = qs.filter(store_id__in=list(store_ids))
    return list(qs.exclude(cashier="").values_list("cashier", flat=True).distinct().order_by())


def session_balances(*, sessions: QuerySet[CashSession]) -> list[CashierBalance]:
    """Over and short per cashier (and currency) of the closed ones of ``sessions``."""
    difference = "closing__difference"
    rows = (
        sessions.filter(closing__isnull=False)
        .order_by()
        .values("cashier", "currency")
        .annotate(
            n=Count("pk"),
            over=Sum(difference, filter=Q(closing__difference__gt=0)),
            short=Sum(difference, filter=Q(closing__difference__lt=0)),
        )
    )
    balances = [
        CashierBalance(r["cashier"], r["currency"], r["n"], r["over"] or 0, r["short"] or 0)
        for r in rows
    ]
    return sorted(balances, key=lambda b: (b.cashier.casefold(), b.currency))


def session_find(*, pk: Any, store_ids: Collection[UUID] | None = None) -> CashSession:
    """One session by id, within the given stores (all when None); another store's is
    not found, like an id that does not exist."""
    qs = session_list().select_related("till__store")
    if store_ids is not None:
        qs = qs.filter(store_id__in=list(store_ids))
    try:
        session = qs.filter(pk=pk).first()
    except (ValueError, DjangoValidationError):
        session = None
    if session is None:
        raise NotFoundError(_("Session de caisse introuvable."))
    return session
