"""Named quality flags: every data-quality or eligibility decision is data, never a bare boolean.

A flag is ``QualityFlag(name, description, data)``: ``name`` is a stable snake_case identifier
(e.g. ``too_many_days_with_missing_data``, in the style of eemeter / CalTRACK sufficiency
reasons), ``description`` one sentence for humans, ``data`` the JSON-serialisable details
(which days, how many, thresholds used).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["QualityFlag"]


@dataclass(frozen=True)
class QualityFlag:
    """One named finding about data, a model or an eligibility rule."""

    name: str
    description: str
    data: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Plain JSON-serialisable dict ``{"name", "description", "data"}``."""
        return {"name": self.name, "description": self.description, "data": dict(self.data)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "QualityFlag":
        """Inverse of :meth:`to_dict`."""
        return cls(name=d["name"], description=d["description"], data=dict(d.get("data", {})))
