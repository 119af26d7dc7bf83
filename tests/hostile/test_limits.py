"""Oversized, deeply nested, mis-typed, mis-encoded and mis-versioned requests: each gets a
4xx with a French message in JSON, and nothing is written. (``tests/sync/test_views.py``
covers garbage, truncated JSON, text/form content types, bad gzip and one gzip bomb on
push; here the rest, zstd bombs, and enroll, the endpoint anyone can reach.)"""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
import zstandard
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from comptoir.sync.models import EnrollmentCode, NodeCredential
from comptoir.syncengine import auth, views
from comptoir.syncengine.protocol import MAX_BODY_BYTES, PREFIX
from tests.hostile.conftest import Api, Node, sale, snapshot


def _over_the_wire_limit() -> bytes:
    return b'{"changes": [], "x": "' + b"x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE + b'"}'


def _bomb(inflated: int) -> bytes:
    """A small gzip that inflates beyond the limit, in two members (the second ignored)."""
    body = gzip.compress(b'{"changes": []' + b" " * inflated + b"}", compresslevel=9)
    return body + gzip.compress(b"garbage")


def test_a_body_over_the_wire_limit_gets_a_json_answer_not_django_s_html_page(
    api: Api, node: Node
) -> None:
    before = snapshot()
    for response in (
        api.push(node.token, _over_the_wire_limit()),
        api.enroll(_over_the_wire_limit()),
    ):
        assert response.status_code == 400
        assert response.json()["error"].endswith("Corps trop volumineux.")
    assert snapshot() == before


def test_a_gzip_bomb_is_stopped_at_the_limit_on_enroll_too(api: Api, till: Any) -> None:
    bomb = _bomb(MAX_BODY_BYTES + 1)
    assert len(bomb) < 64 * 1024
    response = api.enroll(bomb, **{"Content-Encoding": "gzip"})
    assert (response.status_code, response.json()["error"]) == (400, "Corps trop volumineux.")


def test_a_zstd_bomb_is_stopped_at_the_limit(api: Api, node: Node) -> None:
    """With its size in the frame header (refused unread) or without (read up to the limit)."""
    inflated = b'{"changes": []' + b" " * (MAX_BODY_BYTES + 1) + b"}"
    declared = zstandard.ZstdCompressor(level=19).compress(inflated)
    streamed = zstandard.ZstdCompressor(level=19).compressobj()
    unknown = streamed.compress(inflated) + streamed.flush()
    assert zstandard.get_frame_parameters(unknown).content_size == zstandard.CONTENTSIZE_UNKNOWN
    before = snapshot()
    for bomb in (declared, unknown):
        assert len(bomb) < 64 * 1024
        for response in (
            api.push(node.token, bomb, **{"Content-Encoding": "zstd"}),
            api.enroll(bomb, **{"Content-Encoding": "zstd"}),
        ):
            assert response.status_code == 400
            assert response.json()["error"].endswith("Corps trop volumineux.")
    assert snapshot() == before


def test_a_zstd_frame_asking_for_a_huge_window_is_refused(api: Api, node: Node) -> None:
    """A frame may ask the decoder for up to 2 GiB of window before any output: refused."""
    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=27)
    body = json.dumps({"changes": [sale(node.till)]}).encode()
    streamed = zstandard.ZstdCompressor(compression_params=params).compressobj()
    huge = streamed.compress(body) + streamed.flush()
    assert zstandard.get_frame_parameters(huge).window_size == 2**27
    response = api.push(node.token, huge, **{"Content-Encoding": "zstd"})
    assert response.status_code == 400
    assert response.json()["error"].endswith("Corps zstd illisible.")


def test_unreadable_or_cut_zstd_is_a_400(api: Api, node: Node) -> None:
    whole = zstandard.ZstdCompressor().compress(json.dumps({"changes": [sale(node.till)]}).encode())
    before = snapshot()
    for body in (b"not zstd at all", whole[: len(whole) // 2]):
        response = api.push(node.token, body, **{"Content-Encoding": "zstd"})
        assert response.status_code == 400
        assert response.json()["error"].endswith("Corps zstd illisible.")
    assert snapshot() == before


def test_a_zstd_push_is_applied(api: Api, node: Node) -> None:
    body = zstandard.ZstdCompressor().compress(json.dumps({"changes": [sale(node.till)]}).encode())
    response = api.push(node.token, body, **{"Content-Encoding": "zstd"})
    assert response.json()["results"][0]["status"] == "applied"


def test_a_body_exactly_at_the_inflated_limit_is_read(api: Api, node: Node) -> None:
    body = b'{"changes": []' + b" " * (MAX_BODY_BYTES - 15) + b"}"
    assert len(body) == MAX_BODY_BYTES
    response = api.push(node.token, gzip.compress(body), **{"Content-Encoding": "gzip"})
    assert (response.status_code, response.json()["results"]) == (200, [])


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000,
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        b'{"changes": [' + b"[" * 50_000 + b"]" * 50_000 + b"]}",
    ],
    ids=["open brackets", "closed brackets", "nested objects", "inside the envelope"],
)
def test_deep_json_is_a_400(api: Api, node: Node, body: bytes) -> None:
    before = snapshot()
    for response in (api.push(node.token, body), api.enroll(body)):
        assert response.status_code == 400
        assert "JSON invalide" in response.json()["error"]
    assert snapshot() == before


def test_nesting_within_the_parser_s_reach_inside_a_change_is_rejected_change_by_change(
    api: Api, node: Node
) -> None:
    good = sale(node.till)
    deep = json.loads("[" * 500 + "]" * 500)
    bad = json.loads(json.dumps(good))
    bad["id"] = "0190a6f2-8b1c-7d3e-9f40-000000000001"
    bad["data"]["rows"]["sales.invoice"][0]["customer_name"] = deep
    results = api.push(node.token, {"changes": [bad, good]}).json()["results"]
    assert [r["status"] for r in results] == ["rejected", "applied"]


@pytest.mark.parametrize(
    ("raw", "what"),
    [
        (b'{"changes": [], "x": NaN}', "NaN"),
        (b'{"changes": [], "x": -Infinity}', "Infinity"),
        (b'{"changes": [], "x": "\\u0000"}', "NUL"),
        (b'{"changes": [], "\\ud800": 1}', "lone surrogate in a key"),
        (b'{"changes": [], "x": "\\udfff\\ud800"}', "reversed pair"),
        ('{"changes": []}'.encode("utf-16"), "UTF-16"),
        (b'\xef\xbb\xbf{"changes": []}', "UTF-8 byte order mark"),
        (b'{"changes": [], "x": "\xff"}', "not UTF-8"),
        (b'{"changes": []} {"changes": []}', "two documents"),
        (b'{"changes": [], "x": 1' + b"0" * 5000 + b"}", "5000-digit number"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_json_that_no_database_could_store_is_refused_whole(
    api: Api, node: Node, raw: bytes, what: str
) -> None:
    before = snapshot()
    for response in (api.push(node.token, raw), api.enroll(raw)):
        assert response.status_code == 400, what
        assert "JSON invalide" in response.json()["error"], what
    assert snapshot() == before


@pytest.mark.parametrize(
    "text",
    ["Café ☕", "🥖 baguette", "\u00a0espace insécable", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢"],
)
def test_legitimate_unicode_still_passes(api: Api, node: Node, text: str) -> None:
    change = sale(node.till)
    change["data"]["rows"]["sales.invoice"][0]["customer_name"] = text
    body = json.dumps({"changes": [change]}).encode()  # ASCII, with surrogate-pair escapes
    results = api.push(node.token, body).json()["results"]
    assert results[0]["status"] == "applied", results


@pytest.mark.parametrize(
    "content_type",
    [
        "",
        "text/plain",
        "application/json-patch+json",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "text/json",
        "application/xml",
    ],
)
def test_a_body_that_is_not_declared_json_is_a_400(api: Api, node: Node, content_type: str) -> None:
    before = snapshot()
    body = json.dumps({"changes": [sale(node.till)]}).encode()
    for response in (
        api.push(node.token, body, content_type=content_type),
        api.enroll(b'{"code": "x", "node_id": "y"}', content_type=content_type),
    ):
        assert response.status_code == 400
        assert response.json()["error"].endswith(
            "Le corps doit être du JSON (Content-Type: application/json)."
        )
    assert snapshot() == before


def test_json_with_a_charset_parameter_is_json(api: Api, node: Node) -> None:
    body = json.dumps({"changes": []}).encode()
    response = api.push(node.token, body, content_type="application/json; charset=utf-8")
    assert response.status_code == 200


@pytest.mark.parametrize("encoding", ["deflate", "br", "gzip, gzip", "x-gzip", "compress"])
def test_an_unknown_content_encoding_is_named_in_the_refusal(
    api: Api, node: Node, encoding: str
) -> None:
    body = gzip.compress(json.dumps({"changes": [sale(node.till)]}).encode())
    before = snapshot()
    response = api.push(node.token, body, **{"Content-Encoding": encoding})
    assert response.status_code == 400
    assert f"Encodage « {encoding} » non pris en charge" in response.json()["error"]
    assert snapshot() == before


def test_content_encoding_is_case_insensitive(api: Api, node: Node) -> None:
    body = gzip.compress(json.dumps({"changes": [sale(node.till)]}).encode())
    response = api.push(node.token, body, **{"Content-Encoding": "GZIP"})
    assert response.json()["results"][0]["status"] == "applied"


@pytest.mark.parametrize(
    "versions",
    [
        {"X-Comptoir-Protocol": None, "X-Comptoir-Schema": None},
        {"X-Comptoir-Protocol": "1.0"},
        {"X-Comptoir-Protocol": "01"},
        {"X-Comptoir-Schema": " 1"},
        {"X-Comptoir-Schema": "-1"},
        {"X-Comptoir-Protocol": "1" * 10_000},
    ],
    ids=["missing", "1.0", "01", "space", "negative", "huge"],
)
def test_a_wrong_version_is_a_426_everywhere_and_changes_nothing(
    api: Api, node: Node, versions: dict[str, Any]
) -> None:
    code = auth.enrollment_create(name="Caisse 7")
    before = snapshot()
    responses = [
        api.push(node.token, {"changes": [sale(node.till)]}, **versions),
        api.pull(node.token, **versions),
        api.check(
            "digest",
            "get",
            api.client.get(PREFIX + "digest", headers=api.headers(node.token, **versions)),
        ),
        api.enroll({"code": code, "node_id": "node-7"}, **versions),
    ]
    for response in responses:
        assert response.status_code == 426
        assert response.json()["error"].startswith("Versions incompatibles")
    assert snapshot() == before
    assert EnrollmentCode.objects.get(name="Caisse 7").used_at is None


@pytest.mark.parametrize(
    "query",
    [
        {"cursor": "-5"},
        {"cursor": str(2**80)},
        {"cursor": "1" * 5000},
        {"cursor": "0x10"},
        {"cursor": "1e3"},
        {"cursor": ""},
        {"cursor": "٣"},
        {"cursor": " 7 "},
        {"limit": "0"},
        {"limit": "-1"},
        {"limit": str(10**9)},
        {"limit": "NaN"},
        {"wait": "-3"},
        {"wait": "0.5"},
        {"wait": "\u0000"},
        {"cursor": ["1", "x"]},
    ],
    ids=repr,
)
def test_pull_parameters_are_clamped_or_refused_never_a_crash(
    api: Api, node: Node, query: dict[str, Any]
) -> None:
    response = api.pull(node.token, query)
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        page = response.json()
        assert 0 <= page["cursor"] <= 2**62
        assert len(page["changes"]) <= 2000
    else:
        assert response.json()["error"].startswith("Paramètre entier invalide")


@pytest.mark.parametrize(
    "model",
    ["", "x" * 10_000, "sales.invoiceline", "auth.user", "sync.nodecredential", "\u0000", "é"],
)
def test_digest_of_any_model_name_is_answered_or_refused_cleanly(
    api: Api, node: Node, model: str
) -> None:
    response = api.digest(node.token, {"model": model})
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert response.json()["error"].startswith("Modèle inconnu")


def test_digest_does_not_reveal_credentials_or_users(api: Api, node: Node) -> None:
    for model in ("sync.nodecredential", "sync.enrollmentcode", "auth.user"):
        assert api.digest(node.token, {"model": model}).status_code == 400


@pytest.mark.parametrize("method", ["put", "patch", "delete", "options"])
@pytest.mark.parametrize("path", ["push", "pull", "digest", "enroll"])
def test_other_methods_are_a_405_in_json(api: Api, node: Node, method: str, path: str) -> None:
    response = getattr(api.client, method)(PREFIX + path, headers=api.headers(node.token))
    allowed = "POST" if path in ("push", "enroll") else "GET"
    api.check(path, "post" if allowed == "POST" else "get", response)
    assert (response.status_code, response["Allow"]) == (405, allowed)


# --- enroll ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        [],
        "code",
        None,
        {"code": None, "node_id": None},
        {"code": ["A"], "node_id": {"x": 1}},
        {"code": 12, "node_id": 12},
        {"code": "x" * 1_000_000, "node_id": "n"},
    ],
    ids=repr,
)
def test_a_malformed_enrollment_is_refused_and_burns_no_code(
    api: Api, till: Any, body: Any
) -> None:
    auth.enrollment_create(name="Caisse 7")
    before = snapshot()
    response = api.enroll(body)
    assert response.status_code in (400, 403)
    assert snapshot() == before
    assert EnrollmentCode.objects.get().used_at is None


def test_enrollment_codes_have_64_bits_and_guessing_is_turned_away(api: Api, till: Any) -> None:
    """A code is four groups of four hex digits, 2^64 possibilities, valid 24 h; on top of
    that, an address whose enrollments are refused 10 times is turned away for 15 min."""
    code = auth.enrollment_create(name="Caisse 7")
    assert len(code.replace("-", "")) == 16
    int(code.replace("-", ""), 16)
    for guess in range(views.ENROLL_FAILURES):
        response = api.enroll({"code": f"{guess:016X}", "node_id": f"guess-{guess}"})
        assert response.status_code == 403
    turned_away = api.enroll({"code": code, "node_id": "node-7"})
    assert turned_away.status_code == 429
    assert "Trop d'enrôlements refusés depuis cette adresse" in turned_away.json()["error"]
    assert not NodeCredential.objects.exists()
    assert EnrollmentCode.objects.get().used_at is None  # the code is not burnt

    other = Api(Client(REMOTE_ADDR="192.0.2.7"))  # another address is not
    assert other.enroll({"code": code.lower(), "node_id": "node-7"}).status_code == 200

    cache.clear()  # the window is over
    assert api.enroll({"code": "0000000000000000", "node_id": "n"}).status_code == 403


def test_malformed_enrollments_do_not_count_against_the_address(api: Api, till: Any) -> None:
    for _ in range(views.ENROLL_FAILURES + 2):  # not an enrollment: no code was tried
        assert api.enroll(["AAAA-BBBB-CCCC-DDDD"]).status_code == 400
        assert api.enroll(b"{not json").status_code == 400
    code = auth.enrollment_create(name="Caisse 7")
    assert api.enroll({"code": code, "node_id": "node-7"}).status_code == 200


# --- values at the edge of what the database holds ---------------------------------------


def test_a_datetime_before_year_one_in_utc_is_rejected_not_a_crash(api: Api, node: Node) -> None:
    change = sale(node.till)
    change["data"]["rows"]["sales.invoice"][0]["validated_at"] = "0001-01-01T00:00:00+01:00"
    before = snapshot()
    response = api.push(node.token, {"changes": [change]})
    assert response.json()["results"][0]["status"] == "rejected"
    assert snapshot() == before


def test_a_refused_enrollment_stays_a_403_when_the_cache_cannot_write(
    api: Api, till: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(views.cache, "add", full_disk)
    response = api.enroll({"code": "0000-0000-0000-0000", "node_id": "n"})
    assert response.status_code == 403
