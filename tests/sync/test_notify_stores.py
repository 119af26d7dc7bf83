"""A log append wakes only the pollers that can see it: a sale in one store does not wake
the long polls of every other store's tills (hundreds of tills, one hub process)."""

from __future__ import annotations

import asyncio

from comptoir.sync.notify import LogWaiter


def test_a_store_notification_wakes_that_store_and_the_all_seeing_pollers_only() -> None:
    async def scenario() -> None:
        waiter = LogWaiter()
        here, there, everything = waiter.ticket("here"), waiter.ticket("there"), waiter.ticket()

        waiter._wake("here")

        assert (here.is_set(), there.is_set(), everything.is_set()) == (True, False, True)
        assert not waiter.ticket("here").is_set()  # the next wait is on a new generation

        waiter._wake("")  # reference data: every store
        assert there.is_set()

    asyncio.run(scenario())


def test_a_nodes_own_push_does_not_wake_its_long_poll() -> None:
    async def scenario() -> None:
        waiter = LogWaiter()
        seller, neighbour = waiter.ticket("here", "till-a"), waiter.ticket("here", "till-b")
        everything = waiter.ticket()

        waiter._wake("here", "till-a")  # till A pushed a sale

        assert (seller.is_set(), neighbour.is_set(), everything.is_set()) == (False, True, True)
        assert waiter.ticket("here", "till-a") is seller  # still waiting, same generation

        waiter._wake("", "hub")  # an article edited on the hub
        assert seller.is_set()

    asyncio.run(scenario())
