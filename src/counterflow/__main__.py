"""``python -m counterflow`` and the ``counterflow`` command."""

import sys


def main() -> None:
    """Entry point: ``--version`` answers without loading the command line; the rest goes to it."""
    if sys.argv[1:] in (["--version"], ["-V"]):
        from . import __version__

        print(f"counterflow {__version__}")
        return
    from .cli import main as cli_main

    try:
        cli_main()
    except SystemExit as stop:
        if stop.code in (0, None) and getattr(sys.modules.get("counterflow.cli.run"), "finished", False):
            _exit_without_teardown()
        raise


def _exit_without_teardown() -> None:
    """End the process after a finished ``run`` without the interpreter's teardown.

    Freeing every module and object one by one takes about a second after a large run (compiled
    kernels, network tables) and shows nothing. The exit handlers still run (temporary folders,
    worker pools, logging); the output is flushed first.
    """
    import atexit
    import os

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (``| head``): nothing more can be shown
            pass
    os._exit(0)


if __name__ == "__main__":
    main()
