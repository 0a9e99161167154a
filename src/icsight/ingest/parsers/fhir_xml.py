"""FHIR R4 XML to the FHIR JSON form, so XML resources take exactly the JSON path.

The conversion follows the FHIR R4 specification's XML and JSON representations (HL7 FHIR R4,
"XML Representation of Resources" and "JSON Representation of Resources",
https://hl7.org/fhir/R4/xml.html and https://hl7.org/fhir/R4/json.html): a primitive is an
element whose `value` attribute is the value (its `id` and `extension` go to the JSON
`_name` object), a repeating element becomes a JSON array (which elements repeat is read from
the R4B models of `fhir.resources`, the ones the JSON path validates with), a resource is
wrapped in an element named after its type (`resource`, `contained`), `Extension.url` and any
element's `id` are attributes, and the narrative `div` is XHTML kept as text.

The XML is parsed with `lxml` hardened against hostile files (OWASP, "XML External Entity
Prevention Cheat Sheet"): entities are not resolved, no DTD is loaded, the network is never
used, libxml2's limits on huge documents stay on, and a document with any DOCTYPE at all is
refused (FHIR XML has none). What is malformed is a `XmlError` naming the line and the
element path, never an exception out of the parser.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from lxml import etree

FHIR_NS = "http://hl7.org/fhir"
XHTML_NS = "http://www.w3.org/1999/xhtml"
MAX_DEPTH = 64
_INTEGER = re.compile(r"-?[0-9]+")
_DECIMAL = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")


@dataclass(frozen=True)
class XmlError(Exception):
    """Why a document or element cannot be read: the line, the element path (as a JSON field
    path, `valueQuantity.value`) and the reason."""

    line: int | None
    field: str
    reason: str

    @property
    def where(self) -> str:
        return f"line {self.line}" if self.line else "file"


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=False, remove_comments=True,
                           remove_pis=True, collect_ids=False)


def parse(raw: bytes) -> etree._Element:
    """The root element of `raw`, or an XmlError: not well-formed, a DOCTYPE, an entity,
    not in the FHIR namespace."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        root = etree.fromstring(raw, _parser())
    except etree.XMLSyntaxError as e:
        line, column = (e.position if e.position else (e.lineno, 0))
        raise XmlError(line, "", f"not well-formed XML (line {line}, column {column}): "
                                   f"{e.msg}") from None
    except ValueError as e:  # e.g. bytes lxml refuses outright
        raise XmlError(None, "", f"not readable XML: {e}") from None
    if root is None:
        raise XmlError(None, "", "an empty XML document")
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise XmlError(1, "", "a DOCTYPE (DTD) is refused: FHIR XML has none, and a DTD's "
                                "entities could expand or fetch what the file does not hold")
    if any(isinstance(node, etree._Entity) for node in root.iter()):
        raise XmlError(None, "", "an entity reference is refused: FHIR XML has none")
    if etree.QName(root).namespace != FHIR_NS:
        raise XmlError(root.sourceline, etree.QName(root).localname,
                         f"the root element is not in the FHIR namespace ({FHIR_NS})")
    return root


def resource_type(el: etree._Element) -> str:
    return etree.QName(el).localname


def to_json(el: etree._Element, skip: frozenset[str] = frozenset()) -> dict:
    """The resource `el` (an element named after its type) as FHIR JSON; children named in
    `skip` are left out (a Bundle's entries, converted one at a time by the caller)."""
    name = resource_type(el)
    model = _resource_model(name, el.sourceline, name)
    return {"resourceType": name, **_complex(el, model, name, 1, skip)}


def entry_model():
    """The model of `Bundle.entry`, to convert a Bundle's entries one at a time."""
    return _inner(_resource_model("Bundle", None, "Bundle").model_fields["entry"].annotation)[1]


def entry_to_json(el: etree._Element, path: str) -> dict:
    return _complex(el, entry_model().get_model_klass(), path, 2, frozenset())


def _resource_model(name: str, line, path: str):
    from fhir.resources.R4B import get_fhir_model_class

    try:
        model = get_fhir_model_class(name)
    except (KeyError, ValueError):
        raise XmlError(line, path, f"{name!r} is not a FHIR R4 resource type") from None
    return model


@cache
def _fields(model) -> dict[str, tuple[bool, object]]:
    """A model's JSON names -> (repeats, the element's type), `_name` extensions left out."""
    fields = {}
    for name, info in model.model_fields.items():
        alias = info.alias or name
        if alias.startswith("_") or alias == "fhir_comments":
            continue
        fields[alias] = _inner(info.annotation)
    return fields


def _inner(annotation) -> tuple[bool, object]:
    """(repeats, type) from `Optional[List[X]]`, `X | None`, `List[X]` or `X`."""
    repeats = False
    while True:
        origin = typing.get_origin(annotation)
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0]
        elif origin is list:
            repeats = True
            annotation = typing.get_args(annotation)[0]
        else:
            return repeats, annotation


def _complex(el: etree._Element, model, path: str, depth: int,
             skip: frozenset[str]) -> dict:
    if depth > MAX_DEPTH:
        raise XmlError(el.sourceline, path, f"nested more than {MAX_DEPTH} levels deep")
    out: dict = {}
    for attr, value in el.attrib.items():
        if attr in ("id", "url") and attr in _fields(model):
            out[attr] = value
        else:
            raise XmlError(el.sourceline, f"{path}@{attr}", f"attribute {attr!r} is not "
                             f"part of FHIR XML here")
    primitives: dict[str, list] = {}
    for child in el:
        if not isinstance(child.tag, str):
            continue
        qname = etree.QName(child)
        name = qname.localname
        where = f"{path}.{name}" if path else name
        if name in skip:
            continue
        if name == "div" and qname.namespace == XHTML_NS and "div" in _fields(model):
            out["div"] = etree.tostring(child, encoding="unicode", with_tail=False)
            continue
        if qname.namespace != FHIR_NS:
            raise XmlError(child.sourceline, where, f"element <{name}> is not in the FHIR "
                             "namespace")
        if name not in _fields(model):
            raise XmlError(child.sourceline, where, f"element <{name}> is not part of "
                             f"{model.__name__}")
        repeats, kind = _fields(model)[name]
        if hasattr(kind, "get_model_klass"):
            value = _element(child, kind.get_model_klass(), where, depth + 1)
            if repeats:
                out.setdefault(name, []).append(value)
            elif name in out:
                raise XmlError(child.sourceline, where, f"<{name}> appears twice but may "
                                 "appear only once")
            else:
                out[name] = value
        else:
            primitives.setdefault(name, []).append(
                _primitive(child, kind, where, depth + 1))
            if not repeats and len(primitives[name]) > 1:
                raise XmlError(child.sourceline, where, f"<{name}> appears twice but may "
                                 "appear only once")
    for name, items in primitives.items():
        values = [v for v, _ in items]
        extras = [x for _, x in items]
        repeats = _fields(model)[name][0]
        if any(v is not None for v in values):
            out[name] = values if repeats else values[0]
        if any(extras):
            out[f"_{name}"] = extras if repeats else extras[0]
    return out


def _element(el: etree._Element, model, path: str, depth: int) -> dict:
    if model.__name__ == "Resource":  # `resource`, `contained`: one element named by its type
        children = [c for c in el if isinstance(c.tag, str)]
        if len(children) != 1:
            raise XmlError(el.sourceline, path, "a resource element must hold exactly one "
                             "resource")
        name = resource_type(children[0])
        if etree.QName(children[0]).namespace != FHIR_NS:
            raise XmlError(children[0].sourceline, path, f"<{name}> is not in the FHIR "
                             "namespace")
        inner = _resource_model(name, children[0].sourceline, path)
        return {"resourceType": name, **_complex(children[0], inner, path, depth + 1,
                                                 frozenset())}
    return _complex(el, model, path, depth, frozenset())


def _primitive(el: etree._Element, kind, path: str, depth: int) -> tuple[object, dict | None]:
    """(the JSON value or None, the `_name` object or None) of a primitive element."""
    extra: dict = {}
    for attr, value in el.attrib.items():
        if attr == "id":
            extra["id"] = value
        elif attr != "value":
            raise XmlError(el.sourceline, f"{path}@{attr}", f"attribute {attr!r} is not "
                             "part of a FHIR primitive")
    extensions = []
    for child in el:
        if not isinstance(child.tag, str):
            continue
        if etree.QName(child).localname != "extension" or \
                etree.QName(child).namespace != FHIR_NS:
            raise XmlError(child.sourceline, f"{path}.{etree.QName(child).localname}",
                             "a primitive holds only extensions")
        from fhir.resources.R4B import get_fhir_model_class

        extensions.append(_complex(child, get_fhir_model_class("Extension"),
                                   f"{path}.extension", depth + 1, frozenset()))
    if extensions:
        extra["extension"] = extensions
    text = el.get("value")
    if text is None and not extra:
        raise XmlError(el.sourceline, path, "a primitive element without a value attribute "
                         "or extensions")
    return (None if text is None else _typed(text, kind, el.sourceline, path)), (extra or None)


def _typed(text: str, kind, line, path: str):
    """The JSON value of `text` for the primitive type `kind` (FHIR's JSON: booleans and
    numbers unquoted, everything else a string)."""
    meta = {type(m).__name__ for m in getattr(kind, "__metadata__", ())}
    base = typing.get_args(kind)[0] if meta else kind
    if base is bool or "Boolean" in meta:
        if text not in ("true", "false"):
            raise XmlError(line, path, f"{text[:40]!r} is not a boolean (true or false)")
        return text == "true"
    if base is int or meta & {"Integer", "PositiveInt", "UnsignedInt"}:
        if not _INTEGER.fullmatch(text):
            raise XmlError(line, path, f"{text[:40]!r} is not an integer")
        return int(text)
    if base is Decimal or "Decimal" in meta:
        if not _DECIMAL.fullmatch(text):
            raise XmlError(line, path, f"{text[:40]!r} is not a decimal number")
        return int(text) if _INTEGER.fullmatch(text) else float(text)
    return text
