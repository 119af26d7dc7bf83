"""A validated fact the hub refuses anyway is an integrity alert on both sides (issue 13.1).

The example: a till (before posts checked their rows) validated invoice 1 with a
200-character cashier; the PostgreSQL hub refused it for ever and applied invoice 2: a
hole in the series. Such a refusal is no ordinary "refused change" any more: the hub
records it and shows it to managers, the till shows it on its page, badge and status.
"""

from __future__ import annotations

import io
import uuid
from typing import Any

import msgspec
import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse

from comptoir.catalogue.services import article_create
from comptoir.customers.services import customer_create
from comptoir.sales.services import SaleLine, invoice_sell
from comptoir.stores.models import Till
from comptoir.sync import wire
from comptoir.sync.hlc import Timestamp
from comptoir.sync.models import IntegrityAlert, NodeCredential
from comptoir.syncengine import auth, engine, hub
from comptoir.syncengine.protocol import Change, FactData, PushReply, Result
from comptoir.syncengine.selectors import sync_status
from comptoir.web.views import badge_state
from tests.factories import at, make_article
from tests.sync.helpers import fact_change, reference_change, stamp

SYNC = reverse("sync:index")


@pytest.fixture
def cred(till: Till) -> NodeCredential:
    """A second till of the store, enrolled as node ``node-2`` (prefix C2)."""
    make_article("PAIN", "1.20")
    code = auth.enrollment_create(name="Caisse 2")
    token, _till = auth.enrollment_redeem(code=code, node_id="node-2")
    found = auth.credential_for(token)
    assert found is not None
    return found


def node_sale(cred: NodeCredential, day: int, **edits: Any) -> tuple[Change, str]:
    """An invoice validated on the node's till (not on the hub), with ``edits`` made to its
    root row on the wire, as a till without the checks could have sent it."""
    sid = transaction.savepoint()
    invoice = invoice_sell(lines=[SaleLine("PAIN", 2)], till=cred.till, at=at(day))
    data = wire.fact_aggregates("sales.invoice", [invoice.pk])[invoice.pk]
    transaction.savepoint_rollback(sid)
    data["rows"]["sales.invoice"][0].update(edits)
    return fact_change("sales.invoice", invoice.pk, data), invoice.number


def test_a_fact_the_hub_refuses_is_an_integrity_alert_shown_to_managers(
    cred: NodeCredential, client_as: Any
) -> None:
    first, number = node_sale(cred, 2, cashier="x" * 200)
    second, _ = node_sale(cred, 3)
    results = hub.push_apply(cred, [first, second])
    assert [r.status for r in results] == ["rejected", "applied"]
    alert = IntegrityAlert.objects.get()
    assert (alert.node_id, alert.model, alert.document) == ("node-2", "sales.invoice", number)
    assert "cashier" in alert.reason
    assert alert.resolved_at is None

    hub.push_apply(
        cred, [msgspec.structs.replace(first, id=str(uuid.uuid4()))]
    )  # refused again: one alert
    assert IntegrityAlert.objects.count() == 1

    html = client_as("manager").get(SYNC).content.decode()
    assert 'id="integrity-alerts"' in html
    assert number in html
    assert "Caisse 2" in html
    out = io.StringIO()
    call_command("status", stdout=out)
    assert f"Alerte d'intégrité : document {number}" in out.getvalue()


def test_copies_of_one_refused_fact_in_one_push_make_one_alert(cred: NodeCredential) -> None:
    """Found by the fuzzer on PostgreSQL: two refused copies of a fact in one push were one
    upsert touching a row twice, and the whole push failed."""
    bad, _number = node_sale(cred, 2, cashier="x" * 200)
    worse = msgspec.structs.replace(bad, id=str(uuid.uuid4()))
    results = hub.push_apply(cred, [bad, worse])
    assert [r.status for r in results] == ["rejected", "rejected"]
    assert IntegrityAlert.objects.count() == 1


def test_an_altered_copy_of_a_stored_fact_leaves_no_hole_and_no_alert(
    cred: NodeCredential,
) -> None:
    sale, _number = node_sale(cred, 2)
    assert [r.status for r in hub.push_apply(cred, [sale])] == ["applied"]
    altered = msgspec.structs.replace(sale, id=str(uuid.uuid4()))
    altered.data = FactData(rows={**sale.data.rows})
    root = {**sale.data.rows["sales.invoice"][0], "cashier": "x" * 200}
    altered.data.rows["sales.invoice"] = [root]
    assert [r.status for r in hub.push_apply(cred, [altered])] == ["rejected"]
    assert not IntegrityAlert.objects.exists()


def test_the_alert_closes_when_the_fact_is_applied_at_last(cred: NodeCredential) -> None:
    """Another cause: the invoice names a customer the hub does not have yet."""
    sid = transaction.savepoint()
    customer = customer_create(name="Zoé Martin")
    new_customer = reference_change(customer)
    invoice = invoice_sell(lines=[SaleLine("PAIN", 1)], till=cred.till, customer=customer)
    sale = fact_change(
        "sales.invoice",
        invoice.pk,
        wire.fact_aggregates("sales.invoice", [invoice.pk])[invoice.pk],
    )
    transaction.savepoint_rollback(sid)
    assert [r.status for r in hub.push_apply(cred, [sale])] == ["rejected"]
    assert IntegrityAlert.objects.filter(resolved_at=None).count() == 1
    retried = msgspec.structs.replace(sale, id=str(uuid.uuid4()))
    assert [r.status for r in hub.push_apply(cred, [new_customer, retried])] == [
        "applied",
        "applied",
    ]
    assert IntegrityAlert.objects.filter(resolved_at=None).count() == 0
    assert IntegrityAlert.objects.count() == 1  # kept, closed


def test_a_refused_reference_change_is_no_integrity_alert(cred: NodeCredential) -> None:
    store = cred.till.store
    store_edit = reference_change(store, name="Autre nom")
    newer = Timestamp.decode(max(store.sync_clocks.values()))
    store_edit.data.clocks["name"] = stamp(newer.wall_ms + 1_000, "node-2")
    assert [r.status for r in hub.push_apply(cred, [store_edit])] == ["rejected"]
    assert not IntegrityAlert.objects.exists()


class RefusingHub:
    """Answers a push as the hub does when it refuses every change."""

    last_hub_time = None

    def push(self, changes: list[Change], *, pending: int | None = None) -> PushReply:
        reason = "Valeur invalide pour cashier"
        return PushReply(results=[Result(c.id, "rejected", reason) for c in changes])


@override_settings(COMPTOIR_ROLE="node", COMPTOIR_HUB_URL="http://127.0.0.1:9")
def test_a_till_shows_a_refused_fact_as_an_integrity_alert(till: Till, client_as: Any) -> None:
    article_create(code="A01", name="Pomme", sale_price="2.50")
    invoice = invoice_sell(lines=[SaleLine("A01", "1")])
    engine.push(RefusingHub())  # type: ignore[arg-type]
    status = sync_status()
    assert [(a["model"], a["document"]) for a in status.integrity_alerts] == [
        ("sales.invoice", invoice.number)
    ]
    assert len(status.rejected) > len(status.integrity_alerts)  # the article is no alert
    badge = badge_state()
    assert badge["level"] == "error"
    assert "alerte d’intégrité" in str(badge["text"])

    html = client_as("cashier").get(SYNC).content.decode()
    assert 'id="integrity-alerts"' in html
    assert invoice.number in html
    out = io.StringIO()
    call_command("status", stdout=out)
    assert f"Alerte d'intégrité : document validé {invoice.number}" in out.getvalue()


@pytest.fixture
def client_as(db: None) -> Any:
    from django.contrib.auth import get_user_model

    from comptoir.web.roles import CASHIER, MANAGER, role_set

    def make(role: str) -> Client:
        user = get_user_model().objects.create_user(f"u-{role}", password="x-solide-123")
        role_set(user, {"manager": MANAGER, "cashier": CASHIER}[role])
        client = Client()
        client.force_login(user)
        return client

    return make
