"""YAML aliases that expand without end ("billion laughs"), refused by every loader of
:mod:`kehu_core.yamlio` alike: one rule, one home."""

from __future__ import annotations

from typing import Any

from .i18n import _

__all__ = ["MAX_ALIAS_NODES", "may_alias", "refuse_alias_bombs"]

# A YAML alias (``*a``) repeats the node its anchor (``&a``) names; nine aliases of nine
# aliases ... ("billion laughs") are a file of a few hundred bytes that means 10⁹ values. The
# loaders share the repeated node rather than copy it, so nothing blows up while loading, but
# whatever walks the result (validation, the index, an export, a dump) would. One rule for every
# loader (:func:`refuse_alias_bombs`): aliases may repeat at most this many nodes in all.
MAX_ALIAS_NODES = 10_000


def may_alias(text: str | bytes) -> bool:
    """Whether ``text`` can hold an alias at all (an anchor ``&`` and an alias ``*``): a file
    without both is not walked, so big ledgers cost nothing more."""
    if isinstance(text, bytes):
        return b"&" in text and b"*" in text
    return isinstance(text, str) and "&" in text and "*" in text


def _children(node: Any) -> Any:
    value = node.value
    if not isinstance(value, list):  # a scalar
        return ()
    if value and isinstance(value[0], tuple):  # a mapping: (key, value) pairs
        return (n for pair in value for n in pair)
    return value


def refuse_alias_bombs(root: Any, error: type[Exception]) -> None:
    """Raise ``error`` (a PyYAML or ruamel ``MarkedYAMLError``) at the line of the node whose
    aliases take the repeated nodes of the document over :data:`MAX_ALIAS_NODES`, or of a node
    that holds an alias of itself (endless). ``root`` is a composed node graph (PyYAML's or
    ruamel's: an alias is the same node object reached again). Linear in the distinct nodes,
    without recursion (a hostile file nests thousands deep)."""
    sizes: dict[int, int] = {}  # the expanded size of each node done
    active: set[int] = set()    # the nodes on the path from the root (an alias of one: a loop)
    replayed = 0
    stack: list[list[Any]] = [[root, iter(_children(root)), 1]]
    active.add(id(root))
    while stack:
        frame = stack[-1]
        node = frame[0]
        for child in frame[1]:
            known = sizes.get(id(child))
            if known is not None:  # reached again: an alias, its whole expansion repeated
                replayed += known
                frame[2] += known
                if replayed > MAX_ALIAS_NODES:
                    raise error(None, None, _("aliases (*name) here repeat more than {limit} values "
                                              "in all (an alias bomb): write the values out instead")
                                .format(limit=MAX_ALIAS_NODES), node.start_mark)
                continue
            if id(child) in active:
                raise error(None, None, _("an alias (*name) here refers to the value that holds it "
                                          "(endless): remove the alias"), node.start_mark)
            active.add(id(child))
            stack.append([child, iter(_children(child)), 1])
            break
        else:
            stack.pop()
            active.discard(id(node))
            sizes[id(node)] = frame[2]
            if stack:
                stack[-1][2] += frame[2]
