"""The technical event log (JET): each event recorded once, where it happens; numbered
per post; bounded details; synced to the hub once; listed by ``comptoir journal events``.
Run on SQLite and PostgreSQL (``python -m tests.pgcluster run -- pytest tests/events``)."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import msgspec
import pytest
import uvicorn
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from comptoir.cash.services import session_close, session_open
from comptoir.catalogue.services import article_update
from comptoir.events.models import DETAILS_MAX, EventKind, TechnicalEvent
from comptoir.events.services import event_record, post_started, post_stopped
from comptoir.lib.errors import ValidationError
from comptoir.ops.imports import import_rows, parse_csv
from comptoir.sales.services import SaleLine, invoice_sell
from comptoir.stores.models import Till
from comptoir.stores.services import store_update, till_create
from comptoir.sync import clock, wire
from comptoir.sync.models import OutboxEntry
from comptoir.sync.wire.checks import check_rows
from comptoir.syncengine import auth, engine, hub
from tests.factories import at, make_article
from tests.sync.helpers import fact_change

HOUR_MS = 3_600_000


def kinds(**filters: Any) -> list[str]:
    return list(
        TechnicalEvent.objects.filter(**filters).order_by("number").values_list("kind", flat=True)
    )


def test_events_are_numbered_per_post_with_canonical_bounded_details(till: Till) -> None:
    other = till_create(store=till.store, name="Caisse 2", prefix="C2")
    first = event_record(kind=EventKind.REPRINT, details={"document": "C1-2026-000001", "n": 2})
    second = event_record(kind=EventKind.IMPORT, details={"z": "é", "a": True})
    elsewhere = event_record(kind=EventKind.REPRINT, till=other, user="x\x00y")
    assert first is not None
    assert second is not None
    assert elsewhere is not None
    assert (first.number, second.number, elsewhere.number) == (1, 2, 1)
    assert (first.till, elsewhere.till) == (till, other)
    assert second.details == '{"a":true,"z":"\\u00e9"}'  # sorted keys, ASCII
    assert second.details_data == {"a": True, "z": "é"}
    assert elsewhere.user == "xy"
    # A long text is cut: the details always fit their column, checked like any synced row.
    long = event_record(
        kind=EventKind.INTEGRITY_ALERT, details={f"k{i}": "é" * 500 for i in range(2)}
    )
    assert long is not None
    assert len(long.details) <= DETAILS_MAX
    check_rows(TechnicalEvent, [long])
    with pytest.raises(ValueError, match="unknown event kind"):
        event_record(kind="nope")


@pytest.mark.django_db
def test_a_post_without_a_till_records_nothing() -> None:
    assert event_record(kind=EventKind.LOGIN_OK) is None
    assert TechnicalEvent.objects.count() == 0


def test_logins_ok_and_failed_are_recorded_once_each(till: Till) -> None:
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("marie", password="x-solide-123")
    client = Client()
    client.post(reverse("login"), {"username": "marie", "password": "faux"})
    assert kinds() == [EventKind.LOGIN_FAILED]
    client.post(reverse("login"), {"username": "marie", "password": "x-solide-123"})
    assert kinds() == [EventKind.LOGIN_FAILED, EventKind.LOGIN_OK]
    assert set(TechnicalEvent.objects.values_list("user", flat=True)) == {"marie"}


def test_a_cash_session_open_and_close_are_recorded(till: Till) -> None:
    session_open(amount="100", cashier="Léa", at=at(1, 8))
    session_close(counted="100", cashier="Léa", at=at(1, 18))
    events = list(TechnicalEvent.objects.order_by("number"))
    assert [e.kind for e in events] == [EventKind.SESSION_OPEN, EventKind.SESSION_CLOSE]
    assert events[0].details_data == {"session": 1, "float": 10000}
    assert events[1].details_data == {"session": 1, "counted": 10000, "difference": 0}
    assert {e.user for e in events} == {"Léa"}


def test_a_failed_session_open_records_nothing(till: Till) -> None:
    session_open(amount="0")
    with pytest.raises(ValidationError, match="déjà ouverte"):
        session_open(amount="0")  # a second open session: refused, rolled back
    assert kinds() == [EventKind.SESSION_OPEN]


def test_a_vat_rate_change_is_recorded_and_other_edits_are_not(till: Till) -> None:
    make_article("PAIN", "1.20", vat="5.5")
    article_update(code="PAIN", sale_price="1.30")
    article_update(code="PAIN", vat_rate="5.50")  # the same rate, written otherwise
    assert kinds() == []
    article_update(code="PAIN", vat_rate="20")
    event = TechnicalEvent.objects.get()
    assert event.kind == EventKind.VAT_RATE_CHANGE
    assert event.details_data == {"article": "PAIN", "from": "5.50", "to": "20.00"}


def test_a_store_identity_change_is_recorded(till: Till) -> None:
    store_update(pk=till.store_id, legal_name="Boulangerie Martin SARL", city="Lyon")
    store_update(pk=till.store_id, city="Lyon")  # nothing changes: nothing recorded
    event = TechnicalEvent.objects.get()
    assert event.kind == EventKind.STORE_IDENTITY_CHANGE
    assert event.details_data == {"store": till.store.name, "fields": "city,legal_name"}


def test_starts_record_the_version_and_its_changes(till: Till) -> None:
    post_started(version="0.1.0")
    post_stopped(version="0.1.0")
    post_started(version="0.1.0")
    post_started(version="0.2.0")
    assert kinds() == [
        EventKind.POST_START,
        EventKind.POST_STOP,
        EventKind.POST_START,
        EventKind.VERSION_CHANGE,
        EventKind.POST_START,
    ]
    change = TechnicalEvent.objects.get(kind=EventKind.VERSION_CHANGE)
    assert change.details_data == {"from": "0.1.0", "to": "0.2.0"}


class _Idle:
    def start(self) -> None:
        pass

    def shutdown(self) -> None:
        pass


@pytest.mark.django_db(transaction=True)
def test_serve_records_the_post_start_and_stop(till: Till, monkeypatch: pytest.MonkeyPatch) -> None:
    from comptoir.ops.management.commands import serve

    served: list[bool] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: served.append(True))
    # (the threads serve starts beside the server would share the test's in-memory
    # database, whose shared cache locks whole tables: "database table is locked")
    monkeypatch.setattr(serve, "_journal_verify_at_start", lambda: None)
    monkeypatch.setattr(serve, "ClosingsWorker", _Idle)
    call_command("serve", "--no-sync", "--bind", "127.0.0.1:8765")
    assert served == [True]
    assert kinds() == [EventKind.POST_START, EventKind.POST_STOP]


@override_settings(COMPTOIR_ROLE="node")
def test_a_clock_jump_noticed_at_a_contact_with_the_hub_is_recorded(
    till: Till, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = clock.wall_ms()
    monkeypatch.setattr(clock, "wall_ms", lambda: now)
    engine._contact(SimpleNamespace(last_hub_time=now + 500))  # type: ignore[arg-type]
    engine._contact(SimpleNamespace(last_hub_time=now + 1500))  # type: ignore[arg-type]
    assert kinds() == []  # first contact, then a steady clock
    # The post's clock was set back an hour: against the hub, an hour's jump.
    monkeypatch.setattr(clock, "wall_ms", lambda: now - HOUR_MS)
    engine._contact(SimpleNamespace(last_hub_time=now + 2000))  # type: ignore[arg-type]
    event = TechnicalEvent.objects.get()
    assert event.kind == EventKind.CLOCK_JUMP
    assert event.details_data == {
        "previous_offset_ms": 1500,
        "offset_ms": 2000 + HOUR_MS,
        "jump_ms": 1500 - 2000 - HOUR_MS,
    }
    engine._contact(SimpleNamespace(last_hub_time=now + 2500))  # type: ignore[arg-type]
    assert TechnicalEvent.objects.count() == 1


def test_an_import_is_recorded_once(till: Till) -> None:
    rows = parse_csv("articles", "code;name;price\nA1;Article 1;2,50\nA2;Article 2;3\n")
    import_rows("articles", rows)
    event = TechnicalEvent.objects.get()
    assert event.kind == EventKind.IMPORT
    assert event.details_data == {
        "what": "articles",
        "rows": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
    }


def test_enrollment_and_revocation_are_recorded_on_the_hub(till: Till) -> None:
    code = auth.enrollment_create(name="Caisse 2")
    auth.enrollment_redeem(code=code, node_id="node-2")
    auth.node_revoke(name="Caisse 2")
    events = list(TechnicalEvent.objects.order_by("number"))
    assert [e.kind for e in events] == [EventKind.ENROLLMENT, EventKind.REVOCATION]
    assert {e.till_id for e in events} == {till.pk}  # the hub's own post
    assert events[0].details_data == {"post": "Caisse 2", "prefix": "C2", "reenroll": False}


def _node_cred() -> Any:
    code = auth.enrollment_create(name="Caisse 2")
    token, _till = auth.enrollment_redeem(code=code, node_id="node-2")
    cred = auth.credential_for(token)
    assert cred is not None
    return cred


def test_an_integrity_alert_is_recorded_once(till: Till) -> None:
    make_article("PAIN", "1.20")
    cred = _node_cred()
    sid = transaction.savepoint()
    invoice = invoice_sell(lines=[SaleLine("PAIN", 1)], till=cred.till, at=at(2))
    data = wire.fact_aggregates("sales.invoice", [invoice.pk])[invoice.pk]
    transaction.savepoint_rollback(sid)
    data["rows"]["sales.invoice"][0]["cashier"] = "x" * 200
    change = fact_change("sales.invoice", invoice.pk, data)
    start = TechnicalEvent.objects.count()
    assert [r.status for r in hub.push_apply(cred, [change])] == ["rejected"]
    hub.push_apply(cred, [msgspec.structs.replace(change, id=str(uuid.uuid4()))])  # again
    alerts = TechnicalEvent.objects.filter(kind=EventKind.INTEGRITY_ALERT)
    assert TechnicalEvent.objects.count() == start + 1
    assert alerts.get().details_data["document"] == invoice.number


def test_a_posts_events_reach_the_hub_once(till: Till) -> None:
    cred = _node_cred()
    sid = transaction.savepoint()
    event = event_record(
        kind=EventKind.REPRINT, details={"document": "C2-2026-000001"}, till=cred.till
    )
    assert event is not None
    data = wire.fact_aggregates("events.technicalevent", [event.pk])[event.pk]
    transaction.savepoint_rollback(sid)
    change = fact_change("events.technicalevent", event.pk, data)
    assert [r.status for r in hub.push_apply(cred, [change])] == ["applied"]
    again = msgspec.structs.replace(change, id=str(uuid.uuid4()))
    assert [r.status for r in hub.push_apply(cred, [change, again])] == [
        "duplicate",
        "duplicate",
    ]
    assert TechnicalEvent.objects.filter(pk=event.pk).count() == 1
    # Another post's events are refused: a till writes its own log only.
    other = uuid.uuid4()
    forged_data = json.loads(json.dumps(data).replace(str(event.pk), str(other)))
    forged_data["rows"]["events.technicalevent"][0]["till_id"] = str(till.pk)
    forged = fact_change("events.technicalevent", other, forged_data)
    assert hub.push_apply(cred, [forged])[0].status == "rejected"


@override_settings(COMPTOIR_ROLE="node")
def test_an_event_goes_to_the_outbox_once(till: Till) -> None:
    event = event_record(kind=EventKind.TRAINING_ON)
    assert event is not None
    assert list(
        OutboxEntry.objects.filter(model="events.technicalevent").values_list("row_id", flat=True)
    ) == [event.pk]


def test_journal_events_lists_a_period_as_text_and_json(
    till: Till, cli: Any, cli_json: Any, cli_fail: Any
) -> None:
    now = timezone.now()
    event_record(kind=EventKind.LOGIN_OK, user="marie", at=now - timedelta(days=3))
    event_record(
        kind=EventKind.REPRINT, user="paul", details={"document": "C1-2026-000004"}, at=now
    )
    rows = cli_json("journal", "events")
    assert [r["kind"] for r in rows] == ["reprint", "login_ok"]
    assert rows[0] == {
        "till": "C1",
        "number": 2,
        "kind": "reprint",
        "label": "réimpression (duplicata)",
        "occurred_at": timezone.localtime(
            rows and TechnicalEvent.objects.get(number=2).occurred_at
        ).isoformat(),
        "user": "paul",
        "details": {"document": "C1-2026-000004"},
    }
    today = timezone.localdate(now).isoformat()
    assert [r["kind"] for r in cli_json("journal", "events", "--from", today, "--to", today)] == [
        "reprint"
    ]
    assert [r["kind"] for r in cli_json("journal", "events", "--kind", "login_ok")] == ["login_ok"]
    text = cli("journal", "events")
    assert "réimpression (duplicata)" in text
    assert "document=C1-2026-000004" in text
    err = cli_fail("journal", "events", "--from", "hier")
    assert "Date invalide pour --from" in err
