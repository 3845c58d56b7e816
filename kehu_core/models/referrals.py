"""Loops of referrals (A referred by B, B by A): the one rule every door asks (the CLI, the
TUI, an import, ``kehu check``), and what each says of one."""

from __future__ import annotations

from collections.abc import Callable

from ..i18n import _, ngettext


def referral_loop(customer_id: str, referrer: str | None,
                  referrer_of: Callable[[str], str | None]) -> list[str] | None:
    """The loop ``customer_id`` would close by naming ``referrer`` (``[A, B, A]``: A referred
    by B, B by A), or None. ``referrer_of`` gives each customer's referrer as stored (or as an
    import plans it). Follows the chain once, stopping at a customer seen before: a loop among
    others (a hand edit) never makes this run forever. The one rule for every door: CLI, TUI,
    import, and ``kehu check`` (:func:`referral_loops`)."""
    chain = [customer_id]
    seen = {customer_id}
    current = referrer
    while current:
        chain.append(current)
        if current == customer_id:
            return chain
        if current in seen:
            return None  # a loop further up the chain, not through this customer
        seen.add(current)
        current = referrer_of(current)
    return None


def referral_loops(referrers: dict[str, str]) -> list[list[str]]:
    """Every loop of referrals among ``referrers`` (customer id → referrer id), each once, as
    ``[A, B, A]`` starting at its smallest id; linear in the customers."""
    done: set[str] = set()
    loops: list[list[str]] = []
    for start in sorted(referrers):
        path: list[str] = []
        on_path: dict[str, int] = {}
        current: str | None = start
        while current is not None and current not in done and current not in on_path:
            on_path[current] = len(path)
            path.append(current)
            current = referrers.get(current)
        if current is not None and current in on_path:
            members = path[on_path[current]:]
            first = members.index(min(members))
            members = members[first:] + members[:first]
            loops.append([*members, members[0]])
        done.update(path)
    return loops


#: the ids a loop's message names at each end; between them, how many it leaves out (a loop of
#: 5 000 customers made by hand is 5 000 problems in ``kehu check``, each not 60 KB long)
_LOOP_ENDS = 4


def referral_loop_message(chain: list[str]) -> str:
    """What every door says of a loop of referrals."""
    if len(chain) > 2 * _LOOP_ENDS + 1:
        left = len(chain) - 2 * _LOOP_ENDS
        shown = " → ".join([*chain[:_LOOP_ENDS], ngettext("… {count} more …", "… {count} more …", left).format(
            count=left), *chain[-_LOOP_ENDS:]])
    else:
        shown = " → ".join(chain)
    return _("referrer {referrer!r}: a loop of referrals ({chain}); someone in it was referred by "
             "someone else, or by nobody").format(referrer=chain[1], chain=shown)
