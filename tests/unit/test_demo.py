"""The demo's script: what the simulated colleagues do and when, as data (seeded randomness, a
fake clock), and `play`, which performs it on time."""

from __future__ import annotations

import itertools
import random
from collections import Counter

import pytest

from hallway import demo
from hallway.demo import CALM_INTERVAL, NAMES, Beat, Kind, Script, play

SEEDS = range(10)


def _opening(script: Script, within: float = 30.0) -> list[Beat]:
    return list(itertools.takewhile(lambda beat: beat.at <= within, script.beats()))


@pytest.mark.parametrize("count", [1, 2, 4, len(NAMES)])
@pytest.mark.parametrize("seed", SEEDS)
def test_the_first_half_minute_shows_every_kind_of_thing(count: int, seed: int) -> None:
    # With a margin for the nodes to start and find each other before the script begins.
    beats = _opening(Script(NAMES[:count], random.Random(seed)), within=22.0)
    assert {beat.kind for beat in beats} == set(Kind)
    # Status changes, not only everyone's first status.
    assert len([beat for beat in beats if beat.kind is Kind.STATUS]) >= count + 2


@pytest.mark.parametrize("seed", SEEDS)
def test_everyone_starts_with_a_status_of_their_own(seed: int) -> None:
    script = Script(NAMES[:5], random.Random(seed))
    firsts = list(itertools.islice(script.beats(), 5))
    assert [beat.name for beat in firsts] == list(NAMES[:5])
    assert all(beat.kind is Kind.STATUS for beat in firsts)
    statuses = [beat.status for beat in firsts]
    assert len(set(statuses)) == 5, "no two colleagues start alike"
    assert firsts[-1].at < 5.0, "the office fills within seconds"


@pytest.mark.parametrize("seed", SEEDS)
def test_then_a_calmer_rhythm(seed: int) -> None:
    beats = list(itertools.islice(Script(NAMES[:4], random.Random(seed)).beats(), 60))
    times = [beat.at for beat in beats]
    assert times == sorted(times)
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    opening = len(_opening(Script(NAMES[:4], random.Random(seed))))
    assert max(gaps[: opening - 1]) <= 5.0
    low, high = CALM_INTERVAL
    assert all(low <= gap <= high for gap in gaps[opening - 1 :])


def test_the_calm_rhythm_is_mostly_status_changes() -> None:
    script = Script(NAMES[:4], random.Random(1))
    kinds = Counter(script.calm().kind for _ in range(3000))
    assert kinds[Kind.STATUS] > kinds[Kind.POST] > kinds[Kind.URGENT] > 0
    assert kinds[Kind.URGENT] < 0.1 * 3000, "urgent posts stay rare"


@pytest.mark.parametrize("seed", SEEDS)
def test_every_beat_shows_something_new(seed: int) -> None:
    current: dict[str, object] = {}
    last_text = ""
    for beat in itertools.islice(Script(NAMES[:2], random.Random(seed)).beats(), 200):
        if beat.kind is Kind.STATUS:
            assert beat.status is not None
            assert beat.status != current.get(beat.name), "a status change must change it"
            current[beat.name] = beat.status
        else:
            assert beat.text
            assert beat.text != last_text, "the same post twice in a row looks broken"
            last_text = beat.text
            assert (beat.text in demo._URGENT) == (beat.kind is Kind.URGENT)


def test_the_same_seed_plays_the_same_script() -> None:
    def first(seed: int) -> list[Beat]:
        return list(itertools.islice(Script(NAMES[:3], random.Random(seed)).beats(), 30))

    assert first(3) == first(3)
    assert first(3) != first(4)


def test_a_script_needs_someone() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Script((), random.Random(0))


class FakeTime:
    """A clock that only moves when the player pauses; stop after `end` seconds."""

    def __init__(self, end: float) -> None:
        self.now = 1000.0
        self.start = self.now
        self.end = end

    def clock(self) -> float:
        return self.now

    def pause(self, seconds: float) -> bool:
        assert seconds >= 0
        if self.now + seconds - self.start > self.end:
            return True  # stopped while waiting
        self.now += seconds
        return False


def test_play_performs_each_beat_at_its_moment() -> None:
    time = FakeTime(end=200.0)
    performed: list[tuple[float, Beat]] = []
    script = Script(NAMES[:3], random.Random(5))
    play(
        script.beats(),
        lambda beat: performed.append((time.now - time.start, beat)),
        clock=time.clock,
        pause=time.pause,
    )
    assert performed, "nothing was performed"
    assert all(moment == pytest.approx(beat.at) for moment, beat in performed)
    assert performed[-1][0] <= 200.0
    assert {beat.kind for moment, beat in performed if moment <= 30.0} == set(Kind)


def test_play_catches_up_when_performing_takes_time() -> None:
    # A slow colleague (a control request timing out) delays what follows, never reorders it.
    time = FakeTime(end=40.0)
    moments: list[float] = []

    def slow(beat: Beat) -> None:
        moments.append(time.now - time.start)
        time.now += 3.0

    play(Script(NAMES[:2], random.Random(2)).beats(), slow, clock=time.clock, pause=time.pause)
    assert moments == sorted(moments)
    assert len(moments) >= 6
