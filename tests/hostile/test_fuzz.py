"""Generated hostile bodies against the sync API (Hypothesis).

Properties, for every request: never a 5xx; every answer has the documented shape
(``openapi.json``); a refusal carries a French message; a refused request writes
nothing; and a push that is accepted follows the documented per-change semantics of
``hub.push_apply``: each change applied, duplicate or rejected on its own, a rejected
change leaves no row, an applied one exactly its rows and one change-log entry, and
every non-rejected fresh change id is remembered once.

``HOSTILE_EXAMPLES`` sets the number of examples per property (default 25, and 10x that
for the tests marked slow).
"""

from __future__ import annotations

import copy
import json
import os
import random
import uuid
from collections import Counter
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comptoir.sync import registry
from comptoir.sync.models import ChangeLog, ReceivedChange
from tests.factories import db_state
from tests.hostile.conftest import TALLY, Api, Node, sales
from tests.sync.helpers import reference_change

EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "25"))


def budget(factor: int = 1) -> Any:
    return settings(
        max_examples=EXAMPLES * factor,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        derandomize=os.environ.get("HOSTILE_RANDOM") is None,
    )


# --- values ------------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            "1e400",
            "-1e-400",
            "NaN",
            "Infinity",
            "-0",
            "0.0000000001",
            "9" * 40,
            "2026-02-30",
            "2026-03-02",
            "2026-03-02T10:00:00",
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-01:00",
            "2026-03-02T10:00:00+25:00",
            "000000000000001-000000-x",
            "00000000-0000-0000-0000-000000000000",
            "C2-2026-000001",
            str(uuid.uuid4()),
            "x" * 5000,
            "' OR 1=1 --",
            "<script>",
        ]
    ),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def labels() -> list[str]:
    return sorted(
        {s.label for s in registry.references()}
        | {s.label for s in registry.facts()}
        | {"auth.user", "sync.nodecredential", "sales.Invoice", "", "x" * 61}
    )


def uuids_or_garbage() -> st.SearchStrategy[Any]:
    return st.one_of(st.uuids().map(str), st.uuids().map(lambda u: str(u).upper()), json_values)


@st.composite
def shaped_changes(draw: Any) -> dict[str, Any]:
    """Changes of the right outline, with wrong contents."""
    kind = draw(st.sampled_from(["reference", "fact", "fact", "reference", "other"]))
    row = str(draw(st.uuids()))
    if kind == "reference":
        fields = draw(st.dictionaries(st.text(max_size=12), json_values, max_size=4))
        if draw(st.booleans()):
            fields["id"] = row
        data: Any = {
            "fields": fields,
            "clocks": draw(st.dictionaries(st.text(max_size=12), json_values, max_size=3)),
        }
    else:
        data = {
            "rows": draw(
                st.dictionaries(
                    st.sampled_from(labels()),
                    st.one_of(st.lists(json_values, max_size=2), json_values),
                    max_size=3,
                )
            )
        }
    return {
        "id": draw(st.one_of(st.uuids().map(str), uuids_or_garbage())),
        "model": draw(st.sampled_from(labels())),
        "row": row,
        "kind": kind,
        "data": draw(st.one_of(st.just(data), json_values)),
    }


# --- the per-change semantics of a push --------------------------------------------------


# A refused fact raises an integrity alert, which the hub records in its own technical event
# log (by design): those rows are the hub's, not the push's.
HUBS_OWN = "events.technicalevent"


def synced_counts() -> Counter[str]:
    counts: Counter[str] = Counter()
    for spec in [*registry.references(), *registry.facts()]:
        if spec.label != HUBS_OWN:
            counts[spec.label] = spec.model._default_manager.count()
    return counts


def log_count() -> int:
    return ChangeLog.objects.exclude(model=HUBS_OWN).count()


def _exists(label: str, row: Any) -> bool:
    spec = registry.reference_spec(label) or registry.fact_spec(label)
    if spec is None:
        return False
    try:
        return bool(spec.model._default_manager.filter(pk=uuid.UUID(str(row))).exists())
    except ValueError:
        return False


def push_and_check(api: Api, node: Node, body: Any, raw: bytes | None = None) -> list[str]:
    """Push ``body``; assert the semantics documented in ``hub.push_apply``."""
    changes = body.get("changes") if isinstance(body, dict) else None
    changes = changes if isinstance(changes, list) else []
    seen_ids = set(ReceivedChange.objects.values_list("change_id", flat=True))
    existed = {
        i: _exists(c["model"], c["row"])
        for i, c in enumerate(changes)
        if isinstance(c, dict) and isinstance(c.get("model"), str) and "row" in c
    }
    state, counts, log = db_state(), synced_counts(), log_count()
    received = ReceivedChange.objects.count()
    response = api.push(node.token, raw if raw is not None else body)
    if response.status_code != 200:
        assert response.status_code == 400, response.content[:200]
        assert (db_state(), synced_counts(), log_count()) == (state, counts, log)
        assert ReceivedChange.objects.count() == received
        return []
    results = response.json()["results"]
    assert [r["id"] for r in results] == [str(uuid.UUID(c["id"])) for c in changes]
    expected: Counter[str] = Counter()
    applied = fresh = 0
    for index, (result, change) in enumerate(zip(results, changes, strict=True)):
        key = uuid.UUID(result["id"])
        if key in seen_ids:
            assert result["status"] == "duplicate", result
            continue
        if result["status"] != "rejected":
            seen_ids.add(key)
            fresh += 1
        if result["status"] == "applied":
            applied += 1
            assert _exists(change["model"], change["row"])
            if change["kind"] == "fact":
                for label, rows in change["data"]["rows"].items():
                    expected[label] += len(rows)
            elif not existed[index]:
                expected[change["model"]] += 1
        elif result["status"] == "rejected" and not existed.get(index, True):
            assert not _exists(change["model"], change["row"]), result
    delta = synced_counts()
    delta.subtract(counts)
    assert +delta == +expected, (results, delta, expected)
    assert log_count() - log == applied
    assert ReceivedChange.objects.count() - received == fresh
    if not applied:
        assert db_state() == state
    return [r["status"] for r in results]


# --- properties --------------------------------------------------------------------------


def test_any_json_body_is_answered_without_a_crash_or_a_write(api: Api, node: Node) -> None:
    @budget()
    @given(body=json_values)
    def run(body: Any) -> None:
        push_and_check(api, node, body)

    run()


def test_any_bytes_are_answered_without_a_crash_or_a_write(api: Api, node: Node) -> None:
    @budget()
    @given(raw=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
    def run(raw: bytes) -> None:
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        push_and_check(api, node, body, raw=raw)

    run()


def test_changes_of_the_right_outline_with_wrong_contents(api: Api, node: Node) -> None:
    @budget(2)
    @given(changes=st.lists(shaped_changes(), max_size=5))
    def run(changes: list[dict[str, Any]]) -> None:
        push_and_check(api, node, {"changes": changes})

    run()


INVOICE_OPS = [
    "set",
    "set",
    "set",
    "delete",
    "unknown field",
    "drop part",
    "duplicate row",
    "foreign part",
    "change field",
]


def _renew(change: dict[str, Any], rng: random.Random) -> None:
    """New ids and a new number for a copied invoice: a new document, maybe valid."""
    root_id = str(uuid.uuid4())
    rows = change["data"]["rows"]
    for label, items in rows.items():
        for row in items:
            row["id"] = root_id if label == "sales.invoice" else str(uuid.uuid4())
            if row.get("invoice_id") is not None:
                row["invoice_id"] = root_id
    sequence = rng.randrange(2, 10**6)
    root = rows["sales.invoice"][0]
    root["sequence"] = sequence
    root["number"] = f"{root['number'][:-6]}{sequence:06d}"
    change["row"] = root_id


@st.composite
def mutated_invoices(draw: Any, bases: list[dict[str, Any]]) -> dict[str, Any]:
    change = copy.deepcopy(draw(st.sampled_from(bases)))
    change["id"] = str(uuid.uuid4())
    rng = random.Random(draw(st.integers(0, 2**32)))
    if draw(st.booleans()):
        _renew(change, rng)
    rows = change["data"]["rows"]
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from(INVOICE_OPS))
        label = draw(st.sampled_from(sorted(rows)))
        if not rows[label]:
            continue
        row = rows[label][draw(st.integers(0, len(rows[label]) - 1))]
        name = draw(st.sampled_from(sorted(row)))
        if op == "set":
            row[name] = draw(json_values)
        elif op == "delete":
            del row[name]
        elif op == "unknown field":
            row[draw(st.text(min_size=1, max_size=12))] = draw(json_values)
        elif op == "drop part" and label != "sales.invoice":
            del rows[label]
        elif op == "duplicate row":
            rows[label].append(copy.deepcopy(row))
        elif op == "foreign part":
            rows[draw(st.sampled_from(labels()))] = [copy.deepcopy(row)]
        elif op == "change field":
            key = draw(st.sampled_from(["id", "model", "row", "kind", "data"]))
            change[key] = draw(st.one_of(json_values, st.sampled_from(labels())))
    return change


def test_mutated_real_invoices_are_applied_whole_or_not_at_all(api: Api, node: Node) -> None:
    bases = sales(node.till, [("PAIN", 2)], [("PAIN", 1), ("LAIT", 3)])
    assert push_and_check(api, node, {"changes": bases[:1]}) == ["applied"]

    @budget(2)
    @given(changes=st.lists(mutated_invoices(bases), min_size=1, max_size=4))
    def run(changes: list[dict[str, Any]]) -> None:
        statuses = push_and_check(api, node, {"changes": changes})
        for status in statuses:
            TALLY[f"mutated invoice {status}"] += 1

    run()


@st.composite
def mutated_references(draw: Any, bases: list[dict[str, Any]]) -> dict[str, Any]:
    change = copy.deepcopy(draw(st.sampled_from(bases)))
    change["id"] = str(uuid.uuid4())
    fields, clocks = change["data"]["fields"], change["data"]["clocks"]
    if draw(st.booleans()):
        change["row"] = fields["id"] = str(uuid.uuid4())
    for _ in range(draw(st.integers(0, 3))):
        target = draw(st.sampled_from(["field", "clock", "drop clock", "extra"]))
        name = draw(st.sampled_from(sorted(fields)))
        if target == "field":
            fields[name] = draw(json_values)
        elif target == "clock":
            clocks[name] = draw(
                st.one_of(
                    json_values,
                    st.integers(0, 10**16).map(lambda ms: f"{ms:015d}-000000-node-2"),
                )
            )
        elif target == "drop clock" and clocks:
            clocks.pop(draw(st.sampled_from(sorted(clocks))))
        else:
            fields[draw(st.text(min_size=1, max_size=12))] = draw(json_values)
    return change


def test_mutated_reference_rows_are_merged_or_refused_cleanly(api: Api, node: Node) -> None:
    from comptoir.catalogue.models import Article
    from comptoir.stores.models import Store

    bases = [
        msgspec.to_builtins(reference_change(obj))
        for obj in [*Article.objects.all(), node.till, Store.objects.get(pk=node.store.pk)]
    ]

    @budget(2)
    @given(changes=st.lists(mutated_references(bases), min_size=1, max_size=4))
    def run(changes: list[dict[str, Any]]) -> None:
        for status in push_and_check(api, node, {"changes": changes}):
            TALLY[f"mutated reference {status}"] += 1

    run()


@pytest.mark.slow
def test_long_run_of_mutated_invoices_and_outlines(api: Api, node: Node) -> None:
    bases = sales(node.till, [("PAIN", 2)], [("LAIT", 1)], [("PAIN", 1), ("LAIT", 2)])

    @budget(10)
    @given(
        changes=st.lists(
            st.one_of(mutated_invoices(bases), shaped_changes()), min_size=1, max_size=6
        )
    )
    def run(changes: list[dict[str, Any]]) -> None:
        push_and_check(api, node, {"changes": changes})

    run()
