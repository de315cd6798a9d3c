"""Allow `python -m numbers_cli` to behave exactly like the `nit` console script."""

from numbers_cli.cli.main import main

main()
