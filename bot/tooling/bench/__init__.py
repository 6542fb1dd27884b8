"""`make bench`: issue 17's figures in one run, the project beside a `rasa init` bot trained here.

`python -m bot.tooling.bench` (`__main__.py`) runs `run.py`'s phases: the project's servers
(the configured SQL tracker store, the action server) and the reference (`reference.py`) side by
side over REST (`clients.py`), their memory (`monitor.py`), then training from an empty cache and
a content edit going live in a throw-away copy (`content_edit.py`); `targets.py` sets each figure
beside its target. docs/BENCHMARKS.md says what each figure means.
"""
from bot.tooling.bench.monitor import Monitor, machine
from bot.tooling.bench.stats import percentile

__all__ = ["Monitor", "machine", "percentile"]  # what `make load` (bot/tooling/load.py) shares
