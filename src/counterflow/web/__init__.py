"""The web front: a FastAPI JSON API and one offline page over the library.

Start it with ``counterflow serve``; build it in Python with :func:`create_app`.
"""

from .app import create_app, default_store
from .jobs import JobManager, Limits

__all__ = ["create_app", "default_store", "JobManager", "Limits"]
