"""``python -m counterflow`` and the ``counterflow`` command."""

import sys


def main() -> None:
    """Entry point: ``--version`` answers without loading the command line; the rest goes to it."""
    if sys.argv[1:] in (["--version"], ["-V"]):
        from . import __version__

        print(f"counterflow {__version__}")
        return
    from .cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
