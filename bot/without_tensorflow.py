"""The served Rasa process without TensorFlow, when its model has no TensorFlow component (issue 17).

Rasa 3.6.21 imports TensorFlow (about 300 MB of the server's RSS, its shared libraries 140 MB of it)
whatever config.yml says: `rasa.server` -> `rasa.core.agent` -> the policies' featurizers ->
`rasa.utils.train_utils` -> `rasa.utils.tensorflow.callback`, whose classes subclass `tf.keras` types
when the module is imported, and the default recipe imports every built-in component (DIET, TED...).
This project's model (config.yml) runs no TensorFlow: TF-IDF regressions, spaCy's tokenizer, rules
and memoization. So `rasa run`, started through bot/tooling/quiet.py, gets a stand-in `tensorflow`
package instead of the real one, on these conditions (`decide`), checked before Rasa is imported:

- the setting `SERVE_WITHOUT_TENSORFLOW` is on (the default; `no` turns all of this off);
- the command is `rasa run` (serving; not training, testing, `rasa shell` or `rasa run actions`);
- the installed Rasa is the one this was written against (`TARGET_RASA`): another version may use
  TensorFlow differently at import or while serving, so it gets the real one until checked again;
- the model `rasa run` will load (`--model`, a directory meaning its newest archive, as Rasa picks
  it) exists and every component class of its prediction graph (metadata.json's `predict_schema`)
  is in `ALLOWED_COMPONENTS`: the classes of the project's own model, none of which calls
  TensorFlow. Anything else (DIET, TED, ResponseSelector, a LanguageModelFeaturizer, a class this
  list does not know) gets the real TensorFlow, as before;
- no model server or remote storage (they may bring another model later), and none of Rasa's
  TensorFlow environment settings (`TENSORFLOW_ENVIRONMENT`), which configure TensorFlow at start-up.

The stand-in (`install`):
- Every `tensorflow.*`, `keras.*`, `tensorflow_hub.*` and `tensorflow_text.*` name is a class
  (`_StandIn`), so `import`, `from ... import`, subclassing at import (`class
  RasaTrainingLogger(tf.keras.callbacks.Callback)`) and type annotations work as with TensorFlow.
- Using it is loud: calling anything (`tf.constant(...)`), instantiating a class that subclasses
  it, iterating, indexing or doing arithmetic with it raises `TensorFlowKeptOut`, whose message
  names the setting. A decorator (`tf.function`, `register_keras_serializable`) works at import;
  a function decorated with `tf.function` raises when called. `isinstance(x, tf.Tensor)` is False
  (no TensorFlow object can exist in the process). Not loud: a stand-in's truth, equality, text,
  `hasattr` (always true) and `tf.version.VERSION` (a class, not a text). Rasa 3.6.21's serving code
  and thinc use none of these (reviewed 2026-12-06); a library that did would read a stand-in.
- thinc (under spaCy, which the red-flag detector and the tokenizer use) imports TensorFlow when it
  is installed and then asks it for GPUs; it is imported first with TensorFlow absent
  (`has_tensorflow` False, exactly as on a machine without TensorFlow), then the stand-in goes in.
- Every later model the server loads (`PUT /model`, i.e. `make reload`) is checked the same way
  before it is unpacked (`rasa.engine.loader.load_predict_graph_runner`): a model with another
  component is refused with `TensorFlowKeptOut` (Rasa answers 400 and keeps the running model; the
  server's log gives the reason), because TensorFlow cannot be loaded into a process that has the
  stand-in. Restart the server (it then decides again), or set `SERVE_WITHOUT_TENSORFLOW=no`. The
  model the server starts with is checked too: when it is not the one `decide` read (replaced in
  between), the process starts again with TensorFlow instead of serving no model.
- `decide` never raises and reads only the full forms of `--model`, `--endpoints` and
  `--remote-storage` (an abbreviation, `-mPATH`: TensorFlow is loaded); the endpoints file as Rasa
  picks it (`--endpoints` when it exists, else ./endpoints.yml).

What breaks it, and how it shows: a Rasa upgrade (refused by version: real TensorFlow until
`TARGET_RASA` and the tests are looked at again); a new component in config.yml (refused by the
allow-list until it is added, after checking that it never calls TensorFlow while serving); Rasa or a
library calling TensorFlow at run time in a path the tests do not cover (`TensorFlowKeptOut` in the
log with the setting's name, never a wrong answer computed from a fake value).
Measured in docs/BENCHMARKS.md, "Memory of the Rasa server"; tests: tests/unit/test_without_tensorflow.py,
tests/integration/test_without_tensorflow.py.
"""
from __future__ import annotations

import abc
import functools
import glob
import importlib.abc
import importlib.machinery
import json
import logging
import os
import sys
import tarfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

from bot.rasa_patches import TARGET_RASA, KeptOut

logger = logging.getLogger(__name__)

SETTING = "SERVE_WITHOUT_TENSORFLOW"

# The component classes of the project's model's prediction graph (config.yml, trained by Rasa
# 3.6.21's default recipe); none calls TensorFlow while serving.
ALLOWED_COMPONENTS = frozenset({
    "bot.nlu.intent_classifier.TfidfIntentClassifier",
    "bot.nlu.lemma_tokenizer.LemmaTokenizer",
    "bot.nlu.red_flag_detector.RedFlagDetector",
    "bot.nlu.tier_reader.TierReader",
    "bot.nlu.typed_commands.TypedCommandGuard",
    "rasa.core.policies.ensemble.DefaultPolicyPredictionEnsemble",
    "rasa.core.policies.memoization.MemoizationPolicy",
    "rasa.core.policies.rule_policy.RulePolicy",
    "rasa.graph_components.converters.nlu_message_converter.NLUMessageConverter",
    "rasa.graph_components.providers.domain_provider.DomainProvider",
    "rasa.graph_components.providers.rule_only_provider.RuleOnlyDataProvider",
    "rasa.nlu.classifiers.fallback_classifier.FallbackClassifier",
    "rasa.nlu.classifiers.regex_message_handler.RegexMessageHandler",
    "rasa.nlu.extractors.regex_entity_extractor.RegexEntityExtractor",
})

# Rasa's TensorFlow settings (rasa/constants.py): `rasa run` configures TensorFlow with them at start.
TENSORFLOW_ENVIRONMENT = ("TF_GPU_MEMORY_ALLOC", "TF_INTER_OP_PARALLELISM_THREADS",
                          "TF_INTRA_OP_PARALLELISM_THREADS")
# The packages the stand-in replaces: TensorFlow and the ones that exist only on top of it.
STAND_IN_PACKAGES = ("tensorflow", "keras", "tensorflow_hub", "tensorflow_text")
# Decorators applied at import time: these return what they decorate (registering does nothing here)...
PASS_THROUGH_DECORATORS = frozenset({
    "tensorflow.autograph.experimental.do_not_convert",
    "tensorflow.keras.utils.register_keras_serializable",
    "tensorflow.keras.saving.register_keras_serializable",
    "keras.utils.register_keras_serializable",
    "keras.saving.register_keras_serializable",
})
# ...and these return a function that raises when called (what they make runs TensorFlow).
REFUSING_DECORATORS = frozenset({"tensorflow.function", "tensorflow.custom_gradient"})

MODEL_OPTIONS = ("--model", "-m")
DEFAULT_MODELS = "models"  # rasa.shared.constants.DEFAULT_MODELS_PATH


class TensorFlowKeptOut(RuntimeError):
    """Something used TensorFlow in a Rasa server that runs without it."""


def refusal(what: str) -> TensorFlowKeptOut:
    return TensorFlowKeptOut(
        f"{what}, but this Rasa server runs without TensorFlow: the model it started with has no "
        f"TensorFlow component and {SETTING} is on (bot/without_tensorflow.py). After a restart the server "
        f"loads TensorFlow for a model that needs it ({SETTING}=no always loads it).")


# ---------------------------------------------------------------------------------------------
# The decision


@dataclass(frozen=True)
class Decision:
    keep_out: bool
    reason: str


# The options of `rasa run` that say which model or where models come from, in full.
WATCHED_OPTIONS = ("--model", "--endpoints", "--remote-storage")


def _unclear_option(args: Sequence[str]) -> Optional[str]:
    """An option argparse would read as one of WATCHED_OPTIONS although not written in full
    (`--mod x`, `--endp x`, `-mPATH`): `decide` reads only the full forms, so it declines then."""
    for arg in args:
        name = arg.split("=", 1)[0]
        if arg.startswith("-m") and arg != "-m" and not arg.startswith("--"):
            return arg
        if name.startswith("--") and len(name) > 2 and name not in WATCHED_OPTIONS and \
                any(full.startswith(name) for full in WATCHED_OPTIONS):
            return arg
    return None


def _option(args: Sequence[str], names: Sequence[str]) -> Optional[str]:
    """The value of the last of `names` in `args` (`--model x` or `--model=x`), as argparse reads it."""
    value = None
    for index, arg in enumerate(args):
        for name in names:
            if arg == name and index + 1 < len(args):
                value = args[index + 1]
            elif name.startswith("--") and arg.startswith(name + "="):
                value = arg[len(name) + 1:]
    return value


def served_model(args: Sequence[str], cwd: Path) -> Optional[Path]:
    """The archive `rasa run ARGS` will load: `--model` (default `models`), a directory meaning its
    newest `*.tar.gz` by modification time (rasa.model.get_local_model); None when there is none."""
    given = Path(_option(args, MODEL_OPTIONS) or DEFAULT_MODELS)
    path = given if given.is_absolute() else cwd / given
    if path.is_dir():  # as rasa.model.get_latest_model picks (glob.glob skips hidden files)
        archives = glob.glob(os.path.join(path, "*.tar.gz"))
        return Path(max(archives, key=os.path.getmtime)) if archives else None
    return path if path.is_file() and path.name.endswith(".tar.gz") else None


def model_components(archive: Path) -> List[str]:
    """The component classes of a Rasa 3 model's prediction graph, read from its metadata.json
    (without unpacking the rest or importing anything)."""
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar:
            if member.name.lstrip("/").lstrip("./") == "metadata.json":
                handle = tar.extractfile(member)
                if handle is None:
                    break
                metadata = json.load(handle)
                nodes = metadata["predict_schema"]["nodes"]
                return sorted({node["uses"] for node in nodes.values()})
    raise ValueError(f"{archive} has no metadata.json: not a Rasa 3 model")


def unknown_components(archive: Path) -> List[str]:
    """The classes of the model's prediction graph that are not the project's (TensorFlow or unknown)."""
    return [name for name in model_components(archive) if name not in ALLOWED_COMPONENTS]


def _endpoints_bring_models(args: Sequence[str], cwd: Path) -> bool:
    """Whether the endpoints file Rasa will read configures a model server. Rasa reads `--endpoints`
    when that file exists, otherwise ./endpoints.yml when it exists (rasa.cli.utils.get_validated_path)."""
    given = _option(args, ("--endpoints",))
    candidates = [Path(given) if Path(given).is_absolute() else cwd / given] if given else []
    path = next((c for c in [*candidates, cwd / "endpoints.yml"] if c.is_file()), None)
    if path is None:
        return False
    try:
        import yaml

        content = yaml.safe_load(path.read_text()) or {}
    except Exception:  # noqa: BLE001 - unreadable or not YAML: cannot tell, so not kept out
        return True
    return not isinstance(content, dict) or bool(content.get("models"))


def decide(args: Sequence[str], enabled: bool, environ: Mapping[str, str], cwd: Path,
           rasa_version: Optional[str] = None) -> Decision:
    """Whether `rasa ARGS` (args without the leading `rasa`) may run without TensorFlow, and why;
    `enabled` is the setting (bot/settings.py). Never raises: when in doubt, TensorFlow is loaded."""
    try:
        return _decide(args, enabled, environ, cwd, rasa_version)
    except Exception as error:  # noqa: BLE001 - a half-written archive, odd metadata...: not kept out
        return Decision(False, f"could not decide ({type(error).__name__}: {error})")


def _decide(args: Sequence[str], enabled: bool, environ: Mapping[str, str], cwd: Path,
            rasa_version: Optional[str]) -> Decision:
    if not enabled:
        return Decision(False, f"{SETTING} is off")
    if not args or args[0] != "run" or (len(args) > 1 and args[1] == "actions"):
        return Decision(False, "not `rasa run` serving a model")
    installed = rasa_version or version("rasa")
    if installed != TARGET_RASA:
        return Decision(False, f"Rasa {installed}, not {TARGET_RASA}: not checked against this version")
    unclear = _unclear_option(args)
    if unclear:
        return Decision(False, f"{unclear!r} is not written in full: the model it names is not checked")
    if _option(args, ("--remote-storage",)) or _endpoints_bring_models(args, cwd):
        return Decision(False, "a model server or remote storage may bring any model")
    configured = [name for name in TENSORFLOW_ENVIRONMENT if environ.get(name)]
    if configured:
        return Decision(False, f"{', '.join(configured)} configure(s) TensorFlow")
    archive = served_model(args, cwd)
    if archive is None:
        return Decision(False, "no model archive found to check")
    try:
        others = unknown_components(archive)
    except (OSError, ValueError, KeyError, TypeError, tarfile.TarError) as error:
        return Decision(False, f"cannot read the components of {archive.name}: {error}")
    if others:
        return Decision(False, f"{archive.name} uses {', '.join(others)}, not only the project's components")
    return Decision(True, f"{archive.name} uses only the project's components, none with TensorFlow")


# ---------------------------------------------------------------------------------------------
# The stand-in

_STAND_INS: Dict[str, type] = {}


def _stand_in_name(cls: type) -> Optional[str]:
    return cls.__dict__.get("_stand_in_for")


class _StandIn(abc.ABCMeta):
    """The metaclass of every stand-in name and of every class that subclasses one. ABCMeta's
    subclass, so a class may subclass a stand-in and an abstract base class together."""

    def __getattr__(cls, name: str) -> Any:
        path = _stand_in_name(cls)
        if path is None or name.startswith("_"):  # dunders and private names: what probes look for
            raise AttributeError(name)
        return stand_in(f"{path}.{name}")

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        path = _stand_in_name(cls)
        if path is None:
            raise refusal(f"{cls.__module__}.{cls.__qualname__} (a TensorFlow class) was instantiated")
        if path in PASS_THROUGH_DECORATORS or path in REFUSING_DECORATORS:
            return _decorate(path, args, kwargs)
        raise refusal(f"{path}() was called")

    def __instancecheck__(cls, instance: Any) -> bool:
        if _stand_in_name(cls) is not None:
            return False  # no TensorFlow object exists in this process
        return super().__instancecheck__(instance)

    def __repr__(cls) -> str:
        path = _stand_in_name(cls)
        return f"<stand-in for {path}>" if path else super().__repr__()

    def _used(cls, *_args: Any) -> Any:
        raise refusal(f"{_stand_in_name(cls) or cls.__qualname__} was used")

    __iter__ = __getitem__ = __contains__ = _used
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _used
    __matmul__ = __rmatmul__ = __neg__ = __float__ = __int__ = __index__ = _used
    __lt__ = __le__ = __gt__ = __ge__ = _used


def _decorate(path: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
    def apply(target: Any) -> Any:
        if path in PASS_THROUGH_DECORATORS:
            return target

        @functools.wraps(target)
        def refusing(*_args: Any, **_kwargs: Any) -> Any:
            raise refusal(f"{getattr(target, '__qualname__', target)} (decorated with {path}) was called")

        return refusing

    if len(args) == 1 and callable(args[0]) and not isinstance(args[0], str):
        return apply(args[0])  # @tf.function
    if not args:
        return apply  # @tf.function(...) or @register_keras_serializable(package=...)
    raise refusal(f"{path}() was called")


def stand_in(path: str) -> type:
    """The stand-in for the dotted name `path` (one object per name)."""
    found = _STAND_INS.get(path)
    if found is None:
        parent, _, name = path.rpartition(".")
        namespace = {"_stand_in_for": path, "__module__": parent or path, "__qualname__": name,
                     "__path__": [], "__doc__": f"Stand-in for {path} (bot/without_tensorflow.py)."}
        found = _StandIn(name, (), namespace)
        _STAND_INS[path] = found
    return found


def is_stand_in(thing: Any) -> bool:
    return isinstance(thing, type) and _stand_in_name(thing) is not None


class _StandInFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports of the stand-in packages get their stand-ins (first on sys.meta_path)."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Optional[importlib.machinery.ModuleSpec]:
        if name.split(".")[0] not in STAND_IN_PACKAGES:
            return None
        return importlib.machinery.ModuleSpec(name, self, is_package=True)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> Any:
        return stand_in(spec.name)

    def exec_module(self, module: Any) -> None:
        return None


def real_tensorflow_loaded() -> bool:
    """Whether a real TensorFlow module is in this process (not only the stand-in)."""
    return any(name.split(".")[0] in STAND_IN_PACKAGES and module is not None and not is_stand_in(module)
               for name, module in list(sys.modules.items()))


def active() -> bool:
    return any(isinstance(finder, _StandInFinder) for finder in sys.meta_path)


def install() -> None:
    """Put the stand-in in place of TensorFlow for the rest of this process. Before anything
    imports TensorFlow (refused after it: the real one cannot be taken back)."""
    if active():
        return
    if real_tensorflow_loaded():
        raise RuntimeError("TensorFlow is already imported: the stand-in must be installed first")
    absent = KeptOut(STAND_IN_PACKAGES, "bot/without_tensorflow.py")  # while thinc looks for TensorFlow
    sys.meta_path.insert(0, absent)
    try:
        import thinc.compat  # noqa: F401 - sees no TensorFlow, as on a machine without it
    except ImportError:  # no thinc: nothing to keep off it
        pass
    finally:
        sys.meta_path.remove(absent)
    sys.meta_path.insert(0, _StandInFinder())
    _guard_model_loads()


def _guard_model_loads() -> None:
    """Refuse, before unpacking, a model that is not only the project's components (PUT /model)."""
    import rasa.engine.loader as loader

    load = loader.load_predict_graph_runner
    if getattr(load, "_checks_components", False):
        return

    @functools.wraps(load)
    def checked(storage_path: Path, model_archive_path: Path, *args: Any, **kwargs: Any) -> Any:
        others = unknown_components(Path(model_archive_path))
        if others:
            what = f"the model {Path(model_archive_path).name} uses {', '.join(others)}"
            if not checked._served:  # type: ignore[attr-defined]
                _start_again_with_tensorflow(what)
            raise refusal(what)
        runner = load(storage_path, model_archive_path, *args, **kwargs)
        checked._served = True  # type: ignore[attr-defined]
        return runner

    checked._checks_components = True  # type: ignore[attr-defined]
    checked._served = False  # type: ignore[attr-defined]
    loader.load_predict_graph_runner = checked


def _start_again_with_tensorflow(what: str) -> None:
    """The model the server starts with is not the one `decide` checked (replaced in between): Rasa
    would start without a model and answer nobody while looking up, so the process starts again,
    the same command with TensorFlow (SERVE_WITHOUT_TENSORFLOW=no for it alone)."""
    if os.environ.get(SETTING) == "no":  # already started again: Rasa's error stands
        return
    logger.critical("%s, but this Rasa server started without TensorFlow: starting again with it", what)
    for handler in logging.getLogger().handlers:
        handler.flush()
    os.execve(sys.executable, list(sys.orig_argv), {**os.environ, SETTING: "no"})


def keep_out_if_safe(args: Sequence[str], say: Callable[[str], None] = print) -> Decision:
    """bot/tooling/quiet.py, before `rasa ARGS` starts: install the stand-in when `decide` allows,
    and say which way it went (one line in the server's log)."""
    from bot.settings import load

    decision = decide(args, load().serve_without_tensorflow, os.environ, Path.cwd())
    if decision.keep_out and real_tensorflow_loaded():  # something imported it before quiet.py could
        decision = Decision(False, "TensorFlow was already imported in this process")
    if decision.keep_out:
        install()
        say(f"TensorFlow kept out of this Rasa server ({SETTING}=no to load it): {decision.reason}")
    elif args and args[0] == "run" and not (len(args) > 1 and args[1] == "actions"):
        say(f"TensorFlow loaded in this Rasa server: {decision.reason}")
    return decision

