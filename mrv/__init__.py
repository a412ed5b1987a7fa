"""Measurement & verification (MRV) of building energy savings: baselines, savings, avoided CO2e, credits."""
