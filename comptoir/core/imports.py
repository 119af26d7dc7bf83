"""CSV imports of articles, customers and suppliers: all rows or none.

Policy: every row is tried, each in its own savepoint, inside one durable transaction;
if any row is refused, the whole transaction is rolled back and every refused row is
reported with its line number and the reason. Otherwise everything commits at once.

Rows go through the very use cases the CLI and the web use (``article_create``...), so
an import applies exactly their rules, including the rules that need the database
(a code already taken, by an existing row or by an earlier line of the same file; an
unknown supplier). Those services are ``atomic(durable=True)``, which refuses to run
inside our transaction; we call the undecorated function (:func:`inspect.unwrap`),
since this import is itself the durable use case.
"""

from __future__ import annotations

import csv
import inspect
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from comptoir.catalogue.services import article_create, supplier_create
from comptoir.core.errors import ComptoirError, ValidationError
from comptoir.customers.services import customer_create

CONTACT_COLUMNS = ("code", "name", "phone", "email", "address", "siren", "vat_number")


@dataclass(frozen=True)
class ImportKind:
    columns: tuple[str, ...]
    required: tuple[str, ...]
    create: Callable[..., Any]  # the service creating one row
    to_kwargs: Callable[[dict[str, str]], dict[str, Any]]  # a row's cells as its arguments


def _article(row: dict[str, str]) -> dict[str, Any]:
    return {
        "code": row.get("code", ""),
        "name": row.get("name", ""),
        "sale_price": row.get("price", ""),
        "vat_rate": row.get("vat") or "20",
        "cost": row.get("cost") or "0",
        "barcodes": [b for b in re.split(r"[\s|]+", row.get("barcode", "")) if b],
        "category": row.get("category") or None,
        "supplier": row.get("supplier") or None,
        "unit": row.get("unit") or "piece",
        "alert_threshold": row.get("alert") or "0",
    }


def _contact(row: dict[str, str]) -> dict[str, Any]:
    return {column: row.get(column, "") for column in CONTACT_COLUMNS}


def _customer(row: dict[str, str]) -> dict[str, Any]:
    return {**_contact(row), "code": row.get("code") or None}


ARTICLE_COLUMNS = (
    "code",
    "name",
    "price",
    "vat",
    "cost",
    "barcode",
    "category",
    "supplier",
    "unit",
    "alert",
)

KINDS: dict[str, ImportKind] = {
    "articles": ImportKind(ARTICLE_COLUMNS, ("code", "name", "price"), article_create, _article),
    "customers": ImportKind(CONTACT_COLUMNS, ("name",), customer_create, _customer),
    "suppliers": ImportKind(CONTACT_COLUMNS, ("code", "name"), supplier_create, _contact),
}


@dataclass(frozen=True)
class Row:
    line: int  # line of the file where the row starts (the header is line 1)
    values: dict[str, str]
    error: str = ""  # set when the row cannot even be read (wrong number of fields)


@dataclass(frozen=True)
class RowError:
    line: int
    message: str


class ImportRefusedError(ValidationError):
    """At least one row was refused; nothing was imported."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = list(errors)
        head = ngettext(
            "Import refusé, rien n'a été importé : %(n)d ligne en erreur.",
            "Import refusé, rien n'a été importé : %(n)d lignes en erreur.",
            len(self.errors),
        ) % {"n": len(self.errors)}
        details = [
            _("ligne %(line)d : %(message)s") % {"line": e.line, "message": e.message}
            for e in self.errors
        ]
        super().__init__("\n  ".join([head, *details]))


def _normalise(column: str) -> str:
    return column.strip().lower().replace("-", "_").replace(" ", "_")


def guess_delimiter(header_line: str) -> str:
    """The most frequent of ``;``, ``,`` and tab in the header line (``,`` if none)."""
    counts = {d: header_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_text(path: Path) -> str:
    """The file's text; UTF-8 with or without a byte order mark."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ValidationError(
            _("Impossible de lire « %(path)s » : %(reason)s.")
            % {"path": path, "reason": exc.strerror or exc}
        ) from None
    except UnicodeDecodeError:
        raise ValidationError(
            _("« %(path)s » n'est pas un fichier texte UTF-8.") % {"path": path}
        ) from None


def parse_csv(kind: str, text: str, *, delimiter: str | None = None) -> list[Row]:
    """Rows of a CSV with a header; refuses a header with unknown or missing columns."""
    spec = KINDS[kind]
    delimiter = delimiter or guess_delimiter(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [_normalise(c) for c in next(reader, [])]
    if not any(header):
        raise ValidationError(_("Le fichier est vide : il faut une ligne d'en-tête."))
    unknown = [c for c in header if c not in spec.columns]
    missing = [c for c in spec.required if c not in header]
    if unknown or missing or len(set(header)) != len(header):
        raise ValidationError(
            _(
                "En-tête invalide (colonnes inconnues : %(unknown)s ; manquantes : %(missing)s). "
                "Colonnes possibles : %(columns)s (séparateur « %(delimiter)s »)."
            )
            % {
                "unknown": ", ".join(unknown) or "-",
                "missing": ", ".join(missing) or "-",
                "columns": ",".join(spec.columns),
                "delimiter": delimiter,
            }
        )
    rows, previous_end = [], reader.line_num
    while True:
        try:
            cells = next(reader, None)
        except csv.Error as exc:
            raise ValidationError(
                _("Fichier CSV illisible à la ligne %(line)d : %(reason)s.")
                % {"line": reader.line_num, "reason": exc}
            ) from None
        if cells is None:
            break
        line, previous_end = previous_end + 1, reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            message = _("%(got)d champs au lieu de %(want)d.") % {
                "got": len(cells),
                "want": len(header),
            }
            rows.append(Row(line, {}, error=message))
        else:
            rows.append(Row(line, {c: v.strip() for c, v in zip(header, cells, strict=True)}))
    return rows


@transaction.atomic(durable=True)
def import_rows(
    kind: str, rows: Sequence[Row], *, progress: Callable[[int], None] | None = None
) -> int:
    """Create every row, or nothing (see the module docstring). Returns the rows created."""
    spec = KINDS[kind]
    create = inspect.unwrap(spec.create)
    errors: list[RowError] = []
    for row in rows:
        empty = [c for c in spec.required if not row.values.get(c)]
        try:
            if row.error:
                raise ValidationError(row.error)
            if empty:
                raise ValidationError(
                    _("La colonne « %(column)s » est vide.") % {"column": empty[0]}
                )
            with transaction.atomic():
                create(**spec.to_kwargs(row.values))
        except ComptoirError as exc:
            errors.append(RowError(row.line, exc.message))
        except DatabaseError as exc:
            errors.append(
                RowError(
                    row.line,
                    _("valeur refusée par la base de données (%(reason)s).") % {"reason": exc},
                )
            )
        if progress:
            progress(1)
    if errors:
        raise ImportRefusedError(errors)  # rolls the whole transaction back
    return len(rows)
