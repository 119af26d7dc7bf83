"""The command line's own words in the user's language: unknown commands with the nearest
ones suggested, argparse's usage, help and errors, only comptoir's options, and long
options typed in full."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class
from django.utils import translation

from comptoir.cash.denominations import MAX_PIECES
from comptoir.cli import main
from comptoir.cli.commands import closest_commands, command_table
from comptoir.lib.management.base import ComptoirCommand
from comptoir.lib.management.names import ALIASES, typed_name
from tests.cli.test_entry_point import comptoir

DJANGO_WORDS = (
    "positional arguments",
    "show this help",
    "usage:",
    "--settings",
    "--pythonpath",
    "--traceback",
    "--no-color",
    "--force-color",
    "--skip-checks",
    "--verbosity",
    "--version",
)


def _typed_names() -> list[str]:
    return sorted({row[0] for row in command_table()})


def test_a_swapped_pair_of_letters_suggests_that_command_first():
    names = _typed_names()
    assert closest_commands("stauts", names) == ["status", "stats"]
    assert closest_commands("sotck", names) == ["stock"]
    assert closest_commands("invocie", names) == ["invoice"]
    assert closest_commands("xyzzy", names) == []


def _parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _parsers(sub)


def _command(name: str, *, from_command_line: bool = False) -> ComptoirCommand:
    command = load_command_class(get_commands()[name], name)
    assert isinstance(command, ComptoirCommand), name
    command._called_from_command_line = from_command_line
    return command


@pytest.mark.parametrize(
    "name", [n for n, app in sorted(get_commands().items()) if app.startswith("comptoir.")]
)
def test_every_help_is_french_and_shows_only_comptoirs_options(name):
    with translation.override("fr"):
        parser = _command(name).create_parser("comptoir", name)
        for each in _parsers(parser):
            text = each.format_help()
            assert text.startswith("utilisation : comptoir "), text
            assert "affiche cette aide" in text
            assert "--home" in text
            assert not [word for word in DJANGO_WORDS if word in text], text


@pytest.mark.parametrize(
    "name", [n for n, app in sorted(get_commands().items()) if app.startswith("comptoir.")]
)
def test_every_usage_names_the_command_as_it_is_typed(name):
    typed = typed_name(name)
    assert ALIASES.get(typed, typed) == name  # what the usage shows runs this command
    with translation.override("fr"):
        parser = _command(name).create_parser("comptoir", name)
        for each in _parsers(parser):
            usage = each.format_usage()
            assert usage.startswith(f"utilisation : comptoir {typed} "), usage


def test_the_label_rule_usage_shows_label_rule_with_a_hyphen(capsys):
    with translation.override("fr"):
        parser = _command("label_rule", from_command_line=True).create_parser(
            "comptoir", "label_rule"
        )
        with pytest.raises(SystemExit):
            parser.parse_args(["add", "--prefix"])
    err = capsys.readouterr().err
    assert err.startswith("utilisation : comptoir label-rule add "), err
    assert "label_rule" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["sync", "--mode", "pussh"],
            "Erreur : argument --mode : choix invalide : « pussh » (possibles : 'push', "
            "'pull', 'sync')",
        ),
        (["sync", "--mod", "push"], "Erreur : arguments non reconnus : --mod push"),
        (["session", "open", "--flo", "10"], "Erreur : arguments non reconnus : --flo 10"),
        (["stock", "receive"], "Erreur : arguments obligatoires manquants : CODE, QTE"),
        (
            ["session", "opn"],
            "Erreur : argument ACTION : choix invalide : « opn » (possibles : 'open', "
            "'cash-in', 'cash-out', 'x', 'close', 'list')",
        ),
    ],
)
def test_argument_errors_are_one_french_sentence_after_the_usage(args, message, capsys):
    name = args[0]
    with translation.override("fr"):
        parser = _command(name, from_command_line=True).create_parser("comptoir", name)
        with pytest.raises(SystemExit) as exit_info:
            parser.parse_args(args[1:])
    assert exit_info.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("utilisation : comptoir ")
    assert lines[-1] == message


def test_the_entry_points_own_parsers_speak_french_and_want_options_in_full(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main(["restore", str(tmp_path / "a.zip"), "--home", str(tmp_path), "--forc"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("utilisation : comptoir restore ")
    assert err.endswith("Erreur : arguments non reconnus : --forc\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_a_mistyped_command_names_the_nearest_commands(tmp_path: Path):
    result = comptoir(tmp_path, "stauts")
    assert result.returncode == 2
    assert result.stderr == (
        "Erreur : commande inconnue : « stauts ». Vouliez-vous dire « status » ou « stats » ? "
        "Liste des commandes : comptoir --help\n"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["fr", "en"])
def test_cli_amounts_read_as_the_screens_show_them(cli, language):
    from comptoir.web.templatetags.comptoir import money

    with translation.override(language):
        out = cli("session", "open", "--float", "1234.30")
        shown = money(123430, "EUR")
    assert shown in out
    assert "EUR" not in out
    assert shown == {"fr": "1\u00a0234,30\u00a0€", "en": "1,234.30\u00a0€"}[language]


@pytest.mark.django_db
def test_a_wrong_count_names_its_denomination_as_the_screens_do(cli_fail):
    with translation.override("fr"):
        err = cli_fail("session", "open", "--count", f"20:{MAX_PIECES + 1}")
    assert err == (
        "Erreur : Nombre de pièces ou de billets invalide pour 20,00\u00a0€ : "
        f"« {MAX_PIECES + 1} » (un entier entre 0 et {MAX_PIECES}).\n"
    )
