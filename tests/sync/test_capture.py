"""Every write path of every synced model is either captured for sync or refused.

Reference rows leave one trace per row; fact rows leave one trace per aggregate root.
The trace goes to the change log on the hub and to the outbox on a node, in the same
transaction as the write.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.db import models, transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from comptoir.cash.models import CashMovement, CashSession, CashSessionClosing
from comptoir.cash.services import session_open
from comptoir.catalogue.models import Article, Barcode, Category, LabelRule, Supplier
from comptoir.closings.models import Closing
from comptoir.customers.models import Customer
from comptoir.events.models import TechnicalEvent
from comptoir.lib.errors import ImmutableError, ValidationError
from comptoir.lib.money import format_amount
from comptoir.sales.models import (
    AccountSettlement,
    CreditNote,
    CreditNoteLine,
    CreditNoteTax,
    Invoice,
    InvoiceLine,
    InvoiceTax,
    Payment,
    PaymentMethod,
)
from comptoir.sales.services import ReturnLine, SaleLine, credit_note_issue, invoice_sell
from comptoir.stock.models import InventoryCount, StockMovement
from comptoir.stores.models import Store, Till
from comptoir.stores.services import till_create
from comptoir.sync import capture, registry, wire
from comptoir.sync.hlc import Timestamp
from comptoir.sync.models import ChangeLog, OutboxEntry
from tests.factories import at, make_article
from tests.sync.helpers import outbox, traces

_serial = itertools.count(1)


class Rollback(Exception):
    pass


def _roll_back(write: Callable[[], None]) -> None:
    """Run ``write`` in a transaction that is then rolled back."""
    try:
        with transaction.atomic():
            write()
            raise Rollback
    except Rollback:
        pass


def _n() -> int:
    return next(_serial)


# --- reference models -------------------------------------------------------------------

Builder = Callable[[dict[str, Any]], models.Model]

REFERENCE_BUILDERS: dict[str, tuple[Builder, str]] = {
    # label: (unsaved new row, a plain text field to edit)
    "core.store": (lambda c: Store(name=f"Magasin {_n()}"), "address"),
    "core.till": (lambda c: Till(store=c["store"], name=f"T{_n()}", prefix=f"X{_n()}"), "name"),
    "catalogue.category": (lambda c: Category(name=f"Cat {_n()}"), "name"),
    "catalogue.supplier": (lambda c: Supplier(code=f"S{_n()}", name="Fournisseur"), "name"),
    "catalogue.article": (
        lambda c: Article(code=f"A{_n()}", name="Article", sale_price=100),
        "name",
    ),
    "catalogue.barcode": (lambda c: Barcode(article=c["article"], code=f"B{_n()}"), "code"),
    "customers.customer": (lambda c: Customer(code=f"CL{_n()}", name="Client"), "name"),
    "catalogue.labelrule": (
        lambda c: LabelRule(
            store=c["store"],
            prefix=f"2{_n() % 10}",
            code_start=3,
            code_digits=5,
            value_start=8,
            value_digits=5,
            value="weight",
        ),
        "name",
    ),
    "sales.paymentmethod": (
        lambda c: PaymentMethod(store=c["store"], code=f"m{_n()}", name="Wave", kind="mobile"),
        "name",
    ),
}
REFERENCE_LABELS = sorted(spec.label for spec in registry.references())


@pytest.fixture
def ctx(till: Till) -> dict[str, Any]:
    return {"store": till.store, "till": till, "article": make_article("BASE")}


def _new_ref(label: str, ctx: dict[str, Any]) -> models.Model:
    return REFERENCE_BUILDERS[label][0](ctx)


def _last_seq() -> int:
    last = ChangeLog.objects.order_by("-seq").values_list("seq", flat=True).first()
    return last or 0


def _traces_after(seq: int) -> list[tuple[str, str, str | None]]:
    return [
        (m, str(r), None if s is None else str(s))
        for m, r, s in ChangeLog.objects.filter(seq__gt=seq)
        .order_by("seq")
        .values_list("model", "row_id", "store_id")
    ]


def test_every_synced_model_is_covered_by_these_tests() -> None:
    assert set(REFERENCE_BUILDERS) == set(REFERENCE_LABELS)
    assert set(FACT_BUILDERS) == {spec.label for spec in registry.facts()}


@pytest.mark.parametrize("label", REFERENCE_LABELS)
def test_creating_a_reference_row_logs_it_on_the_hub_with_every_field_clocked(
    ctx: dict[str, Any], label: str
) -> None:
    spec = registry.reference_spec(label)
    assert spec is not None
    start = _last_seq()
    row = _new_ref(label, ctx)
    row.save()
    assert _traces_after(start) == [(label, str(row.pk), None)]
    assert row.origin_node == settings.COMPTOIR_NODE_ID
    clocks = row.sync_clocks  # type: ignore[attr-defined]
    assert set(clocks) == set(spec.fields)
    assert len(set(clocks.values())) == 1
    Timestamp.decode(next(iter(clocks.values())))


@pytest.mark.parametrize("label", REFERENCE_LABELS)
def test_creating_a_reference_row_on_a_node_fills_the_outbox_not_the_log(
    ctx: dict[str, Any], label: str
) -> None:
    start = _last_seq()
    with override_settings(COMPTOIR_ROLE="node"):
        row = _new_ref(label, ctx)
        row.save()
    assert outbox() == [(label, str(row.pk))]
    assert _traces_after(start) == []


@pytest.mark.parametrize("role", ["hub", "node"])
@pytest.mark.parametrize("label", REFERENCE_LABELS)
def test_a_rolled_back_reference_write_leaves_no_trace(
    ctx: dict[str, Any], label: str, role: str
) -> None:
    start = _last_seq()
    written: list[models.Model] = []

    def write() -> None:
        row = _new_ref(label, ctx)
        row.save()
        written.append(row)
        assert ChangeLog.objects.filter(seq__gt=start).exists() or OutboxEntry.objects.exists()

    with override_settings(COMPTOIR_ROLE=role):
        _roll_back(write)
    [row] = written
    assert not type(row)._default_manager.filter(pk=row.pk).exists()
    assert _traces_after(start) == []
    assert outbox() == []


@pytest.mark.parametrize("label", REFERENCE_LABELS)
def test_changing_one_field_by_save_clocks_only_that_field(ctx: dict[str, Any], label: str) -> None:
    builder, field = REFERENCE_BUILDERS[label]
    row = builder(ctx)
    row.save()
    row = type(row)._default_manager.get(pk=row.pk)
    before = dict(row.sync_clocks)  # type: ignore[attr-defined]
    start = _last_seq()
    setattr(row, field, f"{getattr(row, field)} modifié")
    row.save()
    after = type(row)._default_manager.get(pk=row.pk).sync_clocks
    renewed = {f for f in after if after[f] != before[f]}
    # ``updated_at`` is each side's bookkeeping, not synced: only the edited field moves.
    assert renewed == {field}
    assert after[field] > before[field]
    assert _traces_after(start) == [(label, str(row.pk), None)]


@pytest.mark.parametrize("label", REFERENCE_LABELS)
def test_save_with_update_fields_clocks_the_named_fields(ctx: dict[str, Any], label: str) -> None:
    builder, field = REFERENCE_BUILDERS[label]
    row = builder(ctx)
    row.save()
    before = dict(row.sync_clocks)  # type: ignore[attr-defined]
    setattr(row, field, "Nouveau")
    row.save(update_fields=[field])
    stored = type(row)._default_manager.get(pk=row.pk)
    assert getattr(stored, field) == "Nouveau"
    renewed = {f for f in stored.sync_clocks if stored.sync_clocks[f] != before[f]}
    assert renewed == {field}


@pytest.mark.parametrize("label", REFERENCE_LABELS)
def test_saving_a_row_loaded_with_deferred_fields_does_not_clock_the_fields_not_loaded(
    ctx: dict[str, Any], label: str
) -> None:
    builder, field = REFERENCE_BUILDERS[label]
    row = builder(ctx)
    row.save()
    before = dict(row.sync_clocks)  # type: ignore[attr-defined]
    partial = type(row)._default_manager.only("id", field, "sync_clocks").get(pk=row.pk)
    setattr(partial, field, "Nouveau")
    partial.save()
    stored = type(row)._default_manager.get(pk=row.pk)
    renewed = {f for f in stored.sync_clocks if stored.sync_clocks[f] != before[f]}
    assert renewed == {field}


@pytest.mark.parametrize("role", ["hub", "node"])
@pytest.mark.parametrize("label", REFERENCE_LABELS)
def test_bulk_create_of_reference_rows_is_captured_and_clocked(
    ctx: dict[str, Any], label: str, role: str
) -> None:
    spec = registry.reference_spec(label)
    assert spec is not None
    model = spec.model
    start = _last_seq()
    with override_settings(COMPTOIR_ROLE=role):
        rows = model._default_manager.bulk_create([_new_ref(label, ctx), _new_ref(label, ctx)])
    expected = [(label, str(r.pk)) for r in rows]
    if role == "hub":
        assert [(m, r) for m, r, _s in _traces_after(start)] == expected
    else:
        assert outbox() == expected
        assert _traces_after(start) == []
    for stored in model._default_manager.filter(pk__in=[r.pk for r in rows]):
        assert set(stored.sync_clocks) == set(spec.fields)


@pytest.mark.parametrize("role", ["hub", "node"])
@pytest.mark.parametrize("label", REFERENCE_LABELS)
def test_insert_values_of_reference_rows_is_captured_and_clocked(
    ctx: dict[str, Any], label: str, role: str
) -> None:
    """The fast insert (CSV imports) is a write path like ``bulk_create``."""
    spec = registry.reference_spec(label)
    assert spec is not None
    model = spec.model
    own = {"id", "created_at", "origin_node", "updated_at", "archived", "sync_clocks"}
    values = [
        {f.attname: getattr(obj, f.attname) for f in model._meta.concrete_fields}
        for obj in (_new_ref(label, ctx), _new_ref(label, ctx))
    ]
    values = [{k: v for k, v in row.items() if k not in own} for row in values]
    start = _last_seq()
    with override_settings(COMPTOIR_ROLE=role):
        ids = model._default_manager.insert_values(values)
    expected = [(label, str(pk)) for pk in ids]
    if role == "hub":
        assert [(m, r) for m, r, _s in _traces_after(start)] == expected
    else:
        assert outbox() == expected
        assert _traces_after(start) == []
    stored = model._default_manager.filter(pk__in=ids)
    assert len(stored) == 2
    for row in stored:
        assert set(row.sync_clocks) == set(spec.fields)
        assert len(set(row.sync_clocks.values())) == 1
        assert row.origin_node == settings.COMPTOIR_NODE_ID


def _state(row: models.Model) -> tuple[dict[str, Any], dict[str, str]]:
    """What a pull or a push sends of ``row``: its synced fields and their clocks."""
    state = wire.reference_states(registry.label_of(row), [row.pk])[row.pk]
    return state["fields"], state["clocks"]


@pytest.mark.parametrize("role", ["hub", "node"])
@pytest.mark.parametrize("label", REFERENCE_LABELS)
def test_update_values_of_reference_rows_sends_the_change_a_save_sends(
    ctx: dict[str, Any], label: str, role: str
) -> None:
    """The bulk update (CSV re-imports) is a write path like ``save``: two twin rows get
    the same edit, one by ``save``, one by ``update_values``; the same fields move, with
    one new clock each, and each row is captured once. A row given with its stored
    values is neither written nor captured."""
    builder, field = REFERENCE_BUILDERS[label]
    model = registry.reference_spec(label).model  # type: ignore[union-attr]
    saved, bulk, untouched = builder(ctx), builder(ctx), builder(ctx)
    for row in (saved, bulk, untouched):
        row.save()
    before = {row.pk: _state(row) for row in (saved, bulk, untouched)}
    stored_untouched = model._default_manager.get(pk=untouched.pk)
    start = _last_seq()
    with override_settings(COMPTOIR_ROLE=role):
        row = model._default_manager.get(pk=saved.pk)
        setattr(row, field, f"{getattr(row, field)} modifié")
        row.archived = True  # type: ignore[attr-defined]
        row.save()
        changed = model._default_manager.update_values(
            [
                {"id": bulk.pk, field: f"{getattr(bulk, field)} modifié", "archived": True},
                {"id": untouched.pk, field: getattr(untouched, field)},
            ]
        )
    assert changed == {bulk.pk: tuple(n for n in model_attnames(model) if n in {field, "archived"})}
    expected = [(label, str(saved.pk)), (label, str(bulk.pk))]
    if role == "hub":
        assert [(m, r) for m, r, _s in _traces_after(start)] == expected
    else:
        assert outbox() == expected
        assert _traces_after(start) == []
    moved = {}
    for row in (saved, bulk):
        (old_fields, old_clocks), (fields, clocks) = before[row.pk], _state(row)
        assert fields == {**old_fields, field: f"{old_fields[field]} modifié", "archived": True}
        renewed = {f for f in clocks if clocks[f] != old_clocks[f]}
        assert set(clocks) == set(old_clocks)
        assert all(clocks[f] > old_clocks[f] for f in renewed)
        assert len({clocks[f] for f in renewed}) == 1
        moved[row.pk] = renewed
    assert moved[saved.pk] == moved[bulk.pk] == {field, "archived"}
    assert _state(untouched) == before[untouched.pk]
    assert model._default_manager.get(pk=untouched.pk).updated_at == stored_untouched.updated_at
    assert model._default_manager.get(pk=bulk.pk).updated_at > stored_untouched.updated_at


def model_attnames(model: type[models.Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


@pytest.mark.parametrize("role", ["hub", "node"])
def test_update_values_refuses_what_the_hub_would_refuse_and_writes_nothing(
    ctx: dict[str, Any], role: str
) -> None:
    """The same checks as any local write (``capture.check_local``), on the whole row."""
    good, bad = Supplier(code="F1", name="Un"), Supplier(code="F2", name="Deux")
    for row in (good, bad):
        row.save()
    start = _last_seq()
    with (
        override_settings(COMPTOIR_ROLE=role),
        pytest.raises(ValidationError, match="200"),
        transaction.atomic(),  # no savepoint of its own: it fails the caller's transaction
    ):
        Supplier.objects.update_values(
            [{"id": good.pk, "name": "Fournil"}, {"id": bad.pk, "name": "x" * 201}]
        )
    assert sorted(Supplier.objects.values_list("name", flat=True)) == ["Deux", "Un"]
    assert _traces_after(start) == []
    assert outbox() == []


@pytest.mark.parametrize("label", REFERENCE_LABELS)
def test_bulk_updates_and_deletes_of_reference_rows_are_refused(
    ctx: dict[str, Any], label: str
) -> None:
    builder, field = REFERENCE_BUILDERS[label]
    row = builder(ctx)
    row.save()
    model = type(row)
    manager = model._default_manager
    start = _last_seq()
    with pytest.raises(ImmutableError):
        manager.filter(pk=row.pk).update(**{field: "Écrasé"})
    with pytest.raises(ImmutableError):
        manager.update(**{field: "Écrasé"})
    setattr(row, field, "Écrasé")
    with pytest.raises(ImmutableError):
        manager.bulk_update([row], [field])
    with pytest.raises(ImmutableError, match="s'archive"):
        manager.filter(pk=row.pk).delete()
    with pytest.raises(ImmutableError, match="s'archive"):
        row.delete()
    stored = manager.get(pk=row.pk)
    assert getattr(stored, field) != "Écrasé"
    assert _traces_after(start) == []


def test_an_article_saved_through_the_admin_is_captured(
    ctx: dict[str, Any], admin_client: Client
) -> None:
    article = ctx["article"]
    before = dict(Article.objects.get(pk=article.pk).sync_clocks)
    start = _last_seq()
    response = admin_client.post(
        reverse("admin:catalogue_article_change", args=[article.pk]),
        {
            "name": "Nom changé dans l'admin",
            "category": "",
            "supplier": "",
            "sale_price": "1.40",
            "vat_rate": str(article.vat_rate),
            "cost": format_amount(article.cost, "EUR"),
            "unit": article.unit,
            "alert_threshold": "0",
            "new_barcodes": "",
            "barcodes-TOTAL_FORMS": "0",
            "barcodes-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    stored = Article.objects.get(pk=article.pk)
    assert (stored.name, stored.sale_price) == ("Nom changé dans l'admin", 140)
    assert ("catalogue.article", str(article.pk), None) in _traces_after(start)
    assert stored.sync_clocks["name"] > before["name"]
    assert stored.sync_clocks["sale_price"] > before["sale_price"]
    assert stored.sync_clocks["code"] == before["code"]


def test_applying_a_change_on_a_node_is_not_echoed_to_its_outbox(ctx: dict[str, Any]) -> None:
    with override_settings(COMPTOIR_ROLE="node"), capture.applying("hub"):
        Category(name="Venue du hub").save()
        Category.objects.bulk_create([Category(name="Aussi du hub")])
        StockMovement(
            article=ctx["article"],
            store=ctx["store"],
            kind="receipt",
            quantity=1,
            occurred_at=at(1),
        ).save()
    assert outbox() == []


def test_applying_a_change_on_the_hub_logs_it_with_the_pushing_node_as_origin(
    ctx: dict[str, Any],
) -> None:
    start = _last_seq()
    with capture.applying("node-7"):
        category = Category(name="Venue d'une caisse")
        category.save()
    assert _traces_after(start) == [("catalogue.category", str(category.pk), None)]
    assert ChangeLog.objects.get(seq__gt=start).origin_node == "node-7"
    assert (
        ChangeLog.objects.filter(seq__lte=start)
        .exclude(origin_node=settings.COMPTOIR_NODE_ID)
        .count()
        == 0
    )


# --- fact models ------------------------------------------------------------------------


@pytest.fixture
def sold(ctx: dict[str, Any]) -> dict[str, Any]:
    invoice = invoice_sell(lines=[SaleLine("BASE", 2)], at=at(1))
    note = credit_note_issue(invoice_number=invoice.number, lines=[ReturnLine("BASE", 1)], at=at(2))
    # Cash facts: a till holds one first session, and a session one closing; each test builds
    # up to three of a kind, so three tills without a session and three open sessions.
    tills = [
        till_create(store=ctx["store"], name=f"Caisse de test {i}", prefix=f"Z{i}")
        for i in range(6)
    ]
    sessions = [session_open(amount="0", till=till, at=at(2)) for till in tills[3:]]
    return {
        **ctx,
        "invoice": invoice,
        "customer": Customer.objects.create(code="ACCT", name="Client"),
        "line": invoice.lines.get(),
        "note": note,
        "free_tills": tills[:3],
        "open_sessions": sessions,
    }


def _money(**extra: Any) -> dict[str, Any]:
    return {"total_excl_tax": 0, "total_tax": 0, "total_incl_tax": 0, **extra}


FACT_BUILDERS: dict[str, Callable[[dict[str, Any]], models.Model]] = {
    "sales.invoice": lambda c: Invoice(
        number=f"C1-2026-9{_n():05d}",
        till=c["till"],
        store=c["store"],
        year=2026,
        sequence=90000 + _n(),
        validated_at=timezone.now(),
        business_date=date(2026, 3, 1),
        currency="EUR",
        total_paid=0,
        chain_hash="x",
        **_money(),
    ),
    "sales.invoiceline": lambda c: InvoiceLine(
        invoice=c["invoice"],
        position=100 + _n(),
        article=c["article"],
        article_code="BASE",
        label="Article",
        quantity=Decimal(1),
        unit_price=0,
        vat_rate=Decimal(20),
        **_money(),
    ),
    "sales.invoicetax": lambda c: InvoiceTax(
        invoice=c["invoice"], vat_rate=Decimal(_n()) / 100, base_excl_tax=0, tax=0, total_incl_tax=0
    ),
    "sales.payment": lambda c: Payment(
        invoice=c["invoice"], position=100 + _n(), method="cash", amount=0
    ),
    "sales.creditnote": lambda c: CreditNote(
        number=f"C1-AV-2026-9{_n():05d}",
        invoice=c["invoice"],
        till=c["till"],
        store=c["store"],
        year=2026,
        sequence=90000 + _n(),
        issued_at=timezone.now(),
        business_date=date(2026, 3, 2),
        currency="EUR",
        chain_hash="x",
        **_money(),
    ),
    "sales.creditnoteline": lambda c: CreditNoteLine(
        credit_note=c["note"],
        invoice_line=c["line"],
        position=100 + _n(),
        article=c["article"],
        quantity=Decimal(0),
        vat_rate=Decimal(20),
        **_money(),
    ),
    "sales.creditnotetax": lambda c: CreditNoteTax(
        credit_note=c["note"],
        vat_rate=Decimal(_n()) / 100,
        base_excl_tax=0,
        tax=0,
        total_incl_tax=0,
    ),
    "cash.cashsession": lambda c: CashSession(
        till=c["free_tills"].pop(),
        store=c["store"],
        number=1,
        opened_at=timezone.now(),
        currency="EUR",
        float_amount=0,
    ),
    "cash.cashmovement": lambda c: CashMovement(
        session=c["open_sessions"][0],
        till=c["open_sessions"][0].till,
        store=c["store"],
        number=100 + _n(),
        kind="out",
        amount=1,
        reason="Banque",
        occurred_at=timezone.now(),
    ),
    "cash.cashsessionclosing": lambda c: CashSessionClosing(
        session=(session := c["open_sessions"].pop()),
        till=session.till,
        store=c["store"],
        closed_at=timezone.now(),
        counted_amount=0,
        expected_amount=0,
        difference=0,
    ),
    "closings.closing": lambda c: Closing(
        till=c["till"],
        store=c["store"],
        kind="day",
        period_start=date(2020, 1, 1) + timedelta(days=_n()),
        period_end=date(2020, 1, 1),
        closed_at=timezone.now(),
        currency="EUR",
    ),
    "events.technicalevent": lambda c: TechnicalEvent(
        till=c["till"],
        store=c["store"],
        number=1000 + _n(),
        kind="reprint",
        occurred_at=timezone.now(),
        details='{"document":"C1-2026-000001"}',
    ),
    "stock.stockmovement": lambda c: StockMovement(
        article=c["article"], store=c["store"], kind="loss", quantity=-1, occurred_at=at(3)
    ),
    "sales.accountsettlement": lambda c: AccountSettlement(
        customer=c["customer"],
        customer_name="Client",
        store=c["store"],
        till=c["till"],
        settled_at=timezone.now(),
        currency="EUR",
        amount=100,
        method="cash",
    ),
    "stock.inventorycount": lambda c: InventoryCount(
        article=c["article"], store=c["store"], quantity=5, counted_at=at(3)
    ),
}
FACT_LABELS = sorted(FACT_BUILDERS)


def _root_of(row: models.Model) -> tuple[str, str, str | None]:
    """The trace a fact row must leave: its aggregate root and that root's store."""
    if isinstance(row, InvoiceLine | InvoiceTax | Payment):
        return "sales.invoice", str(row.invoice_id), str(row.invoice.store_id)
    if isinstance(row, CreditNoteLine | CreditNoteTax):
        return "sales.creditnote", str(row.credit_note_id), str(row.credit_note.store_id)
    return registry.label_of(row), str(row.pk), str(row.store_id)  # type: ignore[attr-defined]


@pytest.mark.parametrize("label", FACT_LABELS)
def test_saving_a_fact_leaves_one_trace_for_its_aggregate_root(
    sold: dict[str, Any], label: str
) -> None:
    start = _last_seq()
    row = FACT_BUILDERS[label](sold)
    row.save()
    assert _traces_after(start) == [_root_of(row)]


@pytest.mark.parametrize("label", FACT_LABELS)
def test_bulk_creating_facts_leaves_one_trace_per_aggregate_root(
    sold: dict[str, Any], label: str
) -> None:
    start = _last_seq()
    rows = FACT_BUILDERS[label](sold), FACT_BUILDERS[label](sold), FACT_BUILDERS[label](sold)
    type(rows[0])._default_manager.bulk_create(rows)
    expected = list(dict.fromkeys(_root_of(r) for r in rows))
    assert _traces_after(start) == expected
    spec = registry.fact_spec(label)
    assert spec is not None
    assert len(expected) == (1 if spec.part_only else 3)


@pytest.mark.parametrize("label", FACT_LABELS)
def test_facts_written_on_a_node_go_to_the_outbox_once_per_root(
    sold: dict[str, Any], label: str
) -> None:
    with override_settings(COMPTOIR_ROLE="node"):
        row = FACT_BUILDERS[label](sold)
        row.save()
        more = [FACT_BUILDERS[label](sold), FACT_BUILDERS[label](sold)]
        type(row)._default_manager.bulk_create(more)
    expected = [_root_of(r)[:2] for r in (row, *more)]
    assert outbox() == [expected[0], *dict.fromkeys(expected[1:])]


@pytest.mark.parametrize("label", FACT_LABELS)
def test_a_rolled_back_fact_leaves_no_trace(sold: dict[str, Any], label: str) -> None:
    start = _last_seq()
    for role in ("hub", "node"):
        with override_settings(COMPTOIR_ROLE=role):
            _roll_back(lambda: FACT_BUILDERS[label](sold).save())
    assert _traces_after(start) == []
    assert outbox() == []


def test_a_sale_movement_is_traced_as_its_invoice(sold: dict[str, Any]) -> None:
    start = _last_seq()
    invoice = sold["invoice"]
    StockMovement(
        article=sold["article"],
        store=sold["store"],
        kind="sale",
        quantity=-1,
        occurred_at=at(1),
        invoice=invoice,
    ).save()
    assert _traces_after(start) == [("sales.invoice", str(invoice.pk), str(invoice.store_id))]


@pytest.mark.parametrize("label", FACT_LABELS)
def test_facts_are_neither_updated_nor_deleted(sold: dict[str, Any], label: str) -> None:
    row = FACT_BUILDERS[label](sold)
    row.save()
    manager = type(row)._default_manager
    start = _last_seq()
    with pytest.raises(ImmutableError):
        manager.filter(pk=row.pk).update(origin_node="falsifié")
    with pytest.raises(ImmutableError):
        manager.bulk_update([row], ["origin_node"])
    with pytest.raises(ImmutableError):
        manager.filter(pk=row.pk).delete()
    with pytest.raises(ImmutableError):
        row.delete()
    row.origin_node = "falsifié"  # type: ignore[attr-defined]
    with pytest.raises(ImmutableError):
        row.save()
    assert manager.get(pk=row.pk).origin_node == settings.COMPTOIR_NODE_ID
    assert _traces_after(start) == []


def test_a_sale_on_the_hub_is_traced_only_as_its_invoice(ctx: dict[str, Any]) -> None:
    start = _last_seq()
    invoice = invoice_sell(lines=[SaleLine("BASE", 2)], at=at(1))
    assert set(_traces_after(start)) == {("sales.invoice", str(invoice.pk), str(invoice.store_id))}
    assert traces()[-1][0] == "sales.invoice"
