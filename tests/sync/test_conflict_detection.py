"""Only concurrent edits are conflicts: a change carries the clock each edited field was
based on, and a plain successor is applied without a conflict-log entry (the merge
itself is the same either way)."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from typing import Any

import msgspec
import pytest
from django.db import transaction
from django.test import override_settings

from comptoir.catalogue.models import Article
from comptoir.catalogue.services import article_update
from comptoir.customers.models import Customer
from comptoir.customers.services import customer_create, customer_update
from comptoir.stores.models import Till
from comptoir.sync import capture
from comptoir.sync.models import ConflictLog, OutboxEntry
from comptoir.syncengine import apply, engine
from comptoir.syncengine.protocol import Change, ProtocolError, check_change
from tests.factories import make_article
from tests.sync.helpers import reference_change


@pytest.fixture
def article(till: Till) -> Article:
    return make_article("PAIN", "1.05")


def conflicts() -> list[tuple[str, Any, Any]]:
    return [(c.field, c.kept_value, c.lost_value) for c in ConflictLog.objects.order_by("id")]


def pushed_by_a_till(edit: Callable[[], Any]) -> Change:
    """The change a till's push carries after ``edit`` (made on the till, from the state
    it had seen), then the till's edit undone: the database is the hub's again."""
    sid = transaction.savepoint()
    with override_settings(COMPTOIR_ROLE="node"):
        edit()
        batch = engine._next_batch()
    transaction.savepoint_rollback(sid)
    assert batch is not None
    [change] = batch.changes
    return copy.deepcopy(change)


def test_a_single_edit_on_a_till_is_applied_on_the_hub_without_a_conflict(
    article: Article,
) -> None:
    seen = article.sync_clocks["sale_price"]
    change = pushed_by_a_till(lambda: article_update(code="PAIN", sale_price="1.10"))
    assert change.data.bases == {"sale_price": seen}

    assert apply.apply_change(change, origin="node-b").status == "applied"

    assert Article.objects.get(pk=article.pk).sale_price == 110
    assert conflicts() == []


def test_two_concurrent_edits_log_one_conflict_with_both_values(article: Article) -> None:
    change = pushed_by_a_till(lambda: article_update(code="PAIN", sale_price="1.10"))
    article_update(code="PAIN", sale_price="1.20")  # on the hub, meanwhile

    apply.apply_change(change, origin="node-b")

    # The later clock wins, as before; the other value is kept, once.
    [(field, kept, lost)] = conflicts()
    assert field == "sale_price"
    assert {kept, lost} == {110, 120}
    assert Article.objects.get(pk=article.pk).sale_price == kept


def test_the_same_change_without_bases_logs_every_overwritten_value_as_before(
    article: Article,
) -> None:
    change = pushed_by_a_till(lambda: article_update(code="PAIN", sale_price="1.10"))
    change.data.bases = None  # a till of the previous version

    assert apply.apply_change(change, origin="node-b").status == "applied"

    assert Article.objects.get(pk=article.pk).sale_price == 110
    assert conflicts() == [("sale_price", 110, 105)]


def test_a_field_the_till_did_not_edit_is_never_a_conflict_of_its_own(article: Article) -> None:
    change = pushed_by_a_till(lambda: article_update(code="PAIN", sale_price="1.10"))
    article_update(code="PAIN", name="Pain de campagne")  # on the hub, meanwhile

    apply.apply_change(change, origin="node-b")

    # The till's stale name loses (older clock) and is no edit of the till: no log.
    stored = Article.objects.get(pk=article.pk)
    assert (stored.name, stored.sale_price) == ("Pain de campagne", 110)
    assert conflicts() == []


def test_two_unsent_edits_carry_the_base_of_the_first(article: Article) -> None:
    seen = article.sync_clocks["sale_price"]

    def twice() -> None:
        article_update(code="PAIN", sale_price="1.10")
        article_update(code="PAIN", sale_price="1.15", name="Pain long")

    change = pushed_by_a_till(twice)

    assert change.data.bases == {"sale_price": seen, "name": article.sync_clocks["name"]}
    apply.apply_change(change, origin="node-b")
    assert conflicts() == []


def test_an_outbox_entry_of_unknown_bases_sends_the_row_without_them(article: Article) -> None:
    def legacy_then_edit() -> None:
        OutboxEntry.objects.create(model="catalogue.article", row_id=article.pk)  # bases=None
        article_update(code="PAIN", sale_price="1.10")

    change = pushed_by_a_till(legacy_then_edit)
    assert change.data.bases is None


def test_an_edit_inside_a_collected_write_keeps_its_bases(article: Article) -> None:
    """An import gathers its traces and records them once: the bases go with them."""
    seen = article.sync_clocks["cost"]
    with override_settings(COMPTOIR_ROLE="node"):
        with capture.collecting() as traces:
            stored = Article.objects.get(pk=article.pk)
            stored.cost = 55
            stored.save(update_fields={"cost"})
        capture.record(traces)
    assert list(OutboxEntry.objects.values_list("bases", flat=True)) == [{"cost": seen}]


def test_a_bulk_update_carries_the_bases_a_save_would(article: Article) -> None:
    """The import's re-import path (``update_values``): a price list imported on a till
    is a plain successor on the hub, not a conflict per row."""
    seen = article.sync_clocks["sale_price"]
    change = pushed_by_a_till(
        lambda: Article.objects.update_values([{"id": article.pk, "sale_price": 110}])
    )
    assert change.data.bases == {"sale_price": seen}

    assert apply.apply_change(change, origin="node-b").status == "applied"

    assert Article.objects.get(pk=article.pk).sale_price == 110
    assert conflicts() == []


# On a till: a value pulled from the hub conflicts only with an edit not yet sent.


def test_a_pulled_customer_edit_over_a_field_sent_already_is_not_a_conflict(till: Till) -> None:
    customer = customer_create(code="DUP", name="Dupont")
    change = reference_change(customer)
    with override_settings(COMPTOIR_ROLE="node"):
        sid = transaction.savepoint()
        customer_update(pk=customer.pk, phone="0102030405")  # the hub's edit
        change = reference_change(Customer.objects.get(pk=customer.pk))
        transaction.savepoint_rollback(sid)
        OutboxEntry.objects.all().delete()  # this till has sent everything

        assert apply.apply_change(change, origin="hub").status == "applied"

    assert Customer.objects.get(pk=customer.pk).phone == "0102030405"
    assert conflicts() == []


def test_a_pulled_customer_edit_concurrent_with_an_unsent_one_is_a_conflict(till: Till) -> None:
    customer = customer_create(code="DUP", name="Dupont")
    with override_settings(COMPTOIR_ROLE="node"):
        sid = transaction.savepoint()
        customer_update(pk=customer.pk, phone="0102030405")  # the hub's edit
        change = reference_change(Customer.objects.get(pk=customer.pk))
        transaction.savepoint_rollback(sid)
        OutboxEntry.objects.all().delete()
        customer_update(pk=customer.pk, phone="0999999999")  # this till's, not sent yet
        change = msgspec.structs.replace(change, id=str(uuid.uuid4()))

        apply.apply_change(change, origin="hub")  # type: ignore[arg-type]

    [(field, kept, lost)] = conflicts()
    assert field == "phone"
    assert {kept, lost} == {"0102030405", "0999999999"}


@pytest.mark.parametrize("bases", [[], "x", {"sale_price": 3}, {"sale_price": "1" * 81}], ids=repr)
def test_malformed_bases_are_refused(bases: Any) -> None:
    raw = {
        "id": str(uuid.uuid4()),
        "model": "catalogue.article",
        "row": str(uuid.uuid4()),
        "kind": "reference",
        "data": {"fields": {}, "clocks": {}, "bases": bases},
    }
    with pytest.raises(ProtocolError):
        check_change(raw)


def test_bases_of_unknown_fields_are_refused(article: Article) -> None:
    change = reference_change(article)
    change.data.bases = {"stock_secret": ""}
    outcome = apply.apply_change(change, origin="node-b")
    assert outcome.status == "rejected"
    assert "stock_secret" in outcome.reason
