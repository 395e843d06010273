"""FHIR R4 resources that carry a note, validated with the ``fhir.resources`` models.

``fhir.resources`` 8 models R5 at its top level; its ``R4B`` package (FHIR 4.3) is used because R4B
left DocumentReference, DiagnosticReport and Composition as they were in R4.

- DocumentReference: text from content[].attachment, date from date, type from type.
- DiagnosticReport: text from presentedForm[], else its narrative (text.div) when the report is only
  narrative; date from effectiveDateTime, else effectivePeriod.start, else issued; type from code.
- Composition (the first entry of a document Bundle): one note made of its title and every section's
  title and narrative, nested sections included, in order; date from date, type from type.

Attachments are read by `appliance.ingest.documents` (text/plain, text/html, text/rtf, application/pdf),
inline (base64 ``data``) or by reference to a Binary resource in the same Bundle or NDJSON set
(``Binary/<id>``, a full URL ending in it, or a ``urn:uuid:`` fullUrl), through `FhirContext`. Several
readable attachments are joined with a blank line. URLs that point anywhere else cannot be fetched on an
air-gapped host and are ignored; a resource left with no text is rejected with the reason.

The patient id is the id in ``subject.reference`` (``Patient/123`` -> ``123``; a ``urn:uuid:`` fullUrl
of a Patient in the same Bundle -> that Patient's id; other references are kept whole), else
``subject.identifier.value``. The type is the concept's text, else its first coding's display, else that
coding's code. The note id is the resource id, else its first identifier. ``metadata["source_ids"]``
names the resource (``DocumentReference/abc``), so a note reached through two resources keeps both.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from appliance.ingest.documents import DocumentError, document_text, html_to_text, is_text_type, shown_type
from appliance.ingest.normalise import clean_text, normalise_date

if TYPE_CHECKING:
    import pydantic
    from fhir.resources.R4B.codeableconcept import CodeableConcept
    from fhir.resources.R4B.reference import Reference

# The FHIR models and pydantic are imported when the first resource is read: they take about half a
# second to import, which every command that merely imports appliance.ingest would otherwise pay.

_PATIENT_REFERENCE = re.compile(r"(?:^|/)Patient/(?P<id>[^/]+)")
_BINARY_REFERENCE = re.compile(r"(?:^|/)Binary/(?P<id>[^/?#]+)(?:/_history/[^/?#]+)?$")
_SAFE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,63}$")


class ResourceError(ValueError):
    """A resource that cannot become a note; the message is a one-line reason free of content."""


@dataclass
class Content:
    """A document's bytes and content type, as found in an attachment or a Binary resource."""

    content_type: str | None
    data: bytes


@dataclass
class FhirContext:
    """What one Bundle or NDJSON set knows beyond a single resource.

    `binaries` maps the keys a Binary can be referenced by (``Binary/<id>`` and its fullUrl) to its
    content; `patients` maps a Patient entry's fullUrl to its id.
    """

    binaries: dict[str, Content] = field(default_factory=dict)
    patients: dict[str, str] = field(default_factory=dict)

    def binary(self, url: str) -> Content | None:
        return self.binaries.get(binary_key(url) or url)


@dataclass
class FhirNote:
    note_id: str | None
    patient_id: str
    date: str | None
    note_type: str | None
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


def resource_type_name(resource: dict[str, Any]) -> str:
    """The resource's type for messages: its resourceType if that looks like a type name, else '?'."""
    name = resource.get("resourceType")
    return name if isinstance(name, str) and _SAFE_NAME.match(name) else "?"


def carries_notes(resource: dict[str, Any]) -> bool:
    return str(resource.get("resourceType")) in RESOURCE_TYPES


def binary_key(url: str) -> str | None:
    """``Binary/<id>`` for a reference to a Binary (relative, absolute or versioned), else None."""
    match = _BINARY_REFERENCE.search(url)
    return f"Binary/{match.group('id')}" if match else None


def attachment_urls(resource: dict[str, Any]) -> list[str]:
    """The URLs of a note resource's attachments (no validation: used to find Binary resources early)."""
    kind = resource.get("resourceType")
    if kind == "DocumentReference":
        contents = resource.get("content")
        attachments = [c.get("attachment") for c in contents if isinstance(c, dict)] if isinstance(contents, list) \
            else []
    elif kind == "DiagnosticReport":
        forms = resource.get("presentedForm")
        attachments = forms if isinstance(forms, list) else []
    else:
        return []
    return [a["url"] for a in attachments if isinstance(a, dict) and isinstance(a.get("url"), str)]


def binary_content(resource: dict[str, Any]) -> Content:
    """A Binary resource's content. Raises ResourceError when it has none or it is not base64."""
    data = resource.get("data")
    content_type = resource.get("contentType")
    if not isinstance(data, str):
        raise ResourceError("Binary has no data")
    try:
        raw = base64.b64decode(data, validate=False)
    except (binascii.Error, ValueError):
        raise ResourceError("Binary.data is not base64") from None
    return Content(content_type if isinstance(content_type, str) else None, raw)


def note_from_resource(resource: dict[str, Any], context: FhirContext | None = None) -> FhirNote | None:
    """The note a resource carries; None if its type carries none. Raises ResourceError if invalid."""
    convert = RESOURCE_TYPES.get(str(resource.get("resourceType")))
    return None if convert is None else convert(resource, context or FhirContext())


def _validate(model: type[pydantic.BaseModel], resource: dict[str, Any]) -> Any:
    import pydantic

    try:
        return model.model_validate(resource)
    except pydantic.ValidationError as exc:
        # str(exc) quotes input values (PHI): report only where and what kind of problem.
        problems = exc.errors()
        where = ".".join(str(part) for part in problems[0]["loc"]) or "(root)"
        raise ResourceError(
            f"invalid {model.__name__}: {len(problems)} problem(s), first at {where} ({problems[0]['type']})"
        ) from None
    except (TypeError, ValueError) as exc:
        raise ResourceError(f"invalid {model.__name__} ({type(exc).__name__})") from None


def _document_reference(resource: dict[str, Any], context: FhirContext) -> FhirNote:
    from fhir.resources.R4B.documentreference import DocumentReference

    doc = _validate(DocumentReference, resource)
    attachments = [content.attachment for content in doc.content or []]
    note_id = doc.id or (doc.masterIdentifier.value if doc.masterIdentifier else None) or _first_identifier(doc)
    text = _text(attachments, "DocumentReference.content", context)
    if not text:
        raise ResourceError(f"no readable attachment in DocumentReference.content ({_describe(attachments)})")
    return FhirNote(
        note_id=note_id,
        patient_id=_patient_id(doc.subject, context),
        date=_iso(doc.date),
        note_type=_concept_name(doc.type),
        text=text,
        metadata=_metadata("DocumentReference", doc.id, doc.status),
    )


def _diagnostic_report(resource: dict[str, Any], context: FhirContext) -> FhirNote:
    from fhir.resources.R4B.diagnosticreport import DiagnosticReport

    report = _validate(DiagnosticReport, resource)
    period_start = report.effectivePeriod.start if report.effectivePeriod else None
    forms = list(report.presentedForm or [])
    text = _text(forms, "DiagnosticReport.presentedForm", context) or _narrative(report.text)
    if not text:
        raise ResourceError(
            f"no readable presentedForm ({_describe(forms)}) and no narrative text in DiagnosticReport"
        )
    return FhirNote(
        note_id=report.id or _first_identifier(report),
        patient_id=_patient_id(report.subject, context),
        date=_iso(report.effectiveDateTime) or _iso(period_start) or _iso(report.issued),
        note_type=_concept_name(report.code),
        text=text,
        metadata=_metadata("DiagnosticReport", report.id, report.status),
    )


def _composition(resource: dict[str, Any], context: FhirContext) -> FhirNote:
    from fhir.resources.R4B.composition import Composition

    composition = _validate(Composition, resource)
    blocks: list[str] = [str(composition.title)] if composition.title else []
    if not _section_blocks(composition.section or [], blocks):
        raise ResourceError("Composition has no section with narrative text")
    text = clean_text("\n\n".join(blocks))
    identifier = composition.identifier.value if composition.identifier else None
    return FhirNote(
        note_id=composition.id or identifier,
        patient_id=_patient_id(composition.subject, context),
        date=_iso(composition.date),
        note_type=_concept_name(composition.type),
        text=text,
        metadata=_metadata("Composition", composition.id, composition.status),
    )


def _section_blocks(sections: list[Any], blocks: list[str]) -> bool:
    """Append each section as its title over its narrative; True if any section had narrative text."""
    found = False
    for section in sections:
        body = _narrative(section.text)
        title = str(section.title) if section.title else ""
        if body:
            blocks.append(f"{title}\n{body}" if title else body)
            found = True
        elif title and section.section:
            blocks.append(title)
        found = _section_blocks(section.section or [], blocks) or found
    return found


# resourceType -> converter; resources of other types carry no note.
RESOURCE_TYPES: dict[str, Callable[[dict[str, Any], FhirContext], FhirNote]] = {
    "DocumentReference": _document_reference,
    "DiagnosticReport": _diagnostic_report,
    "Composition": _composition,
}


def _narrative(narrative: Any) -> str:
    if narrative is None or not narrative.div or narrative.status == "empty":
        return ""
    try:
        return clean_text(html_to_text(str(narrative.div)))
    except DocumentError:
        return ""


def _text(attachments: list[Any], where: str, context: FhirContext) -> str:
    """The readable attachments' text joined by blank lines; "" when none is readable."""
    parts: list[str] = []
    for index, attachment in enumerate(attachments):
        content = _content(attachment, context)
        if content is None or not is_text_type(content.content_type):
            continue
        try:
            parts.append(clean_text(document_text(content.data, content.content_type)))
        except DocumentError as exc:
            raise ResourceError(f"{where}[{index}]: {exc}") from None
    return clean_text("\n\n".join(part for part in parts if part))


def _content(attachment: Any, context: FhirContext) -> Content | None:
    if attachment.data is not None:
        return Content(attachment.contentType, bytes(attachment.data))
    if attachment.url:
        found = context.binary(str(attachment.url))
        if found is not None:
            return Content(attachment.contentType or found.content_type, found.data)
    return None


def _describe(attachments: list[Any]) -> str:
    """What the attachments were, for a rejection reason: content types and where the data was."""
    if not attachments:
        return "none"
    described = []
    for attachment in attachments:
        kind = shown_type(attachment.contentType) if attachment.contentType else "no contentType"
        if attachment.data is not None:
            where = "inline"
        elif attachment.url and binary_key(str(attachment.url)):
            where = "Binary not found in this bundle or export"
        elif attachment.url:
            where = "external URL"
        else:
            where = "no data"
        described.append(f"{kind}, {where}")
    return "; ".join(described)


def _patient_id(subject: Reference | None, context: FhirContext) -> str:
    if subject is not None and subject.reference:
        reference = str(subject.reference)
        if reference in context.patients:
            return context.patients[reference]
        match = _PATIENT_REFERENCE.search(reference)
        return match.group("id") if match else reference
    if subject is not None and subject.identifier is not None and subject.identifier.value:
        return str(subject.identifier.value)
    raise ResourceError("no subject reference or identifier for the patient")


def _concept_name(concept: CodeableConcept | None) -> str | None:
    if concept is None:
        return None
    if concept.text:
        return str(concept.text)
    for coding in concept.coding or []:
        return str(coding.display or coding.code or "") or None
    return None


def _first_identifier(resource: Any) -> str | None:
    for identifier in resource.identifier or []:
        if identifier.value:
            return str(identifier.value)
    return None


def _iso(value: date | str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):  # datetime is a date too; both keep their precision and offset
        return value.isoformat()
    return normalise_date(str(value))


def _metadata(resource_type: str, resource_id: str | None, status: str | None) -> dict[str, Any]:
    return {
        "resource_type": resource_type,
        **({"status": str(status)} if status else {}),
        **({"source_ids": [f"{resource_type}/{resource_id}"]} if resource_id else {}),
    }
