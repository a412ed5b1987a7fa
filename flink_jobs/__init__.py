"""PyFlink jobs: one job per module, SQL first; shared connector options in ``connectors``."""
