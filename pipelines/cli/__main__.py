"""`python -m pipelines.cli …`: the same entry point as the `industry-gap` command."""

from pipelines.cli import main

raise SystemExit(main())
