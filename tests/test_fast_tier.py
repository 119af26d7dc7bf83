"""The fast tier (``make check``): a fast password hasher in this process only, and no
``comptoir`` child process in a test that is not marked slow."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import User

from tests.conftest import _starts_comptoir


@pytest.mark.django_db
def test_passwords_are_hashed_with_md5_in_the_test_process() -> None:
    user = User.objects.create_user("caissiere", password="un-mot-de-passe-long")
    assert user.password.startswith("md5$")
    assert user.check_password("un-mot-de-passe-long")


def test_a_hash_written_by_a_comptoir_process_still_checks() -> None:
    """Users created by ``comptoir user add`` in a child process carry PBKDF2 hashes."""
    encoded = make_password("motdepasse", hasher="pbkdf2_sha256")
    assert encoded.startswith("pbkdf2_sha256$")
    assert check_password("motdepasse", encoded)


def test_a_test_not_marked_slow_cannot_start_comptoir() -> None:
    with pytest.raises(RuntimeError, match=r"marquez-le @pytest\.mark\.slow"):
        subprocess.run([sys.executable, "-m", "comptoir", "--help"], check=False, timeout=60)


@pytest.mark.parametrize(
    ("argv", "starts"),
    [
        (["/usr/bin/python3", "-m", "comptoir", "serve"], True),
        (["/srv/.venv/bin/comptoir", "demo"], True),
        ("python -m comptoir verify", True),
        (["/usr/bin/python3", "-c", "print(1)"], False),
        (["/usr/bin/python3", "-m", "comptoir_other"], False),
        (["git", "status"], False),
    ],
)
def test_what_counts_as_starting_comptoir(argv: list[str] | str, starts: bool) -> None:
    assert _starts_comptoir(argv) is starts
