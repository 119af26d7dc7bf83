"""HTTP endpoints of the sync protocol (``/api/sync/v1/``), served by the hub."""

from __future__ import annotations

import asyncio
import json
import zlib
from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from comptoir import __version__
from comptoir.core.errors import ComptoirError
from comptoir.sync import auth, hub, notify
from comptoir.sync import digest as digests
from comptoir.sync.clock import wall_ms
from comptoir.sync.models import NodeCredential
from comptoir.sync.protocol import (
    MAX_BODY_BYTES,
    MAX_PULL_LIMIT,
    MAX_WAIT_SECONDS,
    ProtocolError,
    check_push,
    check_versions,
    envelope,
)


def reply(data: dict[str, Any], status: int = 200) -> JsonResponse:
    return JsonResponse({**data, **envelope(wall_ms())}, status=status)


def error(message: str, status: int) -> JsonResponse:
    return reply({"error": message}, status=status)


def _version_problem(request: HttpRequest) -> JsonResponse | None:
    problem = check_versions(
        request.headers.get("X-Comptoir-Protocol"), request.headers.get("X-Comptoir-Schema")
    )
    if problem:
        return error(
            _(
                "Versions incompatibles (%(p)s) : mettez à jour comptoir sur ce poste ou sur le "
                "serveur pour qu'ils parlent la même version."
            )
            % {"p": problem},
            426,
        )
    return None


def _credential(request: HttpRequest) -> NodeCredential | None:
    header = request.headers.get("Authorization", "")
    token = header[7:] if header.startswith("Bearer ") else ""
    return auth.credential_for(token)


def _body(request: HttpRequest) -> Any:
    if request.content_type != "application/json":
        raise ProtocolError(_("Le corps doit être du JSON (Content-Type: application/json)."))
    raw = request.body
    if request.headers.get("Content-Encoding") == "gzip":
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            raw = inflater.decompress(raw, MAX_BODY_BYTES + 1)
        except zlib.error:
            raise ProtocolError(_("Corps gzip illisible.")) from None
        if len(raw) > MAX_BODY_BYTES or inflater.unconsumed_tail:
            raise ProtocolError(_("Corps trop volumineux."))
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise ProtocolError(_("JSON invalide.")) from None


def authenticated(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def wrapped(request: HttpRequest) -> HttpResponse:
        problem = _version_problem(request)
        if problem:
            return problem
        cred = _credential(request)
        if cred is None:
            return error(_("Poste non reconnu ou révoqué : ré-enrôlez-le."), 401)
        return view(request, cred)

    return wrapped


@csrf_exempt
@require_POST
@authenticated
def push(request: HttpRequest, cred: NodeCredential) -> HttpResponse:
    try:
        changes = check_push(_body(request))
    except ProtocolError as exc:
        return error(_("Envoi invalide : %(detail)s") % {"detail": exc}, 400)
    return reply({"results": hub.push_apply(cred, changes)})


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(value))) if value is not None else default
    except ValueError:
        raise ProtocolError(_("Paramètre entier invalide : « %(v)s ».") % {"v": value}) from None


@csrf_exempt
@require_GET
async def pull(request: HttpRequest) -> HttpResponse:
    problem = _version_problem(request)
    if problem:
        return problem
    cred = await sync_to_async(_credential)(request)
    if cred is None:
        return error(_("Poste non reconnu ou révoqué : ré-enrôlez-le."), 401)
    try:
        cursor = _int(request.GET.get("cursor"), 0, 0, 2**62)
        limit = _int(request.GET.get("limit"), 500, 1, MAX_PULL_LIMIT)
        wait = _int(request.GET.get("wait"), 0, 0, MAX_WAIT_SECONDS)
    except ProtocolError as exc:
        return error(str(exc), 400)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    touch = True
    while True:
        ticket = notify.waiter.ticket()
        page = await sync_to_async(hub.pull_page)(cred, cursor, limit, touch=touch)
        touch = False
        if page["changes"] or page["more"] or loop.time() >= deadline:
            return reply(page)
        cursor = page["cursor"]
        await notify.waiter.wait(ticket, deadline - loop.time())


@csrf_exempt
@require_GET
@authenticated
def digest(request: HttpRequest, cred: NodeCredential) -> HttpResponse:
    """Per-model digests for this node's store, or one model's row hashes (drill-down)."""
    label = request.GET.get("model")
    store_id = cred.till.store_id
    if label is None:
        return reply({"models": digests.digests(store_id)})
    try:
        return reply({"model": label, "rows": digests.row_hashes(label, store_id)})
    except KeyError:
        return error(_("Modèle inconnu : %(m)s.") % {"m": label}, 400)


@csrf_exempt
@require_POST
def enroll(request: HttpRequest) -> HttpResponse:
    problem = _version_problem(request)
    if problem:
        return problem
    try:
        body = _body(request)
        if not isinstance(body, dict):
            raise ProtocolError(_("Requête d'enrôlement invalide."))
        token, till = auth.enrollment_redeem(
            code=str(body.get("code", "")),
            node_id=str(body.get("node_id", "")),
            version=str(body.get("version", ""))[:20],
        )
    except ProtocolError as exc:
        return error(str(exc), 400)
    except ComptoirError as exc:
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
        }
    )
