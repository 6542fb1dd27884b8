"""A server started by `make run`'s launcher dies with it even when the launcher gets SIGKILL and
runs no cleanup: the kernel tells the children (PR_SET_PDEATHSIG). Real processes, no model. (SIGTERM
and SIGHUP, with the real servers: test_launcher.py.)"""
import subprocess
import sys

import psutil

from bot.settings import PROJECT_ROOT


LAUNCHER = """
import subprocess, sys, time
from bot.tooling.servers import die_with_parent
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"],
                         start_new_session=True, preexec_fn=die_with_parent)
print(child.pid, flush=True)
time.sleep(120)
"""


def test_a_server_dies_with_its_launcher_even_when_the_launcher_is_killed():
    """SIGKILL runs no cleanup: the kernel tells the children (PR_SET_PDEATHSIG)."""
    launcher = subprocess.Popen([sys.executable, "-c", LAUNCHER], cwd=PROJECT_ROOT,
                                stdout=subprocess.PIPE, text=True)
    server = psutil.Process(int(launcher.stdout.readline()))
    assert server.is_running()
    launcher.kill()
    launcher.wait()
    _, alive = psutil.wait_procs([server], timeout=10)
    for process in alive:
        process.kill()
    assert not alive, "the server outlived its killed launcher"
