"""Grid emission factors and avoided CO2e (GHG Protocol Scope 2 Guidance, location-based).

Avoided emissions of a reporting period:

    avoided_co2e_kg = Σ_d savings_kwh_d × EF(region, d)     [kg CO2e]

where EF(region, d) is the factor of the building's grid region whose validity interval
[valid_from, valid_to] contains day d (kg CO2e/kWh). Location-based (grid-average) factors by
default (GHG Protocol Scope 2 Guidance, 2015, ch. 6). A day with savings but no factor, or with
several candidate factors, is never filled from a neighbour: it is left out of the sum and named
in a flag (``missing_emission_factor`` / ``ambiguous_emission_factor``). Each result carries the
provenance (region, year, source) of every factor used.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Iterable, Literal

from mrv.emission_factor_data import DEFAULT_EMISSION_FACTORS, EmissionFactor, kg_per_kwh_from_lb_per_mwh
from mrv.flags import QualityFlag
from mrv.savings import SavingsResult

__all__ = [
    "DEFAULT_EMISSION_FACTORS",
    "AvoidedCo2eResult",
    "DailyAvoidedCo2e",
    "EmissionFactor",
    "compute_avoided_co2e",
    "kg_per_kwh_from_lb_per_mwh",
    "select_emission_factors",
]


@dataclass(frozen=True)
class DailyAvoidedCo2e:
    """One reporting day: savings (kWh), avoided kg CO2e and the factor used (None if missing)."""

    date: dt.date
    savings_kwh: float
    co2e_kg: float | None
    factor_id: str | None

    def to_dict(self) -> dict:
        return {"date": self.date.isoformat(), "savings_kwh": self.savings_kwh,
                "co2e_kg": self.co2e_kg, "factor_id": self.factor_id}

    @classmethod
    def from_dict(cls, d: dict) -> "DailyAvoidedCo2e":
        return cls(**(d | {"date": dt.date.fromisoformat(d["date"])}))


@dataclass(frozen=True)
class AvoidedCo2eResult:
    """Avoided CO2e of a reporting period with the provenance of every factor used."""

    region: str
    basis: str
    savings_kwh: float
    savings_kwh_without_factor: float
    avoided_co2e_kg: float
    factors: tuple[EmissionFactor, ...]
    daily: tuple[DailyAvoidedCo2e, ...]
    flags: tuple[QualityFlag, ...]

    @property
    def n_days_without_factor(self) -> int:
        return sum(1 for d in self.daily if d.factor_id is None)

    def to_dict(self) -> dict:
        return {
            "region": self.region, "basis": self.basis, "savings_kwh": self.savings_kwh,
            "savings_kwh_without_factor": self.savings_kwh_without_factor,
            "avoided_co2e_kg": self.avoided_co2e_kg,
            "factors": [f.to_dict() for f in self.factors],
            "daily": [d.to_dict() for d in self.daily], "flags": [f.to_dict() for f in self.flags],
        }

    @classmethod
    def from_dict(cls, d: dict) -> "AvoidedCo2eResult":
        return cls(
            region=d["region"], basis=d["basis"], savings_kwh=d["savings_kwh"],
            savings_kwh_without_factor=d["savings_kwh_without_factor"],
            avoided_co2e_kg=d["avoided_co2e_kg"],
            factors=tuple(EmissionFactor.from_dict(f) for f in d["factors"]),
            daily=tuple(DailyAvoidedCo2e.from_dict(x) for x in d["daily"]),
            flags=tuple(QualityFlag.from_dict(f) for f in d["flags"]),
        )


def select_emission_factors(
    factors: Iterable[EmissionFactor], region: str, day: dt.date,
    basis: Literal["location", "market"] = "location",
) -> tuple[EmissionFactor, ...]:
    """All factors of ``region`` and ``basis`` valid on ``day`` (exactly one is usable)."""
    return tuple(f for f in factors
                 if f.region == region and f.basis == basis and f.valid_from <= day <= f.valid_to)


def compute_avoided_co2e(
    savings: SavingsResult,
    region: str,
    factors: Iterable[EmissionFactor] = DEFAULT_EMISSION_FACTORS,
    basis: Literal["location", "market"] = "location",
) -> AvoidedCo2eResult:
    """avoided_co2e_kg = Σ_d savings_kwh_d × EF(region, d) over days with savings (kg CO2e)."""
    factors = tuple(factors)
    daily, missing, ambiguous, used = [], [], [], {}
    for row in savings.daily:
        if row.savings_kwh is None:
            continue
        candidates = select_emission_factors(factors, region, row.date, basis)
        if len(candidates) == 1:
            factor = candidates[0]
            used[factor.factor_id] = factor
            daily.append(DailyAvoidedCo2e(row.date, row.savings_kwh,
                                          row.savings_kwh * factor.co2e_kg_per_kwh, factor.factor_id))
        else:
            (missing if not candidates else ambiguous).append((row.date, candidates))
            daily.append(DailyAvoidedCo2e(row.date, row.savings_kwh, None, None))
    covered = [d for d in daily if d.co2e_kg is not None]
    return AvoidedCo2eResult(
        region=region, basis=basis, savings_kwh=math.fsum(d.savings_kwh for d in covered),
        savings_kwh_without_factor=math.fsum(d.savings_kwh for d in daily if d.co2e_kg is None),
        avoided_co2e_kg=math.fsum(d.co2e_kg for d in covered), factors=tuple(used.values()),
        daily=tuple(daily), flags=_factor_flags(region, basis, missing, ambiguous),
    )


def _factor_flags(region: str, basis: str, missing: list, ambiguous: list) -> tuple[QualityFlag, ...]:
    """Named flags for days without exactly one valid factor (never a silent fallback)."""
    flags = []
    if missing:
        flags.append(QualityFlag(
            "missing_emission_factor", "No emission factor of the region is valid on these days.",
            {"region": region, "basis": basis, "dates": [d.isoformat() for d, _ in missing],
             "count": len(missing)}))
    if ambiguous:
        flags.append(QualityFlag(
            "ambiguous_emission_factor", "Several emission factors are valid on these days.",
            {"region": region, "basis": basis, "dates": [d.isoformat() for d, _ in ambiguous],
             "factor_ids": sorted({f.factor_id for _, c in ambiguous for f in c})}))
    return tuple(flags)
