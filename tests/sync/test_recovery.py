"""A post brought back after a restore (``comptoir.syncengine.recovery``): what it decides
from what it and the hub hold, the refusal to number while marked, and its counters moved
to the documents it took back. The drills themselves: ``tests/scenario/test_drill_*``."""

from __future__ import annotations

from pathlib import Path

import pytest

from comptoir.backups import mark_recovery
from comptoir.sales.models import Invoice
from comptoir.sales.services import SaleLine, invoice_sell
from comptoir.stores.models import SeriesCounter, Till
from comptoir.stores.services import CHAIN_KIND
from comptoir.syncengine.protocol import Head
from comptoir.syncengine.recovery import RecoveryNeeded, decide, move_counters
from tests.factories import make_article


def _heads(**sequences: int) -> dict[str, Head]:
    return {kind: Head(sequence=n, hash=f"h{n}") for kind, n in sequences.items()}


def _decide(**given: object) -> tuple[bool, bool]:
    args: dict[str, object] = {
        "marked": False,
        "local_heads": _heads(chain=5),
        "acknowledged_heads": _heads(chain=5),
        "hub_heads": _heads(chain=5),
        "cursor": 100,
        "hub_log_head": 120,
        **given,
    }
    decision = decide(**args)  # type: ignore[arg-type]
    return decision.take_back, decision.hub_went_back


def test_in_step_with_the_hub_nothing_is_done() -> None:
    assert _decide() == (False, False)
    # Sales not pushed yet are ahead of the hub, normally.
    assert _decide(local_heads=_heads(chain=9)) == (False, False)


def test_a_marked_home_or_a_hub_ahead_of_the_posts_own_chains_takes_back() -> None:
    assert _decide(marked=True) == (True, False)
    # Restored by hand (no mark): the hub holds a later record of one of its chains.
    ahead = _decide(local_heads=_heads(chain=5), hub_heads=_heads(chain=5, **{"j:ev": 3}))
    assert ahead == (True, False)


def test_a_cursor_past_the_hubs_log_or_acknowledged_records_missing_there_is_a_hub_gone_back() -> (
    None
):
    assert _decide(cursor=130) == (False, True)
    assert _decide(acknowledged_heads=_heads(chain=7)) == (False, True)


@pytest.fixture
def marked_node(settings: pytest.FixtureRequest, tmp_path: Path, till: Till) -> Path:
    settings.COMPTOIR_ROLE = "node"  # type: ignore[attr-defined]
    settings.COMPTOIR_HOME = tmp_path  # type: ignore[attr-defined]
    make_article("A")
    return tmp_path


def test_a_marked_post_refuses_to_sell_then_numbers_after_what_it_took_back(
    marked_node: Path, till: Till
) -> None:
    first = invoice_sell(lines=[SaleLine("A", 1)])
    # Restored from before ``first``, which came back from the hub: counters are behind.
    SeriesCounter.objects.filter(till=till).update(last_number=0, last_hash="")
    mark_recovery(marked_node, since="")
    with pytest.raises(RecoveryNeeded, match="restauré depuis une sauvegarde"):
        invoice_sell(lines=[SaleLine("A", 1)])
    assert Invoice.objects.count() == 1

    assert move_counters(till) == [first.number]
    head = SeriesCounter.objects.get(till=till, kind=CHAIN_KIND)
    assert (head.last_number, head.last_hash) == (first.chain_sequence, first.chain_hash)
    (marked_node / "recovery.json").unlink()
    second = invoice_sell(lines=[SaleLine("A", 1)])
    assert second.sequence == first.sequence + 1  # never the same number twice
    assert second.previous_hash == first.chain_hash  # the chain does not fork


@pytest.mark.django_db
def test_a_till_finding_the_hub_went_back_sends_what_the_hub_takes_from_it(till: Till) -> None:
    """Its own records; another post's signed ones when that post's key is known (the hub
    checks them with it); the reference rows a till may write, not stores nor tills."""
    from comptoir.events.models import EventKind, TechnicalEvent
    from comptoir.events.services import event_record
    from comptoir.journal.services import post_key_register
    from comptoir.stores.services import till_create
    from comptoir.sync import registry
    from comptoir.syncengine.recovery import _sendable_facts, _writable_here
    from tests.factories import make_article

    keyed = post_key_register(
        till=till_create(store=till.store, name="Serveur", prefix="WEB", node_id="hub")
    )
    unkeyed = till_create(store=till.store, name="Caisse 3", prefix="C3", node_id="node-3")
    made = [event_record(kind=EventKind.JOURNAL_VERIFIED, till=t) for t in (till, keyed, unkeyed)]
    ids = [e.pk for e in made if e is not None]
    assert len(ids) == 3
    assert set(_sendable_facts(TechnicalEvent, ids, till)) == set(ids[:2])

    article = make_article("PAIN", "1.20")
    for label, row, sent in (
        ("catalogue.article", article.pk, [article.pk]),
        ("core.store", till.store_id, []),
        ("core.till", till.pk, []),
    ):
        spec = registry.reference_spec(label)
        assert spec is not None
        assert _writable_here(spec, [row], till) == sent, label
