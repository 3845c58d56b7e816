"""The names kehu.yaml holds as text of one line: the shop's (a title: the TUI's, the
calendars', ``{{ shop }}`` in every message) and a rep's (a recipient of confidential fields, a
``kehu serve`` login's rep, the person a customer's ``owner`` names). Apart from config.py,
which holds the settings' models."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, TypeVar

from .i18n import _
from .keytext import key_text
from .models.hostile import BIDI_CONTROLS

if TYPE_CHECKING:
    from .errors import KehuError
    from .store import Store

#: the longest shop name: a customer's name's limit (``models.MAX_TEXT``)
SHOP_NAME_MAX = 200
#: what a shop's name never holds: it is a title of one line — the TUI's, the calendars'
#: (``X-WR-CALNAME``) and ``{{ shop }}`` in every message sent —, so no line break (one ended
#: `reminders --ics` and `export --format ics` in "internal error"), no control character
#: (an ESC drove the terminal, a message) and no half of a UTF-16 pair; the C0 and C1 controls
#: as ``models.hostile.CONTROL_CHARACTERS``, with tab, the line breaks and NEL, and the direction
#: controls a record's one-line texts refuse too (``models.hostile.NOT_IN_ONE_LINE``)
_NOT_IN_A_TITLE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff{BIDI_CONTROLS}]")


def rep_name_problem(name: object) -> str | None:
    """What is wrong with a rep's name written in kehu.yaml (a recipient of confidential
    fields, a ``kehu serve`` login's rep): it names the person a customer's ``owner`` names, so
    it keeps that rule — text that shows something, at most ``models.MAX_SHORT`` characters —,
    and is one line without control characters (`kehu keys add` took an ESC, printed back as it
    was, a line break, an empty name and 300 characters, and `kehu check` said ok)."""
    from .models import MAX_SHORT
    from .models.fields import shows_something

    if not isinstance(name, str) or not shows_something(name) or len(name) > MAX_SHORT or _NOT_IN_A_TITLE.search(name):
        return _("{name}: a rep's name is one line of at most {limit} characters that shows something, "
                 "without control characters (as a customer's owner)").format(name=repr(name), limit=MAX_SHORT)
    return None


V = TypeVar("V")


def as_stored(names: Mapping[str, V]) -> dict[str, V]:
    """``names`` (kehu.yaml's keys naming a rep, a member level: confidential recipients,
    ``credit: levels:``, the points plugin's multipliers) each as a customer's ``owner`` or
    ``level`` is stored (``keytext.key_text``: trimmed, composed). Written otherwise (`José`
    pasted decomposed from a macOS file name, `' 金卡 '`), the name matched no customer: a rep's
    key opened none of their customers, a level's credit limit held nobody (no limit at all),
    with `kehu check` ok. One name written twice so is a ValueError naming both."""
    out: dict[str, V] = {}
    spelt: dict[str, str] = {}
    for name, value in names.items():
        key = key_text(name) if isinstance(name, str) else name
        if key in out:
            raise ValueError(written_twice(name, spelt[key]))
        out[key], spelt[key] = value, name
    return out


def written_twice(name: object, other: object) -> str:
    """The message of one name of kehu.yaml written twice, ``name`` and ``other`` (:func:`as_stored`)."""
    return _("{name}: {other} written twice, typed two ways (spaces at its ends, or an accent "
             "as a mark of its own); keep one").format(name=repr(name), other=repr(other))


def shop_name(text: str) -> str:
    """``text`` (a folder's name, for ``kehu init``) as a shop's name: what a title cannot hold
    made a space, at most :data:`SHOP_NAME_MAX` characters."""
    return " ".join(_NOT_IN_A_TITLE.sub(" ", text).split())[:SHOP_NAME_MAX] or "kehu store"


def shop_name_problem(value: str) -> str | None:
    """What is wrong with kehu.yaml's ``name:`` (None: nothing)."""
    found = _NOT_IN_A_TITLE.search(value)
    if found is None:
        return None
    return _("holds U+{code:04X}; the shop's name is one line of text (the title of the TUI, the calendars "
             "and the messages sent): remove it").format(code=ord(found.group()))


def unknown_rep(store: Store, rep: str) -> KehuError:
    """What a command given a rep no customer has as owner says (`kehu handover 王方 …`, `kehu
    report reps --owner 王方`), with the reps there are and their customers' count: a typo'd
    rep's review was a row of zeros, exit 0, as if the rep had done nothing."""
    from collections import Counter

    from .errors import KehuError

    reps = Counter(r.customer.owner for r in store.index.list() if r.customer.owner)
    known = ", ".join(f"{name} ({n})" for name, n in reps.most_common()) or _("none")
    return KehuError(_("unknown rep {rep!r}: no customer has owner {rep!r}; "
                       "reps in this store: {known}").format(rep=rep, known=known))
