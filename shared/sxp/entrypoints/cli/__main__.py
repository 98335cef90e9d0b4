"""`python -m sxp.entrypoints.cli`: the same as the `sxp` console script."""

from sxp.entrypoints.cli import main

raise SystemExit(main())
