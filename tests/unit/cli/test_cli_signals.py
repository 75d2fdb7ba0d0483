"""SIGINT and SIGTERM end the waits of `hallway watch` and `hallway node` however they are
timed: even one that lands just before the wait begins, which then does not interrupt it."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest

from hallway.cli.signals import Terminate, terminate_on_signals
from tests.support.signalling import signalled_once_blocked


@pytest.fixture
def pipe() -> Iterator[tuple[int, int]]:
    read_end, write_end = os.pipe()
    yield read_end, write_end
    os.close(read_end)
    os.close(write_end)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_that_does_not_interrupt_the_wait_still_ends_it(
    pipe: tuple[int, int], signum: signal.Signals
) -> None:
    nothing_comes, write_end = pipe

    def rescue() -> None:
        os.write(write_end, b"!")

    with pytest.raises(Terminate) as stopped, terminate_on_signals() as wait:
        with signalled_once_blocked(signum, rescue) as rescued:
            wait(nothing_comes, None)
    assert not rescued.is_set(), "the wait went on after the signal"
    assert stopped.value.signum == signum
    assert stopped.value.interrupted == (signum == signal.SIGINT)


def test_a_wait_says_whether_its_descriptor_became_readable_in_time(
    pipe: tuple[int, int],
) -> None:
    read_end, write_end = pipe
    with terminate_on_signals() as wait:
        assert wait(read_end, 0.01) is False
        os.write(write_end, b"x")
        assert wait(read_end, 0.01) is True
        assert wait(read_end, None) is True


def test_the_handlers_and_the_wakeup_descriptor_are_put_back(pipe: tuple[int, int]) -> None:
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    with terminate_on_signals():
        assert signal.getsignal(signal.SIGTERM) is not before[1]
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
    assert signal.set_wakeup_fd(-1) == -1  # none was set before, and none is left
