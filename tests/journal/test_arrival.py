"""The hub checks each post's fiscal records on arrival: a bad signature is refused (it
stays in the till's outbox), a record whose predecessor has not arrived is kept and
pending until it does, a chain that does not link is kept and raises an integrity alert.
"""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from django.db import transaction

from comptoir.events.models import EventKind, TechnicalEvent
from comptoir.fiscal.chains import link
from comptoir.fiscal.keys import key_generate, sign
from comptoir.journal.kinds import kind_get
from comptoir.journal.models import ChainCheck
from comptoir.journal.postkey import post_key, post_public_text
from comptoir.journal.verify import journal_verify
from comptoir.sales.models import Invoice
from comptoir.sales.services import SaleLine, invoice_sell
from comptoir.stores.models import Till
from comptoir.sync import wire
from comptoir.sync.models import IntegrityAlert, NodeCredential
from comptoir.syncengine import auth, hub
from comptoir.syncengine.protocol import Change, FactChange
from tests.factories import at, make_article
from tests.sync.helpers import fact_change


@pytest.fixture
def cred(till: Till, settings: Any) -> NodeCredential:
    """Till C2 of post ``node-2``, enrolled with its public key. Its sales are made in
    this process, so signed with this process's key: that is the key it enrolls with."""
    settings.COMPTOIR_ROLE = "hub"
    make_article("PAIN", "1.20")
    code = auth.enrollment_create(name="Caisse 2")
    token, node_till = auth.enrollment_redeem(
        code=code, node_id="node-2", public_key=post_public_text()[0]
    )
    assert node_till.key_id == post_public_text()[1]
    found = auth.credential_for(token)
    assert found is not None
    return found


def node_sales(cred: NodeCredential, count: int, **forge: Any) -> list[Change]:
    """``count`` invoices validated on the node's till (not kept on the hub), as changes.
    ``forge={n: previous}``: the n-th (from 0) re-linked after ``previous`` and re-signed
    with the post's key: well formed, but its chain does not link."""
    sid = transaction.savepoint()
    invoices = [
        invoice_sell(lines=[SaleLine("PAIN", n + 1)], till=cred.till, at=at(2 + n))
        for n in range(count)
    ]
    data = wire.fact_aggregates("sales.invoice", [i.pk for i in invoices])
    relinked = {}
    for n, previous in forge.get("relink", {}).items():
        values = kind_get("invoice").values(invoices[n])
        relinked[n] = (
            previous,
            *link(key=post_key(), kind="invoice", values=values, previous=previous),
        )
    transaction.savepoint_rollback(sid)
    changes = []
    for n, invoice in enumerate(invoices):
        row = data[invoice.pk]["rows"]["sales.invoice"][0]
        if n in relinked:
            row["previous_hash"], row["chain_hash"], row["signature"] = relinked[n]
        changes.append(fact_change("sales.invoice", invoice.pk, data[invoice.pk]))
    return changes


def _row(change: Change) -> dict[str, Any]:
    assert isinstance(change, FactChange)
    row: dict[str, Any] = change.data.rows["sales.invoice"][0]
    return row


def test_a_record_with_a_bad_signature_is_refused(cred: NodeCredential) -> None:
    first, second = node_sales(cred, 2)
    genuine = dict(_row(first))
    _row(first)["signature"] = sign(key_generate(), b"comptoir-fiscal-record\n" + b"0" * 64)
    [result] = hub.push_apply(cred, [first])
    assert result.status == "rejected"
    assert "Signature invalide" in result.reason
    assert not Invoice.objects.filter(pk=first.row).exists()
    # The till sends it again, as it made it: accepted.
    _row(first).update(genuine)
    results = hub.push_apply(cred, [msgspec.structs.replace(first, id=first.id[:-1] + "0"), second])
    assert [r.status for r in results] == ["applied", "applied"]


def test_a_record_whose_predecessor_has_not_arrived_is_pending_then_whole(
    cred: NodeCredential,
) -> None:
    first, second, third = node_sales(cred, 3)
    assert [r.status for r in hub.push_apply(cred, [third])] == ["applied"]
    check = ChainCheck.objects.get(till=cred.till, chain="doc")
    assert (check.status, check.sequence) == ("pending", 3)
    [result] = list(journal_verify("C2"))
    assert result.status == "pending"
    hub.push_apply(cred, [first])
    assert ChainCheck.objects.get(till=cred.till, chain="doc").status == "pending"
    hub.push_apply(cred, [second])
    assert ChainCheck.objects.get(till=cred.till, chain="doc").status == "whole"
    [result] = journal_verify("C2")
    assert (result.status, len(result.stored)) == ("whole", 3)
    assert not IntegrityAlert.objects.exists()


def test_a_chain_that_does_not_link_is_kept_and_raises_an_alert(cred: NodeCredential) -> None:
    first, second = node_sales(cred, 2, relink={1: "f" * 64})
    results = hub.push_apply(cred, [first, second])
    assert [r.status for r in results] == ["applied", "applied"]  # never dropped
    alert = IntegrityAlert.objects.get()
    assert (alert.node_id, alert.model, str(alert.row_id)) == (
        "node-2",
        "sales.invoice",
        second.row,
    )
    assert alert.document == _row(second)["number"]
    assert "Chaîne fiscale rompue" in alert.reason
    assert alert.resolved_at is None
    assert ChainCheck.objects.get(till=cred.till, chain="doc").status == "broken"
    [result] = journal_verify("C2")
    assert result.status == "broken"
    assert result.first is not None
    assert result.first.sequence == 2


def test_a_broken_link_is_logged_as_a_technical_event_once_per_alert(
    cred: NodeCredential,
) -> None:
    first, second, third = node_sales(cred, 3, relink={1: "f" * 64})
    hub.push_apply(cred, [second])  # its predecessor has not arrived: pending
    alerts = TechnicalEvent.objects.filter(kind=EventKind.INTEGRITY_ALERT)
    assert not alerts.exists()
    # The third follows the genuine second, not the one the hub holds: broken.
    hub.push_apply(cred, [third])
    [event] = alerts.all()
    assert event.till.node_id != "node-2"  # logged on the hub's own post
    details = event.details_data
    assert (details["post"], details["chain"], details["record"], details["sequence"]) == (
        "C2",
        "doc",
        _row(third)["number"],
        3,
    )
    assert "manquant" in details["reason"]
    # The first arrives: the chain is checked again from it, the second is broken too;
    # the third's alert is still open, it is not logged again.
    hub.push_apply(cred, [first])
    assert [e.details_data["sequence"] for e in alerts.order_by("number")] == [3, 2]
    # The till sends the second again (a new change id: an outbox restored from a backup):
    # the hub holds it already; its break stays shown, and is not logged again.
    hub.push_apply(cred, [msgspec.structs.replace(second, id=second.id[:-1] + "0")])
    assert alerts.all().count() == 2
    assert IntegrityAlert.objects.filter(resolved_at=None).count() == 2


def test_reenrolling_sends_the_key_again(cred: NodeCredential) -> None:
    cred.till.public_key = ""
    cred.till.save(update_fields=["public_key"])
    code = auth.reenrollment_create(name="Caisse 2")
    auth.enrollment_redeem(
        code=code, node_id="node-2", reenroll=True, public_key=post_public_text()[0]
    )
    assert Till.objects.get(pk=cred.till.pk).public_key == post_public_text()[0]


def test_an_invalid_public_key_refuses_the_enrollment(till: Till) -> None:
    from comptoir.lib.errors import ValidationError

    code = auth.enrollment_create(name="Caisse 3")
    with pytest.raises(ValidationError):
        auth.enrollment_redeem(code=code, node_id="node-3", public_key="pas une clé")
    assert not NodeCredential.objects.filter(node_id="node-3").exists()
