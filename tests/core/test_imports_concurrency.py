"""A long import and a till's push on the hub (PostgreSQL): the push does not wait for the
import to end. Ordering is measured in the change log (its sequence follows commit
order), not with a stopwatch."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from comptoir.catalogue.services import article_create
from comptoir.ops import imports
from comptoir.ops.imports import import_rows, parse_csv
from comptoir.stores.models import Till
from comptoir.sync.hlc import Timestamp
from comptoir.sync.models import ChangeLog
from comptoir.syncengine import auth, hub
from tests.sync.helpers import reference_change, stamp

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
TIMEOUT = 30
ROWS, CHUNK = 3000, 300


def test_a_push_commits_between_two_chunks_of_a_long_import(
    till: Till, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports, "CHUNK_ROWS", CHUNK)
    monkeypatch.setattr(imports, "CHUNK_SECONDS", None)
    bread = article_create(code="PAIN", name="Pain", sale_price="1.20")
    token, _ = auth.enrollment_redeem(
        code=auth.enrollment_create(name="Caisse 2"), node_id="node-2"
    )
    cred = auth.credential_for(token)
    assert cred is not None
    rename = reference_change(bread, name="Pain de campagne")  # the till's edit
    later = Timestamp.decode(max(bread.sync_clocks.values())).wall_ms + 1000
    rename.data.clocks["name"] = stamp(later, "node-2")
    text = "code;name;price;barcode\n" + "".join(
        f"A{i:05d};Article {i};{1 + i % 50},50;B{i:05d}\n" for i in range(ROWS)
    )
    events: list[str] = []
    results: dict[str, Any] = {}

    def push() -> None:
        try:
            results["push"] = hub.push_apply(cred, [rename])
            events.append("push committed")
        finally:
            connection.close()

    pusher = threading.Thread(target=push, name="push")

    def progress(stage: str, rows: int) -> None:
        if stage == "write":
            events.append(f"chunk {rows}")
            if rows == CHUNK:  # the first chunk is in: a till pushes meanwhile
                pusher.start()

    try:
        assert import_rows("articles", parse_csv("articles", text), progress=progress).rows == ROWS
    finally:
        if pusher.ident is not None:
            pusher.join(TIMEOUT)

    assert [r.status for r in results["push"]] == ["applied"], results
    pushed = ChangeLog.objects.get(row_id=bread.pk, origin_node="node-2").seq
    imported = ChangeLog.objects.filter(model="catalogue.article").exclude(row_id=bread.pk)
    seqs = sorted(imported.values_list("seq", flat=True))
    assert len(seqs) == ROWS
    # The push committed after the first chunk and long before the import's last one: it
    # waited at most for the chunk being written, never for the whole import.
    assert seqs[CHUNK - 1] < pushed < seqs[-1]
    assert sum(seq > pushed for seq in seqs) >= ROWS - 3 * CHUNK
    assert events.index("push committed") < events.index(f"chunk {ROWS}")
