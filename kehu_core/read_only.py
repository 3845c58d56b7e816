"""The store's settings as every plugin sees them: read-only (:func:`read_only`).

A store's settings (``store.config``, what kehu.yaml says) and each plugin's (``plugin_settings``)
are one object for the whole command, handed to every plugin's code. A hook changing a value
inside them (``store.config.visits.day_limit = 1``, a plugin's settings ``per_amount = 100``, a
list of them appended to) changed it for every plugin after it and the rest of the command: an
import's later rows earned a hundred times their points, without a word (``Store.as_given``
puts back a replaced ``store.config``, not a change made inside it). Made read-only once as they
are read, each such change is refused where it is made, the plugin's failure, named; nothing is
paid for each hook (a copy, or a comparison, for each of 10 000 customers would be)."""

from __future__ import annotations

import copy
from typing import Any, NoReturn, TypeVar

from pydantic import BaseModel

from .i18n import _

T = TypeVar("T")


class ReadOnlySettings(TypeError):
    """A change of the store's settings (or a plugin's) where they are read-only."""

    def __str__(self) -> str:
        return _("the store's settings (store.config, plugin_settings) are read-only: a change there was "
                 "seen by every other plugin and the rest of the command; keep a value of your own instead")


def _refuse(*args: Any, **kwargs: Any) -> NoReturn:
    raise ReadOnlySettings


class ReadOnlyDict(dict[Any, Any]):
    """A dict of the settings: read as any dict, changed by none (a copy of it is a plain dict)."""

    __slots__ = ()
    __setitem__ = __delitem__ = __ior__ = clear = pop = popitem = setdefault = update = _refuse

    def __copy__(self) -> dict[Any, Any]:
        return dict(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[Any, Any]:
        return {copy.deepcopy(k, memo): copy.deepcopy(v, memo) for k, v in self.items()}

    def __reduce__(self) -> tuple[Any, ...]:
        return dict, (dict(self),)


class ReadOnlyList(list[Any]):
    """A list of the settings: read as any list, changed by none (a copy of it is a plain list)."""

    __slots__ = ()
    __setitem__ = __delitem__ = __iadd__ = __imul__ = append = clear = extend = insert = pop = remove = \
        reverse = sort = _refuse

    def __copy__(self) -> list[Any]:
        return list(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> list[Any]:
        return [copy.deepcopy(v, memo) for v in self]

    def __reduce__(self) -> tuple[Any, ...]:
        return list, (list(self),)


#: a model's class → its read-only subclass (made once a class, on first use)
_READ_ONLY: dict[type, type] = {}


def read_only(value: T) -> T:
    """``value`` made read-only throughout, in place where it is a model (returned): its fields
    and extra values not to be set, its dicts and lists not to be changed, its sets frozen. What
    is already read-only is returned as it is."""
    return _made(value, 0)  # type: ignore[no-any-return]


def _made(value: Any, depth: int) -> Any:
    if depth > 200:  # (settings are held to a record's nesting when read: never met)
        return value
    kind = type(value)
    if kind in _KEPT or kind in _READ_ONLY.values():
        return value
    if isinstance(value, BaseModel):
        for key, item in vars(value).items():
            vars(value)[key] = _made(item, depth + 1)
        extra = value.__pydantic_extra__
        if extra is not None:
            object.__setattr__(value, "__pydantic_extra__", ReadOnlyDict(
                (k, _made(v, depth + 1)) for k, v in extra.items()))
        made = _read_only_class(kind)
        if made is not None:
            value.__class__ = made
        return value
    if isinstance(value, dict):
        return ReadOnlyDict((k, _made(v, depth + 1)) for k, v in value.items())
    if isinstance(value, list):
        return ReadOnlyList(_made(v, depth + 1) for v in value)
    if isinstance(value, tuple) and kind is tuple:
        return tuple(_made(v, depth + 1) for v in value)
    if isinstance(value, set):
        return frozenset(value)
    return value


_KEPT = (str, int, float, bool, type(None), ReadOnlyDict, ReadOnlyList, frozenset, bytes)


def _read_only_class(model: type[BaseModel]) -> type[BaseModel] | None:
    """The read-only subclass of ``model``; None when it cannot be made (a third party's
    settings model refusing subclasses: its ``__init_subclass__``), its fields then settable as
    before, never a failure of the settings it holds."""
    made = _READ_ONLY.get(model)
    if made is None and model in _UNMADE:
        return None
    if made is None:
        def __eq__(self: BaseModel, other: object) -> bool:  # noqa: N807  # equal to the model read again
            if not isinstance(other, BaseModel):
                return NotImplemented
            return (_plain(type(self)) is _plain(type(other)) and vars(self) == vars(other)
                    and self.__pydantic_extra__ == other.__pydantic_extra__)

        def __reduce__(self: BaseModel) -> tuple[Any, ...]:  # noqa: N807  # pickled as its model's
            return _unpickled, (model, self.__getstate__())

        namespace = {"__module__": model.__module__, "__qualname__": model.__qualname__, "__doc__": model.__doc__,
                     "__setattr__": _refuse, "__delattr__": _refuse, "__eq__": __eq__, "__hash__": None,
                     "__reduce__": __reduce__}
        try:
            made = type(model)(model.__name__, (model,), namespace)
        except Exception:
            _UNMADE.add(model)
            return None
        _READ_ONLY[model] = made
    return made


#: the models whose read-only subclass could not be made (asked once)
_UNMADE: set[type] = set()


def _plain(kind: type) -> type:
    """The model a read-only class is made of (or ``kind`` itself)."""
    return next((m for m, r in _READ_ONLY.items() if r is kind), kind)


def _unpickled(model: type[BaseModel], state: dict[str, Any]) -> BaseModel:
    made = model.__new__(model)
    made.__setstate__(state)
    return made
