"""The node's HTTP client for the hub (httpx, zstd both ways, bearer token)."""

from __future__ import annotations

import hashlib
import ipaddress
import ssl
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.utils.translation import gettext as _

from comptoir import __version__
from comptoir.core.errors import ComptoirError, ValidationError
from comptoir.sync import compression, jsontext
from comptoir.sync.protocol import PREFIX, PROTOCOL_VERSION, SCHEMA_VERSION, check_versions


class HubUnreachable(ComptoirError):
    """The hub could not be reached (offline, down, timeout): retry later."""


class HubRefused(ComptoirError):
    """The hub answered with an error: retrying the same request will not help."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


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


class HubClient:
    def __init__(
        self,
        url: str,
        token: str = "",
        *,
        insecure: bool = False,
        ca_file: str = "",
        timeout: float = 30.0,
    ) -> None:
        base = check_hub_url(url, insecure=insecure)
        headers = {
            "X-Comptoir-Protocol": str(PROTOCOL_VERSION),
            "X-Comptoir-Schema": str(SCHEMA_VERSION),
            "User-Agent": f"comptoir/{__version__}",
            "Accept-Encoding": "zstd, gzip",
        }
        if token:
            headers["Authorization"] = f"Bearer {token}"
        # HTTPS: the system's certificate authorities, or the hub certificate pinned at
        # enrollment (``ca_file``), never certifi's bundle nor no verification at all.
        verify = ssl.create_default_context(cafile=ca_file or None)
        self.http = httpx.Client(
            base_url=base + PREFIX, headers=headers, timeout=timeout, verify=verify
        )
        self.last_hub_time: int | None = None
        self.bytes_sent = 0
        self.bytes_received = 0

    def close(self) -> None:
        self.http.close()

    def _handle(self, response: httpx.Response) -> dict[str, Any]:
        self.bytes_received += len(response.content)
        try:
            data = jsontext.loads(response.content)
        except ValueError:
            raise HubRefused(
                _("Réponse illisible du serveur (HTTP %(s)d).") % {"s": response.status_code},
                response.status_code,
            ) from None
        if isinstance(data, dict) and isinstance(data.get("hub_time"), int):
            self.last_hub_time = data["hub_time"]
        if response.status_code >= 500:
            raise HubUnreachable(
                _("Le serveur a une panne (HTTP %(s)d).") % {"s": response.status_code}
            )
        if response.status_code >= 400:
            message = data.get("error") if isinstance(data, dict) else None
            raise HubRefused(str(message or response.status_code), response.status_code)
        problem = check_versions(data.get("protocol"), data.get("schema"))
        if problem:
            raise HubRefused(
                _("Le serveur parle une autre version (%(p)s) : mettez comptoir à jour.")
                % {"p": problem},
                426,
            )
        return data

    def _send(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise HubUnreachable(_("Le serveur ne répond pas (délai dépassé).")) from None
        except httpx.ConnectError as exc:
            if "CERTIFICATE_VERIFY_FAILED" in str(exc):
                raise HubRefused(
                    _(
                        "Certificat du serveur non reconnu : s'il est auto-signé, ré-enrôlez "
                        "la caisse avec --trust-server-certificate (et vérifiez l'empreinte)."
                    ),
                    495,
                ) from None
            raise HubUnreachable(
                _("Serveur injoignable : %(e)s") % {"e": exc.__class__.__name__}
            ) from None
        except httpx.HTTPError as exc:
            raise HubUnreachable(
                _("Serveur injoignable : %(e)s") % {"e": exc.__class__.__name__}
            ) from None
        return self._handle(response)

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        raw = compression.compress(jsontext.dumps(body))
        self.bytes_sent += len(raw)
        return self._send(
            "POST",
            path,
            content=raw,
            headers={
                "Content-Type": "application/json",
                "Content-Encoding": "zstd",
            },
        )

    def push(self, changes: list[dict[str, Any]]) -> dict[str, Any]:
        return self.post("push", {"changes": changes})

    def pull(
        self, cursor: int, *, limit: int = 500, wait: int = 0, pending: int | None = None
    ) -> dict[str, Any]:
        """A page of changes; ``pending`` (this post's outbox) is shown on the hub."""
        timeout = httpx.Timeout(30.0 + wait)
        params = {"cursor": cursor, "limit": limit, "wait": wait}
        if pending is not None:
            params["pending"] = pending
        return self._send("GET", "pull", params=params, timeout=timeout)

    def digest(self, model: str | None = None) -> dict[str, Any]:
        params = {"model": model} if model else {}
        return self._send("GET", "digest", params=params, timeout=httpx.Timeout(120.0))

    def enroll(self, code: str, node_id: str) -> dict[str, Any]:
        return self.post("enroll", {"code": code, "node_id": node_id, "version": __version__})


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
