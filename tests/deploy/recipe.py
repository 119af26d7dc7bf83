"""The files of ``deploy/`` rendered for a test machine, and a private test CA.

Each piece is rendered by replacing the production values it holds (paths, ports, names)
with the test's; a value that is no longer in the file fails the rendering, so a test
cannot silently run on a file that drifted from what it checks.
"""

from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNITS = ("comptoir.service", "comptoir-backup.service", "comptoir-backup.timer")
COMPTOIR_BIN = "/opt/comptoir/venv/bin/comptoir"
ENV_FILE = "/etc/comptoir/comptoir.env"
SERVER_NAME = "hub.example.org"
CERT = f"/etc/letsencrypt/live/{SERVER_NAME}/fullchain.pem"
KEY = f"/etc/letsencrypt/live/{SERVER_NAME}/privkey.pem"
UPSTREAM = "127.0.0.1:8000"


def replaced(text: str, replacements: dict[str, str]) -> str:
    for old, new in replacements.items():
        assert old in text, f"« {old} » n'est plus dans le fichier rendu"
        text = text.replace(old, new)
    return text


def render_units(directory: Path, *, comptoir: str) -> list[Path]:
    """The systemd units with ``comptoir`` as the program and the example environment file
    beside them."""
    env = directory / "comptoir.env"
    env.write_text((DEPLOY / "comptoir.env.example").read_text())
    paths = []
    for name in UNITS:
        text = (DEPLOY / name).read_text()
        if name.endswith(".service"):
            text = replaced(text, {COMPTOIR_BIN: comptoir, ENV_FILE: str(env)})
        path = directory / name
        path.write_text(text)
        paths.append(path)
    return paths


def render_nginx(
    directory: Path, *, http_port: int, https_port: int, upstream: str, cert: Path, key: Path
) -> Path:
    """A main ``nginx.conf`` (temporary paths, in the foreground) that includes the site
    ``deploy/nginx-comptoir.conf``, listening on loopback ports."""
    site = replaced(
        (DEPLOY / "nginx-comptoir.conf").read_text(),
        {
            "    listen [::]:80;\n": "",
            "    listen [::]:443 ssl;\n": "",
            "listen 80;": f"listen 127.0.0.1:{http_port};",
            "listen 443 ssl;": f"listen 127.0.0.1:{https_port} ssl;",
            CERT: str(cert),
            KEY: str(key),
            UPSTREAM: upstream,
            SERVER_NAME: "127.0.0.1",
        },
    )
    (directory / "site.conf").write_text(site)
    conf = directory / "nginx.conf"
    conf.write_text(
        f"""
worker_processes 1;
daemon off;
pid {directory}/nginx.pid;
error_log {directory}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {directory}/client_body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    include {directory}/site.conf;
}}
"""
    )
    return conf


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def private_ca(directory: Path, *, ip: str = "127.0.0.1") -> tuple[Path, Path, Path]:
    """A private CA and a server certificate it signed for ``ip``: (ca.pem, cert, key)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("comptoir test CA"))
        .issuer_name(_name("comptoir test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(ip))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    paths[0].write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(_pem(key))
    return paths
