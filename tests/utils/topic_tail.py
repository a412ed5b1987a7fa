"""Reading back what a test appended to a Kafka topic (real broker or librdkafka's mock cluster)."""
from __future__ import annotations

import uuid

from confluent_kafka import Consumer, TopicPartition

__all__ = ["TopicTail"]


class TopicTail:
    """What was appended to a topic since this object was created (all partitions)."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self._consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"topic-tail-{uuid.uuid4()}",
                                   "enable.auto.commit": False})
        partitions = self._consumer.list_topics(topic, timeout=10).topics[topic].partitions
        self._start = [TopicPartition(topic, p, self._consumer.get_watermark_offsets(
            TopicPartition(topic, p), timeout=10)[1]) for p in partitions]

    def read(self) -> list[tuple[int, bytes, bytes]]:
        """Every new record as (partition, key, value), each partition in offset order."""
        end = {tp.partition: self._consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in self._start}
        wanted = sum(end[tp.partition] - tp.offset for tp in self._start)
        self._consumer.assign(self._start)
        records = []
        while len(records) < wanted:
            message = self._consumer.poll(10)
            assert message is not None, f"read {len(records)} of {wanted} records"
            assert message.error() is None, message.error()
            records.append((message.partition(), message.key(), message.value()))
        self._consumer.unassign()
        return records

    def close(self) -> None:
        self._consumer.close()
