"""A phone's card whose customer is still in the store under another card: merged into another
(``kehu customer merge``) or given a new id (``kehu customer reid``), and what the phone is told
of it (:func:`gone`). Beside :mod:`.cards`, whose reading of a card it uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import KehuError
from ..i18n import _
from .cards import href_of, read_card
from .scope import Refused, Scope

if TYPE_CHECKING:
    from ..store import Store


def gone(store: Store, scope: Scope, href: str, uid: str, sent: str | None = None) -> str | None:
    """Why there is no card at ``href`` (or of ``uid``) any more, when its customer is still in
    the store under another card: merged into another (``kehu customer merge``: its id under
    that one's ``also_known``) or given a new id (``kehu customer reid``). A phone's edit of
    such a card, sent after its last sync, made a new customer of it (the one merged away back,
    the card's old id as its UID) or was refused as a bare "Precondition failed", and the
    phone dropped the edit; now it is told where the customer went. The kept customer is named
    only to a login that sees them (a rep's customer merged into another rep's is not).

    A card still at ``href`` whose id was given away (reid) and is now another customer's (the
    other clone's, which had the id too) is gone as well for a phone whose card (``sent``) is
    not plainly the one there now (:func:`_taken_over`): an edit sent without If-Match was
    taken as an edit of that other person."""
    from ..ids import check_id
    from ..services import gitops

    stem = href.removesuffix(".vcf")
    ids = [i for i in dict.fromkeys((stem, uid)) if i and _id_like(i, check_id)]
    if not ids:
        return None
    if store.exists(stem):  # the card is there: a stale If-Match, unless its id changed hands
        return _taken_over(store, scope, stem, sent) if sent is not None and stem in ids else None
    kept = next(((old, into[0]) for old in ids if (into := store.index.merged_into(old))), None)
    merged = kept is not None
    if kept is None and gitops.repo_problem(store.root) is None:
        kept = next(((old, new) for old in ids if (new := _new_id_of(store, old))
                     and store.exists(new)), None)
    if kept is None:
        return None
    old, now = kept
    said = (_("customer {old} was merged into {where}").format(old=old, where=_where(store, scope, now))
            if merged else _given_another_id(store, scope, old, now))
    return _("{said}; nothing was changed: make the change on that contact after the next sync").format(said=said)


def _where(store: Store, scope: Scope, now: str) -> str:
    customer = store.get(now)
    if not scope.sees(customer.owner):
        return _("a customer of another rep's")
    return _("{name} ({id}), whose card is {href}").format(name=customer.name, id=now, href=href_of(customer))


def _given_another_id(store: Store, scope: Scope, old: str, new: str) -> str:
    """What a phone is told of customer ``old`` given the id ``new`` (``kehu customer reid``):
    said alike whether the card is gone or its id is another customer's now."""
    return _("customer {old} now has another id: {where}").format(old=old, where=_where(store, scope, new))


def _taken_over(store: Store, scope: Scope, old: str, sent: str) -> str | None:
    """Why a phone's card of ``old`` (``sent``) is not the card at ``<old>.vcf`` now: the
    customer it was of was given a new id (``kehu customer reid``, its commit's line) and the
    id is another customer's since. The phone's card is taken as the one there now only when it
    names that customer and not the one who moved (the same name on both: not known, refused;
    an edit of the customer there sent with the card's ETag is always taken)."""
    from ..services import gitops

    if gitops.repo_problem(store.root) is not None:
        return None
    new = _new_id_of(store, old)
    if new is None or not store.exists(new):
        return None
    try:
        name = read_card(sent).fields.get("name")
    except Refused:
        name = None
    name = name.strip() if isinstance(name, str) else name
    if name == store.get(old).name and name != store.get(new).name:
        return None
    said = _given_another_id(store, scope, old, new)
    return _("{said}, and {href} is another customer's card now; nothing was changed: make the change on "
             "that contact after the next sync").format(said=said, href=f"{old}.vcf")


def _new_id_of(store: Store, old: str) -> str | None:
    """The id customer ``old`` was given (``kehu customer reid``), as the reid commits of this
    clone's history say (their ``Kehu-Reid: OLD -> NEW`` line), a chain followed to its end."""
    import re

    from ..services import gitops
    from ..services.customer_reid import TRAILER

    seen: set[str] = set()
    now = old
    while now not in seen:
        seen.add(now)
        said = gitops.run(store.root, "log", "-1", "--format=%B", "--grep", f"^{TRAILER}: {re.escape(now)} -> ",
                          check=False).stdout
        found = re.search(rf"^{TRAILER}: {re.escape(now)} -> (\S+)$", said, re.M)
        if found is None:
            break
        now = found.group(1)
    return None if now == old else now


def _id_like(text: str, check: Any) -> bool:
    try:
        check(text)
    except (ValueError, KehuError):
        return False
    return True
