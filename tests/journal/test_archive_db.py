"""``comptoir journal archive``: the archive of a closed period, written from the database,
verifies with nothing but its file (issue 15, "Archives", "Bad input"). Runs on SQLite and
on PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from comptoir.cash.services import cash_in, cash_out, session_close, session_open
from comptoir.closings.models import Closing
from comptoir.closings.services import closings_close
from comptoir.events.models import TechnicalEvent
from comptoir.fiscal import archive_format as fmt
from comptoir.fiscal.command import archive_verify
from comptoir.journal.postkey import post_public_text
from comptoir.sales.models import Invoice
from comptoir.sales.services import ReturnLine, SaleLine, credit_note_issue, invoice_sell
from comptoir.stores.models import Till
from comptoir.stores.services import store_get_or_create, store_update
from comptoir.sync import wire
from comptoir.syncengine import auth, hub
from comptoir.syncengine.protocol import Change
from tests.factories import PARIS, at, make_article
from tests.journal.conftest import raw, triggers_dropped
from tests.sync.helpers import fact_change

YEAR = 2025


def day_of_trade(till: Till | None = None, *, month: int = 3, day: int = 2) -> None:
    """A session with movements, two sales and a return on ``till`` (this post's)."""
    when: Callable[..., datetime] = lambda h: at(day, h, month=month, year=YEAR)  # noqa: E731
    session_open(amount="50", cashier="Alice", till=till, at=when(8))
    cash_in(amount="20", reason="Monnaie", cashier="Alice", till=till, at=when(9))
    first = invoice_sell(
        lines=[SaleLine("PAIN", 2), SaleLine("VIN", 1)], cashier="Alice", till=till, at=when(10)
    )
    invoice_sell(lines=[SaleLine("VIN", 3)], cashier="Bob", till=till, at=when(11))
    credit_note_issue(
        invoice_number=first.number, lines=[ReturnLine("PAIN", 1)], till=till, at=when(12)
    )
    cash_out(amount="5", reason="Timbres", cashier="Alice", till=till, at=when(14))
    session_close(counted="95", cashier="Alice", till=till, at=when(18))


def close_until(till: Till, day: date) -> None:
    closings_close(till=till, until=day, at=datetime(day.year, day.month, day.day, tzinfo=PARIS))


@pytest.fixture
def articles(db: None) -> None:
    make_article("PAIN", "1.20", vat="5.5")
    make_article("VIN", "8.90", vat="20")


@pytest.fixture
def closed_year(till: Till, articles: None) -> Till:
    """Trading in March and April 2025, every period of 2025 closed."""
    day_of_trade()
    day_of_trade(month=4, day=7)
    close_until(till, date(YEAR + 1, 1, 1))
    assert Closing.objects.filter(till=till, kind="year", period_start=date(YEAR, 1, 1)).exists()
    return till


def verify(path: Path) -> tuple[int, str | None, str | None]:
    return archive_verify([str(path)])


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def kind_rows(path: Path, kind: str) -> list[dict[str, Any]]:
    return list(json.loads(members(path)[f"{kind}.json"]))


def test_a_closed_year_is_archived_from_the_database_and_verifies(
    closed_year: Till, tmp_path: Path, cli_json: Callable[..., Any]
) -> None:
    path = tmp_path / "journal-2025.zip"
    made = cli_json("journal", "archive", "--period", "2025", "--out", str(path))
    assert made["whole"] is True
    assert made["period"] == {
        "label": "2025",
        "kind": "year",
        "start": "2025-01-01",
        "end": "2025-12-31",
    }
    assert made["posts"] == ["C1"]
    assert verify(path)[0] == 0
    # Every fiscal kind with records: documents with their lines, VAT and payments, the
    # cash sessions (open and close) and the cash movements.
    names = set(members(path))
    for kind in ("invoice", "credit_note", "session_open", "session_close", "cash_movement"):
        assert {f"{kind}.json", f"{kind}.csv"} <= names, kind
    invoices = kind_rows(path, "invoice")
    assert [r["values"]["number"] for r in invoices] == [
        i.number for i in Invoice.objects.order_by("chain_sequence")
    ]
    assert invoices[0]["values"]["lines"]
    assert invoices[0]["values"]["payments"]
    assert len(kind_rows(path, "cash_movement")) == 4
    manifest = json.loads(members(path)[fmt.MANIFEST])
    assert manifest["signer"]["key_id"] == post_public_text()[1]
    assert {(c["chain"], c["records"]) for c in manifest["chains"]} == {
        ("doc", 6),
        ("sess", 4),
        ("move", 4),
    }
    # Making it is logged with the period and the file's SHA-256; the answer says the same.
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert made["sha256"] == digest
    event = TechnicalEvent.objects.get(kind="archive_made")
    assert event.details_data["period"] == "2025"
    assert event.details_data["sha256"] == digest
    assert event.details_data["records"] == made["records"] == 14


def test_one_byte_changed_in_an_archive_from_the_database_fails(
    closed_year: Till, tmp_path: Path, cli: Callable[..., str]
) -> None:
    path = tmp_path / "journal-2025.zip"
    cli("journal", "archive", "--period", "2025", "--out", str(path))
    data = bytearray(path.read_bytes())
    at_value = data.index(b'"total_incl_vat"') + 20
    data[at_value] = ord("9") if data[at_value] != ord("9") else ord("8")
    path.write_bytes(bytes(data))
    code, _out, error = verify(path)
    assert code == 1
    assert error is not None
    assert "Archive non intègre" in error


def test_a_month_holds_only_that_month_s_records_its_chains_starting_mid_way(
    closed_year: Till, tmp_path: Path, cli_json: Callable[..., Any]
) -> None:
    path = tmp_path / "avril.zip"
    made = cli_json("journal", "archive", "--period", "2025", "--month", "2025-04", "--out", path)
    assert made["period"]["start"] == "2025-04-01"
    assert made["records"] == 7
    assert verify(path)[0] == 0
    april = [i.number for i in Invoice.objects.filter(business_date__month=4)]
    assert sorted(r["values"]["number"] for r in kind_rows(path, "invoice")) == sorted(april)
    manifest = json.loads(members(path)[fmt.MANIFEST])
    doc = next(c for c in manifest["chains"] if c["chain"] == "doc")
    assert (doc["after_sequence"], doc["head_sequence"]) == (3, 6)  # after March's three
    # --month alone is the same period.
    alone = tmp_path / "avril-seul.zip"
    assert cli_json("journal", "archive", "--month", "2025-04", "--out", alone)["records"] == 7


def test_an_archive_shows_a_broken_chain_as_it_is_and_exits_1(
    closed_year: Till, tmp_path: Path, cli: Callable[..., str]
) -> None:
    """A sale is never dropped to make an archive pretty: a field altered in the database
    (triggers dropped) is archived as stored, and both the command and archive-verify
    say the chain is broken."""
    invoice = Invoice.objects.order_by("chain_sequence").first()
    assert invoice is not None
    with triggers_dropped("sales_invoice"):
        raw("UPDATE sales_invoice SET cashier = %s WHERE id = %s", "Mallory", invoice.pk.hex)
    path = tmp_path / "journal-2025.zip"
    with pytest.raises(SystemExit) as exit_info:
        cli("journal", "archive", "--period", "2025", "--out", str(path))
    assert exit_info.value.code == 1
    code, _out, error = verify(path)
    assert code == 1
    assert error is not None
    assert "enregistrement modifié" in error


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "2025"], "n'est pas close sur le poste C1"),
        (["--month", "2025-12"], "n'est pas close sur le poste C1"),
        (["--period", "2026"], "n'est pas terminée"),
        (["--period", "25"], "Période invalide"),
        (["--month", "2025-13"], "Mois invalide"),
        (["--period", "2025", "--month", "2024-12"], "n'est pas dans l'exercice"),
        ([], "Indiquez la période"),
        (["--period", "2025", "--post", "Z9"], "Poste inconnu"),
    ],
)
def test_an_archive_that_cannot_be_made_is_refused_and_nothing_is_written(
    till: Till,
    articles: None,
    tmp_path: Path,
    cli_fail: Callable[..., str],
    args: list[str],
    message: str,
) -> None:
    day_of_trade()
    close_until(till, date(YEAR, 12, 1))  # up to November: December and the year are open
    error = cli_fail("journal", "archive", *args, "--out", str(tmp_path / "a.zip"))
    assert message in error
    assert "Traceback" not in error
    assert list(tmp_path.iterdir()) == []
    assert not TechnicalEvent.objects.filter(kind="archive_made").exists()


def test_the_output_file_is_checked_before_anything_is_written(
    closed_year: Till, tmp_path: Path, cli: Callable[..., str], cli_fail: Callable[..., str]
) -> None:
    missing = tmp_path / "absent" / "a.zip"
    error = cli_fail("journal", "archive", "--period", "2025", "--out", str(missing))
    assert "n'existe pas" in error
    assert not missing.parent.exists()
    existing = tmp_path / "a.zip"
    existing.write_bytes(b"ancien")
    error = cli_fail("journal", "archive", "--period", "2025", "--out", str(existing))
    assert "existe déjà" in error
    assert existing.read_bytes() == b"ancien"
    error = cli_fail("journal", "archive", "--period", "2025", "--out", str(tmp_path))
    assert "est un dossier" in error
    cli("journal", "archive", "--period", "2025", "--out", str(existing), "--force")
    assert verify(existing)[0] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.zip"]  # no staging file left


# --- The hub: one store, every post, each post's key in the manifest ----------------------


@contextmanager
def as_post(settings: Any, node_id: str) -> Iterator[None]:
    """Records made in this process signed as post ``node_id`` (its own key)."""
    own = settings.COMPTOIR_NODE_ID
    settings.COMPTOIR_NODE_ID = node_id
    try:
        yield
    finally:
        settings.COMPTOIR_NODE_ID = own


def enroll(settings: Any, node_id: str, name: str) -> Any:
    with as_post(settings, node_id):
        public = post_public_text()[0]
    code = auth.enrollment_create(name=name)
    token, _till = auth.enrollment_redeem(code=code, node_id=node_id, public_key=public)
    return auth.credential_for(token)


def till_records(settings: Any, till: Till) -> list[Change]:
    """A till's year of trading and its closings, made on the till (signed with its key)
    and rolled back here, as the changes its pushes carry."""
    sid = transaction.savepoint()
    with as_post(settings, till.node_id):
        day_of_trade(till)
        close_until(till, date(YEAR + 1, 1, 1))
    changes = []
    for model in ("cash.cashsession", "cash.cashmovement", "sales.invoice", "sales.creditnote"):
        changes += _facts(model, till)
    changes += _facts("closings.closing", till)
    transaction.savepoint_rollback(sid)
    return changes


def _facts(label: str, till: Till) -> list[Change]:
    from django.apps import apps

    model = apps.get_model(label)
    pks = list(model.objects.filter(till=till).values_list("pk", flat=True))
    data = wire.fact_aggregates(label, pks)
    return [fact_change(label, pk, data[pk]) for pk in pks]


@pytest.fixture
def hub_store(till: Till, articles: None, settings: Any) -> list[Any]:
    """The hub (its own post C1 has no sale) and two tills of its store that pushed a
    closed year of sales, sessions and closings."""
    settings.COMPTOIR_ROLE = "hub"
    creds = [enroll(settings, f"node-{n}", f"Caisse {n}") for n in (2, 3)]
    for cred in creds:
        changes = till_records(settings, cred.till)
        results = hub.push_apply(cred, changes)
        assert {r.status for r in results} == {"applied"}, [r.reason for r in results]
    return creds


def test_the_hub_archives_every_post_of_a_store_each_with_its_key(
    hub_store: list[Any], tmp_path: Path, cli_json: Callable[..., Any]
) -> None:
    path = tmp_path / "magasin-2025.zip"
    made = cli_json("journal", "archive", "--period", "2025", "--out", str(path))
    assert made["whole"] is True
    assert made["posts"] == ["C2", "C3"]
    assert verify(path)[0] == 0
    manifest = json.loads(members(path)[fmt.MANIFEST])
    posts = {p["prefix"]: p for p in manifest["posts"]}
    assert set(posts) == {"C1", "C2", "C3"}  # the hub's own post signs
    assert manifest["signer"]["post_id"] == posts["C1"]["post_id"]
    assert len({p["key_id"] for p in posts.values()}) == 3
    for cred in hub_store:
        assert posts[cred.till.prefix]["public_key"] == cred.till.public_key
    assert {r["post_id"] for r in kind_rows(path, "invoice")} == {
        posts["C2"]["post_id"],
        posts["C3"]["post_id"],
    }
    # One post only.
    one = tmp_path / "c3.zip"
    assert cli_json("journal", "archive", "--period", "2025", "--post", "c3", "--out", one)[
        "posts"
    ] == ["C3"]
    assert verify(one)[0] == 0


def test_on_a_hub_of_several_stores_the_store_is_asked_for(
    hub_store: list[Any],
    tmp_path: Path,
    cli_json: Callable[..., Any],
    cli_fail: Callable[..., str],
) -> None:
    store_get_or_create(name="Annexe", currency="EUR")
    out = tmp_path / "a.zip"
    assert "--store" in cli_fail("journal", "archive", "--period", "2025", "--out", str(out))
    assert "Magasin inconnu" in cli_fail(
        "journal", "archive", "--period", "2025", "--store", "Nulle part", "--out", str(out)
    )
    assert not out.exists()
    made = cli_json(
        "journal", "archive", "--period", "2025", "--store", "Magasin principal", "--out", out
    )
    assert made["posts"] == ["C2", "C3"]


def test_a_fiscal_year_is_the_one_starting_in_the_year_given(
    till: Till, articles: None, tmp_path: Path, cli_json: Callable[..., Any]
) -> None:
    store_update(pk=till.store.pk, fiscal_year_start=4)
    till = Till.objects.select_related("store").get(pk=till.pk)
    day_of_trade(month=3)  # fiscal year 2024 (April 2024 to March 2025)
    day_of_trade(month=5)  # fiscal year 2025
    close_until(till, date(YEAR + 1, 4, 1))
    made = cli_json("journal", "archive", "--period", "2025", "--out", tmp_path / "a.zip")
    assert (made["period"]["start"], made["period"]["end"]) == ("2025-04-01", "2026-03-31")
    assert made["records"] == 7
