"""`python -m industry_gap.cli …`: the same entry point as the `industry-gap` command."""

from industry_gap.cli import main

raise SystemExit(main())
