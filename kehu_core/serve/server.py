"""``kehu serve``: Radicale on the store, behind a small WSGI app of kehu's.

The app notes what a storage backend cannot see (the client, for the vCard version) and
answers a request kehu refused (:class:`kehu_core.serve.scope.Refused`: a card it cannot
accept, a stale or duplicate contact, a deletion) with its status and reason, instead of
Radicale's bare "Bad Request".
"""

from __future__ import annotations

import contextlib
import functools
import logging
import socket
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from ..errors import KehuError, os_error_text
from ..i18n import _
from . import scope
from .backend import gone_at
from .intake import content_length, screen_request
from .scope import Refused, Served, begin_request, request, serve_store

logger = logging.getLogger("kehu.serve")


class _QuietRefusals(logging.Filter):
    """Radicale logs a refusal of kehu's as a failed request (with a traceback); the app logs
    it once, with its reason, instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno < logging.WARNING or request().refusal is None

if TYPE_CHECKING:
    from ..store import Store

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5232  # Radicale's
CLIENT_TIMEOUT = 30.0  # seconds a client may take to send its request line and headers
#: the least rate a request's body must come at, once its headers are in (bytes a second): a
#: client sending its body a byte at a time held a worker for as long as it liked, as the
#: socket's timeout is per read. A phone on a poor line sends a card (a few KB) or a multiget
#: of a whole book (5 MB at 100 000 customers) far faster.
MIN_BODY_RATE = 64 * 1024

#: the connection a worker thread is reading a request from, and the timer that cuts it when
#: its request line and headers have not all come within CLIENT_TIMEOUT (see _headers_deadline)
_reading = threading.local()
#: requests answered at once (each thread opens the store once for itself)
WORKERS = 4


def radicale_config(served: Served, host: str, port: int) -> Any:
    from radicale import config

    configuration = config.load()
    configuration.update({
        # Radicale checks its own server's address, which kehu does not use (port 0: any free one)
        "server": {"hosts": f"{host}:{port or DEFAULT_PORT}"},
        "auth": {"type": "kehu_core.serve.access", "htpasswd_filename": str(served.htpasswd),
                 "htpasswd_encryption": "bcrypt", "delay": "1",
                 # a bcrypt check costs ~0.25 s; a phone's sync is many requests in a row
                 "cache_logins": "True", "cache_successful_logins_expiry": "60"},
        "rights": {"type": "kehu_core.serve.access"},
        "storage": {"type": "kehu_core.serve.backend", "filesystem_folder": str(served.store.state_dir / "serve")},
        "web": {"type": "none"},
        "logging": {"level": "warning", "mask_passwords": "True"},
    }, "kehu serve", privileged=True)
    return configuration


def _hooks_bounded() -> contextlib.AbstractContextManager[None]:
    """Around a request: each call of an installed plugin's hook runs at most the seconds
    it may in `kehu sync` (``sync.PLUGIN_HOOK_SECONDS``, ``PluginHost.bounded``). A hook that
    never returned (a customer's values for a card, a rule checking a card a phone sent)
    held its request for ever, and a write's the store's lock: every rep's phone and every
    `kehu` command on the store refused from then on, with nobody there to see why."""
    from ..services import sync

    plugins = scope.served().store.plugins
    return plugins.bounded(sync.PLUGIN_HOOK_SECONDS) if plugins is not None else contextlib.nullcontext()


class KehuApp:
    """The WSGI app: Radicale, with the request's client noted and kehu's refusals answered."""

    def __init__(self, radicale: Callable[..., Iterable[bytes]]) -> None:
        self.radicale = radicale

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with scope.served().answering(), _hooks_bounded():  # the warm-up makes way (Served.quiet)
            return self._answer(environ, start_response)

    def _answer(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        timer = getattr(_reading, "timer", None)
        if timer is not None:  # the request line and headers came in time
            timer.cancel()
        request = begin_request(environ.get("HTTP_USER_AGENT", ""), environ.get("HTTP_IF_MATCH", ""))
        try:
            with _body_deadline(environ):
                screen_request(environ)  # kehu import's limits, before Radicale reads the body
        except Refused as refusal:
            return self._refuse(environ, refusal, start_response)
        answered: dict[str, Any] = {}

        def hold(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            answered["status"], answered["headers"] = status, headers
            return lambda data: None

        body = self.radicale(environ, hold)
        refusal = request.refusal
        status = answered.get("status", "")
        if refusal is None and status.startswith("400") and environ.get("REQUEST_METHOD") == "PUT":
            # Radicale could not parse the body before kehu saw it
            refusal = Refused(400, request.unreadable or _(
                "kehu cannot read this: it is not one well-formed vCard (BEGIN:VCARD ... END:VCARD) or "
                "iCalendar object; nothing was changed"))
        if refusal is None and (environ.get("REQUEST_METHOD"), status[:3]) in (("PUT", "412"), ("DELETE", "404")):
            why = gone_at(environ.get("PATH_INFO", ""))  # a card whose customer was merged or given a new id
            if why is not None:
                refusal = Refused(int(status[:3]), why)
        if refusal is not None and not status.startswith("2"):
            return self._refuse(environ, refusal, start_response)
        headers = answered["headers"]
        if environ.get("REQUEST_METHOD") == "PUT" and status.startswith("2"):
            # the card kept is kehu's rendering of the customer (phones as E.164, kehu's NOTE
            # block), not the bytes sent: RFC 7231 4.3.4 says no validator then, and clients
            # (vdirsyncer, DAVx5) fetch the card as stored with their next sync
            headers = [(name, value) for name, value in headers if name.lower() not in ("etag", "last-modified")]
        start_response(answered["status"], headers)
        return body

    @staticmethod
    def _refuse(environ: dict[str, Any], refusal: Refused, start_response: Callable[..., Any]) -> list[bytes]:
        logger.warning("kehu serve: refused %s %s: %s", environ.get("REQUEST_METHOD"),
                       environ.get("PATH_INFO"), refusal.reason)
        text = (refusal.reason + "\n").encode("utf-8")
        headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(text)))]
        if refusal.status == HTTPStatus.SERVICE_UNAVAILABLE:  # busy, not broken: when to ask again
            headers.append(("Retry-After", str(RETRY_AFTER_SECONDS)))
        start_response(f"{refusal.status} {HTTPStatus(refusal.status).phrase}", headers)
        return [text]


#: when a client refused because another kehu process held the store is told to ask again
RETRY_AFTER_SECONDS = 30


def check(store: Store) -> Served:
    """The store's ``serve:`` settings, or KehuError saying what is missing."""
    settings = store.config.serve
    where = store.root / "kehu.yaml"
    if settings is None or not settings.users:
        raise KehuError(_("{where}: serve: no users; add serve: {{htpasswd: FILE, users: {{LOGIN: {{rep: NAME}}}}}} "
                          "(see docs/serve.md)").format(where=where))
    served = Served(store, settings)
    if not served.htpasswd.is_file():
        import os

        from ..yamlio import special_kind

        try:  # a FIFO, a folder: said as what it is ("does not exist" sent people looking for it)
            what = _("is {what}, not a file").format(what=special_kind(os.stat(served.htpasswd).st_mode))
        except OSError:
            what = _("does not exist")
        raise KehuError(_("{where}: serve.htpasswd: {file} {what}; make it with "
                          "`htpasswd -B -c FILE LOGIN` (bcrypt)").format(where=where, file=served.htpasswd, what=what))
    return served


def _server_class() -> type:
    """A WSGI server answering up to :data:`WORKERS` requests at once, each on a thread of a
    fixed pool: a phone fetching a big address book does not hold up another rep's calendar.
    The threads live as long as the server, so each keeps the store it opened (its SQLite
    connection, see :class:`kehu_core.serve.scope.Served`). Each connection gets a time limit,
    so a stalled client frees its thread."""
    import socketserver
    import wsgiref.simple_server
    from concurrent.futures import ThreadPoolExecutor

    class PooledServer(socketserver.ThreadingMixIn, wsgiref.simple_server.WSGIServer):
        daemon_threads = True

        def __init__(self, address: tuple[str, int], handler: Any, family: int) -> None:
            self.address_family = family
            super().__init__(address, handler)
            self.workers = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="kehu-serve")

        def get_request(self) -> tuple[socket.socket, Any]:
            request, client = super().get_request()
            request.settimeout(CLIENT_TIMEOUT)
            return request, client

        def process_request(self, request: Any, client_address: Any) -> None:
            # ThreadingMixIn's own way (a new thread per request) would open the store anew
            # for every request; its process_request_thread answers and closes the connection
            self.workers.submit(self._within_deadline, request, client_address)

        def _within_deadline(self, request: Any, client_address: Any) -> None:
            """Answer the connection, cut if its request line and headers have not all come in
            :data:`CLIENT_TIMEOUT`: the socket's own timeout is per read, so a client sending
            a header line every few seconds held a worker for ever, and four such (WORKERS)
            held the server for everyone (a "slowloris")."""
            timer = _reading.timer = threading.Timer(CLIENT_TIMEOUT, _cut, (request,))
            _reading.connection = request  # its body has a deadline of its own (_body_deadline)
            timer.daemon = True
            timer.start()
            try:
                self.process_request_thread(request, client_address)
            finally:
                timer.cancel()
                _reading.timer = _reading.connection = None

        def server_close(self) -> None:
            super().server_close()
            self.workers.shutdown(wait=False, cancel_futures=True)

    return PooledServer


@contextlib.contextmanager
def _body_deadline(environ: dict[str, Any]) -> Iterator[None]:
    """Cut the connection unless the body (all of it is read by :func:`.intake.screen_request`)
    has come within :data:`CLIENT_TIMEOUT` and a second for each :data:`MIN_BODY_RATE` bytes
    of it. A body cut short is refused (408), never handed to Radicale as the request."""
    connection = getattr(_reading, "connection", None)
    try:
        length = content_length(environ)
    except Refused:  # refused by the screening, which says why
        length = 0
    if connection is None or not length:  # no socket of a client (a test calling the app), or no body
        yield
        return
    late = threading.Event()

    def cut() -> None:
        late.set()
        _cut(connection)

    seconds = CLIENT_TIMEOUT + min(length, 1 << 30) / MIN_BODY_RATE
    timer = threading.Timer(seconds, cut)
    timer.daemon = True
    timer.start()
    try:
        yield
    except OSError as exc:  # the read cut (late), nothing sent for CLIENT_TIMEOUT, or the client gone
        if not late.is_set() and not isinstance(exc, TimeoutError):
            raise Refused(400, _("the request's body could not be read ({why}); nothing was changed").format(
                why=os_error_text(exc))) from None
        late.set()  # a read that waited CLIENT_TIMEOUT for a byte is late too (it was a 500)
    finally:
        timer.cancel()
    if late.is_set():
        raise Refused(408, _("the request's body did not come within {seconds:.0f} s; nothing was "
                             "changed").format(seconds=seconds))


def _cut(connection: socket.socket) -> None:
    """End a connection whose headers are late: the worker's read returns, and it answers no more."""
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)


def _remember_sane_paths() -> None:
    """Radicale checks a path with ``sanitize_path`` (normpath, then a join per part) many
    times for every item it answers about, mostly in asserts: 13 times a card, a third of the
    CPU of fetching a 10 000-card book. It is a pure function of its string, so its answers
    are remembered (one entry per href: a few MB for a big book)."""
    from radicale import pathutils

    if not hasattr(pathutils.sanitize_path, "cache_info"):
        pathutils.sanitize_path = functools.lru_cache(maxsize=1 << 17)(pathutils.sanitize_path)


def serve(store: Store, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *, fixed_today: bool = False,
          ready: Callable[[str], None] | None = None, warm: bool = True) -> None:
    """Serve ``store`` until interrupted; ``warm``: make every login's book and calendar
    while listening (:mod:`.warm`)."""
    from radicale import log
    from radicale.app import Application
    from radicale.server import RequestHandler

    served = check(store)
    served.fixed_today = fixed_today
    serve_store(served)
    log.setup()
    log.set_level("WARNING", False)
    for name in ("radicale", ""):  # Radicale logs a failed request's traceback on the root logger
        logging.getLogger(name).addFilter(_QuietRefusals())
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    configuration = radicale_config(served, host, port)
    _remember_sane_paths()
    # nothing is made before listening: each address book is read from the index as the last
    # run kept it (or made by the warm-up or the first request), cards rendered by the warm-up
    # or when first fetched
    store.index.refresh()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        server = _server_class()((host, port), RequestHandler, family)
    except OSError as exc:
        raise KehuError(_("cannot listen on {host}:{port}: {why}").format(host=host, port=port,
                                                                          why=os_error_text(exc))) from None
    server.set_app(KehuApp(Application(configuration)))
    address = f"http://{host if ':' not in host else f'[{host}]'}:{server.server_address[1]}/"
    if ready is not None:
        ready(address)
    from .books import say_left_out

    say_left_out(store)  # who is in no address book: in the log, as no client shows stderr
    from ..plugin_process import Elsewhere
    from . import pool

    # the logging and streams as set up here are put back as each plugin's hook in a request returns
    with Elsewhere.holding():
        pool.start(store, served.settings.workers)  # the workers open the store while the server starts
        if warm:
            from .warm import start_warming

            start_warming()  # the books and calendars made while the server already answers
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
            pool.stop()
            sys.stderr.flush()
