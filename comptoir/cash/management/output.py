"""Cash sessions and their X and Z as JSON data and as French text, for ``comptoir session``."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.core.management.base import OutputWrapper
from django.utils.translation import gettext as _

from comptoir.cash.models import CashSession
from comptoir.cash.reports import SessionReport
from comptoir.lib.management.helpers import local_iso, local_text, write_table
from comptoir.lib.money import format_amount, format_money, money_text
from comptoir.sales.selectors import payment_method_names


def session_data(session: CashSession) -> dict[str, Any]:
    money = partial(format_amount, currency=session.currency)
    closing = getattr(session, "closing", None)
    return {
        "id": str(session.pk),
        "till": session.till.prefix,
        "number": session.number,
        "status": "open" if closing is None else "closed",
        "opened_at": local_iso(session.opened_at),
        "cashier": session.cashier,
        "currency": session.currency,
        "float": money(session.float_amount),
        "closed_at": local_iso(closing.closed_at) if closing else None,
        "closed_by": closing.cashier if closing else None,
        "expected": money(closing.expected_amount) if closing else None,
        "counted": money(closing.counted_amount) if closing else None,
        "difference": money(closing.difference) if closing else None,
    }


def report_data(kind: str, session: CashSession, report: SessionReport) -> dict[str, Any]:
    """``kind`` "X" or "Z"; amounts as decimal strings."""
    money = partial(format_amount, currency=session.currency)
    return {"kind": kind, "session": session_data(session), **report.as_data(money)}


def write_report(out: OutputWrapper, session: CashSession, data: dict[str, Any]) -> None:
    """The X or Z of ``session`` (from :func:`report_data`) as text."""
    cash, currency = data["cash"], data["currency"]
    money = partial(money_text, currency=currency)
    names = payment_method_names(store_ids=[session.store_id])
    title = _("Rapport X") if data["kind"] == "X" else _("Rapport Z")
    out.write(
        _("%(title)s — caisse %(till)s, session n° %(n)d ouverte le %(at)s")
        % {
            "title": title,
            "till": session.till.prefix,
            "n": session.number,
            "at": local_text(session.opened_at),
        }
    )
    for key, label in (("invoices", _("Factures")), ("credit_notes", _("Avoirs"))):
        docs = data[key]
        span = f" ({docs['first']} … {docs['last']})" if docs["count"] else ""
        out.write(
            _("%(label)s : %(n)d%(span)s, %(incl)s TTC dont TVA %(vat)s")
            % {
                "label": label,
                "n": docs["count"],
                "span": span,
                "incl": money(docs["incl_vat"]),
                "vat": money(docs["vat"]),
            }
        )
    rates = {r["rate"] for key in ("invoices", "credit_notes") for r in data[key]["by_rate"]}
    if rates:
        out.write("")
        write_table(
            out,
            [_("TVA %"), _("Ventes HT"), _("TVA"), _("Ventes TTC"), _("Retours TTC")],
            [
                [
                    rate,
                    *(
                        _rate(data["invoices"], rate, f, currency)
                        for f in ("excl_vat", "vat", "incl_vat")
                    ),
                    _rate(data["credit_notes"], rate, "incl_vat", currency),
                ]
                for rate in sorted(rates, key=float)
            ],
        )
    out.write("")
    out.write(
        _("Net TTC : %(n)s ; remises accordées : %(d)s")
        % {
            "n": money(data["net"]["incl_vat"]),
            "d": money(data["discounts"]),
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
    for method, amount in data.get("settlements", {}).items():
        out.write(
            _("Comptes réglés en %(m)s : %(a)s")
            % {"m": names.get(method, method), "a": money(amount)}
        )
    out.write("")
    out.write(
        _(
            "Espèces : fond %(float)s + ventes %(sales)s - remboursements %(refunds)s + "
            "règlements de comptes %(settlements)s + entrées %(in)s - sorties %(out)s = attendu "
            "%(expected)s"
        )
        % {
            key: money(value)
            for key, value in {"settlements": "0", **cash}.items()
            if value is not None
        }
    )
    if cash["counted"] is not None:
        out.write(
            _("Compté : %(counted)s ; écart : %(difference)s (%(what)s)")
            % {
                "counted": money(cash["counted"]),
                "difference": money(cash["difference"]),
                "what": difference_word(cash["difference"]),
            }
        )


def difference_word(difference: str) -> str:
    if difference.startswith("-"):
        return _("manquant")
    return _("excédent") if difference.strip("0.") else _("juste")


def _rate(docs: dict[str, Any], rate: str, field: str, currency: str) -> str:
    for row in docs["by_rate"]:
        if row["rate"] == rate:
            return money_text(row[field], currency)
    return format_money(0, currency)


def write_sessions(out: OutputWrapper, sessions: list[CashSession]) -> None:
    rows = []
    for session in sessions:
        closing = getattr(session, "closing", None)
        money = partial(format_money, currency=session.currency)
        rows.append(
            [
                session.till.prefix,
                str(session.number),
                local_text(session.opened_at),
                session.cashier,
                money(session.float_amount),
                local_text(closing.closed_at) if closing else _("ouverte"),
                money(closing.difference) if closing else "",
            ]
        )
    write_table(
        out,
        [
            _("Caisse"),
            _("N°"),
            _("Ouverte le"),
            _("Caissier"),
            _("Fond"),
            _("Fermée le"),
            _("Écart"),
        ],
        rows,
    )
