"""GeoReport v2 output: JSON, and XML written with ``xml.etree`` (escaped, well-formed whatever the text).

Element names follow the specification (https://wiki.open311.org/GeoReport_v2): a list of requests is
``<service_requests><request>…</request></service_requests>``, services ``<services><service>``, a
definition ``<service_definition>``, errors ``<errors><error><code/><description/></error></errors>``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from django.http import HttpResponse, JsonResponse

FORMATS = ("json", "xml")
# Characters XML 1.0 forbids even escaped (C0 controls other than tab, LF, CR; surrogates; U+FFFE/F).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _append(parent: ET.Element, tag: str, value: Any, item_tags: dict[str, str]) -> None:
    element = ET.SubElement(parent, tag)
    if isinstance(value, dict):
        for key, inner in value.items():
            _append(element, key, inner, item_tags)
    elif isinstance(value, list):
        for inner in value:
            _append(element, item_tags.get(tag, "item"), inner, item_tags)
    else:
        element.text = _text(value)


def to_xml(root: str, item: str | None, data: Any, item_tags: dict[str, str] | None = None) -> bytes:
    """``data`` (a list of dicts under ``root``/``item``, or one dict as ``root``) as an XML document."""
    tags = item_tags or {}
    element = ET.Element(root)
    if item is None:
        for key, value in data.items():
            _append(element, key, value, tags)
    else:
        for entry in data:
            child = ET.SubElement(element, item)
            for key, value in entry.items():
                _append(child, key, value, tags)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)


def respond(
    fmt: str, data: Any, *, root: str, item: str | None, status: int = 200, item_tags: dict[str, str] | None = None
) -> HttpResponse:
    if fmt == "xml":
        response = HttpResponse(
            to_xml(root, item, data, item_tags), content_type="application/xml; charset=utf-8", status=status
        )
    else:
        response = JsonResponse(data, safe=False, status=status, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"  # public data, no credentials: any web client may read it
    return response


def error(fmt: str, status: int, *descriptions: str) -> HttpResponse:
    """The specification's error shape: ``[{"code": 400, "description": "…"}]`` (XML: ``<errors>``)."""
    fmt = fmt if fmt in FORMATS else "json"
    data = [{"code": status, "description": d} for d in descriptions] or [{"code": status, "description": ""}]
    return respond(fmt, data, root="errors", item="error", status=status)
