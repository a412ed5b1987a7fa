"""One router per resource: emissions (v1), the seed-compatible ``/emissions``, health."""
