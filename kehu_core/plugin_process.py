"""What of the process a plugin's code may change that kehu's messages and run need, kept as
it was and put back when the code returns (:func:`kehu_core.plugin_code.plugin_code`, in the
main thread): kehu's logging and the interval timers with their signals' handlers; in other
threads (`kehu serve`'s requests), where no signal's handler can be set, :class:`Elsewhere`."""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

#: the loggers kehu says things through (a plugin's failure: ``kehu.plugins``) and the root one,
#: whose level and handlers theirs inherit
_LOGGERS = ("", "kehu", "kehu.plugins", "kehu.serve")


def logging_state() -> tuple[Any, ...]:
    """The process's logging as kehu's messages need it: a plugin's code quieting it for the
    process (an SDK's ``logging.disable``, ``logging.config.dictConfig``, which disables every
    logger it does not name, the root logger's level) left every plugin failure after it
    unsaid: `kehu import` exit 0, not a word of the sales whose plugin failed."""
    loggers = [logging.getLogger(name) for name in _LOGGERS]
    return (logging.root.manager.disable,
            *((one.level, one.propagate, one.disabled, tuple(one.handlers)) for one in loggers))


def logging_back(state: tuple[Any, ...]) -> None:
    logging.disable(state[0])
    for name, (level, propagate, disabled, handlers) in zip(_LOGGERS, state[1:], strict=True):
        one = logging.getLogger(name)
        one.setLevel(level)
        one.propagate, one.disabled = propagate, disabled
        one.handlers[:] = handlers


#: the interval timers and the signal each sends
_TIMERS = tuple((getattr(signal, timer), getattr(signal, sent)) for timer, sent in (
    ("ITIMER_REAL", "SIGALRM"), ("ITIMER_VIRTUAL", "SIGVTALRM"), ("ITIMER_PROF", "SIGPROF"))
    if hasattr(signal, timer) and hasattr(signal, sent))


def timers() -> tuple[tuple[bool, Any], ...]:
    """Whether each interval timer runs, and its signal's handler: a plugin's own timeout for a
    call (``signal.signal(SIGALRM, raise_timeout)``, ``signal.alarm(5)``) left set went off in
    kehu's code after its hook returned — an import ended in "internal error: SdkTimeout", or,
    the handler Python's, the process was killed mid-command ("Alarm clock", exit 142, no word)."""
    return tuple((signal.getitimer(timer)[0] > 0, signal.getsignal(sent)) for timer, sent in _TIMERS)


def timers_back(before: tuple[tuple[bool, Any], ...]) -> None:
    for (timer, sent), (running, handler) in zip(_TIMERS, before, strict=True):
        if not running and signal.getitimer(timer)[0] > 0:  # its own, left running (kehu's bound: kept)
            signal.setitimer(timer, 0)
        if handler is not None and signal.getsignal(sent) is not handler:
            signal.signal(sent, handler)


@contextlib.contextmanager
def timers_kept() -> Iterator[None]:
    """The interval timers and their signals' handlers as they were, once the code within
    returns: around each hook implementation of a plugin not kehu's, in the main thread. Kept
    only around the whole hook call (every plugin's implementation), a timer one plugin left
    running went off in the next one's hook, which was said to have failed ("plugin 'slow'
    failed in interaction_saved: SdkTimeout"), or ended the process ("Alarm clock")."""
    before = timers()
    try:
        yield
    finally:
        timers_back(before)


def stray_timers_stopped() -> None:
    """In a thread other than the main one (`kehu serve` answering a request, the TUI's
    workers), where no handler can be set: an interval timer running while its signal's
    handler is the default one can only end the process (a plugin's ``signal.alarm(5)`` for a
    call of its own ended `kehu serve` seconds later, "Alarm clock", every phone refused): it
    is stopped. A timer with a handler (kehu's own bound of a hook, in the main thread) is kept."""
    for timer, sent in _TIMERS:
        if signal.getitimer(timer)[0] > 0 and signal.getsignal(sent) == signal.SIG_DFL:
            signal.setitimer(timer, 0)


class Elsewhere:
    """Plugin code run in threads other than the main one. There no signal's handler can be
    set, and a timer whose signal would end the process is stopped as the code returns
    (:func:`stray_timers_stopped`). In `kehu serve`, whose request threads run plugins' hooks
    side by side while its main thread only listens, kehu's logging and the standard streams
    as the server set them up are held (:meth:`holding`) and put back as each such call
    returns: a plugin quieting logging (an SDK's ``logging.disable``) or replacing
    ``sys.stderr`` in one request left every later failure of the server unsaid (its log
    silent, a refused edit not named). In the TUI, kehu's logging as the app set it up (its
    notifier of plugins' failures) is held while it runs, and put back as each hook of its
    workers returns: a plugin quieting logging in the worker that asks for the list's values
    left every later failure of the session unshown. Not its streams: they are Textual's, put
    back by Textual as the app ends, and one put back from a worker went over a command's
    output set meanwhile in the main thread (a test running the CLI in-process beside the app).
    Where nothing holds (a command's own threads), what a thread saw as it began is not put
    back: it would go over what the main thread had set since."""

    lock = threading.Lock()
    held: tuple[tuple[Any, ...], tuple[Any, ...] | None] | None = None

    @classmethod
    @contextlib.contextmanager
    def holding(cls, *, streams: bool = True) -> Iterator[None]:
        """While a server answers (the TUI runs): its logging, and with ``streams`` its
        standard streams, as they are now are kehu's."""
        with cls.lock:
            cls.held = (logging_state(), _streams() if streams else None)
        try:
            yield
        finally:
            with cls.lock:
                cls.held = None

    @classmethod
    def leave(cls) -> None:
        """Plugin code of this (not main) thread returned."""
        stray_timers_stopped()
        with cls.lock:
            if cls.held is None:
                return
            logs, streams = cls.held
            if logging_state() != logs:
                logging_back(logs)
            for name, kept in zip(_STREAMS, streams or (), strict=False):
                if getattr(sys, name) is not kept:
                    setattr(sys, name, kept)


_STREAMS = ("stdout", "stderr", "stdin")


def _streams() -> tuple[Any, ...]:
    return tuple(getattr(sys, name) for name in _STREAMS)
