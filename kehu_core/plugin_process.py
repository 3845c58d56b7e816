"""What of the process a plugin's code may change that kehu's messages and run need, kept as
it was and put back when the code returns (:func:`kehu_core.plugin_code.plugin_code`, in the
main thread): kehu's logging and the interval timers with their signals' handlers."""

from __future__ import annotations

import logging
import signal
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
