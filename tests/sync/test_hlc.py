import pytest
from hypothesis import given
from hypothesis import strategies as st

from comptoir.sync.hlc import Clock, ClockSkewError, Timestamp

walls = st.integers(min_value=0, max_value=10**13)
events = st.lists(
    st.tuples(st.booleans(), walls, walls, st.integers(0, 50), st.sampled_from(["a", "b", "c"])),
    max_size=60,
)


def test_timestamps_follow_the_wall_clock_when_it_moves_forward() -> None:
    clock = Clock("n1")
    assert clock.tick(1000) == Timestamp(1000, 0, "n1")
    assert clock.tick(1000) == Timestamp(1000, 1, "n1")
    assert clock.tick(2000) == Timestamp(2000, 0, "n1")


def test_a_clock_set_back_does_not_move_timestamps_back() -> None:
    clock = Clock("n1")
    first = clock.tick(5000)
    assert clock.tick(1000) > first


def test_a_restarted_clock_continues_after_its_persisted_timestamp() -> None:
    before = Clock("n1")
    last = before.tick(9000)
    after = Clock("n1", last=Timestamp.decode(last.encode()))
    assert after.tick(100) > last


def test_receiving_a_change_from_a_clock_ahead_orders_later_writes_after_it() -> None:
    clock = Clock("slow")
    remote = Timestamp(50_000, 3, "fast")
    clock.observe(remote, now_ms=10_000)
    assert clock.tick(10_001) > remote


def test_a_remote_clock_too_far_ahead_is_refused_and_leaves_the_clock_unchanged() -> None:
    clock = Clock("hub")
    before = clock.tick(1_000)
    with pytest.raises(ClockSkewError) as refused:
        clock.observe(Timestamp(1_000 + 180_000, 0, "n1"), now_ms=1_000, max_ahead_ms=120_000)
    assert refused.value.ahead_ms == 180_000
    assert clock.last == before


def test_ties_on_time_and_counter_are_broken_by_node_id() -> None:
    assert Timestamp(1, 0, "a") < Timestamp(1, 0, "b")


@given(
    st.lists(
        st.tuples(
            walls, st.integers(0, 999_999), st.text("abcdef0123456789", min_size=1, max_size=8)
        ),
        min_size=2,
    )
)
def test_the_text_form_sorts_like_the_timestamp(raw: list[tuple[int, int, str]]) -> None:
    stamps = [Timestamp(*r) for r in raw]
    assert sorted(s.encode() for s in stamps) == [s.encode() for s in sorted(stamps)]
    assert all(Timestamp.decode(s.encode()) == s for s in stamps)


@given(events)
def test_timestamps_are_strictly_increasing_whatever_happens(steps: list) -> None:
    clock = Clock("me")
    previous = clock.last
    for receive, now, remote_wall, remote_counter, remote_node in steps:
        if receive:
            remote = Timestamp(remote_wall, remote_counter, remote_node)
            stamp = clock.observe(remote, now)
            assert (stamp.wall_ms, stamp.counter) > (remote.wall_ms, remote.counter)
        else:
            stamp = clock.tick(now)
        assert stamp > previous
        assert stamp.wall_ms >= now
        previous = stamp
