"""What kehu says of the customers a list, a search, an export, a segment or a report leaves
out because their ``customer.yaml`` has a problem (``Index.unlisted`` counts them): one home
for the words, so the CLI, the TUI and every command that enumerates customers say the same,
and never drop a broken profile unseen (issue 16). ``kehu check`` says what each problem is.
So too of the records (a purchase, a complaint) whose file has a problem (:func:`unread_records`)."""

from __future__ import annotations

from .i18n import Nn_, ngettext

LISTED = "listed"  # customer list, search, visits plan, the TUI's list
EXPORTED = "exported"  # kehu export, every format
SEGMENTS = "segments"  # segment show, send
COUNTED = "counted"  # every report
REMINDED = "reminded"  # kehu reminders (and --day-list, Today's list)
SERVED = "served"  # kehu serve's address book and calendar (its log)
SKIPPED = "skipped"  # a command that writes for every customer: points rebuild, tier record


#: each kind's sentence, for one customer and for several (Nn_ marks them for the catalog)
_SENTENCES: dict[str, tuple[str, str]] = {
    LISTED: Nn_(
        "{count} customer is not listed: their customer.yaml has a problem (`kehu check` shows "
        "it)",
        "{count} customers are not listed: their customer.yaml has a problem (`kehu check` shows "
        "each)"),
    EXPORTED: Nn_(
        "{count} customer is not exported: their customer.yaml has a problem (`kehu check` shows "
        "it)",
        "{count} customers are not exported: their customer.yaml has a problem (`kehu check` "
        "shows each)"),
    SEGMENTS: Nn_(
        "{count} customer is in no segment: their customer.yaml has a problem (`kehu check` shows "
        "it)",
        "{count} customers are in no segment: their customer.yaml has a problem (`kehu check` "
        "shows each)"),
    # a report still counts their purchases (the index keeps them), not what their profile
    # says (a name, an owner, tags, a stage): customers counted by profile leave them out
    COUNTED: Nn_(
        "{count} customer's profile is left out of this report (not their purchases): their "
        "customer.yaml has a problem (`kehu check` shows it)",
        "{count} customers' profiles are left out of this report (not their purchases): their "
        "customer.yaml has a problem (`kehu check` shows each)"),
    REMINDED: Nn_(
        "{count} customer has no reminders here: their customer.yaml has a problem (`kehu check` "
        "shows it)",
        "{count} customers have no reminders here: their customer.yaml has a problem (`kehu "
        "check` shows each)"),
    SERVED: Nn_(
        "{count} customer is not in the address book or the calendar: their customer.yaml has a "
        "problem (`kehu check` shows it)",
        "{count} customers are not in the address book or the calendar: their customer.yaml has a "
        "problem (`kehu check` shows each)"),
    SKIPPED: Nn_(
        "{count} customer is left out of this run: their customer.yaml has a problem (`kehu "
        "check` shows it)",
        "{count} customers are left out of this run: their customer.yaml has a problem (`kehu "
        "check` shows each)"),
}


def left_out(count: int, kind: str = LISTED) -> str | None:
    """The sentence for ``count`` customers left out of a ``kind`` of output, or None for none."""
    if not count:
        return None
    singular, plural = _SENTENCES.get(kind, _SENTENCES[LISTED])
    return ngettext(singular, plural, count).format(count=count)


def unread_records(count: int) -> str | None:
    """The sentence for ``count`` records (a purchase, a complaint, a visit) that an output
    counting records leaves out because their file has a problem (``Index.unread_records``):
    every report, the reminders, the complaints' list; None for none."""
    if not count:
        return None
    return ngettext(
        "{count} record (a purchase, a complaint, a visit ...) is left out: its file has a problem "
        "(`kehu check` shows it)",
        "{count} records (purchases, complaints, visits ...) are left out: their files have a problem "
        "(`kehu check` shows each)", count).format(count=count)


def unread_folders(count: int) -> str | None:
    """The sentence for ``count`` folders of customers that cannot be read (``Index.unread_folders``):
    said with every output of customers beside :func:`left_out`'s (how many customers are in them
    nobody can tell), None for none."""
    if not count:
        return None
    return ngettext(
        "{count} folder of customer records cannot be read (no permission): the customers in it are left "
        "out (`kehu check` names it)",
        "{count} folders of customer records cannot be read (no permission): the customers in them are left "
        "out (`kehu check` names each)", count).format(count=count)
