from __future__ import annotations

# The in-process command runners of the CLI tests.
from tests.cli.conftest import cli, cli_fail, cli_json  # noqa: F401
