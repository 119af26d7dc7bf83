"""Sample fiscal records of every kind, and chains of them, for the fiscal core's tests."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from comptoir.fiscal.canonical import GENESIS, normalize
from comptoir.fiscal.chains import Record, link

POST_ID = uuid.UUID("01900000-0000-7000-8000-000000000001")
PARIS = ZoneInfo("Europe/Paris")
AT = dt.datetime(2026, 3, 29, 3, 30, 15, 123456, tzinfo=PARIS)  # the day clocks go forward


def post(n: int = 1) -> dict[str, Any]:
    return {
        "id": uuid.UUID(int=n),
        "post_id": POST_ID,
        "post_prefix": "C1",
        "store_name": "Épicerie du Port",
    }


def invoice(n: int = 1, currency: str = "EUR") -> dict[str, Any]:
    return {
        **post(n),
        "number": f"C1-2026-{n:06d}",
        "instant": AT + dt.timedelta(minutes=n),
        "cashier": "Léa",
        "customer": None,
        "currency": currency,
        "lines": [
            {
                "article_code": "A1",
                "label": "Café moulu 250 g",
                "quantity": Decimal("2.000"),
                "unit_price": 450,
                "discount_rate": Decimal("0"),
                "vat_rate": Decimal("5.5"),
                "total_incl_vat": 900,
            }
        ],
        "vat": [{"rate": Decimal("5.5"), "base": 853, "vat": 47, "incl": 900}],
        "total_excl_vat": 853,
        "total_vat": 47,
        "total_incl_vat": 900,
        "payments": [{"method": "cash", "amount": 900}],
    }


def sample(kind: str, n: int = 1) -> dict[str, Any]:
    """Valid values of ``kind`` (the n-th record: ``n`` changes its id and instant)."""
    at = AT + dt.timedelta(minutes=n)
    session = {"session_id": uuid.UUID(int=999), "instant": at, "cashier": "Léa"}
    money = {**post(n), **session, "currency": "EUR"}
    samples: dict[str, dict[str, Any]] = {
        "invoice": invoice(n),
        "credit_note": {**invoice(n), "invoice_number": "C1-2026-000001"},
        "session_open": {
            **money,
            "float": 15000,
            "denominations": [{"value": 5000, "count": 2}, {"value": 1000, "count": 5}],
        },
        "session_close": {**money, "expected": 24000, "counted": 23950, "difference": -50},
        "cash_movement": {**money, "direction": "out", "amount": 2000, "reason": "banque"},
        "account_settlement": {
            **post(n),
            "instant": at,
            "cashier": "Léa",
            "customer_id": uuid.UUID(int=7),
            "customer": "Awa Diop",
            "currency": "XOF",
            "amount": 12500,
            "method": "wave",
            "reference": "TX-42",
        },
        "closing": {
            **post(n),
            "period": "day",
            "period_start": dt.date(2026, 3, 29),
            "period_end": dt.date(2026, 3, 29),
            "instant": at,
            "currency": "EUR",
            "invoice_count": 1,
            "invoice_first": "C1-2026-000001",
            "invoice_last": "C1-2026-000001",
            "credit_note_count": 0,
            "credit_note_first": "",
            "credit_note_last": "",
            "by_rate": [
                {
                    "rate": Decimal("5.5"),
                    "sales_excl_vat": 853,
                    "sales_vat": 47,
                    "sales_incl_vat": 900,
                    "returns_excl_vat": 0,
                    "returns_vat": 0,
                    "returns_incl_vat": 0,
                }
            ],
            "payments": [{"method": "cash", "amount": 900}],
            "refunds": [],
            "sales_excl_vat": 853,
            "sales_vat": 47,
            "sales_incl_vat": 900,
            "returns_excl_vat": 0,
            "returns_vat": 0,
            "returns_incl_vat": 0,
            "total_excl_vat": 853,
            "total_vat": 47,
            "total_incl_vat": 900,
            "perpetual_total": 125900,
            "perpetual_absolute_total": 131000,
        },
        "event": {
            **post(n),
            "number": n,
            "instant": at,
            "code": "post_start",
            "actor": None,
            "details": {"version": "0.9.0", "clock_jump_seconds": 0},
        },
        "reprint": {
            **post(n),
            "instant": at,
            "cashier": "Léa",
            "document_kind": "invoice",
            "document_number": "C1-2026-000001",
            "document_hash": "ab" * 32,
            "reprint_count": 2,
        },
    }
    return samples[kind]


def chain(key: Ed25519PrivateKey, length: int, *, plain: bool = False) -> list[Record]:
    """A valid chain of ``length`` records of mixed kinds, sequences 1..length."""
    kinds = ["invoice", "credit_note", "invoice", "reprint"]
    records, previous = [], GENESIS
    for n in range(1, length + 1):
        kind = kinds[n % len(kinds)]
        values = sample(kind, n)
        digest, signature = link(key=key, kind=kind, values=values, previous=previous)
        if plain:
            values = normalize(kind, values)
        records.append(Record(n, 2, kind, values, previous, digest, signature, plain=plain))
        previous = digest
    return records
