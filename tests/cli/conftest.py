"""Helpers to run the data commands in-process, as the ``comptoir`` entry point would."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command, get_commands, load_command_class
from django.db import connections

from comptoir.stores.models import Till


@pytest.fixture
def cli(till: Till, home_manager: str) -> Callable[..., str]:
    """Run a command with string arguments; returns what it printed on stdout."""

    def run(*args: str) -> str:
        out = StringIO()
        call_command(*args, stdout=out)
        return out.getvalue()

    return run


@pytest.fixture
def cli_json(cli: Callable[..., str]) -> Callable[..., Any]:
    """Run a command with ``--json`` and parse the one JSON document it printed."""

    def run(*args: str) -> Any:
        return json.loads(cli(*args, "--json"))

    return run


@pytest.fixture
def cli_fail(
    till: Till,
    home_manager: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., str]:
    """Run a command through ``run_from_argv`` (the entry point's path), expect exit code 2
    and return its stderr."""
    # run_from_argv closes the connections when it ends; the test's transaction lives on one.
    monkeypatch.setattr(connections, "close_all", lambda: None)

    def run(*args: str) -> str:
        name = args[0]
        command = load_command_class(get_commands()[name], name)
        capsys.readouterr()
        with pytest.raises(SystemExit) as exit_info:
            command.run_from_argv(["comptoir", *args])
        assert exit_info.value.code == 2
        return capsys.readouterr().err

    return run
