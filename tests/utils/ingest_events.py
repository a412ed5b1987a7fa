"""Factories of emission-event request bodies for the ingest API tests."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any


def event_body(**overrides: Any) -> dict[str, Any]:
    """A valid EmissionEvent JSON body (occurred a minute ago); ``overrides`` replace or add fields,
    a value of ``None`` removes the field."""
    body: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "org_id": "org-test",
        "occurred_at": (datetime.now(timezone.utc) - timedelta(minutes=1)).isoformat(),
        "co2e_kg": 12.5,
        "scope": 2,
        "category": "purchased_electricity",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def ndjson(bodies: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(body) + "\n" for body in bodies).encode()
