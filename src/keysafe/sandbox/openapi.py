"""An OpenAPI 3.1 description of the sandbox, generated from keysafe's endpoint catalogue.

Served at ``GET /openapi.json``; tools such as schemathesis can fuzz the sandbox from it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from keysafe.sandbox.handlers import HANDLERS
from keysafe.sandbox.pipeline import CLIENT_ID_RANGE, DECIMAL_RANGE, INT_RANGE
from keysafe.sandbox.timeunit import UNITS
from keysafe.spec import ENDPOINTS, Param

_ERROR = {"$ref": "#/components/schemas/Error"}


def _schema(p: Param) -> dict[str, Any]:
    if p.kind in ("long", "int"):
        return {"type": "string", "pattern": INT_RANGE}
    if p.kind == "decimal":
        return {"type": "string", "pattern": DECIMAL_RANGE}
    if p.kind == "bool":
        return {"type": "string", "enum": ["true", "false"]}
    if p.kind == "enum" and p.choices:
        return {"type": "string", "enum": list(p.choices)}
    if p.kind == "symbols":
        return {"type": "string", "description": 'JSON list, e.g. ["BTCUSDT","ETHUSDT"]'}
    if p.name in ("newClientOrderId", "origClientOrderId"):
        return {"type": "string", "pattern": CLIENT_ID_RANGE}
    return {"type": "string"}


@lru_cache(maxsize=1)
def openapi() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for ep in ENDPOINTS:
        if ep.key not in HANDLERS:
            continue
        op: dict[str, Any] = {
            "summary": ep.doc, "operationId": f"{ep.method.lower()}{ep.path.replace('/', '_')}",
            "description": f"Security {ep.security.value}; weight {ep.weight_rule.__doc__ or 'by parameters'}"
                           f" ({ep.scope.value}).",
            "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {}}}},
                          "default": {"description": "Binance error",
                                      "content": {"application/json": {"schema": _ERROR}}}},
        }
        params = []
        for p in ep.params or ():
            params.append({"name": p.name, "in": "query", "required": p.required, "schema": _schema(p)})
        if ep.security.signed:
            params.append({"name": "signature", "in": "query", "required": True, "schema": {"type": "string"},
                           "description": "HMAC hex or Ed25519/RSA base64 over the raw query + body; last."})
            op["security"] = [{"apiKey": []}]
        if not ep.is_sapi:
            params.append({"name": "X-MBX-TIME-UNIT", "in": "header", "required": False,
                           "schema": {"type": "string", "enum": sorted(UNITS)},
                           "description": "Time fields of the answer in MICROSECOND or MILLISECOND (default)."})
        op["parameters"] = params
        paths.setdefault(ep.path, {})[ep.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "keysafe sandbox (Binance Spot REST subset)", "version": "1",
                 "description": "A local Binance-compatible exchange. Errors are {code, msg} with Binance's codes."},
        "paths": paths,
        "components": {
            "securitySchemes": {"apiKey": {"type": "apiKey", "in": "header", "name": "X-MBX-APIKEY"}},
            "schemas": {"Error": {"type": "object", "required": ["code", "msg"],
                                  "properties": {"code": {"type": "integer"}, "msg": {"type": "string"}}}},
        },
    }
