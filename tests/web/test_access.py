"""No page of the web interface is public: walks every URL of the four screens' namespaces
(whatever is added later) and checks that an anonymous visitor is sent to the login page,
and a logged-in user without a role is refused, for GET and POST alike."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

NAMESPACES = ("pos", "backoffice", "dashboard", "sync")
SAMPLE_ARGS = {"int": 1, "uuid": uuid.uuid4(), "str": "X-1", "slug": "x", "path": "x"}


def _patterns(
    resolver: URLResolver, namespace: str | None = None
) -> Iterator[tuple[str, URLPattern]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, entry.namespace or namespace)
        elif namespace in NAMESPACES and entry.name:
            yield f"{namespace}:{entry.name}", entry


def _url(name: str, pattern: URLPattern) -> str:
    converters = getattr(pattern.pattern, "converters", {})
    kwargs: dict[str, Any] = {}
    for key, converter in converters.items():
        kind = type(converter).__name__.replace("Converter", "").lower()
        kwargs[key] = SAMPLE_ARGS.get(kind, "x")
    return reverse(name, kwargs=kwargs)


PAGES = sorted({name: _url(name, p) for name, p in _patterns(get_resolver())}.items())


def test_the_walk_finds_every_screen() -> None:
    found = {name.split(":")[0] for name, _url in PAGES}
    assert found == set(NAMESPACES)
    assert len(PAGES) > 40


def _answers(client: Client, url: str) -> dict[str, int]:
    """GET and POST status codes; 405 (wrong method, refused before anything) is fine for
    one of them, but every page must answer one of the two methods with its real check."""
    answers = {method: getattr(client, method)(url) for method in ("get", "post")}
    codes = {method: r.status_code for method, r in answers.items()}
    assert set(codes.values()) != {405}, codes
    for response in answers.values():
        if response.status_code == 302:
            assert response["Location"].startswith("/connexion/?next="), response["Location"]
    return codes


@pytest.mark.parametrize(("name", "url"), PAGES, ids=[n for n, _u in PAGES])
def test_anonymous_visitors_are_sent_to_the_login_page(db: None, name: str, url: str) -> None:
    codes = _answers(Client(), url)
    assert set(codes.values()) <= {302, 405}, f"{name} ({url}) : {codes}"


@pytest.mark.parametrize(("name", "url"), PAGES, ids=[n for n, _u in PAGES])
def test_users_without_a_role_are_refused(db: None, name: str, url: str) -> None:
    client = Client()
    client.force_login(get_user_model().objects.create_user("sans-role", password="x" * 12))
    codes = _answers(client, url)
    assert set(codes.values()) <= {403, 405}, f"{name} ({url}) : {codes}"
