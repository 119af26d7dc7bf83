"""The hub's change log announces itself: every append notifies the listening pullers."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from django.db import connection, transaction

from comptoir.catalogue.services import article_create, article_create_block
from comptoir.sync.notify import CHANNEL


def _conninfo() -> str:
    s = connection.settings_dict
    return psycopg.conninfo.make_conninfo(
        dbname=s["NAME"],
        user=s.get("USER") or None,
        password=s.get("PASSWORD") or None,
        host=s.get("HOST") or None,
        port=s.get("PORT") or None,
    )


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_committed_write_on_the_hub_notifies_listeners_and_a_rolled_back_one_does_not(
    till: Any,
) -> None:
    with psycopg.connect(_conninfo(), autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANNEL}")
        article_create(code="A", name="Article A", sale_price="1.00")
        received = list(listener.notifies(timeout=5, stop_after=1))
        assert [n.channel for n in received] == [CHANNEL]

        def write_then_fail() -> None:
            with transaction.atomic():
                article_create_block(code="B", name="Article B", sale_price="1.00")
                raise RuntimeError("rolled back")

        with pytest.raises(RuntimeError):
            write_then_fail()
        assert list(listener.notifies(timeout=1, stop_after=1)) == []
