"""``python -m counterflow`` and the ``counterflow`` command."""

import sys
from typing import NoReturn


def main() -> None:
    """Entry point: ``--version`` answers without loading the command line; the rest goes to it.

    A command that ends by raising :class:`counterflow.cli.ResultsShown` (``run``, once its
    results are out) ends the process here without the interpreter's teardown.
    """
    if sys.argv[1:] in (["--version"], ["-V"]):
        from . import __version__

        try:
            print(f"counterflow {__version__}", flush=True)
        except BrokenPipeError:  # ``counterflow --version | true``: the reader has gone, which is no failure
            from .cli.common import reader_gone

            reader_gone()
        return
    from .cli import ResultsShown
    from .cli import main as cli_main

    try:
        cli_main()
    except ResultsShown:
        _exit_without_teardown()


def _exit_without_teardown() -> NoReturn:
    """End the process after a command's results are out, without the interpreter's teardown.

    Freeing every module and object one by one takes about a second after a large run (compiled
    kernels, network tables) and shows nothing. The exit handlers still run (temporary folders,
    worker pools, logging), then the output is flushed. The exit status is what the interpreter's
    own teardown would give: 0, or 120 when the output could not be written (a full disk); a reader
    that closed the pipe (``| head -1``) took what it wanted, so that is 0 too.
    """
    import atexit
    import os

    atexit._run_exitfuncs()
    status = 0
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BrokenPipeError:  # the reader has gone: nothing more can be shown, and that is no failure
            pass
        except OSError:
            status = 120
        except ValueError:  # a stream someone closed: nothing was left to write to it
            pass
    os._exit(status)


if __name__ == "__main__":
    main()
