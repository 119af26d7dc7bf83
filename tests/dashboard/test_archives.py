"""The managers' archive page: closed periods only, each downloaded as the command makes
it; on the hub, only the stores the account sees."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from comptoir.accounts.services import account_store_set
from comptoir.events.models import TechnicalEvent
from comptoir.fiscal.command import archive_verify
from comptoir.stores.models import Till
from comptoir.stores.services import store_get_or_create, till_create
from comptoir.web.roles import MANAGER, role_set
from tests.journal.test_archive_db import YEAR, close_until, day_of_trade


@pytest.fixture
def trading(till: Till, articles: None) -> Till:
    """March and April 2025 traded; closed up to November (December and the year open)."""
    day_of_trade()
    day_of_trade(month=4, day=7)
    close_until(till, date(YEAR, 12, 1))
    return till


@pytest.fixture
def articles(db: None) -> None:
    from tests.factories import make_article

    make_article("PAIN", "1.20", vat="5.5")
    make_article("VIN", "8.90", vat="20")


def _url(till: Till, label: str) -> str:
    return reverse("dashboard:archive_download", args=[till.store_id, label])


def test_only_closed_periods_are_offered_and_each_downloads_a_whole_archive(
    trading: Till, manager: Client, tmp_path: Path
) -> None:
    html = manager.get(reverse("dashboard:archives")).content.decode()
    offered = [f"2025-{m:02d}" for m in range(3, 12)]
    for label in offered:
        assert f'data-period="{label}"' in html
        assert _url(trading, label) in html
    assert 'data-period="2025-12"' not in html  # December is not closed
    assert 'data-period="2025"' not in html  # nor the year
    assert "Télécharger l’archive" in html

    response = manager.get(_url(trading, "2025-04"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert (
        'filename="journal-fiscal-magasin-principal-2025-04.zip"' in response["Content-Disposition"]
    )
    path = tmp_path / "download.zip"
    path.write_bytes(response.content)
    assert archive_verify([str(path)])[0] == 0
    with zipfile.ZipFile(io.BytesIO(response.content)) as z:
        assert "invoice.json" in z.namelist()
    event = TechnicalEvent.objects.get(kind="archive_made")
    assert event.details_data["period"] == "2025-04"
    assert event.user == "u-manager"


def test_an_open_period_asked_for_by_its_address_is_refused(trading: Till, manager: Client) -> None:
    for label in ("2025", "2025-12", "2026-13"):
        response = manager.get(_url(trading, label), follow=True)
        assert response.redirect_chain == [(reverse("dashboard:archives"), 302)]
        assert not response.get("Content-Disposition")
    assert not TechnicalEvent.objects.filter(kind="archive_made").exists()


def test_a_cashier_gets_no_archive(trading: Till, cashier: Client) -> None:
    assert cashier.get(reverse("dashboard:archives")).status_code == 403
    assert cashier.get(_url(trading, "2025-04")).status_code == 403
    assert not TechnicalEvent.objects.filter(kind="archive_made").exists()


def test_the_sync_page_links_managers_to_the_archives(trading: Till, manager: Client) -> None:
    html = manager.get(reverse("sync:index")).content.decode()
    assert f'href="{reverse("dashboard:archives")}"' in html


def test_on_the_hub_an_account_sees_only_its_stores_archives(
    trading: Till, settings: Any, client_as: Callable[[str | None], Client]
) -> None:
    settings.COMPTOIR_ROLE = "hub"
    other = store_get_or_create(name="Annexe", currency="EUR")
    annex = till_create(store=other, name="Caisse A", prefix="A1", node_id="node-a")
    day_of_trade(annex)
    close_until(annex, date(YEAR, 12, 1))
    user = get_user_model().objects.create_user("gerant-annexe", password="x-solide-123")
    role_set(user, MANAGER)
    account_store_set(user=user, store=other)
    client = Client()
    client.force_login(user)
    html = client.get(reverse("dashboard:archives")).content.decode()
    assert f'data-store="{other.pk}"' in html
    assert f'data-store="{trading.store_id}"' not in html
    assert client.get(_url(trading, "2025-04")).status_code == 404
    # The chain's manager sees both stores.
    html = client_as(MANAGER).get(reverse("dashboard:archives")).content.decode()
    assert f'data-store="{other.pk}"' in html
    assert f'data-store="{trading.store_id}"' in html
    assert not TechnicalEvent.objects.filter(kind="archive_made").exists()


def test_on_a_chains_hub_the_stores_come_20_a_page_and_are_searched(
    trading: Till, settings: Any, manager: Client
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from comptoir.dashboard.archive_views import STORES_PER_PAGE

    settings.COMPTOIR_ROLE = "hub"
    url = reverse("dashboard:archives")
    for n in range(1, STORES_PER_PAGE + 2):
        store = store_get_or_create(name=f"Magasin {n:02d}")
        till_create(store=store, name="Caisse", prefix=f"M{n:02d}", node_id=f"node-m{n:02d}")
    manager.get(url)
    with CaptureQueriesContext(connection) as first:
        html = manager.get(url).content.decode()
    assert html.count("data-store=") == STORES_PER_PAGE
    assert "Page 1 sur 2" in html
    with CaptureQueriesContext(connection) as second:
        html = manager.get(url, {"page": "2"}).content.decode()
    assert html.count("data-store=") == 2  # the 21st and the main store
    assert f'data-store="{trading.store_id}"' in html
    assert len(second) < len(first)  # the queries follow the page, not the chain
    html = manager.get(url, {"q": "principal"}).content.decode()
    assert html.count("data-store=") == 1
    assert 'data-period="2025-04"' in html
    assert manager.get(_url(trading, "2025-04")).status_code == 200
