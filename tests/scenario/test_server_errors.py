"""A server error in a real ``comptoir serve`` is seen: logged with its traceback on the
console and in ``logs/comptoir.log``, counted on the sync page and by ``comptoir status``,
and answered with the French 500 page, which needs no database.

The error is a genuine one: the till's database file disappears under the running server
(a disk swapped, a file deleted by hand). Standalone till, no hub: no PostgreSQL needed.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import re
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.scenario.conftest import CLI_TIMEOUT, PASSWORD, Server, child_env, comptoir_argv

pytestmark = [pytest.mark.slow, pytest.mark.scenario]


def _comptoir(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        comptoir_argv(*args),
        env=child_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=True,
    )


def _logged_in(url: str) -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    page = opener.open(f"{url}/connexion/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    form = {"csrfmiddlewaretoken": token[1], "username": "admin", "password": PASSWORD}
    done = opener.open(f"{url}/connexion/", data=urllib.parse.urlencode(form).encode())
    assert not done.geturl().endswith("/connexion/"), "connexion refusée"
    return opener


def _get(opener: urllib.request.OpenerDirector, url: str) -> tuple[int, str]:
    try:
        with opener.open(url) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_a_server_error_is_logged_with_its_traceback_and_counted(tmp_path: Path) -> None:
    home = tmp_path / "till"
    _comptoir("node", "init", "--home", str(home), "--admin-password", PASSWORD)
    server = Server(home, name="till", log_dir=tmp_path, extra=("--no-sync",)).start()
    try:
        browser = _logged_in(server.url)
        status, page = _get(browser, f"{server.url}/synchro/")
        assert status == 200
        assert re.search(r'id="server-errors"[^>]*>Ces dernières 24 h : 0\.<', page)

        aside = tmp_path / "aside"
        aside.mkdir()
        files = []
        for file in sorted(home.glob("node.sqlite3*")):
            # The last connection to close removes -wal and -shm (a background thread's).
            with contextlib.suppress(FileNotFoundError):
                file.rename(aside / file.name)
                files.append(file)
        status, page = _get(browser, f"{server.url}/caisse/")
        for file in home.glob("node.sqlite3*"):  # the empty database SQLite made instead
            file.unlink()
        for file in files:
            (aside / file.name).rename(file)

        assert status == 500
        assert "Erreur du serveur" in page  # the French page, made without the database
        assert 'href="/static/web/app.css' in page  # in the app's layout
        for where in (home / "logs" / "comptoir.log", server.log_path):  # file and console
            text = where.read_text(encoding="utf-8")
            assert "ERROR django.request: Internal Server Error: /caisse/" in text, where
            assert "Traceback (most recent call last)" in text, where
            assert "no such table" in text, where

        status, page = _get(browser, f"{server.url}/synchro/")
        assert status == 200
        assert re.search(r'id="server-errors"[^>]*>Ces dernières 24 h : 1\.<', page)
        assert "Internal Server Error: /caisse/" in page
        report = json.loads(_comptoir("status", "--json", "--home", str(home)).stdout)
        assert report["server_errors_24h"] == 1
        text = _comptoir("status", "--home", str(home)).stdout
        assert "Erreurs du serveur ces dernières 24 h : 1" in text
    finally:
        server.stop()
