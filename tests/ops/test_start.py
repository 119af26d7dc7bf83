"""``comptoir start`` as a real process: it serves the till (with its sync worker), answers,
stops cleanly on a service stop; a second launcher only opens the browser. The browser is
the one the standard library calls (``BROWSER``): a script that writes down what it opened.
"""

from __future__ import annotations

import json
import signal
import socket
import time
from pathlib import Path

import pytest

from comptoir.devtools import processes
from comptoir.devtools.processes import child_env, free_port, port_is_free, wait_until_up

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A till whose hub is down: its sync worker runs (offline) and must stop with it."""
    path = tmp_path_factory.mktemp("start") / "caisse du Marché"
    init = processes.run(["node", "init", "--home", str(path), "--admin-password", "x" * 8])
    assert init.returncode == 0, init.stderr
    config = path / "comptoir.toml"
    text = config.read_text(encoding="utf-8").replace('hub_url = ""', "")
    config.write_text(text + 'hub_url = "http://127.0.0.1:1"\n', encoding="utf-8")
    return path


@pytest.fixture
def browser(tmp_path: Path) -> tuple[dict[str, str], Path]:
    opened = tmp_path / "opened.txt"
    script = tmp_path / "browser.sh"
    script.write_text(f'#!/bin/sh\necho "$1" >> "{opened}"\n')
    script.chmod(0o755)
    return child_env(BROWSER=str(script), XDG_CONFIG_HOME=str(tmp_path / "config")), opened


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_start_serves_the_till_then_a_second_start_only_opens_the_browser(
    home: Path, browser: tuple[dict[str, str], Path]
) -> None:
    env, opened = browser
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    start = ["start", "--home", str(home), "--bind", f"127.0.0.1:{port}"]
    first = processes.spawn([*start, "--no-browser"], env=env)
    try:
        assert wait_until_up(url + "connexion/", first, any_status=False)
        again = processes.run([*start[:3], "--bind", "127.0.0.1:1"], env=env, timeout=60)
        assert again.returncode == 0, again.stderr
        assert url in again.stdout
        assert _lines(opened) == [url + "caisse/"]  # the second start only, at the first's
        status = processes.run(["autostart", "status", "--json", "--home", str(home)], env=env)
        assert json.loads(status.stdout)["running"] is True
        assert json.loads(status.stdout)["url"] == url
        # A service stop (systemd's SIGTERM): uvicorn's graceful shutdown, the worker too.
        first.send_signal(signal.SIGTERM)
        out, err = first.communicate(timeout=30)
    finally:
        processes.stop_process(first)
    assert first.returncode == 0, err
    assert "Traceback" not in err
    assert "Caisse arrêtée." in out
    assert port_is_free(port)
    assert not (home / "start.json").exists()
    status = processes.run(["autostart", "status", "--json", "--home", str(home)], env=env)
    assert json.loads(status.stdout)["running"] is False


def test_start_that_gets_no_answer_in_time_stops_and_says_so(
    home: Path, browser: tuple[dict[str, str], Path]
) -> None:
    env, opened = browser
    port = free_port()
    args = ["start", "--home", str(home), "--bind", f"127.0.0.1:{port}", "--timeout", "0.001"]
    result = processes.run(args, env=env, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith("Erreur : la caisse n'a pas répondu")
    assert port_is_free(port)
    assert _lines(opened) == []


def test_start_refuses_a_port_another_program_holds(
    home: Path, browser: tuple[dict[str, str], Path]
) -> None:
    env, _opened = browser
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        started = time.monotonic()
        result = processes.run(
            ["start", "--home", str(home), "--bind", f"127.0.0.1:{port}"], env=env, timeout=60
        )
    assert result.returncode == 2
    assert result.stderr.startswith(f"Erreur : le port {port} de 127.0.0.1 est déjà utilisé")
    assert time.monotonic() - started < 30


def test_autostart_print_shows_the_unit_and_registers_nothing(
    home: Path, browser: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, _opened = browser
    result = processes.run(["autostart", "install", "--print", "--home", str(home)], env=env)
    assert result.returncode == 0, result.stderr
    assert f'"--home" "{home}" "--no-browser"' in result.stdout
    assert "systemctl --user enable --now comptoir-till.service" in result.stdout
    assert not (tmp_path / "config").exists()
    bad = processes.run(["autostart", "reinstall", "--home", str(home)], env=env)
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
