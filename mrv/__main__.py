"""``python -m mrv``: the MRV command line (see :mod:`mrv.cli`)."""

from mrv.cli import main

raise SystemExit(main())
