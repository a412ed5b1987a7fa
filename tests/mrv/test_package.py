"""The package re-exports every module's public API, lazily."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import mrv

CORE_MODULES = ("mrv.flags", "mrv.settings", "mrv.quality", "mrv.savings", "mrv.savings_uncertainty",
                "mrv.emission_factors", "mrv.credits", "mrv.credit_lifecycle")


@pytest.mark.parametrize("module", CORE_MODULES)
def test_package_exports_each_core_module_public_api(module):
    for name in importlib.import_module(module).__all__:
        if name in mrv.__all__:
            assert getattr(mrv, name) is getattr(importlib.import_module(module), name)
    assert set(mrv._EXPORTS[module]) <= set(importlib.import_module(module).__all__)


def test_package_exports_baselines_contract_names():
    pytest.importorskip("mrv.baselines", reason="mrv.baselines is built on the mrv-baselines branch")
    for module in ("mrv.series", "mrv.fit_statistics", "mrv.baselines"):
        for name in mrv._EXPORTS[module]:
            assert getattr(mrv, name) is getattr(importlib.import_module(module), name)


def test_package_unknown_name_raises_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        mrv.nope  # noqa: B018


def test_package_import_of_flags_does_not_load_pandas():
    code = "import sys, mrv.flags; print('pandas' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=Path(mrv.__file__).resolve().parents[1])
    assert result.stdout.strip() == "False"
