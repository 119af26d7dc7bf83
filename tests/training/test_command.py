"""``comptoir training on|off|status``: the switch for scripts, logged like the manager's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from comptoir.events.models import EventKind, TechnicalEvent
from comptoir.stores.models import Till
from comptoir.training.selectors import training_active
from tests.factories import db_state

pytestmark = pytest.mark.django_db


def test_training_on_status_off_from_the_command_line(
    till: Till, cli: Callable[..., str], cli_json: Callable[..., Any]
) -> None:
    assert cli_json("training", "status") == {
        "till": "C1",
        "training": False,
        "since": None,
        "user": None,
        "sales": 0,
    }
    assert "Mode formation activé sur la caisse C1" in cli("training", "on", "--user", "Léa")
    assert training_active(till=till)
    again = cli_json("training", "on")
    assert (again["training"], again["changed"], again["user"]) == (True, False, "Léa")
    assert "est en mode formation depuis le" in cli("training", "status")
    off = cli_json("training", "off")
    assert (off["training"], off["changed"]) == (False, True)
    assert "n'était pas en mode formation" in cli("training", "off")
    events = TechnicalEvent.objects.filter(
        kind__in=[EventKind.TRAINING_ON, EventKind.TRAINING_OFF]
    ).order_by("number")
    assert [(e.kind, e.user, e.details_data) for e in events] == [
        ("training_on", "Léa", {"source": "cli"}),
        ("training_off", "", {"source": "cli"}),
    ]


def test_a_post_without_a_till_is_told_so_in_french_with_exit_code_2(
    till: Till, cli_fail: Callable[..., str], settings: Any
) -> None:
    settings.COMPTOIR_NODE_ID = "11111111-1111-1111-1111-111111111111"  # not this till's
    before = db_state()
    for action in ("on", "off", "status"):
        err = cli_fail("training", action)
        assert "Aucune caisse n'est rattachée à ce poste" in err
        assert "Traceback" not in err
    assert db_state() == before
    assert not TechnicalEvent.objects.exists()
