from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.db import connection

from comptoir.cash.services import cash_in, cash_out, session_close, session_open
from comptoir.sales.services import ReturnLine, SaleLine, credit_note_issue, invoice_sell
from comptoir.stores.models import Till

# The in-process command runners of the CLI tests.
from tests.cli.conftest import cli, cli_fail, cli_json  # noqa: F401
from tests.factories import at, make_article


@contextmanager
def triggers_dropped(*tables: str) -> Iterator[None]:
    """The immutability triggers of ``tables`` out of the way, as someone with the database
    file (or a PostgreSQL superuser) could do; back in place afterwards."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # Deferred foreign-key checks pending in the test's transaction would forbid
            # the ALTER TABLE: run them now (and from now on).
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table in tables:
            if connection.vendor == "sqlite":
                cur.execute(f'DROP TRIGGER IF EXISTS "{table}_immutable_upd"')
            else:
                cur.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER "{table}_immutable"')
    try:
        yield
    finally:
        from comptoir.lib.db import MESSAGE

        with connection.cursor() as cur:
            for table in tables:
                if connection.vendor == "sqlite":
                    cur.execute(
                        f'CREATE TRIGGER "{table}_immutable_upd" BEFORE UPDATE ON "{table}" '
                        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
                    )
                else:
                    cur.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER "{table}_immutable"')


def raw(sql: str, *params: object) -> None:
    with connection.cursor() as cur:
        cur.execute(sql, params)


@pytest.fixture
def trading_day(till: Till) -> Callable[[], None]:
    """A till's day: a session with movements, three sales, a return, the close."""
    make_article("PAIN", "1.20", vat="5.5")
    make_article("VIN", "8.90", vat="20")

    def run() -> None:
        session_open(amount="50", cashier="Alice", at=at(2, 8))
        cash_in(amount="20", reason="Monnaie de la banque", cashier="Alice", at=at(2, 9))
        first = invoice_sell(
            lines=[SaleLine("PAIN", 2), SaleLine("VIN", "1", discount_rate="10")],
            cashier="Alice",
            at=at(2, 10),
        )
        invoice_sell(lines=[SaleLine("VIN", 3)], cashier="Alice", at=at(2, 11))
        credit_note_issue(invoice_number=first.number, lines=[ReturnLine("PAIN", 1)], at=at(2, 12))
        invoice_sell(lines=[SaleLine("PAIN", 5)], cashier="Bob", at=at(2, 13))
        cash_out(amount="5", reason="Fournisseur", cashier="Alice", at=at(2, 14))
        cash_out(amount="3", reason="Timbres", cashier="Alice", at=at(2, 15))
        session_close(counted="95", cashier="Alice", at=at(2, 18))

    return run
