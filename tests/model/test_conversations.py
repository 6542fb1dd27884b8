"""The conversation tests in tests/conversations/, run by Rasa against the trained model."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from bot.settings import PROJECT_ROOT

pytestmark = pytest.mark.model
CONVERSATIONS = PROJECT_ROOT / "tests" / "conversations"


def test_every_conversation_test_passes(tmp_path):
    out = tmp_path / "results"
    command = [
        sys.executable, "-m", "bot", "rasa", "test", "core",
        "--model", str(PROJECT_ROOT / "models" / "assistant.tar.gz"),
        "--stories", str(CONVERSATIONS),
        "--out", str(out), "--e2e", "--fail-on-prediction-errors", "--no-plot",
    ]
    run = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True)
    failed = out / "failed_test_stories.yml"
    if run.returncode != 0:
        print(run.stdout[-5000:], run.stderr[-5000:])
        if failed.exists():
            print(failed.read_text())
    assert run.returncode == 0, "conversation tests failed (see the failed stories above)"
    # Every story was read: a file Rasa skips, or a story it cannot parse, would pass unseen.
    written = sum(f.read_text(encoding="utf-8").count("- story:") for f in CONVERSATIONS.glob("*.yml"))
    evaluated = re.search(r"Evaluating (\d+) stories", run.stdout + run.stderr)
    assert evaluated and int(evaluated.group(1)) == written > 0


def test_rasa_finds_every_conversation_test():
    """Rasa's test runner reads only files named test_*.yml: a file named otherwise never runs."""
    files = list(CONVERSATIONS.glob("*.yml"))
    assert files and [f.name for f in files if not f.name.startswith("test_")] == []
