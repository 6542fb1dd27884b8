"""The Rasa server as `make run` starts it answers without TensorFlow in its process; a model with a
TensorFlow component gets TensorFlow as before; a server without it refuses such a model loudly.

What an IT person can check on a running server: `grep libtensorflow /proc/PID/maps` (nothing when
kept out), its RSS, and its log's first line (which way it went, and why)."""
from __future__ import annotations

import json
import shutil
import tarfile
import time
import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest

from bot.machine_secrets import api_token
from bot.tooling.servers import MODELS_DIR, Servers, isolated_settings
from bot.without_tensorflow import SETTING

pytestmark = [pytest.mark.servers, pytest.mark.model]

DIET = "rasa.nlu.classifiers.diet_classifier.DIETClassifier"


def tensorflow_mapped(servers: Servers) -> bool:
    """Whether TensorFlow's shared libraries are loaded in the Rasa server's process."""
    return "libtensorflow" in Path(f"/proc/{servers.processes['rasa'].pid}/maps").read_text()


def rss_mb(servers: Servers) -> float:
    status = Path(f"/proc/{servers.processes['rasa'].pid}/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def log(servers: Servers) -> str:
    assert servers.log_dir is not None
    return (servers.log_dir / "rasa.log").read_text(errors="replace")


@pytest.fixture(scope="module")
def model_with_diet(tmp_path_factory) -> Path:
    """The trained model with a DIET classifier in its prediction graph, as a config.yml with DIET
    would give (built, not trained: DIET is created untrained and feeds nothing)."""
    trained = max(MODELS_DIR.glob("*.tar.gz"), key=lambda path: path.stat().st_mtime)
    work = tmp_path_factory.mktemp("diet-model")
    with tarfile.open(trained, "r:gz") as tar:
        tar.extractall(work / "unpacked")  # noqa: S202 - our own model
    metadata_file = work / "unpacked" / "metadata.json"
    metadata = json.loads(metadata_file.read_text())
    metadata["predict_schema"]["nodes"]["run_DIETClassifier_unused"] = {
        "needs": {}, "uses": DIET, "constructor_name": "create", "fn": "process", "config": {},
        "eager": True, "is_target": False, "is_input": False, "resource": None}
    metadata_file.write_text(json.dumps(metadata))
    model = work / "with-diet.tar.gz"
    with tarfile.open(model, "w:gz") as tar:
        for path in sorted((work / "unpacked").iterdir()):
            tar.add(path, arcname=path.name)
    shutil.rmtree(work / "unpacked")
    return model


def test_the_served_bot_answers_without_tensorflow(servers):
    answer = servers.ask("no-tf-1", "i dont have a fever but my bladder leaks")
    assert "Call 911" in answer  # the red-flag detector (spaCy) ran
    assert "You are 3 weeks after surgery" in servers.ask("no-tf-2", "im 3 weeks out is this normal? my leg hurts")
    assert not tensorflow_mapped(servers)
    assert f"TensorFlow kept out of this Rasa server ({SETTING}=no to load it)" in log(servers)


def test_a_model_with_a_tensorflow_component_is_refused_by_the_running_server(servers, model_with_diet):
    """`make reload` after DIET was added to config.yml: the running server keeps its model and says why."""
    request = urllib.request.Request(
        f"{servers.rasa_url}/model?token={api_token(servers.settings)}", method="PUT",
        data=json.dumps({"model_file": str(model_with_diet)}).encode(), headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=120)
    assert refused.value.code == 400
    deadline = time.monotonic() + 10
    while f"uses {DIET}" not in log(servers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert f"uses {DIET}" in log(servers) and "After a restart the server loads TensorFlow" in log(servers)
    assert "Call 911" in servers.ask("no-tf-3", "i dont have a fever but my bladder leaks")
    assert not tensorflow_mapped(servers)


def test_a_model_with_a_tensorflow_component_gets_tensorflow(tmp_path, model_with_diet):
    settings = isolated_settings(tmp_path)
    with Servers(settings, model=model_with_diet, log_dir=tmp_path / "logs") as servers:
        assert "Call 911" in servers.ask("tf-1", "i dont have a fever but my bladder leaks")
        assert tensorflow_mapped(servers)
        assert f"TensorFlow loaded in this Rasa server: with-diet.tar.gz uses {DIET}" in log(servers)


def test_the_setting_turns_it_off(tmp_path):
    settings = replace(isolated_settings(tmp_path), serve_without_tensorflow=False)
    with Servers(settings, log_dir=tmp_path / "logs") as servers:
        assert "Call 911" in servers.ask("tf-2", "i dont have a fever but my bladder leaks")
        assert tensorflow_mapped(servers) and rss_mb(servers) > 0
        assert f"TensorFlow loaded in this Rasa server: {SETTING} is off" in log(servers)
