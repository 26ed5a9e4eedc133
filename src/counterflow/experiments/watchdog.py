"""Workers that die with the process that started them (a killed sweep leaves no worker computing)."""

from __future__ import annotations

import time

from .store import pid_alive

__all__ = ["die_with_parent"]


def die_with_parent(main_pid: int | None = None) -> None:
    """In a worker process: end when the process that started the work (``main_pid``) ends.

    Pool workers are forked by a ``forkserver``, which lives as long as any
    worker does, so a killed sweep would leave its workers computing their
    chunks. Each worker therefore watches the main process from a thread
    (every 0.2 s) and kills itself when it is gone; on Linux the kernel also
    kills it when its parent dies (``PR_SET_PDEATHSIG``): the fork server for
    pool workers, the sweep's process itself for the workers of a Dask
    ``LocalCluster`` the sweep started. The kernel's signal also stops a worker
    inside a call that holds the interpreter lock, where no thread can run.
    """
    import os
    import signal
    import sys
    import threading

    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if main_pid is None:
        return
    if not pid_alive(main_pid):
        os._exit(1)

    def watch() -> None:
        while pid_alive(main_pid):
            time.sleep(0.2)
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, daemon=True, name="counterflow-watchdog").start()
