"""A till of the previous release against a hub of this code, then upgraded in place.

The previous release is the one ``RELEASES.toml`` lists before this code's version,
installed from its commit into a virtual environment of its own (cached per commit, see
``comptoir.devtools.releases``). Real processes, real HTTP, the hub on PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from comptoir import __version__
from comptoir.devtools.releases import installed, previous_release
from comptoir.syncengine.protocol import OLDEST_SCHEMA, SCHEMA_VERSION
from tests.scenario.conftest import CLI_TIMEOUT, PASSWORD, Shop, parse_json

pytestmark = [pytest.mark.slow, pytest.mark.scenario]


def old_env() -> dict[str, str]:
    """The environment of the previous release's processes: nothing of this checkout."""
    dropped = ("PYTHONPATH", "COMPTOIR_HOME", "DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env["PYTHONUNBUFFERED"] = "1"
    return env


class OldTill:
    """``comptoir`` of the previous release, on one home."""

    def __init__(self, python: Path, home: Path) -> None:
        self.python, self.home = python, home

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(self.python), "-m", "comptoir", *args, "--home", str(self.home)],
            env=old_env(),
            cwd=self.home.parent,  # (``python -m`` puts the working directory first)
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"(ancienne version) comptoir {' '.join(args)} : code {result.returncode}\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result

    def json(self, *args: str) -> Any:
        return parse_json(self.run(*args, "--json"))


def numbers(rows: list[dict[str, Any]]) -> Counter[str]:
    return Counter(row["number"] for row in rows)


def test_a_till_of_the_previous_release_syncs_then_is_upgraded_in_place(
    shop: Shop, tmp_path: Path
) -> None:
    release = previous_release()
    assert release.schema == OLDEST_SCHEMA < SCHEMA_VERSION  # a real N-1
    python = installed(release)
    version = subprocess.run(
        [str(python), "-m", "comptoir", "--version"],
        env=old_env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert version == release.version != __version__

    hub = shop.hub_home
    shop.run(hub, "article", "add", "--code", "A", "--name", "Article A", "--price", "2.50")
    shop.run(hub, "stock", "receive", "A", "100")

    # The till of the previous release enrolls with the hub of this code, and syncs.
    home = shop.base / "till1"
    old = OldTill(python, home)
    code = shop.enroll("Caisse 1")
    old.run("node", "init", "--server", shop.hub.url, "--code", code, "--admin-password", PASSWORD)
    old.run("sync")
    mine = [old.json("sell", "A:1")["number"], old.json("sell", "A:2")["number"]]
    old.run("article", "set", "A", "--price", "2.70")  # a reference edit pushed by it
    shop.run(hub, "sell", "A:3")
    assert "Synchronisation réussie" in old.run("sync").stdout
    assert old.run("verify").returncode == 0  # the hub compares what an N-1 till holds
    before = numbers(old.json("invoice", "list"))
    assert len(before) == 3, before
    assert shop.article(hub, "A")["price"] in ("2.70", "2,70")

    # Upgrade in place: this code on the same home, served (migrations at start, after a
    # backup when there are some).
    server = shop.serve(home, "till1-upgraded")
    log = server.log_path.read_text()
    if "Base mise à jour" in log:
        backups = sorted((home / "backups").glob("*.zip"))
        assert backups, log
        with zipfile.ZipFile(backups[-1]) as archive:
            assert any(name.startswith("database/") for name in archive.namelist())
    pending = shop.shell(
        home, "from comptoir.ops.upgrade import pending_migrations\nout = pending_migrations()"
    )
    assert pending == []

    mine.append(shop.json(home, "sell", "A:4")["number"])
    shop.run(hub, "sell", "A:5")
    shop.sync(home)

    after = shop.invoice_numbers(home)
    assert after == shop.invoice_numbers(hub)
    assert set(after.values()) == {1}, after  # nothing doubled
    assert len(after) == 5, after  # nothing lost
    assert set(before) <= set(after)
    # The till's numbering continues in its series.
    assert [int(n.rsplit("-", 1)[1]) for n in mine] == [1, 2, 3], mine
    assert len({n.rsplit("-", 1)[0] for n in mine}) == 1, mine
    assert shop.stock(home, "A") == shop.stock(hub, "A")
    assert shop.json(home, "journal", "verify")["ok"] is True
    assert shop.json(hub, "journal", "verify", "--post", "C1")["ok"] is True
    # What the hub's post recorded while this till spoke schema 2 reached it without
    # schema 3's fields; the upgrade noted them, and its first sync completed them.
    assert not (home / "upgrade-refill.json").exists()
    shop.verify(home)
