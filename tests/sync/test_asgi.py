"""The served application (``comptoir.asgi``): the sync API goes through its own handler,
with only the middleware it needs, and stays fully asynchronous; pages keep them all."""

from __future__ import annotations

import gzip
from typing import Any

import pytest
import zstandard
from asgiref import sync
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.conf import settings

from comptoir import asgi
from comptoir.sync import wire
from comptoir.syncengine import compression, middleware


def _get(path: str, host: bytes = b"127.0.0.1", *headers: tuple[bytes, bytes]) -> dict[str, Any]:
    """One GET through the served application, as uvicorn would make it."""
    return async_to_sync(_asgi_get)(path, [(b"host", host), *headers])


async def _asgi_get(path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    app = ApplicationCommunicator(asgi.application, scope)
    await app.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await app.receive_output(10)
    body = await app.receive_output(10)
    await app.wait(10)
    return {
        "status": start["status"],
        "headers": {name.lower(): value for name, value in start["headers"]},
        "body": body.get("body", b""),
    }


def test_the_api_handler_loads_only_its_own_middleware() -> None:
    assert asgi.api._middleware_chain is not asgi.web._middleware_chain
    assert list(asgi.API_MIDDLEWARE) != settings.MIDDLEWARE  # put back after loading
    # What the API runs inline is what the pages run, in the same order.
    paths = [f"{cls.__module__}.{cls.__name__}" for cls in middleware.INLINE]
    assert [p for p in settings.MIDDLEWARE if p in paths] == paths


@pytest.mark.django_db
def test_the_inline_middleware_does_what_django_s_does() -> None:
    """Security headers, the refusal's language, and no thread: one request counts."""
    answer = _get("/api/sync/v1/pull", b"127.0.0.1", (b"accept-language", b"en"))
    assert answer["status"] == 426  # no version headers: refused, in the asked language
    assert answer["headers"][b"x-content-type-options"] == b"nosniff"
    assert answer["headers"][b"content-language"] == b"en"
    french = _get("/api/sync/v1/pull")
    assert french["headers"][b"content-language"] == b"fr"
    assert french["body"] != answer["body"]


@pytest.mark.django_db
def test_the_inline_middleware_makes_no_thread_hop(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = sync.SyncToAsync.__call__

    async def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(getattr(self.func, "__qualname__", repr(self.func)))
        return await real(self, *args, **kwargs)

    monkeypatch.setattr(sync.SyncToAsync, "__call__", counted)
    _get("/api/sync/v1/openapi.json")
    assert not [c for c in calls if "process_re" in c], calls


@pytest.mark.django_db
def test_an_api_request_is_answered_without_session_or_page_headers() -> None:
    answer = _get("/api/sync/v1/openapi.json")
    assert answer["status"] == 200
    assert answer["body"].startswith(b"{")
    assert b"set-cookie" not in answer["headers"]
    assert b"x-frame-options" not in answer["headers"]  # a page header, not the API's


@pytest.mark.django_db
def test_the_api_refuses_an_unknown_host_like_the_pages() -> None:
    answer = _get("/api/sync/v1/openapi.json", host=b"evil.example")
    assert answer["status"] == 400


@pytest.mark.django_db
def test_pages_still_go_through_every_middleware() -> None:
    answer = _get("/connexion/")
    assert answer["status"] == 200
    assert b"x-frame-options" in answer["headers"]


@pytest.mark.django_db
def test_api_answers_are_compressed_for_a_till_that_accepts_gzip() -> None:
    plain = _get("/api/sync/v1/openapi.json")
    packed = _get("/api/sync/v1/openapi.json", b"127.0.0.1", (b"accept-encoding", b"gzip"))
    assert packed["headers"][b"content-encoding"] == b"gzip"
    assert gzip.decompress(packed["body"]) == plain["body"]
    assert len(packed["body"]) < len(plain["body"]) / 3


@pytest.mark.django_db
def test_api_answers_are_in_zstd_for_a_till_that_accepts_it() -> None:
    plain = _get("/api/sync/v1/openapi.json")
    packed = _get("/api/sync/v1/openapi.json", b"127.0.0.1", (b"accept-encoding", b"zstd, gzip"))
    assert packed["headers"][b"content-encoding"] == b"zstd"
    assert b"Accept-Encoding" in packed["headers"][b"vary"]
    assert zstandard.ZstdDecompressor().decompress(packed["body"]) == plain["body"]
    refused = _get(
        "/api/sync/v1/openapi.json", b"127.0.0.1", (b"accept-encoding", b"zstd;q=0, gzip")
    )
    assert refused["headers"][b"content-encoding"] == b"gzip"


@pytest.mark.django_db
def test_pages_are_never_sent_in_zstd() -> None:
    page = _get("/connexion/", b"127.0.0.1", (b"accept-encoding", b"zstd, gzip"))
    assert page["headers"].get(b"content-encoding") == b"gzip"


@pytest.mark.parametrize(
    ("header", "codings"),
    [
        ("zstd, gzip", {"zstd", "gzip"}),
        ("gzip;q=0.5, ZSTD;q=0", {"gzip"}),
        ("br;q=1.0, identity; q=0", {"br"}),
        ("gzip;q=x", {"gzip"}),
        ("", set()),
    ],
)
def test_accept_encoding_is_read_with_its_refusals(header: str, codings: set[str]) -> None:
    assert compression.accepted(header) == codings


def test_importing_the_application_outside_serve_turns_nothing_on() -> None:
    """Only ``comptoir serve`` (``COMPTOIR_SERVING``) turns on the hub's memory of facts
    and its NOTIFY listener: a test importing the module must not leave them on for the
    tests after it (the simulation replays the same ids in every example)."""
    from comptoir.sync.notify import waiter

    assert settings.COMPTOIR_ROLE == "hub"
    assert not wire.fact_cache.enabled
    assert not waiter.enabled
