"""``comptoir closing list|show`` (issue 15): JSON amounts as decimal strings, bad input
in one French sentence with exit code 2."""

from __future__ import annotations

import pytest

from comptoir.closings.models import Closing
from comptoir.sales.services import ReturnLine, SaleLine, credit_note_issue, invoice_sell
from comptoir.stores.services import till_create
from tests.factories import at, make_article


@pytest.fixture
def closed(till):
    make_article("PAIN", "1.20", vat="5.5")
    make_article("VIN", "8.40", vat="20")
    invoice = invoice_sell(lines=[SaleLine("PAIN", 2), SaleLine("VIN", 1)], at=at(30, 12))
    credit_note_issue(invoice_number=invoice.number, lines=[ReturnLine("PAIN", 1)], at=at(30, 13))
    invoice_sell(lines=[SaleLine("VIN", 1)], at=at(1, 9, month=4))


def test_closing_list_gives_each_closing_with_its_totals(closed, cli_json, cli):
    closings = cli_json("closing", "list")
    assert [(c["kind"], c["period_start"]) for c in closings] == [
        ("day", "2026-03-31"),
        ("month", "2026-03-01"),
        ("day", "2026-03-30"),
    ]  # the year 2026 is not over
    day = closings[-1]
    assert day["total_incl_vat"] == "9.60"
    assert day["perpetual_total"] == "9.60"
    assert day["perpetual_absolute_total"] == "12.00"
    assert day["period_end"] == "2026-03-30"
    assert day["chain_hash"] == Closing.objects.get(pk=day["id"]).chain_hash
    assert len(day["chain_hash"]) == 64  # chained in the fiscal journal
    assert day["key"] == "day:2026-03-30"
    assert [c["kind"] for c in cli_json("closing", "list", "--kind", "month")] == ["month"]
    assert "9,60\u00a0€" in cli("closing", "list")


def test_closing_show_by_key_or_id(closed, cli_json, cli):
    day = cli_json("closing", "show", "day:2026-03-30")
    assert day["by_rate"] == [
        {
            "rate": "5.50",
            "sales": {"excl_vat": "2.27", "vat": "0.13", "incl_vat": "2.40"},
            "returns": {"excl_vat": "1.14", "vat": "0.06", "incl_vat": "1.20"},
        },
        {
            "rate": "20.00",
            "sales": {"excl_vat": "7.00", "vat": "1.40", "incl_vat": "8.40"},
            "returns": {"excl_vat": "0.00", "vat": "0.00", "incl_vat": "0.00"},
        },
    ]
    assert day["payments"] == {"cash": "10.80"}
    assert day["refunds"] == {"cash": "1.20"}
    assert day["invoices"] == {"count": 1, "first": "C1-2026-000001", "last": "C1-2026-000001"}
    assert cli_json("closing", "show", day["id"]) == day
    assert cli_json("closing", "show", "C1:day:2026-03-30") == day
    assert cli_json("closing", "show", "month:2026-03")["total_incl_vat"] == "9.60"
    text = cli("closing", "show", "day:2026-03-30")
    assert "Grand total perpétuel : 9,60\u00a0€" in text


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("day:2026-02-30", "Clôture invalide : « day:2026-02-30 »"),
        ("semaine:2026-03", "Clôture invalide"),
        ("hier", "Clôture invalide"),
        ("year:2026", "Clôture introuvable : « year:2026 »."),  # not over
        ("day:2026-03-01", "Clôture introuvable : « day:2026-03-01 »."),
        ("C9:day:2026-03-30", "Caisse inconnue : « C9 »."),
        ("01a246c2-cc54-7b26-92f0-26cb3cd7c140", "Clôture introuvable"),
    ],
)
def test_closing_show_bad_input_says_one_sentence_and_exits_2(closed, cli_fail, key, message):
    err = cli_fail("closing", "show", key)
    assert message in err
    assert "Traceback" not in err
    assert err.count("\n") == 1


def test_closing_show_of_another_till_needs_its_prefix(closed, till, cli_fail, cli_json):
    other = till_create(store=till.store, name="Caisse 2", prefix="C2", node_id="autre")
    invoice_sell(lines=[SaleLine("PAIN", 1)], till=other, at=at(1, 10, month=4))
    invoice_sell(lines=[SaleLine("PAIN", 1)], till=other, at=at(2, 10, month=4))
    assert "introuvable" in cli_fail("closing", "show", "day:2026-04-01")
    assert cli_json("closing", "show", "C2:day:2026-04-01")["till"] == "C2"
