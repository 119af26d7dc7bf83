import pytest

from comptoir.stores.models import Till
from comptoir.stores.services import till_create


@pytest.fixture
def till2(till: Till) -> Till:
    """A second till of the same store, prefix C2."""
    return till_create(store=till.store, name="Caisse 2", prefix="C2", node_id="node-2")
