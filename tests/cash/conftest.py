from typing import Any

import pytest
from django.conf import settings as django_settings

from comptoir.stores.models import Till
from comptoir.stores.services import store_get_or_create, till_create


@pytest.fixture
def xof_till(db: None, settings: Any) -> Till:
    """This post's till in a store that counts in F CFA (no minor unit), as a home made
    with ``--currency XOF``."""
    settings.COMPTOIR_CURRENCY = "XOF"
    store = store_get_or_create(name="Boutique de Dakar", currency="XOF")
    return till_create(
        store=store, name="Caisse Dakar", prefix="D1", node_id=django_settings.COMPTOIR_NODE_ID
    )


# The in-process command runners of the CLI tests.
from tests.cli.conftest import cli, cli_fail, cli_json  # noqa: E402, F401
