"""Homes: ``comptoir hub init`` / ``node init`` create a configured, migrated data directory.

These run the real entry point in subprocesses, each with its own home and database.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

from comptoir.home import read_config


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    child_env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "COMPTOIR_HOME")
    }
    child_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "comptoir", *args],
        capture_output=True,
        text=True,
        env=child_env,
        timeout=120,
        check=False,
    )


def db_probe(home: Path, code: str) -> str:
    script = f"import django; django.setup()\nfrom django.db import connection\n{code}\n"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env.update(COMPTOIR_HOME=str(home), DJANGO_SETTINGS_MODULE="comptoir.settings")
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


@pytest.mark.slow
def test_node_init_creates_a_migrated_home_with_its_till(tmp_path: Path) -> None:
    home = tmp_path / "caisse"
    done = run(
        "node",
        "init",
        "--home",
        str(home),
        "--store",
        "Épicerie",
        "--prefix",
        "c2",
        "--admin-password",
        "motdepasse-long",
    )
    assert done.returncode == 0, done.stderr
    config = read_config(home)
    assert config is not None
    assert config.role == "node"
    assert config.till_prefix == "C2"
    assert (home / "node.sqlite3").exists()
    out = db_probe(
        home,
        (
            "from comptoir.stores.selectors import till_current\n"
            "t = till_current(); print(t.prefix, t.store.name)"
        ),
    )
    assert out == "C2 Épicerie"


@pytest.mark.slow
def test_a_till_database_runs_in_wal_mode_with_full_sync(tmp_path: Path) -> None:
    home = tmp_path / "caisse"
    assert (
        run("node", "init", "--home", str(home), "--admin-password", "motdepasse-long").returncode
        == 0
    )
    out = db_probe(
        home,
        (
            "c = connection.cursor()\n"
            "print(c.execute('PRAGMA journal_mode').fetchone()[0],"
            " c.execute('PRAGMA synchronous').fetchone()[0],"
            " c.execute('PRAGMA foreign_keys').fetchone()[0])"
        ),
    )
    assert out == "wal 2 1"


@pytest.mark.slow
def test_init_refuses_an_already_initialised_home(tmp_path: Path) -> None:
    home = tmp_path / "caisse"
    assert (
        run("node", "init", "--home", str(home), "--admin-password", "motdepasse-long").returncode
        == 0
    )
    again = run("node", "init", "--home", str(home))
    assert again.returncode == 2
    assert "déjà un comptoir initialisé" in again.stderr


@pytest.mark.slow
def test_init_refuses_an_unknown_currency_and_leaves_no_home(tmp_path: Path) -> None:
    home = tmp_path / "caisse"
    done = run("node", "init", "--home", str(home), "--currency", "ZZZ")
    assert done.returncode == 2
    assert "devise inconnue" in done.stderr
    assert read_config(home) is None


@pytest.mark.slow
def test_commands_on_a_missing_home_say_how_to_create_one(tmp_path: Path) -> None:
    done = run("article", "list", "--home", str(tmp_path / "nulle-part"))
    assert done.returncode == 2
    assert "comptoir node init" in done.stderr


@pytest.mark.slow
def test_home_comes_from_the_environment_when_no_option_is_given(tmp_path: Path) -> None:
    home = tmp_path / "caisse"
    done = run(
        "node", "init", "--admin-password", "motdepasse-long", env={"COMPTOIR_HOME": str(home)}
    )
    assert done.returncode == 0, done.stderr
    assert read_config(home) is not None


@pytest.mark.slow
@pytest.mark.postgres_only
def test_hub_init_uses_the_postgresql_database_it_is_given(tmp_path: Path) -> None:
    admin_url = os.environ["COMPTOIR_TEST_PG_URL"]
    name = f"hub_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    home = tmp_path / "hub"
    done = run(
        "hub",
        "init",
        "--home",
        str(home),
        "--database-url",
        url,
        "--admin-password",
        "motdepasse-long",
    )
    assert done.returncode == 0, done.stderr
    assert not (home / "hub.sqlite3").exists()
    with psycopg.connect(url) as conn:
        prefix = conn.execute("SELECT prefix FROM core_till").fetchone()
    assert prefix == ("WEB",)


@pytest.mark.slow
@pytest.mark.postgres_only
def test_a_served_hub_borrows_its_connections_from_a_pool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin_url = os.environ["COMPTOIR_TEST_PG_URL"]
    name = f"hub_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    home = tmp_path / "hub"
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    done = run("hub", "init", "--home", str(home), "--database-url", url)
    assert done.returncode == 0, done.stderr
    probe = (
        "import os\nconnection.ensure_connection()\n"
        "print(os.environ.get('COMPTOIR_DB_POOL'), connection.pool and connection.pool.max_size)"
    )
    assert db_probe(home, probe) == "None None"  # a command: its own connection
    monkeypatch.setenv("COMPTOIR_DB_POOL", "7")  # what ``comptoir serve`` sets
    assert db_probe(home, probe) == "7 7"


@pytest.mark.slow
def test_serve_refuses_several_workers_on_a_till(tmp_path: Path) -> None:
    home = tmp_path / "till"
    assert run("node", "init", "--home", str(home)).returncode == 0
    done = run("serve", "--home", str(home), "--workers", "2")
    assert done.returncode == 2
    assert "--workers n'a de sens que pour un hub sur PostgreSQL" in done.stderr


@pytest.mark.slow
def test_the_cache_is_shared_on_disk_only_for_several_server_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "till"
    assert run("node", "init", "--home", str(home)).returncode == 0
    probe = "from django.conf import settings\nprint(settings.CACHES['default']['BACKEND'])"
    assert db_probe(home, probe).endswith("LocMemCache")
    monkeypatch.setenv("COMPTOIR_SHARED_CACHE", "1")  # what ``serve --workers 2`` sets
    assert db_probe(home, probe).endswith("FileBasedCache")


# ---- reading comptoir.toml -------------------------------------------------------------


def _home_with(tmp_path: Path, **changes: object) -> Path:
    from dataclasses import asdict

    import tomli_w

    from comptoir.home import HomeConfig, new_node_id

    data: dict[str, object] = asdict(
        HomeConfig(
            role="node", node_id=new_node_id(), store_name="M", till_name="C", till_prefix="C1"
        )
    )
    data.update(changes)
    (tmp_path / "comptoir.toml").write_text(tomli_w.dumps(data), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("changes", "problem", "key", "sentence"),
    [
        ({"role": "banana"}, "choice", "role", "valeurs possibles : hub, node."),
        ({"language": "xx"}, "choice", "language", "valeurs possibles : fr, en."),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "time_zone", "est inconnu."),
        ({"time_zone": "../../etc/passwd"}, "time_zone", "time_zone", "est inconnu."),
        ({"insecure_http": "yes"}, "type", "insecure_http", "booléen (true ou false)."),
        ({"store_name": 12}, "type", "store_name", "du type texte."),
        ({"till_prefix": " "}, "missing", "till_prefix", "pas de valeur"),
        ({"colour": "blue"}, "unknown", "colour", "clé inconnue"),
        ({"trusted_proxies": "127.0.0.1"}, "type", "trusted_proxies", "liste de textes"),
        ({"discount_manager_threshold": 150}, "choice", "discount_manager_threshold", "0…100"),
        ({"discount_manager_threshold": "10"}, "type", "discount_manager_threshold", "entier"),
        ({"log_horizon_days": 0}, "choice", "log_horizon_days", "1…3650"),
        ({"trusted_proxies": ["127.0.0.1", 7]}, "type", "trusted_proxies", "liste de textes"),
    ],
)
def test_a_wrong_configuration_is_named_by_its_key_and_file(
    tmp_path: Path, changes: dict[str, object], problem: str, key: str, sentence: str
) -> None:
    from comptoir.console import config_error_text
    from comptoir.home import ConfigError

    home = _home_with(tmp_path, **changes)
    with pytest.raises(ConfigError) as refused:
        read_config(home)
    assert (refused.value.problem, refused.value.key) == (problem, key)
    text = config_error_text(refused.value)
    assert str(home / "comptoir.toml") in text
    assert f"« {key} »" in text
    assert sentence in text


def test_a_configuration_that_is_not_toml_or_misses_a_key_is_refused(tmp_path: Path) -> None:
    from comptoir.console import config_error_text
    from comptoir.home import ConfigError

    (tmp_path / "comptoir.toml").write_text("role = node\n", encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        read_config(tmp_path)
    assert config_error_text(refused.value).startswith("configuration illisible (")
    (tmp_path / "comptoir.toml").write_text('role = "node"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        read_config(tmp_path)
    assert refused.value.problem == "missing"
    assert read_config(_home_with(tmp_path)) is not None
    assert read_config(_home_with(tmp_path, trusted_proxies=["10.0.0.0/24"])) is not None
