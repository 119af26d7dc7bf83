"""Each piece of ``deploy/`` is checked by the tool that will read it on a server:
``systemd-analyze verify`` for the units, ``nginx -t`` for the site; and against the
code's own limits (the longest long poll, the largest push). The whole recipe runs in
``tests/scenario/test_hub_server.py``."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from comptoir.syncengine.protocol import MAX_WAIT_SECONDS
from tests.deploy.recipe import DEPLOY, private_ca, render_nginx, render_units

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
ROOT = DEPLOY.parent


def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze est absent (paquet systemd) : unités non vérifiées.")
    comptoir = str(Path(sys.executable).with_name("comptoir"))
    units = render_units(tmp_path, comptoir=comptoir)
    done = subprocess.run(
        [tool, "verify", "--man=no", *map(str, units)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # A key systemd does not know, or a value it cannot parse, is only a warning ("...,
    # ignoring"): any output fails the test, not only the exit code.
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_the_units_take_every_variable_they_use_from_the_example_environment() -> None:
    example = (DEPLOY / "comptoir.env.example").read_text()
    defined = set(re.findall(r"^([A-Z_]+)=", example, re.MULTILINE))
    for name in ("comptoir.service", "comptoir-backup.service"):
        used = set(re.findall(r"\$\{([A-Z_]+)\}", (DEPLOY / name).read_text()))
        assert used <= defined, (name, used - defined)
    # Every other variable is one comptoir reads (a misspelt one would be ignored).
    source = "\n".join(p.read_text() for p in (ROOT / "comptoir").glob("*.py"))
    for variable in defined - {"COMPTOIR_WORKERS"}:
        assert f'"{variable}"' in source, variable
    assert "COMPTOIR_DEBUG" not in defined  # only mentioned, commented out


def test_the_service_serves_the_hub_on_loopback_with_several_workers() -> None:
    service = (DEPLOY / "comptoir.service").read_text()
    start = re.search(r"^ExecStart=(.*)$", service, re.MULTILINE)
    assert start is not None
    assert start.group(1).split()[1:] == [
        "serve",
        "--bind",
        "127.0.0.1:8000",
        "--workers",
        "${COMPTOIR_WORKERS}",
    ]
    assert "127.0.0.1:8000" in (DEPLOY / "nginx-comptoir.conf").read_text()
    assert re.search(r"^Restart=always$", service, re.MULTILINE)


def _seconds(value: str) -> int:
    units = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
    number, unit = re.fullmatch(r"(\d+)([smhd]?)", value).groups()  # type: ignore[union-attr]
    return int(number) * units[unit]


def _bytes(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kmg]?)", value.lower()).groups()  # type: ignore[union-attr]
    return int(number) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit]


def test_the_nginx_site_lets_long_polls_and_the_largest_push_through() -> None:
    site = (DEPLOY / "nginx-comptoir.conf").read_text()
    directives = dict(re.findall(r"^\s*(proxy_\w+|client_max_body_size)\s+([^;]+);", site, re.M))
    assert directives["proxy_buffering"] == "off"
    assert directives["proxy_http_version"] == "1.1"
    assert _seconds(directives["proxy_read_timeout"]) > MAX_WAIT_SECONDS
    assert _seconds(directives["proxy_send_timeout"]) > MAX_WAIT_SECONDS
    assert _bytes(directives["client_max_body_size"]) >= settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    headers = dict(re.findall(r"proxy_set_header\s+(\S+)\s+([^;]+);", site))
    assert headers["X-Forwarded-For"] == "$proxy_add_x_forwarded_for"
    assert headers["X-Forwarded-Proto"] == "$scheme"
    assert headers["Host"] == "$http_host"


def test_the_nginx_site_passes_nginx_t(tmp_path: Path) -> None:
    if not Path(NGINX).exists():
        pytest.skip("nginx est absent : lancez « make system-deps » (apt-get install nginx).")
    _, cert, key = private_ca(tmp_path)
    conf = render_nginx(
        tmp_path, http_port=8080, https_port=8443, upstream="127.0.0.1:8001", cert=cert, key=key
    )
    done = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "[warn]" not in done.stderr, done.stderr


def test_the_postgresql_setup_refuses_a_name_that_is_not_an_identifier() -> None:
    done = subprocess.run(
        [str(DEPLOY / "postgresql-setup.sh"), "comptoir; DROP DATABASE x"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env={"PATH": "/usr/bin:/bin", "PGHOST": "/nonexistent"},
    )
    assert done.returncode == 2
    assert "Nom de rôle ou de base invalide" in done.stderr
