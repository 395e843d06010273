"""Embedded documents to plain text: the one place FHIR attachments and HL7 ED values are read.

EHRs send notes as text/plain, text/html (or XHTML narrative), text/rtf and application/pdf. Each
media type has one reader here, chosen by `document_text`; a type without a reader is not text
(images, DICOM, ...) and the caller says so. Readers are given the bytes only: nothing here reads a
URL or a file.

PHI hazard: the readers' own exceptions and warnings can quote the document. They are caught and
replaced by `DocumentError`, whose message names the media type and the kind of failure only, and
pypdf's logger (which names objects, and sometimes quotes strings) is silenced when this module is
imported.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable
from html.parser import HTMLParser

logging.getLogger("pypdf").addFilter(lambda _record: False)

_BLOCK_TAGS = frozenset({
    "address", "article", "blockquote", "caption", "dd", "div", "dl", "dt", "fieldset", "figcaption", "figure",
    "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre",
    "section", "table", "tbody", "thead", "tfoot", "tr", "ul",
})
_CELL_TAGS = frozenset({"td", "th"})
_SKIPPED_TAGS = frozenset({"script", "style", "head", "title"})
_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}")
_MEDIA_ALIASES = {
    "application/rtf": "text/rtf",
    "application/x-rtf": "text/rtf",
    "text/richtext": "text/rtf",
    "application/xhtml+xml": "text/html",
    "application/x-pdf": "application/pdf",
}


class DocumentError(ValueError):
    """A document that could not be read as text; the message never quotes its content."""


def media_type(content_type: str | None) -> tuple[str, str | None]:
    """``("text/plain", "iso-8859-1")`` from ``"TEXT/PLAIN; charset=ISO-8859-1"``; charset None if absent."""
    kind, _, params = (content_type or "").partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"')
    kind = kind.strip().lower()
    return _MEDIA_ALIASES.get(kind, kind), charset


def shown_type(content_type: str | None) -> str:
    """A content type fit for a message: the media type if it looks like one, else '?' (never free text)."""
    kind = media_type(content_type)[0]
    if not kind:
        return "(none)"
    return kind if _MEDIA_TYPE.fullmatch(kind) else "?"


def is_text_type(content_type: str | None) -> bool:
    """True if `document_text` has a reader for this content type."""
    return media_type(content_type)[0] in _READERS


def document_text(data: bytes, content_type: str | None) -> str:
    """The text of a document, line endings as ``\\n``, not yet stripped.

    Raises DocumentError when the type has no reader or the bytes are not a readable document of it.
    """
    kind, charset = media_type(content_type)
    reader = _READERS.get(kind)
    if reader is None:
        raise DocumentError(f"content type {shown_type(content_type)} is not a text document")
    return reader(data, charset)


def html_to_text(markup: str) -> str:
    """Visible text of HTML or XHTML: block elements and ``<br>`` become line breaks, entities decoded."""
    parser = _TextExtractor()
    try:
        parser.feed(markup)
        parser.close()
    except (AssertionError, ValueError):  # html.parser's own failure modes on very broken markup
        raise DocumentError("markup could not be read as HTML") from None
    return parser.text()


def _decode(data: bytes, charset: str | None, kind: str) -> str:
    encoding = charset or "utf-8"
    try:
        text = data.decode(encoding)
    except LookupError:
        raise DocumentError(f"{kind} in unknown charset {encoding}") from None
    except UnicodeDecodeError:
        raise DocumentError(f"{kind} is not text in charset {encoding}") from None
    return text.removeprefix("\ufeff")


def _plain(data: bytes, charset: str | None) -> str:
    return _decode(data, charset, "text/plain")


def _html(data: bytes, charset: str | None) -> str:
    return html_to_text(_decode(data, charset, "text/html"))


def _rtf(data: bytes, charset: str | None) -> str:
    from striprtf.striprtf import rtf_to_text

    # RTF is 7-bit by definition (non-ASCII is escaped as \'hh or \uN); latin-1 never fails on stray bytes.
    source = _decode(data, charset, "text/rtf") if charset else data.decode("latin-1")
    if not source.lstrip().startswith("{\\rtf"):
        raise DocumentError("text/rtf does not start with an RTF header")
    try:
        return str(rtf_to_text(source, errors="replace"))
    except Exception as exc:  # striprtf raises plain exceptions from its tokenizer
        raise DocumentError(f"text/rtf could not be read ({type(exc).__name__})") from None


def _pdf(data: bytes, charset: str | None) -> str:
    import pypdf
    from pypdf.errors import PyPdfError

    if not data.lstrip()[:5] == b"%PDF-":
        raise DocumentError("application/pdf does not start with a PDF header")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise DocumentError("application/pdf is encrypted")
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, IndexError, AttributeError, OSError) as exc:
        raise DocumentError(f"application/pdf could not be read ({type(exc).__name__})") from None
    return "\n\n".join(page.strip() for page in pages)


_READERS: dict[str, Callable[[bytes, str | None], str]] = {
    "text/plain": _plain,
    "text/html": _html,
    "text/rtf": _rtf,
    "application/pdf": _pdf,
}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._lines: list[str] = []
        self._current: list[str] = []
        self._skipping = 0
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
        elif tag == "br":
            self._break()
        elif tag in _BLOCK_TAGS:
            self._break()
            self._pre += tag == "pre"
        elif tag in _CELL_TAGS and self._current:
            self._current.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "hr"):
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS:
            self._pre -= tag == "pre" and self._pre > 0
            self._break()

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        if self._pre:
            first, *rest = data.split("\n")
            self._current.append(first)
            for line in rest:
                self._break(keep_blank=True)
                self._current.append(line)
        else:
            self._current.append(data.replace("\r", " ").replace("\n", " "))

    def _break(self, keep_blank: bool = False) -> None:
        line = _SPACES.sub(" ", "".join(self._current)).strip()
        if line or keep_blank:
            self._lines.append(line)
        self._current = []

    def text(self) -> str:
        self._break()
        return _BLANK_LINES.sub("\n\n", "\n".join(self._lines)).strip()
