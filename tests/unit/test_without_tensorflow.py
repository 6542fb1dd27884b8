"""bot/without_tensorflow.py: the served Rasa process runs without TensorFlow only when its model needs
none, and anything that uses TensorFlow there after all fails loudly, naming the setting."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import textwrap
import time
from pathlib import Path

import pytest

from bot import without_tensorflow as wt
from bot.settings import PROJECT_ROOT

DIET = "rasa.nlu.classifiers.diet_classifier.DIETClassifier"
TED = "rasa.core.policies.ted_policy.TEDPolicy"


def archive(path: Path, uses, mtime: float | None = None) -> Path:
    """A model archive as Rasa 3 writes it, as far as the check reads it: metadata.json's predict graph."""
    metadata = {"predict_schema": {"nodes": {f"node{i}": {"uses": name} for i, name in enumerate(uses)}}}
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        for name, data in (("components/x/y.json", b"{}"), ("metadata.json", json.dumps(metadata).encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


PROJECT_MODEL = sorted(wt.ALLOWED_COMPONENTS)


def decide(args, tmp_path, enabled=True, environ=None, rasa_version=wt.TARGET_RASA):
    return wt.decide(args, enabled, environ or {}, tmp_path, rasa_version=rasa_version)


def test_the_projects_model_is_served_without_tensorflow(tmp_path):
    archive(tmp_path / "models" / "assistant.tar.gz", PROJECT_MODEL)
    decision = decide(["run", "--model", "models", "--endpoints", "endpoints.yml"], tmp_path)
    assert decision.keep_out, decision.reason


@pytest.mark.parametrize("component", [DIET, TED, "rasa.nlu.selectors.response_selector.ResponseSelector",
                                       "some.plugin.Classifier"])
def test_a_model_with_any_other_component_gets_tensorflow(tmp_path, component):
    archive(tmp_path / "models" / "assistant.tar.gz", [*PROJECT_MODEL, component])
    decision = decide(["run", "--model", "models"], tmp_path)
    assert not decision.keep_out and component in decision.reason


def test_the_model_rasa_would_pick_is_the_one_checked(tmp_path):
    """A directory means its newest archive, as rasa.model.get_latest_model picks it."""
    now = time.time()
    archive(tmp_path / "models" / "old.tar.gz", [*PROJECT_MODEL, DIET], mtime=now - 100)
    archive(tmp_path / "models" / "new.tar.gz", PROJECT_MODEL, mtime=now)
    assert decide(["run", "-m", "models"], tmp_path).keep_out
    archive(tmp_path / "models" / "newer.tar.gz", [*PROJECT_MODEL, DIET], mtime=now + 100)
    assert not decide(["run", "--model=models"], tmp_path).keep_out
    assert decide(["run", "--model", str(tmp_path / "models" / "new.tar.gz")], tmp_path).keep_out
    assert decide(["run"], tmp_path).keep_out is False  # `models` by default: the newest has DIET


@pytest.mark.parametrize("args, environ, enabled, rasa_version, why", [
    (["run", "--model", "models"], {}, False, wt.TARGET_RASA, "SERVE_WITHOUT_TENSORFLOW is off"),
    (["train", "--out", "models"], {}, True, wt.TARGET_RASA, "not `rasa run`"),
    (["shell", "--model", "models"], {}, True, wt.TARGET_RASA, "not `rasa run`"),
    (["run", "actions"], {}, True, wt.TARGET_RASA, "not `rasa run`"),
    (["run", "--model", "models"], {}, True, "3.6.22", "not checked against this version"),
    (["run", "--model", "models", "--remote-storage", "aws"], {}, True, wt.TARGET_RASA, "model server"),
    (["run", "--model", "models"], {"TF_INTRA_OP_PARALLELISM_THREADS": "2"}, True, wt.TARGET_RASA,
     "configure(s) TensorFlow"),
    (["run", "--model", "nowhere"], {}, True, wt.TARGET_RASA, "no model archive"),
])
def test_tensorflow_is_loaded_as_before_in_every_other_case(tmp_path, args, environ, enabled, rasa_version, why):
    archive(tmp_path / "models" / "assistant.tar.gz", PROJECT_MODEL)
    decision = decide(args, tmp_path, enabled=enabled, environ=environ, rasa_version=rasa_version)
    assert not decision.keep_out and why in decision.reason


def test_a_model_server_in_the_endpoints_gets_tensorflow(tmp_path):
    archive(tmp_path / "models" / "assistant.tar.gz", PROJECT_MODEL)
    (tmp_path / "endpoints.yml").write_text("models:\n  url: http://models.example/latest.tar.gz\n")
    assert not decide(["run", "--endpoints", "endpoints.yml"], tmp_path).keep_out
    (tmp_path / "endpoints.yml").write_text((PROJECT_ROOT / "endpoints.yml").read_text())
    assert decide(["run", "--endpoints", "endpoints.yml"], tmp_path).keep_out


def test_the_endpoints_rasa_falls_back_to_are_read(tmp_path):
    """Rasa reads ./endpoints.yml when --endpoints names no file: its model server counts."""
    archive(tmp_path / "models" / "assistant.tar.gz", PROJECT_MODEL)
    (tmp_path / "endpoints.yml").write_text("models:\n  url: http://models.example/latest.tar.gz\n")
    assert not decide(["run", "--endpoints", "missing.yml"], tmp_path).keep_out
    assert not decide(["run"], tmp_path).keep_out
    (tmp_path / "endpoints.yml").write_text("models: [unclosed\n")  # not YAML: cannot tell
    assert not decide(["run"], tmp_path).keep_out


@pytest.mark.parametrize("option", [["--mod", "models"], ["--mo=models"], ["-mmodels"], ["--endp", "e.yml"],
                                    ["--remote", "aws"]])
def test_an_option_not_written_in_full_gets_tensorflow(tmp_path, option):
    """argparse takes abbreviations; the model they name is not the one `decide` would check."""
    archive(tmp_path / "models" / "assistant.tar.gz", PROJECT_MODEL)
    decision = decide(["run", *option], tmp_path)
    assert not decision.keep_out and "not written in full" in decision.reason


def test_hidden_and_half_written_archives(tmp_path):
    """Rasa skips hidden archives; an archive still being written gets TensorFlow, never a crash."""
    now = time.time()
    archive(tmp_path / "models" / "assistant.tar.gz", PROJECT_MODEL, mtime=now)
    archive(tmp_path / "models" / ".partial.tar.gz", [*PROJECT_MODEL, DIET], mtime=now + 100)
    assert decide(["run"], tmp_path).keep_out
    whole = (tmp_path / "models" / "assistant.tar.gz").read_bytes()
    (tmp_path / "models" / "newest.tar.gz").write_bytes(whole[: len(whole) // 2])
    decision = decide(["run"], tmp_path)
    assert not decision.keep_out


FIRST_LOAD = textwrap.dedent('''
    import os, sys
    from pathlib import Path
    if os.environ.get("SERVE_WITHOUT_TENSORFLOW") == "no":
        print("started again with TensorFlow")
        sys.exit(0)
    from bot import without_tensorflow as wt
    wt.install()
    import rasa.engine.loader as loader
    loader.load_predict_graph_runner(Path("unused"), Path(sys.argv[1]), None, None)
    print("went on without a model")
''')


def test_a_first_model_that_needs_tensorflow_starts_the_server_again_with_it(tmp_path):
    """The model was replaced between the decision and the load: serving no model would answer nobody."""
    diet_model = archive(tmp_path / "diet.tar.gz", [*PROJECT_MODEL, DIET])
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "TF_CPP_MIN_LOG_LEVEL": "2",
           "PYTHONWARNINGS": "ignore", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    env.pop("SERVE_WITHOUT_TENSORFLOW", None)
    done = subprocess.run([sys.executable, "-c", FIRST_LOAD, str(diet_model)], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "started again with TensorFlow"


def test_an_unreadable_model_gets_tensorflow(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "broken.tar.gz").write_bytes(b"not a tar file")
    decision = decide(["run"], tmp_path)
    assert not decision.keep_out and "cannot read" in decision.reason


def prediction_graph(config):
    """The component classes of the prediction graph Rasa's recipe makes of a config."""
    from rasa.engine.recipes.recipe import Recipe
    from rasa.shared.data import TrainingType

    recipe = Recipe.recipe_for_name(config.get("recipe"))
    graph = recipe.graph_config_for_recipe(config, {}, training_type=TrainingType.BOTH)
    return sorted({f"{node.uses.__module__}.{node.uses.__name__}" for node in graph.predict_schema.nodes.values()})


def project_config():
    from rasa.shared.utils.io import read_config_file

    return read_config_file(str(PROJECT_ROOT / "config.yml"))


def test_the_allowed_components_are_exactly_the_projects_prediction_graph():
    """The allow-list follows config.yml: a component added there (or dropped) must be looked at here.
    A new component goes in ALLOWED_COMPONENTS only if it never calls TensorFlow while serving;
    one that does (DIET, TED, ...) makes the server load TensorFlow again (docs/BENCHMARKS.md)."""
    assert set(prediction_graph(project_config())) == wt.ALLOWED_COMPONENTS


@pytest.mark.parametrize("where, component", [("pipeline", "DIETClassifier"), ("policies", "TEDPolicy")])
def test_a_config_with_a_tensorflow_component_gets_tensorflow(tmp_path, where, component):
    config = project_config()
    config[where] = [*config[where], {"name": component, "epochs": 1}]
    archive(tmp_path / "models" / "assistant.tar.gz", prediction_graph(config))
    decision = decide(["run", "--model", "models"], tmp_path)
    assert not decision.keep_out and component in decision.reason


def test_the_setting_is_declared_once(monkeypatch):
    from bot.settings import load

    monkeypatch.delenv(wt.SETTING, raising=False)
    assert load().serve_without_tensorflow is True
    for raw, value in (("no", False), ("False", False), ("yes", True), ("True", True), ("0", False)):
        monkeypatch.setenv(wt.SETTING, raw)
        assert load().serve_without_tensorflow is value
    monkeypatch.setenv(wt.SETTING, "maybe")
    with pytest.raises(ValueError, match=wt.SETTING):
        load()


# What a served process sees, in a fresh interpreter (this one has the real TensorFlow already).
PROBE = textwrap.dedent('''
    import json, sys
    from pathlib import Path
    from bot import without_tensorflow as wt

    wt.install()
    out = {}
    import rasa.server, rasa.core.agent, rasa.engine.recipes.default_recipe  # what `rasa run` imports
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe
    # every built-in component's class, TensorFlow ones included, is defined (their modules import)
    import rasa.nlu.classifiers.diet_classifier, rasa.core.policies.ted_policy  # noqa: F401
    import rasa.nlu.selectors.response_selector, rasa.core.policies.unexpected_intent_policy  # noqa
    import rasa.nlu.featurizers.dense_featurizer.convert_featurizer  # noqa: F401
    import rasa.nlu.featurizers.dense_featurizer.lm_featurizer  # noqa: F401
    from rasa.utils.tensorflow.callback import RasaTrainingLogger
    import tensorflow as tf

    def refused(call):
        try:
            call()
        except wt.TensorFlowKeptOut as error:
            return str(error)
        return None

    out["real_tensorflow"] = wt.real_tensorflow_loaded()
    out["tensorflow_libraries_mapped"] = "libtensorflow" in Path("/proc/self/maps").read_text()
    out["subclass"] = issubclass(RasaTrainingLogger, tf.keras.callbacks.Callback)
    out["isinstance"] = isinstance(1.0, tf.Tensor)
    out["call"] = refused(lambda: tf.constant([1.0]))
    out["instantiate"] = refused(lambda: RasaTrainingLogger("x", None, None, False))
    out["arithmetic"] = refused(lambda: tf.float32 + 1)

    @tf.function
    def compiled(x):
        return x

    @tf.function(reduce_retracing=True)
    def compiled_too(x):
        return x

    @tf.keras.utils.register_keras_serializable(package="probe")
    class Plain:
        pass

    out["decorated_call"] = refused(lambda: compiled(1))
    out["decorated_too_call"] = refused(lambda: compiled_too(1))
    out["registered_class_kept"] = Plain.__name__ == "Plain" and Plain() is not None

    import spacy, thinc.compat
    out["thinc_sees_tensorflow"] = thinc.compat.has_tensorflow
    out["spacy_tokens"] = [token.text for token in spacy.blank("en")("my leg hurts")]

    import rasa.engine.loader as loader
    loader.load_predict_graph_runner._served = True  # a server that serves a model already
    out["model_load"] = refused(lambda: loader.load_predict_graph_runner(Path("unused"), Path(sys.argv[1]),
                                                                       None, None))
    out["real_tensorflow_at_end"] = wt.real_tensorflow_loaded()
    print(json.dumps(out))
''')


@pytest.fixture(scope="module")
def probed(tmp_path_factory):
    diet_model = archive(tmp_path_factory.mktemp("model") / "diet.tar.gz", [*PROJECT_MODEL, DIET])
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "TF_CPP_MIN_LOG_LEVEL": "2",
           "PYTHONWARNINGS": "ignore", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    done = subprocess.run([sys.executable, "-c", PROBE, str(diet_model)], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_rasa_server_imports_and_defines_its_classes_without_tensorflow(probed):
    assert probed["real_tensorflow"] is False and probed["real_tensorflow_at_end"] is False
    assert probed["tensorflow_libraries_mapped"] is False
    assert probed["subclass"] is True and probed["isinstance"] is False


@pytest.mark.parametrize("use", ["call", "instantiate", "arithmetic", "decorated_call", "decorated_too_call"])
def test_using_tensorflow_raises_an_error_naming_the_setting(probed, use):
    assert probed[use] is not None, f"{use} did not raise TensorFlowKeptOut"
    assert f"{wt.SETTING}=no" in probed[use] and "restart" in probed[use]


def test_import_time_decorators_work(probed):
    assert probed["registered_class_kept"] is True


def test_spacy_and_thinc_work_as_without_tensorflow_installed(probed):
    assert probed["thinc_sees_tensorflow"] is False
    assert probed["spacy_tokens"] == ["my", "leg", "hurts"]


def test_a_later_model_with_a_tensorflow_component_is_refused_before_loading(probed):
    assert "diet.tar.gz uses rasa.nlu.classifiers.diet_classifier.DIETClassifier" in probed["model_load"]
    assert wt.SETTING in probed["model_load"]


def test_a_process_that_already_has_tensorflow_keeps_it(tmp_path, monkeypatch):
    """This test process has the real TensorFlow (Rasa's unit tests import it): nothing is installed."""
    import tensorflow  # noqa: F401

    archive(tmp_path / "models" / "assistant.tar.gz", PROJECT_MODEL)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(wt.SETTING, raising=False)
    said = []
    decision = wt.keep_out_if_safe(["run", "--model", "models"], say=said.append)
    assert not decision.keep_out and not wt.active()
    assert said == ["TensorFlow loaded in this Rasa server: TensorFlow was already imported in this process"]
