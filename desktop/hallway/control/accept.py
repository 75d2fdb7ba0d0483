"""Accepting control connections when the process has run out of file descriptors.

A hostile peer can pin a node at its descriptor limit (a flood of held TCP connections). Then
every accept fails with EMFILE while the connection stays queued, so the listener stays readable:
a naive loop spins, logging each failure. Here the loop backs off instead (doubling up to one
second) and logs once a minute at most: that much is guaranteed.

Answering all the same is best effort. `RESERVE` descriptors (open /dev/null) are held back; when
an accept fails for want of one, one is given up and the accept tried again at once, and each is
taken back as soon as a descriptor is free. No system call frees a descriptor and accepts into it
in one step, so another thread of this process (libzmq's I/O thread, accepting the very flood)
can take the freed number in between; the next one in reserve is then tried. Only when all of
them are lost that way, or lent to connections still open, does a request wait until the flood
lets a descriptor go. Serving a request needs no new descriptor.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import socket
import time
from collections.abc import Callable
from typing import Final

__all__ = ["FD_EXHAUSTED", "RESERVE", "Acceptor"]

log = logging.getLogger("hallway.control.server")

#: accept() errors that mean "no descriptor or buffer for a new connection right now".
FD_EXHAUSTED: Final = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})

FIRST_DELAY: Final = 0.01
MAX_DELAY: Final = 1.0
LOG_PERIOD: Final = 60.0
#: descriptors held back for accepts: each serves one connection, or is lost to another thread.
RESERVE: Final = 3


class Acceptor:
    """Accepts from a non-blocking listening socket; `delay` says how long to wait after a None.

    Used by one thread only (the control server's accept loop).
    """

    def __init__(
        self,
        listener: socket.socket,
        *,
        clock: Callable[[], float] = time.monotonic,
        log_period: float = LOG_PERIOD,
    ) -> None:
        self._listener = listener
        self._clock = clock
        self._log_period = log_period
        self._spares: list[int] = []
        self._last_log: float | None = None
        self._failed_since_log = 0
        self.exhausted = False
        #: seconds to wait before the next call (without watching the listener); 0: none.
        self.delay = 0.0
        self._restore_spares()

    def accept(self) -> socket.socket | None:
        """The next connection, or None when there is none to take now."""
        self._restore_spares()
        try:
            sock, _ = self._listener.accept()
        except BlockingIOError:
            return None  # the client gave up before we got to it
        except OSError as exc:
            if exc.errno not in FD_EXHAUSTED:
                log.debug("control socket: accept failed: %s", exc)  # ECONNABORTED and kin
                return None
            return self._accept_on_spare(exc)
        if self.exhausted and len(self._spares) == RESERVE:
            self.exhausted = False
            self.delay = 0.0
            log.info("control socket: file descriptors are available again")
        return sock

    def close(self) -> None:
        spares, self._spares = self._spares, []
        for spare in spares:
            os.close(spare)

    def _accept_on_spare(self, exc: OSError) -> socket.socket | None:
        self.exhausted = True
        self._report(exc)
        while self._spares:
            os.close(self._spares.pop())
            try:
                sock, _ = self._listener.accept()
            except OSError as again:
                if again.errno in FD_EXHAUSTED:
                    continue  # another thread took the freed number first: try the next one
                return None  # the client gave up (EAGAIN, ECONNABORTED): the spare comes back
            return sock
        # The reserve is lent to connections still being served, or lost: try again later.
        self.delay = min(max(self.delay * 2, FIRST_DELAY), MAX_DELAY)
        log.debug("control socket: out of file descriptors; next accept in %.2f s", self.delay)
        return None

    def _restore_spares(self) -> None:
        with contextlib.suppress(OSError):
            while len(self._spares) < RESERVE:
                self._spares.append(os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC))

    def _report(self, exc: OSError) -> None:
        self._failed_since_log += 1
        now = self._clock()
        if self._last_log is not None and now - self._last_log < self._log_period:
            return
        self._last_log = now
        log.warning(
            "control socket: out of file descriptors (%s, %d failed accepts); answering one "
            "connection at a time until some are freed",
            exc.strerror,
            self._failed_since_log,
        )
        self._failed_since_log = 0
