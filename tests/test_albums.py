"""bot.albums: the photos of one album gathered in message order, whatever order their handlers ran in."""

from __future__ import annotations

import asyncio

from bot.albums import Albums


async def test_an_album_is_complete_after_the_quiet_time_in_message_order() -> None:
    albums: Albums[str] = Albums(settle=0.3)
    results: list[list[str]] = []

    async def handler(order: int, item: str, delay: float) -> None:
        await asyncio.sleep(delay)
        if albums.add(("chat", "g1"), order, item):
            results.append(await albums.complete(("chat", "g1")))

    # Handled out of order (message 12 first), the last one well after the first.
    await asyncio.gather(handler(12, "b", 0.0), handler(11, "a", 0.05), handler(13, "c", 0.2))
    assert results == [["a", "b", "c"]]
    # The group is forgotten: the same id again starts a new group; another group is apart.
    await asyncio.gather(handler(20, "d", 0.0), handler(21, "e", 0.0))
    assert results[-1] == ["d", "e"]


async def test_groups_are_apart_and_a_growing_album_is_cut_at_max_wait() -> None:
    albums: Albums[int] = Albums(settle=0.2, max_wait=0.5)
    assert albums.add("x", 1, 1) and albums.add("y", 1, 10)
    assert not albums.add("x", 2, 2)

    async def keep_adding() -> None:
        for i in range(3, 30):
            await asyncio.sleep(0.1)
            albums.add("x", i, i)

    adder = asyncio.ensure_future(keep_adding())
    got = await albums.complete("x")
    adder.cancel()
    assert got[:2] == [1, 2] and len(got) < 28  # read as it was after max_wait
    assert await albums.complete("y") == [10]


async def test_the_other_items_wait_for_and_share_the_first_ones_outcome() -> None:
    albums: Albums[int] = Albums(settle=0.1)
    outcome: dict[int, bool] = {}

    async def handler(order: int, delivered: bool) -> None:
        if albums.add("g", order, order):
            assert await albums.complete("g") == [order, order + 1, order + 2]
            await asyncio.sleep(0.1)  # the reply is being sent
            albums.finish("g", delivered)
            outcome[order] = delivered
        else:
            outcome[order] = await albums.delivered("g")

    await asyncio.gather(handler(1, False), handler(2, True), handler(3, True))
    assert outcome == {1: False, 2: False, 3: False}  # the first one's reply was lost: the album's was
    # The same id again is a new group with its own outcome; an unknown group has nothing to share.
    await asyncio.gather(handler(11, True), handler(12, False), handler(13, False))
    assert [outcome[i] for i in (11, 12, 13)] == [True, True, True]
    assert await albums.delivered("unknown")
