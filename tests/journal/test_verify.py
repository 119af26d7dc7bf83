"""``comptoir journal verify`` recomputes every chain of the post and names the first
broken record of each, and why (issue 15, "Done when")."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import pytest
from django.core.management import call_command

from comptoir.cash.models import CashMovement, CashSession, CashSessionClosing
from comptoir.fiscal.keys import key_generate, sign
from comptoir.journal.models import ChainCheck
from comptoir.journal.verify import checks_summary, journal_verify
from comptoir.sales.models import CreditNote, Invoice
from comptoir.stores.models import Till
from tests.journal.conftest import raw, triggers_dropped


def _verify() -> tuple[int, dict]:
    out = io.StringIO()
    try:
        call_command("journal", "verify", "--json", stdout=out)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, json.loads(out.getvalue())


def _chain(document: dict, chain: str) -> dict:
    return next(c for c in document["chains"] if c["chain"] == chain)


def test_every_fiscal_record_is_chained_signed_and_whole(
    till: Till, trading_day: Callable[[], None]
) -> None:
    trading_day()
    for model in (Invoice, CreditNote, CashSession, CashMovement, CashSessionClosing):
        rows = list(model.objects.all())
        assert rows, model
        assert all(r.chain_version == 2 and r.signature and r.post_prefix == "C1" for r in rows)
        assert all(r.store_name == "Magasin principal" for r in rows)
    # Sales and returns in one chain, numbered without a gap; cash facts in their own.
    docs = sorted(
        [*Invoice.objects.all(), *CreditNote.objects.all()], key=lambda d: d.chain_sequence
    )
    assert [d.chain_sequence for d in docs] == [1, 2, 3, 4]
    assert [d.previous_hash for d in docs[1:]] == [d.chain_hash for d in docs[:-1]]
    code, document = _verify()
    assert code == 0
    assert document["ok"] is True
    assert {(c["chain"], c["status"], c["count"]) for c in document["chains"]} == {
        ("doc", "whole", 4),
        ("sess", "whole", 2),
        ("move", "whole", 3),
        ("event", "whole", 2),  # the session's opening and closing
    }
    assert checks_summary()["status"] == "whole"


def test_a_field_altered_in_the_database_is_named(
    till: Till, trading_day: Callable[[], None]
) -> None:
    trading_day()
    second = Invoice.objects.get(chain_sequence=2)
    with triggers_dropped("sales_invoice"):
        raw(
            "UPDATE sales_invoice SET total_incl_tax = total_incl_tax - 100 WHERE id = %s",
            second.pk.hex if _sqlite() else str(second.pk),
        )
    code, document = _verify()
    assert code == 1
    doc = _chain(document, "doc")
    assert doc["status"] == "broken"
    assert doc["first"]["reason"] == "altered"
    assert doc["first"]["number"] == second.number
    assert doc["first"]["sequence"] == 2
    assert _chain(document, "move")["status"] == "whole"  # the other chains stay whole
    check = ChainCheck.objects.get(till=till, chain="doc")
    assert (check.status, check.number, check.reason) == ("broken", second.number, "altered")


def test_a_line_altered_in_the_database_is_named(
    till: Till, trading_day: Callable[[], None]
) -> None:
    """Not only the root row: each line's VAT rate is hashed (version 1 left it out)."""
    trading_day()
    third = Invoice.objects.get(chain_sequence=4)
    line = third.lines.get()
    with triggers_dropped("sales_invoiceline"):
        raw("UPDATE sales_invoiceline SET vat_rate = 20 WHERE id = %s", _id(line.pk))
    code, document = _verify()
    assert code == 1
    assert _chain(document, "doc")["first"]["reason"] == "altered"
    assert _chain(document, "doc")["first"]["number"] == third.number


def test_a_deleted_record_is_named(till: Till, trading_day: Callable[[], None]) -> None:
    trading_day()
    gone = CashMovement.objects.get(chain_sequence=2)
    with triggers_dropped("cash_cashmovement"):
        raw("DELETE FROM cash_cashmovement WHERE id = %s", _id(gone.pk))
    code, document = _verify()
    assert code == 1
    move = _chain(document, "move")
    assert (move["status"], move["first"]["reason"], move["first"]["sequence"]) == (
        "broken",
        "missing",
        3,
    )


def test_an_inserted_record_is_named(till: Till, trading_day: Callable[[], None]) -> None:
    """A record slipped in after the first movement, well formed and even signed with
    the post's key: the next one does not link to it."""
    from comptoir.cash.journal_setup import cash_movement_values
    from comptoir.fiscal.chains import link
    from comptoir.journal.postkey import post_key

    trading_day()
    first = CashMovement.objects.get(chain_sequence=1)
    extra = CashMovement.objects.get(chain_sequence=3)
    values = {**cash_movement_values(extra), "amount": 1000}
    digest, signature = link(
        key=post_key(), kind="cash_movement", values=values, previous=first.chain_hash
    )
    with triggers_dropped("cash_cashmovement"):
        raw(
            "UPDATE cash_cashmovement SET amount = 1000, chain_sequence = 2, previous_hash = %s,"
            " chain_hash = %s, signature = %s WHERE id = %s",
            first.chain_hash,
            digest,
            signature,
            _id(extra.pk),
        )
    code, document = _verify()
    assert code == 1
    assert _chain(document, "move")["first"]["reason"] == "inserted"


def test_a_swapped_pair_is_named(till: Till, trading_day: Callable[[], None]) -> None:
    trading_day()
    a, b = Invoice.objects.get(chain_sequence=1), CreditNote.objects.get(chain_sequence=3)
    with triggers_dropped("sales_invoice", "sales_creditnote"):
        raw("UPDATE sales_invoice SET chain_sequence = 3 WHERE id = %s", _id(a.pk))
        raw("UPDATE sales_creditnote SET chain_sequence = 1 WHERE id = %s", _id(b.pk))
    # Swapping two neighbours: the third and fourth documents.
    code, document = _verify()
    assert code == 1
    assert _chain(document, "doc")["status"] == "broken"


def test_a_swapped_pair_of_neighbours_is_named_reordered(
    till: Till, trading_day: Callable[[], None]
) -> None:
    trading_day()
    a, b = CashMovement.objects.get(chain_sequence=2), CashMovement.objects.get(chain_sequence=3)
    with triggers_dropped("cash_cashmovement"):
        raw("UPDATE cash_cashmovement SET chain_sequence = 3 WHERE id = %s", _id(a.pk))
        raw("UPDATE cash_cashmovement SET chain_sequence = 2 WHERE id = %s", _id(b.pk))
    code, document = _verify()
    assert code == 1
    move = _chain(document, "move")
    assert (move["first"]["reason"], move["first"]["sequence"]) == ("reordered", 2)


def test_a_forged_signature_is_named(till: Till, trading_day: Callable[[], None]) -> None:
    """Values and hash made consistent again, but signed with another key."""
    trading_day()
    closing = CashSessionClosing.objects.get()
    forged = sign(key_generate(), b"comptoir-fiscal-record\n" + closing.chain_hash.encode())
    with triggers_dropped("cash_cashsessionclosing"):
        raw(
            "UPDATE cash_cashsessionclosing SET signature = %s WHERE id = %s",
            forged,
            _id(closing.pk),
        )
    code, document = _verify()
    assert code == 1
    sess = _chain(document, "sess")
    assert (sess["first"]["reason"], sess["first"]["sequence"]) == ("bad_signature", 2)


def test_the_text_output_names_the_record_and_why(
    till: Till, trading_day: Callable[[], None]
) -> None:
    trading_day()
    second = Invoice.objects.get(chain_sequence=2)
    with triggers_dropped("sales_invoice"):
        raw("UPDATE sales_invoice SET cashier = 'Mallory' WHERE id = %s", _id(second.pk))
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("journal", "verify", stdout=out)
    assert exit_.value.code == 1
    text = out.getvalue()
    assert second.number in text
    assert "enregistrement modifié" in text
    assert "Journal fiscal NON intègre." in text


def test_an_unknown_post_is_a_clear_error(till: Till) -> None:
    from comptoir.lib.errors import NotFoundError

    with pytest.raises(NotFoundError):
        call_command("journal", "verify", "--post", "ZZ", stdout=io.StringIO())
    assert journal_verify("C1") == []


def _sqlite() -> bool:
    from django.db import connection

    return connection.vendor == "sqlite"


def _id(pk: object) -> str:
    """A UUID as the database stores it (32 hex digits in SQLite)."""
    return pk.hex if _sqlite() else str(pk)  # type: ignore[attr-defined]
