"""Closings and technical events are fiscal records like the others: chained per post
(``close``, ``event``) and signed when made, verified by ``comptoir journal verify``
(which names the first broken record and why), checked by the hub on arrival; those
made before they were chained keep verifying."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction

from comptoir.closings import services as closing_services
from comptoir.closings.models import Closing
from comptoir.closings.services import closings_close
from comptoir.events import services as event_services
from comptoir.events.models import EventKind, TechnicalEvent
from comptoir.events.services import event_record
from comptoir.fiscal.canonical import GENESIS, signed_message
from comptoir.fiscal.chains import link
from comptoir.fiscal.keys import key_generate, public_key_from_text, sign, signature_valid
from comptoir.journal.kinds import kind_get
from comptoir.journal.models import ChainCheck
from comptoir.journal.postkey import post_key, post_public_text
from comptoir.journal.verify import journal_verify
from comptoir.sales.services import SaleLine, invoice_sell
from comptoir.stores.models import Till
from comptoir.sync import wire
from comptoir.sync.models import IntegrityAlert, NodeCredential
from comptoir.syncengine import auth, hub
from comptoir.syncengine.protocol import Change, FactChange
from tests.factories import at, make_article
from tests.journal.conftest import raw, triggers_dropped
from tests.sync.helpers import fact_change


def _verify() -> tuple[int, dict[str, Any]]:
    out = io.StringIO()
    try:
        call_command("journal", "verify", "--json", stdout=out)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, json.loads(out.getvalue())


def _chain(document: dict[str, Any], chain: str) -> dict[str, Any]:
    return next(c for c in document["chains"] if c["chain"] == chain)


def _id(pk: Any) -> str:
    from django.db import connection

    return pk.hex if connection.vendor == "sqlite" else str(pk)


@pytest.fixture
def closed(till: Till) -> Callable[[], list[Closing]]:
    """Sales on March 29th and 31st (the second closes the 29th and 30th), then the 31st
    and March closed on April 1st: the closings, in chain order."""
    make_article("PAIN", "1.20", vat="5.5")
    make_article("VIN", "8.90", vat="20")

    def run() -> list[Closing]:
        invoice_sell(lines=[SaleLine("PAIN", 2), SaleLine("VIN", 1)], at=at(29, 10))
        invoice_sell(lines=[SaleLine("VIN", 3)], at=at(31, 11))
        closings_close(till=till, until=date(2026, 4, 1), at=at(1, 0, 5, month=4))
        return list(Closing.objects.order_by("chain_sequence"))

    return run


def test_closings_and_events_are_chained_signed_and_verify(
    till: Till, closed: Callable[[], list[Closing]]
) -> None:
    made = closed()
    assert [(c.kind, c.period_start.day) for c in made] == [
        ("day", 29),
        ("day", 30),
        ("day", 31),
        ("month", 1),
    ]
    assert [c.chain_sequence for c in made] == [1, 2, 3, 4]
    assert made[0].previous_hash == GENESIS
    assert [c.previous_hash for c in made[1:]] == [c.chain_hash for c in made[:-1]]
    stored = list(Closing.objects.all()) + list(TechnicalEvent.objects.all())
    assert all(r.chain_version == 2 and r.signature for r in stored)
    assert {(r.post_prefix, r.store_name) for r in stored} == {("C1", "Magasin principal")}
    public = public_key_from_text(post_public_text()[0])
    assert all(signature_valid(public, signed_message(r.chain_hash), r.signature) for r in stored)
    events = TechnicalEvent.objects.filter(kind=EventKind.CLOSING_MADE).order_by("number")
    assert [(e.chain_sequence, e.number) for e in events] == [(1, 1), (2, 2)]
    code, document = _verify()
    assert code == 0
    assert {(c["chain"], c["status"], c["count"]) for c in document["chains"]} >= {
        ("close", "whole", 4),
        ("event", "whole", 2),
    }


def test_a_closing_altered_in_the_database_is_named(
    till: Till, closed: Callable[[], list[Closing]]
) -> None:
    made = closed()
    with triggers_dropped("closings_closing"):
        raw(
            "UPDATE closings_closing SET perpetual_total = perpetual_total + 100 WHERE id = %s",
            _id(made[1].pk),
        )
    code, document = _verify()
    assert code == 1
    close = _chain(document, "close")
    assert (close["status"], close["first"]["reason"], close["first"]["sequence"]) == (
        "broken",
        "altered",
        2,
    )
    assert close["first"]["number"] == "C1 day 2026-03-30"
    assert _chain(document, "doc")["status"] == "whole"


def test_a_payment_total_altered_in_a_closing_s_json_is_named(
    till: Till, closed: Callable[[], list[Closing]]
) -> None:
    """Not only the amount columns: the totals per method (a JSON column) are hashed."""
    made = closed()
    with triggers_dropped("closings_closing"):
        raw(
            "UPDATE closings_closing SET payments = %s WHERE id = %s",
            json.dumps({"cash": 1}),
            _id(made[2].pk),
        )
    assert _chain(_verify()[1], "close")["first"]["reason"] == "altered"


def test_an_event_s_details_altered_are_named(till: Till) -> None:
    for version in ("1.0", "1.1", "1.2"):
        event_record(kind=EventKind.POST_START, details={"version": version}, till=till)
    second = TechnicalEvent.objects.get(number=2)
    with triggers_dropped("events_technicalevent"):
        raw(
            "UPDATE events_technicalevent SET details = %s WHERE id = %s",
            '{"version":"9.9"}',
            _id(second.pk),
        )
    code, document = _verify()
    assert code == 1
    event = _chain(document, "event")
    assert (event["first"]["reason"], event["first"]["number"]) == ("altered", "C1 #2")


def test_a_deleted_closing_is_named(till: Till, closed: Callable[[], list[Closing]]) -> None:
    made = closed()
    with triggers_dropped("closings_closing"):
        raw("DELETE FROM closings_closing WHERE id = %s", _id(made[1].pk))
    close = _chain(_verify()[1], "close")
    assert (close["first"]["reason"], close["first"]["sequence"]) == ("missing", 3)


def test_an_inserted_event_is_named(till: Till) -> None:
    """An event slipped in after the first one, well formed and signed with the post's
    key: the next one does not link to it."""
    for n in range(3):
        event_record(kind=EventKind.LOGIN_OK, user=f"u{n}", till=till)
    first, extra = (TechnicalEvent.objects.get(number=n) for n in (1, 3))
    values = {**kind_get("event").values(extra), "actor": "mallory"}
    digest, signature = link(key=post_key(), kind="event", values=values, previous=first.chain_hash)
    with triggers_dropped("events_technicalevent"):
        raw(
            "UPDATE events_technicalevent SET \"user\" = 'mallory', chain_sequence = 2,"
            " previous_hash = %s, chain_hash = %s, signature = %s WHERE id = %s",
            first.chain_hash,
            digest,
            signature,
            _id(extra.pk),
        )
    assert _chain(_verify()[1], "event")["first"]["reason"] == "inserted"


def test_a_swapped_pair_of_events_is_named_reordered(till: Till) -> None:
    for n in range(4):
        event_record(kind=EventKind.LOGIN_OK, user=f"u{n}", till=till)
    a, b = (TechnicalEvent.objects.get(chain_sequence=n) for n in (2, 3))
    with triggers_dropped("events_technicalevent"):
        raw("UPDATE events_technicalevent SET chain_sequence = 3 WHERE id = %s", _id(a.pk))
        raw("UPDATE events_technicalevent SET chain_sequence = 2 WHERE id = %s", _id(b.pk))
    event = _chain(_verify()[1], "event")
    assert (event["first"]["reason"], event["first"]["sequence"]) == ("reordered", 2)


def test_a_forged_closing_signature_is_named(
    till: Till, closed: Callable[[], list[Closing]]
) -> None:
    made = closed()
    forged = sign(key_generate(), signed_message(made[3].chain_hash))
    with triggers_dropped("closings_closing"):
        raw("UPDATE closings_closing SET signature = %s WHERE id = %s", forged, _id(made[3].pk))
    close = _chain(_verify()[1], "close")
    assert (close["first"]["reason"], close["first"]["sequence"]) == ("bad_signature", 4)


@pytest.fixture
def unchained() -> Iterator[None]:
    """Closings and events recorded as before they were chained: no chain field at all."""

    def nothing(**kwargs: Any) -> dict[str, Any]:
        return {}

    saved = closing_services.journal_link, event_services.journal_link
    closing_services.journal_link = event_services.journal_link = nothing  # type: ignore[assignment]
    try:
        yield
    finally:
        closing_services.journal_link, event_services.journal_link = saved


def test_closings_and_events_made_before_the_chain_still_verify(
    till: Till, unchained: None
) -> None:
    make_article("PAIN", "1.20")
    event_record(kind=EventKind.POST_START, details={"version": "1.0"}, till=till)
    invoice_sell(lines=[SaleLine("PAIN", 1)], at=at(2))
    closings_close(till=till, until=date(2026, 3, 3), at=at(3, 0, 1))
    old = [*Closing.objects.all(), *TechnicalEvent.objects.all()]
    assert len(old) == 3
    assert all(r.chain_version is None and r.chain_hash is None for r in old)
    closing_services.journal_link, event_services.journal_link = _real_links()
    event_record(kind=EventKind.POST_START, details={"version": "1.1"}, till=till)
    invoice_sell(lines=[SaleLine("PAIN", 2)], at=at(4))  # closes the 3rd
    new = TechnicalEvent.objects.get(number=3)
    assert (new.chain_sequence, new.previous_hash) == (1, GENESIS)
    code, document = _verify()
    assert code == 0, document
    assert (_chain(document, "close")["count"], _chain(document, "event")["count"]) == (1, 2)


def _real_links() -> tuple[Any, Any]:
    from comptoir.journal.services import journal_link

    return journal_link, journal_link


# The hub's checks on arrival.


@pytest.fixture
def cred(till: Till, settings: Any) -> NodeCredential:
    """Till C2 of post ``node-2``, enrolled with this process's key (its records are
    made in this process, so signed with it)."""
    settings.COMPTOIR_ROLE = "hub"
    make_article("PAIN", "1.20")
    token, _ = auth.enrollment_redeem(
        code=auth.enrollment_create(name="Caisse 2"),
        node_id="node-2",
        public_key=post_public_text()[0],
    )
    found = auth.credential_for(token)
    assert found is not None
    return found


def _changes(label: str, records: list[Any]) -> list[Change]:
    data = wire.fact_aggregates(label, [r.pk for r in records])
    return [fact_change(label, r.pk, data[r.pk]) for r in records]


def _node_closings(cred: NodeCredential) -> list[Change]:
    """Two days closed on the node's till (not kept on the hub), as changes."""
    sid = transaction.savepoint()
    invoice_sell(lines=[SaleLine("PAIN", 1)], till=cred.till, at=at(2))
    made = closings_close(till=cred.till, until=date(2026, 3, 4), at=at(4, 0, 1))
    changes = _changes("closings.closing", made)
    transaction.savepoint_rollback(sid)
    return changes


def _node_events(cred: NodeCredential, count: int) -> list[Change]:
    sid = transaction.savepoint()
    events = [
        event_record(kind=EventKind.LOGIN_OK, user=f"u{n}", till=cred.till) for n in range(count)
    ]
    changes = _changes("events.technicalevent", events)
    transaction.savepoint_rollback(sid)
    return changes


def _row(change: Change, label: str) -> dict[str, Any]:
    assert isinstance(change, FactChange)
    row: dict[str, Any] = change.data.rows[label][0]
    return row


def test_a_closing_altered_before_the_next_closing_is_found_by_the_verify_after_it(
    till: Till, closed: Callable[[], list[Closing]], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        made = closed()  # two batches: the 29th and 30th, then the 31st and March
    verified = TechnicalEvent.objects.filter(kind=EventKind.JOURNAL_VERIFIED).order_by("number")
    assert [e.details_data["outcome"] for e in verified] == ["whole", "whole"]
    with triggers_dropped("closings_closing"):
        raw("UPDATE closings_closing SET total_vat = 0 WHERE id = %s", _id(made[0].pk))
    with django_capture_on_commit_callbacks(execute=True):
        invoice_sell(lines=[SaleLine("PAIN", 1)], at=at(2, 9, month=4))  # closes April 1st
    assert [e.details_data["outcome"] for e in verified.all()] == ["whole", "whole", "broken"]
    check = ChainCheck.objects.get(till=till, chain="close")
    assert (check.status, check.sequence) == ("broken", 1)


def test_a_cash_session_close_verifies_this_post_s_chains_only(
    cred: NodeCredential, till: Till, django_capture_on_commit_callbacks: Any
) -> None:
    """On the hub, its web till's session close: not every post's chains (the hub's
    ``journal verify`` does that), its own, then logged."""
    from comptoir.cash.services import session_close, session_open

    hub.push_apply(cred, _node_closings(cred))  # another post's chain, on the hub
    ChainCheck.objects.all().delete()
    session_open(amount="10", cashier="Alice")
    with django_capture_on_commit_callbacks(execute=True):
        session_close(counted="10", cashier="Alice")
    assert {c.till_id for c in ChainCheck.objects.all()} == {till.pk}
    [event] = TechnicalEvent.objects.filter(kind=EventKind.JOURNAL_VERIFIED)
    assert event.details_data == {"outcome": "whole", "post": "C1", "cause": "session_close"}


def test_the_hub_refuses_a_closing_with_a_bad_signature(cred: NodeCredential) -> None:
    first, _second = _node_closings(cred)
    row = _row(first, "closings.closing")
    row["signature"] = sign(key_generate(), signed_message(row["chain_hash"]))
    [result] = hub.push_apply(cred, [first])
    assert result.status == "rejected"
    assert "Signature invalide" in result.reason
    assert not Closing.objects.filter(pk=first.row).exists()


def test_the_hub_keeps_an_event_after_a_gap_pending_then_whole(cred: NodeCredential) -> None:
    first, second, third = _node_events(cred, 3)
    assert [r.status for r in hub.push_apply(cred, [third])] == ["applied"]
    check = ChainCheck.objects.get(till=cred.till, chain="event")
    assert (check.status, check.sequence) == ("pending", 3)
    hub.push_apply(cred, [first, second])
    assert ChainCheck.objects.get(till=cred.till, chain="event").status == "whole"
    [result] = [r for r in journal_verify("C2") if r.chain == "event"]
    assert (result.status, len(result.stored)) == ("whole", 3)


def test_the_hub_raises_an_alert_on_a_closing_chain_that_does_not_link(
    cred: NodeCredential,
) -> None:
    first, second = _node_closings(cred)
    row = _row(second, "closings.closing")
    values = kind_get("closing").values(Closing(**_fields(row)))
    digest, signature = link(key=post_key(), kind="closing", values=values, previous="f" * 64)
    row.update(previous_hash="f" * 64, chain_hash=digest, signature=signature)
    assert [r.status for r in hub.push_apply(cred, [first, second])] == ["applied", "applied"]
    alert = IntegrityAlert.objects.get(model="closings.closing")
    assert str(alert.row_id) == second.row
    assert ChainCheck.objects.get(till=cred.till, chain="close").status == "broken"
    # Logged on the hub's post, as a document chain's break is.
    [event] = TechnicalEvent.objects.filter(kind=EventKind.INTEGRITY_ALERT)
    assert (event.details_data["chain"], event.details_data["sequence"]) == ("close", 2)


def _fields(row: dict[str, Any]) -> dict[str, Any]:
    """A wire row back into model field values (enough to rebuild a closing's values)."""
    from django.utils.dateparse import parse_date, parse_datetime

    out = {k: v for k, v in row.items() if k in {f.attname for f in Closing._meta.concrete_fields}}
    out["period_start"] = parse_date(row["period_start"])
    out["period_end"] = parse_date(row["period_end"])
    out["closed_at"] = parse_datetime(row["closed_at"])
    return out


def test_the_hub_s_own_events_are_chained_with_its_key(cred: NodeCredential, till: Till) -> None:
    """Enrollment and revocation are logged on the hub's own post (its till, its key)."""
    auth.node_revoke(name="Caisse 2")
    events = list(TechnicalEvent.objects.filter(till=till).order_by("number"))
    assert [e.kind for e in events] == [EventKind.ENROLLMENT, EventKind.REVOCATION]
    assert [e.chain_sequence for e in events] == [1, 2]
    public = public_key_from_text(post_public_text()[0])
    assert all(signature_valid(public, signed_message(e.chain_hash), e.signature) for e in events)
    [result] = [r for r in journal_verify("C1") if r.chain == "event"]
    assert (result.status, len(result.stored)) == ("whole", 2)
