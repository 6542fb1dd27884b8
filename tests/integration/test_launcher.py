"""`make run`'s servers stop with the launcher however it ends: SIGTERM to its process group
(what a supervisor sends) or SIGHUP (its terminal closed), and the next start finds its ports
free. (SIGKILL, when no cleanup runs: test_launcher_killed.py, without a model to load.)"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import List

import psutil
import pytest

from bot.settings import PROJECT_ROOT
from bot.tooling.servers import MODELS_DIR, action_port, isolated_settings, rasa_env, wait_until_up

pytestmark = [pytest.mark.servers, pytest.mark.model]


def start_launcher(tmp_path):
    if not any(MODELS_DIR.glob("*.tar.gz")):
        pytest.fail("no trained model: run `make train` first")
    settings = isolated_settings(tmp_path)
    launcher = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=PROJECT_ROOT, env=rasa_env(settings),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_until_up(f"http://127.0.0.1:{settings.rasa_port}/", launcher)
        wait_until_up(f"http://127.0.0.1:{settings.demo_site_port}/", launcher)  # started after Rasa
        servers = psutil.Process(launcher.pid).children()
        assert len(servers) == 3  # the action server, Rasa and the demo clinic page
    except BaseException:  # never leave a launcher and its servers running past a failed test
        os.killpg(launcher.pid, signal.SIGKILL)
        raise
    return launcher, servers, [settings.rasa_port, action_port(settings), settings.demo_site_port]


def listening(ports: List[int]) -> List[int]:
    taken = {c.laddr.port for c in psutil.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN}
    return [port for port in ports if port in taken]


def gone(processes: List[psutil.Process], within: float = 30.0) -> bool:
    _, alive = psutil.wait_procs(processes, timeout=within)
    for process in alive:  # do not leave them to the next test
        process.kill()
    return not alive


@pytest.mark.parametrize("how", ["SIGTERM to the process group", "SIGHUP"])
def test_the_servers_stop_with_the_launcher(tmp_path, how):
    launcher, servers, ports = start_launcher(tmp_path)
    if how == "SIGTERM to the process group":
        os.killpg(launcher.pid, signal.SIGTERM)
    else:
        launcher.send_signal(signal.SIGHUP)
    launcher.wait(timeout=60)
    assert gone(servers), f"a server outlived its launcher ({how})"
    deadline = time.monotonic() + 10
    while listening(ports) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert listening(ports) == [], "a port is still held: the next `make run` would fail"
