"""Benchmark: CalTRACK 2.0 daily fit + reporting-period savings per building, vs eemeter 3.2.0.

For each of N synthetic buildings (365 baseline + 365 reporting days; heating, cooling, both or
flat, with noise) it times ``fit_caltrack_daily`` on the baseline plus the avoided energy
Σ(predicted − actual) over the reporting year, on one core (BLAS threads = 1, CPU affinity pinned).
It reports median and p95 ms per building and buildings per second, then runs eemeter 3.2.0
(``create_caltrack_daily_design_matrix`` + ``fit_caltrack_usage_per_day_model`` +
``metered_savings``) on the first few buildings in the oracle venv, in the same run, and checks
that model type, balance points, coefficients and savings agree.

    python bench/bench_mrv_baselines.py [--buildings 1000] [--reference-buildings 4] [--out PATH]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

REPO_TOP = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_TOP))

from mrv.baselines import fit_caltrack_daily  # noqa: E402
from mrv.series import DailySeries  # noqa: E402
from tests.mrv.oracle.runner import (  # noqa: E402
    OracleUnavailable,
    our_model_type,
    our_parameters,
    run_reference,
    to_period_json,
)
from tests.mrv.oracle.synthetic import synthetic_series  # noqa: E402

KINDS = ("heating", "cooling", "heating_cooling", "flat")
RTOL = 1e-6


def building_model(index: int, rng: np.random.Generator) -> dict:
    """Random true parameters of building ``index`` (kind cycles through KINDS)."""
    kind = KINDS[index % len(KINDS)]
    model = {"intercept_kwh_per_day": rng.uniform(50, 800)}
    if kind in ("heating", "heating_cooling"):
        model.update(beta_hdd=rng.uniform(2, 15), heating_bp_f=rng.uniform(50, 64))
    if kind in ("cooling", "heating_cooling"):
        model.update(beta_cdd=rng.uniform(2, 25), cooling_bp_f=rng.uniform(66, 78))
    model["noise_kwh"] = model["intercept_kwh_per_day"] * rng.uniform(0.03, 0.08)
    return model


def make_buildings(n: int, seed: int) -> list[tuple[DailySeries, DailySeries]]:
    """(baseline, reporting) series per building; reporting usage is 10 % below the model."""
    rng = np.random.default_rng(seed)
    buildings = []
    for index in range(n):
        model = building_model(index, rng)
        both = synthetic_series(seed=seed * 100_003 + index, n_days=730, **model)
        reporting_usage = both.usage_kwh[365:] * 0.9
        buildings.append((DailySeries(both.dates[:365], both.usage_kwh[:365], both.temp_f[:365]),
                          DailySeries(both.dates[365:], reporting_usage, both.temp_f[365:])))
    return buildings


def fit_and_save(baseline: DailySeries, reporting: DailySeries):
    """The timed unit: CalTRACK daily fit + Σ(predicted − actual) over the reporting days."""
    model = fit_caltrack_daily(baseline)
    savings_kwh = float(np.nansum(model.predict_daily_kwh(reporting.temp_f) - reporting.usage_kwh))
    return model, savings_kwh


def time_ours(buildings) -> tuple[np.ndarray, list]:
    elapsed_s, results = np.empty(len(buildings)), []
    for i, (baseline, reporting) in enumerate(buildings):
        started = time.perf_counter()
        results.append(fit_and_save(baseline, reporting))
        elapsed_s[i] = time.perf_counter() - started
    return elapsed_s, results


def compare(ours, reference: dict) -> dict:
    """Agreement of one building's model and savings with eemeter's."""
    model, savings_kwh = ours
    ref = reference["model"]
    ref_type = our_model_type(ref["model_type"])
    ref_params = our_parameters(ref["params"])
    same_keys = set(ref_params) == set(model.parameters)
    rel = [abs(model.parameters[k] - v) / max(abs(v), 1e-300) for k, v in ref_params.items()] if same_keys else [np.inf]
    savings_rel = abs(savings_kwh - reference["metered_savings_kwh"]) / abs(reference["metered_savings_kwh"])
    return {"model_type": model.model_type, "reference_model_type": ref_type,
            "max_parameter_rel_diff": float(max(rel)), "savings_kwh": savings_kwh,
            "reference_savings_kwh": reference["metered_savings_kwh"], "savings_rel_diff": float(savings_rel),
            "reference_s": reference["elapsed_s"],
            "agrees": bool(model.model_type == ref_type and max(rel) <= RTOL and savings_rel <= RTOL)}


def run_eemeter(buildings, ours) -> dict:
    payload = {"buildings": [{"baseline": to_period_json(b), "reporting": to_period_json(r)} for b, r in buildings]}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(payload, handle)
    try:
        references = run_reference("fit", handle.name)["buildings"]
    finally:
        os.unlink(handle.name)
    rows = [compare(o, r) for o, r in zip(ours, references)]
    seconds = [row["reference_s"] for row in rows]
    return {"n_buildings": len(rows), "median_s": float(np.median(seconds)), "buildings": rows,
            "all_agree": all(row["agrees"] for row in rows)}


def summarise(elapsed_s: np.ndarray, results: list) -> dict:
    types = [model.model_type for model, _ in results]
    return {"n_buildings": int(elapsed_s.size), "median_ms": float(np.median(elapsed_s) * 1e3),
            "p95_ms": float(np.percentile(elapsed_s, 95) * 1e3), "total_s": float(elapsed_s.sum()),
            "buildings_per_s": float(elapsed_s.size / elapsed_s.sum()),
            "model_types": {t: types.count(t) for t in sorted(set(types))}}


def print_table(report: dict) -> None:
    ours, ref = report["ours"], report.get("eemeter_3_2_0")
    print(f"{'implementation':<28}{'buildings':>10}{'median ms':>12}{'p95 ms':>10}{'buildings/s':>14}")
    print(f"{'mrv.baselines (numpy grid)':<28}{ours['n_buildings']:>10}{ours['median_ms']:>12.2f}"
          f"{ours['p95_ms']:>10.2f}{ours['buildings_per_s']:>14.1f}")
    if ref and "median_s" in ref:
        print(f"{'eemeter 3.2.0':<28}{ref['n_buildings']:>10}{ref['median_s'] * 1e3:>12.0f}{'':>10}"
              f"{1.0 / ref['median_s']:>14.2f}")
        print(f"results identical to eemeter 3.2.0 (rel ≤ {RTOL:g}) on {ref['n_buildings']} buildings: "
              f"{ref['all_agree']}; speed-up (median) ≈ {ref['median_s'] * 1e3 / ours['median_ms']:.0f}×")
    elif ref:
        print(f"eemeter 3.2.0 reference skipped: {ref['skipped']}")
    print(f"model types: {ours['model_types']}; target ≥ 20 buildings/s: {ours['buildings_per_s'] >= 20}")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buildings", type=int, default=1000)
    parser.add_argument("--reference-buildings", type=int, default=4)
    parser.add_argument("--seed", type=int, default=20240101)
    parser.add_argument("--out", type=Path, default=REPO_TOP / "bench" / "results" / "mrv_baselines.json")
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    buildings = make_buildings(args.buildings, args.seed)
    fit_and_save(*buildings[0])  # warm-up (imports, scipy special functions)
    elapsed_s, results = time_ours(buildings)
    report = {"benchmark": "mrv_baselines_caltrack_daily", "python": platform.python_version(),
              "machine": platform.machine(), "days_per_building": {"baseline": 365, "reporting": 365},
              "ours": summarise(elapsed_s, results)}
    n_ref = min(args.reference_buildings, len(buildings))
    if n_ref:
        try:
            report["eemeter_3_2_0"] = run_eemeter(buildings[:n_ref], results[:n_ref])
        except OracleUnavailable as error:
            report["eemeter_3_2_0"] = {"skipped": str(error)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print_table(report)
    print(f"wrote {args.out}")
    return report


if __name__ == "__main__":
    main()
