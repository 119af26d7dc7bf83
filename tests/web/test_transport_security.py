"""Over HTTPS every cookie is Secure and HSTS is sent; over plain HTTP (a till on
http://127.0.0.1) neither, or login would break; every page carries the CSP.

Whether a request is HTTPS is uvicorn's decision (TLS socket, or a trusted proxy's
X-Forwarded-Proto): ``tests/scenario/test_forwarded_headers.py`` checks that with real
processes. Here, the test client says it directly (``secure=True``).
"""

from __future__ import annotations

from http.cookies import Morsel
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from comptoir.lib.errors import ValidationError
from comptoir.lib.security import CONTENT_SECURITY_POLICY, trusted_proxies
from comptoir.web.roles import MANAGER, role_set

PASSWORD = "un-mot-de-passe-solide"


@pytest.fixture
def manager(db: None) -> Any:
    user = get_user_model().objects.create_user("gerante", password=PASSWORD)
    role_set(user, MANAGER)
    return user


def _login(client: Client) -> Any:
    client.get("/connexion/")
    response = client.post("/connexion/", {"username": "gerante", "password": PASSWORD})
    assert response.status_code == 302
    return response


def _cookies(response: Any) -> dict[str, Morsel[str]]:
    return dict(response.cookies)


def test_over_https_the_session_and_csrf_cookies_are_secure_and_hsts_is_sent(
    manager: Any,
) -> None:
    client = Client(secure=True)
    page = client.get("/connexion/", secure=True)
    assert page["Strict-Transport-Security"].startswith("max-age=31536000")
    assert _cookies(page)["csrftoken"]["secure"] is True
    logged_in = client.post(
        "/connexion/", {"username": "gerante", "password": PASSWORD}, secure=True
    )
    assert logged_in.status_code == 302
    assert _cookies(logged_in)["sessionid"]["secure"] is True
    assert _cookies(logged_in)["csrftoken"]["secure"] is True  # rotated at login


def test_over_https_the_language_cookie_is_secure_too(manager: Any) -> None:
    """Not only the two the issue named: every cookie the application sets."""
    client = Client(secure=True)
    _login(client)
    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, secure=True)
    assert switched.status_code == 302
    assert _cookies(switched)["django_language"]["secure"] is True


def test_over_plain_http_cookies_stay_plain_and_there_is_no_hsts(manager: Any) -> None:
    client = Client()
    page = client.get("/connexion/")
    assert "Strict-Transport-Security" not in page
    assert not _cookies(page)["csrftoken"]["secure"]
    logged_in = _login(client)
    assert not _cookies(logged_in)["sessionid"]["secure"]
    assert client.get("/gestion/articles/").status_code == 200  # the session works


@pytest.mark.parametrize(
    ("path", "logged_in"),
    [("/connexion/", False), ("/admin/login/", False), ("/gestion/articles/", True)],
)
def test_every_page_carries_the_csp_and_the_other_security_headers(
    manager: Any, path: str, logged_in: bool
) -> None:
    client = Client()
    if logged_in:
        client.force_login(manager)
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_the_csp_is_on_static_files_and_the_sync_api_too(db: None) -> None:
    assert "Content-Security-Policy" in Client().get("/static/web/app.css")
    assert "Content-Security-Policy" in Client().get("/api/sync/v1/openapi.json")


def test_trusted_proxies_take_addresses_and_networks() -> None:
    assert trusted_proxies([" 10.0.0.5", "10.0.0.7/24", "::1", "fd00::/8"]) == [
        "10.0.0.5",
        "10.0.0.0/24",
        "::1",
        "fd00::/8",
    ]
    assert trusted_proxies([]) == []
    assert trusted_proxies("10.0.0.5, 10.0.1.0/24") == ["10.0.0.5", "10.0.1.0/24"]


@pytest.mark.parametrize("value", ["*", "proxy.example.org", "10.0.0.300", "", "10.0.0.0/33"])
def test_trusted_proxies_refuse_anything_but_an_address(value: str) -> None:
    with pytest.raises(ValidationError, match="Relais de confiance invalide"):
        trusted_proxies([value])
