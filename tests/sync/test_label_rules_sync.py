"""Label rules sync like the stores they belong to: made on the hub, pulled by the tills,
which then read their labels; a till may not write them (see ``catalogue.sync_setup``)."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import override_settings
from stdnum import ean

from comptoir.catalogue.models import LabelRule
from comptoir.catalogue.selectors import label_resolve
from comptoir.catalogue.services import label_rule_create
from comptoir.stores.models import Store, Till
from comptoir.sync.models import NodeCredential
from comptoir.syncengine import auth, hub
from comptoir.syncengine.apply import apply_batch
from tests.factories import db_state, make_article
from tests.sync.helpers import reference_change
from tests.sync.test_hub import node_edit, statuses

pytestmark = pytest.mark.django_db

LABEL = "210451200350" + ean.calc_check_digit("210451200350")


@pytest.fixture
def cred(till: Till) -> NodeCredential:
    code = auth.enrollment_create(name="Caisse 2")
    token, _till = auth.enrollment_redeem(code=code, node_id="node-2")
    found = auth.credential_for(token)
    assert found is not None
    return found


def test_a_rule_made_on_the_hub_reaches_a_till_which_reads_its_labels(
    cred: NodeCredential, till: Till
) -> None:
    make_article("4512", "24.90", unit="kg")
    store = Store.objects.get(pk=till.store_id)
    start = hub.log_head()
    sid = transaction.savepoint()
    label_rule_create(store=store, prefix="21", code_digits=5, value="weight")
    page = hub.pull_page(cred, start, 100)
    transaction.savepoint_rollback(sid)  # the till's database: no rule yet
    assert label_resolve(code=LABEL, store=store) is None
    [change] = [c for c in page.changes if c.model == "catalogue.labelrule"]
    assert change.data.fields["prefix"] == "21"

    with override_settings(COMPTOIR_ROLE="node"):
        [outcome] = apply_batch([change], origin="hub")
    assert outcome.status == "applied", outcome.reason
    sale = label_resolve(code=LABEL, store=store)
    assert sale is not None
    assert (sale.article.code, str(sale.quantity)) == ("4512", "0.350")


def test_a_till_cannot_write_label_rules_through_a_push(cred: NodeCredential) -> None:
    store = Store.objects.get(pk=cred.till.store_id)
    sid = transaction.savepoint()
    rule = label_rule_create(store=store, prefix="22", code_digits=5, value="price")
    new = reference_change(rule)
    transaction.savepoint_rollback(sid)
    existing = label_rule_create(store=store, prefix="21", code_digits=5, value="weight")
    changes = [new, node_edit(existing, value="price")]
    state, rules = db_state(), list(LabelRule.objects.values_list("prefix", "value"))
    assert statuses(hub.push_apply(cred, changes)) == ["rejected", "rejected"]
    assert db_state() == state
    assert list(LabelRule.objects.values_list("prefix", "value")) == rules
