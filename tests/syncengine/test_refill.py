"""A post upgraded in place completes the facts it received without the fields its previous
version did not know (``comptoir.syncengine.refill``): the fill rule."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from comptoir.events.models import EventKind, TechnicalEvent
from comptoir.events.services import event_record
from comptoir.lib.errors import ImmutableError
from comptoir.stores.models import Till
from comptoir.sync import wire
from comptoir.syncengine import refill
from comptoir.syncengine.apply import apply_batch
from comptoir.syncengine.protocol import FactChange
from tests.sync.helpers import fact_change

pytestmark = pytest.mark.django_db

LABEL = "events.technicalevent"
CHAIN = frozenset(
    {
        "chain_sequence",
        "chain_version",
        "previous_hash",
        "chain_hash",
        "signature",
        "store_name",
        "post_prefix",
    }
)
LACKING = refill.Lacking({LABEL: CHAIN})


def _event_made_elsewhere(till: Till) -> dict[str, Any]:
    """The wire aggregate of a chained event, the event then undone."""
    sid = transaction.savepoint()
    event = event_record(kind=EventKind.ENROLLMENT, details={"till": "Caisse 9"}, till=till)
    assert event is not None
    assert event.chain_hash
    data = copy.deepcopy(wire.fact_aggregates(LABEL, [event.pk])[event.pk])
    transaction.savepoint_rollback(sid)
    return data


def _change(data: dict[str, Any], **edits: Any) -> FactChange:
    data = copy.deepcopy(data)
    data["rows"][LABEL][0].update(edits)
    root = data["rows"][LABEL][0]
    return fact_change(LABEL, root["id"], data)


def _stored(data: dict[str, Any]) -> dict[str, Any]:
    row_id = data["rows"][LABEL][0]["id"]
    return wire.fact_aggregates(LABEL, [row_id])[next(iter(wire.fact_aggregates(LABEL, [row_id])))]


def _as_received_by_an_older_post(till: Till) -> dict[str, Any]:
    """The event, stored here without its chain fields (as a post of the previous schema
    received it, its columns then added NULL by the migration)."""
    data = _event_made_elsewhere(till)
    without = dict.fromkeys(CHAIN)
    [outcome] = apply_batch([_change(data, **without)], origin="hub")
    assert outcome.status == "applied", outcome
    return data


def test_a_fact_held_without_fields_it_did_not_know_is_completed_once(till: Till) -> None:
    data = _as_received_by_an_older_post(till)
    whole = _change(data)
    # Outside a refill, a copy that differs is refused, as ever.
    [outcome] = apply_batch([whole], origin="hub")
    assert outcome.status == "rejected", outcome
    with refill.filling(LACKING):
        [outcome] = apply_batch([whole], origin="hub")
        assert outcome.status == "applied", outcome
        assert _stored(data)["rows"] == data["rows"]
        [again] = apply_batch([whole], origin="hub")
    assert again.status == "duplicate", again
    # One at a time (apply_change's path) too: nothing left to fill, the same copy.
    from comptoir.syncengine.apply import apply_change

    assert apply_change(whole, origin="hub").status == "duplicate"


def test_the_fill_never_overwrites_a_value_held_nor_a_field_it_knew(till: Till) -> None:
    data = _event_made_elsewhere(till)
    [outcome] = apply_batch([_change(data, chain_hash="0" * 64, signature=None)], origin="hub")
    assert outcome.status == "applied"
    before = _stored(data)
    with refill.filling(LACKING):
        # chain_hash was held (not NULL): refused, signature left NULL too.
        [outcome] = apply_batch([_change(data)], origin="hub")
        assert outcome.status == "rejected", outcome
        # A field the previous version knew (details) that differs: refused.
        [other] = apply_batch(
            [_change(data, chain_hash="0" * 64, details='{"till":"autre"}')], origin="hub"
        )
        assert other.status == "rejected", other
    assert _stored(data) == before


def test_the_fill_leaves_the_fact_immutable_otherwise(till: Till) -> None:
    data = _as_received_by_an_older_post(till)
    with refill.filling(LACKING):
        [outcome] = apply_batch([_change(data)], origin="hub")
    assert outcome.status == "applied"
    row_id = data["rows"][LABEL][0]["id"]
    with pytest.raises(ImmutableError):
        TechnicalEvent.objects.filter(pk=row_id).update(details="")
    event = TechnicalEvent.objects.get(pk=row_id)
    event.details = ""
    with pytest.raises(ImmutableError):
        event.save()
    # The database's trigger is back too (raw SQL).
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE events_technicalevent SET details = '' WHERE id = %s",
            [TechnicalEvent._meta.pk.get_db_prep_value(event.pk, connection)],  # type: ignore[union-attr]
        )


def test_the_fill_rule_covers_every_part_and_model_an_older_post_lacked() -> None:
    """Pure: a part's field (an invoice line's) and a whole part model (its taxes) that the
    previous schema did not carry are completed; an id set that differs is a conflict."""
    stored = {
        "sales.invoice": [{"id": "i", "number": "C1-1", "origin_node": None}],
        "sales.invoiceline": [{"id": "l", "quantity": 2, "cost": None}],
    }
    incoming = {
        "sales.invoice": [{"id": "i", "number": "C1-1", "origin_node": "n"}],
        "sales.invoiceline": [{"id": "l", "quantity": 2, "cost": "0.40"}],
        "sales.invoicetax": [{"id": "t", "rate": "20"}],
    }
    lacking = refill.Lacking(
        {"sales.invoice": frozenset({"origin_node"}), "sales.invoiceline": frozenset({"cost"})},
        frozenset({"sales.invoicetax"}),
    )
    plan = refill.fill_plan(stored, incoming, lacking)
    assert plan is not None
    updates, inserts = plan
    assert updates == {
        "sales.invoice": {"i": {"origin_node": "n"}},
        "sales.invoiceline": {"l": {"cost": "0.40"}},
    }
    assert inserts == {"sales.invoicetax": incoming["sales.invoicetax"]}
    # Without the taxes model lacking, a missing part is a conflict; likewise a line more.
    assert refill.fill_plan(stored, incoming, refill.Lacking(lacking.fields)) is None
    more = {**incoming, "sales.invoiceline": [*incoming["sales.invoiceline"], {"id": "m"}]}
    assert refill.fill_plan(stored, more, lacking) is None


def test_an_upgrade_notes_the_columns_a_database_lacks(tmp_path: Path) -> None:
    assert not refill.lacking()  # this database is up to date
    if connection.vendor != "sqlite":
        pytest.skip("tables replaced in a transaction: SQLite's way")
    kept = [
        f.column
        for f in TechnicalEvent._meta.concrete_fields
        if f.attname not in {"signature", "post_prefix"}
    ]
    sid = transaction.savepoint()
    with connection.cursor() as cursor:
        # As the previous release left them: an events table without two of today's
        # columns, no closings table at all.
        cursor.execute('ALTER TABLE "events_technicalevent" RENAME TO "old_events"')
        cursor.execute(
            'CREATE TABLE "events_technicalevent" AS SELECT '
            + ", ".join(f'"{c}"' for c in kept)
            + ' FROM "old_events"'
        )
        cursor.execute('ALTER TABLE "closings_closing" RENAME TO "old_closings"')
    found = refill.lacking()
    transaction.savepoint_rollback(sid)
    assert found.fields == {LABEL: frozenset({"signature", "post_prefix"})}
    assert found.models == {"closings.closing"}
    refill.mark_refill(tmp_path, found)
    refill.mark_refill(tmp_path, refill.Lacking({LABEL: frozenset({"chain_hash"})}))
    marked = refill.read_refill_mark(tmp_path)
    assert marked is not None
    assert marked.fields[LABEL] == {"signature", "post_prefix", "chain_hash"}
    assert marked.models == {"closings.closing"}
