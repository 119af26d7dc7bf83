"""What the commands print cannot drive the terminal, whatever the stored text holds."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from comptoir.catalogue.models import Article
from tests.factories import make_article

pytestmark = pytest.mark.django_db

NAME = "Café\x1b]0;pwned\x07\x1b[2J\x9b31m"


def test_a_stored_name_with_escapes_is_shown_escaped(cli: Callable[..., str]) -> None:
    # As if it came from elsewhere (a till of an older version, through sync): the
    # services refuse it today.
    article = make_article("ESC1", "1.00")
    article.name = NAME
    article.save()
    shown = cli("article", "list")
    assert "\x1b" not in shown
    assert "\x9b" not in shown
    assert "\x07" not in shown
    assert "Café\\u001b]0;pwned\\u0007\\u001b[2J\\u009b31m" in shown
    listed = json.loads(cli("article", "list", "--json"))
    assert [a["name"] for a in listed] == [NAME]


def test_a_name_with_escapes_is_refused_at_input(cli_fail: Callable[..., str]) -> None:
    err = cli_fail("article", "add", "--code", "ESC2", "--name", NAME, "--price", "1")
    assert err == (
        "Erreur : Le nom contient un caractère de contrôle ou invisible (U+001B) : "
        "seul du texte imprimable est accepté.\n"
    )
    assert not Article.objects.filter(code="ESC2").exists()
