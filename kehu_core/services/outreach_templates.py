"""Message templates for a send: ``templates/<name>.j2`` in the store or a built-in one,
Jinja2 in a sandbox, with the customer's fields and values (:func:`context`)."""

from __future__ import annotations

import datetime as dt
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from ..errors import KehuError
from ..i18n import _
from ..paths import TEMPLATE_SUFFIX, TEMPLATES_DIR
from .template_files import Sandbox, StoreLoader, nested_message

if TYPE_CHECKING:
    from ..models import Customer
    from ..store import Store

BUILT_IN_TEMPLATES = Path(__file__).with_name("templates")
SUBJECT_PREFIXES = ("Subject:", "subject:", "主题:", "主题：")


@dataclass
class Rendered:
    subject: str
    body: str


def _finalize(value: Any) -> Any:
    return "" if value is None else value  # a missing optional field prints as nothing


def template_dirs(store: Store) -> list[Path]:
    return [store.root / TEMPLATES_DIR, BUILT_IN_TEMPLATES]


def available_templates(store: Store) -> list[str]:
    names = set()
    for folder in template_dirs(store):
        if folder.is_dir():
            names |= {p.name[: -len(TEMPLATE_SUFFIX)] for p in folder.glob(f"*{TEMPLATE_SUFFIX}")}
    return sorted(names)


class Template:
    """A message template: ``templates/<name>.j2`` in the store, else a built-in one.

    The first line may be ``Subject: ...`` (or ``主题: ...``); the body starts after the
    first empty line. Both are Jinja2 with the customer's fields (see :func:`context`).
    Unknown names are errors (StrictUndefined), so a typo never reaches a customer.
    """

    def __init__(self, store: Store, name: str):
        self.name = name
        path = Path(name)
        loader: jinja2.BaseLoader
        if path.suffix == TEMPLATE_SUFFIX and path.is_file():  # a file given by path
            self.name = path.name.removesuffix(TEMPLATE_SUFFIX)
            loader = StoreLoader(store, [path.parent.absolute()])
            source_name = path.name
        else:
            loader = StoreLoader(store, template_dirs(store))
            source_name = name + TEMPLATE_SUFFIX
        # a template may come from a colleague (templates/ is shared by kehu sync): sandboxed
        self.env = Sandbox(
            loader=loader, undefined=jinja2.StrictUndefined, finalize=_finalize,
            keep_trailing_newline=False, autoescape=False,
        )
        self.env.filters["money"] = lambda v: f"{float(v or 0):,.2f}"
        try:
            self.template = self.env.get_template(source_name)
        except jinja2.TemplateNotFound:
            known = ", ".join(available_templates(store)) or "none"
            raise KehuError(
                _("no template {name} (looked in {value} and the built-in ones); known: {known}").format(
                    name=repr(name), value=store.root / TEMPLATES_DIR, known=known)
            ) from None
        except jinja2.TemplateSyntaxError as exc:
            raise KehuError(_("{filename}:{lineno}: template error: {message}").format(
                filename=exc.filename, lineno=exc.lineno, message=exc.message)) from None
        except RecursionError:  # `{{ ((((…1)))) }}` 3 000 deep: Jinja's compiler recurses per level
            _source, filename, _uptodate = loader.get_source(self.env, source_name)
            raise KehuError(_("{filename}:{lineno}: template error: {message}").format(
                filename=filename, lineno=1, message=nested_message())) from None
        self.path = Path(self.template.filename or source_name)

    def render(self, values: dict[str, Any]) -> Rendered:
        try:
            text = self.env.render_bounded(self.template, values)
        except jinja2.TemplateError as exc:
            line = _template_line(exc, str(self.path))
            raise KehuError(_("{path}:{line}: template error: {exc}").format(
                path=self.path, line=line, exc=exc)) from None
        except KehuError:  # a template it includes, refused as it was read (a link, not UTF-8)
            raise
        except Exception as exc:  # noqa: BLE001 - what the template's own text does wrong
            # `{{ 1/0 }}`, `{{ "a" + 1 }}`, `{{ x|truncate(-5) }}`, `range(10**9)` past the
            # sandbox's bound: Python's errors, raised by the template's expressions on the
            # values given (a colleague's template, shared by kehu sync). They ended the send in
            # "internal error"; they are the template's error at its line, as Jinja's own are.
            line = _template_line(exc, str(self.path))
            raise KehuError(_("{path}:{line}: template error: {exc}").format(
                path=self.path, line=line, exc=f"{type(exc).__name__}: {exc}")) from None
        return split_subject(text)


def _template_line(exc: BaseException, filename: str) -> int:
    """The template line being rendered when ``exc`` happened (Jinja maps frames to it)."""
    line = 1
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == filename and frame.lineno:
            line = frame.lineno
    return line


def split_subject(text: str) -> Rendered:
    lines = text.lstrip("\n").split("\n")
    first = lines[0] if lines else ""
    for prefix in SUBJECT_PREFIXES:
        if first.startswith(prefix):
            body = "\n".join(lines[1:]).strip("\n")
            return Rendered(first[len(prefix):].strip(), body)
    return Rendered("", text.strip("\n"))


def context(store: Store, customer: Customer, today: dt.date, *, skip: Iterable[str] = ()) -> dict[str, Any]:
    """What a template can use: every profile field, plugin values (tier, points ...), and

    ``last_product``, ``last_purchase``, ``purchases``, ``revenue``, ``surname``, ``shop``,
    ``today``. The same dict is also available as ``customer``. ``skip``: plugins not asked
    for values (a plugin rendering a message from inside its own values).
    """
    values = customer.model_dump(mode="json")
    values.update(store.plugins.values(store, customer, skip=skip))
    values.setdefault("points", None)
    values.setdefault("tier", None)
    # from the index, not the YAML files: a segment can be thousands of customers
    row = store.index.get(customer.id)
    last_purchase = store.index.last_purchase(customer.id) or {}
    items = last_purchase.get("items") or []
    name = customer.name
    values.update(
        last_product=items[0]["name"] if items else None,
        last_purchase=last_purchase.get("date"),
        purchases=row.purchases if row else 0,
        revenue=float(row.revenue) if row else 0.0,
        # 赵敏 → 赵 (for 赵女士/赵先生); Emily Chen → Chen
        surname=name[0] if not name.isascii() else name.split()[-1],
        shop=store.config.name,
        today=today.isoformat(),
    )
    values["customer"] = dict(values)
    return values
