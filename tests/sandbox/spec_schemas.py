"""Load the vendor specs from ../shared/specs, patch the known quirks (SOURCES.md), build validators.

Schemas are also "closed" (additionalProperties false wherever an object lists its properties and
nothing else says otherwise), so a field the vendor does not have fails validation too.
"""

import copy
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft4Validator
from openapi_schema_validator import OAS30Validator, OAS31Validator, oas30_format_checker, oas31_format_checker

REPO = Path(__file__).resolve().parents[2]
SPECS = REPO / ".." / "shared" / "specs"


def specs_dir() -> Path:
    """The specs folder; skipped with a reason when absent, a failure in CI (CI=true)."""
    if not SPECS.is_dir():
        message = f"vendor specs not found at {SPECS.resolve()} (expected ../shared/specs beside the repo)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return SPECS


def _close(node: Any) -> None:
    if isinstance(node, dict):
        has_combinator = any(k in node for k in ("allOf", "oneOf", "anyOf"))
        if "properties" in node and "additionalProperties" not in node and not has_combinator:
            node["additionalProperties"] = False
        for value in node.values():
            _close(value)
    elif isinstance(node, list):
        for value in node:
            _close(value)


def _allof_members(node: Any, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        for member in node.get("allOf", []):
            if "$ref" in member:
                found.add(member["$ref"].rsplit("/", 1)[-1])
        for value in node.values():
            _allof_members(value, found)
    elif isinstance(node, list):
        for value in node:
            _allof_members(value, found)
    return found


def _close_composites(node: Any, open_names: set[str], name: str | None = None) -> Any:
    # SOURCES.md quirk: `additionalProperties: false` beside or inside an allOf rejects the fields the
    # other members declare (a real `{"href": ...}` link, a shipping address). Schemas used as allOf
    # members are left open; every other object, and every plain `$ref` to an open one, closes with
    # 2020-12 `unevaluatedProperties: false`, which sees the fields of all allOf members.
    if isinstance(node, list):
        return [_close_composites(v, open_names) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "allOf":
            out[key] = [m if "$ref" in m else _close_composites(m, open_names, "(member)") for m in value]
        else:
            out[key] = _close_composites(value, open_names)
    if out.get("additionalProperties") is False:
        del out["additionalProperties"]
    if name == "(member)" or name in open_names:
        return out
    if "$ref" in out and out["$ref"].rsplit("/", 1)[-1] in open_names:
        ref = out.pop("$ref")
        return {**out, "allOf": [{"$ref": ref}], "unevaluatedProperties": False}
    if ("properties" in out or "allOf" in out) and out.get("type", "object") == "object":
        out["unevaluatedProperties"] = False
    return out


def _honour_x_nullable(node: Any) -> Any:
    # Quirk: the ShipStation spec is OAS 3.1 but marks nullable fields the Swagger 2 way (`x-nullable`),
    # which 3.1 validators ignore; the live API does send null there.
    if isinstance(node, list):
        return [_honour_x_nullable(v) for v in node]
    if not isinstance(node, dict):
        return node
    node = {k: _honour_x_nullable(v) for k, v in node.items()}
    if node.pop("x-nullable", False):
        if isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
            if "enum" in node:
                node["enum"] = [*node["enum"], None]
        else:
            return {"anyOf": [node, {"type": "null"}]}
    return node


@cache
def _hubspot() -> dict:
    doc = json.loads((specs_dir() / "hubspot" / "objects.json").read_text())
    schemas = doc["components"]["schemas"]
    # Quirk: the spec types property values as non-null strings, but the live API answers a requested
    # property that has no value with null (e.g. an open deal's `closedate`, a contact without `utm_source`).
    for name, schema in schemas.items():
        if name.startswith("SimplePublicObject") and "properties" in schema.get("properties", {}):
            schema["properties"]["properties"]["additionalProperties"]["nullable"] = True
    _close(schemas)
    return doc


@cache
def _shipstation() -> dict:
    doc = yaml.safe_load((specs_dir() / "shipstation" / "openapi.yaml").read_text())
    doc["components"]["schemas"] = schemas = _honour_x_nullable(doc["components"]["schemas"])
    open_names = _allof_members(schemas, set())
    doc["components"]["schemas"] = schemas = {name: _close_composites(schema, open_names, name)
                                              for name, schema in schemas.items()}
    # Quirk: tracking `status_code` points at the detail-code enum; the live API sends the short codes
    # (UN, AC, IT, DE, EX, AT, NY, SP), which is also what the spec's own tracking_status_code lists.
    schemas["tracking_information"]["properties"]["status_code"] = {"type": "string",
                                                                    "enum": ["UN", "AC", "IT", "DE", "EX", "AT", "NY", "SP"]}
    event = schemas["tracking_information"]["properties"]["events"]["items"]
    event["properties"]["status_code"] = schemas["tracking_information"]["properties"]["status_code"]
    # Quirk: OAS 3.0's boolean `exclusiveMinimum: true` written as 1 (and 2 in the misspelt `weigth`)
    # under OAS 3.1, where a number means "greater than it": a 1 lb package would be invalid.
    for name in ("weight", "weigth"):
        schemas[name]["properties"]["value"] = {"type": "number", "exclusiveMinimum": 0}
    return doc


@cache
def _docusign() -> dict:
    doc = json.loads((specs_dir() / "docusign" / "esignature.rest.swagger-v2.1.json").read_text())
    defs = doc["definitions"]
    defs.setdefault("offlineAttributes", {"type": "object"})  # the dangling ref (SOURCES.md)
    _close(defs)
    # The 2022 spec predates nextUri/previousUri, which the current API and SDK return.
    defs["envelopesInformation"]["properties"].update({"nextUri": {"type": "string"}, "previousUri": {"type": "string"}})
    return doc


@cache
def _shippo() -> dict:
    doc = yaml.safe_load((specs_dir() / "shippo" / "public-api.yaml").read_text())
    schemas = doc["components"]["schemas"]
    # Quirk (SOURCES.md): `next`/`previous` are typed non-null strings; the live API sends null at the ends.
    for key in ("next", "previous"):
        schemas["PaginatedList"]["properties"][key] = {"type": ["string", "null"]}
    # Quirk: the live transaction also names its order, parcel and billing, and sends null for URLs and
    # an eta it has not got (Shippo's own example answer:
    # https://docs.goshippo.com/docs/carriers/integration_guides/colissimo/purchase_label).
    transaction = schemas["Transaction"]["properties"]
    transaction.update({"order": {"type": ["string", "null"]}, "parcel": {"type": "string"},
                        "billing": {"type": "object", "properties": {"payments": {"type": "array"}}}})
    for key in ("commercial_invoice_url", "qr_code_url", "eta"):
        transaction[key]["type"] = ["string", "null"]
    open_names = _allof_members(schemas, set())
    doc["components"]["schemas"] = {name: _close_composites(schema, open_names, name) for name, schema in schemas.items()}
    return doc


def _validator(cls: type, doc: dict, ref: str, checker: Any) -> Any:
    schema = copy.copy(doc)
    schema["$ref"] = ref
    return cls(schema, format_checker=checker)


def validate(vendor: str, name: str, payload: Any) -> None:
    """Raise jsonschema.ValidationError unless `payload` matches the vendor schema `name`."""
    if vendor == "hubspot":
        v = _validator(OAS30Validator, _hubspot(), f"#/components/schemas/{name}", oas30_format_checker)
    elif vendor == "shipstation":
        v = _validator(OAS31Validator, _shipstation(), f"#/components/schemas/{name}", oas31_format_checker)
    elif vendor == "docusign":
        v = _validator(Draft4Validator, _docusign(), f"#/definitions/{name}", Draft4Validator.FORMAT_CHECKER)
    elif vendor == "shippo":
        v = _validator(OAS31Validator, _shippo(), f"#/components/schemas/{name}", oas31_format_checker)
    else:
        raise ValueError(f"no OpenAPI spec for {vendor}")
    v.validate(payload)


@cache
def meta_insights_fields() -> dict[str, str]:
    """Field name -> type of Meta's AdsInsights node (SDK codegen format, not OpenAPI)."""
    doc = json.loads((specs_dir() / "meta" / "AdsInsights.json").read_text())
    return {f["name"]: f["type"] for f in doc["fields"]}


@cache
def meta_insights_params() -> set[str]:
    """Parameters of GET /act_{id}/insights per AdAccount.json."""
    doc = json.loads((specs_dir() / "meta" / "AdAccount.json").read_text())
    return {p["name"] for api in doc["apis"] if api.get("endpoint") == "insights" and api.get("method") == "GET"
            for p in api.get("params", [])}
