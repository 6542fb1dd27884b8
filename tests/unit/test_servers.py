"""The command lines `make run` starts, whatever the machine's random API token looks like."""
from bot.tooling.servers import action_server_command, rasa_server_command
from bot.settings import Settings


def test_a_token_starting_with_a_dash_is_not_read_as_an_option(tmp_path):
    command = rasa_server_command(Settings(var_dir=tmp_path, rasa_api_token="-starts-with-dash"))
    assert "--auth-token=-starts-with-dash" in command
    assert "--enable-api" in command


def test_action_server_port_comes_from_its_url():
    settings = Settings(action_server_url="http://localhost:6123/webhook")
    assert action_server_command(settings)[-2:] == ["--port", "6123"]
