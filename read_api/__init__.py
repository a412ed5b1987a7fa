"""Carbon Stream read API: read-only REST over the emission rollups in PostgreSQL (see ``app.create_app``)."""
