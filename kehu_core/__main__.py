"""The ``kehu`` command (its console script) and ``python -m kehu_core``."""

import codecs
import gc
import os
import sys

#: the ``-X`` option naming a process :func:`_utf8_names` started again in UTF-8 mode
_AGAIN = "kehu_ascii_locale"


def main() -> None:
    _utf8_names()
    # A command is a short process: the cyclic collector is held off while it imports (see
    # kehu_core.cli.hold_collector); only here, so a program importing kehu_core.cli keeps its own.
    gc.disable()
    from . import cli

    cli.hold_collector()
    cli.main()


def _utf8_names() -> None:
    """Run kehu in Python's UTF-8 mode under a bare C locale too.

    A store names its files in UTF-8 (``visits/王芳/``, ``templates/生日祝福.j2``, what git
    brings). Under ``LC_ALL=C`` Python names files in UTF-8 itself (its UTF-8 mode, PEP 540),
    unless ``PYTHONUTF8=0`` says otherwise (a cron job's or a service's environment, set for
    another program): then it names each byte past ASCII alone, and every name of the store
    past ASCII (a rep's folder, a template, a customer's ``附件/``, a path git prints, a journal's
    entry) was "not UTF-8 text" or "internal error: UnicodeEncodeError" wherever kehu met it.
    The process is started again, once, in UTF-8 mode (``-X utf8``: the same process id, its
    environment as given, so a program kehu runs has the ``PYTHONUTF8=0`` it was given), before
    kehu imports anything; what it prints stays in the locale's ASCII, escaped
    (:func:`_ascii_output`). Not from ``python -c`` or a script read from standard input (run
    again, it would not be the same), nor where Python names files otherwise (Windows: UTF-8;
    a GBK locale names them in GBK, as a terminal there types them)."""
    if _AGAIN in sys._xoptions:
        _ascii_output()
        return
    if (os.name != "posix" or sys.flags.utf8_mode or not sys.executable or not os.path.isfile(sys.argv[0])
            or codecs.lookup(sys.getfilesystemencoding()).name != "ascii"):
        return
    try:
        os.execv(sys.executable, [sys.executable, "-X", "utf8", "-X", _AGAIN, *sys.orig_argv[1:]])
    except OSError:  # not started again (no such interpreter any more): kehu runs as it was
        return


def _ascii_output() -> None:
    """Standard output and error as the locale has them, ASCII, what it cannot hold escaped
    (``\\u5f20\\u4e09``, as with ``PYTHONIOENCODING=ascii``): a C locale's terminal or log shows
    no UTF-8. Standard input stays UTF-8: a sheet piped in reads as the text it is."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(encoding="ascii", errors="backslashreplace")


if __name__ == "__main__":  # not when a worker process of kehu serve imports it (multiprocessing's spawn)
    main()
