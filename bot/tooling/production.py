"""`make production`: the production topology on this machine, supervised by one launcher.

nginx (Debian's package) in front of two Rasa replicas and two action servers, conversations and
the project's tables in PostgreSQL, conversation locks in Redis. The same settings as deploy/
(docker-compose, Kubernetes); here everything listens on 127.0.0.1 and lives under
var/production/ (nginx.conf, credentials, logs, the launcher's pid).

    patient -> nginx :8080 -> /webhooks/*  round robin (least_conn) -> rasa-1 :5101 | rasa-2 :5102
                           -> /socket.io/  sticky (ip_hash)          -> the same replicas
    rasa-N  -> nginx :8055 -> action-1 :5151 | action-2 :5152
    all     -> PostgreSQL (tracker store, escalations, callbacks)
    rasa-N  -> Redis (the lock that keeps one conversation's turns in order across replicas)

A replica that dies is restarted by the launcher; meanwhile nginx sends new requests to the other
(a refused connection is retried on the next server; a request already sent is never sent twice,
so no turn is doubled). Its socket.io clients reconnect to the other replica, which reads their
conversation from the tracker store. The tests in tests/production/ drive this class.
"""
from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import sqlalchemy as sa
import yaml
from sqlalchemy.engine import URL

from bot import settings as bot_settings
from bot.settings import PROJECT_ROOT, Settings
from bot.storage.database import database_url, engine_for, migrate, safe_url
from bot.tooling import nginx
from bot.tooling.servers import (MODELS_DIR, action_server_command, rasa_env, rasa_server_command,
                                 require_free, wait_until_up)

DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/rasa_production"
DEFAULT_REDIS = "redis://127.0.0.1:6379/1"  # not 15 (tests) nor 0 (anything else on the machine)
# The socket.io channel the widget uses; added when credentials.yml does not declare it yet.
SOCKETIO = {"user_message_evt": "user_uttered", "bot_message_evt": "bot_uttered",
            "session_persistence": True}
# Connections PostgreSQL keeps beyond max_connections - superuser_reserved for this launcher
# (migrations, counting) and an operator's psql.
SPARE_CONNECTIONS = 3


@dataclass(frozen=True)
class Plan:
    """Where each piece listens, and the settings they share."""

    settings: Settings
    port: int = 8080  # nginx, the only public port
    action_port: int = 8055  # nginx in front of the action servers (Rasa's ACTION_SERVER_URL)
    rasa_ports: Tuple[int, ...] = (5101, 5102)
    action_ports: Tuple[int, ...] = (5151, 5152)
    run_dir: Path = PROJECT_ROOT / "var" / "production"
    model: Optional[Path] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def processes(self) -> int:
        """Processes that each hold a connection pool: the replicas and the action servers."""
        return len(self.rasa_ports) + len(self.action_ports)

    def connections(self) -> int:
        """The most PostgreSQL connections the topology can open at once."""
        per_process = self.settings.database_pool_size + self.settings.database_max_overflow
        return self.processes * per_process

    def replica(self, port: int) -> Settings:
        return replace(self.settings, rasa_port=port,
                       action_server_url=f"http://127.0.0.1:{self.action_port}/webhook")

    def action_server(self, port: int) -> Settings:
        # Due check-ins go through the first replica's HTTP API (not public: nginx has no route).
        return replace(self.settings, action_server_url=f"http://127.0.0.1:{port}/webhook",
                       rasa_url=f"http://127.0.0.1:{self.rasa_ports[0]}")


def production_settings(base: Settings, run_dir: Path) -> Settings:
    """PostgreSQL and Redis unless configured otherwise, and a real sender hash key: the
    development key is refused with PostgreSQL, so one is made (0600) and kept in run_dir."""
    default_key = next(f.default for f in fields(Settings) if f.name == "sender_hash_key")
    changes: Dict[str, Any] = {}
    if database_url(base).get_backend_name() == "sqlite":
        changes["database_url"] = DEFAULT_DATABASE
    if not base.lock_store_url:
        changes["lock_store_url"] = DEFAULT_REDIS
    if base.sender_hash_key == default_key:
        changes["sender_hash_key"] = kept_secret(run_dir / "sender-hash-key")
    return replace(base, **changes)


def kept_secret(path: Path) -> str:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


def ensure_database(url: URL) -> None:
    """CREATE DATABASE when it is missing (connecting to the server's `postgres` database)."""
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                        {"name": url.database}).scalar()
            if not exists:
                quoted = admin.dialect.identifier_preparer.quote(url.database)
                connection.execute(sa.text(f"CREATE DATABASE {quoted}"))
    finally:
        admin.dispose()


def check_connection_budget(plan: Plan, connection: sa.engine.Connection) -> None:
    """Refuse to start when the pools could exhaust PostgreSQL: a replica that cannot get a
    connection fails patients' turns after pool_timeout, far from the cause."""
    limit = int(connection.execute(sa.text("SHOW max_connections")).scalar())
    reserved = int(connection.execute(sa.text("SHOW superuser_reserved_connections")).scalar())
    available = limit - reserved - SPARE_CONNECTIONS
    if plan.connections() > available:
        raise RuntimeError(
            f"{plan.processes} processes x (DATABASE_POOL_SIZE {plan.settings.database_pool_size} + "
            f"DATABASE_MAX_OVERFLOW {plan.settings.database_max_overflow}) = {plan.connections()} "
            f"connections, more than the {available} PostgreSQL allows (max_connections {limit}, "
            f"{reserved} reserved, {SPARE_CONNECTIONS} spare): lower the pool or raise max_connections")


def credentials(run_dir: Path) -> Path:
    """credentials.yml, plus Rasa's socket.io channel (sessions kept in the tracker store) when
    no channel there serves socket.io yet (the widget's channel, issue 14, will)."""
    channels = yaml.safe_load((PROJECT_ROOT / "credentials.yml").read_text()) or {}
    if not any("socketio" in name.lower() for name in channels):
        channels["socketio"] = SOCKETIO
    path = run_dir / "credentials.yml"
    path.write_text("# Generated by bot/tooling/production.py from credentials.yml: edit that.\n"
                    + yaml.safe_dump(channels, sort_keys=False))
    return path


def nginx_config(plan: Plan) -> str:
    """nginx.conf for the plan (bot/tooling/nginx.py)."""
    return nginx.render(plan.run_dir, plan.port, plan.action_port, plan.rasa_ports, plan.action_ports)


class Topology:
    """The processes of a Plan: started in order, watched, restarted, stopped."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.processes: Dict[str, subprocess.Popen] = {}
        self.commands: Dict[str, Tuple[List[str], Settings, str]] = {}  # name: command, env, health

    @property
    def logs(self) -> Path:
        return self.plan.run_dir / "logs"

    def prepare(self) -> None:
        """Database, schema, budget and configuration files; nothing is started yet."""
        plan = self.plan
        for kind in ("logs", "nginx"):
            (plan.run_dir / kind).mkdir(parents=True, exist_ok=True)
        url = database_url(plan.settings)
        if url.get_backend_name() != "postgresql":
            raise RuntimeError(f"production needs PostgreSQL, not {safe_url(url)}")
        ensure_database(url)
        engine = engine_for(plan.settings)
        try:
            with engine.connect() as connection:
                check_connection_budget(plan, connection)
            migrate(engine)  # once here, not raced by the action servers' first escalations
        finally:
            engine.dispose()
        (plan.run_dir / "nginx.conf").write_text(nginx_config(plan))
        self._check_nginx()
        rasa_credentials = credentials(plan.run_dir)
        for index, port in enumerate(plan.action_ports, 1):
            settings = plan.action_server(port)
            self.commands[f"action-{index}"] = (action_server_command(settings), settings,
                                                f"http://127.0.0.1:{port}/health")
        for index, port in enumerate(plan.rasa_ports, 1):
            settings = plan.replica(port)
            command = rasa_server_command(settings, plan.model)
            command[command.index("--credentials") + 1] = str(rasa_credentials)
            command += ["--interface", "127.0.0.1"]  # only nginx reaches a replica
            self.commands[f"rasa-{index}"] = (command, settings, f"http://127.0.0.1:{port}/")

    def _check_nginx(self) -> None:
        config = self.plan.run_dir / "nginx.conf"
        result = subprocess.run([nginx.binary(), "-t", "-q", "-p", str(self.plan.run_dir), "-c", str(config)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"nginx refused {config}: {result.stderr.strip()}")

    def spawn(self, name: str) -> subprocess.Popen:
        command, settings, _ = self.commands[name]
        with (self.logs / f"{name}.log").open("ab") as out:
            process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=rasa_env(settings), stdout=out,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        self.processes[name] = process
        return process

    def start(self, name: str) -> None:
        """Start one process and wait until it answers."""
        health = self.commands[name][2]
        wait_until_up(health, self.spawn(name))

    def start_all(self) -> "Topology":
        self.prepare()
        for port in (self.plan.port, self.plan.action_port, *self.plan.rasa_ports, *self.plan.action_ports):
            require_free(port, "production topology")
        for name in self.commands:  # the replicas load their models side by side
            self.spawn(name)
        for name, (_, _, health) in self.commands.items():
            wait_until_up(health, self.processes[name])
        config = self.plan.run_dir / "nginx.conf"
        proxy = subprocess.Popen([nginx.binary(), "-p", str(self.plan.run_dir), "-c", str(config)],
                                 cwd=PROJECT_ROOT, start_new_session=True,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.processes["nginx"] = proxy
        wait_until_up(f"{self.plan.url}/", proxy, timeout=30)
        return self

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """End one process (SIGKILL: as a crash or an out-of-memory kill would)."""
        process = self.processes.pop(name)
        if process.poll() is None:
            os.killpg(process.pid, sig)
        process.wait(timeout=30)

    def stop(self) -> None:
        """nginx first (no new requests), then the replicas, then the action servers."""
        for name in sorted(self.processes, key=lambda n: ("nginx", "rasa", "action").index(n.split("-")[0])):
            process = self.processes.pop(name)
            if process.poll() is not None:
                continue
            os.killpg(process.pid, signal.SIGQUIT if name == "nginx" else signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def dead(self) -> List[str]:
        return [name for name, process in self.processes.items() if process.poll() is not None]

    def __enter__(self) -> "Topology":
        try:
            return self.start_all()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()


def supervise(topology: Topology, poll: float = 1.0) -> None:
    """Restart any process that ends, until the launcher is told to stop (SIGTERM, Ctrl-C)."""
    while True:
        time.sleep(poll)
        for name in topology.dead():
            code = topology.processes[name].returncode
            print(f"{name} ended (exit code {code}); restarting it", file=sys.stderr, flush=True)
            if name == "nginx":
                raise RuntimeError("nginx ended; see var/production/logs/nginx-error.log")
            try:
                topology.start(name)
            except (RuntimeError, TimeoutError) as error:
                print(f"{name} did not come back: {error}", file=sys.stderr, flush=True)


def stop_running(run_dir: Path) -> int:
    """`make production-stop`: SIGTERM to the launcher, which stops what it started."""
    pid_file = run_dir / "launcher.pid"
    if not pid_file.exists():
        print("No production launcher is running.")
        return 0
    pid = int(pid_file.read_text())
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        print("The production launcher had already ended.")
        pid_file.unlink(missing_ok=True)
        return 0
    for _ in range(60):
        if not pid_file.exists():
            print("Production topology stopped.")
            return 0
        time.sleep(0.5)
    print(f"The launcher (pid {pid}) did not stop within 30 s.", file=sys.stderr)
    return 1


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.tooling.production",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--stop", action="store_true", help="stop the running topology")
    parser.add_argument("--port", type=int, default=Plan.port, help="nginx's port (default 8080)")
    parser.add_argument("--model", type=Path, default=MODELS_DIR, help="model file or directory")
    args = parser.parse_args(argv)
    base = bot_settings.load()
    run_dir = Path(base.var_dir) / "production"
    if args.stop:
        return stop_running(run_dir)
    plan = Plan(production_settings(base, run_dir), port=args.port, run_dir=run_dir, model=args.model)
    topology = Topology(plan)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    pid_file = run_dir / "launcher.pid"
    try:
        print(f"Starting nginx, {len(plan.rasa_ports)} Rasa replicas and {len(plan.action_ports)} action "
              f"servers on {safe_url(database_url(plan.settings))} (about a minute)...", flush=True)
        topology.start_all()
        pid_file.write_text(str(os.getpid()))
        print(f"Up on {plan.url} (REST /webhooks/rest/webhook, socket.io /socket.io/); logs in "
              f"{topology.logs}. Ctrl-C or `make production-stop` stops it.", flush=True)
        supervise(topology)
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
    except (RuntimeError, TimeoutError, sa.exc.SQLAlchemyError) as error:
        print(f"Production topology failed: {error} (logs in {topology.logs})", file=sys.stderr)
        return 1
    finally:
        topology.stop()
        pid_file.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
