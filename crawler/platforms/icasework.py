"""Civica iCasework ``getcases``: the cases an authority flagged for its public disclosure log.

What is known, from iCasework's API pages and mySociety's icasework-ruby client and its saved answers:

- Endpoint: the self-service portal, ``https://<account>portal.icasework.com/getcases``; ``db=<account>``
  names the database where the host does not (``https://uatportal.icasework.com/getcases?db=test``).
- Parameters: ``Type`` (a case type of the service menu), ``Format`` (``xml``, the default, or
  ``json``), ``From`` (an XML date) or ``Days``, and ``Until``: the cases *received* in that window.
  Only cases flagged as publicly available are returned, all at once (no pagination).
- XML: ``<Cases><Case>`` with ``CaseId``, ``Type``, ``Label``, ``RequestMethod``, ``RequestDate``,
  ``Status``, ``<Attributes>`` (reportable attributes, configured per customer), ``<Classifications>``
  of ``<Classification Group="...">name</Classification>`` and ``<Documents>`` of
  ``<Document Id Name Type="<MIME type>" DocumentDate>URL</Document>``.
- JSON: an array of flat objects (``CaseId``, ``CaseType``, ``CaseLabel``, ``DateReceived``,
  ``TimeCreated``, ``Status``). How it carries classifications and documents is not documented, so
  the XML's names and plain lists of objects are both accepted.

Every field is therefore looked up by its known spellings, case-insensitively, on the case and in
its ``Attributes``. XML is parsed with defusedxml: entity declarations, the start of expansion
("billion laughs") and external-entity attacks, are refused before anything is expanded or fetched.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from pydantic import BaseModel, ConfigDict, Field, model_validator

from crawler.normalise import classify_outcome, clean_reference, parse_exemptions, parse_iso_datetime

Record = dict[str, Any]

_REFERENCE = ("Reference", "CaseReference", "CaseRef", "CaseId", "CaseID")
_CASE_ID = ("CaseId", "CaseID")
_TYPE = ("Type", "CaseType")
_LABEL = ("Label", "CaseLabel", "Title", "Subject")
_STATUS = ("Outcome", "Status", "CaseStatus")
_RECEIVED = ("DateReceived", "RequestDate", "ReceivedDate", "TimeCreated", "DateCreated")
_RESPONDED = ("DatePublished", "PublishedDate", "DateResponded", "ResponseDate", "DateClosed", "ClosedDate")
_REQUEST = ("Request", "RequestDetails", "Description", "Details", "Question")
_RESPONSE = ("Response", "ResponseDetails", "ResponseText", "Answer")
_EXEMPTIONS = ("Exemptions", "ExemptionsApplied", "Exemption")
_PUBLISH = ("Publish", "PublishInTheDisclosureLog", "PublishInDisclosureLog", "PublishToDisclosureLog")
_DOCUMENT_URL = ("Url", "URL", "Link", "Href", "#text", "__content__")
_NO = {"no", "n", "false", "0"}
# Text the server echoes back that changes on every call (a caller's own bearer token): kept, it
# would make every crawl a "new version" and put a credential into the database.
_VOLATILE_PARAMS = {"access_token"}
_EXTRACTABLE_TYPES = ("application/pdf", "wordprocessingml", "text/plain", "text/csv")

# Status wording of iCasework FOI workflows ("All information sent", "Some information sent but
# not all held", ...) onto the outcome vocabulary; first match wins, so partial comes before the rest.
_STATUS_OUTCOMES = (
    (re.compile(r"neither confirm nor deny|\bNCND\b", re.I), "neither_confirm_nor_deny"),
    (
        re.compile(r"\bsome\b.*\b(sent|released|disclosed|provided|withheld)\b|\bpart(ial(ly)?)?\b", re.I),
        "partially_released",
    ),
    (re.compile(r"not held", re.I), "not_held"),
    (re.compile(r"refus|exempt|withheld|vexatious|cost limit", re.I), "refused"),
    (
        re.compile(r"\b(all |full )?information (sent|released|disclosed|provided)|released in full", re.I),
        "released",
    ),
)


class IcaseworkOptions(BaseModel):
    """``options:`` of an ``icasework`` source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # The iCasework database, sent as ``db=`` (needed where the portal's host does not name it).
    account: str | None = None
    format: Literal["xml", "json"] = "xml"
    # The case type to list (``Type=``), as named in the authority's service menu, e.g. "FOI".
    case_type: str | None = None
    # Cases received in the last ``days`` days, or on or after ``since``.
    days: Annotated[int, Field(gt=0, le=3660)] = 30
    since: date | None = None
    # Download PDF/DOCX documents and extract their text (bounded in size and pages).
    fetch_attachments: bool = False

    @model_validator(mode="after")
    def _one_window(self) -> IcaseworkOptions:
        if self.since is not None and "days" in self.model_fields_set:
            raise ValueError("give 'days' or 'since', not both")
        return self


class IcaseworkFormatError(ValueError):
    """An answer that is not a getcases case list (or one refused as unsafe to parse)."""


@dataclass(frozen=True)
class CaseDocument:
    url: str
    name: str
    mime_type: str
    dated: date | None


@dataclass(frozen=True)
class Case:
    case_id: str
    reference: str
    case_type: str
    label: str
    status: str
    received: date | None
    responded: date | None
    request: str
    response: str
    exemption_text: str
    classifications: tuple[tuple[str, str], ...]  # (group, name)
    documents: tuple[CaseDocument, ...]
    publish: bool


# -- addresses ------------------------------------------------------------------------------
def getcases_endpoint(source_url: str) -> str:
    """The getcases address for a portal address (``https://xportal.icasework.com/``) or itself."""
    parts = urlsplit(source_url)
    path = parts.path.rstrip("/")
    if not path.lower().endswith("/getcases"):
        path += "/getcases"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def getcases_url(source_url: str, options: IcaseworkOptions) -> str:
    """The getcases request for the source's options; they win over the same parameters in its URL."""
    wanted: list[tuple[str, str]] = []
    if options.account:
        wanted.append(("db", options.account))
    if options.case_type:
        wanted.append(("Type", options.case_type))
    wanted.append(("Format", options.format))
    wanted.append(("From", options.since.isoformat()) if options.since else ("Days", str(options.days)))
    ours = {name.lower() for name, _ in wanted}
    kept = [
        (k, v)
        for k, v in parse_qsl(urlsplit(source_url).query, keep_blank_values=True)
        if k.lower() not in ours
    ]
    return f"{getcases_endpoint(source_url)}?{urlencode(kept + wanted)}"


def case_url(source_url: str, options: IcaseworkOptions, case: Case) -> str:
    """A stable address per case: the getcases endpoint naming the case (the feed has no case pages)."""
    params = [("db", options.account)] if options.account else []
    return f"{getcases_endpoint(source_url)}?{urlencode([*params, ('CaseId', case.case_id)])}"


def _without_volatile_params(url: str) -> str:
    parts = urlsplit(url)
    params = parse_qsl(parts.query, keep_blank_values=True)
    if not any(k.lower() in _VOLATILE_PARAMS for k, _ in params):
        return url
    kept = [(k, v) for k, v in params if k.lower() not in _VOLATILE_PARAMS]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept), ""))


# -- the answer: XML or JSON to plain records ------------------------------------------------
def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _element_text(element: Element) -> str:
    return "".join(element.itertext()).strip()


def _element_record(case: Element) -> Record:
    record: Record = {}
    for child in case:
        name = _local(child.tag)
        if name.lower() == "attributes":
            record[name] = {_local(a.tag): _element_text(a) for a in child}
        elif name.lower() == "classifications":
            record[name] = [{"Group": c.get("Group", ""), "Name": _element_text(c)} for c in child]
        elif name.lower() == "documents":
            record[name] = [{**d.attrib, "Url": _element_text(d)} for d in child]
        else:
            record[name] = _element_text(child)
    return record


def _xml_records(body: bytes) -> list[Record]:
    try:
        root = fromstring(body, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise IcaseworkFormatError(
            f"refused: the XML declares entities ({type(exc).__name__}), as entity-expansion and "
            "external-entity attacks do; a case list has no use for them"
        ) from None
    except ParseError as exc:
        raise IcaseworkFormatError(f"not well-formed XML ({exc})") from None
    if _local(root.tag).lower() != "cases":
        raise IcaseworkFormatError(f"the XML's root element is <{_local(root.tag)}>, not <Cases>")
    return [_element_record(case) for case in root if _local(case.tag).lower() == "case"]


def _unwrap(value: Any, inner: str) -> list[Any]:
    """``[...]``, ``{"Case": [...]}`` or ``{"Case": {...}}`` as a list."""
    if isinstance(value, dict):
        value = _get(value, inner)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _json_records(body: bytes) -> list[Record]:
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IcaseworkFormatError(f"not valid JSON ({exc})") from None
    if isinstance(data, dict) and _get(data, "Cases") is not None:
        data = _unwrap(_get(data, "Cases"), "Case")
    if not isinstance(data, list) or not all(isinstance(case, dict) for case in data):
        raise IcaseworkFormatError("the JSON is not a list of cases")
    return data


def parse_getcases(body: bytes) -> list[Record]:
    """The cases of a getcases answer as records; ``IcaseworkFormatError`` if it is not one.

    The format is read from the answer itself, not assumed from what was asked for.
    """
    start = body.lstrip()[:1]
    if start == b"<" or body.lstrip().startswith(b"\xef\xbb\xbf<"):
        return _xml_records(body)
    return _json_records(body)


# -- one record to a case --------------------------------------------------------------------
def _get(mapping: dict[str, Any], name: str) -> Any:
    lowered = name.lower()
    return next((v for k, v in mapping.items() if k.lower() == lowered), None)


def _lookup(record: Record, names: Iterable[str]) -> Any:
    """The first non-empty value among ``names``, on the case or in its ``Attributes``."""
    attributes = _get(record, "Attributes")
    sources = [record, attributes] if isinstance(attributes, dict) else [record]
    for name in names:
        for source in sources:
            value = _get(source, name)
            if value not in (None, "", [], {}):
                return value
    return None


def _one_line(value: Any) -> str:
    return " ".join(str(value).split()) if isinstance(value, str | int | float) else ""


def _paragraphs(value: Any) -> str:
    """Free text with its line breaks kept and blank runs collapsed."""
    if not isinstance(value, str):
        return _one_line(value)
    lines = [" ".join(line.split()) for line in value.replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _parse_date(value: Any) -> date | None:
    return parse_iso_datetime(value) if isinstance(value, str) else None


def _parse_classifications(record: Record) -> tuple[tuple[str, str], ...]:
    found = []
    for entry in _unwrap(_get(record, "Classifications"), "Classification"):
        if isinstance(entry, dict):
            name = _one_line(_lookup(entry, ("Name", "Value", "Classification", "#text")))
            group = _one_line(_get(entry, "Group"))
        else:
            name, group = _one_line(entry), ""
        if name:
            found.append((group, name))
    return tuple(found)


def _parse_document(entry: Any) -> CaseDocument | None:
    if not isinstance(entry, dict):
        return None
    url = _one_line(_lookup(entry, _DOCUMENT_URL))
    if not url.startswith(("http://", "https://")):
        return None
    identifier = _one_line(_get(entry, "Id"))
    return CaseDocument(
        url=_without_volatile_params(url),
        name=_one_line(_lookup(entry, ("Name", "Title", "FileName"))) or f"Document {identifier}".strip(),
        mime_type=_one_line(_lookup(entry, ("Type", "MimeType", "ContentType"))).lower(),
        dated=_parse_date(_lookup(entry, ("DocumentDate", "Date", "Created"))),
    )


def _parse_documents(record: Record) -> tuple[CaseDocument, ...]:
    parsed = (_parse_document(entry) for entry in _unwrap(_get(record, "Documents"), "Document"))
    return tuple(document for document in parsed if document is not None)


def _parse_publish(record: Record) -> bool:
    """False only where the case says outright it is not for the disclosure log."""
    return _one_line(_lookup(record, _PUBLISH)).lower() not in _NO


def parse_case(record: Record) -> Case:
    """One case of the feed; ``IcaseworkFormatError`` if it has no reference."""
    reference = clean_reference(_one_line(_lookup(record, _REFERENCE)))
    if not reference:
        raise IcaseworkFormatError("a case without CaseId or reference")
    return Case(
        case_id=_one_line(_lookup(record, _CASE_ID)) or reference,
        reference=reference,
        case_type=_one_line(_lookup(record, _TYPE)),
        label=_one_line(_lookup(record, _LABEL)),
        status=_one_line(_lookup(record, _STATUS)),
        received=_parse_date(_lookup(record, _RECEIVED)),
        responded=_parse_date(_lookup(record, _RESPONDED)),
        request=_paragraphs(_lookup(record, _REQUEST)),
        response=_paragraphs(_lookup(record, _RESPONSE)),
        exemption_text=_one_line(_lookup(record, _EXEMPTIONS)),
        classifications=_parse_classifications(record),
        documents=_parse_documents(record),
        publish=_parse_publish(record),
    )


# -- a case's item fields --------------------------------------------------------------------
def case_title(case: Case) -> str:
    return case.label or f"{case.case_type or 'Case'} {case.reference}"


def case_published(case: Case) -> date | None:
    """When the response went out: its own date, else its newest document's, else receipt."""
    dated = [d.dated for d in case.documents if d.dated]
    return case.responded or (max(dated) if dated else None) or case.received


def case_response_text(case: Case) -> str:
    """The response text; where the feed carries none, what it says of the response instead."""
    if case.response:
        return case.response
    lines = []
    if case.status:
        lines.append(f"Outcome: {case.status}.")
    if case.documents:
        lines.append("Documents published: " + "; ".join(d.name for d in case.documents) + ".")
    if case.classifications:
        topics = "; ".join(f"{group}: {name}" if group else name for group, name in case.classifications)
        lines.append(f"Classifications: {topics}.")
    return "\n".join(lines)


def case_outcome(case: Case) -> str | None:
    for pattern, outcome in _STATUS_OUTCOMES:
        if case.status and pattern.search(case.status):
            return outcome
    return classify_outcome(case.response)


def case_exemptions(case: Case) -> list[str]:
    return parse_exemptions("\n".join(t for t in (case.response, case.exemption_text, case.status) if t))


def is_extractable(document: dict[str, Any]) -> bool:
    """A document whose text can be extracted, by the MIME type the feed gives (its URLs have none)."""
    content_type = str(document.get("content_type") or "").lower()
    return any(kind in content_type for kind in _EXTRACTABLE_TYPES)
