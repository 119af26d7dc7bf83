"""Closings as JSON data and as French text, for ``comptoir closing``."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.core.management.base import OutputWrapper
from django.utils.translation import gettext as _

from comptoir.closings.models import Closing, ClosingKind
from comptoir.lib.management.helpers import local_iso, local_text, write_table
from comptoir.lib.money import format_amount, format_money, money_text
from comptoir.sales.selectors import payment_method_names


def closing_data(closing: Closing, *, detail: bool = False) -> dict[str, Any]:
    """A closing, amounts as decimal strings. ``chain_hash``: its hash in the fiscal
    journal (empty for a closing made before closings were chained)."""
    money = partial(format_amount, currency=closing.currency)
    data: dict[str, Any] = {
        "id": str(closing.pk),
        "key": closing.key,
        "till": closing.till.prefix,
        "kind": closing.kind,
        "period_start": closing.period_start.isoformat(),
        "period_end": closing.period_end.isoformat(),
        "closed_at": local_iso(closing.closed_at),
        "currency": closing.currency,
        "invoices": {
            "count": closing.invoice_count,
            "first": closing.invoice_first,
            "last": closing.invoice_last,
        },
        "credit_notes": {
            "count": closing.credit_note_count,
            "first": closing.credit_note_first,
            "last": closing.credit_note_last,
        },
        "sales_incl_vat": money(closing.sales_incl_vat),
        "returns_incl_vat": money(closing.returns_incl_vat),
        "total_excl_vat": money(closing.total_excl_vat),
        "total_vat": money(closing.total_vat),
        "total_incl_vat": money(closing.total_incl_vat),
        "perpetual_total": money(closing.perpetual_total),
        "perpetual_absolute_total": money(closing.perpetual_absolute_total),
        "chain_hash": closing.chain_hash or "",
    }
    if detail:
        data |= {
            "sales": {
                "excl_vat": money(closing.sales_excl_vat),
                "vat": money(closing.sales_vat),
                "incl_vat": money(closing.sales_incl_vat),
            },
            "returns": {
                "excl_vat": money(closing.returns_excl_vat),
                "vat": money(closing.returns_vat),
                "incl_vat": money(closing.returns_incl_vat),
            },
            "by_rate": [
                {
                    "rate": row["rate"],
                    **{
                        side: {k: money(v) for k, v in row[side].items()}
                        for side in ("sales", "returns")
                    },
                }
                for row in closing.by_rate
            ],
            "payments": {m: money(a) for m, a in closing.payments.items()},
            "refunds": {m: money(a) for m, a in closing.refunds.items()},
        }
    return data


def method_labels(closing: Closing) -> dict[str, str]:
    """The names of ``closing``'s store's payment methods by code, in one query."""
    return payment_method_names(store_ids=[closing.store_id])


def period_label(closing: Closing) -> str:
    if closing.kind == ClosingKind.DAY:
        return closing.period_start.strftime("%d/%m/%Y")
    if closing.kind == ClosingKind.MONTH:
        return closing.period_start.strftime("%m/%Y")
    start, end = closing.period_start, closing.period_end
    return f"{start:%m/%Y} – {end:%m/%Y}"


def write_closings(out: OutputWrapper, closings: list[Closing]) -> None:
    write_table(
        out,
        [
            _("Caisse"),
            _("Clôture"),
            _("Période"),
            _("Factures"),
            _("Avoirs"),
            _("Total TTC"),
            _("Grand total perpétuel"),
        ],
        [
            [
                c.till.prefix,
                str(ClosingKind(c.kind).label),
                period_label(c),
                str(c.invoice_count),
                str(c.credit_note_count),
                format_money(c.total_incl_vat, c.currency),
                format_money(c.perpetual_total, c.currency),
            ]
            for c in closings
        ],
    )


def write_closing(out: OutputWrapper, closing: Closing) -> None:
    data = closing_data(closing, detail=True)
    money = partial(money_text, currency=closing.currency)
    names = method_labels(closing)
    out.write(
        _("Clôture %(kind)s %(period)s — caisse %(till)s, faite le %(at)s")
        % {
            "kind": ClosingKind(closing.kind).label,
            "period": period_label(closing),
            "till": closing.till.prefix,
            "at": local_text(closing.closed_at),
        }
    )
    for key, label in (("invoices", _("Factures")), ("credit_notes", _("Avoirs"))):
        docs = data[key]
        span = f" ({docs['first']} … {docs['last']})" if docs["count"] else ""
        out.write(
            _("%(label)s : %(n)d%(span)s") % {"label": label, "n": docs["count"], "span": span}
        )
    if data["by_rate"]:
        out.write("")
        write_table(
            out,
            [_("TVA %"), _("Ventes HT"), _("TVA"), _("Ventes TTC"), _("Retours TTC")],
            [
                [
                    row["rate"],
                    money(row["sales"]["excl_vat"]),
                    money(row["sales"]["vat"]),
                    money(row["sales"]["incl_vat"]),
                    money(row["returns"]["incl_vat"]),
                ]
                for row in data["by_rate"]
            ],
        )
    out.write("")
    out.write(
        _("Ventes %(s)s − retours %(r)s = total %(t)s TTC (HT %(e)s, TVA %(v)s)")
        % {
            "s": money(data["sales_incl_vat"]),
            "r": money(data["returns_incl_vat"]),
            "t": money(data["total_incl_vat"]),
            "e": money(data["total_excl_vat"]),
            "v": money(data["total_vat"]),
        }
    )
    for method, amount in data["payments"].items():
        out.write(
            _("Encaissé en %(m)s : %(a)s") % {"m": names.get(method, method), "a": money(amount)}
        )
    for method, amount in data["refunds"].items():
        out.write(
            _("Remboursé en %(m)s : %(a)s") % {"m": names.get(method, method), "a": money(amount)}
        )
    out.write(
        _("Grand total perpétuel : %(p)s ; total perpétuel absolu : %(a)s")
        % {
            "p": money(data["perpetual_total"]),
            "a": money(data["perpetual_absolute_total"]),
        }
    )
