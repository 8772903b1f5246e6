"""kjob's command line: `kjob.cli:main` is the console script."""

from kjob.cli.base import cli, main, run

__all__ = ["cli", "main", "run"]
