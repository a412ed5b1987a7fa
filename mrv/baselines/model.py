"""BaselineModel: a fitted baseline recorded by method and parameters, JSON round-trippable.

Prediction per day (kWh/day), CalTRACK 3.5.1 / 3.3.1:

    ŷ = μ + β_H·max(T_bh − T, 0) + β_C·max(T − T_bc, 0) [+ β_occ·occupancy_pct]

with μ = ``intercept_kwh_per_day``, β_H = ``beta_hdd_kwh_per_hdd`` at T_bh =
``heating_balance_point_f``, β_C = ``beta_cdd_kwh_per_cdd`` at T_bc = ``cooling_balance_point_f``,
T the day's mean temperature (°F). Terms a model type does not use are absent. A weather model
predicts NaN on a day without temperature; models without weather terms (intercept_only,
historical_mean, static) do not need it. ``no_model`` (nothing qualified) predicts NaN.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from mrv.degree_days import cooling_degree_days, heating_degree_days
from mrv.fit_statistics import FitStatistics, json_float
from mrv.flags import QualityFlag

__all__ = ["MODEL_TYPES", "BaselineModel"]

MODEL_TYPES = (
    "intercept_only", "hdd_only", "cdd_only", "hdd_cdd",
    "historical_mean", "static", "occupancy_normalised", "no_model",
)


@dataclass(frozen=True)
class BaselineModel:
    """A fitted baseline: method, model type, parameters, fit statistics and named flags."""

    method: str
    model_type: str
    parameters: Mapping[str, float]
    fit_statistics: FitStatistics
    disqualifications: tuple[QualityFlag, ...] = ()
    warnings: tuple[QualityFlag, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.model_type not in MODEL_TYPES:
            raise ValueError(f"unknown model_type {self.model_type!r}")
        object.__setattr__(self, "parameters", MappingProxyType(
            {k: float(v) for k, v in self.parameters.items()}))
        object.__setattr__(self, "disqualifications", tuple(self.disqualifications))
        object.__setattr__(self, "warnings", tuple(self.warnings))

    @property
    def status(self) -> str:
        """"QUALIFIED" when there are no disqualifications, else "DISQUALIFIED"."""
        return "DISQUALIFIED" if self.disqualifications else "QUALIFIED"

    def predict_daily_kwh(self, temp_f: np.ndarray, *, occupancy_pct: np.ndarray | None = None) -> np.ndarray:
        """Predicted usage per day (kWh/day) for daily mean temperatures ``temp_f`` (°F).

        ``occupancy_pct`` (0–100 per day) is required by ``occupancy_normalised`` models only.
        """
        temp = np.asarray(temp_f, dtype=float)
        p = self.parameters
        if self.model_type == "no_model":
            return np.full(temp.shape, np.nan)
        predicted = np.full(temp.shape, p["intercept_kwh_per_day"])
        if "beta_hdd_kwh_per_hdd" in p:
            hdd = heating_degree_days(temp, p["heating_balance_point_f"])
            predicted = predicted + p["beta_hdd_kwh_per_hdd"] * hdd
        if "beta_cdd_kwh_per_cdd" in p:
            cdd = cooling_degree_days(temp, p["cooling_balance_point_f"])
            predicted = predicted + p["beta_cdd_kwh_per_cdd"] * cdd
        if "beta_occupancy_kwh_per_pct" in p:
            if occupancy_pct is None:
                raise ValueError("occupancy_normalised baseline needs occupancy_pct for each day")
            predicted = predicted + p["beta_occupancy_kwh_per_pct"] * np.asarray(occupancy_pct, dtype=float)
        return predicted

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict; floats are stored exactly (``json`` writes shortest repr)."""
        return {
            "method": self.method,
            "model_type": self.model_type,
            "parameters": {k: json_float(v) for k, v in self.parameters.items()},
            "fit_statistics": self.fit_statistics.to_dict(),
            "disqualifications": [f.to_dict() for f in self.disqualifications],
            "warnings": [f.to_dict() for f in self.warnings],
            "metadata": dict(self.metadata),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "BaselineModel":
        """Inverse of :meth:`to_dict`."""
        return cls(
            method=d["method"],
            model_type=d["model_type"],
            parameters={k: (math.nan if v is None else float(v)) for k, v in d["parameters"].items()},
            fit_statistics=FitStatistics.from_dict(d["fit_statistics"]),
            disqualifications=tuple(QualityFlag.from_dict(f) for f in d.get("disqualifications", ())),
            warnings=tuple(QualityFlag.from_dict(f) for f in d.get("warnings", ())),
            metadata=dict(d.get("metadata", {})),
        )
