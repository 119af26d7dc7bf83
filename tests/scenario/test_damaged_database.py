"""A till whose database has a damaged page, served for real: found at start, said on every
screen and by ``comptoir status``, nothing more sold into it, and brought back by
``comptoir restore`` with the backup the sentence names.

Before: the till kept selling into the damaged file and ``status`` said nothing.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from contextlib import closing
from pathlib import Path

import pytest

from tests.scenario.conftest import CLI_TIMEOUT, PASSWORD, Server, child_env, comptoir_argv
from tests.scenario.test_server_errors import _get, _logged_in

pytestmark = [pytest.mark.slow, pytest.mark.scenario]


def _comptoir(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        comptoir_argv(*args),
        env=child_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=check,
    )


def damage_a_page(database: Path, table: str) -> None:
    """4 KiB of garbage over the first page of ``table`` (the file still opens)."""
    with closing(sqlite3.connect(database)) as db:
        (page,) = db.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = ?", [table]
        ).fetchone()
        (size,) = db.execute("PRAGMA page_size").fetchone()
    with database.open("r+b") as fh:
        fh.seek((page - 1) * size)
        fh.write(bytes(range(256)) * (4096 // 256))


def _invoices(home: Path) -> list[str]:
    listed = json.loads(_comptoir("invoice", "list", "--json", "--home", str(home)).stdout)
    return sorted(item["number"] for item in listed)


def test_a_damaged_page_stops_the_sales_and_the_named_backup_brings_the_till_back(
    tmp_path: Path,
) -> None:
    home = tmp_path / "till"
    h = ("--home", str(home))
    _comptoir("node", "init", *h, "--admin-password", PASSWORD)
    _comptoir("article", "add", *h, "--code", "A1", "--name", "Café", "--price", "2.50")
    _comptoir("sell", *h, "A1:1", "--pay", "cash")
    backup = json.loads(_comptoir("backup", *h, "--json").stdout)["path"]
    _comptoir("sell", *h, "A1:2", "--pay", "cash")
    sold = _invoices(home)
    damage_a_page(home / "node.sqlite3", "sales_invoiceline")

    server = Server(home, name="till", log_dir=tmp_path, extra=("--no-sync",)).start()
    try:
        assert "endommagée" in server.log_path.read_text(encoding="utf-8")  # said at start
        browser = _logged_in(server.url)
        status, till_page = _get(browser, f"{server.url}/caisse/")
        assert status == 200
        assert 'id="database-damage"' in till_page
        assert f"comptoir restore {backup}" in till_page
        status, page = _get(browser, f"{server.url}/synchro/")
        assert 'id="database-state"' in page
        assert "endommagée" in page
        assert Path(backup).name in page  # the last backup, with when and its size
        status, badge = _get(browser, f"{server.url}/etat-synchro/")
        assert 'data-level="error"' in badge
        assert "endommagée" in badge

        # A sale, from the till screen and from the command line: refused with the sentence.
        token = till_page.split('"X-CSRFToken": "', 1)[1].split('"', 1)[0]
        answers = []
        for step, form in (("scan", {"q": "A1"}), ("valider", {"pay_cash": "10"})):
            request = urllib.request.Request(
                f"{server.url}/caisse/{step}/",
                data=urllib.parse.urlencode(form).encode(),
                headers={"X-CSRFToken": token, "HX-Request": "true"},
            )
            try:
                answers.append(browser.open(request).read().decode())
            except urllib.error.HTTPError as error:
                answers.append(error.read().decode())
        assert "la base de données de ce poste est endommagée" in answers[-1]
        sell = _comptoir("sell", *h, "A1:1", "--pay", "cash", check=False)
        assert sell.returncode == 2, sell.stderr
        assert "Traceback" not in sell.stderr
        assert sell.stderr.startswith("Erreur : la base de données de ce poste est endommagée")
        assert f"comptoir restore {backup} --home {home} --force" in sell.stderr
        said = _comptoir("status", *h).stdout
        assert "⚠ la base de données de ce poste est endommagée" in said
        report = json.loads(_comptoir("status", "--json", *h).stdout)
        assert report["database"]["damaged"] is True
        check = _comptoir("status", "--check", *h, check=False)
        assert check.returncode == 2
        assert "endommagée" in check.stderr
    finally:
        server.stop()

    # The sentence's command, as given: the till is whole again (with the backup's sales).
    restored = _comptoir("restore", backup, *h, "--force")
    assert "remise en place" in restored.stdout
    assert _comptoir("status", "--check", *h).returncode == 0
    _comptoir("sell", *h, "A1:1", "--pay", "cash")
    assert len(_invoices(home)) == len(sold)  # one lost with the disk, one sold after
