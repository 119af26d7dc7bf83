"""Credentials never travel in clear: HTTPS with a certificate pinned at enrollment.

A hub served over HTTPS with a self-signed certificate: a till refuses it until its
certificate is pinned (trust on first use, fingerprint shown), then syncs over HTTPS.
Plain HTTP to a hub that is not on loopback is refused before any connection.
"""

from __future__ import annotations

import ssl
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.scenario.conftest import PASSWORD, Shop, child_env, comptoir_argv, free_port

pytestmark = [pytest.mark.slow, pytest.mark.scenario]


def _self_signed(directory: Path) -> tuple[Path, Path, str]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    fingerprint = (
        subprocess.run(
            ["openssl", "x509", "-in", str(cert), "-noout", "-fingerprint", "-sha256"],
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .split("=", 1)[1]
    )
    return cert, key, fingerprint


def _node_init(home: Path, url: str, code: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        comptoir_argv(
            "node",
            "init",
            "--home",
            str(home),
            "--server",
            url,
            "--code",
            code,
            "--admin-password",
            PASSWORD,
            *extra,
        ),
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_till_syncs_over_https_only_once_the_hub_certificate_is_pinned(
    shop: Shop, tmp_path: Path
) -> None:
    cert, key, fingerprint = _self_signed(tmp_path)
    port = free_port()
    https = shop.popen(
        shop.hub_home,
        "serve",
        "--bind",
        f"127.0.0.1:{port}",
        "--tls-cert",
        str(cert),
        "--tls-key",
        str(key),
    )
    url = f"https://127.0.0.1:{port}"
    unverified = ssl._create_unverified_context()
    deadline = time.monotonic() + 60
    while True:
        assert https.poll() is None, https.stderr.read() if https.stderr else ""
        try:
            urllib.request.urlopen(f"{url}/admin/login/", context=unverified, timeout=2).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "the HTTPS hub did not answer"
            time.sleep(0.2)
    shop.run(
        shop.hub_home, "article", "add", "--code", "A", "--name", "Article A", "--price", "2.50"
    )
    code = shop.enroll("Caisse TLS")
    till = tmp_path / "till"

    refused = _node_init(till, url, code)
    assert refused.returncode == 2
    assert "Certificat du serveur non reconnu" in refused.stderr
    assert not (till / "comptoir.toml").exists()  # nothing half-initialised is left

    pinned = _node_init(till, url, code, "--trust-server-certificate")
    assert pinned.returncode == 0, pinned.stdout + pinned.stderr
    assert fingerprint in pinned.stdout  # the user can compare it with the server's

    shop.run(till, "sell", "A:2")
    synced = shop.sync(till)
    assert "1 facture" in synced.stdout
    assert list(shop.invoice_numbers(shop.hub_home).values()) == [1]


def test_plain_http_to_a_hub_that_is_not_local_is_refused(tmp_path: Path) -> None:
    started = time.monotonic()
    done = _node_init(tmp_path / "till", "http://hub.invalid:8000", "AAAA-BBBB-CCCC-DDDD")
    assert done.returncode == 2
    assert "en clair" in done.stderr
    assert time.monotonic() - started < 20  # refused before trying to connect anywhere
    assert not (tmp_path / "till" / "comptoir.toml").exists()
