"""FHIR R4 resources that carry a note, validated with the ``fhir.resources`` models.

``fhir.resources`` 8 models R5 at its top level; its ``R4B`` package (FHIR 4.3) is used because R4B
left DocumentReference and DiagnosticReport as they were in R4 (R5 reshaped DocumentReference).

- DocumentReference: text from content[].attachment, date from date, type from type.
- DiagnosticReport: text from presentedForm[], date from effectiveDateTime, else effectivePeriod.start,
  else issued; type from code.

Text comes only from inline attachments (base64 ``data``) whose contentType is text/plain, decoded in
the attachment's charset (default UTF-8); several are joined with a blank line. Attachments that are
only a URL cannot be fetched on an air-gapped host and are ignored.

The patient id is the id in ``subject.reference`` (``Patient/123`` -> ``123``; other references are
kept whole), else ``subject.identifier.value``. The type is the concept's text, else its first
coding's display, else that coding's code. The note id is the resource id, else its first identifier.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from appliance.ingest.normalise import clean_text, normalise_date

if TYPE_CHECKING:
    import pydantic
    from fhir.resources.R4B.attachment import Attachment
    from fhir.resources.R4B.codeableconcept import CodeableConcept
    from fhir.resources.R4B.reference import Reference

# The FHIR models and pydantic are imported when the first resource is read: they take about half a
# second to import, which every command that merely imports appliance.ingest would otherwise pay.

_PATIENT_REFERENCE = re.compile(r"(?:^|/)Patient/(?P<id>[^/]+)")
_SAFE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,63}$")


class ResourceError(ValueError):
    """A resource that cannot become a note; the message is a one-line reason free of content."""


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


def note_from_resource(resource: dict[str, Any]) -> FhirNote | None:
    """The note a resource carries; None if its type carries none. Raises ResourceError if invalid."""
    convert = RESOURCE_TYPES.get(str(resource.get("resourceType")))
    return None if convert is None else convert(resource)


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


def _document_reference(resource: dict[str, Any]) -> FhirNote:
    from fhir.resources.R4B.documentreference import DocumentReference

    doc = _validate(DocumentReference, resource)
    attachments = [content.attachment for content in doc.content or []]
    note_id = doc.id or (doc.masterIdentifier.value if doc.masterIdentifier else None) or _first_identifier(doc)
    return FhirNote(
        note_id=note_id,
        patient_id=_patient_id(doc.subject),
        date=_iso(doc.date),
        note_type=_concept_name(doc.type),
        text=_text(attachments, "DocumentReference.content"),
        metadata=_metadata("DocumentReference", doc.status),
    )


def _diagnostic_report(resource: dict[str, Any]) -> FhirNote:
    from fhir.resources.R4B.diagnosticreport import DiagnosticReport

    report = _validate(DiagnosticReport, resource)
    period_start = report.effectivePeriod.start if report.effectivePeriod else None
    return FhirNote(
        note_id=report.id or _first_identifier(report),
        patient_id=_patient_id(report.subject),
        date=_iso(report.effectiveDateTime) or _iso(period_start) or _iso(report.issued),
        note_type=_concept_name(report.code),
        text=_text(list(report.presentedForm or []), "DiagnosticReport.presentedForm"),
        metadata=_metadata("DiagnosticReport", report.status),
    )


# resourceType -> converter; resources of other types carry no note.
RESOURCE_TYPES: dict[str, Callable[[dict[str, Any]], FhirNote]] = {
    "DocumentReference": _document_reference,
    "DiagnosticReport": _diagnostic_report,
}


def _text(attachments: list[Attachment], where: str) -> str:
    parts: list[str] = []
    for index, attachment in enumerate(attachments):
        media_type, _, params = (attachment.contentType or "").partition(";")
        if media_type.strip().lower() != "text/plain" or attachment.data is None:
            continue
        charset = _charset(params)
        try:
            parts.append(bytes(attachment.data).decode(charset))
        except (LookupError, UnicodeDecodeError):
            raise ResourceError(f"{where}[{index}] is not text in charset {charset}") from None
    text = clean_text("\n\n".join(parts))
    if not text:
        raise ResourceError(f"no inline text/plain attachment with text in {where}")
    return text


def _charset(params: str) -> str:
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"')
    return "utf-8"


def _patient_id(subject: Reference | None) -> str:
    if subject is not None and subject.reference:
        match = _PATIENT_REFERENCE.search(subject.reference)
        return match.group("id") if match else subject.reference
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


def _metadata(resource_type: str, status: str | None) -> dict[str, Any]:
    return {"resource_type": resource_type, **({"status": str(status)} if status else {})}
