"""The language of what ``comptoir`` prints before Django starts: ``init``'s own
``--language`` (kept in the new home), then the language of the home it is run against."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from comptoir.home import HOME_ENV, read_config
from tests.cli.test_entry_point import REPO, _env, comptoir

# Every test runs comptoir in child processes: not in make check's fast tier.
pytestmark = pytest.mark.slow

INIT_LINES = {
    "fr": [
        "Comptoir initialisé : caisse (node) dans {home}",
        "Magasin : Magasin principal ; caisse : Caisse 1 (C1)",
        "Gérant : admin / xxxxxxxx",
    ],
    "en": [
        "Comptoir initialised: till (node) in {home}",
        "Store: Main store; till: Till 1 (C1)",
        "Manager: admin / xxxxxxxx",
    ],
}


@pytest.fixture(scope="module")
def inits(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[Path, subprocess.CompletedProcess[str]]]:
    """A node home initialised without ``--language`` ("fr") and one with ``--language en``,
    with what their ``init`` printed."""
    done = {}
    for language, option in (("fr", []), ("en", ["--language", "en"])):
        home = tmp_path_factory.mktemp(f"node-{language}")
        done[language] = (
            home,
            comptoir(home, "node", "init", *option, "--admin-password", "xxxxxxxx"),
        )
    return done


def _help_with_home_in_env(home: Path) -> str:
    """``comptoir --help``, the home given by ``COMPTOIR_HOME`` only."""
    env = {**_env(), HOME_ENV: str(home)}
    return subprocess.check_output(
        [sys.executable, "-m", "comptoir", "--help"], cwd=REPO, env=env, text=True, timeout=60
    )


@pytest.mark.parametrize("language", ["fr", "en"])
def test_node_init_prints_in_its_language_and_keeps_it_in_the_home(inits, language):
    home, init = inits[language]
    assert init.returncode == 0, init.stderr
    assert init.stdout.splitlines() == [line.format(home=home) for line in INIT_LINES[language]]
    config = read_config(home)
    assert config is not None
    assert config.language == language
    assert f'language = "{language}"' in (home / "comptoir.toml").read_text(encoding="utf-8")


def test_the_commands_of_an_english_home_speak_english(inits):
    home, _init = inits["en"]
    result = comptoir(home, "sell", "INCONNU:1")
    assert result.returncode == 2
    assert result.stderr == "Error: Unknown article: “INCONNU”.\n"


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ([], "Erreur : devise inconnue : XYZ.\n"),
        (["--language", "en"], "Error: unknown currency: XYZ.\n"),
        (["--language=en"], "Error: unknown currency: XYZ.\n"),
    ],
)
def test_hub_init_refuses_an_unknown_currency_in_its_language(tmp_path, option, message):
    result = comptoir(tmp_path, "hub", "init", *option, "--currency", "XYZ")
    assert result.returncode == 2
    assert result.stderr == message
    assert not (tmp_path / "comptoir.toml").exists()


def test_init_help_is_in_the_language_asked_for(tmp_path):
    english = comptoir(tmp_path, "node", "init", "--language", "en", "--help")
    assert english.returncode == 0
    assert "name of this computer's till" in english.stdout
    assert "{fr,en}" in english.stdout
    french = comptoir(tmp_path, "node", "init", "--help")
    assert "nom de la caisse de ce poste" in french.stdout


def test_init_refuses_a_language_without_a_catalogue(tmp_path):
    result = comptoir(tmp_path, "hub", "init", "--language", "de")
    assert result.returncode == 2
    assert result.stderr.endswith(
        "Erreur : argument --language : choix invalide : « de » (possibles : 'fr', 'en')\n"
    )
    assert not (tmp_path / "comptoir.toml").exists()


def test_usage_follows_the_language_of_the_home_in_comptoir_home(inits, tmp_path):
    english = _help_with_home_in_env(inits["en"][0])
    assert english.startswith("comptoir — till and shop management")
    assert "Help on a command: comptoir COMMAND --help" in english
    assert "Aide d'une commande" not in english
    assert "Aide d'une commande : comptoir COMMANDE --help" in _help_with_home_in_env(
        inits["fr"][0]
    )
    # No home there yet: French, the language of the source.
    assert _help_with_home_in_env(tmp_path).startswith("comptoir — caisse et gestion")


def test_usage_follows_the_language_of_the_home_given_by_option(inits):
    home, _init = inits["en"]
    assert comptoir(home, "help").stdout.startswith("comptoir — till and shop management")


def test_no_home_here_is_said_in_french(tmp_path):
    result = comptoir(tmp_path, "stock", "show")
    assert result.returncode == 2
    assert result.stderr.startswith(f"Erreur : aucun comptoir n'est initialisé dans {tmp_path}.")


def test_a_damaged_configuration_is_named_not_dumped(tmp_path: Path) -> None:
    (tmp_path / "comptoir.toml").write_text("role = [\n", encoding="utf-8")
    assert "comptoir" in _help_with_home_in_env(tmp_path)  # usage still prints
    done = comptoir(tmp_path, "status")
    assert done.returncode == 2
    assert done.stderr.startswith(
        f"Erreur : configuration illisible ({tmp_path / 'comptoir.toml'}) : "
    )
    assert "Traceback" not in done.stderr
