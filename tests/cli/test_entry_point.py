"""The data commands through the real ``comptoir`` entry point, in child processes, against
a freshly initialised node home (SQLite, whatever database the test run itself uses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Child processes of the real entry point: not in make check's fast tier.
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "COMPTOIR_HOME"):
        env.pop(name, None)
    return env


def comptoir(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "comptoir", *args, "--home", str(home)],
        cwd=REPO,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("node")
    init = comptoir(path, "node", "init", "--admin-password", "xxxxxxxx")
    assert init.returncode == 0, init.stderr
    return path


def test_a_day_at_the_till_through_the_entry_point(home: Path) -> None:
    csv = home / "articles.csv"
    csv.write_text("code;name;price;barcode\nA;Pomme;2,50;3017620422003\n", encoding="utf-8")
    steps = [
        ("import", "articles", str(csv)),
        ("stock", "receive", "A", "10"),
        ("sell", "3017620422003:2", "--pay", "cash:10"),
    ]
    for step in steps:
        result = comptoir(home, *step)
        assert result.returncode == 0, result.stderr
    sold = comptoir(home, "invoice", "list", "--json")
    invoices = json.loads(sold.stdout)
    assert [(i["total_incl_tax"], i["till"]) for i in invoices] == [("5.00", "C1")]
    note = comptoir(home, "credit_note", invoices[0]["number"], "A:1")
    assert note.returncode == 0
    assert note.stdout.startswith("Avoir C1-AV-")
    shown = json.loads(comptoir(home, "stock", "show", "A", "--json").stdout)
    assert [lv["quantity"] for lv in shown["levels"]] == ["9"]
    days = json.loads(comptoir(home, "stats", "--json").stdout)
    assert [(d["invoice_count"], d["net_incl_tax"]) for d in days] == [(1, "2.50")]


def test_bad_input_exits_2_with_a_french_message_and_no_traceback(home: Path) -> None:
    result = comptoir(home, "sell", "INCONNU:1")
    assert result.returncode == 2
    assert result.stderr == "Erreur : Article inconnu : « INCONNU ».\n"
    assert result.stdout == ""
    bad = comptoir(home, "import", "suppliers", str(home / "absent.csv"))
    assert bad.returncode == 2
    assert bad.stderr.startswith("Erreur : Impossible de lire")


def test_argparse_errors_exit_2(home: Path) -> None:
    result = comptoir(home, "article", "list", "--limit", "zero")
    assert result.returncode == 2
    assert "--limit" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),  # printed by the entry point itself
        ("journal", "events"),  # printed by a Django command (the home's start and init)
        ("article", "list", "--json"),
    ],
)
def test_a_reader_that_leaves_early_gets_no_traceback(home: Path, args: tuple[str, ...]) -> None:
    # ``comptoir … | head``: the reader has gone before the command writes. A pipe whose
    # reading end is already closed makes every write fail at once, deterministically.
    read, write = os.pipe()
    os.close(read)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "comptoir", *args, "--home", str(home)],
            cwd=REPO,
            env=_env(),
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write)
    assert "Traceback" not in result.stderr
    assert "BrokenPipeError" not in result.stderr
    assert result.stderr == ""
    assert result.returncode == 0
