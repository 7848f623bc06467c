"""Content negotiation: XML or JSON, as an engine's JAX-RS resources do it.

Every v4 resource produces and consumes ``application/xml`` and ``application/json``, in
that order (the metamodel's ``JaxrsGenerator``): the answer is in the acceptable type with
the highest quality, XML on a tie or without ``Accept``, and ``406`` when the client accepts
neither; a request body in another type is refused with ``415``. There is one semantics: a
JSON request body is read into the XML document the engine handles (``jsontree``), and an
answer is rendered to JSON from the XML document it made (``jsonmodel``), faults included.
"""

from __future__ import annotations

import json
from dataclasses import replace

from contracttest.engine.documents import SYNTAX, Fault
from contracttest.engine.http import HttpRequest, HttpResponse
from contracttest.engine.model import EngineModel
from contracttest.engine.render import to_bytes
from contracttest.jsonmodel import JSON_MEDIA, to_json
from contracttest.jsontree import JSONProblem, read_json, root_of
from contracttest.router import split_uri
from contracttest.xmlsafe import XMLProblem, parse

XML_MEDIA = "application/xml"
#: What the API produces and consumes, in the order the engine prefers them.
PRODUCED = (XML_MEDIA, JSON_MEDIA)
#: The most media ranges one ``Accept`` header is read for.
_MOST_RANGES = 64


def _quality(parameters: list[str]) -> float:
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value.strip())
            except ValueError:
                return 0.0
            return quality if 0.0 <= quality <= 1.0 else 0.0
    return 1.0


def answer_type(accept: str | None) -> str | None:
    """The media type to answer in for this ``Accept``; None when neither is acceptable."""
    if accept is None or not accept.strip():
        return XML_MEDIA
    best: dict[str, tuple[int, float]] = {}  # produced type -> (specificity, quality)
    for entry in accept.split(",")[:_MOST_RANGES]:
        media, *parameters = entry.split(";")
        media = media.strip().lower()
        if not media:
            continue
        quality = _quality(parameters)
        for produced in PRODUCED:
            kind = produced.partition("/")[0]
            if media == produced:
                specificity = 2
            elif media == f"{kind}/*":
                specificity = 1
            elif media == "*/*":
                specificity = 0
            else:
                continue
            if produced not in best or specificity > best[produced][0]:
                best[produced] = (specificity, quality)
    chosen, top = None, 0.0
    for produced in PRODUCED:  # in the engine's order: the first wins a tie
        quality = best.get(produced, (0, 0.0))[1]
        if quality > top:
            chosen, top = produced, quality
    return chosen


def wants_json(request: HttpRequest) -> bool:
    """Whether the answer is JSON; ``Fault(406)`` when the client accepts neither type."""
    chosen = answer_type(request.header("accept"))
    if chosen is None:
        raise Fault(
            406,
            "Not Acceptable",
            f"the API answers {' or '.join(PRODUCED)}; Accept: {request.header('accept')}",
        )
    return chosen == JSON_MEDIA


def readable(request: HttpRequest, model: EngineModel) -> HttpRequest:
    """The request with a JSON body turned into the XML document it stands for; ``415`` for
    a body in a type the API does not read, ``400`` for JSON that is not an object or wraps
    its root (Jackson refuses the unknown property)."""
    media = (request.header("content-type") or "").split(";")[0].strip().lower()
    if not request.body.strip() or media in ("", XML_MEDIA, "text/xml") or media.endswith("+xml"):
        return request
    if media != JSON_MEDIA and not media.endswith("+json"):
        raise Fault(415, "Unsupported Media Type", f"the API reads {' or '.join(PRODUCED)}")
    target = split_uri(request.uri, model.contract.prefix)
    here = model.contract.router.links_at(target.segments) or {}
    links = here.get(request.method) or []
    body_type = links[0].body_type if links else None
    root = root_of(model.schema, body_type)
    try:
        element, notes = read_json(request.body, root, model.schema, request=True)
    except JSONProblem as exc:
        raise Fault(400, SYNTAX, f"the body {exc}") from None
    for note in notes:
        if note.rule in ("json.root-wrapper", "json.shape"):
            raise Fault(400, SYNTAX, note.message)
    headers = {**request.headers, "content-type": XML_MEDIA}
    return replace(request, body=to_bytes(element), headers=headers)


def as_json(response: HttpResponse, model: EngineModel) -> HttpResponse:
    """The answer rendered to JSON from its XML document: no root wrapper, the engine's
    scalars. What is not an API representation (the RSDL, the XSD) stays XML."""
    if not response.body.strip() or response.content_type != XML_MEDIA:
        return response
    try:
        root = parse(response.body)
    except XMLProblem:
        return response
    if str(root.tag) not in model.schema.elements:
        return response
    value = to_json(root, model.schema)
    body = json.dumps(value, indent=2, separators=(",", " : "), ensure_ascii=False).encode()
    return replace(response, body=body, content_type=JSON_MEDIA)
