"""The URL guard (French 400 before any query) and the 400/404/500 pages in the app's layout."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

from comptoir.stores.models import Till
from comptoir.web.middleware import MAX_PARAM_CHARS, MAX_SEGMENT_CHARS
from comptoir.web.roles import MANAGER, role_set
from tests.sync.test_asgi import _get as asgi_get

LAYOUT = 'href="/static/web/app.css'


@pytest.fixture
def manager(till: Till, settings: Any) -> Client:
    settings.COMPTOIR_ROLE = "node"
    user = get_user_model().objects.create_user("gerant", password="x-secret-123")
    role_set(user, MANAGER)
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("url", "sentence"),
    [
        ("/gestion/articles/?q=pain%00", "Le paramètre « q » contient des caractères de contrôle."),
        ("/caisse/stock/?q=%1b[31m", "Le paramètre « q » contient des caractères de contrôle."),
        ("/gestion/clients/?q%00=1", "contient des caractères de contrôle."),
        ("/gestion/factures/?number=%ff%fe", "n’est pas du texte valide (UTF-8)."),
        (f"/gestion/fournisseurs/?q={'x' * (MAX_PARAM_CHARS + 1)}", "est trop long"),
        ("/caisse/ticket/C1-2026-%00/", "L’adresse contient des caractères invalides."),
        (f"/gestion/factures/{'9' * (MAX_SEGMENT_CHARS + 1)}/", "L’adresse est trop longue."),
    ],
)
def test_hostile_urls_get_a_french_400_without_touching_the_database(
    manager: Client, django_assert_num_queries: Any, url: str, sentence: str
) -> None:
    with django_assert_num_queries(0):
        response = manager.get(url)
    assert response.status_code == 400
    html = response.content.decode()
    assert sentence in html
    assert "Demande invalide" in html
    assert LAYOUT in html


@pytest.mark.parametrize(
    "query", ["q=pain%09de%0Amie%0D", "q=" + "x" * MAX_PARAM_CHARS, "q=caf%C3%A9", "q="]
)
def test_tabs_line_breaks_accents_and_long_searches_pass(manager: Client, query: str) -> None:
    assert manager.get(f"/gestion/articles/?{query}").status_code == 200


def test_a_malformed_session_cookie_is_dropped_not_looked_up(till: Till, settings: Any) -> None:
    """A NUL in the session cookie reached PostgreSQL (``DataError``, a 500): now the
    visitor is simply not logged in."""
    client = Client(raise_request_exception=False)
    client.cookies[settings.SESSION_COOKIE_NAME] = "abcdefgh\x00ijkl"
    response = client.get(reverse("backoffice:articles"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_sync_api_refuses_its_own_parameters_in_json(db: None) -> None:
    response = Client().get("/api/sync/v1/pull?cursor=%00")
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    ("path", "host", "status"),
    [
        ("/api/sync/v1/nulle-part", b"127.0.0.1", 404),
        ("/api/sync/v1/openapi.json", b"evil.example", 400),
        ("/nulle-part/", b"127.0.0.1", 404),
        ("/connexion/", b"evil.example", 400),
    ],
)
def test_error_pages_of_the_served_application_need_no_user(
    db: None, path: str, host: bytes, status: int
) -> None:
    """Through ``comptoir.asgi`` as uvicorn calls it: the API's handler has no session
    nor user, and its errors must not turn into a 500 while the page is made."""
    answer = asgi_get(path, host)
    assert answer["status"] == status
    assert LAYOUT.encode() in answer["body"]


def test_an_unknown_page_is_a_french_404_in_the_layout(manager: Client) -> None:
    response = manager.get("/nulle-part/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page introuvable" in html
    assert "Cette page n’existe pas, ou plus." in html
    assert "Resolver404" not in html
    assert LAYOUT in html
    assert reverse("backoffice:articles") in html  # the menu of a logged-in user


def test_an_unknown_invoice_says_which_in_the_404(manager: Client) -> None:
    response = manager.get(reverse("pos:receipt", args=["C1-2026-999999"]))
    assert response.status_code == 404
    assert "Facture inconnue : « C1-2026-999999 »." in response.content.decode()


def test_the_500_page_is_french_in_the_layout_and_needs_no_database() -> None:
    """No ``db`` fixture: pytest-django refuses any query, as a broken database would."""
    response = server_error(RequestFactory().get("/caisse/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "Erreur du serveur" in html
    assert "Server Error" not in html
    assert LAYOUT in html
