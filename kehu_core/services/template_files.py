"""Where message templates come from, and what they may do.

A store's ``templates/`` is shared through git like its records: a colleague's template
arrives with ``kehu sync`` and is rendered by ``kehu send`` (``--dry-run`` too) and the
referral thanks. Jinja2's plain environment lets a template reach Python itself
(``{{ cycler.__init__.__globals__.os.popen('…').read() }}`` ran a shell command of the
colleague's choosing on every machine that rendered it), and its file loader follows links
(a ``templates/x.j2`` pointing at a private file mailed that file to customers) and opens a
FIFO (waiting for ever). Templates are rendered here in Jinja2's immutable sandbox, with no
arithmetic that builds gigabytes, and read as records are read: never through a link in the
store, regular files only (:func:`kehu_core.yamlio.read_bytes`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2.loaders import split_template_path
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from ..errors import KehuError
from ..i18n import _
from ..yamlio import YamlFileError, read_bytes

if TYPE_CHECKING:
    from ..store import Store

#: the longest text or list a template's ``*`` may make, and the largest power ``**`` may take
MAX_REPEAT = 100_000
MAX_POWER = 100


class Sandbox(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox (no attribute of Python's internals, no changing of what the
    template is given), with ``*`` and ``**`` bounded: ``{{ 'x' * 10**10 }}`` took all memory."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) > MAX_POWER:
            raise SecurityError(_("a power over {most} is not allowed in a template").format(most=MAX_POWER))
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int) \
                        and len(seq) * times > MAX_REPEAT:
                    raise SecurityError(_("a text or list of over {most} items is not made in a "
                                          "template").format(most=MAX_REPEAT))
        return super().call_binop(context, operator, left, right)


class StoreLoader(jinja2.BaseLoader):
    """Templates from ``folders`` in order, each file read as a record file is: a link on the
    way from the store's root (``templates/`` itself, or a template) and anything but a
    regular file are refused with the file named, never followed or waited on."""

    def __init__(self, store: Store, folders: list[Path]) -> None:
        self.store, self.folders = store, folders

    def get_source(self, environment: jinja2.Environment, template: str
                   ) -> tuple[str, str, Callable[[], bool]]:
        pieces = split_template_path(template)  # no "..": never out of the folders
        for folder in self.folders:
            path = Path(folder, *pieces)
            if not os.path.lexists(path):
                continue
            if path.is_relative_to(self.store.root):
                problem = self.store.link_problem(path)
                if problem is not None:
                    raise KehuError(problem.render())
            try:
                data = read_bytes(path)
                text = data.decode("utf-8")
            except YamlFileError as exc:
                raise KehuError(exc.problem.render()) from None
            except UnicodeDecodeError as exc:
                raise KehuError(_("{path}: not valid UTF-8 (byte {at}); a template is text").format(
                    path=path, at=exc.start)) from None
            return text, str(path), lambda: True
        raise jinja2.TemplateNotFound(template)
