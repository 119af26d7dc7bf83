"""The till's side of re-enrollment: what it says when its token is refused or damaged,
that a running process takes the new token, and that a refused ``node reenroll`` leaves
its home as it was. The whole path with real processes: ``tests/scenario/test_reenroll.py``."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from comptoir import cli
from comptoir.home import HomeConfig, write_config
from comptoir.lib.errors import ComptoirError
from comptoir.syncengine import engine
from comptoir.syncengine.client import HubClient, HubRefused
from comptoir.syncengine.enroll import CA_NAME, node_reenroll


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def node_home(home: Path, **fields: Any) -> HomeConfig:
    config = HomeConfig(
        **{
            "role": "node",
            "node_id": "node-2",
            "store_name": "Magasin principal",
            "till_name": "Caisse 2",
            "till_prefix": "C2",
            "hub_url": f"http://127.0.0.1:{closed_port()}",
            "token": "jeton-actuel",
            **fields,
        }
    )
    write_config(home, config)
    return config


@pytest.mark.parametrize("token", ["abîmé", "deux mots", "x\ny"])
def test_a_damaged_token_is_refused_as_the_hub_would_with_the_commands_to_run(
    token: str,
) -> None:
    """A token edited by hand or damaged on disk fails as a refusal, not a traceback."""
    client = HubClient(
        f"http://127.0.0.1:{closed_port()}", token, post_name="Caisse 2", home="/srv/caisse 2"
    )
    for call in (lambda: client.pull(0), lambda: client.push([]), client.digest):
        with pytest.raises(HubRefused) as refused:
            call()
        assert refused.value.status == 401
        assert 'comptoir hub enroll --name "Caisse 2" --reenroll' in refused.value.message
        assert 'comptoir node reenroll --home "/srv/caisse 2" --code CODE' in (
            refused.value.message
        )
    client.close()


def test_a_running_post_takes_the_token_its_home_holds_now(tmp_path: Path, settings: Any) -> None:
    """``comptoir serve`` started before ``node reenroll``: its next connection uses the
    new token instead of being refused until a restart."""
    config = node_home(tmp_path)
    settings.COMPTOIR_HOME = tmp_path
    settings.COMPTOIR_HUB_URL = config.hub_url
    settings.COMPTOIR_TOKEN = "jeton-du-demarrage"
    client = engine.client_from_settings()
    try:
        assert client.http.headers["Authorization"] == "Bearer jeton-actuel"
        assert client.post_name == "Caisse 2"
    finally:
        client.close()


def test_a_failed_reenrollment_leaves_the_home_as_it_was(tmp_path: Path) -> None:
    config = node_home(tmp_path)
    (tmp_path / CA_NAME).write_text("l'autorité d'avant")  # not overwritten by a failure
    not_pem = tmp_path.parent / "pas-un-certificat.pem"
    not_pem.write_text("ceci n'est pas un certificat")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    attempts: list[dict[str, Any]] = [
        {},  # the hub is unreachable
        {"ca_file": str(not_pem)},  # a file that is no certificate (copied, then refused)
        {"ca_file": str(tmp_path / "absent.pem")},
        {"server": "ftp://serveur"},
    ]
    for options in attempts:
        with pytest.raises(ComptoirError) as refused:
            node_reenroll(home=tmp_path, config=config, code="AAAA-BBBB-CCCC-DDDD", **options)
        assert refused.value.message, options
        assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before, options


def test_reenrolling_a_home_of_no_server_asks_for_one(tmp_path: Path) -> None:
    config = node_home(tmp_path, hub_url="")
    with pytest.raises(ComptoirError, match="donnez-la avec --server URL"):
        node_reenroll(home=tmp_path, config=config, code="AAAA-BBBB-CCCC-DDDD")


def test_node_init_on_a_till_s_home_gives_the_reenroll_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    node_home(tmp_path)
    code = cli.main(
        ["node", "init", "--home", str(tmp_path), "--server", "http://x", "--code", "C"]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert f'comptoir node reenroll --home "{tmp_path}" --code CODE' in err
    assert 'comptoir hub enroll --name "Caisse 2" --reenroll' in err
