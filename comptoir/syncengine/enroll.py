"""Enrolling a new node with a hub, then receiving everything it needs (bootstrap)."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from comptoir.home import HomeConfig, write_config
from comptoir.lib.errors import ComptoirError, ValidationError
from comptoir.syncengine import engine
from comptoir.syncengine.client import HubClient, HubRefused, check_hub_url, fetch_certificate

CERT_NAME = "hub-cert.pem"
CA_NAME = "hub-ca.pem"  # a private certificate authority given with --ca-file


def pin_certificate(*, home: Path, config: HomeConfig, name: str = CERT_NAME) -> HomeConfig:
    """Trust-on-first-use: keep the hub's (self-signed) certificate and trust only it."""
    pem, fingerprint = fetch_certificate(config.hub_url)
    (home / name).write_text(pem)
    print(_("Certificat du serveur épinglé, empreinte SHA-256 :"))
    print(f"  {fingerprint}")
    print(_("Comparez-la avec celle du serveur avant d'utiliser cette caisse."))
    return dataclasses.replace(config, hub_ca_file=name)


def node_enroll(*, home: Path, config: HomeConfig, code: str) -> HomeConfig:
    """Redeem ``code`` at the hub, store the credential, pull the hub's data.

    Shows a progress bar on stderr while the data arrives.
    """
    ca_file = str(home / config.hub_ca_file) if config.hub_ca_file else ""
    anonymous = HubClient(config.hub_url, insecure=config.insecure_http, ca_file=ca_file)
    try:
        answer = anonymous.enroll(code, config.node_id)
    except HubRefused as exc:
        raise ComptoirError(_("Enrôlement refusé : %(m)s") % {"m": exc.message}) from None
    finally:
        anonymous.close()
    config = dataclasses.replace(
        config,
        token=answer["token"],
        store_name=answer["store"]["name"],
        currency=answer["store"]["currency"],
        till_name=answer["till"]["name"],
        till_prefix=answer["till"]["prefix"],
    )
    write_config(home, config)
    settings.COMPTOIR_TOKEN = config.token
    client = HubClient(config.hub_url, config.token, insecure=config.insecure_http, ca_file=ca_file)
    try:
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn(_("{task.completed} reçus")),
            TimeElapsedColumn(),
            transient=False,
            disable=not sys.stderr.isatty(),
        ) as bar:
            task = bar.add_task(_("Réception des données du serveur"), total=None)
            report = engine.pull(client, progress=lambda _s, n: bar.update(task, completed=n))
    finally:
        client.close()
    if report.rejected:
        raise ComptoirError(
            _("%(n)d données reçues n'ont pas pu être enregistrées (voir comptoir status).")
            % {"n": len(report.rejected)}
        )
    return config


# Certificates taken by ``node reenroll`` are trusted under these names until the hub has
# accepted the code; only then do they replace the home's, so a refusal changes nothing.
_NEW_SUFFIX = ".new"


def node_reenroll(
    *,
    home: Path,
    config: HomeConfig,
    code: str,
    server: str = "",
    insecure_http: bool = False,
    trust_server_certificate: bool = False,
    ca_file: str = "",
) -> HomeConfig:
    """Give this enrolled post a new token from a re-enrollment code; returns the new config.

    The code must have been issued for this very post (``hub enroll --reenroll``): the hub
    checks the node id and refuses any other code, and then nothing here changes. Only
    ``comptoir.toml`` is rewritten (token, and the server or certificate if given), with
    the same protection as at ``init``; the database, its outbox and its pull cursor stay
    as they are, so the sales waiting to be sent leave at the next sync.
    """
    if config.role != "node":
        raise ValidationError(_("Cette commande se lance sur une caisse (node), pas sur le hub."))
    if not server and not config.hub_url:
        raise ValidationError(
            _("Ce poste n'a pas d'adresse de serveur : donnez-la avec --server URL.")
        )
    url = check_hub_url(server or config.hub_url, insecure=insecure_http or config.insecure_http)
    target = dataclasses.replace(
        config, hub_url=url, insecure_http=insecure_http or config.insecure_http
    )
    fresh: Path | None = None  # a certificate to trust, kept aside until the hub agrees
    redeemed = False
    try:
        if trust_server_certificate:
            fresh = home / (CERT_NAME + _NEW_SUFFIX)
            target = pin_certificate(home=home, config=target, name=fresh.name)
        elif ca_file:
            fresh = home / (CA_NAME + _NEW_SUFFIX)
            try:
                fresh.write_bytes(Path(ca_file).read_bytes())
            except OSError:
                raise ValidationError(
                    _("Certificat du serveur illisible : %(f)s (un fichier PEM est attendu).")
                    % {"f": ca_file}
                ) from None
            target = dataclasses.replace(target, hub_ca_file=fresh.name)
        anonymous = HubClient(
            target.hub_url,
            insecure=target.insecure_http,
            ca_file=str(home / target.hub_ca_file) if target.hub_ca_file else "",
        )
        try:
            answer = anonymous.enroll(code, config.node_id, reenroll=True)
        finally:
            anonymous.close()
        redeemed = True
    except HubRefused as exc:
        raise ComptoirError(_("Ré-enrôlement refusé : %(m)s") % {"m": exc.message}) from None
    finally:
        if fresh is not None and not redeemed:
            fresh.unlink(missing_ok=True)
    if fresh is not None:
        kept = fresh.name.removesuffix(_NEW_SUFFIX)
        fresh.replace(home / kept)
        target = dataclasses.replace(target, hub_ca_file=kept)
    target = dataclasses.replace(target, token=answer["token"])
    write_config(home, target)
    settings.COMPTOIR_TOKEN = target.token
    return target
