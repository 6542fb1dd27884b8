"""The command lines `make run` starts, whatever the machine's random API token looks like, and the
quiet output of the dev commands (no library notices, a training summary)."""
import sys
import warnings

from bot.settings import Settings
from bot.tooling.quiet import quiet_warnings
from bot.tooling.servers import action_server_command, rasa_command, rasa_env, rasa_server_command
from bot.tooling.training import Training, read_log


def test_a_token_starting_with_a_dash_is_not_read_as_an_option(tmp_path):
    command = rasa_server_command(Settings(var_dir=tmp_path, rasa_api_token="-starts-with-dash"))
    assert "--auth-token=-starts-with-dash" in command
    assert "--enable-api" in command


def test_both_servers_listen_on_loopback_unless_configured(tmp_path):
    command = rasa_server_command(Settings(var_dir=tmp_path, rasa_api_token="t"))
    assert command[command.index("--interface") + 1] == "127.0.0.1"
    assert "--cors" not in command  # Rasa then allows no browser origin
    wide = rasa_server_command(Settings(var_dir=tmp_path, rasa_api_token="t", bind_host="0.0.0.0",
                                        cors_origins="https://a.example, https://b.example"))
    assert wide[wide.index("--interface") + 1] == "0.0.0.0"
    assert wide[wide.index("--cors"):] == ["--cors", "https://a.example", "https://b.example"]


def test_the_servers_get_the_action_server_secret(tmp_path):
    env = rasa_env(Settings(var_dir=tmp_path, action_server_token="s3cret"))
    assert env["ACTION_SERVER_TOKEN"] == "s3cret"
    made = rasa_env(Settings(var_dir=tmp_path))["ACTION_SERVER_TOKEN"]  # one per machine, kept
    assert len(made) >= 32 and made == rasa_env(Settings(var_dir=tmp_path))["ACTION_SERVER_TOKEN"]


def test_action_server_port_comes_from_its_url():
    settings = Settings(action_server_url="http://localhost:6123/webhook")
    assert action_server_command(settings)[-2:] == ["--port", "6123"]


# --- quiet output: every rasa process, training's summary -------------------------------

def test_every_rasa_process_starts_through_the_quiet_entry_point(tmp_path):
    settings = Settings(var_dir=tmp_path, rasa_api_token="t")
    assert rasa_server_command(settings)[:4] == rasa_command() == [sys.executable, "-m", "bot.tooling.quiet", "rasa"]
    assert action_server_command(settings)[:4] == [sys.executable, "-m", "bot.tooling.quiet", "bot.action_server"]


class PyparsingLike(UserWarning, DeprecationWarning):
    pass


def test_library_notices_stay_hidden_whatever_filters_come_later_but_data_warnings_show():
    shown = []
    with warnings.catch_warnings():  # restores the filters and showwarning afterwards
        warnings.showwarning = lambda message, *args, **kwargs: shown.append(str(message))
        quiet_warnings()
        warnings.filterwarnings("once", category=UserWarning)  # what Rasa does once started
        warnings.warn("pkg_resources is deprecated", DeprecationWarning, stacklevel=1)
        warnings.warn("'setParseAction' deprecated", PyparsingLike, stacklevel=1)
        warnings.warn("Slot auto-fill has been removed in 3.0", UserWarning, stacklevel=1)
        warnings.warn("The utterance 'utter_x' is not used in any story or rule.", UserWarning, stacklevel=1)
    assert shown == ["The utterance 'utter_x' is not used in any story or rule."]


TRAIN_LOG = """\
2026-12-02 03:31:29 INFO     rasa.cli.train  - Started validating domain and training data...
Processed story blocks: 100%|##########| 8/8 [00:00<00:00, 249.06it/s, # trackers=1]
\x1b[0m2026-12-02 03:32:37 INFO     rasa.engine.training.hooks  - Starting to train component 'MemoizationPolicy'.
2026-12-02 03:32:42 INFO     rasa.engine.training.hooks  - Finished training component 'MemoizationPolicy'.
2026-12-02 03:32:42 INFO     rasa.engine.training.hooks  - Starting to train component 'CountVectorsFeaturizer'.
2026-12-02 03:32:42 INFO     rasa.engine.training.hooks  - Finished training component 'CountVectorsFeaturizer'.
2026-12-02 03:32:43 INFO     rasa.engine.training.hooks  - Starting to train component 'CountVectorsFeaturizer'.
2026-12-02 03:32:46 INFO     rasa.engine.training.hooks  - Finished training component 'CountVectorsFeaturizer'.
2026-12-02 03:32:46 INFO     rasa.engine.training.hooks  - Restored component 'RulePolicy' from cache.
2026-12-02 03:32:46 INFO     rasa.engine.training.hooks  - Restored component 'TfidfIntentClassifier' from cache.
"""


def test_the_training_summary_says_what_was_retrained_for_how_long_and_what_came_from_the_cache(tmp_path):
    trained, cached = read_log(TRAIN_LOG)
    assert trained == {"MemoizationPolicy": 5.0, "CountVectorsFeaturizer": 0.0, "CountVectorsFeaturizer #2": 3.0}
    assert cached == ["RulePolicy", "TfidfIntentClassifier"]
    summary = Training(0, 74.25, tmp_path / "train.log", trained, cached).summary()
    assert summary == ("trained in 74.2s: retrained MemoizationPolicy 5 s, CountVectorsFeaturizer <1 s, "
                       "CountVectorsFeaturizer #2 3 s; from Rasa's cache: RulePolicy, TfidfIntentClassifier")


def test_a_failed_training_prints_its_output_without_progress_bars(tmp_path):
    log = tmp_path / "train.log"
    log.write_text(TRAIN_LOG + "Processed rules: 10%|#| 1/10 [00:00<?, ?it/s]\rProcessed rules: 20%|#| 2/10\n"
                   "ActionNotFoundException: Cannot access action 'utter_x'\n")
    text = Training(1, 3.0, log).failure()
    assert "ActionNotFoundException: Cannot access action 'utter_x'" in text
    assert "it/s" not in text and "%|" not in text
    assert text.endswith(f"training failed (exit 1); the full output is in {log}")
