"""Schedules the simulation found, replayed as fixed regression tests (no Hypothesis)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from comptoir.catalogue.models import Article, Supplier
from comptoir.catalogue.selectors import article_get
from comptoir.catalogue.services import article_create, supplier_create
from comptoir.customers.models import Customer
from comptoir.customers.selectors import customer_get
from comptoir.customers.services import customer_create
from comptoir.lib.errors import ValidationError
from comptoir.sales.models import Invoice
from comptoir.sales.services import SaleLine, credit_note_issue, invoice_sell
from comptoir.stock.services import stock_receive
from tests.sim import test_simulation
from tests.sim.invariants import Document, all_problems
from tests.sim.test_simulation import ShopSimulation
from tests.sim.world import HUB, World, store_of


@pytest.fixture
def sim(world: World) -> Iterator[ShopSimulation]:
    test_simulation.WORLD = world
    try:
        yield ShopSimulation()
    finally:
        test_simulation.WORLD = None


def healed_problems(sim: ShopSimulation) -> list[str]:
    problems = sim.heal()
    return problems + all_problems(sim.world, sim.nodes, sim.documents, sim.edits)


def test_a_till_rewound_from_the_future_does_not_keep_a_value_that_lost(
    sim: ShopSimulation,
) -> None:
    sim.tills(count=4)
    sim.skew(node="n4", skew=3_600_000)  # an hour ahead: beyond the hub's tolerance
    sim.edit_customer(customer="CL2", what="name", where="n4")
    sim.skew(node="n1", skew=100_000)  # ahead, but within the tolerance
    sim.edit_customer(customer="CL2", what="name", where="n1")
    sim.skew(node="n1", skew=0)
    sim.skew(node="n4", skew=0)
    sim.sync(node="n1", mode="sync", faults=[], crash_at=None)  # the hub takes n1's name
    # n4 pulls n1's name and keeps its own (stamped an hour ahead); then the hub's time
    # rewinds its clock and re-stamps its name below n1's; the hub keeps n1's on push.
    sim.sync(node="n4", mode="sync", faults=[], crash_at=None)
    with sim.world.on("n4"):
        n4_name = Customer.objects.get(code="CL2").name
    with sim.world.on("hub"):
        hub_name = Customer.objects.get(code="CL2").name
    assert n4_name == hub_name
    assert healed_problems(sim) == []


def test_two_tills_creating_the_same_shelf_offline_converge(sim: ShopSimulation) -> None:
    sim.tills(count=3)
    with sim.world.on("n1"):
        article_create(code="JUS", name="Jus", sale_price="2.00", category="Boissons")
    with sim.world.on("n3"):
        article_create(code="SODA", name="Soda", sale_price="1.50", category="Boissons")
        sold = invoice_sell(lines=[SaleLine("SODA", 1)])
    sim.documents.append(Document("invoice", sold.pk, sold.number, store_of("n3"), "n3"))
    assert healed_problems(sim) == []


def test_two_tills_creating_the_same_codes_offline_converge(sim: ShopSimulation) -> None:
    """Article, barcode, supplier and customer codes typed alike on two offline tills: the
    hub takes both twins (codes are unique per post, not in the database), every sale of
    either reaches it, and afterwards every post picks the same twin (the oldest)."""
    sim.tills(count=3)
    for node, lines in (("n1", [SaleLine("JUS", 1)]), ("n2", [SaleLine("3560070123452", 2)])):
        with sim.world.on(node):
            supplier_create(code="VERGER", name=f"Verger ({node})")
            customer_create(code="DUPONT", name=f"M. Dupont ({node})")
            article_create(
                code="JUS",
                name=f"Jus ({node})",
                sale_price="2.00",
                barcodes=["3560070123452"],
                supplier="VERGER",
            )
            stock_receive(article="JUS", quantity=6, supplier="VERGER", store=store_of(node))
            sold = invoice_sell(lines=lines, customer="DUPONT")
        sim.documents.append(Document("invoice", sold.pk, sold.number, store_of(node), node))
    assert healed_problems(sim) == []
    picked = set()
    for side in (HUB, *sim.nodes):
        with sim.world.on(side):
            assert Article.objects.filter(code="JUS").count() == 2
            oldest = (
                Article.objects.filter(code="JUS").order_by("id").first(),
                Supplier.objects.filter(code="VERGER").order_by("id").first(),
                Customer.objects.filter(code="DUPONT").order_by("id").first(),
            )
            found = (
                article_get(code="JUS"),
                article_get(code="3560070123452"),
                customer_get(ref="DUPONT"),
            )
            assert found == (oldest[0], oldest[0], oldest[2])
            assert oldest[1] is not None
            picked.add((found[0].name, oldest[1].name, found[2].name))
    assert picked == {("Jus (n1)", "Verger (n1)", "M. Dupont (n1)")}


def test_a_return_in_another_store_is_refused_plainly(sim: ShopSimulation) -> None:
    """Each store's tills hold their own store's invoices, so a credit note for another
    store's invoice could never apply on the tills of the store taking the goods back:
    it is refused where it is asked for, and everybody still converges."""
    sim.tills(count=3)
    sim.sell(where="n2", lines=[(0, 2)], customer=None)  # n2 sells in store B
    sim.sync(node="n2", mode="sync", faults=[], crash_at=None)
    with sim.world.on(HUB), pytest.raises(ValidationError, match="autre magasin"):
        credit_note_issue(invoice_number=sim.documents[0].number, reason="retour")
    assert healed_problems(sim) == []


def test_a_fixed_schedule_through_every_fault_converges(sim: ShopSimulation) -> None:
    """Every kind of fault once, in a schedule without Hypothesis: the harness's own check."""
    sim.tills(count=3)
    sim.sell(where="n1", lines=[(0, 2), (1, 1)], customer="CL1")
    sim.sync_through_faults(node="n1", faults=["lost_response"], crash_at=None)
    with sim.world.on(HUB):  # applied, though n1 never heard of it
        assert Invoice.objects.filter(number=sim.documents[0].number).exists()
    sim.edit_customer(where="n2", customer="CL1", what="phone")
    sim.sync_through_faults(node="n2", faults=["hold", "lost_request"], crash_at=None)
    sim.edit_article(where="hub", article="A1", what="name")
    sim.sync_through_faults(node="n3", faults=["duplicate"], crash_at=None)
    sim.refund(where="n3", pick=0, partial=True)
    sim.skew(node="n3", skew=100_000)
    for crash_at in range(4):  # each crash point of a sync in turn
        sim.sell(where="n3", lines=[(2, 1)], customer=None)
        sim.sync(node="n3", mode="sync", faults=[], crash_at=crash_at)
    sim.deliver_late(pick=0)
    assert sim.world.stats.crashes.total() == 4
    assert healed_problems(sim) == []
