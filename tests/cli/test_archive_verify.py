"""``comptoir journal archive-verify``: no home, no database; 0 whole, 1 not, 2 bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from comptoir.cli import main
from comptoir.fiscal import archive_format as fmt
from comptoir.home import HOME_ENV
from tests.cli.test_entry_point import REPO, _env
from tests.fiscal.test_archive import _write


@pytest.fixture
def archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(HOME_ENV, raising=False)
    path = tmp_path / "journal.zip"
    _write(path)
    return path


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["journal", "archive-verify", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_whole_archive_exits_0_and_says_what_it_holds(
    archive: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, str(archive))
    assert (code, err) == (0, "")
    assert out.startswith("Archive intègre : 8 fichiers, 10 enregistrements, du 2026-03-01 au ")
    assert "signée par le poste WEB (clé " in out


def test_json_says_whole_or_not_with_the_reason(
    archive: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = _run(capsys, str(archive), "--json")
    document = json.loads(out)
    assert (code, document["whole"], document["problem"], document["records"]) == (
        0,
        True,
        None,
        10,
    )
    _damage(archive)
    code, out, _err = _run(capsys, "--json", str(archive))
    document = json.loads(out)
    assert (code, document["whole"]) == (1, False)
    assert document["problem"] == "Le fichier « event.json » de l'archive a été modifié."


def _damage(path: Path) -> None:
    with zipfile.ZipFile(path) as z:
        members = {name: z.read(name) for name in z.namelist()}
    members["event.json"] = members["event.json"].replace(b"post_start", b"post_stop_")
    others = [n for n in members if n not in (fmt.MANIFEST, fmt.SIGNATURE)]
    path.write_bytes(fmt.zip_bytes((n, members[n]) for n in fmt.member_order(others)))


def test_an_archive_that_is_not_whole_exits_1_with_the_french_reason(
    archive: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _damage(archive)
    code, out, err = _run(capsys, str(archive))
    assert (code, out) == (1, "")
    assert err == (
        "Erreur : Archive non intègre. Le fichier « event.json » de l'archive a été modifié.\n"
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["absent.zip"], "Erreur : Fichier introuvable : "),
        (["texte.zip"], "Erreur : "),
        ([], "Erreur : the following arguments are required"),
        (["journal.zip", "--verbose"], "Erreur : unrecognized arguments"),
    ],
)
def test_bad_input_exits_2_with_one_sentence(
    archive: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    expected: str,
) -> None:
    (archive.parent / "texte.zip").write_text("bonjour")
    monkeypatch.chdir(archive.parent)
    code, out, err = _run(capsys, *args)
    assert (code, out) == (2, "")
    assert err.startswith(expected)
    assert len(err.splitlines()) == 1
    assert err.rstrip().endswith(".")


def test_a_home_given_is_ignored_even_a_broken_one(
    archive: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "comptoir.toml").write_text('role = "banana"\n', encoding="utf-8")
    code = main(["journal", "archive-verify", str(archive), "--home", str(home)])
    assert code == 0
    assert capsys.readouterr().out.startswith("Archive intègre")


@pytest.mark.slow
def test_the_real_entry_point_verifies_with_no_home_at_all(archive: Path, tmp_path: Path) -> None:
    """A machine with comptoir installed and nothing else: no home, no database."""
    user = tmp_path / "user"
    user.mkdir()
    env = {**_env(), "HOME": str(user), "USERPROFILE": str(user), "XDG_DATA_HOME": str(user)}
    ok = subprocess.run(
        [sys.executable, "-m", "comptoir", "journal", "archive-verify", str(archive)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (ok.returncode, ok.stderr) == (0, ""), ok.stderr
    assert ok.stdout.startswith("Archive intègre")
    _damage(archive)
    bad = subprocess.run(
        [sys.executable, "-m", "comptoir", "journal", "archive-verify", str(archive)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 1
    assert bad.stderr.startswith("Erreur : Archive non intègre.")
    assert "Traceback" not in bad.stderr
    assert list(user.iterdir()) == []  # nothing written: no home was made
