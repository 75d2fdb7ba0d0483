"""Rate limits and noise logging (hallway/core/ratelimit.py)."""

from __future__ import annotations

import logging

import pytest

from hallway.core.ratelimit import NoiseLog, TokenBucket

LOGGER = "hallway.test.noise"


class FakeClock:
    def __init__(self, start: float = 500.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def test_bucket_starts_full_and_allows_a_burst() -> None:
    bucket = TokenBucket(rate=1.0, burst=5)
    assert [bucket.take(100.0) for _ in range(6)] == [True] * 5 + [False]


def test_bucket_refills_at_its_rate() -> None:
    bucket = TokenBucket(rate=2.0, burst=3)
    for _ in range(3):
        assert bucket.take(0.0)
    assert not bucket.take(0.0)
    assert not bucket.take(0.4)  # 0.8 tokens
    assert bucket.take(0.5)  # 1.0 token
    assert not bucket.take(0.5)


def test_bucket_never_holds_more_than_its_burst() -> None:
    bucket = TokenBucket(rate=10.0, burst=2)
    assert bucket.take(0.0)
    assert [bucket.take(3600.0) for _ in range(3)] == [True, True, False]


def test_bucket_cost() -> None:
    bucket = TokenBucket(rate=1.0, burst=4)
    assert bucket.take(0.0, cost=3)
    assert not bucket.take(0.0, cost=2)
    assert bucket.take(0.0, cost=1)


def test_bucket_is_not_refilled_by_a_clock_that_steps_back() -> None:
    bucket = TokenBucket(rate=1.0, burst=3)
    for _ in range(3):
        assert bucket.take(10.0)
    assert not bucket.take(5.0)
    assert not bucket.take(5.0)
    assert bucket.take(6.0)  # one second after the (stepped back) stamp


def test_noise_is_logged_once_per_source_per_period(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    noise = NoiseLog(logging.getLogger(LOGGER), clock, period=60.0)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert noise.drop("peer-a", "oversized") is True
        for _ in range(9):
            clock.advance(1)
            assert noise.drop("peer-a", "malformed") is False
        assert noise.drop("peer-b", "malformed") is True
    assert [r.getMessage() for r in caplog.records] == [
        "dropped input from peer-a: oversized (1 dropped since last report)",
        "dropped input from peer-b: malformed (1 dropped since last report)",
    ]
    assert all(r.levelno == logging.WARNING for r in caplog.records)
    assert noise.counts == {"oversized": 1, "malformed": 10}


def test_noise_is_logged_again_after_the_period(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    noise = NoiseLog(logging.getLogger(LOGGER), clock, period=60.0)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        noise.drop("peer-a", "rate")
        for _ in range(4):
            noise.drop("peer-a", "rate")
        clock.advance(59.9)
        assert noise.drop("peer-a", "rate") is False
        clock.advance(0.1)
        assert noise.drop("peer-a", "rate") is True
    assert len(caplog.records) == 2
    assert "(6 dropped since last report)" in caplog.records[1].getMessage()
    assert noise.counts["rate"] == 7


def test_noise_log_memory_is_bounded() -> None:
    clock = FakeClock()
    noise = NoiseLog(logging.getLogger(LOGGER), clock)
    logging.getLogger(LOGGER).disabled = True
    try:
        for i in range(25_000):
            noise.drop(f"source-{i}", "flood")
    finally:
        logging.getLogger(LOGGER).disabled = False
    assert len(noise._last) <= 10_001
    assert noise.counts["flood"] == 25_000
