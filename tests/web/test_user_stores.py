"""``comptoir user``: every hub account gets a store, or every store; existing accounts
get one from the migration."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command, get_commands, load_command_class
from django.db import connections

from comptoir.accounts.models import StaffScope
from comptoir.stores.models import Store, Till
from comptoir.stores.services import store_get_or_create
from comptoir.web.roles import CASHIER, MANAGER, role_set
from comptoir.web.scope import stores_visible

PASSWORD = "x-solide-123"


def user(*args: str) -> str:
    out = StringIO()
    call_command("user", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def refused(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run ``comptoir user ...`` as the entry point does; expect exit code 2, return stderr."""
    monkeypatch.setattr(connections, "close_all", lambda: None)

    def run(*args: str) -> str:
        command = load_command_class(get_commands()["user"], "user")
        capsys.readouterr()
        with pytest.raises(SystemExit) as exit_info:
            command.run_from_argv(["comptoir", "user", *args])
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err
        return err

    return run


def _scope(username: str) -> StaffScope | None:
    return StaffScope.objects.filter(user__username=username).first()


@pytest.fixture
def annex(store: Store) -> Store:
    return store_get_or_create(name="Annexe")


def test_a_hub_with_one_store_gives_it_to_new_accounts(store: Store) -> None:
    out = user("add", "lea", "--role", "cashier", "--password", PASSWORD)
    assert "Compte lea : Magasin principal." in out
    scope = _scope("lea")
    assert scope is not None
    assert scope.store == store


def test_a_hub_with_several_stores_asks_which(annex: Store, refused: Callable[..., str]) -> None:
    err = refused("add", "lea", "--role", "cashier", "--password", PASSWORD)
    assert "--store NOM ou --all-stores" in err
    assert not get_user_model().objects.filter(username="lea").exists()  # nothing written
    assert "Magasin inconnu : « Nulle part »." in refused(
        "add", "lea", "--role", "cashier", "--password", PASSWORD, "--store", "Nulle part"
    )
    user("add", "lea", "--role", "cashier", "--password", PASSWORD, "--store", "Annexe")
    assert _scope("lea").store == annex  # type: ignore[union-attr]
    user("add", "max", "--role", "manager", "--password", PASSWORD, "--all-stores")
    assert _scope("max").store is None  # type: ignore[union-attr]


def test_user_store_changes_the_scope_and_list_shows_it(
    annex: Store, refused: Callable[..., str]
) -> None:
    user("add", "lea", "--role", "manager", "--password", PASSWORD, "--store", "Annexe")
    assert "Compte lea : tous les magasins." in user("store", "lea", "--all-stores")
    rows = {r["username"]: r for r in json.loads(user("list", "--json"))}
    assert rows["lea"]["stores"] == "tous les magasins"
    user("store", "lea", "--store", "Magasin principal")
    rows = {r["username"]: r for r in json.loads(user("list", "--json"))}
    assert rows["lea"]["stores"] == "Magasin principal"
    assert "--store NOM ou --all-stores" in refused("store", "lea")
    assert "Aucun compte « personne »." in refused("store", "personne", "--all-stores")


def test_a_superuser_cannot_be_narrowed_to_one_store(
    store: Store, refused: Callable[..., str]
) -> None:
    get_user_model().objects.create_superuser("admin", "", PASSWORD)
    assert "superutilisateur" in refused("store", "admin", "--store", "Magasin principal")
    assert _scope("admin") is None


def test_on_a_till_every_account_sees_the_tills_store(
    till: Till, annex: Store, settings: Any, refused: Callable[..., str]
) -> None:
    settings.COMPTOIR_ROLE = "node"
    assert "ne servent que sur le serveur" in refused(
        "add", "lea", "--role", "cashier", "--password", PASSWORD, "--store", "Annexe"
    )
    assert "Compte lea : Magasin principal." in user(
        "add", "lea", "--role", "cashier", "--password", PASSWORD
    )
    # Even an account written down as a chain manager (a hub's row, e.g. from a restore).
    chain = get_user_model().objects.get(username="lea")
    StaffScope.objects.update_or_create(user=chain, defaults={"store": None})
    chain = get_user_model().objects.get(username="lea")
    assert stores_visible(chain).store_ids == {till.store_id}


def test_the_migration_gives_existing_accounts_a_scope(store: Store) -> None:
    """Managers and superusers: every store; cashiers: the only store; with two stores a
    cashier gets none (they see nothing until ``comptoir user store`` says which)."""
    model = get_user_model()
    manager = model.objects.create_user("gerant", password=PASSWORD)
    role_set(manager, MANAGER)
    cashier = model.objects.create_user("caisse", password=PASSWORD)
    role_set(cashier, CASHIER)
    model.objects.create_superuser("admin", "", PASSWORD)
    migration = importlib.import_module("comptoir.accounts.migrations.0002_existing_accounts_scope")
    migration.forwards(apps, None)
    assert {s.user.username: s.store_id for s in StaffScope.objects.select_related("user")} == {
        "gerant": None,
        "admin": None,
        "caisse": store.pk,
    }
    StaffScope.objects.all().delete()
    store_get_or_create(name="Annexe")
    migration.forwards(apps, None)
    assert _scope("caisse") is None
    # Without a row an account gets that same default, live.
    cashier = model.objects.get(username="caisse")
    assert stores_visible(cashier).store_ids == frozenset()
