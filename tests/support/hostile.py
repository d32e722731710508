"""A corpus of hostile inputs, generated from an OpenAPI document so that it covers every write
operation the document lists — including operations added after this file was written.

Each :class:`HostileCase` must be refused with a clear 4xx problem; where it mutates one field,
the refusal must name that field. Classes: raw NaN/Infinity, deep nesting, malformed JSON, wrong
top-level and field types, over-long strings, control / zero-width / bidi characters, lone
surrogates, full-width digits, out-of-range and over-precise numbers, SQL- and template-injection
strings where only a code, a date, an enum or a number is acceptable, hostile path parameters.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

WRITE_METHODS = ("post", "put", "patch", "delete")
SQL_INJECTION = ["' OR '1'='1", "1; DROP TABLE enterprise; --", '" OR ""="', "1' UNION SELECT password FROM users--"]
TEMPLATE_INJECTION = ["{{7*7}}", "${7*7}", "<%= 7*7 %>", "#{7*7}", "{{config.__class__.__init__.__globals__}}"]
CONTROL_TEXTS = ["ab\x00cd", "ab\x07cd", "ab\u200bcd", "ab\u202ecd", "ab\ufeffcd", "ab\x1bcd"]
FULL_WIDTH_DIGITS = "２０２５"
_TURNS = itertools.count()


@dataclass
class HostileCase:
    operation: str
    label: str
    method: str
    path: str
    content: bytes
    field: str | None = None  # the field the refusal must name
    content_type: str = "application/json"
    headers: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclass
class Operation:
    method: str
    template: str
    operation: dict[str, Any]
    document: dict[str, Any]

    @property
    def body_schema(self) -> dict[str, Any] | None:
        content = self.operation.get("requestBody", {}).get("content", {})
        if "application/json" not in content:
            return None
        return resolve(self.document, content["application/json"].get("schema", {}))

    def path_with(self, overrides: dict[str, str] | None = None) -> str:
        path = self.template
        for parameter in self.operation.get("parameters", []):
            if parameter.get("in") != "path":
                continue
            name = parameter["name"]
            value = (overrides or {}).get(name, placeholder(name, parameter.get("schema", {})))
            path = path.replace("{" + name + "}", value)
        return path


def placeholder(name: str, schema: dict[str, Any]) -> str:
    if schema.get("type") == "integer":
        return "2025"
    if name == "uscc":
        return "91530102MA6K7U9X3A"  # well-formed, registered nowhere
    return "00000000-0000-4000-8000-000000000000"


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def non_null(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The schema without its ``null`` alternative (``X | None``), references resolved."""
    schema = resolve(document, schema)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [resolve(document, s) for s in schema[key] if resolve(document, s).get("type") != "null"]
            if len(options) == 1:
                return non_null(document, options[0])
            return {**schema, key: options}
    return schema


def kind_of(schema: dict[str, Any]) -> str:
    if "enum" in schema or "const" in schema:
        return "enum"
    for key in ("anyOf", "oneOf"):
        if key in schema:
            types = {s.get("type") for s in schema[key]}
            if types & {"number", "integer"}:
                return "number"  # money and other numbers sent as text or number
            return "union"
    kind = schema.get("type", "any")
    if kind == "string" and schema.get("format") in ("date", "date-time"):
        return "date"
    return str(kind)


def write_operations(document: dict[str, Any]) -> Iterator[Operation]:
    for template, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method in WRITE_METHODS:
                yield Operation(method.upper(), template, operation, document)


def field_values(document: dict[str, Any], schema: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(label, value) pairs that no schema-following client would send for this field."""
    schema = non_null(document, schema)
    kind = kind_of(schema)
    if kind == "string":
        limit = schema.get("maxLength")
        yield "over-long", "x" * ((limit or 100_000) + 1)
        # Two of the control/invisible texts per field, in turn, so that every one is sent somewhere.
        turn = next(_TURNS)
        for text in (CONTROL_TEXTS[turn % len(CONTROL_TEXTS)], CONTROL_TEXTS[(turn + 1) % len(CONTROL_TEXTS)]):
            yield f"control {text.encode('unicode_escape').decode()}", text
        yield "lone surrogate", "ab\ud800cd"
        yield "wrong type: number", 12345
        yield "wrong type: object", {"$gt": ""}
        if "pattern" in schema:
            yield "sql injection", SQL_INJECTION[0]
            yield "template injection", TEMPLATE_INJECTION[0]
    elif kind == "enum":
        yield "sql injection", SQL_INJECTION[1]
        yield "template injection", TEMPLATE_INJECTION[1]
        yield "control", "ab\x00cd"
        yield "wrong type: list", ["x"]
    elif kind == "date":
        yield "impossible date", "2024-13-45"
        yield "sql injection", SQL_INJECTION[2]
        yield "template injection", TEMPLATE_INJECTION[2]
        yield "full-width digits", "２０２４-０５-２０"
        yield "wrong type: number", 20240520
    elif kind == "integer":
        yield "text", "abc"
        yield "fraction", 1.5
        yield "full-width digits", FULL_WIDTH_DIGITS
        yield "huge", 10**40
        yield "sql injection", SQL_INJECTION[3]
        yield "template injection", TEMPLATE_INJECTION[3]
    elif kind == "number":
        numbers: list[tuple[str, Any]] = [("NaN as text", "NaN"), ("Infinity as text", "Infinity"), ("1e308", 1e308),
                                          ("huge", 10**40), ("too precise", "0.0000001"),
                                          ("thousands separator", "1,000"), ("boolean", True),
                                          ("sql injection", SQL_INJECTION[0]),
                                          ("template injection", TEMPLATE_INJECTION[4])]  # fmt: skip
        yield "full-width digits", FULL_WIDTH_DIGITS
        turn = next(_TURNS)  # five of the others per field, in turn
        for offset in range(5):
            yield numbers[(turn + offset) % len(numbers)]
    elif kind == "boolean":
        yield "maybe", "maybe"
        yield "two", 2
        yield "wrong type: list", [True]
    elif kind == "array":
        yield "wrong type: text", "not a list"
        limit = schema.get("maxItems")
        items = non_null(document, schema.get("items", {}))
        if kind_of(items) == "string":
            yield "1 MB item", ["x" * 1_000_000]
            yield "control item", ["ab\x00cd"]
        if kind_of(items) in ("integer", "number"):
            yield "item text", ["abc"]
            yield "item huge", [10**40]
        yield "too many items", [None] * ((limit or 10_000) + 1)
    elif kind == "object":
        yield "wrong type: text", "x"
        yield "wrong type: list", [1, 2]
        if schema.get("additionalProperties") not in (None, False):
            yield "control key", {"ab\x00cd": 1}
            yield "nested value", {"a": {"b": {"c": {"d": 1}}}}
        else:
            yield "unknown field", {"no_such_field_x": 1}


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=True).encode()


def body_cases(operation: Operation) -> Iterator[HostileCase]:
    schema = operation.body_schema
    if schema is None:
        return
    path = operation.path_with()
    method = operation.method
    where = f"{method} {operation.template}"
    top = non_null(operation.document, schema)
    is_object = kind_of(top) == "object"
    properties = top.get("properties", {}) if is_object else {}
    first = next(iter(properties), None)
    # Body-level: whatever the schema.
    yield HostileCase(where, f"{where}: malformed JSON", method, path, b'{"a": ', field="body")
    yield HostileCase(where, f"{where}: nesting 40 deep", method, path, b'{"a": ' + b"[" * 40 + b"]" * 40 + b"}")
    yield HostileCase(where, f"{where}: nesting 5000 deep", method, path, b"[" * 5000 + b"]" * 5000)
    yield HostileCase(where, f"{where}: 2 MB body", method, path, _json({"x": "y" * (2 << 20)}))
    yield HostileCase(where, f"{where}: wrong top-level type", method, path, b'"text"' if is_object else b'{"a": 1}')
    for literal in ("NaN", "Infinity", "-Infinity"):
        name = first or "x"
        raw = f'{{"{name}": {literal}}}' if is_object else f"[{literal}]"
        yield HostileCase(
            where, f"{where}: raw {literal}", method, path, raw.encode(), field=name if is_object else None
        )
    if not is_object:
        for label, value in field_values(operation.document, top):
            yield HostileCase(where, f"{where} body: {label}", method, path, _json(value))
        return
    for name, property_schema in properties.items():
        for label, value in field_values(operation.document, property_schema):
            yield HostileCase(where, f"{where} {name}: {label}", method, path, _json({name: value}), field=name)


def path_cases(operation: Operation) -> Iterator[HostileCase]:
    parameters = [p for p in operation.operation.get("parameters", []) if p.get("in") == "path"]
    schema = operation.body_schema
    empty = b"{}" if schema is None or kind_of(non_null(operation.document, schema)) == "object" else b"[]"
    hostile = [SQL_INJECTION[0], TEMPLATE_INJECTION[0], "../../../etc/passwd", "ab\x00cd", "ab\u200bcd",
               "x" * 3000, FULL_WIDTH_DIGITS]  # fmt: skip
    for parameter in parameters:
        for value in hostile:
            path = operation.path_with({parameter["name"]: quote(value, safe="")})
            label = f"{operation.method} {operation.template} path {parameter['name']}={value[:20]!r}"
            yield HostileCase(f"{operation.method} {operation.template}", label, operation.method, path, empty)


def corpus(document: dict[str, Any]) -> list[HostileCase]:
    cases: list[HostileCase] = []
    for operation in write_operations(document):
        cases += body_cases(operation)
        cases += path_cases(operation)
    return cases


def unbounded_strings(document: dict[str, Any]) -> list[str]:
    """Every string in a write operation's request schema without a length limit, enum or pattern."""
    found: list[str] = []
    seen: set[str] = set()

    def walk(schema: dict[str, Any], where: str, depth: int = 0) -> None:
        if depth > 12:
            return
        if "$ref" in schema:
            if schema["$ref"] in seen:
                return
            seen.add(schema["$ref"])
        schema = resolve(document, schema)
        for key in ("anyOf", "oneOf", "allOf"):
            options = [resolve(document, o) for o in schema.get(key, [])]
            numeric = any(o.get("type") in ("number", "integer") for o in options)
            for option in options:
                if numeric and option.get("type") == "string":
                    continue  # a decimal sent as text: bounded by the number's own validation
                walk(option, where, depth + 1)
        bounded = {"maxLength", "enum", "const", "pattern"} & set(schema) or schema.get("format") == "date"
        if schema.get("type") == "string" and not bounded:
            found.append(where)
        for name, sub in schema.get("properties", {}).items():
            walk(sub, f"{where}.{name}", depth + 1)
        if isinstance(schema.get("items"), dict):
            walk(schema["items"], f"{where}[]", depth + 1)
        if isinstance(schema.get("additionalProperties"), dict):
            walk(schema["additionalProperties"], f"{where}{{}}", depth + 1)
        if isinstance(schema.get("propertyNames"), dict):
            walk(schema["propertyNames"], f"{where}{{key}}", depth + 1)

    for operation in write_operations(document):
        schema = operation.body_schema
        if schema is not None:
            walk(operation.operation["requestBody"]["content"]["application/json"]["schema"],
                 f"{operation.method} {operation.template}")  # fmt: skip
    return found
