"""The synced models and their fields, per schema version: how a hub serves a post of the
previous schema (see ``protocol``: what a schema bump may change).

``schemas.json`` (committed data) holds, for each schema a hub serves, the fields of each
synced model (``reference`` and ``fact`` models by label) and the values of the ``derived``
tables that ``verify`` compares. The current schema's lists are what the
registry says today (a test keeps them equal); the previous one's were taken from its
release's code, once. With them the hub:

- writes a page for a post of the previous schema with only the models and fields it
  knows (:func:`downgraded`), so that its apply, which refuses what it does not know,
  takes every change;
- gives that post's changes, before applying them, the fields its schema lacks with their
  default (:func:`upgraded`): a reference field without a clock, which never overwrites a
  stored value, and a fact field as a row written without it would have it;
- computes ``verify``'s digests over what that post holds (:func:`Shape`).

``python -m comptoir.syncengine.schemas --write`` writes the current schema's lists from the
registry (run it after a change to a synced model, with ``SCHEMA_VERSION`` bumped once per
release); ``--check`` exits 1 when the file disagrees with the registry. ``--write --from
DIR`` writes them from another checkout's code (a previous release, ``git archive``
extracted into DIR), under the schema that code declares.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from comptoir.sync import registry, wire
from comptoir.syncengine.protocol import (
    OLDEST_SCHEMA,
    SCHEMA_VERSION,
    Change,
    FactChange,
    FactData,
    ReferenceChange,
    ReferenceData,
)

DATA = Path(__file__).with_name("schemas.json")

Lists = dict[str, dict[str, list[str]]]  # "reference" | "fact" | "derived" -> label -> names


def registry_lists() -> Lists:
    """The current code's lists, from the registry (Django set up)."""
    return {
        "reference": {s.label: list(s.fields) for s in registry.references()},
        "fact": {s.label: list(s.fields) for s in registry.facts()},
        "derived": {s.label: list(s.values) for s in registry.derived()},
    }


@functools.cache
def stored() -> dict[int, Lists]:
    """The committed lists, by schema version."""
    try:
        data = json.loads(DATA.read_text(encoding="utf-8"))
    except FileNotFoundError:  # (before the first --write)
        return {}
    return {int(version): lists for version, lists in data.items()}


@dataclass(frozen=True)
class Shape:
    """What a post of one schema knows: its synced models' fields, its derived tables'
    values (by label)."""

    schema: int
    fields: Mapping[str, tuple[str, ...]]
    derived: Mapping[str, tuple[str, ...]]

    def knows(self, label: str) -> bool:
        return label in self.fields or label in self.derived


@functools.cache
def shape(schema: int) -> Shape | None:
    """What a post of ``schema`` knows; None for the current schema (everything the
    registry says: nothing to translate)."""
    if schema == SCHEMA_VERSION:
        return None
    lists = stored()[schema]
    fields = {label: tuple(names) for label, names in (lists["reference"] | lists["fact"]).items()}
    derived = {label: tuple(names) for label, names in lists["derived"].items()}
    return Shape(schema, fields, derived)


# -- pages for a post of the previous schema ---------------------------------------------


def downgraded(changes: list[Change], schema: int) -> list[Change]:
    """``changes`` as a post of ``schema`` reads them: the models it does not know left
    out, and in the others the fields it does not know. The changes given are not
    altered (fact aggregates are shared with other pullers, see ``wire.FactCache``)."""
    known = shape(schema)
    if known is None:
        return changes
    out: list[Change] = []
    for change in changes:
        names = known.fields.get(change.model)
        if names is None:
            continue
        if isinstance(change, ReferenceChange):
            allowed = {"id", *names}
            data = change.data
            out.append(
                ReferenceChange(
                    id=change.id,
                    model=change.model,
                    row=change.row,
                    data=ReferenceData(
                        fields={k: v for k, v in data.fields.items() if k in allowed},
                        clocks={k: v for k, v in data.clocks.items() if k in allowed},
                        bases=(
                            {k: v for k, v in data.bases.items() if k in allowed}
                            if data.bases is not None
                            else None
                        ),
                    ),
                )
            )
        else:
            rows = _fact_rows_down(change.model, change.data.rows, known)
            out.append(
                FactChange(id=change.id, model=change.model, row=change.row, data=FactData(rows))
            )
    return out


def _fact_rows_down(
    label: str, rows: dict[str, list[dict[str, Any]]], known: Shape
) -> dict[str, list[dict[str, Any]]]:
    root = rows[label][0]
    root_kept = set(known.fields[label])
    out: dict[str, list[dict[str, Any]]] = {}
    for part_label, items in rows.items():
        names = known.fields.get(part_label)
        if names is None:  # a model that schema does not sync: left out whole
            continue
        allowed = {"id", *names}
        kept = []
        for row in items:
            short = {k: v for k, v in row.items() if k in allowed}
            if part_label != label:
                # A part leaves out a value equal to its root's (``wire.compact``); when the
                # root's field is one that schema lacks, the part carries it itself.
                for name in names:
                    if name not in row and name in root and name not in root_kept:
                        short[name] = root[name]
            kept.append(short)
        out[part_label] = kept
    return out


# -- changes from a post of the previous schema ------------------------------------------


@functools.cache
def _missing(label: str, schema: int) -> tuple[Any, ...]:
    """The fields of ``label`` that a post of ``schema`` does not send."""
    known = shape(schema)
    if known is None or label not in known.fields:
        return ()
    spec = registry.reference_spec(label) or registry.fact_spec(label)
    if spec is None:
        return ()
    old = set(known.fields[label])
    by_attname = {f.attname: f for f in spec.model._meta.concrete_fields}
    return tuple(by_attname[name] for name in spec.fields if name not in old)


def _defaults(label: str, schema: int) -> dict[str, Any]:
    """The fields of ``label`` that a post of ``schema`` does not send, with their default
    in wire form (drawn for each row: a default may be a callable)."""
    return {f.attname: wire.to_wire(f.get_default()) for f in _missing(label, schema)}


def upgraded(changes: list[Change], schema: int) -> list[Change]:
    """A push of a post of ``schema`` as the current schema reads it: each row gets the
    fields that schema lacks, with their default (see the module's docstring)."""
    if shape(schema) is None:
        return changes
    out: list[Change] = []
    for change in changes:
        if isinstance(change, ReferenceChange):
            missing = _defaults(change.model, schema)
            if missing:
                data = change.data
                change = ReferenceChange(
                    id=change.id,
                    model=change.model,
                    row=change.row,
                    data=ReferenceData(
                        fields={**missing, **data.fields}, clocks=data.clocks, bases=data.bases
                    ),
                )
        else:
            rows = {
                label: [{**_defaults(label, schema), **row} for row in items]
                for label, items in change.data.rows.items()
            }
            change = FactChange(
                id=change.id, model=change.model, row=change.row, data=FactData(rows)
            )
        out.append(change)
    return out


# -- the data file ------------------------------------------------------------------------

_DUMP = """
import json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")
import django
django.setup()
from comptoir.sync import registry
from comptoir.syncengine.protocol import SCHEMA_VERSION
print(json.dumps({"schema": SCHEMA_VERSION, "lists": {
    "reference": {s.label: list(s.fields) for s in registry.references()},
    "fact": {s.label: list(s.fields) for s in registry.facts()},
    "derived": {s.label: list(s.values) for s in registry.derived()},
}}))
"""


def lists_of_checkout(source: Path) -> tuple[int, Lists]:
    """The schema version and lists of the code in ``source`` (a checkout of another
    release), read by running it with this interpreter."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPTOIR_")}
    env.update(PYTHONPATH=str(source), DJANGO_SETTINGS_MODULE="comptoir.settings")
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", _DUMP],
        env=env,
        cwd=source,
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(result.stdout.strip().splitlines()[-1])
    return int(data["schema"]), data["lists"]


def write(version: int, lists: Lists) -> None:
    """Store ``lists`` as schema ``version``'s, keeping the schemas a hub serves."""
    data = {str(k): v for k, v in stored().items() if OLDEST_SCHEMA <= k <= SCHEMA_VERSION}
    data[str(version)] = lists
    text = json.dumps(dict(sorted(data.items())), indent=1, sort_keys=True, ensure_ascii=False)
    DATA.write_text(text + "\n", encoding="utf-8")
    stored.cache_clear()
    shape.cache_clear()
    _missing.cache_clear()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m comptoir.syncengine.schemas")
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true", help="write the lists into schemas.json")
    action.add_argument("--check", action="store_true", help="exit 1 if they disagree")
    parser.add_argument("--from", dest="source", help="another checkout (a previous release)")
    args = parser.parse_args(argv)
    if args.source:
        version, lists = lists_of_checkout(Path(args.source))
    else:
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")
        django.setup()
        version, lists = SCHEMA_VERSION, registry_lists()
    if args.check:
        if stored().get(version) != lists:
            print(f"schemas.json: schema {version} differs from the code: run --write")
            return 1
        return 0
    write(version, lists)
    print(f"schemas.json: schema {version} written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
