"""Emission factor selection per day and avoided CO2e with provenance."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from mrv.emission_factors import (
    DEFAULT_EMISSION_FACTORS, AvoidedCo2eResult, EmissionFactor, compute_avoided_co2e,
    kg_per_kwh_from_lb_per_mwh, select_emission_factors,
)
from mrv.savings import compute_savings
from tests.utils.mrv_factories import StubBaselineModel, daily_series


def _savings(start, usage_kwh):
    return compute_savings(StubBaselineModel(), daily_series(start, usage_kwh))  # baseline 500/day


def _factor(region="ZZ", year=2024, value=0.5, start=None, end=None):
    return EmissionFactor(region=region, year=year, valid_from=start or dt.date(year, 1, 1),
                          valid_to=end or dt.date(year, 12, 31), co2e_kg_per_kwh=value,
                          source="test table")


def test_avoided_co2e_uses_the_factor_valid_on_each_day():
    # 30 Dec 2023 .. 2 Jan 2024, 100 kWh/day saved: 2·100·0.20707 + 2·100·0.20705 = 82.824 kg
    result = compute_avoided_co2e(_savings(dt.date(2023, 12, 30), [400.0] * 4), "UK")
    assert result.avoided_co2e_kg == pytest.approx(82.824)
    assert [d.factor_id for d in result.daily] == ["UK:2023:location"] * 2 + ["UK:2024:location"] * 2
    assert [(f.region, f.year) for f in result.factors] == [("UK", 2023), ("UK", 2024)]
    assert all("DESNZ" in f.source for f in result.factors) and result.flags == ()


def test_avoided_co2e_missing_factor_is_a_named_flag_not_a_fallback():
    factors = (_factor(start=dt.date(2024, 1, 1), end=dt.date(2024, 1, 2)),)
    result = compute_avoided_co2e(_savings(dt.date(2024, 1, 1), [400.0] * 3), "ZZ", factors)
    assert result.avoided_co2e_kg == pytest.approx(100.0)  # 2 days · 100 kWh · 0.5
    assert result.savings_kwh_without_factor == pytest.approx(100.0)
    flag = result.flags[0]
    assert flag.name == "missing_emission_factor" and flag.data["dates"] == ["2024-01-03"]
    assert result.daily[2].co2e_kg is None and result.n_days_without_factor == 1


def test_avoided_co2e_unknown_region_has_no_co2e():
    result = compute_avoided_co2e(_savings(dt.date(2024, 1, 1), [400.0] * 3), "NOWHERE")
    assert result.avoided_co2e_kg == 0 and result.flags[0].data["count"] == 3


def test_avoided_co2e_market_basis_is_not_served_by_location_factors():
    result = compute_avoided_co2e(_savings(dt.date(2024, 1, 1), [400.0] * 2), "UK", basis="market")
    assert result.flags[0].name == "missing_emission_factor" and result.basis == "market"


def test_avoided_co2e_overlapping_factors_are_ambiguous():
    factors = (_factor(value=0.5), _factor(year=2024, value=0.4, start=dt.date(2024, 1, 2)))
    result = compute_avoided_co2e(_savings(dt.date(2024, 1, 1), [400.0] * 2), "ZZ", factors)
    assert result.avoided_co2e_kg == pytest.approx(50.0)
    assert result.flags[0].name == "ambiguous_emission_factor"
    assert result.flags[0].data["dates"] == ["2024-01-02"]


def test_avoided_co2e_skips_days_excluded_from_savings():
    usage = [400.0, np.nan, 400.0]
    result = compute_avoided_co2e(_savings(dt.date(2024, 1, 1), usage), "UK")
    assert [d.date.day for d in result.daily] == [1, 3]
    assert result.avoided_co2e_kg == pytest.approx(2 * 100 * 0.20705)


def test_select_emission_factors_respects_inclusive_validity():
    assert select_emission_factors(DEFAULT_EMISSION_FACTORS, "UK", dt.date(2022, 12, 31))[0].year == 2022
    assert select_emission_factors(DEFAULT_EMISSION_FACTORS, "UK", dt.date(2019, 12, 31)) == ()


def test_default_factors_do_not_overlap_and_name_their_publication():
    for region in {f.region for f in DEFAULT_EMISSION_FACTORS}:
        spans = sorted((f.valid_from, f.valid_to) for f in DEFAULT_EMISSION_FACTORS if f.region == region)
        assert all(a[1] < b[0] for a, b in zip(spans, spans[1:]))
    assert all("Conversion Factors" in f.source and f.unit == "kg CO2e/kWh"
               for f in DEFAULT_EMISSION_FACTORS)


@pytest.mark.parametrize("kwargs", [{"unit": "lb/MWh"}, {"co2e_kg_per_kwh": -0.1},
                                    {"valid_to": dt.date(2023, 1, 1)}])
def test_emission_factor_rejects_bad_records(kwargs):
    base = dict(region="ZZ", year=2024, valid_from=dt.date(2024, 1, 1), valid_to=dt.date(2024, 12, 31),
                co2e_kg_per_kwh=0.2, source="x")
    with pytest.raises(ValueError):
        EmissionFactor(**(base | kwargs))


def test_lb_per_mwh_conversion():
    assert kg_per_kwh_from_lb_per_mwh(1000.0) == pytest.approx(0.45359237)


def test_avoided_co2e_json_round_trip():
    result = compute_avoided_co2e(_savings(dt.date(2023, 12, 30), [400.0, np.nan, 390.0]), "UK")
    assert AvoidedCo2eResult.from_dict(json.loads(json.dumps(result.to_dict()))) == result
