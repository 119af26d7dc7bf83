"""Reads of closings, and the figures of a till's periods gathered from its facts.

The figures come from the documents themselves (invoices with their VAT table and
payments, credit notes with theirs), never from the statistics tables. A document falls
in the day of its ``business_date``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import (
    BigIntegerField,
    CharField,
    Count,
    ExpressionWrapper,
    F,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.utils.translation import gettext as _

from comptoir.closings.figures import CASH, Amounts, Documents, PeriodFigures
from comptoir.closings.models import Closing, ClosingKind
from comptoir.lib.errors import NotFoundError, ValidationError
from comptoir.sales.models import CreditNote, CreditNoteTax, Invoice, InvoiceTax, Payment
from comptoir.stores.models import Till

# A document's place in its till's series, as one sortable number.
_RANK = ExpressionWrapper(F("year") * 10**10 + F("sequence"), output_field=BigIntegerField())
_WHOLE = "whole"  # the key of a period gathered as one
# Change is always given back in cash: the method its sum is kept under.
_CASH_METHOD = Value(CASH, output_field=CharField())


def _documents(
    till: Till, start: date, end: date, *, by_day: bool, model: Any, tax_model: Any, parent: str
) -> dict[Any, Documents]:
    """Per day (or as one: key ``_WHOLE``), the documents of ``model`` of the till."""
    docs = model.objects.filter(till=till, business_date__range=(start, end))
    keys = ["business_date"] if by_day else []

    def key(row: dict[str, Any], path: str = "business_date") -> Any:
        return row[path] if by_day else _WHOLE

    ranked = docs.annotate(rank=_RANK)
    if by_day:
        bounds = list(
            ranked.values(*keys)
            .annotate(n=Count("pk"), lo=Min("rank"), hi=Max("rank"))
            .order_by(*keys)
        )
    else:
        whole = ranked.aggregate(n=Count("pk"), lo=Min("rank"), hi=Max("rank"))
        bounds = [whole] if whole["n"] else []
    ranks = {r["lo"] for r in bounds} | {r["hi"] for r in bounds}
    numbers = dict(ranked.filter(rank__in=ranks).values_list("rank", "number"))
    taxes: dict[Any, dict[Decimal, Amounts]] = defaultdict(dict)
    day = f"{parent}__business_date"
    rows = (
        tax_model.objects.filter(**{f"{parent}__in": docs.values("pk")})
        .values(*([day] if by_day else []), "vat_rate")
        .annotate(excl=Sum("base_excl_tax"), vat=Sum("tax"), incl=Sum("total_incl_tax"))
        .order_by(*([day] if by_day else []), "vat_rate")
    )
    for r in rows:
        taxes[key(r, day)][Decimal(r["vat_rate"])] = Amounts(r["excl"], r["vat"], r["incl"])
    return {
        key(r): Documents(
            count=r["n"],
            first=numbers[r["lo"]],
            last=numbers[r["hi"]],
            by_rate=dict(sorted(taxes[key(r)].items())),
        )
        for r in bounds
    }


def _sums(
    qs: QuerySet[Any], day: str | None, method: str, amount: str
) -> dict[Any, dict[str, int]]:
    out: dict[Any, dict[str, int]] = defaultdict(dict)
    keys = [day] if day else []
    for r in qs.values(*keys, method).annotate(total=Sum(amount)).order_by(*keys, method):
        if r["total"]:
            out[r[day] if day else _WHOLE][r[method]] = r["total"]
    return out


def _gather(till: Till, start: date, end: date, *, by_day: bool) -> dict[Any, PeriodFigures]:
    invoices = _documents(
        till, start, end, by_day=by_day, model=Invoice, tax_model=InvoiceTax, parent="invoice"
    )
    notes = _documents(
        till,
        start,
        end,
        by_day=by_day,
        model=CreditNote,
        tax_model=CreditNoteTax,
        parent="credit_note",
    )
    in_range = Q(business_date__range=(start, end), till=till)
    payments = _sums(
        Payment.objects.filter(invoice__till=till, invoice__business_date__range=(start, end)),
        "invoice__business_date" if by_day else None,
        "method",
        "amount",
    )
    change = _sums(
        Invoice.objects.filter(in_range, change_given__gt=0).annotate(m=_CASH_METHOD),
        "business_date" if by_day else None,
        "m",
        "change_given",
    )
    refunds = _sums(
        CreditNote.objects.filter(in_range),
        "business_date" if by_day else None,
        "refund_method",
        "total_incl_tax",
    )
    out: dict[Any, PeriodFigures] = {}
    for k in set(invoices) | set(notes) | set(payments) | set(refunds):
        received = dict(payments.get(k, {}))
        given = change.get(k, {}).get(CASH, 0)
        if given:
            received[CASH] = received.get(CASH, 0) - given
        out[k] = PeriodFigures(
            invoices=invoices.get(k, Documents()),
            credit_notes=notes.get(k, Documents()),
            payments={m: a for m, a in sorted(received.items()) if a},
            refunds=dict(sorted(refunds.get(k, {}).items())),
        )
    return out


def figures_by_day(*, till: Till, start: date, end: date) -> dict[date, PeriodFigures]:
    """The till's figures of each day from ``start`` to ``end`` that has documents."""
    return _gather(till, start, end, by_day=True)


def figures_between(*, till: Till, start: date, end: date) -> PeriodFigures:
    """The till's figures from ``start`` to ``end`` as one period, gathered in one go from
    the facts (what a month or a year built from its days is checked against)."""
    return _gather(till, start, end, by_day=False).get(_WHOLE, PeriodFigures())


def first_document_day(*, till: Till) -> date | None:
    """The day of the till's first document: its closings start there."""
    days = [
        model.objects.filter(till=till).aggregate(d=Min("business_date"))["d"]
        for model in (Invoice, CreditNote)
    ]
    return min((d for d in days if d is not None), default=None)


def closing_last(*, till: Till, kind: str) -> Closing | None:
    return Closing.objects.filter(till=till, kind=kind).order_by("-period_start").first()


def closing_list(
    *, till: Till | None = None, kind: str | None = None, limit: int | None = None
) -> QuerySet[Closing]:
    """Closings, the latest period first (days before the month and year ending with them)."""
    qs = Closing.objects.select_related("till", "store").order_by(
        "-period_end", "-period_start", "till__prefix"
    )
    if till is not None:
        qs = qs.filter(till=till)
    if kind:
        qs = qs.filter(kind=kind)
    return qs[:limit] if limit else qs


def _bad_key(key: str) -> ValidationError:
    return ValidationError(
        _(
            "Clôture invalide : « %(key)s » (un identifiant, ou day:AAAA-MM-JJ, month:AAAA-MM, "
            "year:AAAA ou year:AAAA-MM, précédé de PREFIXE: sur le serveur)."
        )
        % {"key": key}
    )


KEY_KINDS = {
    "day": ClosingKind.DAY,
    "jour": ClosingKind.DAY,
    "month": ClosingKind.MONTH,
    "mois": ClosingKind.MONTH,
    "year": ClosingKind.YEAR,
    "exercice": ClosingKind.YEAR,
}


def closing_get(*, key: str, till: Till | None) -> Closing:
    """A closing by its id, or by its key (``day:2026-11-30``, ``month:2026-11``,
    ``year:2026-01``: the first month of the fiscal year), of ``till`` unless the key
    starts with a till's prefix (``C2:day:2026-11-30``)."""
    from uuid import UUID

    text = key.strip()
    try:
        pk = UUID(text)
    except ValueError:
        pk = None
    if pk is not None:
        closing = closing_list().filter(pk=pk).first()
    else:
        parts = text.split(":")
        if len(parts) == 3:
            prefix, *parts = parts
            till = Till.objects.filter(prefix=prefix).first()
            if till is None:
                raise NotFoundError(_("Caisse inconnue : « %(p)s ».") % {"p": prefix})
        if len(parts) != 2 or parts[0].lower() not in KEY_KINDS:
            raise _bad_key(key)
        kind = KEY_KINDS[parts[0].lower()]
        try:
            if kind == ClosingKind.DAY:
                start = date.fromisoformat(parts[1])
            elif kind == ClosingKind.YEAR and parts[1].isdigit():
                start = None  # the fiscal year that starts in that calendar year
                year = int(parts[1])
            else:
                year, month = map(int, parts[1].split("-"))
                start = date(year, month, 1)
        except ValueError:
            raise _bad_key(key) from None
        found = closing_list(till=till, kind=kind)
        if start is None:
            closing = found.filter(period_start__year=year).first()
        else:
            closing = found.filter(period_start=start).first()
    if closing is None:
        raise NotFoundError(_("Clôture introuvable : « %(key)s ».") % {"key": key})
    return closing


def closing_recomputed(*, closing: Closing) -> dict[str, Any]:
    """What ``closing`` holds, recomputed from its till's facts as they are now: the
    period's figures gathered in one go (:func:`figures_between`, not from the closings
    of its days), and the perpetual totals from every document of the till up to the end
    of the period. Keys are the closing's field names (read-only: a check, for
    ``closing_differences``)."""
    figures = figures_between(till=closing.till, start=closing.period_start, end=closing.period_end)
    since = figures_between(till=closing.till, start=date.min, end=closing.period_end)
    sales, returns, total = figures.sales, figures.returns, figures.total
    return {
        "currency": closing.till.store.currency,
        "invoice_count": figures.invoices.count,
        "invoice_first": figures.invoices.first,
        "invoice_last": figures.invoices.last,
        "credit_note_count": figures.credit_notes.count,
        "credit_note_first": figures.credit_notes.first,
        "credit_note_last": figures.credit_notes.last,
        "sales_excl_vat": sales.excl_vat,
        "sales_vat": sales.vat,
        "sales_incl_vat": sales.incl_vat,
        "returns_excl_vat": returns.excl_vat,
        "returns_vat": returns.vat,
        "returns_incl_vat": returns.incl_vat,
        "total_excl_vat": total.excl_vat,
        "total_vat": total.vat,
        "total_incl_vat": total.incl_vat,
        "by_rate": figures.by_rate_data(),
        "payments": dict(figures.payments),
        "refunds": dict(figures.refunds),
        "perpetual_total": since.sales.incl_vat - abs(since.returns.incl_vat),
        "perpetual_absolute_total": since.sales.incl_vat + abs(since.returns.incl_vat),
    }


def closing_differences(*, closing: Closing) -> dict[str, tuple[Any, Any]]:
    """The fields of ``closing`` that differ from :func:`closing_recomputed`, each with
    (kept, recomputed): empty when the closing equals its recomputation from the facts."""
    return {
        name: (getattr(closing, name), value)
        for name, value in closing_recomputed(closing=closing).items()
        if getattr(closing, name) != value
    }
