"""A hub restored from an older backup takes back another post's fiscal records from a
till that holds them (``journal.arrival.relayed_record``): only records signed by their
own post's key, of the relaying till's store."""

from __future__ import annotations

import pytest

from comptoir.fiscal.keys import key_generate, sign
from comptoir.journal.verify import journal_verify
from comptoir.sales.models import Invoice
from comptoir.stores.models import Till
from comptoir.stores.services import store_get_or_create
from comptoir.sync.models import NodeCredential
from comptoir.syncengine import auth, hub
from tests.journal.test_arrival import _row, cred, node_sales

pytestmark = pytest.mark.django_db
__all__ = ["cred"]  # (the fixture)


@pytest.fixture
def relay(cred: NodeCredential) -> NodeCredential:
    """Till C3 of post ``node-3``, in the same store as C2 (``cred``)."""
    code = auth.enrollment_create(name="Caisse 3")
    token, _till = auth.enrollment_redeem(code=code, node_id="node-3")
    found = auth.credential_for(token)
    assert found is not None
    return found


def test_a_till_relays_another_post_s_signed_records(
    cred: NodeCredential, relay: NodeCredential
) -> None:
    first, second = node_sales(cred, 2)
    results = hub.push_apply(relay, [first, second])
    assert [r.status for r in results] == ["applied", "applied"], results
    [result] = journal_verify("C2")
    assert (result.status, len(result.stored)) == ("whole", 2)


def test_a_relayed_record_must_verify_with_its_own_post_s_key(
    cred: NodeCredential, relay: NodeCredential
) -> None:
    [first] = node_sales(cred, 1)
    _row(first)["signature"] = sign(key_generate(), b"comptoir-fiscal-record\n" + b"0" * 64)
    [result] = hub.push_apply(relay, [first])
    assert result.status == "rejected"
    assert not Invoice.objects.filter(pk=first.row).exists()


def test_a_post_without_a_registered_key_is_not_relayed(
    cred: NodeCredential, relay: NodeCredential
) -> None:
    till = Till.objects.get(pk=cred.till.pk)
    till.public_key, till.key_id = "", ""
    till.save(update_fields=["public_key", "key_id"])
    [first] = node_sales(cred, 1)
    [result] = hub.push_apply(relay, [first])
    assert result.status == "rejected"
    assert "propre caisse" in result.reason


def test_a_till_of_another_store_relays_nothing(cred: NodeCredential) -> None:
    store_get_or_create(name="Autre magasin", currency="EUR")
    code = auth.enrollment_create(name="Caisse 9", store="Autre magasin")
    token, _till = auth.enrollment_redeem(code=code, node_id="node-9")
    other = auth.credential_for(token)
    assert other is not None
    [first] = node_sales(cred, 1)
    [result] = hub.push_apply(other, [first])
    assert result.status == "rejected"
