"""Frozen, validated settings for the MRV methodology (quality, savings, ASHRAE G14, credits).

Every threshold the methodology uses lives here with a description and its source, so a
reviewer can see in one place which numbers decide eligibility. The objects are immutable
(pydantic ``frozen=True``) and round-trip through JSON (``model_dump`` / ``model_validate``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "AshraeG14Settings",
    "CreditSettings",
    "MrvSettings",
    "QualitySettings",
    "SavingsSettings",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class QualitySettings(_Frozen):
    """Meter-data quality rules (platform spec; extreme values: CalTRACK 2.0 data quality, §2.3.6)."""

    interpolate_max_missing_fraction: float = Field(
        0.05, ge=0.0, le=1.0,
        description="Missing share of expected intervals up to which (inclusive) gaps are "
        "linearly interpolated and the period is INTERPOLATED (platform spec: 5 %).",
    )
    review_max_missing_fraction: float = Field(
        0.20, ge=0.0, le=1.0,
        description="Missing share up to which (inclusive) the period is FLAGGED for review; "
        "above it the period is REJECTED (platform spec: 20 %).",
    )
    outlier_iqr_multiplier: float = Field(
        3.0, gt=0.0,
        description="Readings above median + k·IQR are flagged as extreme values "
        "(CalTRACK 2.0 extreme values: k = 3, flag for manual review, do not remove).",
    )
    outliers_require_review: bool = Field(
        False,
        description="If true, extreme values alone make the period FLAGGED. Default false: the "
        "platform spec sets the status from missing data only; outliers are reported as flags.",
    )
    max_plausible_kwh_per_interval: float | None = Field(
        None, gt=0.0,
        description="Readings above this (kWh per interval) are treated as absurd and removed "
        "(counted as missing). None disables the check (meter-specific limit).",
    )

    @model_validator(mode="after")
    def _check_order(self) -> "QualitySettings":
        if self.interpolate_max_missing_fraction > self.review_max_missing_fraction:
            raise ValueError("interpolate_max_missing_fraction must be <= review_max_missing_fraction")
        return self


class SavingsSettings(_Frozen):
    """Savings uncertainty settings (ASHRAE Guideline 14-2014 Annex B)."""

    confidence: float = Field(
        0.90, gt=0.0, lt=1.0,
        description="Two-sided confidence level of the fractional savings uncertainty "
        "(ASHRAE G14 reports at 68/80/90/95 %; platform default 90 %).",
    )
    clip_negative_autocorrelation: bool = Field(
        True,
        description="Use max(ρ, 0) for the lag-1 autocorrelation so that negative ρ never makes "
        "n' > n and shrinks the uncertainty (conservative; eemeter does not clip).",
    )


class AshraeG14Settings(_Frozen):
    """ASHRAE Guideline 14-2014 §4.3.2.4 / §5.2.2.4 calibration limits for baseline models.

    The one place these limits are defined; :func:`mrv.fit_statistics.ashrae_g14_acceptance` and
    the credit rules read them from here.
    """

    granularity: Literal["monthly", "hourly"] = Field(
        "hourly",
        description="Which G14 limits apply. G14 gives no daily limits; daily models are held to "
        "the hourly limits (CV(RMSE) 30 %, NMBE ±10 %) unless set to 'monthly'.",
    )
    cvrmse_max_monthly: float = Field(0.15, gt=0.0, description="Max CV(RMSE), monthly data (fraction).")
    nmbe_max_monthly: float = Field(0.05, gt=0.0, description="Max |NMBE|, monthly data (fraction).")
    cvrmse_max_hourly: float = Field(0.30, gt=0.0, description="Max CV(RMSE), hourly data (fraction).")
    nmbe_max_hourly: float = Field(0.10, gt=0.0, description="Max |NMBE|, hourly data (fraction).")

    @property
    def cvrmse_max(self) -> float:
        """CV(RMSE) limit for the configured granularity (fraction, e.g. 0.30)."""
        return self.cvrmse_max_monthly if self.granularity == "monthly" else self.cvrmse_max_hourly

    @property
    def nmbe_max(self) -> float:
        """|NMBE| limit for the configured granularity (fraction, e.g. 0.10)."""
        return self.nmbe_max_monthly if self.granularity == "monthly" else self.nmbe_max_hourly


class CreditSettings(_Frozen):
    """Carbon-credit eligibility and issuance rules (platform spec)."""

    fit_criteria: AshraeG14Settings = Field(
        default_factory=AshraeG14Settings,
        description="Baseline fit criteria a model must pass for credits to be issued.",
    )
    require_single_calendar_year: bool = Field(
        True,
        description="Vintage = the reporting period's year, so a period spanning two calendar "
        "years is ineligible until split.",
    )
    block_on_missing_emission_factor: bool = Field(
        True,
        description="Any reporting day without a valid emission factor makes the period ineligible "
        "(never a silent fallback).",
    )


class MrvSettings(_Frozen):
    """All MRV settings in one object (one typed settings object per process)."""

    quality: QualitySettings = Field(default_factory=QualitySettings, description="Meter data quality.")
    savings: SavingsSettings = Field(default_factory=SavingsSettings, description="Savings uncertainty.")
    credits: CreditSettings = Field(default_factory=CreditSettings, description="Credit rules.")
