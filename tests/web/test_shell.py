"""The web shell: roles decide where people land and what they may open; logins are
rate-limited; every page speaks French by default and escapes what users typed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

import comptoir
from comptoir.web.roles import CASHIER, MANAGER, role_of, role_set

PASSWORD = "un-mot-de-passe-solide"


def _user(username: str, role: str | None) -> Any:
    user = get_user_model().objects.create_user(username, password=PASSWORD)
    if role:
        role_set(user, role)
    return user


@pytest.fixture
def client_as(db: None) -> Any:
    def make(role: str | None) -> Client:
        client = Client()
        client.force_login(_user(f"u-{role}", role))
        return client

    return make


def test_role_set_gives_exactly_one_role(db: None) -> None:
    user = _user("ana", CASHIER)
    assert role_of(user) == CASHIER
    role_set(user, MANAGER)
    assert role_of(user) == MANAGER
    assert list(user.groups.values_list("name", flat=True)) == [MANAGER]


def test_a_superuser_is_a_manager(db: None) -> None:
    boss = get_user_model().objects.create_superuser("boss", "", PASSWORD)
    assert role_of(boss) == MANAGER


@pytest.mark.parametrize(
    ("role", "target"), [(CASHIER, "/caisse/"), (MANAGER, "/tableau-de-bord/")]
)
def test_each_role_lands_on_its_screen(client_as: Any, role: str, target: str) -> None:
    response = client_as(role).get("/")
    assert response.status_code == 302
    assert response["Location"] == target


def test_a_user_without_role_is_told_why(client_as: Any) -> None:
    response = client_as(None).get("/")
    assert response.status_code == 403
    assert "ni le rôle caissier ni le rôle gérant" in response.content.decode()


def test_anonymous_visitors_are_sent_to_the_login_page(db: None) -> None:
    response = Client().get("/caisse/")
    assert response.status_code == 302
    assert response["Location"] == "/connexion/?next=/caisse/"


def test_the_login_page_is_french_and_labelled(db: None) -> None:
    page = Client().get("/connexion/").content.decode()
    assert '<html lang="fr">' in page
    assert '<label for="id_username">Identifiant</label>' in page
    assert '<label for="id_password">Mot de passe</label>' in page


def test_logging_in_with_the_form_works(db: None) -> None:
    _user("lea", CASHIER)
    client = Client()
    response = client.post("/connexion/", {"username": "lea", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_five_wrong_passwords_lock_the_account_out_even_with_the_right_one(db: None) -> None:
    _user("lea", CASHIER)
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(5):
        response = client.post("/connexion/", {"username": "lea", "password": "faux"})
    assert response.status_code == 429
    assert "Trop d’essais de connexion" in response.content.decode()
    locked = client.post("/connexion/", {"username": "lea", "password": PASSWORD})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another address is not locked out by someone else's attempts.
    other = Client(REMOTE_ADDR="198.51.100.2")
    assert other.post("/connexion/", {"username": "lea", "password": PASSWORD}).status_code == 302


def test_a_post_without_csrf_token_is_refused_in_french(db: None) -> None:
    _user("lea", CASHIER)
    client = Client(enforce_csrf_checks=True)
    response = client.post("/connexion/", {"username": "lea", "password": PASSWORD})
    assert response.status_code == 403
    assert "jeton CSRF absent ou périmé" in response.content.decode()


def test_the_badge_is_served_to_logged_in_users_only(client_as: Any) -> None:
    assert Client().get("/etat-synchro/").status_code == 302
    response = client_as(CASHIER).get("/etat-synchro/")
    assert response.status_code == 200
    assert 'class="badge' in response.content.decode()


def test_english_is_available(client_as: Any) -> None:
    client = client_as(CASHIER)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/connexion/", follow=True).content.decode()
    assert '<html lang="en">' in page


def test_user_command_creates_accounts_with_a_role(db: None, capsys: Any) -> None:
    call_command("user", "add", "nina", "--role", "cashier", "--password", PASSWORD, "--all-stores")
    call_command("user", "role", "nina", "manager")
    call_command("user", "list", "--json")
    out = capsys.readouterr().out
    assert "Compte nina créé (cashier)." in out
    assert '"role": "manager"' in out


# ---- the icon ---------------------------------------------------------------------------

ICON = "/static/web/favicon.svg"


def test_favicon_ico_answers_without_login_with_the_svg_icon(client: Client, db: None) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == ICON
    icon = client.get(ICON)
    assert icon.status_code == 200
    assert icon["Content-Type"].startswith("image/svg+xml")
    assert b"".join(icon.streaming_content).startswith(b"<svg")  # type: ignore[attr-defined]


def test_the_pages_link_the_icon(client: Client, db: None) -> None:
    html = client.get("/connexion/").content.decode()
    assert f'<link rel="icon" href="{ICON}" type="image/svg+xml">' in html


def test_every_page_layout_with_a_head_links_the_icon() -> None:
    """A layout of its own (printed tickets, A4 invoices) has its own <head>: each one
    links the icon, or the browser asks for it and shows none."""
    root = Path(comptoir.__file__).parent
    layouts = [p for p in root.rglob("templates/**/*.html") if "<head>" in p.read_text()]
    assert len(layouts) >= 2
    for layout in layouts:
        assert "web/favicon.svg" in layout.read_text(), layout
