"""Local stack: installs and runs PostgreSQL, Kafka (KRaft), Flink, the APIs and the demo producer.

``python -m stack up|down|clean|status|jobs ...`` (wrapped by the Makefile). Each *profile* (``dev``
for ``make up``, ``test`` for ``make test``) has its own ports and data folder under ``.stack/``.
"""
