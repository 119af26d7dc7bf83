"""The simulation runs its own SQLite files, so it is skipped in the PostgreSQL pass of
the suite (``DATABASE_URL`` set): running it once is enough."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.sim.world import Template, World

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not os.environ.get("DATABASE_URL"):
        return
    skip = pytest.mark.skip(
        reason="simulation sur ses propres fichiers SQLite : lancée dans la passe sans DATABASE_URL"
    )
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def template(django_db_blocker: Any) -> Iterator[Template]:
    """The starting world, built once (migrations are the slow part); removed at the end."""
    with django_db_blocker.unblock():
        built = Template.get()
    yield built
    shutil.rmtree(built.directory, ignore_errors=True)
    Template.built = None


@pytest.fixture
def world(django_db_blocker: Any, template: Template) -> Iterator[World]:
    """A world of one hub and five tills copied from the session's template, patched in."""
    with django_db_blocker.unblock():
        sim = World(Path(template.directory) / "run")
        sim.base.mkdir(exist_ok=True)
        with sim.patched():
            template.copy_into(sim, 5)
            yield sim
