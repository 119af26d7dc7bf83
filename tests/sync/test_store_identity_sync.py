"""The store's legal identity syncs like the rest of the store: set on the hub, pulled by
the tills with its clocks; a till may not change it (see ``core.sync_setup``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings

from comptoir.stores.models import Store, Till
from comptoir.stores.services import store_update
from comptoir.sync.clock import wall_ms
from comptoir.sync.models import NodeCredential
from comptoir.syncengine import auth, hub
from comptoir.syncengine.apply import apply_batch
from tests.factories import db_state
from tests.sync.helpers import reference_change, stamp
from tests.sync.test_hub import node_edit, statuses

pytestmark = pytest.mark.django_db

IDENTITY: dict[str, Any] = {
    "legal_name": "Boulangerie Martin SAS",
    "postcode": "69002",
    "city": "Lyon",
    "siret": "73282932000074",
    "vat_number": "FR44732829320",
    "share_capital": "10000",
    "receipt_footer": "Merci\nÀ bientôt",
    "fiscal_year_start": "7",
    "late_penalty_rate": "12,5",
}


@pytest.fixture
def cred(till: Till) -> NodeCredential:
    code = auth.enrollment_create(name="Caisse 2")
    token, _till = auth.enrollment_redeem(code=code, node_id="node-2")
    found = auth.credential_for(token)
    assert found is not None
    return found


def stored(store_id: Any) -> tuple[Any, ...]:
    store = Store.objects.get(pk=store_id)
    return (
        store.legal_name,
        store.siret,
        store.vat_number,
        store.share_capital,
        store.receipt_footer,
        store.fiscal_year_start,
        store.late_penalty_rate,
    )


def test_the_identity_set_on_the_hub_is_pulled_and_applied_by_a_till(
    cred: NodeCredential, till: Till
) -> None:
    start = hub.log_head()
    sid = transaction.savepoint()
    store_update(pk=till.store_id, **IDENTITY)
    page = hub.pull_page(cred, start, 100)
    transaction.savepoint_rollback(sid)  # the till's database: the store as it was
    [change] = [c for c in page.changes if c.model == "core.store"]
    fields = change.data.fields
    assert (fields["siret"], fields["share_capital"], fields["late_penalty_rate"]) == (
        "73282932000074",
        1_000_000,
        "12.50",
    )
    assert {"legal_name", "siret", "fiscal_year_start"} <= change.data.clocks.keys()
    assert stored(till.store_id)[0] == ""

    with override_settings(COMPTOIR_ROLE="node"):
        [outcome] = apply_batch([change], origin="hub")

    assert outcome.status == "applied"
    assert stored(till.store_id) == (
        "Boulangerie Martin SAS",
        "73282932000074",
        "FR44732829320",
        1_000_000,
        "Merci\nÀ bientôt",
        7,
        Decimal("12.50"),
    )


def test_a_till_cannot_change_the_identity_through_a_push(cred: NodeCredential) -> None:
    store = Store.objects.get(pk=cred.till.store_id)
    changes = [
        node_edit(store, legal_name="Pirate SARL"),
        node_edit(store, siret="73282932000074", vat_number="FR44732829320"),
        node_edit(store, fiscal_year_start=4, late_penalty_rate="1.00"),
    ]
    state = db_state()
    results = hub.push_apply(cred, changes)
    assert statuses(results) == ["rejected"] * 3
    assert db_state() == state


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("fiscal_year_start", 13),
        ("late_penalty_rate", "100.01"),
        ("late_penalty_rate", "1.001"),
        ("receipt_header", "x" * 501),
        ("share_capital", 10**11 + 1),
        ("country", "FRA"),
    ],
)
def test_the_hub_checks_the_new_fields_of_a_received_store(
    till: Till, field: str, value: Any
) -> None:
    """A store sent by the hub to a till goes through the same field checks: a value its
    column or bounds refuse is rejected, nothing applied."""
    store = Store.objects.get(pk=till.store_id)
    change = reference_change(store, **{field: value})
    change.data.clocks[field] = stamp(wall_ms() + 1_000, "hub")
    state = db_state()
    with override_settings(COMPTOIR_ROLE="node"):
        [outcome] = apply_batch([change], origin="hub")
    assert outcome.status == "rejected"
    assert field in outcome.reason or "Valeur invalide" in outcome.reason, outcome.reason
    assert db_state() == state


def test_a_good_value_sent_the_same_way_is_applied(till: Till) -> None:
    store = Store.objects.get(pk=till.store_id)
    change = reference_change(store, fiscal_year_start=12, late_penalty_rate="100.00")
    for field in ("fiscal_year_start", "late_penalty_rate"):
        change.data.clocks[field] = stamp(wall_ms() + 1_000, "hub")
    with override_settings(COMPTOIR_ROLE="node"):
        [outcome] = apply_batch([change], origin="hub")
    assert outcome.status == "applied", outcome.reason
    store.refresh_from_db()
    assert (store.fiscal_year_start, store.late_penalty_rate) == (12, Decimal(100))
