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

What one message's render may take is bounded as a whole, not operator by operator, since a
template has many ways to ask for much: ``"x"|center(10**9)``, ``a ~ a`` doubled,
``|replace`` and ``|join`` of long texts took gigabytes; a loop in a loop of 100 000 rounds
each, or a macro calling itself twice, ran for ever; a macro calling itself once was an
"internal error". :meth:`Sandbox.render_bounded` counts loop rounds and calls (``MAX_STEPS``),
the text made (``MAX_MESSAGE_CHARS``) and, where the system lets a process bound its own
memory (Linux), the memory taken (``RENDER_MEMORY``); each is a template error at its line.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator
from jinja2.lexer import Token, TokenStream
from jinja2.loaders import split_template_path
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from ..errors import KehuError, Problem
from ..i18n import _
from ..paths import TEMPLATE_SUFFIX, TEMPLATES_DIR
from ..yamlio import YamlFileError, read_bytes
from ..yamlio.files import markers_message, opens_conflict

if TYPE_CHECKING:
    from ..store import Store

#: the longest text or list a template's ``*`` may make, and the largest power ``**`` may take
MAX_REPEAT = 100_000
MAX_POWER = 100
#: loop rounds and calls one message's render may make (a birthday greeting makes a few dozen)
MAX_STEPS = 1_000_000
#: the longest text one message may be: an email or a text message, far under a record's 2 MiB
MAX_MESSAGE_CHARS = 1_000_000
#: the memory one render may take beyond what kehu holds when it starts
RENDER_MEMORY = 256 * 2**20
#: the pieces (tags, names, numbers, operators, the texts between tags) a template is read as,
#: at most: Jinja compiles a template into Python code before any render's bound holds, and a
#: template of 200 000 `{{ name }}` (2 MB, under a record's limit) took 28 s and 2 GB to
#: compile. A birthday greeting is some fifty; 20 000 compile in about a second.
MAX_TOKENS = 20_000


class _OutputAtRenderTime(CodeGenerator):
    """Jinja's code generator, but an expression printed (``{{ "%0999999999d"|format(1) }}``) is
    worked out when the message is rendered, within its bounds, never while compiling, where
    Jinja works out the constant ones and no bound holds; literal text is still a constant."""

    def _output_child_to_const(self, node: nodes.Expr, frame: Any, finalize: Any) -> str:
        if not isinstance(node, nodes.TemplateData):
            raise nodes.Impossible()
        return super()._output_child_to_const(node, frame, finalize)  # type: ignore[no-any-return]


class Sandbox(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox (no attribute of Python's internals, no changing of what the
    template is given), with ``*`` and ``**`` bounded: ``{{ 'x' * 10**10 }}`` took all memory."""

    intercepted_binops = frozenset({"*", "**"})
    code_generator_class = _OutputAtRenderTime

    def _tokenize(self, source: str, name: str | None, filename: str | None = None,
                  state: str | None = None) -> TokenStream:
        """The template's pieces as the parser reads them, at most :data:`MAX_TOKENS`: the one
        past them is a syntax error at its line, before the parser has read on (or Jinja has
        compiled anything)."""
        return TokenStream(_at_most(super()._tokenize(source, name, filename, state), name, filename),
                           name, filename)

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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # not optimized: Jinja works out constant expressions (`{% set x = "%0999999999d"|format(1)
        # %}`) while it compiles, where no bound of a render holds
        super().__init__(*args, **{**kwargs, "optimized": False})
        self.steps = 0
        # lorem ipsum's paragraphs and words are the caller's to choose, a loop of its own
        self.globals.pop("lipsum", None)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """The template's tree with every ``{% for %}``'s items counted (:meth:`counted`)."""
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            counted = nodes.Call(nodes.EnvironmentAttribute("counted"), [loop.iter], [], None, None,
                                 lineno=loop.iter.lineno)
            loop.iter = counted.set_environment(self)
        return tree

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise SecurityError(_("a template may make at most {most} loop rounds and calls for one "
                                  "message").format(most=f"{MAX_STEPS:,}"))

    def counted(self, items: Iterable[Any]) -> Iterator[Any]:
        for item in items:
            self.step()
            yield item

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        self.step()
        return super().call(context, obj, *args, **kwargs)

    def render_bounded(self, template: jinja2.Template, values: dict[str, Any]) -> str:
        """``template`` rendered with ``values``, within the bounds of one message; a bound
        passed is a :class:`SecurityError` whose traceback holds the template's line."""
        self.steps = 0
        pieces: list[str] = []
        made = 0
        try:
            with _memory_bounded():
                rendering = template.generate(values)
                for piece in rendering:
                    made += len(piece)
                    if made > MAX_MESSAGE_CHARS:  # thrown in where the piece was made: its line
                        rendering.throw(SecurityError(_("a message may be at most {most} characters").format(
                            most=f"{MAX_MESSAGE_CHARS:,}")))
                    pieces.append(piece)
        except MemoryError as exc:
            raise SecurityError(_("a template may take at most {mb} MB of memory for one message").format(
                mb=RENDER_MEMORY // 2**20)).with_traceback(exc.__traceback__) from None
        except RecursionError as exc:
            raise SecurityError(_("a macro or a recursive loop calls itself without end")
                                ).with_traceback(exc.__traceback__) from None
        return "".join(pieces)


def _at_most(tokens: Iterable[Token], name: str | None, filename: str | None) -> Iterator[Token]:
    for count, token in enumerate(tokens):
        if count == MAX_TOKENS:
            raise jinja2.TemplateSyntaxError(_(
                "a template is read as at most {most} pieces (tags, names, numbers, operators, the texts between "
                "tags); this one is longer: a message needs far fewer").format(most=MAX_TOKENS),
                token.lineno, name, filename)
        yield token


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
            if path.is_relative_to(self.store.root):
                # before lexists(), which is False in a folder that cannot be entered: the shop's
                # own `birthday.j2` in an unreadable templates/ was passed over for the built-in
                # one, sent with exit 0; link_problem names that folder
                problem = self.store.link_problem(path)
                if problem is not None:
                    raise KehuError(problem.render())
            if not os.path.lexists(path):
                continue
            try:
                data = read_bytes(path)
                # a byte order mark (Windows Notepad's) is no part of the text, as in every record:
                # read as its first character, it hid the `Subject:` line in the message's body
                text = data.decode("utf-8").removeprefix("\ufeff")
            except YamlFileError as exc:
                raise KehuError(exc.problem.render()) from None
            except UnicodeDecodeError as exc:
                raise KehuError(f"{path}: {not_utf8(exc)}") from None
            marked = markers_problem(path, text)
            if marked is not None:
                raise KehuError(marked.render())
            return text, str(path), lambda: True
        raise jinja2.TemplateNotFound(template)


def not_utf8(exc: UnicodeDecodeError) -> str:
    return _("not valid UTF-8 (byte {at}); a template is text").format(at=exc.start)


def markers_problem(path: Path, text: str) -> Problem | None:
    """A template holding git's conflict markers (two clones changed it, and the merge was left
    open or committed as git left it), at the markers' first line: rendered, it sent every
    customer ``<<<<<<< HEAD`` and both versions of the text."""
    for number, line in enumerate(text.splitlines(), 1):
        if opens_conflict(line):
            return Problem(path, number, markers_message())
    return None


def nested_message() -> str:
    """A template nested past what Jinja's parser recurses through (about 12 calls a level:
    ``((((…1))))`` 100 deep), where Python's RecursionError ended `kehu send`."""
    return _("nested deeper than a template can be read")


def syntax_problem(path: Path, text: str) -> Problem | None:
    """What Jinja cannot compile in a template's text, at its line, as `kehu send` says it."""
    try:
        Sandbox().compile(text, filename=str(path))
    except jinja2.TemplateSyntaxError as exc:
        return Problem(path, exc.lineno or 1, _("template error: {message}").format(message=exc.message))
    except RecursionError:
        return Problem(path, 1, _("template error: {message}").format(message=nested_message()))
    return None


def store_template_problems(root: Path) -> list[Problem]:
    """What `kehu check` says of the store's own templates (``templates/``, shared by `kehu
    sync`): those holding git's conflict markers, text that is not UTF-8, and a ``.j2``
    template Jinja cannot compile, each of which every door reading a template refuses
    (:class:`StoreLoader`, :class:`.outreach_templates.Template`): `check` said ok of a
    template `kehu send` refused. Links and other kinds of file there are named by check's walk."""
    problems = []
    stack = [root / TEMPLATES_DIR]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue  # none, or not a folder: nothing to read (a link: named by check's walk)
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
            elif entry.is_file(follow_symlinks=False):
                path = Path(entry.path)
                try:
                    data = read_bytes(path)
                except (OSError, YamlFileError):
                    continue  # said by `kehu send` when it reads it
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError as exc:
                    if entry.name.endswith(TEMPLATE_SUFFIX):
                        problems.append(Problem(path, data.count(b"\n", 0, exc.start) + 1, not_utf8(exc)))
                    text = data.decode("utf-8", "replace")
                found = markers_problem(path, text)
                if found is None and entry.name.endswith(TEMPLATE_SUFFIX):
                    found = syntax_problem(path, text)
                if found is not None:
                    problems.append(found)
    return problems


@contextlib.contextmanager
def _memory_bounded() -> Iterator[None]:
    """The process's address space bounded to what it holds now and ``RENDER_MEMORY`` more, so
    an allocation past it is a MemoryError instead of the machine's memory; where the system
    has no such bound (or says nothing of the process's size), nothing is bounded."""
    limits = _address_space_bound()
    if limits is None:
        yield
        return
    import resource

    old, bound = limits
    resource.setrlimit(resource.RLIMIT_AS, (bound, old[1]))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, old)


def _address_space_bound() -> tuple[tuple[int, int], int] | None:
    """(the address space's limits now, the soft limit a render gets), or None: none to set."""
    try:
        import resource

        with open("/proc/self/statm", encoding="ascii") as statm:
            size = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, OSError, ValueError):
        return None
    bound = size + RENDER_MEMORY
    if hard != resource.RLIM_INFINITY:
        bound = min(bound, hard)
    if soft != resource.RLIM_INFINITY and soft <= bound:
        return None  # bounded as tightly already
    return (soft, hard), bound
