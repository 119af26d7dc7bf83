"""Enrolling a new node with a hub, then receiving everything it needs (bootstrap)."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from comptoir.core.errors import ComptoirError
from comptoir.home import HomeConfig, write_config
from comptoir.sync import engine
from comptoir.sync.client import HubClient, HubRefused, fetch_certificate

CERT_NAME = "hub-cert.pem"


def pin_certificate(*, home: Path, config: HomeConfig) -> HomeConfig:
    """Trust-on-first-use: keep the hub's (self-signed) certificate and trust only it."""
    pem, fingerprint = fetch_certificate(config.hub_url)
    (home / CERT_NAME).write_text(pem)
    print(_("Certificat du serveur épinglé, empreinte SHA-256 :"))
    print(f"  {fingerprint}")
    print(_("Comparez-la avec celle du serveur avant d'utiliser cette caisse."))
    return dataclasses.replace(config, hub_ca_file=CERT_NAME)


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
