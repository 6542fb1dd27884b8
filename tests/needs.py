"""What some tests need from the machine (chromium, node_modules, services), and what happens
without it: a skip with the reason locally, a failure with CI=true."""
from __future__ import annotations

import os
import shutil

import pytest

from bot.settings import PROJECT_ROOT

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"


def unavailable(reason: str) -> None:
    if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
        pytest.fail(f"{reason} (CI=true, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)
