"""The technical event log page: managers only, filtered by period and kind, within the
stores the account sees."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from comptoir.accounts.services import account_store_set
from comptoir.events.models import EventKind
from comptoir.events.services import event_record
from comptoir.stores.models import Till
from comptoir.stores.services import store_get_or_create, till_create
from comptoir.web.roles import role_set

URL = reverse("backoffice:events")


def test_managers_see_the_events_filtered_by_period_and_kind(
    till: Till, manager: Client, cashier: Client
) -> None:
    now = timezone.now()
    event_record(kind=EventKind.REPRINT, details={"document": "C1-2026-000007"}, at=now)
    event_record(kind=EventKind.IMPORT, details={"what": "articles"}, at=now - timedelta(days=5))
    assert cashier.get(URL).status_code == 403
    html = manager.get(URL).content.decode()
    assert 'data-kind="reprint"' in html
    assert "document = C1-2026-000007" in html
    assert 'data-kind="import"' in html
    today = timezone.localdate(now).isoformat()
    html = manager.get(URL, {"from": today, "to": today}).content.decode()
    assert 'data-kind="reprint"' in html
    assert 'data-kind="import"' not in html
    html = manager.get(URL, {"kind": "import"}).content.decode()
    assert 'data-kind="reprint"' not in html
    # (The manager's own login is an event too, of its kind.)
    assert 'data-kind="login_ok"' not in html


def test_a_store_manager_sees_only_the_events_of_its_store(till: Till) -> None:
    other = till_create(store=store_get_or_create(name="Annexe"), name="Caisse annexe", prefix="A1")
    event_record(kind=EventKind.REPRINT, details={"document": "A1-2026-000001"}, till=other)
    event_record(kind=EventKind.REPRINT, details={"document": "C1-2026-000001"}, till=till)
    user = get_user_model().objects.create_user("annexe", password="x-secret-123")
    role_set(user, "manager")
    account_store_set(user=user, store=other.store)
    client = Client()
    client.force_login(user)
    html = client.get(URL).content.decode()
    assert "A1-2026-000001" in html
    assert "C1-2026-000001" not in html
