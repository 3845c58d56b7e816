"""What kehu says of the customers a list, a search, an export, a segment or a report leaves
out because their ``customer.yaml`` has a problem (``Index.unlisted`` counts them): one home
for the words, so the CLI, the TUI and every command that enumerates customers say the same,
and never drop a broken profile unseen (issue 16). ``kehu check`` says what each problem is."""

from __future__ import annotations

from .i18n import ngettext

LISTED = "listed"  # customer list, search, visits plan, the TUI's list
EXPORTED = "exported"  # kehu export, every format
SEGMENTS = "segments"  # segment show, send
COUNTED = "counted"  # every report
REMINDED = "reminded"  # kehu reminders (and --day-list, Today's list)
SERVED = "served"  # kehu serve's address book and calendar (its log)
SKIPPED = "skipped"  # a command that writes for every customer: points rebuild, tier record


def left_out(count: int, kind: str = LISTED) -> str | None:
    """The sentence for ``count`` customers left out of a ``kind`` of output, or None for none."""
    if not count:
        return None
    if kind == EXPORTED:
        text = ngettext("{count} customer is not exported: their customer.yaml has a problem (`kehu check` "
                        "shows it)", "{count} customers are not exported: their customer.yaml has a problem "
                        "(`kehu check` shows each)", count)
    elif kind == SEGMENTS:
        text = ngettext("{count} customer is in no segment: their customer.yaml has a problem (`kehu check` "
                        "shows it)", "{count} customers are in no segment: their customer.yaml has a problem "
                        "(`kehu check` shows each)", count)
    elif kind == COUNTED:
        # a report still counts their purchases (the index keeps them), not what their profile
        # says (a name, an owner, tags, a stage): customers counted by profile leave them out
        text = ngettext("{count} customer's profile is left out of this report (not their purchases): their "
                        "customer.yaml has a problem (`kehu check` shows it)", "{count} customers' profiles "
                        "are left out of this report (not their purchases): their customer.yaml has a problem "
                        "(`kehu check` shows each)", count)
    elif kind == REMINDED:
        text = ngettext("{count} customer has no reminders here: their customer.yaml has a problem (`kehu "
                        "check` shows it)", "{count} customers have no reminders here: their customer.yaml has "
                        "a problem (`kehu check` shows each)", count)
    elif kind == SERVED:
        text = ngettext("{count} customer is not in the address book or the calendar: their customer.yaml has "
                        "a problem (`kehu check` shows it)", "{count} customers are not in the address book or "
                        "the calendar: their customer.yaml has a problem (`kehu check` shows each)", count)
    elif kind == SKIPPED:
        # nothing is written for them (no points awarded, no tier move recorded): a later run
        # once the file is mended does it, as these commands are safe to run again
        text = ngettext("{count} customer is left out of this run: their customer.yaml has a problem (`kehu "
                        "check` shows it)", "{count} customers are left out of this run: their customer.yaml "
                        "has a problem (`kehu check` shows each)", count)
    else:
        text = ngettext("{count} customer is not listed: their customer.yaml has a problem (`kehu check` "
                        "shows it)", "{count} customers are not listed: their customer.yaml has a problem "
                        "(`kehu check` shows each)", count)
    return text.format(count=count)
