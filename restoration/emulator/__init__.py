"""A Looker API 4.0 emulator that behaves like Looker, for tests, demos and benchmarks.

`LookerEmulator(seed=None|"demo"|"scale:N", state_file=None, client_id=..., client_secret=...,
projects=None|"demo"|"none"|{project: {model: [explores]}})` serves the instance on 127.0.0.1
with `.start(port=0)`; see `server.py`, and `lookml.py` for deployed LookML.
"""

from .server import LookerEmulator

__all__ = ["LookerEmulator"]
