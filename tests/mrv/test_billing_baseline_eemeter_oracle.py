"""CalTRACK billing baseline agrees with eemeter 3.2.0 on its monthly billing sample datasets.

eemeter's billing periods start at local midnight (UTC−6 for the Illinois samples); our daily mean
temperatures are the local-day means of the same hourly series, so this also checks the
local-day aggregation in a non-UTC zone.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from mrv.baselines import BillingSeries, fit_caltrack_billing
from mrv.series import daily_mean_temperature_f
from tests.mrv.oracle.runner import OracleUnavailable, billing_results, our_model_type, our_parameters, to_array
from tests.mrv.test_baselines_eemeter_oracle import hourly_series

SAMPLES = ("il-electricity-cdd-hdd-billing_monthly", "il-electricity-cdd-only-billing_monthly",
           "il-gas-hdd-only-billing_monthly", "il-gas-intercept-only-billing_monthly")


@pytest.fixture(scope="module")
def oracle() -> dict:
    try:
        results = billing_results()
        hourly = hourly_series()
    except OracleUnavailable as error:
        pytest.skip(f"eemeter 3.2.0 oracle venv could not be created: {error}")
    return {"hourly": hourly, **{sample["sample"]: sample for sample in results["samples"]}}


def _dates(values: list[str]) -> tuple[dt.date, ...]:
    return tuple(dt.date.fromisoformat(v) for v in values)


def _daily_temps(oracle: dict, sample: dict):
    return daily_mean_temperature_f(oracle["hourly"], f"Etc/GMT+{sample['utc_offset_hours']}")


def _billing_series(oracle: dict, sample: dict, period: str) -> BillingSeries:
    temps = _daily_temps(oracle, sample)
    rows = sample[period]
    return BillingSeries(_dates(rows["period_start"]), _dates(rows["period_end"]), to_array(rows["usage_kwh"]),
                         tuple(day.date() for day in temps.index), temps.to_numpy())


@pytest.mark.parametrize("name", SAMPLES)
def test_caltrack_billing_matches_eemeter_model_and_coefficients(oracle, name):
    sample = oracle[name]
    model = fit_caltrack_billing(_billing_series(oracle, sample, "baseline"))
    reference = sample["model"]
    assert model.model_type == our_model_type(reference["model_type"])
    expected = our_parameters(reference["params"])
    assert set(model.parameters) == set(expected)
    for key, value in expected.items():
        assert model.parameters[key] == pytest.approx(value, rel=1e-6), key
    assert model.metadata["n_qualified_candidates"] == reference["n_qualified"]


@pytest.mark.parametrize("name", SAMPLES)
def test_caltrack_billing_matches_eemeter_metered_savings(oracle, name):
    sample = oracle[name]
    model = fit_caltrack_billing(_billing_series(oracle, sample, "baseline"))
    reporting = _billing_series(oracle, sample, "reporting")
    temps = _daily_temps(oracle, sample)
    predicted = np.array([
        model.predict_daily_kwh(temps.loc[str(start):str(end)].to_numpy()).sum()
        for start, end in zip(reporting.period_start, reporting.period_end)])
    np.testing.assert_allclose(predicted, to_array(sample["reporting"]["counterfactual_kwh"]), rtol=1e-9)
    savings_kwh = float(np.sum(predicted - reporting.usage_kwh))
    assert savings_kwh == pytest.approx(sample["metered_savings_kwh"], rel=1e-6)
