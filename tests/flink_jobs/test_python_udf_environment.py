"""The project's Python environment (apache-flink 2.2.1 + numpy/scipy/statsmodels for mrv) runs
PyFlink Python UDFs: a UDF that calls the mrv package executes in Flink's Python worker and
returns what the same function returns in this process (issue: nothing added may break
apache-beam's cloudpickle pin)."""
from __future__ import annotations

import numpy as np
from pyflink.table import DataTypes, EnvironmentSettings, TableEnvironment
from pyflink.table.udf import udf

from mrv.degree_days import heating_degree_days


@udf(result_type=DataTypes.DOUBLE())
def hdd_at_65_f(temp_f: float) -> float:
    return float(heating_degree_days(np.array([temp_f]), 65.0)[0])


def test_mrv_runs_inside_a_pyflink_python_udf() -> None:
    t_env = TableEnvironment.create(EnvironmentSettings.in_batch_mode())
    t_env.get_config().set("parallelism.default", "1")
    t_env.create_temporary_function("hdd_at_65_f", hdd_at_65_f)
    temps_f = [20.5, 64.0, 65.0, 80.25]
    values = ", ".join(f"(CAST({t} AS DOUBLE))" for t in temps_f)
    table = t_env.sql_query(f"SELECT temp_f, hdd_at_65_f(temp_f) FROM (VALUES {values}) AS t(temp_f)")
    with table.execute().collect() as rows:
        got = {row[0]: row[1] for row in rows}
    assert got == {t: float(heating_degree_days(np.array([t]), 65.0)[0]) for t in temps_f}
    assert got[20.5] == 44.5 and got[80.25] == 0.0
