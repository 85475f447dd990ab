"""The OpenAPI 3.1 description of /api/v1, written by hand next to the views it describes.

tests/web/test_api.py checks it validates and names every /api/v1 route in the url_map.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from app.models.compliance import TrapType
from app.models.lead import BUDGETS, URGENCIES
from app.partners.api import MODES, STATUSES, TEXT_FIELDS

ERROR = {"$ref": "#/components/schemas/Error"}
# What the API accepts as an Idempotency-Key (the view matches this very pattern).
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"


def _error_response(description: str, headers: dict | None = None) -> dict:
    answer = {"description": description, "content": {"application/json": {"schema": ERROR}}}
    return {**answer, "headers": headers} if headers else answer


RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying (the rate limit's window).",
        "schema": {"type": "integer", "minimum": 1},
    }
}


def _lead_create_schema() -> dict:
    described: dict[str, dict[str, Any]] = {
        "mode": {
            "enum": list(MODES),
            "description": "direct: to one provider (`provider` required); "
            "broadcast: anyone in the metro, fastest wins; quotes: up to 3 providers quote.",
        },
        "metro": {
            "description": "Metro slug, e.g. `houston`. Required for broadcast and quotes; "
            "for direct it defaults to the provider's home metro."
        },
        "category": {"description": "Service category slug, e.g. `grease-trap-pumping`."},
        "provider": {"description": "Provider slug (direct leads only)."},
        "status": {
            "enum": list(STATUSES),
            "description": "Leave out to let FogForge's quality checks "
            "decide; `verified` routes the lead at once, `pending` holds it for review.",
        },
        "description": {"minLength": 10, "pattern": r"\S"},
        "customer_name": {"minLength": 2, "pattern": r"\S"},
        "customer_email": {"format": "email", "description": "customer_email or customer_phone is required."},
        "customer_phone": {"description": "With area code; stored in E.164."},
        "postal_code": {
            "description": "The site's US ZIP code (5 digits, or ZIP+4), checked against the US ZIP list; "
            "it decides which providers' service areas the lead reaches. Without it the lead is routed by metro."
        },
        "urgency": {"enum": list(URGENCIES), "default": "this_week"},
        "budget": {"enum": list(BUDGETS)},
        "trap_type": {"enum": list(TrapType.values()), "description": "Grease trap type (issue 12)."},
        "trap_last_pumped": {"format": "date", "description": "YYYY-MM-DD, not in the future."},
        "trap_access_notes": {"description": "Where the trap is and how to reach it (shown to providers)."},
    }
    properties = {}
    for name, (max_len, required) in TEXT_FIELDS.items():
        schema = {"type": "string" if required else ["string", "null"], "maxLength": max_len}
        if required:  # the API refuses "" (and whitespace only) for these
            schema["minLength"] = 1
            schema["pattern"] = r"\S"
        extra = dict(described.get(name, {}))
        if "enum" in extra and not required:
            extra["enum"] = [*extra["enum"], None]
        properties[name] = {**schema, **extra}
    properties["trap_capacity_gallons"] = {
        "type": ["integer", "string", "null"],
        "minimum": 10,
        "maximum": 10000,
        "description": "Trap capacity in gallons, 10 to 10,000; required with trap_type.",
    }
    return {
        "type": "object",
        "additionalProperties": False,
        "required": [name for name, (_, required) in TEXT_FIELDS.items() if required],
        "properties": properties,
    }


def document() -> dict:
    lead_id = {"name": "lead_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "FogForge Partner API",
            "version": "1.0.0",
            "description": "Send grease-trap service requests (leads) to FogForge and read their status. "
            "Authenticate with `Authorization: Bearer ffk_…` (keys are issued by a FogForge admin and "
            "shown once). Errors are JSON `{error, message, fields}`; `fields` maps each invalid field "
            "to a message. Requests are rate limited per key (429).",
        },
        "servers": [{"url": current_app.config["APP_BASE_URL"] + "/api/v1"}],
        "security": [{"apiKey": []}],
        "paths": {
            "/leads": {
                "post": {
                    "operationId": "createLead",
                    "summary": "Create a lead",
                    "parameters": [
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": False,
                            "schema": {
                                "type": "string",
                                "minLength": 1,
                                "maxLength": 255,
                                "pattern": IDEMPOTENCY_KEY_PATTERN,
                            },
                            "description": "1 to 255 visible ASCII characters (`!` to `~`, no spaces), e.g. "
                            "`order-4711` or a UUID. Retries with the same key and body return the first result "
                            "(same status and body, header `Idempotent-Replayed: true`); the same key with a "
                            "different body is refused with 422 `idempotency_key_reused`.",
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LeadCreate"}}},
                    },
                    "responses": {
                        "201": {
                            "description": "Created (or the replayed first result)",
                            "headers": {"Location": {"schema": {"type": "string"}}},
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LeadStatus"}}},
                        },
                        "400": _error_response("Body is not JSON, or a malformed Idempotency-Key"),
                        "401": _error_response("Missing, unknown or revoked API key"),
                        "409": _error_response("A request with this Idempotency-Key is still in progress"),
                        "422": _error_response(
                            "Invalid fields (see `fields`), or an Idempotency-Key reused with a different body"
                        ),
                        "429": _error_response("Rate limit for this key exceeded", RETRY_AFTER),
                    },
                },
            },
            "/leads/{lead_id}": {
                "get": {
                    "operationId": "getLead",
                    "summary": "Read the status of a lead your partner account created",
                    "parameters": [lead_id],
                    "responses": {
                        "200": {
                            "description": "The lead's status (never contact data)",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LeadStatus"}}},
                        },
                        "401": _error_response("Missing, unknown or revoked API key"),
                        "404": _error_response("No such lead created by this partner"),
                        "429": _error_response("Rate limit for this key exceeded", RETRY_AFTER),
                    },
                },
            },
            "/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "This document",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "OpenAPI 3.1 document",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                },
            },
        },
        "components": {
            "securitySchemes": {
                "apiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A partner API key, ffk_<prefix>_<secret>",
                }
            },
            "schemas": {
                "LeadCreate": _lead_create_schema(),
                "LeadStatus": {
                    "type": "object",
                    "required": [
                        "id",
                        "mode",
                        "status",
                        "delivery_status",
                        "metro",
                        "category",
                        "created_at",
                        "status_text",
                    ],
                    "properties": {
                        "id": {"type": "integer"},
                        "mode": {"enum": list(MODES)},
                        "status": {"type": "string", "description": "pending, verified, spam, cancelled, completed"},
                        "delivery_status": {
                            "type": "string",
                            "description": "new, ready, delivered, pending (escrow), and per-mode states",
                        },
                        "metro": {"type": "string"},
                        "category": {"type": "string"},
                        "created_at": {"type": "string", "format": "date-time"},
                        "status_text": {
                            "type": "object",
                            "description": "What the customer's tracking page says",
                            "required": ["headline", "detail", "final"],
                            "properties": {
                                "headline": {"type": "string"},
                                "detail": {"type": "string"},
                                "final": {"type": "boolean"},
                            },
                        },
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["error", "message", "fields"],
                    "properties": {
                        "error": {"type": "string", "description": "Machine-readable code, e.g. validation_failed"},
                        "message": {"type": "string"},
                        "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                    },
                },
            },
        },
    }
