"""Reference results from eemeter 3.2.0 (CalTRACK 2.0 daily), run INSIDE the oracle venv only.

Test-only oracle for mrv.baselines: it is executed as a subprocess by tests/mrv and by
bench/bench_mrv_baselines.py with the interpreter of .venv-oracle (see install_oracle.sh); it never
imports mrv. Output is JSON on stdout.

Modes
-----
``samples [NAME ...]``
    For each eemeter daily sample (default: the four ``il-*-daily`` samples) fit
    ``fit_caltrack_usage_per_day_model`` on the baseline year before ``blackout_start_date``
    (``get_baseline_data(max_days=365)``, ``create_caltrack_daily_design_matrix``) and compute
    ``metered_savings`` on the reporting year after ``blackout_end_date``. It also exports the exact
    per-day inputs eemeter used (usage per day and the daily mean temperature in °F, NaN -> null)
    so that the caller fits the very same numbers.
``billing [NAME ...]``
    The same for eemeter's monthly billing samples (default: the four ``il-*-billing_monthly``):
    ``create_caltrack_billing_design_matrix`` and ``fit_caltrack_usage_per_day_model`` with
    ``use_billing_presets=True, weights_col="n_days_kept"``; periods are exported as local
    first/last days (periods start at local midnight, ``utc_offset_hours`` before UTC midnight).
``temperatures [NAME]``
    The sample's hourly temperature series (°F, UTC, NaN -> null) as eemeter loads it, to check
    our local-day means against the daily temperatures eemeter used.
``fit FILE``
    FILE holds ``{"buildings": [{"baseline": {"dates", "usage_kwh", "temp_f"},
    "reporting": {...}}, ...]}`` (daily values, ISO dates). Each building is converted to
    eemeter's inputs (daily meter data in UTC, hourly temperatures equal to the daily mean), then
    design matrix + fit + metered savings are timed together with ``time.perf_counter``.
"""

import json
import sys
import time
import warnings

import numpy as np
import pandas as pd

import eemeter

BILLING_SAMPLES = (
    "il-electricity-cdd-hdd-billing_monthly",
    "il-electricity-cdd-only-billing_monthly",
    "il-gas-hdd-only-billing_monthly",
    "il-gas-intercept-only-billing_monthly",
)
DAILY_SAMPLES = (
    "il-electricity-cdd-hdd-daily",
    "il-electricity-cdd-only-daily",
    "il-gas-hdd-only-daily",
    "il-gas-intercept-only-daily",
)


def _floats(values):
    return [None if not np.isfinite(v) else float(v) for v in np.asarray(values, dtype=float)]


def _dates(index):
    return [ts.date().isoformat() for ts in index]


def _daily_temp_f(index, temperature_data):
    """Daily mean °F exactly as eemeter's daily design matrix sees it (NaN when dropped)."""
    features = eemeter.compute_temperature_features(
        index, temperature_data, heating_balance_points=[], cooling_balance_points=[],
        keep_partial_nan_rows=True,
    )
    kept = features["n_days_kept"] == 1
    return features["temperature_mean"].where(kept)


def _model_json(model):
    candidate = model.model
    if candidate is None:
        return {"status": model.status, "model_type": None, "params": {}, "r_squared_adj": None}
    return {
        "status": model.status,
        "model_type": candidate.model_type,
        "params": {k: float(v) for k, v in candidate.model_params.items()},
        "r_squared_adj": float(candidate.r_squared_adj),
        "n_qualified": sum(c.status == "QUALIFIED" for c in model.candidates),
    }


def _fit_and_save(baseline_meter, reporting_meter, temperature_data):
    design = eemeter.create_caltrack_daily_design_matrix(baseline_meter, temperature_data)
    model = eemeter.fit_caltrack_usage_per_day_model(design)
    savings = None
    if model.model is not None:
        savings, _ = eemeter.metered_savings(model, reporting_meter, temperature_data)
    return design, model, savings


def run_sample(name):
    meter, temperature, meta = eemeter.load_sample(name)
    baseline, _ = eemeter.get_baseline_data(meter, end=meta["blackout_start_date"], max_days=365)
    reporting, _ = eemeter.get_reporting_data(meter, start=meta["blackout_end_date"], max_days=365)
    design, model, savings = _fit_and_save(baseline, reporting, temperature)
    in_baseline = design.index < meta["blackout_start_date"]
    base = design[in_baseline]
    report_temp = _daily_temp_f(reporting.index, temperature)
    return {
        "sample": name,
        "model": _model_json(model),
        "baseline": {"dates": _dates(base.index), "usage_kwh": _floats(base["meter_value"]),
                     "temp_f": _floats(base["temperature_mean"])},
        "reporting": {"dates": _dates(reporting.index), "usage_kwh": _floats(reporting["value"]),
                      "temp_f": _floats(report_temp),
                      "counterfactual_kwh": _floats(savings["counterfactual_usage"])},
        "metered_savings_kwh": float(savings["metered_savings"].sum()),
    }


def _periods(index, values, offset):
    """Billing rows (start timestamps; the last one closes the previous period) -> local days."""
    days = [(ts - offset).date() for ts in index]
    rows = [(start, nxt - pd.Timedelta(days=1).to_pytimedelta(), value)
            for start, nxt, value in zip(days[:-1], days[1:], values[:-1])]
    return {"period_start": [r[0].isoformat() for r in rows], "period_end": [r[1].isoformat() for r in rows],
            "usage_kwh": _floats([r[2] for r in rows])}


def run_billing_sample(name):
    meter, temperature, meta = eemeter.load_sample(name)
    window = dict(allow_billing_period_overshoot=True, ignore_billing_period_gap_for_day_count=True)
    baseline, _ = eemeter.get_baseline_data(meter, end=meta["blackout_start_date"], max_days=365, **window)
    reporting, _ = eemeter.get_reporting_data(meter, start=meta["blackout_end_date"], max_days=365, **window)
    design = eemeter.create_caltrack_billing_design_matrix(baseline, temperature)
    model = eemeter.fit_caltrack_usage_per_day_model(design, use_billing_presets=True, weights_col="n_days_kept")
    savings, _ = eemeter.metered_savings(model, reporting, temperature)
    offset = pd.Timedelta(hours=meter.index[0].hour)
    return {
        "sample": name, "utc_offset_hours": meter.index[0].hour, "model": _model_json(model),
        "baseline": _periods(baseline.index, baseline["value"].to_numpy(), offset),
        "reporting": {**_periods(reporting.index, reporting["value"].to_numpy(), offset),
                      "counterfactual_kwh": _floats(savings["counterfactual_usage"].to_numpy()[:-1])},
        "metered_savings_kwh": float(savings["metered_savings"].sum()),
    }


def run_temperatures(name):
    _, temperature, _ = eemeter.load_sample(name)
    return {"sample": name, "start": temperature.index[0].isoformat(), "freq": "1h",
            "temp_f": _floats(temperature.to_numpy())}


def _to_eemeter(period):
    """Daily values -> eemeter inputs; one trailing NaN day because eemeter drops the last row."""
    start = pd.Timestamp(period["dates"][0], tz="UTC")
    n_days = len(period["dates"])
    index = pd.date_range(start, periods=n_days + 1, freq="D")
    usage = np.append(np.array(period["usage_kwh"], dtype=float), np.nan)
    meter = pd.DataFrame({"value": usage}, index=index)
    temps = np.append(np.array(period["temp_f"], dtype=float), np.nan)
    hourly_index = pd.date_range(start, periods=(n_days + 1) * 24, freq="h")
    temperature = pd.Series(np.repeat(temps, 24), index=hourly_index)
    temperature.index.freq = "H"
    return meter, temperature


def run_building(building):
    baseline_meter, baseline_temp = _to_eemeter(building["baseline"])
    reporting_meter, reporting_temp = _to_eemeter(building["reporting"])
    temperature = pd.concat([baseline_temp, reporting_temp])
    temperature = temperature[~temperature.index.duplicated(keep="last")].asfreq("H")
    started = time.perf_counter()
    _, model, savings = _fit_and_save(baseline_meter, reporting_meter, temperature)
    elapsed_s = time.perf_counter() - started
    total = None if savings is None else float(savings["metered_savings"].sum())
    return {"model": _model_json(model), "metered_savings_kwh": total, "elapsed_s": elapsed_s}


def main(argv):
    warnings.simplefilter("ignore")
    mode = argv[1] if len(argv) > 1 else "samples"
    if mode == "samples":
        names = argv[2:] or DAILY_SAMPLES
        result = {"eemeter_version": eemeter.__version__,
                  "samples": [run_sample(name) for name in names]}
    elif mode == "billing":
        names = argv[2:] or BILLING_SAMPLES
        result = {"eemeter_version": eemeter.__version__,
                  "samples": [run_billing_sample(name) for name in names]}
    elif mode == "temperatures":
        result = run_temperatures(argv[2] if len(argv) > 2 else DAILY_SAMPLES[0])
    elif mode == "fit":
        with open(argv[2]) as handle:
            buildings = json.load(handle)["buildings"]
        result = {"eemeter_version": eemeter.__version__,
                  "buildings": [run_building(b) for b in buildings]}
    else:
        raise SystemExit(f"unknown mode {mode!r}; use 'samples', 'billing', 'temperatures' or 'fit FILE'")
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main(sys.argv)
