"""The recognizer table: every recognizer registers itself here under one name.

A recognizer is built once per engine (`factory(config, lexicon)`) and then called once per note with
the shared `Document`. It yields `Span`s; the engine filters them by confidence and merges overlaps.
Refiners run after all recognizers and see their findings (e.g. to find a name again elsewhere in
the note). Adding a recognizer means adding one module that calls `register`.

Hazard: recognizers see PHI. They must never log, print or raise with note text in the message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from appliance.deid.lexicon import Lexicon
from appliance.deid.spans import Span
from appliance.deid.text import Document

if TYPE_CHECKING:
    from appliance.deid.config import DeidConfig


class Recognizer(Protocol):
    def find(self, doc: Document) -> Iterable[Span]: ...


class Refiner(Protocol):
    def refine(self, doc: Document, spans: list[Span]) -> Iterable[Span]:
        """Extra spans to add, given what the recognizers found (already above the threshold)."""
        ...


RecognizerFactory = Callable[["DeidConfig", Lexicon], Recognizer]
RefinerFactory = Callable[["DeidConfig", Lexicon], Refiner]


@dataclass(frozen=True)
class Registration:
    name: str
    factory: RecognizerFactory
    description: str


@dataclass(frozen=True)
class RefinerRegistration:
    name: str
    factory: RefinerFactory
    description: str
    #: Recognizers whose presence turns this refiner on ("names found again" needs a name recognizer).
    follows: tuple[str, ...]


_RECOGNIZERS: dict[str, Registration] = {}
_REFINERS: dict[str, RefinerRegistration] = {}


def register(name: str, description: str) -> Callable[[RecognizerFactory], RecognizerFactory]:
    """Class or function decorator: add a recognizer factory to the table under `name`."""

    def wrap(factory: RecognizerFactory) -> RecognizerFactory:
        if name in _RECOGNIZERS:
            raise ValueError(f"recognizer {name!r} is registered twice")
        _RECOGNIZERS[name] = Registration(name, factory, description)
        return factory

    return wrap


def register_refiner(
    name: str, description: str, follows: tuple[str, ...]
) -> Callable[[RefinerFactory], RefinerFactory]:
    def wrap(factory: RefinerFactory) -> RefinerFactory:
        if name in _REFINERS:
            raise ValueError(f"refiner {name!r} is registered twice")
        _REFINERS[name] = RefinerRegistration(name, factory, description, follows)
        return factory

    return wrap


def recognizer_table() -> dict[str, Registration]:
    return dict(_RECOGNIZERS)


def refiner_table() -> dict[str, RefinerRegistration]:
    return dict(_REFINERS)
