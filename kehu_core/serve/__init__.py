"""``kehu serve``: the store's customers in the phone's contacts and their reminders in its
calendar, through CardDAV and CalDAV served by Radicale (docs/serve.md).

kehu is Radicale's storage, auth and rights backend (Radicale loads each from a module name):

* :mod:`.scope` — who is asking: a login of kehu.yaml ``serve: users:`` and what it may see;
* :mod:`.cards` — a customer as the phone sees it (the vCard, its revision) and a card coming
  back as a change of the customer, or a new customer;
* :mod:`.events` — the read-only calendar of a rep (reminders, birthdays, complaint deadlines);
* :mod:`.backend` — Radicale's ``Storage`` and the collections (address book, calendar);
* :mod:`.collection` — what those collections share: folders, sync states, lazily made items;
* :mod:`.access` — Radicale's ``Auth`` (htpasswd, bcrypt) and ``Rights``;
* :mod:`.server` — the WSGI app around Radicale (the request's client, refusals with their
  reason) and the HTTP server.

Radicale and vobject are imported only here, when ``kehu serve`` runs.
"""
