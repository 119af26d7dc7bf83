"""The sync page: a till's state and « Synchroniser maintenant »; the hub's tills and conflicts."""

from __future__ import annotations

import json
import socket
import threading
import time
import zipfile
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone

from comptoir.catalogue.services import article_update, category_get_or_create
from comptoir.customers.services import customer_create
from comptoir.dashboard import sync_now as runner
from comptoir.dashboard.cycles import parse_cycles, recent_cycles
from comptoir.sales.services import SaleLine, invoice_sell
from comptoir.stores.models import Till
from comptoir.sync.models import ConflictLog, OutboxEntry, PullFailure, SyncState
from comptoir.syncengine import engine
from comptoir.syncengine.auth import enrollment_create, enrollment_redeem
from comptoir.syncengine.protocol import CLOCK_TOLERANCE_MS
from comptoir.syncengine.selectors import sync_status
from tests.factories import make_article

SYNC = reverse("sync:index")
NOW = reverse("sync:now")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def node(settings: Any, till: Till, tmp_path: Path) -> Till:
    """This post is a till attached to a hub that is not there (nothing listens)."""
    settings.COMPTOIR_ROLE = "node"
    settings.COMPTOIR_HUB_URL = f"http://127.0.0.1:{_closed_port()}"
    settings.COMPTOIR_TOKEN = "jeton-de-test"
    settings.COMPTOIR_HOME = tmp_path
    return till


def _messages(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_a_till_shows_pending_rejected_and_failed_changes(cashier: Client, node: Till) -> None:
    make_article("PAIN", "1.20")
    sale = invoice_sell(lines=[SaleLine("PAIN", 2)], till=node)
    pending = sync_status().pending
    OutboxEntry.objects.filter(model="sales.invoice", row_id=sale.pk).update(
        rejected_at=timezone.now(), rejected_reason="Série C1 réservée à une autre caisse."
    )
    PullFailure.objects.create(
        model="catalogue.article", row_id=sale.pk, reason="Catégorie inconnue."
    )
    SyncState.objects.update_or_create(
        pk=1,
        defaults={
            "last_contact_at": timezone.now(),
            "clock_offset_ms": CLOCK_TOLERANCE_MS + 60_000,
        },
    )
    response = cashier.get(SYNC)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="pending-count">{pending - 1}<' in html  # the refused invoice waits apart
    assert "Série C1 réservée à une autre caisse." in html
    assert "facture" in html  # the refused model, by its name
    assert "Catégorie inconnue." in html
    assert "L’horloge de ce poste diffère de celle du serveur de 180 s" in html
    assert "Synchroniser maintenant" in html


def test_a_till_without_hub_says_so(manager: Client, till: Till, settings: Any) -> None:
    settings.COMPTOIR_ROLE = "node"
    settings.COMPTOIR_HUB_URL = ""
    html = manager.get(SYNC).content.decode()
    assert "rattaché à aucun serveur" in html
    assert "Synchroniser maintenant" not in html


def test_the_page_lists_the_last_cycles_from_the_log(
    cashier: Client, node: Till, settings: Any
) -> None:
    home = Path(settings.COMPTOIR_HOME)
    (home / "logs").mkdir(parents=True, exist_ok=True)
    (home / "logs" / "comptoir.log").write_text(
        "2026-03-02 10:00:00,001 INFO comptoir.sync: synchronisation automatique démarrée\n"
        "2026-03-02 10:00:01,002 INFO django.server: GET / 200\n"
        "2026-03-02 10:00:02,003 INFO comptoir.sync: Envoyés : 1 facture (envoi, 35 ms)\n"
        "2026-03-02 10:05:00,004 WARNING comptoir.sync: hors ligne depuis 5 s, 3 changement(s)"
        " en attente : Serveur injoignable : ConnectError\n",
        encoding="utf-8",
    )
    html = cashier.get(SYNC).content.decode()
    assert "Envoyés : 1 facture (envoi, 35 ms)" in html
    assert html.index("hors ligne depuis 5 s") < html.index("Envoyés : 1 facture")
    assert "GET / 200" not in html
    assert 'class="cycle-failed"' in html


def test_parse_cycles_keeps_the_latest_sync_lines_only() -> None:
    lines = [f"2026-03-02 10:00:{n:02d},000 INFO comptoir.sync: cycle {n}" for n in range(30)] + [
        "Traceback (most recent call last):",
        "  File x",
        "2026-03-02 10:01:00,000 ERROR",
    ]
    cycles = parse_cycles(lines, limit=5)
    assert [c.message for c in cycles] == [f"cycle {n}" for n in (29, 28, 27, 26, 25)]
    assert cycles[0].at == "2026-03-02 10:00:29"


def test_recent_cycles_reads_only_the_end_of_a_big_log(tmp_path: Path) -> None:
    log = tmp_path / "comptoir.log"
    line = "2026-03-02 10:00:00,000 INFO comptoir.sync: {}\n"
    log.write_text("".join(line.format(f"cycle {n}") for n in range(5000)), encoding="utf-8")
    cycles = recent_cycles(log, limit=3)
    assert [c.message for c in cycles] == ["cycle 4999", "cycle 4998", "cycle 4997"]
    assert recent_cycles(tmp_path / "absent.log") == []


IDLE = (
    "2026-03-02 {}:{:02d},000 INFO comptoir.sync: Rien à échanger : tout est à jour."
    " (complète, 40 ms)"
)
SALE = "2026-03-02 09:00:00,000 INFO comptoir.sync: Envoyés : 1 facture (envoi, 35 ms)"


def test_idle_cycles_collapse_into_one_line_and_keep_the_sale_in_view() -> None:
    # A sale sent at 09:00, then an idle cycle every 5 s for an hour (720 of them).
    idle = [
        IDLE.format(f"{9 + (n * 5) // 3600:02d}:{(n * 5) // 60 % 60:02d}", n * 5 % 60)
        for n in range(1, 721)
    ]
    lines = [SALE, *idle]
    cycles = parse_cycles(lines)
    assert [c.message for c in cycles] == [
        "720 cycles sans changement depuis 09:00",
        "Envoyés : 1 facture (envoi, 35 ms)",
    ]
    assert cycles[0].at == "2026-03-02 10:00:00"
    assert cycles[0].idle == 720
    assert not cycles[0].failed

    # Idle runs between exchanges are one line each; failures are kept apart.
    lines = [
        IDLE.format("08:00", 0),
        SALE,
        IDLE.format("09:00", 5),
        IDLE.format("09:00", 10),
        "2026-03-02 09:01:00,000 WARNING comptoir.sync: hors ligne depuis 5 s",
        IDLE.format("09:02", 0),
    ]
    assert [c.message for c in parse_cycles(lines)] == [
        "1 cycle sans changement depuis 09:02",
        "hors ligne depuis 5 s",
        "2 cycles sans changement depuis 09:00",
        "Envoyés : 1 facture (envoi, 35 ms)",
        "1 cycle sans changement depuis 08:00",
    ]
    assert len(parse_cycles(lines, limit=2)) == 2


def test_the_page_reads_back_past_idle_cycles_to_the_last_exchange(
    cashier: Client, node: Till, settings: Any
) -> None:
    # 2,000 idle cycles after the sale: more than the last 64 KB of the file.
    home = Path(settings.COMPTOIR_HOME)
    (home / "logs").mkdir(parents=True, exist_ok=True)
    idle = [IDLE.format("09:30", n % 60) for n in range(2000)]
    (home / "logs" / "comptoir.log").write_text("\n".join([SALE, *idle]) + "\n", encoding="utf-8")
    html = cashier.get(SYNC).content.decode()
    assert "Envoyés : 1 facture (envoi, 35 ms)" in html
    assert "2000 cycles sans changement depuis 09:30" in html
    assert 'class="cycle-idle"' in html


# -- « Synchroniser maintenant » ----------------------------------------------------------


@pytest.fixture
def no_manual_sync_left() -> Iterator[None]:
    yield
    # A cycle that outlived its page finishes before the next test starts.
    assert runner._running.acquire(timeout=30)
    runner._running.release()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("no_manual_sync_left")
def test_sync_now_says_plainly_that_the_hub_is_unreachable(cashier: Client, node: Till) -> None:
    started = time.monotonic()
    response = cashier.post(NOW, follow=True)
    assert time.monotonic() - started < runner.SYNC_NOW_TIMEOUT
    assert response.redirect_chain == [(SYNC, 302)]
    text = " ".join(_messages(response))
    assert "Échec de la synchronisation : Serveur injoignable" in text
    state = SyncState.objects.get(pk=1)
    assert state.offline_since is not None
    assert "Serveur injoignable" in state.last_error
    assert "Hors ligne depuis" in response.content.decode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("no_manual_sync_left")
def test_sync_now_does_not_hang_the_page_on_a_silent_hub(
    cashier: Client, node: Till, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()

    def silent_hub(mode: str = "sync", **kwargs: Any) -> engine.Report:
        release.wait(10)
        return engine.Report()

    monkeypatch.setattr(engine, "sync", silent_hub)
    monkeypatch.setattr(runner, "SYNC_NOW_TIMEOUT", 0.3)
    started = time.monotonic()
    response = cashier.post(NOW, follow=True)
    assert time.monotonic() - started < 5
    assert "continue en arrière-plan" in " ".join(_messages(response))
    # A second click while the first cycle runs does not start another one.
    again = cashier.post(NOW, follow=True)
    assert "déjà en cours" in " ".join(_messages(again))
    release.set()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("no_manual_sync_left")
def test_sync_now_reports_what_moved(
    cashier: Client, node: Till, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fine(mode: str = "sync", **kwargs: Any) -> engine.Report:
        report = engine.Report()
        report.sent["sales.invoice"] += 2
        report.received["catalogue.article"] += 1
        return report

    monkeypatch.setattr(engine, "sync", fine)
    text = " ".join(_messages(cashier.post(NOW, follow=True)))
    assert "Synchronisation réussie" in text
    assert "2 factures" in text
    assert "1 article" in text


def test_sync_now_needs_a_post_and_a_login(client: Client, cashier: Client, node: Till) -> None:
    assert cashier.get(NOW).status_code == 405
    assert client.post(NOW).status_code == 302
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = cashier.cookies
    assert strict.post(NOW).status_code == 403


# -- the hub ------------------------------------------------------------------------------


@pytest.fixture
def hub_with_a_till(settings: Any, till: Till) -> str:
    settings.COMPTOIR_ROLE = "hub"
    code = enrollment_create(name="Caisse 2", store=till.store.name)
    _token, _till = enrollment_redeem(code=code, node_id="node-caisse-2", version="0.9.1")
    return "node-caisse-2"


def test_the_hub_lists_every_till_with_its_lag(manager: Client, hub_with_a_till: str) -> None:
    make_article("PAIN", "1.20")
    make_article("VIN", "8.90")
    response = manager.get(SYNC)
    assert response.status_code == 200
    (row,) = response.context["nodes"]
    assert (row.name, row.store, row.till, row.version) == (
        "Caisse 2",
        "Magasin principal",
        "C2",
        "0.9.1",
    )
    assert row.lag >= 2  # at least the two articles, which it has not pulled yet
    html = response.content.decode()
    assert "Caisse 2" in html
    assert "Synchroniser maintenant" not in html


def test_the_hub_pages_the_conflict_log_latest_first(
    cashier: Client, hub_with_a_till: str, till: Till
) -> None:
    for n in range(30):
        ConflictLog.objects.create(
            model="catalogue.article",
            row_id=till.pk,
            field="name",
            kept_value=f"gardé {n}",
            kept_clock=f"{1_000 + n:015d}-000000-node-caisse-2",
            lost_value=f"perdu {n}",
            lost_clock=f"{900 + n:015d}-000000-autre",
        )
    first = cashier.get(SYNC)
    rows = first.context["conflicts"]
    assert len(rows) == 25
    assert rows[0].entry.kept_value == "gardé 29"
    assert rows[0].kept.post == "Caisse 2"  # the node id, named
    assert rows[0].lost.post == "poste autre"  # a post this account does not see
    second = cashier.get(SYNC, {"page": 2})
    assert [r.entry.kept_value for r in second.context["conflicts"]] == [
        f"gardé {n}" for n in range(4, -1, -1)
    ]


def _logged(label: str, row: Any, field: str, kept: Any, lost: Any, by: str) -> None:
    ConflictLog.objects.create(
        model=label,
        row_id=row,
        field=field,
        kept_value=kept,
        kept_clock=f"{1_780_000_000_000:015d}-000000-{by}",
        lost_value=lost,
        lost_clock=f"{1_779_990_000_000:015d}-000003-{settings.COMPTOIR_NODE_ID}",
    )


def test_the_hub_tells_a_conflict_in_words_a_manager_reads(
    manager: Client, hub_with_a_till: str, till: Till
) -> None:
    article = make_article("PAIN", "1.05", category="Boulangerie")
    article_update(code="PAIN", name="Pain de campagne")
    other = category_get_or_create(name="Viennoiserie")
    customer = customer_create(code="DUP", name="Dupont")
    _logged("catalogue.article", article.pk, "sale_price", 110, 105, hub_with_a_till)
    _logged("catalogue.article", article.pk, "archived", True, False, hub_with_a_till)
    _logged("catalogue.article", article.pk, "category_id", str(other.pk), None, hub_with_a_till)
    _logged("customers.customer", customer.pk, "phone", "0102", "", hub_with_a_till)

    html = manager.get(SYNC).content.decode()
    table = html[html.index('id="conflicts"') :]

    phone, category, archived, price = manager.get(SYNC).context["conflicts"]
    assert (price.model_name, price.row, price.field) == (
        "article",
        "PAIN Pain de campagne",
        "Prix de vente TTC",
    )
    assert (price.kept.value, price.kept.post) == ("1,10\u00a0€", "Caisse 2")
    assert (price.lost.value, price.lost.post) == ("1,05\u00a0€", "Serveur")
    assert (archived.kept.value, archived.lost.value) == ("Oui", "Non")
    assert (category.field, category.kept.value, category.lost.value) == (
        "Catégorie",
        "Viennoiserie",
        "—",
    )
    assert (phone.row, phone.field, phone.lost.value) == ("DUP Dupont", "Téléphone", "(vide)")
    # When each value was written, in the shop's time (Europe/Paris), not UTC.
    when = formats.date_format(timezone.localtime(price.kept.at), "DATETIME_FORMAT")
    in_utc = formats.date_format(price.kept.at.astimezone(UTC), "DATETIME_FORMAT")
    assert when != in_utc
    assert f"Caisse 2, le {when}" in table
    for text in ("PAIN Pain de campagne", "Prix de vente TTC", "1,10\u00a0€", "Caisse 2"):
        assert text.replace("\u00a0", "&nbsp;") in table or text in table, text
    assert str(article.pk) not in table
    assert hub_with_a_till not in table


def test_the_hub_shows_its_own_last_backup_and_warns_when_there_is_none(
    manager: Client, hub_with_a_till: str, settings: Any, tmp_path: Path
) -> None:
    from comptoir.home import HomeConfig

    settings.COMPTOIR_HOME = tmp_path
    settings.COMPTOIR_CONFIG = HomeConfig(
        role="hub",
        node_id="hub-node",
        store_name="Magasin principal",
        till_name="Web",
        till_prefix="WEB",
    )
    html = manager.get(SYNC).content.decode()
    assert 'id="backup-warning"' in html  # none yet: the operator is told
    assert "ucune sauvegarde de ce poste" in html
    folder = tmp_path / "backups"
    folder.mkdir()
    name = "comptoir-hub-WEB-20260101-000000.zip"
    with zipfile.ZipFile(folder / name, "w") as archive:
        archive.writestr("manifest.json", json.dumps({"node_id": "hub-node"}))
    html = manager.get(SYNC).content.decode()
    assert name in html
    assert 'id="backup-warning"' not in html
