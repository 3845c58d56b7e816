"""Where a plugin's code runs: its exits, prints, threads, signals, working folder, environment
and Decimal context kept from ending or changing kehu (:func:`plugin_code`), and how its failure
is worded (:func:`error_text`). Every door that calls a third party's code (a hook, an importer,
an exporter, a sender, a reminder rule, what the TUI calls: :mod:`.handed`) runs it here.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import types
import weakref
from collections.abc import Callable, Iterator
from decimal import localcontext
from typing import Any, NoReturn

from . import plugin_process as process
from .errors import Meddled
from .i18n import _


class WrongResult(Exception):
    """A hook implementation (or what it handed over) returned something its hookspec does not
    allow. (Here, not in :mod:`.plugins`, which re-exports it: this module is imported by it.)"""


def never_awaited(result: Any) -> Any:
    """``result`` of a plugin's code as it is, unless it is a coroutine (an ``async def`` hook,
    exporter, sender, TUI column): none of its code ran, as kehu calls and never awaits, so its
    failure, said so — an async ``interaction_saved`` was taken as having returned (its ledger
    line never written, not a word but Python's "RuntimeWarning: coroutine … was never awaited",
    which named kehu's file). Closed first: Python's warning is left unsaid."""
    import inspect

    if inspect.iscoroutine(result):
        result.close()
        raise WrongResult(_("returned a coroutine (an async def): kehu calls a plugin's code and never awaits it, "
                            "so none of it ran; make it a plain def"))
    return result


class TooSlow(BaseException):
    """Raised in a plugin's hook that ran past the time bound a command set
    (:meth:`~kehu_core.plugins.host.PluginHost.bounded`): a BaseException, so a plugin's own
    ``except Exception`` (a retry loop) does not take it for one of its errors and go on."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


#: threads a plugin's code started (in a hook or in what it handed over) that are not daemons:
#: Python waits for every such thread before a process ends, so one left running (a worker that
#: never stops) kept `kehu customer show` from ever ending. See :func:`threads_left_running`.
_plugin_threads: weakref.WeakSet[threading.Thread] = weakref.WeakSet()


class PluginExit(BaseException):
    """``os._exit(code)`` called by a plugin's code while it runs (:func:`plugin_code`)."""

    def __init__(self, code: object) -> None:
        super().__init__(code)
        self.code = code


#: where plugin code runs now: per thread, the process it runs in and how deep (a hook calling
#: kehu calling another plugin's hook)
_running = threading.local()
_real_exit = os._exit


def _exit(code: int) -> NoReturn:
    """``os._exit`` while kehu runs: in plugin code of this process, :class:`PluginExit`; else
    (kehu's own code, another thread, a process the plugin forked) the real one."""
    if getattr(_running, "depth", 0) and getattr(_running, "pid", None) == os.getpid():
        raise PluginExit(code)
    _real_exit(code)


@contextlib.contextmanager
def plugin_exits() -> Iterator[None]:
    """Within this, an ``os._exit(code)`` of this thread and process raises :class:`PluginExit`
    (the part of :func:`plugin_code` a plugin's field type or settings model runs in: a
    validator, called for every value, where a print is as rare as it is harmless)."""
    if os._exit is not _exit:
        os._exit = _exit
    outer = getattr(_running, "depth", 0), getattr(_running, "pid", None)
    pid = os.getpid()
    _running.depth, _running.pid = outer[0] + 1, pid
    try:
        yield
    finally:
        if os.getpid() != pid:
            _forked_child_ends()
        _running.depth, _running.pid = outer


def _forked_child_ends() -> NoReturn:
    """A process the plugin's code forked (``os.fork()``, ``multiprocessing`` with fork) that
    comes back to kehu instead of ending: it ends here, at once, with nothing flushed. Going on,
    it ran the rest of the command a second time beside kehu (an import's rows and output once
    more for each sale a forking ``interaction_saved`` heard of, ending in "internal error"),
    holding the store's lock its parent holds."""
    with contextlib.suppress(OSError):
        os.write(2, _("kehu: a process a plugin forked came back to kehu (pid {pid}); it ends here, and "
                      "the command goes on in its parent only\n").format(pid=os.getpid()).encode())
    _real_exit(0)


@contextlib.contextmanager
def plugin_code(*, stdout_file: bool = True, store: Any = None) -> Iterator[None]:
    """Where a plugin's code runs (a hook, or what a hook handed over: an importer's ``read``,
    a reminder rule's ``due``, an exporter, a sender, a TUI column).

    What it prints goes to stderr: stdout is the command's (`--json` is JSON only; one printing
    made `import --json` and `reminders --json` text then JSON, exit 0).
    In the main thread only, where a command runs: ``sys.stdout`` is one for the whole process,
    and swapping it from another thread (the TUI's workers asking the plugins for a sort) put it
    back over what the main thread had set meanwhile (a command run in-process lost its output).

    Its ``os._exit(code)`` raises :class:`PluginExit`, its failure as ``sys.exit`` is (undone,
    reported by name): ``os._exit`` skips every handler, so it ended kehu at once with the
    plugin's code and no word, leaving what the hook had written (a ledger line) and the command
    unsaid (`purchase add` recorded the sale and never said so). A process the plugin forked
    still ends by it (its pid is another), as do other threads' and kehu's own calls.

    The threads it starts and leaves running (not daemons) are noted: kehu does not wait for
    them when the command ends.

    The working folder is the command's: one the plugin's code changes (``os.chdir`` to its own
    folder, to read a file beside it) is changed back. `kehu export --format csv out.csv` wrote
    the customers into the plugin's folder, saying "wrote 1 rows to out.csv", and `kehu import
    sheet.csv` found no such file. So are the environment (``os.environ``) and the umask
    (:func:`_process_state`): a plugin's ``os.umask(0)`` made every folder kehu made after it
    world-writable, and its ``os.environ['GIT_DIR']`` or ``['KEHU_TODAY']`` ran kehu's git on
    another repository and the later hooks at another day. So are Decimal's context and, in the
    main thread, the handlers of the signals that stop kehu (:data:`_STOPPING`), its timers
    (:func:`.plugin_process.timers`), ``sys.stderr``,
    ``sys.stdin``, the recursion limit and kehu's logging (:func:`.plugin_process.logging_state`), and the
    ``store`` it was given (:func:`as_given`); in another thread a timer that would end the
    process, and in `kehu serve`'s request threads kehu's logging and the standard streams, in
    the TUI's workers its logging (:class:`.plugin_process.Elsewhere`).

    With ``stdout_file``, what it writes to the process's stdout file itself goes to stderr too,
    where stdout is a pipe or a file (:func:`_stdout_file_aside`): a program it runs
    (``subprocess.run(["curl", …])``, a sync tool) and a write to file descriptor 1 made
    `customer list --json` text then JSON, exit 0. Not for kehu's own plugins, which write
    there never (:func:`kehus_own`: each time costs some 10 µs), nor for an exporter, whose
    target may be ``/dev/stdout``."""
    before = set(threading.enumerate())
    pid = os.getpid()
    folder = _working_folder()
    environment, mask = _process_state()
    main = threading.current_thread() is threading.main_thread()
    redirect = contextlib.redirect_stdout(sys.stderr) if main else contextlib.nullcontext()
    aside = _stdout_file_aside() if main and stdout_file else None
    handlers = tuple(signal.getsignal(s) for s in _STOPPING) if main else None
    timers = process.timers() if main else None
    # the process's streams and recursion limit: a plugin's `sys.stderr = io.StringIO()` (an
    # SDK quieting itself) swallowed every message of kehu's after it (an import's failed rows)
    streams = (sys.stderr, sys.stdin, sys.getrecursionlimit()) if main else None
    logs = process.logging_state() if main else None
    try:
        # Decimal's context a copy of kehu's (a hook's prec = 3 gave a sale 12 300 points, not 12 345)
        with redirect, plugin_exits(), localcontext(), as_given(store):
            yield
    finally:
        if os.getpid() != pid:
            _forked_child_ends()
        if aside is not None:
            _stdout_file_back(aside)
        for thread in threading.enumerate():
            if thread not in before and not thread.daemon:
                _plugin_threads.add(thread)
        if folder is not None and _working_folder() != folder:
            with contextlib.suppress(OSError):  # the folder itself removed meanwhile: nothing to go back to
                os.chdir(folder)
        _process_state_back(environment, mask)
        if handlers is not None:
            _signal_handlers_back(handlers)
        if timers is not None:
            process.timers_back(timers)
        if streams is not None:
            _streams_back(*streams)
        if logs is not None and process.logging_state() != logs:
            process.logging_back(logs)
        if not main:  # a served request's thread, the TUI's worker
            process.Elsewhere.leave()


def as_given(store: Any) -> contextlib.AbstractContextManager[Any]:
    """Where a plugin's code runs given ``store``: the store as it was given once the code
    returns (``Store.as_given``: its folder, day and settings a hook set put back); nothing for
    anything else given as the store."""
    keep = getattr(store, "as_given", None)
    return keep() if callable(keep) else contextlib.nullcontext()


#: the signals that stop kehu: a plugin's code setting their handlers (an SMS gateway's SDK
#: ignoring SIGINT) made a `kehu send` to a segment go on after Ctrl-C
_STOPPING = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


def _streams_back(stderr: Any, stdin: Any, depth: int) -> None:
    if sys.stderr is not stderr:
        sys.stderr = stderr
    if sys.stdin is not stdin:
        sys.stdin = stdin
    if sys.getrecursionlimit() != depth:
        sys.setrecursionlimit(depth)


def _signal_handlers_back(handlers: tuple[Any, ...]) -> None:
    for s, handler in zip(_STOPPING, handlers, strict=True):
        if handler is not None and signal.getsignal(s) is not handler:  # None: set outside Python
            signal.signal(s, handler)


def kehus_own(thing: Any) -> bool:
    """Whether ``thing`` — a plugin's module, a function or an object it handed over (a rule, a
    sender) — is of kehu's built-in plugins."""
    from .entrypoints import BUILT_IN_PACKAGE

    name = thing.__name__ if isinstance(thing, types.ModuleType) else str(getattr(thing, "__module__", None) or "")
    return name.split(".", 1)[0] == BUILT_IN_PACKAGE


def _stdout_file_aside() -> int | None:
    """File descriptor 1 pointed at stderr's file, kehu's own output written out first; a copy
    of what it was, to put back (:func:`_stdout_file_back`). None where stdout is a terminal (a
    person reads both there, and the TUI draws on it from a thread of its own) or either is
    closed."""
    try:
        if os.isatty(1):
            return None
        for stream in (sys.stdout, sys.__stdout__):
            if stream is not None:
                stream.flush()
        saved = os.dup(1)
    except (OSError, ValueError):
        return None
    try:
        os.dup2(2, 1)
    except OSError:
        os.close(saved)
        return None
    return saved


def _stdout_file_back(saved: int) -> None:
    """File descriptor 1 as :func:`_stdout_file_aside` found it; what the plugin left in Python's
    own stdout buffer (``sys.__stdout__``, past the redirect) goes to stderr with the rest."""
    with contextlib.suppress(OSError, ValueError):
        if sys.__stdout__ is not None:
            sys.__stdout__.flush()
    try:
        os.dup2(saved, 1)
    finally:
        os.close(saved)


def _process_state() -> tuple[dict[Any, Any], int]:
    """A copy of the environment (``os.environ``'s own mapping of bytes: a copy of that takes
    well under a microsecond, where decoding every variable took some 20) and kehu's umask, as
    the process had it before any plugin code ran (``yamlio.process_umask``, read once, the
    first time here: read each time by setting it, two threads entering at once could each take
    the other's passing mask for the one to put back, and keep it)."""
    # here, not at the top: the yamlio package loads the YAML readers, which `kehu --version`
    # and a search answered from the index never need (tests/test_startup.py)
    from .yamlio.atomic import process_umask

    return dict(_environment()), process_umask()


def _environment() -> dict[Any, Any]:
    return getattr(os.environ, "_data", os.environ)


def _process_state_back(environment: dict[Any, Any], mask: int) -> None:
    """The environment and umask as :func:`_process_state` saw them: what plugin code set or
    removed in ``os.environ`` undone (``TZ`` read again by the C library), its umask put back."""
    os.umask(mask)
    now = _environment()
    if now == environment:
        return
    decode = getattr(os.environ, "decodekey", lambda key: key)
    value_of = getattr(os.environ, "decodevalue", lambda value: value)
    zone = now.get(_TZ)
    for key in [key for key in now if key not in environment]:
        os.environ.pop(decode(key), None)
    for key, value in environment.items():
        if now.get(key) != value:
            os.environ[decode(key)] = value_of(value)
    if zone != environment.get(_TZ):
        import time

        time.tzset()


#: TZ as ``os.environ``'s own mapping keys it
_TZ: Any = getattr(os.environ, "encodekey", lambda key: key)("TZ")


def _working_folder() -> str | None:
    """The process's working folder, or None where it has none (removed while kehu runs)."""
    try:
        return os.getcwd()
    except OSError:
        return None


def threads_left_running() -> list[str]:
    """The names of the threads plugins started that still run (and are no daemons)."""
    return sorted(t.name for t in list(_plugin_threads) if t.is_alive() and not t.daemon)


def stops_kehu(exc: BaseException) -> bool:
    """Whether ``exc``, raised by a plugin's code, stops kehu as it stops any program: Ctrl-C
    (KeyboardInterrupt). Anything else is the plugin's failure, reported by its name while kehu
    goes on: an Exception, ``sys.exit`` (SystemExit), and a BaseException of its own (asyncio's
    CancelledError is one), which ended a command with a Python traceback — GeneratorExit too:
    every place that asks this runs the plugin's code to its end, never holding a generator of
    kehu's open at a ``yield``, so a GeneratorExit there is the plugin's own raise (it ended
    the command in a traceback)."""
    return isinstance(exc, KeyboardInterrupt)


def disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` is the store's disk (or the user's quota) full, met by a plugin's write
    (a points ledger, the index's kept values): not the plugin's failure but the command's,
    which then fails whole. Reported as the plugin's, the sale stood without its points, exit 0."""
    import errno

    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    from .index.connection import IndexFailure
    from .index.schema import full

    return isinstance(exc, IndexFailure) and bool(full(exc))


def _text(value: object, show: Callable[[object], str]) -> str:
    """``show(value)``, or what it is when that fails: a plugin's exception whose ``__str__``
    raises (or an exit code whose ``repr`` does) ended the command in "internal error" as its
    failure was being reported."""
    try:
        return show(value)
    except Exception:
        return _("<{kind} that cannot be shown>").format(kind=type(value).__name__)


def error_text(exc: BaseException) -> str:
    """A plugin's failure as the user reads it."""
    if isinstance(exc, SystemExit):
        return _("called {call}; kehu went on").format(call=f"sys.exit({_text(exc.code, repr)})")
    if isinstance(exc, PluginExit):
        return _("called {call}; kehu went on").format(call=f"os._exit({_text(exc.code, repr)})")
    if isinstance(exc, WrongResult):
        return _("wrong result: {error}").format(error=exc)
    if isinstance(exc, Meddled):
        return str(exc)
    if isinstance(exc, TooSlow):
        return _("ran for more than {seconds} s and was stopped (a hook is given at most that in `kehu sync` and in "
                 "a request to `kehu serve`, which may hold the store's lock meanwhile); it is not asked again in "
                 "this run").format(
            seconds=f"{exc.seconds:g}")
    return f"{type(exc).__name__}: {_text(exc, str)}"
