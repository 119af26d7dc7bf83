"""One outermost, durable transaction per use case; building blocks join the caller's."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

import comptoir
from comptoir.catalogue.models import Article
from comptoir.catalogue.services import article_create, article_create_block
from comptoir.lib.usecases import BLOCK_SUFFIX, use_case
from comptoir.stock.models import StockMovement
from comptoir.stock.selectors import stock_level
from comptoir.stock.services import stock_receive, stock_receive_block, stock_receive_many

ROOT = Path(comptoir.__file__).resolve().parent.parent
# Spelled in two parts, so that this file does not find itself.
UNWRAPPING = ("inspect." + "unwrap", "__wrap" + "ped__")


class Rollback(Exception):
    pass


def services_modules() -> list[Any]:
    """Every ``services`` module (or package's module) of comptoir."""
    modules = []
    for info in pkgutil.walk_packages(comptoir.__path__, "comptoir."):
        if ".services" in info.name and ".management" not in info.name:
            modules.append(importlib.import_module(info.name))
    return modules


def use_cases() -> list[tuple[str, Callable[..., Any]]]:
    """(name, use case) of every building block ``<name>_block`` in the services."""
    found = {}
    for module in services_modules():
        for name, value in vars(module).items():
            if name.endswith(BLOCK_SUFFIX) and callable(value):
                case = name.removesuffix(BLOCK_SUFFIX)
                found[f"{module.__name__}.{case}"] = getattr(module, case, None)
    return sorted(found.items())


def test_no_code_composes_services_by_unwrapping_decorators() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {needle}"
        for folder in ("comptoir", "tests", "bench")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for needle in UNWRAPPING
        if needle in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_every_building_block_has_its_use_case_beside_it() -> None:
    cases = use_cases()
    assert len(cases) >= 15  # stock, catalogue, customers at least
    assert [name for name, case in cases if case is None] == []
    for name, case in cases:
        assert case.__name__ == name.rsplit(".", 1)[1]


def test_a_use_case_is_made_from_a_block_only() -> None:
    def stock_receive_twice() -> None:  # pragma: no cover - never called
        pass

    with pytest.raises(TypeError, match="_block"):
        use_case(stock_receive_twice)


@pytest.mark.django_db(transaction=True)
def test_every_use_case_refuses_to_run_inside_another_transaction(till: Any) -> None:
    # Django's durable rule, checked as the use case opens its transaction: before the
    # block runs, so no arguments are needed to see it.
    for name, case in use_cases():
        with transaction.atomic(), pytest.raises(RuntimeError, match="durable"):
            case()
        assert not transaction.get_connection().in_atomic_block, name


@pytest.mark.django_db(transaction=True)
def test_blocks_join_the_callers_transaction_and_roll_back_with_it(till: Any) -> None:
    def write_then_roll_back() -> None:
        with transaction.atomic():
            article = article_create_block(code="JUS", name="Jus", sale_price="2.00")
            stock_receive_block(article="JUS", quantity="3")
            assert stock_level(article_id=article.pk, store_id=till.store_id) == Decimal(3)
            with pytest.raises(RuntimeError, match="durable"):
                stock_receive(article="JUS", quantity="1")
            raise Rollback

    with pytest.raises(Rollback):
        write_then_roll_back()
    assert not Article.objects.exists()
    assert not StockMovement.objects.exists()

    # Outside any transaction, a use case commits at once.
    article = article_create(code="JUS", name="Jus", sale_price="2.00")
    stock_receive(article="JUS", quantity="3")
    assert stock_level(article_id=article.pk, store_id=till.store_id) == Decimal(3)


@pytest.mark.django_db(transaction=True)
def test_a_use_case_composed_of_blocks_records_all_lines_or_none(till: Any) -> None:
    article_create(code="JUS", name="Jus", sale_price="2.00")
    article_create(code="PAIN", name="Pain", sale_price="1.00")
    with pytest.raises(Exception, match="Ligne 2 \\(PAIN\\)"):
        stock_receive_many(lines=[("JUS", "3"), ("PAIN", "-1")])
    assert not StockMovement.objects.exists()
    assert len(stock_receive_many(lines=[("JUS", "3"), ("PAIN", "1")])) == 2
