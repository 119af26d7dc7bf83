"""Schedules the simulation found, replayed as fixed regression tests (no Hypothesis)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from comptoir.cash.models import CashMovement, CashSessionClosing
from comptoir.catalogue.models import Article, Supplier
from comptoir.catalogue.selectors import article_get
from comptoir.catalogue.services import article_create, supplier_create
from comptoir.closings.models import Closing
from comptoir.customers.models import Customer
from comptoir.customers.selectors import customer_get
from comptoir.customers.services import customer_create
from comptoir.events.models import TechnicalEvent
from comptoir.lib.errors import ValidationError
from comptoir.sales.models import Invoice
from comptoir.sales.services import SaleLine, credit_note_issue, invoice_sell
from comptoir.stock.services import stock_receive
from comptoir.stores.models import Store, Till
from comptoir.sync.models import SyncState
from comptoir.syncengine import snapshot
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


def test_a_fixed_trading_day_reaches_the_hub_whole(sim: ShopSimulation) -> None:
    """Sessions, cash movements, closings and events once each, without Hypothesis: a till
    sells across midnight with a session open, counts its drawer short, is off for days
    and comes back; the fiscal invariants hold on the hub (and they have something to
    check: every kind of record is there)."""
    sim.tills(count=3)
    sim.open_session(where="n1", amount="150.00")
    sim.sell(where="n1", lines=[(0, 2), (3, 1)], customer=None, paid="card and cash")
    sim.move_cash(pick=0, out=True, amount="20.00")
    sim.move_cash(pick=0, out=False, amount="0.35")
    sim.sync(node="n1", mode="sync", faults=["lost_response"], crash_at=None)
    sim.past_midnight(minutes=1)  # 2027: the day, December and 2026 close at the next sale
    sim.sell(where="n1", lines=[(1, 1)], customer="CL1")
    sim.refund(where="n1", pick=0, partial=True)
    sim.close_session(pick=0, error=-150)  # 1.50 short
    sim.technical_event(where="n1", reprint=True, pick=0)
    sim.technical_event(where="n3", reprint=False, pick=0)
    sim.sell(where="hub", lines=[(2, 1)], customer=None)
    sim.open_session(where="hub", amount="0")
    sim.close_session(pick=0, error=0)
    sim.off_for_days(node="n3", days=9)  # no document: nothing to close, but events
    sim.sell(where="n3", lines=[(2, 1)], customer=None)
    sim.off_for_days(node="n1", days=33)  # January closes while it is off
    assert healed_problems(sim) == []
    with sim.world.on(HUB):
        n1 = Till.objects.get(prefix="N1")
        kinds = set(Closing.objects.filter(till=n1).values_list("kind", "period_start"))
        assert {("year", date(2026, 1, 1)), ("month", date(2026, 12, 1))} <= kinds
        assert ("month", date(2027, 1, 1)) in kinds
        closing = CashSessionClosing.objects.get(till=n1)
        assert closing.difference == -150
        assert CashMovement.objects.filter(till=n1).count() == 2
        events = set(TechnicalEvent.objects.values_list("till__prefix", "kind"))
        assert {
            ("N1", "session_open"),
            ("N1", "session_close"),
            ("N1", "closing_made"),
            ("N1", "reprint"),
            ("N1", "post_stop"),
            ("N1", "post_start"),
            ("N3", "login_failed"),
            ("H", "closing_made"),
        } <= events


def test_a_clock_set_back_after_a_closing_does_not_reopen_the_closed_day(
    sim: ShopSimulation,
) -> None:
    """A till an hour ahead sells after its midnight (23:15 true time): that closes its
    31 December, December and 2026. Its clock is then set right (NTP) and it sells again:
    the document must not fall in the closed day, or the closings no longer equal their
    recomputation from the facts (found by the simulation's closings invariant)."""
    sim.tills(count=3)
    sim.sell(where="n1", lines=[(2, 1)], customer=None)
    sim.skew(node="n1", skew=3_600_000)
    sim.wait(ms=3_600_000)
    sim.wait(ms=3_600_000)
    sim.wait(ms=900_000)  # 23:15 in Paris, 00:15 on n1
    sim.sell(where="n1", lines=[(0, 1)], customer=None)  # closes 31 December on n1
    sim.skew(node="n1", skew=0)
    sim.sell(where="n1", lines=[(1, 1)], customer=None)
    assert healed_problems(sim) == []


def test_a_till_behind_the_log_s_cut_takes_a_snapshot_and_keeps_what_it_had_not_sent(
    sim: ShopSimulation,
) -> None:
    """Issue 17: n1 sells and edits a customer offline while the hub and n2 go on; the hub
    cuts its log past n1's cursor. n1's next sync is answered 410, takes the hub's
    snapshot (its unsent sale and edit stay in its outbox), then pushes them."""
    sim.tills(count=3)
    sim.sell(where="n1", lines=[(0, 2)], customer="CL1", paid="exact")
    sim.edit_customer(customer="CL1", what="name", where="n1")
    sim.edit_article(where="hub", article="A2", what="name")
    sim.sell(where="n2", lines=[(1, 1)], customer=None, paid="exact")
    sim.sync(node="n2", mode="sync", faults=[], crash_at=None)
    sim.compact(cut=True)
    snapshots = sim.world.stats.requests["GET snapshot"]
    report = sim.world.sync("n1")
    assert report is not None
    assert report.errors == []
    assert sim.world.stats.requests["GET snapshot"] > snapshots
    assert report.sent  # the sale and the edit, after the snapshot
    with sim.world.on("n1"):
        n1_name = Customer.objects.get(code="CL1").name
        hub_article = Article.objects.get(code="A2").name
    with sim.world.on("hub"):
        assert Customer.objects.get(code="CL1").name == n1_name
        assert Article.objects.get(code="A2").name == hub_article
        sold_on_n1 = [d.id for d in sim.documents if d.side == "n1"]
        assert sold_on_n1
        assert Invoice.objects.filter(pk__in=sold_on_n1).count() == len(sold_on_n1)
    assert healed_problems(sim) == []


def test_a_snapshot_cut_short_by_a_crash_goes_on_from_its_last_page(
    sim: ShopSimulation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages of three rows: n1 crashes while applying the snapshot's second page. The first
    is kept with where the next starts; the cursor has not moved. The next sync goes on
    from there and only then moves the cursor to the snapshot's head."""
    monkeypatch.setattr(snapshot, "PAGE_ROWS", 3)
    sim.tills(count=3)
    sim.sell(where="n1", lines=[(0, 1)], customer=None, paid="exact")
    sim.edit_article(where="hub", article="A1", what="name")
    sim.compact(cut=True)
    with sim.world.on("n1"):
        cursor = SyncState.objects.get(pk=1).pull_cursor
    # Crash points: the pull (sent, answered 410), the first page (sent, answered,
    # applied), the second (sent, answered), its application.
    assert sim.world.sync("n1", crash_at=7) is None
    with sim.world.on("n1"):
        state = SyncState.objects.get(pk=1)
        assert state.snapshot_head is not None
        assert state.snapshot_after
        assert state.pull_cursor == cursor
        head = state.snapshot_head
    pages = sim.world.stats.requests["GET snapshot"]
    report = sim.world.sync("n1")
    assert report is not None
    assert report.errors == []
    with sim.world.on("n1"):
        state = SyncState.objects.get(pk=1)
        assert (state.snapshot_head, state.snapshot_after) == (None, "")
        assert state.pull_cursor >= head
    with sim.world.on("hub"):
        rows = sum(
            len(snapshot._rows(label, Store.objects.get(name=store_of("n1")).pk))
            for label in snapshot.snapshot_labels()
        )
    # It went on: fewer pages than a snapshot from the start.
    assert sim.world.stats.requests["GET snapshot"] - pages < -(-rows // 3)
    assert healed_problems(sim) == []
