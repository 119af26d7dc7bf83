"""Deterministic specifications of the sample reference data. Pure: no database access.

The same seed gives the same suppliers, articles (codes, barcodes, prices) and customers,
so a hub and a till populated separately hold the same catalogue. Articles are taken
from the shelves in turn, so that a small catalogue still covers every category.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from stdnum import ean, luhn
from stdnum.fr import siren

from comptoir.ops.sampledata.tables import (
    BUSINESSES,
    CITIES,
    FIRST_NAMES,
    LAST_NAMES,
    SHELVES,
    STREETS,
    SUPPLIERS,
    VARIANTS,
)


@dataclass(frozen=True)
class PartySpec:
    """A supplier or a customer, as the ``*_create`` services take it."""

    code: str
    name: str
    phone: str = ""
    email: str = ""
    address: str = ""
    siren: str = ""
    vat_number: str = ""


@dataclass(frozen=True)
class ArticleSpec:
    code: str
    name: str
    category: str
    supplier: str
    price: int  # minor units, incl. VAT
    cost: int  # minor units, excl. VAT
    vat_rate: Decimal
    unit: str
    barcode: str
    alert_threshold: Decimal
    popularity: float


@dataclass(frozen=True)
class Catalogue:
    suppliers: tuple[PartySpec, ...]
    articles: tuple[ArticleSpec, ...]
    customers: tuple[PartySpec, ...]

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a.category for a in self.articles))


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = "".join(c if c.isalnum() else " " for c in ascii_text.lower()).split()
    return "-".join(words)


def ean13(rng: random.Random, prefix: str, taken: set[str]) -> str:
    """A fresh EAN-13 starting with ``prefix``, with its check digit."""
    while True:
        body = prefix + "".join(rng.choice("0123456789") for _ in range(12 - len(prefix)))
        code = body + ean.calc_check_digit(body)
        if code not in taken:
            taken.add(code)
            return code


def siren_number(rng: random.Random) -> str:
    body = str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(7))
    return body + luhn.calc_check_digit(body)


def vat_number(siren_value: str) -> str:
    return "FR" + siren.to_tva(siren_value)


def _address(rng: random.Random, city: tuple[str, str] | None = None) -> str:
    postcode, town = city or rng.choice(CITIES)
    return f"{rng.randint(1, 120)} {rng.choice(STREETS)}, {postcode} {town}"


def _phone(rng: random.Random, first: str) -> str:
    pairs = " ".join(f"{rng.randint(0, 99):02d}" for _ in range(4))
    return f"{first} {pairs}"


def _suppliers(rng: random.Random) -> tuple[PartySpec, ...]:
    specs = []
    for index, (name, postcode, town) in enumerate(SUPPLIERS, start=1):
        number = siren_number(rng)
        specs.append(
            PartySpec(
                code=f"F{index:03d}",
                name=name,
                phone=_phone(rng, f"0{rng.randint(1, 5)}"),
                email=f"commandes@{slug(name)}.example",
                address=_address(rng, (postcode, town)),
                siren=number,
                vat_number=vat_number(number),
            )
        )
    return tuple(specs)


def _articles(
    rng: random.Random, count: int, suppliers: tuple[PartySpec, ...]
) -> list[ArticleSpec]:
    queues = [list(enumerate(shelf.items, start=1)) for shelf in SHELVES]
    numbers = [len(shelf.items) for shelf in SHELVES]
    barcodes: set[str] = set()
    specs: list[ArticleSpec] = []
    while len(specs) < count:
        for shelf_index, shelf in enumerate(SHELVES):
            if len(specs) >= count:
                break
            queue = queues[shelf_index]
            if queue:
                number, (name, euros, unit) = queue.pop(0)
                price = int(Decimal(euros) * 100)
            else:  # the shelf is exhausted: variants of its items, one variant per round
                numbers[shelf_index] += 1
                number = numbers[shelf_index]
                base_name, euros, unit = shelf.items[(number - 1) % len(shelf.items)]
                label, factor = VARIANTS[(number - 1) // len(shelf.items) % len(VARIANTS) - 1]
                name = f"{base_name} ({label})"
                price = int(Decimal(euros) * Decimal(factor) * 10) * 10 - 1
            vat = Decimal(shelf.vat_rate)
            excl = int(price * 100 / (100 + vat))
            specs.append(
                ArticleSpec(
                    code=f"{shelf.prefix}{number:03d}",
                    name=name,
                    category=shelf.name,
                    supplier=suppliers[rng.choice(shelf.suppliers)].code,
                    price=price,
                    cost=max(1, excl * rng.randint(48, 78) // 100),
                    vat_rate=vat,
                    unit=unit,
                    barcode=ean13(rng, "2" if unit == "kg" else "3", barcodes),
                    alert_threshold=Decimal(2 if unit == "kg" else rng.choice((3, 5, 6, 10))),
                    popularity=rng.paretovariate(1.2),
                )
            )
    return specs


def _customers(rng: random.Random, count: int) -> tuple[PartySpec, ...]:
    specs = []
    businesses = list(BUSINESSES)
    for index in range(1, count + 1):
        code = f"CL{index:04d}"
        if index % 6 == 0 and businesses:
            name = businesses.pop(0)
            number = siren_number(rng)
            specs.append(
                PartySpec(
                    code=code,
                    name=name,
                    phone=_phone(rng, f"0{rng.randint(1, 5)}"),
                    email=f"contact@{slug(name)}.example",
                    address=_address(rng),
                    siren=number,
                    vat_number=vat_number(number) if rng.random() < 0.8 else "",
                )
            )
            continue
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        specs.append(
            PartySpec(
                code=code,
                name=f"{first} {last}",
                phone=_phone(rng, rng.choice(("06", "07"))) if rng.random() < 0.8 else "",
                email=f"{slug(first)}.{slug(last)}{rng.randint(1, 99)}@courriel.example"
                if rng.random() < 0.6
                else "",
                address=_address(rng) if rng.random() < 0.5 else "",
            )
        )
    return tuple(specs)


def build_catalogue(*, articles: int, customers: int, seed: int) -> Catalogue:
    """The reference data for ``seed``. Each part draws from its own random stream, so
    the articles do not depend on the number of customers and vice versa."""
    suppliers = _suppliers(random.Random(f"{seed}:suppliers"))
    return Catalogue(
        suppliers=suppliers,
        articles=tuple(_articles(random.Random(f"{seed}:articles"), articles, suppliers)),
        customers=_customers(random.Random(f"{seed}:customers"), customers),
    )
