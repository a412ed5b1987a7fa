"""Ingest API: validates emission events and hands them to Kafka (``emissions.v1``), answering only
after Kafka acknowledged the write. Entry point: ``uvicorn ingest_api.app:app``."""
