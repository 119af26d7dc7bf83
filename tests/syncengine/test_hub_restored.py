"""A hub restored from an older backup goes on under a new post of its own
(``comptoir.syncengine.restored``): no chain position nor number of its old post is used
twice, and the old post's records still verify."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from comptoir.backups import HUB_RESTORED_MARK
from comptoir.events.models import EventKind, TechnicalEvent
from comptoir.events.services import event_record
from comptoir.fiscal.keys import KEY_FILE
from comptoir.journal.services import post_key_register
from comptoir.journal.verify import journal_verify
from comptoir.sales.services import SaleLine, invoice_sell
from comptoir.stores.models import Till
from comptoir.stores.selectors import till_current
from comptoir.syncengine import restored
from comptoir.syncengine.recovery import Decision, decide
from tests.factories import at, make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def hub_home(till: Till, settings: Any, tmp_path: Path) -> Path:
    """This process as a hub with a home, its post's key in it, a sale made on its post."""
    settings.COMPTOIR_ROLE = "hub"
    settings.COMPTOIR_HOME = tmp_path
    post_key_register(till=till)
    make_article("PAIN", "1.20")
    invoice_sell(lines=[SaleLine("PAIN", 1)], till=till, at=at(2))
    event_record(kind=EventKind.JOURNAL_VERIFIED, till=till)
    return tmp_path


def test_a_restored_hub_opens_a_new_post_and_archives_the_old_one(
    hub_home: Path, till: Till
) -> None:
    old_key = (hub_home / KEY_FILE).read_bytes()
    (hub_home / HUB_RESTORED_MARK).write_text(json.dumps({"since": "2026-03-01T10:00:00+00:00"}))
    # Until it starts, it writes nothing of its own: a record now would take a position
    # its old post already used on the tills.
    with pytest.raises(restored.HubRestoredError):
        make_article("VIN", "8.90")
    new = restored.hub_new_post()
    assert new is not None
    assert not (hub_home / HUB_RESTORED_MARK).exists()
    assert till_current() == new
    assert new.prefix != till.prefix
    assert new.store_id == till.store_id
    old = Till.objects.get(pk=till.pk)
    assert (old.archived, old.node_id) == (True, "")
    assert old.public_key == till.public_key  # its records still verify with it
    assert (hub_home / KEY_FILE).read_bytes() != old_key  # a new key...
    assert new.key_id
    assert new.key_id != old.key_id
    assert [p.read_bytes() for p in hub_home.glob(f"{KEY_FILE}.*")] == [old_key]  # old kept
    # ... and new chains: its restore is the first record of the new post's event chain.
    [event] = TechnicalEvent.objects.filter(till=new)
    assert event.kind == EventKind.INTEGRITY_ALERT
    assert event.details_data["cause"] == "hub_restore"
    assert event.chain_sequence == 1
    # What the tills are told: when, and the log's head the backup left (the sale's).
    head = event.details_data["log_head"]
    assert isinstance(head, int)
    assert head > 0
    assert restored.last_restore() == (event.occurred_at.isoformat(), head)
    # It sells on in its new series; every chain is whole, the old post's too.
    invoice = invoice_sell(lines=[SaleLine("PAIN", 1)], at=at(3))
    assert invoice.till_id == new.pk
    assert invoice.number.startswith(f"{new.prefix}-")
    results = journal_verify()
    assert {(r.till.prefix, r.status) for r in results} >= {
        (till.prefix, "whole"),
        (new.prefix, "whole"),
    }
    assert all(r.status == "whole" for r in results), [(r.till.prefix, r.chain) for r in results]
    assert restored.hub_new_post() is None  # once


def test_a_hub_never_restored_has_nothing_to_open(hub_home: Path, till: Till) -> None:
    assert restored.hub_new_post() is None
    assert till_current() == till
    assert restored.last_restore() is None


def test_a_till_that_missed_the_hub_s_restore_pulls_and_sends_again() -> None:
    """Pure: once other tills sent the hub their records again, its log is past this
    till's cursor and it holds its chains' heads: only the restore it has not handled
    tells it that it missed entries."""
    quiet = {
        "marked": False,
        "local_heads": {},
        "acknowledged_heads": {},
        "hub_heads": {},
        "cursor": 120,
        "hub_log_head": 300,
    }
    assert decide(**quiet) == Decision(reasons=[])
    found = decide(**quiet, missed_restore=True)
    assert found.hub_went_back
    assert not found.take_back
