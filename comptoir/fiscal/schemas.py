"""The values each kind of fiscal record hashes (**inalterability** and **conservation**).

A schema lists every key a record of its kind must give, with its type; a key missing or
unknown is refused, so that what is hashed is exactly what the law asks to keep (per
ticket, line by line: number, instant, post, total, totals per VAT rate, each line's
label, quantity, unit price, line total and VAT rate, payment methods) and nothing read
from mutable reference data: the store's name, the cashier and the customer are
snapshots stored with the record. Every record names its post by id and prefix.

Freeze a schema once records use it: a change is a new serialization version
(:mod:`comptoir.fiscal.canonical`). The one exception is an **optional** key (``_o``),
added later for what older records never had: a record that does not give it hashes
exactly as before (the key is left out of the canonical values, never written as null).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class _Type:
    name: str


TEXT = _Type("text")
HASH = _Type("hash")  # hex digest, or "" for the first record of a chain
UUID = _Type("uuid")
INT = _Type("int")
BOOL = _Type("bool")
DATE = _Type("date")
INSTANT = _Type("instant")  # aware datetime, hashed in UTC
AMOUNT = _Type("amount")  # int minor units (or Money) of the record's ``currency``
DECIMAL = _Type("decimal")  # quantity, rate, percentage
FREE = _Type("free")  # plain JSON (details of a technical event)


@dataclass(frozen=True)
class Rows:
    """A list of rows, each with these fields."""

    fields: Mapping[str, Field]


@dataclass(frozen=True)
class Field:
    type: _Type | Rows
    nullable: bool = False
    # May be absent (then left out of the canonical values): a key added to a frozen schema.
    optional: bool = False


def _f(kind: _Type | Rows) -> Field:
    return Field(kind)


def _n(kind: _Type | Rows) -> Field:
    return Field(kind, nullable=True)


def _o(kind: _Type | Rows) -> Field:
    return Field(kind, optional=True)


# Who made the record, where: in every kind.
POST = {
    "id": _f(UUID),
    "post_id": _f(UUID),
    "post_prefix": _f(TEXT),
    "store_name": _f(TEXT),
}

LINE = Rows(
    {
        "article_code": _f(TEXT),
        "label": _f(TEXT),
        "quantity": _f(DECIMAL),
        "unit_price": _f(AMOUNT),
        "discount_rate": _f(DECIMAL),
        "vat_rate": _f(DECIMAL),
        "total_incl_vat": _f(AMOUNT),
        # The line's share of a basket discount (only on a document that has one).
        "basket_discount": _o(AMOUNT),
    }
)
VAT_TABLE = Rows(
    {
        "rate": _f(DECIMAL),
        "base": _f(AMOUNT),
        "vat": _f(AMOUNT),
        "incl": _f(AMOUNT),
    }
)
PAYMENTS = Rows({"method": _f(TEXT), "amount": _f(AMOUNT)})

DOCUMENT = {
    **POST,
    "number": _f(TEXT),
    "instant": _f(INSTANT),
    "cashier": _f(TEXT),
    "customer": _n(TEXT),
    "currency": _f(TEXT),
    "lines": _f(LINE),
    "vat": _f(VAT_TABLE),
    "total_excl_vat": _f(AMOUNT),
    "total_vat": _f(AMOUNT),
    "total_incl_vat": _f(AMOUNT),
    "payments": _f(PAYMENTS),
    # A basket discount as asked (``10%``, ``1.50``) and what it took off the total; only
    # on a document that has one, so that the others hash as they did before.
    "discount": _o(TEXT),
    "discount_amount": _o(AMOUNT),
}

SCHEMAS: dict[str, dict[str, Field]] = {
    "invoice": DOCUMENT,
    # A credit note names the invoice it corrects: both stay readable.
    "credit_note": {**DOCUMENT, "invoice_number": _f(TEXT)},
    "session_open": {
        **POST,
        "session_id": _f(UUID),
        "instant": _f(INSTANT),
        "cashier": _f(TEXT),
        "currency": _f(TEXT),
        "float": _f(AMOUNT),
        # The count by denomination, when the float was counted so (else None).
        "denominations": _n(Rows({"value": _f(AMOUNT), "count": _f(INT)})),
    },
    "session_close": {
        **POST,
        "session_id": _f(UUID),
        "instant": _f(INSTANT),
        "cashier": _f(TEXT),
        "currency": _f(TEXT),
        "expected": _f(AMOUNT),
        "counted": _f(AMOUNT),
        "difference": _f(AMOUNT),
    },
    "cash_movement": {
        **POST,
        "session_id": _f(UUID),
        "instant": _f(INSTANT),
        "cashier": _f(TEXT),
        "currency": _f(TEXT),
        "direction": _f(TEXT),  # "in" or "out"
        "amount": _f(AMOUNT),
        "reason": _f(TEXT),
    },
    # Money a customer paid on their account (« ardoise »): into the drawer when in cash.
    "account_settlement": {
        **POST,
        "instant": _f(INSTANT),
        "cashier": _f(TEXT),
        "customer_id": _f(UUID),
        "customer": _f(TEXT),
        "currency": _f(TEXT),
        "amount": _f(AMOUNT),
        "method": _f(TEXT),
        "reference": _f(TEXT),
    },
    # A closing as it is stored: its period, its documents' counts and number ranges, its
    # totals per VAT rate (sales and returns apart), per payment method (received and
    # refunded), the period's totals and the perpetual ones.
    "closing": {
        **POST,
        "period": _f(TEXT),  # "day", "month" or "year"
        "period_start": _f(DATE),
        "period_end": _f(DATE),
        "instant": _f(INSTANT),
        "currency": _f(TEXT),
        "invoice_count": _f(INT),
        "invoice_first": _f(TEXT),  # "" when the period has none
        "invoice_last": _f(TEXT),
        "credit_note_count": _f(INT),
        "credit_note_first": _f(TEXT),
        "credit_note_last": _f(TEXT),
        "by_rate": _f(
            Rows(
                {
                    "rate": _f(DECIMAL),
                    "sales_excl_vat": _f(AMOUNT),
                    "sales_vat": _f(AMOUNT),
                    "sales_incl_vat": _f(AMOUNT),
                    "returns_excl_vat": _f(AMOUNT),
                    "returns_vat": _f(AMOUNT),
                    "returns_incl_vat": _f(AMOUNT),
                }
            )
        ),
        "payments": _f(PAYMENTS),
        "refunds": _f(PAYMENTS),
        "sales_excl_vat": _f(AMOUNT),
        "sales_vat": _f(AMOUNT),
        "sales_incl_vat": _f(AMOUNT),
        "returns_excl_vat": _f(AMOUNT),
        "returns_vat": _f(AMOUNT),
        "returns_incl_vat": _f(AMOUNT),
        "total_excl_vat": _f(AMOUNT),
        "total_vat": _f(AMOUNT),
        "total_incl_vat": _f(AMOUNT),
        "perpetual_total": _f(AMOUNT),
        "perpetual_absolute_total": _f(AMOUNT),
    },
    # A technical event, numbered per post; a reprint is one too (code "reprint", the
    # document and the copy number in its details).
    "event": {
        **POST,
        "number": _f(INT),
        "instant": _f(INSTANT),
        "code": _f(TEXT),
        "actor": _n(TEXT),
        "details": _n(FREE),
    },
    # Not used by stored records yet: a post logs its reprints as "event" records.
    "reprint": {
        **POST,
        "instant": _f(INSTANT),
        "cashier": _f(TEXT),
        "document_kind": _f(TEXT),
        "document_number": _f(TEXT),
        "document_hash": _f(HASH),
        "reprint_count": _f(INT),
    },
}
