"""The node's HTTP client for the hub (httpx, zstd both ways, bearer token)."""

from __future__ import annotations

import hashlib
import ipaddress
import re
import ssl
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from django.utils.translation import gettext as _

from comptoir import __version__
from comptoir.journal.postkey import post_public_text
from comptoir.lib.errors import ComptoirError, ValidationError
from comptoir.syncengine import compression, jsontext
from comptoir.syncengine.protocol import (
    PREFIX,
    PROTOCOL_VERSION,
    SCHEMA_VERSION,
    Change,
    Page,
    ProtocolError,
    Push,
    PushReply,
    Recovery,
    Snapshot,
    check_versions,
    decode,
    hub_is_older,
)

M = TypeVar("M")


class HubUnreachable(ComptoirError):
    """The hub could not be reached (offline, down, timeout): retry later."""


class HubRefused(ComptoirError):
    """The hub answered with an error: retrying the same request will not help."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class HubBehind(HubRefused):
    """The hub cut its change log above this post's cursor (410): take a snapshot."""


def _is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_hub_url(url: str, *, insecure: bool = False) -> str:
    """A hub URL usable by a node; plain HTTP only to loopback unless explicitly allowed."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(_("Adresse du serveur invalide : « %(url)s ».") % {"url": url})
    if parts.scheme == "http" and not insecure and not _is_loopback(parts.hostname):
        raise ValidationError(
            _(
                "Refus d'envoyer les identifiants en clair à %(host)s : utilisez https://, ou "
                "--insecure-http si vous savez ce que vous faites."
            )
            % {"host": parts.hostname}
        )
    return url.strip().rstrip("/")


_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,200}")  # what secrets.token_urlsafe gives


def _shell_arg(text: str) -> str:
    """``text`` as one argument of a command line, for a message to copy (POSIX or Windows)."""
    if text and not any(c.isspace() or c in "\"'" for c in text):
        return text
    return '"' + text.replace('"', '\\"') + '"'


class HubClient:
    # Set by __init__; defaults for a subclass that replaces it (the simulation's client).
    enrolled = False
    post_name = ""
    home = ""
    token_damaged = False

    def __init__(
        self,
        url: str,
        token: str = "",
        *,
        insecure: bool = False,
        ca_file: str = "",
        timeout: float = 30.0,
        post_name: str = "",
        home: str = "",
    ) -> None:
        """``post_name`` and ``home`` (this post's till name and data directory) make the
        refusals of its token say the exact commands that re-enroll it."""
        base = check_hub_url(url, insecure=insecure)
        self.enrolled = bool(token)
        self.post_name = post_name
        self.home = home
        headers = {
            "X-Comptoir-Protocol": str(PROTOCOL_VERSION),
            "X-Comptoir-Schema": str(SCHEMA_VERSION),
            "User-Agent": f"comptoir/{__version__}",
            "Accept-Encoding": "zstd, gzip",
        }
        # A token damaged in comptoir.toml (not what the hub gave: URL-safe ASCII) is not
        # sent, which would fail in the HTTP layer: every request is refused as the hub
        # would refuse it, with the commands that give the post a new one.
        self.token_damaged = bool(token) and not _TOKEN.fullmatch(token)
        if token and not self.token_damaged:
            headers["Authorization"] = f"Bearer {token}"
        # HTTPS: the system's certificate authorities, or the hub certificate pinned at
        # enrollment (``ca_file``), never certifi's bundle nor no verification at all.
        try:
            verify = ssl.create_default_context(cafile=ca_file or None)
        except (ssl.SSLError, OSError):  # a missing, damaged or non-PEM file
            raise ValidationError(
                _("Certificat du serveur illisible : %(f)s (un fichier PEM est attendu).")
                % {"f": ca_file}
            ) from None
        self.http = httpx.Client(
            base_url=base + PREFIX, headers=headers, timeout=timeout, verify=verify
        )
        self.last_hub_time: int | None = None
        self.bytes_sent = 0
        self.bytes_received = 0

    def close(self) -> None:
        self.http.close()

    def _handle(self, response: httpx.Response) -> dict[str, Any]:
        """The hub's answer as JSON values, or the refusal it says (an error status,
        other versions)."""
        self.bytes_received += len(response.content)
        try:
            data = jsontext.loads(response.content)
        except ValueError:
            raise HubRefused(
                _("Réponse illisible du serveur (HTTP %(s)d).") % {"s": response.status_code},
                response.status_code,
            ) from None
        self._check(response.status_code, data if isinstance(data, dict) else {})
        return data

    def _typed(self, response: httpx.Response, shape: type[M]) -> M:
        """The hub's answer decoded as the protocol message ``shape``, or the refusal it
        says, or :class:`HubRefused` if it is not that message (read in one pass)."""
        if response.status_code < 400:
            try:
                message = decode(response.content, shape)
            except ProtocolError as exc:
                self._handle(response)  # what it is instead (another version?) said first
                raise HubRefused(
                    _("Réponse du serveur invalide : %(e)s") % {"e": exc}, 502
                ) from None
            self.bytes_received += len(response.content)
            envelope = {n: getattr(message, n, None) for n in ("hub_time", "protocol", "schema")}
            self._check(response.status_code, envelope)
            return message
        self._handle(response)  # (raises)
        raise AssertionError("unreachable")

    def _check(self, status: int, fields: dict[str, Any]) -> None:
        """Note the hub's time; refuse an error status or other versions."""
        hub_time = fields.get("hub_time")
        if isinstance(hub_time, int) and not isinstance(hub_time, bool):
            self.last_hub_time = hub_time
        if status >= 500:
            raise HubUnreachable(_("Le serveur a une panne (HTTP %(s)d).") % {"s": status})
        if status == 401 and self.enrolled:
            raise HubRefused(self._unrecognised(), 401)
        problem = check_versions(fields.get("protocol"), fields.get("schema"))
        if (
            problem
            and (status == 426 or status < 400)
            and hub_is_older(fields.get("protocol"), fields.get("schema"))
        ):
            raise HubRefused(
                _(
                    "Le serveur a une version plus ancienne que ce poste (%(p)s) : mettez "
                    "d'abord comptoir à jour sur le serveur, puis sur les caisses ; ce poste "
                    "continue de vendre et enverra ses ventes ensuite."
                )
                % {"p": problem},
                426,
            )
        if status == 410 and isinstance(fields.get("cut"), int):
            raise HubBehind(str(fields.get("error") or status), status)
        if status >= 400:
            raise HubRefused(str(fields.get("error") or status), status)
        if problem:
            raise HubRefused(
                _("Le serveur parle une autre version (%(p)s) : mettez comptoir à jour.")
                % {"p": problem},
                426,
            )

    def _post_args(self) -> dict[str, str]:
        """This post's name and home, as the re-enrollment commands take them."""
        return {
            "name": _shell_arg(self.post_name) if self.post_name else _("NOM_DU_POSTE"),
            "home": f" --home {_shell_arg(self.home)}" if self.home else "",
        }

    def _unrecognised(self) -> str:
        """The hub refused this post's token (revoked, or lost from ``comptoir.toml``)."""
        return (
            _(
                "Poste non reconnu par le serveur (révoqué, ou jeton perdu) : sur le serveur, "
                "lancez « comptoir hub enroll --name %(name)s --reenroll », puis sur ce "
                "poste « comptoir node reenroll%(home)s --code CODE » avec le code obtenu ; les "
                "ventes en attente partiront ensuite."
            )
            % self._post_args()
        )

    def _untrusted_certificate(self) -> str:
        if not self.enrolled:  # node init, node reenroll: the same command again
            return _(
                "Certificat du serveur non reconnu : s'il est auto-signé, relancez la commande "
                "avec --trust-server-certificate (et vérifiez l'empreinte affichée)."
            )
        return (
            _(
                "Certificat du serveur non reconnu : s'il est auto-signé et a changé, épinglez le "
                "nouveau avec « comptoir node reenroll%(home)s --code CODE "
                "--trust-server-certificate » (code donné sur le serveur par « comptoir hub "
                "enroll --name %(name)s --reenroll »), et vérifiez l'empreinte affichée."
            )
            % self._post_args()
        )

    def _send(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        return self._handle(self._request(method, path, **kwargs))

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if self.token_damaged:
            raise HubRefused(self._unrecognised(), 401)
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise HubUnreachable(_("Le serveur ne répond pas (délai dépassé).")) from None
        except httpx.ConnectError as exc:
            if "CERTIFICATE_VERIFY_FAILED" in str(exc):
                raise HubRefused(self._untrusted_certificate(), 495) from None
            raise HubUnreachable(
                _("Serveur injoignable : %(e)s") % {"e": exc.__class__.__name__}
            ) from None
        except httpx.HTTPError as exc:
            raise HubUnreachable(
                _("Serveur injoignable : %(e)s") % {"e": exc.__class__.__name__}
            ) from None
        return response

    def _post(self, body: Any) -> dict[str, Any]:
        """The request arguments of a POST of ``body`` (JSON, zstd)."""
        raw = compression.compress(jsontext.dumps(body))
        self.bytes_sent += len(raw)
        return {
            "content": raw,
            "headers": {"Content-Type": "application/json", "Content-Encoding": "zstd"},
        }

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._send("POST", path, **self._post(body))

    def push(self, changes: list[Change], *, pending: int | None = None) -> PushReply:
        """Send ``changes``; ``pending`` (this post's outbox once they are through) is
        shown on the hub."""
        request = self._post(Push(changes=changes))
        if pending is not None:
            request["params"] = {"pending": pending}
        return self._typed(self._request("POST", "push", **request), PushReply)

    def pull(
        self, cursor: int, *, limit: int = 500, wait: int = 0, pending: int | None = None
    ) -> Page:
        """A page of changes; ``pending`` (this post's outbox) is shown on the hub."""
        timeout = httpx.Timeout(30.0 + wait)
        params = {"cursor": cursor, "limit": limit, "wait": wait}
        if pending is not None:
            params["pending"] = pending
        return self._typed(self._request("GET", "pull", params=params, timeout=timeout), Page)

    def snapshot(self, *, after: str = "") -> Snapshot:
        """A page of the hub's current state for this post (``after``: where it starts)."""
        params = {"after": after} if after else {}
        return self._typed(
            self._request("GET", "snapshot", params=params, timeout=httpx.Timeout(120.0)),
            Snapshot,
        )

    def recovery(self, *, since: str = "", after: int = 0, limit: int = 0) -> Recovery:
        """What the hub holds of this post's own records, with a page of its facts."""
        params: dict[str, Any] = {"after": after, "limit": limit}
        if since:
            params["since"] = since
        return self._typed(self._request("GET", "recovery", params=params), Recovery)

    def digest(self, model: str | None = None) -> dict[str, Any]:
        params = {"model": model} if model else {}
        return self._send("GET", "digest", params=params, timeout=httpx.Timeout(120.0))

    def enroll(self, code: str, node_id: str, *, reenroll: bool = False) -> dict[str, Any]:
        """Redeem ``code``; ``reenroll``: for this enrolled post, never as a new till."""
        body: dict[str, Any] = {
            "code": code,
            "node_id": node_id,
            "version": __version__,
            # The post's fiscal signing key: the hub checks its records' signatures with it.
            "public_key": post_public_text()[0],
        }
        if reenroll:
            body["reenroll"] = True
        return self.post("enroll", body)


def fetch_certificate(url: str) -> tuple[str, str]:
    """The hub's certificate (PEM) and its SHA-256 fingerprint, for pinning at enrollment."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise ValidationError(_("Seule une adresse https:// a un certificat à épingler."))
    try:
        pem = ssl.get_server_certificate((parts.hostname, parts.port or 443), timeout=15)
    except OSError as exc:
        raise HubUnreachable(
            _("Serveur injoignable : %(e)s") % {"e": exc.__class__.__name__}
        ) from None
    digest = hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest().upper()
    return pem, ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))
