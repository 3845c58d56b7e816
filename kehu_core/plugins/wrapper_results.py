"""What a hook wrapper may do: yield once, and return a list of results each of its hook's
type (``results.check_result``)."""

from __future__ import annotations

from typing import Any

from ..i18n import _
from ..plugin_code import WrongResult
from .results import check_result, kind_of


def check_results(hook: str, results: Any) -> list[Any]:
    """What a wrapper of ``hook`` returns: the list of the implementations' results, each of
    them what ``hook`` may return."""
    if not isinstance(results, list):
        raise WrongResult(_("returned {kind}, expected the list of results it wrapped").format(kind=kind_of(results)))
    for result in results:
        check_result(hook, result)
    return results


def started(gen: Any) -> Any:
    """A wrapper's generator, run up to its ``yield``."""
    try:
        next(gen)
    except StopIteration:
        raise WrongResult(_("the wrapper did not yield")) from None
    return gen


def finished(gen: Any, hook: str, inner: Any) -> Any:
    """A new-style wrapper's result, given the result it wrapped."""
    try:
        gen.send(inner)
    except StopIteration as stop:
        return check_results(hook, stop.value)
    gen.close()
    raise WrongResult(_("the wrapper yielded more than once"))


def finished_old(gen: Any, outcome: Any) -> None:
    """An old-style wrapper's second half (it may change ``outcome``)."""
    try:
        gen.send(outcome)
    except StopIteration:
        return
    gen.close()
    raise WrongResult(_("the wrapper yielded more than once"))
