"""``comptoir demo`` for real: child processes, a served till, the admin over HTTP."""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from comptoir.core.sampledata import build_catalogue

pytestmark = pytest.mark.slow


def child_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "COMPTOIR_HOME")
    }
    env["PYTHONUNBUFFERED"] = "1"
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("demo")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "comptoir",
            "demo",
            "--home",
            str(base),
            "--no-serve",
            "--days",
            "1",
        ],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "admin / demo1234" in result.stdout
    return base


@pytest.fixture
def till_server(demo_home: Path) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "comptoir",
            "serve",
            "--home",
            str(demo_home / "till1"),
            "--bind",
            f"127.0.0.1:{port}",
        ],
        env=child_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "the server stopped"
            try:
                urllib.request.urlopen(f"{url}/admin/login/", timeout=2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_demo_rerun_reuses_the_homes(demo_home: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "comptoir", "demo", "--home", str(demo_home), "--no-serve"],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("réutilisé") == 2


def test_the_served_till_shows_the_sample_data_in_its_admin(till_server: str) -> None:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    login_page = opener.open(f"{till_server}/admin/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page)
    assert token is not None
    assert any(cookie.name == "csrftoken" for cookie in jar)
    form = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": token.group(1),
            "username": "admin",
            "password": "demo1234",
            "next": "/admin/",
        }
    ).encode()
    request = urllib.request.Request(
        f"{till_server}/admin/login/?next=/admin/",
        data=form,
        headers={"Referer": f"{till_server}/admin/login/"},
    )
    home = opener.open(request)
    assert home.geturl().endswith("/admin/")
    assert any(cookie.name == "sessionid" for cookie in jar)

    articles = opener.open(f"{till_server}/admin/catalogue/article/").read().decode()
    catalogue = build_catalogue(articles=300, customers=0, seed=42).articles
    assert min(a.code for a in catalogue) in articles  # the first page, ordered by code
    found = opener.open(f"{till_server}/admin/catalogue/article/?q={catalogue[0].barcode}")
    assert f">{catalogue[0].code}<" in found.read().decode()
    invoices = opener.open(f"{till_server}/admin/sales/invoice/").read().decode()
    assert re.search(r"C1-\d{4}-000001", invoices)

    css = opener.open(f"{till_server}/static/admin/css/base.css")
    assert css.status == 200
    assert b"body" in css.read()
