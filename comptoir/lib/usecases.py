"""Use cases and their building blocks: one outermost, durable transaction per use case.

- A **building block** (``<entity>_<verb>_block``) does the work in its caller's
  transaction: it is decorated ``transaction.atomic(savepoint=False)``, so it joins the
  transaction it is called in (and opens one when there is none), at no cost. An error
  it raises dooms that transaction: let it propagate. Use cases, the admin (inside its
  own transaction) and tests that roll back compose blocks.
- A **use case** (``<entity>_<verb>``), what views, the CLI and the sample data call, is
  its block in the outermost, durable transaction: Django refuses to open it inside
  another one, so that when it returns, what it wrote is committed (and about to sync).

Compose blocks, never use cases: there is no decorator to unwrap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import transaction

P = ParamSpec("P")
R = TypeVar("R")

BLOCK_SUFFIX = "_block"


def use_case(block: Callable[P, R]) -> Callable[P, R]:
    """The use case of ``block`` (named ``<name>_block``): the block, in one outermost,
    durable transaction. Takes the block's signature and docstring."""
    name = block.__name__
    if not name.endswith(BLOCK_SUFFIX):
        raise TypeError(f"a building block's name ends with {BLOCK_SUFFIX!r}: {name}")

    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with transaction.atomic(durable=True):
            return block(*args, **kwargs)

    run.__name__ = run.__qualname__ = name.removesuffix(BLOCK_SUFFIX)
    run.__module__ = block.__module__
    run.__doc__ = block.__doc__
    return run
