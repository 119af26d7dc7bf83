"""HTTP endpoints of the sync protocol (``/api/sync/v1/``), served by the hub."""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
from asgiref.sync import iscoroutinefunction, sync_to_async
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from comptoir import __version__
from comptoir.lib.errors import ComptoirError
from comptoir.sync import notify
from comptoir.sync.clock import wall_ms
from comptoir.sync.models import NodeCredential
from comptoir.syncengine import (
    auth,
    compaction,
    compression,
    hub,
    jsontext,
    recovery,
    schemas,
    snapshot,
)
from comptoir.syncengine import digest as digests
from comptoir.syncengine.protocol import (
    MAX_PULL_LIMIT,
    MAX_WAIT_SECONDS,
    SCHEMA_VERSION,
    Enroll,
    Page,
    ProtocolError,
    PushReply,
    VersionRefused,
    decode,
    decode_push,
    envelope,
    peer_schema,
)

log = logging.getLogger("comptoir.sync")


def reply(data: dict[str, Any], status: int = 200, *, schema: int = SCHEMA_VERSION) -> HttpResponse:
    """``data`` with the envelope, in the versions of a post of ``schema``."""
    body = jsontext.dumps({**data, **envelope(wall_ms(), schema)})
    return HttpResponse(body, status=status, content_type="application/json")


def _reply_struct(message: Any) -> HttpResponse:
    """A typed reply (its envelope filled in by the caller)."""
    return HttpResponse(jsontext.dumps(message), content_type="application/json")


def error(message: str, status: int) -> HttpResponse:
    return reply({"error": message}, status=status)


def behind(exc: compaction.Behind, schema: int = SCHEMA_VERSION) -> HttpResponse:
    """410: the log was cut above the node's cursor; ``cut`` tells a node of this version to
    take a snapshot (``GET snapshot``), an older one shows the message."""
    return reply({"error": exc.message, "cut": exc.through}, status=410, schema=schema)


def _version_problem(request: HttpRequest) -> HttpResponse | None:
    """A 426 for a post whose versions this hub does not serve, or None; the schema to
    answer it in is then in ``request.comptoir_schema`` (its own: this one or the previous,
    see ``protocol``). The refusal carries the hub's own versions."""
    try:
        schema = peer_schema(
            request.headers.get("X-Comptoir-Protocol"), request.headers.get("X-Comptoir-Schema")
        )
    except VersionRefused as exc:
        return error(str(exc), 426)
    request.comptoir_schema = schema  # type: ignore[attr-defined]
    return None


def _schema(request: HttpRequest) -> int:
    return int(getattr(request, "comptoir_schema", SCHEMA_VERSION))


def _credential(request: HttpRequest) -> NodeCredential | None:
    header = request.headers.get("Authorization", "")
    token = header[7:] if header.startswith("Bearer ") else ""
    return auth.credential_for(token)


def allow(*methods: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Like ``require_http_methods``, but the 405 says why in JSON, as every other refusal."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        def refuse(request: HttpRequest) -> HttpResponse:
            response = error(
                _("Méthode %(m)s non acceptée ici (attendu : %(a)s).")
                % {"m": request.method, "a": ", ".join(methods)},
                405,
            )
            response["Allow"] = ", ".join(methods)
            return response

        if iscoroutinefunction(view):

            @functools.wraps(view)
            async def async_wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                if request.method not in methods:
                    return refuse(request)
                return await view(request, *args, **kwargs)

            return async_wrapped

        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if request.method not in methods:
                return refuse(request)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _raw_body(request: HttpRequest) -> bytes:
    """The request's JSON text, decompressed (not read yet)."""
    if request.content_type != "application/json":
        raise ProtocolError(_("Le corps doit être du JSON (Content-Type: application/json)."))
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    try:
        raw = request.body
    except RequestDataTooBig:
        raise ProtocolError(_("Corps trop volumineux.")) from None
    return compression.decompress(encoding, raw)


def _refuse_nul(raw: bytes) -> None:
    if jsontext.has_nul(raw):
        raise ProtocolError(_("JSON invalide : caractère nul dans un texte."))


def _unrecognised() -> str:
    """The refusal of a token, the same whether it is unknown, revoked or lost."""
    return _(
        "Poste non reconnu ou révoqué : sur le serveur, « comptoir hub enroll --name "
        "NOM_DU_POSTE --reenroll » donne un code, que ce poste utilise avec « comptoir node "
        "reenroll --code CODE »."
    )


def authenticated(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def wrapped(request: HttpRequest) -> HttpResponse:
        problem = _version_problem(request)
        if problem:
            return problem
        cred = _credential(request)
        if cred is None:
            return error(_unrecognised(), 401)
        return view(request, cred)

    return wrapped


@csrf_exempt
@allow("POST")
@authenticated
def push(request: HttpRequest, cred: NodeCredential) -> HttpResponse:
    try:
        raw = _raw_body(request)
        _refuse_nul(raw)
        changes = decode_push(raw)
        pending = _int(request.GET.get("pending"), -1, -1, 10**9)
    except ProtocolError as exc:
        return error(_("Envoi invalide : %(detail)s") % {"detail": exc}, 400)
    schema = _schema(request)
    results = hub.push_apply(cred, schemas.upgraded(changes, schema), pending=pending)
    return _reply_struct(PushReply(results=results, **envelope(wall_ms(), schema)))


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(value))) if value is not None else default
    except ValueError:
        raise ProtocolError(_("Paramètre entier invalide : « %(v)s ».") % {"v": value}) from None


_AGENT = re.compile(r"comptoir/([\w.+-]{1,20})")


def _node_news(pending: int, agent: str) -> dict[str, Any]:
    """What the node tells about itself for the hub's sync page: its outbox (``pending``)
    and its version (from ``User-Agent: comptoir/X.Y``), as credential fields."""
    fields: dict[str, Any] = {}
    if pending >= 0:
        fields.update(pending_count=pending, pending_at=timezone.now())
    match = _AGENT.match(agent)
    if match:
        fields["version"] = match.group(1)
    return fields


def _page(cred: NodeCredential, cursor: int, limit: int, note: dict[str, Any] | None) -> Page:
    """One turn of a pull, then the database connection goes back (to the pool, when
    served): a long poll must not hold one while it waits."""
    try:
        return hub.pull_page(cred, cursor, limit, touch=note is not None, note=note)
    finally:
        if not connection.in_atomic_block:  # (a test's transaction is left alone)
            connection.close()


@csrf_exempt
@allow("GET")
async def pull(request: HttpRequest) -> HttpResponse:
    problem = _version_problem(request)
    if problem:
        return problem
    cred = await sync_to_async(_credential)(request)
    if cred is None:
        return error(_unrecognised(), 401)
    try:
        cursor = _int(request.GET.get("cursor"), 0, 0, 2**62)
        limit = _int(request.GET.get("limit"), 500, 1, MAX_PULL_LIMIT)
        wait = _int(request.GET.get("wait"), 0, 0, MAX_WAIT_SECONDS)
        pending = _int(request.GET.get("pending"), -1, -1, 10**9)
    except ProtocolError as exc:
        return error(str(exc), 400)
    note: dict[str, Any] | None = _node_news(pending, request.headers.get("User-Agent", ""))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        ticket = notify.waiter.ticket(str(cred.till.store_id), cred.node_id)
        try:
            page = await sync_to_async(_page)(cred, cursor, limit, note)
        except compaction.Behind as exc:
            return behind(exc)
        note = None  # noted once per request, not on every turn of a long poll
        if page.changes or page.more or loop.time() >= deadline or notify.waiter.stopping:
            schema = _schema(request)
            return _reply_struct(
                msgspec.structs.replace(
                    page,
                    changes=schemas.downgraded(page.changes, schema),
                    **envelope(wall_ms(), schema),
                )
            )
        cursor = page.cursor
        await notify.waiter.wait(ticket, deadline - loop.time())


@csrf_exempt
@allow("GET")
@authenticated
def snapshot_view(request: HttpRequest, cred: NodeCredential) -> HttpResponse:
    """A page of the current state of everything this node sees (``syncengine.snapshot``):
    a node behind the log's cut, or a new one, starts from it."""
    after = request.GET.get("after", "")
    try:
        limit = _int(request.GET.get("limit"), snapshot.PAGE_ROWS, 1, MAX_PULL_LIMIT)
        page = snapshot.snapshot_page(cred, after=after, limit=limit)
    except ProtocolError as exc:
        return error(str(exc), 400)
    schema = _schema(request)
    return _reply_struct(
        msgspec.structs.replace(
            page,
            changes=schemas.downgraded(page.changes, schema),
            **envelope(wall_ms(), schema),
        )
    )


@csrf_exempt
@allow("GET")
@authenticated
def digest(request: HttpRequest, cred: NodeCredential) -> HttpResponse:
    """Per-model digests for this node's store, or one model's row hashes (drill-down)."""
    label = request.GET.get("model")
    store_id = cred.till.store_id
    schema = _schema(request)
    known = schemas.shape(schema)  # a post of the previous schema: what it holds
    if label is None:
        return reply({"models": digests.digests(store_id, known)}, schema=schema)
    try:
        rows = digests.row_hashes(label, store_id, known)
    except KeyError:
        return error(_("Modèle inconnu : %(m)s.") % {"m": label}, 400)
    return reply({"model": label, "rows": rows}, schema=schema)


@csrf_exempt
@allow("GET")
@authenticated
def recovery_view(request: HttpRequest, cred: NodeCredential) -> HttpResponse:
    """What the hub holds of this post's own records, with a page of its facts
    (``comptoir.syncengine.recovery``: a post restored from a backup takes them back)."""
    try:
        after = _int(request.GET.get("after"), 0, 0, 2**62)
        limit = _int(request.GET.get("limit"), 0, 0, recovery.MAX_PAGE)
        since = recovery.parse_since(request.GET.get("since"))
    except ProtocolError as exc:
        return error(str(exc), 400)
    message = recovery.recovery_reply(cred, since=since, after=after, limit=limit)
    return _reply_struct(msgspec.structs.replace(message, **envelope(wall_ms())))


# Refused enrollments allowed per client address and window, before the address is
# turned away: codes have 64 bits, this only makes guessing slower still, and noisy.
ENROLL_FAILURES = 10
ENROLL_WINDOW_SECONDS = 15 * 60


def _enroll_failures_key(request: HttpRequest) -> str:
    return f"comptoir:enroll-failures:{request.META.get('REMOTE_ADDR', '')}"


def _enroll_failed(key: str) -> None:
    try:
        cache.add(key, 0, ENROLL_WINDOW_SECONDS)  # the window starts at the first failure
        try:
            cache.incr(key)
        except ValueError:  # expired in between
            cache.set(key, 1, ENROLL_WINDOW_SECONDS)
    except OSError as exc:  # a cache on a full disk: the refusal stands, uncounted
        log.warning("échec d'enrôlement non compté (%s)", exc)


@csrf_exempt
@allow("POST")
def enroll(request: HttpRequest) -> HttpResponse:
    problem = _version_problem(request)
    if problem:
        return problem
    failures = _enroll_failures_key(request)
    if (cache.get(failures) or 0) >= ENROLL_FAILURES:
        return error(
            _(
                "Trop d'enrôlements refusés depuis cette adresse : réessayez dans 15 minutes, "
                "avec un code donné par « comptoir hub enroll »."
            ),
            429,
        )
    try:
        raw = _raw_body(request)
        _refuse_nul(raw)
        try:
            body = decode(raw, Enroll)
        except ProtocolError as exc:
            raise ProtocolError(
                _("Requête d'enrôlement invalide : %(detail)s") % {"detail": exc}
            ) from None
        token, till = auth.enrollment_redeem(
            code=body.code,
            node_id=body.node_id,
            version=body.version[:20],
            reenroll=body.reenroll,
            public_key=body.public_key[:64],
        )
    except ProtocolError as exc:
        return error(str(exc), 400)
    except ComptoirError as exc:
        _enroll_failed(failures)
        return error(exc.message, 403)
    return reply(
        {
            "token": token,
            "till": {"id": str(till.pk), "name": till.name, "prefix": till.prefix},
            "store": {
                "id": str(till.store_id),
                "name": till.store.name,
                "currency": till.store.currency,
            },
            "hub_version": __version__,
        },
        schema=_schema(request),
    )


OPENAPI = Path(__file__).with_name("openapi.json")


@allow("GET")
def openapi(request: HttpRequest) -> HttpResponse:
    """The OpenAPI description of this API: a static file, public like any documentation."""
    return HttpResponse(OPENAPI.read_bytes(), content_type="application/json")
