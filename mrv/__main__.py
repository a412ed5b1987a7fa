"""``python -m mrv``: the MRV command line (see :mod:`mrv.cli`)."""

from mrv.cli import main

__all__: list[str] = []

raise SystemExit(main())
