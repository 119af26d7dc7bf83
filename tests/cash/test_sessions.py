"""Cash sessions: float, cash in and out, blind count, and the X and Z computed from facts."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from comptoir.cash.models import CashMovement, CashSession, CashSessionClosing
from comptoir.cash.reports import SessionReport
from comptoir.cash.selectors import report_x, report_z, session_documents, session_figures
from comptoir.cash.services import (
    cash_in,
    cash_out,
    fact_values,
    session_close,
    session_open,
)
from comptoir.lib.errors import ValidationError
from comptoir.sales.services import (
    PaymentInput,
    ReturnLine,
    SaleLine,
    credit_note_issue,
    invoice_sell,
)
from tests.factories import at, db_state, make_article


@pytest.fixture
def articles(till):
    make_article("A", "10.00", vat="20")
    make_article("B", "4.22", vat="5.5")


def test_a_session_holds_exactly_the_documents_numbered_during_it(articles, till):
    before = invoice_sell(lines=[SaleLine("A", 1)], at=at(1, 9))
    session = session_open(amount="100", at=at(1, 10))
    first = invoice_sell(lines=[SaleLine("A", 2, discount_rate=10)], at=at(1, 11))
    # The clock went back an hour: the sale still belongs to the session (numbers, not times).
    second = invoice_sell(
        lines=[SaleLine("B", 1)], payments=[PaymentInput("card", "4.22")], at=at(1, 9, 30)
    )
    credit_note_issue(invoice_number=first.number, lines=[ReturnLine("A", 1)], at=at(1, 12))
    closing = session_close(counted="110", at=at(1, 18))
    after = invoice_sell(lines=[SaleLine("A", 1)], at=at(1, 19))

    invoices, credit_notes = session_documents(session=CashSession.objects.get())
    assert sorted(invoices.values_list("number", flat=True)) == [first.number, second.number]
    assert credit_notes.count() == 1
    assert before.number not in set(invoices.values_list("number", flat=True))
    assert after.number not in set(invoices.values_list("number", flat=True))

    z = report_z(session=session).as_data()
    assert z["invoices"] == {
        "count": 2,
        "first": first.number,
        "last": second.number,
        "excl_vat": 1500 + 400,
        "vat": 300 + 22,
        "incl_vat": 1800 + 422,
        "by_rate": [
            {"rate": "5.50", "excl_vat": 400, "vat": 22, "incl_vat": 422},
            {"rate": "20.00", "excl_vat": 1500, "vat": 300, "incl_vat": 1800},
        ],
    }
    assert z["credit_notes"]["count"] == 1
    assert z["credit_notes"]["incl_vat"] == 900  # one of two at 10.00 less 10 %
    assert z["net"]["incl_vat"] == 2222 - 900
    assert z["payments"] == {"card": 422, "cash": 1800}
    assert z["refunds"] == {"cash": 900}
    assert z["discounts"] == 200
    # Float 100 + cash sales 18 - cash refund 9 = 109 expected; 110 counted: 1 over.
    assert z["cash"] == {
        "float": 10000,
        "sales": 1800,
        "refunds": 900,
        "settlements": 0,
        "in": 0,
        "out": 0,
        "expected": 10900,
        "counted": 11000,
        "difference": 100,
    }
    assert (closing.expected_amount, closing.counted_amount, closing.difference) == (
        10900,
        11000,
        100,
    )


def test_the_z_kept_at_the_close_equals_a_recomputation_from_the_facts(articles, till):
    session = session_open(amount="50", at=at(2, 8))
    invoice_sell(lines=[SaleLine("A", 3)], at=at(2, 9))
    cash_out(amount="20", reason="Fournisseur de pain", at=at(2, 10))
    closing = session_close(counted="60", at=at(2, 18))
    invoice_sell(lines=[SaleLine("A", 1)], at=at(2, 19))  # after: not in the Z
    session = CashSession.objects.select_related("closing").get(pk=session.pk)
    recomputed = SessionReport(session_figures(session=session), counted=6000)
    assert report_z(session=session) == recomputed
    assert closing.report == recomputed.as_data()
    # The X of a closed session is its Z without the count.
    assert report_x(session=session).figures == recomputed.figures


def test_the_blind_count_records_a_shortage(articles, till):
    session_open(amount="100")
    invoice_sell(lines=[SaleLine("A", 1)], payments=[PaymentInput("cash", "20")])  # 10 change
    cash_in(amount="30", reason="Monnaie de la banque")
    result = cash_out(amount="5", reason="Timbres")
    assert result.expected_after == 10000 + 1000 + 3000 - 500
    assert not result.exceeds_drawer
    closing = session_close(counted="130")
    assert closing.expected_amount == 13500
    assert closing.difference == -500
    assert closing.report["cash"]["difference"] == -500


def test_an_x_report_changes_nothing(articles, till):
    session = session_open(amount="10")
    invoice_sell(lines=[SaleLine("A", 1)])
    before = db_state()
    x = report_x(session=session)
    assert x.expected_cash == 2000
    assert x.counted is None
    assert x.difference is None
    assert db_state() == before


def test_a_cash_out_larger_than_the_drawer_is_allowed_and_said(till):
    session_open(amount="20")
    result = cash_out(amount="50", reason="Retrait")
    assert result.exceeds_drawer
    assert result.expected_after == -3000
    assert CashMovement.objects.count() == 1


def test_the_float_can_be_counted_by_denomination(till):
    session = session_open(counts={"5000": 1, "1000": 2, "200": "3", "1": 0})
    assert session.float_amount == 7600
    assert session.float_counts == {"5000": 1, "1000": 2, "200": 3}
    closing = session_close(counts={"5000": 1, "2000": 1, "500": 1})
    assert closing.counted_amount == 7500
    assert closing.difference == -100


def test_xof_amounts_have_no_decimals(xof_till):
    make_article("MIL", "1500", vat="18")
    session = session_open(counts={"10000": 1, "250": 2})
    assert session.float_amount == 10500  # francs: no minor unit
    invoice_sell(lines=[SaleLine("MIL", 2)], payments=[PaymentInput("cash", "5000")])
    with pytest.raises(ValidationError, match="au plus 0 décimale"):
        cash_in(amount="100.50", reason="Monnaie")
    closing = session_close(counted="13500")
    assert closing.expected_amount == 10500 + 3000
    assert closing.difference == 0
    assert closing.report["invoices"]["by_rate"][0]["rate"] == "18.00"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: session_open(amount="-5"), "ne peut pas être négatif"),
        (lambda: session_open(amount="dix"), "Montant invalide"),
        (lambda: session_open(amount="10", counts={"1000": 2}), "ne correspond pas"),
        (lambda: session_open(counts={"300": 1}), "Coupure inconnue"),
        (lambda: session_open(counts={"1000": "-1"}), "Nombre de pièces"),
        (lambda: session_open(counts={"1000": "1.5"}), "Nombre de pièces"),
        (lambda: cash_in(amount="10", reason="Banque"), "Aucune session"),
        (lambda: session_close(counted="0"), "rien à fermer"),
    ],
)
def test_bad_input_without_a_session_writes_nothing(till, call, message):
    before = db_state()
    with pytest.raises(ValidationError, match=message):
        call()
    assert db_state() == before


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: session_open(amount="0"), "déjà ouverte"),
        (lambda: cash_out(amount="0", reason="Rien"), "doit être positif"),
        (lambda: cash_out(amount="-3", reason="Rien"), "doit être positif"),
        (lambda: cash_in(amount="3", reason="  "), "motif est obligatoire"),
        (lambda: cash_in(amount="3", reason="Banque\x1b[2J"), "caractère de contrôle"),
        (lambda: cash_in(amount="3", reason="x" * 201), "200 caractères"),
        (lambda: session_close(counted="-1"), "ne peut pas être négatif"),
        (lambda: session_close(counted="1", cashier="Léa\x07"), "caractère de contrôle"),
    ],
)
def test_bad_input_in_an_open_session_writes_nothing(till, call, message):
    session_open(amount="10")
    before = db_state()
    with pytest.raises(ValidationError, match=message):
        call()
    assert db_state() == before


def test_closing_a_session_twice_is_refused(till):
    session = session_open(amount="10")
    session_close(counted="10")
    session_open(amount="10")  # the next one
    before = db_state()
    with pytest.raises(ValidationError, match="n° 1 est déjà fermée"):
        session_close(counted="10", session=session)
    assert db_state() == before
    assert CashSession.objects.filter(closing__isnull=True).count() == 1


def test_sessions_are_numbered_per_till_and_follow_each_other(till):
    first = session_open(amount="10")
    closing = session_close(counted="10")
    second = session_open(amount="10")
    assert (first.number, second.number) == (1, 2)
    assert first.previous_closing is None
    assert second.previous_closing == closing


def test_the_database_refuses_a_second_open_session_of_a_till(till):
    session_open(amount="10")
    common = {"till": till, "store": till.store, "currency": "EUR", "float_amount": 0}
    with pytest.raises(IntegrityError), transaction.atomic():
        # Forged past the service: a second "first" session of the till.
        CashSession.objects.create(number=2, opened_at=at(1), **common)
    closing = session_close(counted="10")
    session_open(amount="10")
    with pytest.raises(IntegrityError), transaction.atomic():
        # A third one following the same closing as the second.
        CashSession.objects.create(number=3, opened_at=at(1), previous_closing=closing, **common)
    assert CashSession.objects.filter(closing__isnull=True).count() == 1


def test_every_cash_fact_has_its_business_values_in_one_place(till):
    session = session_open(amount="10", at=at(3))
    movement = cash_in(amount="2", reason="Banque", at=at(3, 11)).movement
    closing = session_close(counted="12", at=at(3, 12))
    assert fact_values(session)["float_amount"] == 1000
    assert fact_values(session)["opened_at"] == "2026-03-03T09:00:00+00:00"
    assert fact_values(movement)["reason"] == "Banque"
    assert fact_values(closing)["difference"] == 0
    assert fact_values(closing)["report"] == closing.report
    assert CashSessionClosing.objects.get().report == closing.report


def test_cash_facts_are_immutable(till):
    session = session_open(amount="10")
    session.float_amount = 0
    with pytest.raises(Exception, match="ne se modifie pas"):
        session.save()
    assert CashSession.objects.get().float_amount == Decimal(1000)


@pytest.mark.parametrize("model", [CashSession, CashMovement, CashSessionClosing])
def test_a_raw_sql_update_of_a_cash_fact_is_refused_by_the_database(till, model):
    session_open(amount="10")
    cash_in(amount="1", reason="Banque")
    session_close(counted="11")
    table = connection.ops.quote_name(model._meta.db_table)
    with pytest.raises(DatabaseError), transaction.atomic():
        connection.cursor().execute(f"UPDATE {table} SET cashier = 'falsifié'")
    assert not model.objects.filter(cashier="falsifié").exists()
