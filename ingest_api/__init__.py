"""Ingest API: validates emission events and hands them to Kafka (``emissions.v1``), answering only
after Kafka acknowledged the write. Entry point: ``python -m ingest_api``
(``CS_INGEST_API_PROCESSES`` processes on one port, see ``ingest_api.server``)."""
