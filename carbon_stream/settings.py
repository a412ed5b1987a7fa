"""One typed settings object per process, read from the environment (prefix ``CS_``).

Defaults are the local ``make up`` stack; docker-compose sets the same variables to its service
names. Tests and the test stack override them through the environment, never in code.
"""
from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


class Settings(BaseSettings):
    """Where every service finds its peers, and the pipeline's event-time rules."""

    model_config = SettingsConfigDict(env_prefix="CS_", frozen=True)

    kafka_bootstrap_servers: str = Field("localhost:9092", description="Kafka bootstrap servers")
    database_url: str = Field(
        "postgresql://carbon:carbon@localhost:5432/carbon",
        description="PostgreSQL URL of the writer role (Flink sinks, schema migrations)",
    )
    read_database_url: str = Field(
        "postgresql://carbon_reader:carbon_reader@localhost:5432/carbon",
        description="PostgreSQL URL of the read-only role used by the read API",
    )
    flink_rest_url: str = Field("http://localhost:8081", description="Flink JobManager REST API")
    kafka_send_timeout_s: float = Field(
        5.0, gt=0, description="Ingest API: max seconds to wait for Kafka's acknowledgement"
    )
    correction_horizon_days: int = Field(
        35, gt=0, description="Late events older than this are refused; younger ones correct their windows"
    )
    max_future_skew_s: int = Field(
        300, ge=0, description="occurred_at may be at most this many seconds ahead of receive time"
    )
    event_sink_connections: int = Field(
        2, gt=0, description="Flink job emissions_rollup: PostgreSQL connections its event sink writes through "
        "at once (each flush split by org_id, one transaction per connection)"
    )
    watermark_out_of_orderness_s: int = Field(
        5, ge=0, description="Event-time watermark lag behind the largest occurred_at seen"
    )
    source_idle_timeout_s: int = Field(
        60, gt=0, description="A Kafka partition without events for this long stops holding the watermark"
    )
    checkpoint_interval_s: int = Field(10, gt=0, description="Flink checkpoint interval")
    job_parallelism: int = Field(1, gt=0, description="Parallelism of the Flink jobs")
    ingest_api_processes: int = Field(
        2, gt=0, description="Ingest API (python -m ingest_api): server processes sharing its port (SO_REUSEPORT)"
    )
    batch_max_events: int = Field(10_000, gt=0, description="Ingest API: max events in one batch POST")
    batch_max_bytes: int = Field(5_000_000, gt=0, description="Ingest API: max body bytes of one batch POST")
    expected_flink_jobs: tuple[str, ...] = Field(
        ("emissions_rollup",), description="Read API health: Flink job names that must be RUNNING"
    )
    read_api_pool_size: int = Field(8, gt=0, description="Read API: max PostgreSQL connections in its pool")
    read_api_statement_timeout_ms: int = Field(
        5_000, gt=0, description="Read API: PostgreSQL statement_timeout of every query, milliseconds"
    )
    health_timeout_s: float = Field(
        2.0, gt=0, description="Health endpoints: timeout of each component check (read API: PostgreSQL, Kafka, "
        "Flink; ingest API: Kafka metadata, at most kafka_send_timeout_s)"
    )
    health_max_checkpoint_age_s: float = Field(
        300.0,
        gt=0,
        description="Read API health: a RUNNING Flink job with an older last completed checkpoint is degraded",
    )

    @property
    def state_ttl_days(self) -> int:
        """Flink state TTL (the per-partition watermark of emissions_rollup's OVER aggregate): the correction
        horizon plus one day of margin."""
        return self.correction_horizon_days + 1


@lru_cache
def get_settings() -> Settings:
    return Settings()
