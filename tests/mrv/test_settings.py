"""Settings are frozen, validated, described and JSON round-trippable."""

from __future__ import annotations

import pydantic
import pytest

from mrv.settings import AshraeG14Settings, CreditSettings, MrvSettings, QualitySettings, SavingsSettings


def test_settings_defaults_match_the_platform_spec():
    s = MrvSettings()
    assert (s.quality.interpolate_max_missing_fraction, s.quality.review_max_missing_fraction) == (0.05, 0.20)
    assert s.quality.outlier_iqr_multiplier == 3.0 and s.savings.confidence == 0.90
    assert (AshraeG14Settings(granularity="monthly").cvrmse_max, AshraeG14Settings(granularity="monthly").nmbe_max) \
        == (0.15, 0.05)
    assert (s.credits.fit_criteria.cvrmse_max, s.credits.fit_criteria.nmbe_max) == (0.30, 0.10)


@pytest.mark.parametrize("model", [QualitySettings, SavingsSettings, AshraeG14Settings, CreditSettings,
                                   MrvSettings])
def test_settings_every_field_has_a_description(model):
    assert all(field.description for field in model.model_fields.values())


def test_settings_are_frozen():
    with pytest.raises(pydantic.ValidationError):
        QualitySettings().outlier_iqr_multiplier = 2.0


@pytest.mark.parametrize(("model", "kwargs"), [
    (QualitySettings, {"interpolate_max_missing_fraction": 0.3}),
    (QualitySettings, {"review_max_missing_fraction": 1.5}),
    (SavingsSettings, {"confidence": 1.0}),
    (AshraeG14Settings, {"granularity": "daily"}),
    (MrvSettings, {"unknown": 1}),
])
def test_settings_reject_invalid_values(model, kwargs):
    with pytest.raises(pydantic.ValidationError):
        model(**kwargs)


def test_settings_json_round_trip():
    s = MrvSettings(savings=SavingsSettings(confidence=0.95))
    assert MrvSettings.model_validate_json(s.model_dump_json()) == s
