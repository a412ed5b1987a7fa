"""Shared contract of the Carbon Stream services: settings, Kafka topics and the emission event."""
