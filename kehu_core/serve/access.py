"""Who may log in and what each login may do: Radicale's ``Auth`` and ``Rights`` backends
(``[auth] type = kehu_core.serve.access``, ``[rights] type = kehu_core.serve.access``).

A login is a user of the htpasswd file (bcrypt) *and* of kehu.yaml ``serve: users:``; a user
of the file alone cannot log in. A login sees its own principal only: its address book
(read-write) and its calendar (read-only); which customers are in them is the scope
(:mod:`kehu_core.serve.scope`): a rep's own, or everyone's for a supervisor.
"""

from __future__ import annotations

import time
from typing import Any

from radicale import pathutils, rights
from radicale.auth import htpasswd

from .scope import ADDRESS_BOOK, CALENDAR, served


class Auth(htpasswd.Auth):
    """The htpasswd file, limited to the logins kehu.yaml maps to a rep or a supervisor."""

    def __init__(self, configuration: Any) -> None:
        super().__init__(configuration)
        if configuration.get("auth", "cache_logins") and not getattr(self, "_cache_logins", True):
            # Radicale keeps logins only for its own types, not for one loaded by module name;
            # without it each request of a phone's sync pays a bcrypt check (~0.25 s, or more)
            self._cache_logins = True
            self._cache_successful_logins_expiry = configuration.get("auth", "cache_successful_logins_expiry")
            self._cache_failed_logins_expiry = configuration.get("auth", "cache_failed_logins_expiry")
            self._cache_successful: dict[str, Any] = {}
            self._cache_failed: dict[str, Any] = {}
            self._cache_failed_logins_salt_ns = time.time_ns()

    def _login(self, login: str, password: str) -> str:
        if served().user(login) is None:
            return ""
        return super()._login(login, password)


class Rights(rights.BaseRights):
    def authorization(self, user: str, user_groups: set, path: str) -> str:
        if not user or served().user(user) is None:
            return ""
        sane = pathutils.strip_path(path)
        if not sane:
            return "R"
        parts = sane.split("/")
        if parts[0] != user:
            return ""  # another login's collections: not even their names
        if len(parts) == 1:
            return "R"
        if len(parts) == 2 and parts[1] == ADDRESS_BOOK:
            return "rw"
        if len(parts) == 2 and parts[1] == CALENDAR:
            return "r"
        return ""
