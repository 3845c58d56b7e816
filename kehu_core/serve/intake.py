"""What a card sent to ``kehu serve`` may cost: the limits of ``kehu import`` (``import_limits:``
in kehu.yaml), applied to the body of a PUT before Radicale reads it.

Radicale reads a body whole and vobject parses it, and a 20 MB ``PHOTO`` costs vobject
gigabytes (docs/import-export.md#limits). So the body is screened as ``kehu import`` screens a
file, line by line in small pieces (:func:`~kehu_core.services.importing.vcard_stream.screen_vcard_body`):
a body over ``file_mb`` is refused unread; ``PHOTO``, ``LOGO``, ``SOUND`` and ``KEY`` are
skipped unread (kehu stores no pictures; the rest of the card is taken); a text property over
``vcard_property_mb`` refuses the card, naming the property and the setting. Radicale gets
the screened body, small whatever the photos weighed.

The screened body is then decoded as ``kehu import`` decodes a vCard file
(:func:`~kehu_core.services.importing.encodings.decode_bytes`: its mark, UTF-16's NUL bytes,
UTF-8, a declared charset the bytes do not contradict, else GBK/GB18030, as old phones write)
and handed to Radicale as UTF-8. Radicale's own decoding falls back to Latin-1,
so a GBK card the import reads as 王小芳 became the customer "ÍõÐ¡·¼"; a body that is no text
kehu reads is refused (400), naming the line, as the import refuses the file. That text is
what kehu reads the card from (:attr:`.scope.Request.card`), not Radicale's parse of it, which
drops control characters: ESC in a name is refused here as ``kehu import`` refuses it.
"""

from __future__ import annotations

import contextlib
import io
import unicodedata
from typing import Any
from xml.parsers import expat

from ..i18n import _
from ..services.importing.encodings import EncodingProblem, decode_bytes
from ..services.importing.limits import MB, size_mb
from ..services.importing.vcard_stream import screen_vcard_body
from .scope import Refused, request, served

#: the methods whose body is a card or an event (PROPFIND and REPORT bodies are Radicale's XML)
_WITH_CARD = {"PUT"}

#: what the body of any other request (PROPFIND, REPORT, PROPPATCH: XML) may hold. Radicale reads
#: such a body whole and builds its tree, about 400 bytes of memory an element: 36 MB of
#: ``<d:getetag/>`` took a server 1.2 GB and 26 s, and nothing bounded the body. The largest real
#: one is a multiget of a whole address book (vdirsyncer asks for every card at once: an
#: ``<href>`` of about 50 bytes a customer, 5 MB at 100 000 customers).
XML_BODY_MB = 16
XML_ELEMENTS = 250_000


class _Body:
    """The request's body, read line by line and never past its Content-Length (reading on
    would wait for bytes the client never sends)."""

    def __init__(self, stream: Any, length: int) -> None:
        self.stream = stream
        self.left = length

    def read_line(self, limit: int) -> bytes:
        if self.left <= 0:
            return b""
        piece = self.stream.readline(min(limit, self.left))
        self.left -= len(piece)
        if not piece:
            self.left = 0
        return piece


def content_length(environ: dict[str, Any]) -> int:
    """The request's Content-Length, 0 when none is sent, or Refused (400): digits 0-9 alone
    (HTTP's ``1*DIGIT``). Python's int read ``1_0`` as 10 and ``+10``, ``-5`` as numbers, where
    a proxy in front of kehu serve reads such a header otherwise or not at all: the two then
    disagree on where the body ends, the way a second request is slipped in with the first."""
    text = environ.get("CONTENT_LENGTH") or ""
    if not text:
        return 0
    if not (text.isascii() and text.isdigit()):
        raise Refused(400, _("kehu serve: the request's Content-Length is not a number"))
    return int(text)


def screen_request(environ: dict[str, Any]) -> None:
    """Screen the body of a PUT in place (``wsgi.input`` and ``CONTENT_LENGTH`` replaced by the
    screened card), or raise Refused (413) with the limit and the setting that raises it."""
    if environ.get("REQUEST_METHOD") not in _WITH_CARD:
        _screen_xml(environ)
        return
    problem = _file_name_problem(environ.get("PATH_INFO", ""))
    if problem is not None:
        raise Refused(400, problem)
    limits = served().store.config.import_limits
    if not environ.get("CONTENT_LENGTH") and "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        # the server reads no chunked body: it was read as empty, and refused as no vCard
        raise Refused(411, _("kehu serve reads a card only with its Content-Length (not sent in chunks); "
                             "nothing was changed"))
    length = content_length(environ)
    if length > limits.file_mb * MB:
        raise Refused(413, _("the card is {size}; kehu accepts at most {limit} MB "
                             "(import_limits: file_mb in kehu.yaml); nothing was changed").format(
            size=size_mb(length), limit=limits.file_mb))
    try:
        screened = screen_vcard_body(_Body(environ["wsgi.input"], length).read_line, limits.vcard_property_mb * MB)
    except EncodingProblem as exc:  # (a UTF-16 body, read as it is screened: a 500 before)
        raise Refused(400, _("kehu cannot read this vCard: {why}; nothing was changed").format(why=exc)) from None
    if screened.too_big:
        line = min(screened.too_big)
        raise Refused(413, _("line {line}: {what}; nothing was changed").format(
            line=line, what=screened.too_big[line]))
    data = _as_utf8(screened.data, environ.get("CONTENT_TYPE") or "")
    request().card = data.decode("utf-8")
    data = for_radicale(request().card)
    environ["wsgi.input"] = io.BytesIO(data)
    environ["CONTENT_LENGTH"] = str(len(data))
    media = (environ.get("CONTENT_TYPE") or "text/vcard").split(";", 1)[0].strip()
    environ["CONTENT_TYPE"] = f"{media}; charset=utf-8"


class _TooMany(Exception):
    """More elements than :data:`XML_ELEMENTS`: stops the count."""


class _Declared(Exception):
    """The body declares an entity: stops the read."""


def _declared(*_args: Any) -> None:
    raise _Declared


def _screen_xml(environ: dict[str, Any]) -> None:
    """Refuse (413) the body of a request that is no card when it is over :data:`XML_BODY_MB`
    or holds more than :data:`XML_ELEMENTS` elements, counted by expat as the body is read in
    small pieces (no tree is built), and (400) one that declares an entity; else hand Radicale
    the bytes read."""
    length = content_length(environ)
    if length <= 0:
        return
    if length > XML_BODY_MB * MB:
        raise Refused(413, _("the request's body is {size}; kehu serve reads at most {limit} MB of a request "
                             "that is no card; nothing was changed").format(size=size_mb(length), limit=XML_BODY_MB))
    count = 0

    def start(_name: str, _attributes: Any) -> None:
        nonlocal count
        count += 1
        if count > XML_ELEMENTS:
            raise _TooMany

    parser: Any = expat.ParserCreate()
    parser.StartElementHandler = start
    # an entity declared in the body (an external one naming file:///etc/passwd, a "billion
    # laughs"): Radicale's defused parser refuses it by raising, which answered 500 and wrote
    # a traceback to the log for each such request. No client declares one: the request's mistake
    parser.EntityDeclHandler = parser.UnparsedEntityDeclHandler = _declared
    body, pieces = _Body(environ["wsgi.input"], length), []
    while piece := body.read_line(64 * 1024):
        pieces.append(piece)
        if parser is None:
            continue
        try:
            parser.Parse(piece, False)
        except _Declared:
            raise Refused(400, _("the request's XML declares an entity (<!ENTITY ...>), which kehu serve does "
                                 "not read; nothing was changed")) from None
        except _TooMany:
            raise Refused(413, _("the request holds more than {limit} XML elements, more than any client "
                                 "asks of kehu serve; nothing was changed").format(limit=XML_ELEMENTS)) from None
        except expat.ExpatError:
            parser = None  # no XML: Radicale refuses it as such
    data = b"".join(pieces)
    environ["wsgi.input"] = io.BytesIO(data)
    environ["CONTENT_LENGTH"] = str(len(data))


def _file_name_problem(path: str) -> str | None:
    """Why Radicale takes no card at ``path`` (it answered 400, which read as "not one
    well-formed vCard", blaming the card): its file name holds a control or format character,
    or one past Latin-1 (Radicale's ``validate_path_value`` of "no-unicode", which kehu's
    storage keeps). Phones name a card after its UID, in ASCII (iOS, DAVx5), so a name such as
    ``王.vcf`` comes from a script or a hand: refused naming the name, not taken."""
    with contextlib.suppress(UnicodeError):  # WSGI's path is Latin-1 text of its bytes; a server may have decoded it
        path = path.encode("latin-1").decode("utf-8")
    name = path.rsplit("/", 1)[-1]
    bad = next((c for c in name if ord(c) > 0xFF or unicodedata.category(c).startswith("C")), None)
    if bad is None:
        return None
    char = f"{bad} (U+{ord(bad):04X})" if bad.isprintable() else f"U+{ord(bad):04X}"
    return _("the card's file name {name} holds {char}; kehu serve takes a file name of Latin letters, "
             "digits and punctuation, as phones make it from the card's UID (such as 1B3C-47F0.vcf); "
             "nothing was changed").format(name=repr(name), char=char)


def _as_utf8(data: bytes, content_type: str) -> bytes:
    """The card as UTF-8, read by the rule `kehu import` reads a file by
    (:func:`~kehu_core.services.importing.encodings.decode_bytes`), the charset the request
    declares taken only where the bytes do not contradict it (Refused 400 if no encoding kehu
    reads holds it). Serve had its own order: a declared charset before the bytes' evidence, so
    a GBK card declared UTF-16 was read as UTF-16 and refused, which the import read as GBK."""
    declared = content_type.split("charset=", 1)[1].split(";", 1)[0].strip().strip('"') \
        if "charset=" in content_type else ""
    try:
        return decode_bytes(data, declared).encode("utf-8")
    except (EncodingProblem, UnicodeDecodeError) as exc:
        raise Refused(400, _("kehu cannot read this vCard: {why}; nothing was changed").format(
            why=exc)) from None


def for_radicale(text: str) -> bytes:
    """What Radicale is given of a card sent (``text``), when kehu reads the card itself
    (:attr:`.scope.Request.card`, :func:`.cards.sent_card`, the rule of `kehu import`):
    a card of its UID alone, which Radicale takes; nothing when kehu cannot read it, which
    Radicale refuses (400), said with kehu's reason (``Request.unreadable``). Radicale's own
    reading refused what the import reads, "not one well-formed vCard": a phone's vCard 2.1
    without FN, an old Mac's lines ending in CR alone, a second N or PRODID."""
    import vobject

    from .cards import sent_card

    try:
        card = sent_card(text)[0]
    except ValueError as exc:
        request().unreadable = _("kehu cannot read this vCard: {why}").format(why=exc)
        return b""
    uid = card.contents.get("uid", [None])[0]
    if uid is None or not str(uid.value).strip():
        # every card a CardDAV client writes has one (RFC 6352 5.1); a file to import needs none
        request().unreadable = _("the vCard has no UID; a card sent to an address book (CardDAV) has one, which "
                                 "says which contact it is; nothing was changed")
        return b""
    stand_in = vobject.vCard()
    stand_in.add("uid").value = str(uid.value)
    stand_in.add("fn").value = "-"
    stand_in.add("n").value = vobject.vcard.Name()
    return stand_in.serialize().encode("utf-8")
