"""The process layout of `make run-cluster`: nginx in front of N Daphne, a Celery worker per named queue, one beat.

Rendered from the environment into var/cluster/ (nginx.conf from deploy/nginx.conf.template, and a Procfile
honcho runs), so the layout is configuration, not code. Like the launcher, nothing here imports Django.

    WEB_PROCESSES=2                      Daphne processes behind nginx
    PORT=8000                            where nginx listens; Daphne N listens on PORT + 100 + N
    WORKER_CONCURRENCY="realtime=2,intake=1,notify=1,sla=1,bulk=1"   one worker per queue, this many tasks at once
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
NGINX_TEMPLATE = REPO_ROOT / "deploy" / "nginx.conf.template"
# settings.TASK_QUEUES names the same queues; tests/core/test_task_routes.py keeps the two equal.
QUEUES = ("realtime", "intake", "notify", "sla", "bulk")
DEFAULT_CONCURRENCY = "realtime=2,intake=1,notify=1,sla=1,bulk=1"
# Per client address: 10 login attempts a minute (burst 5), 50 intake calls a second (burst 100).
RATE_LIMITS = {"login_rate": "10r/m", "login_burst": "5", "intake_rate": "50r/s", "intake_burst": "100"}


class LayoutError(ValueError):
    """A cluster setting that cannot describe a runnable layout; the message names the setting."""


@dataclass(frozen=True)
class Layout:
    web_processes: int
    port: int
    concurrency: dict[str, int]
    var_dir: Path
    static_root: Path
    media_root: Path

    @property
    def run_dir(self) -> Path:
        return self.var_dir / "cluster"

    @property
    def web_ports(self) -> list[int]:
        return [self.port + 100 + index for index in range(1, self.web_processes + 1)]

    @classmethod
    def from_env(cls, env: Mapping[str, str], var_dir: Path) -> Layout:
        try:
            web_processes = int(env.get("WEB_PROCESSES") or 2)
            port = int(env.get("PORT") or 8000)
        except ValueError as error:
            raise LayoutError(f"WEB_PROCESSES and PORT must be whole numbers: {error}") from error
        if not 1 <= web_processes <= 64:
            raise LayoutError(f"WEB_PROCESSES must be between 1 and 64, not {web_processes}")
        return cls(
            web_processes=web_processes, port=port,
            concurrency=parse_concurrency(env.get("WORKER_CONCURRENCY") or DEFAULT_CONCURRENCY),
            var_dir=var_dir,
            static_root=Path(env.get("STATIC_ROOT") or var_dir / "static"),
            media_root=Path(env.get("MEDIA_ROOT") or var_dir / "media" / "public"),
        )


def parse_concurrency(text: str) -> dict[str, int]:
    """"realtime=2,bulk=1,…" → {queue: processes}; every queue needs a worker, or its tasks would wait forever."""
    concurrency: dict[str, int] = {}
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        queue, _, count = part.partition("=")
        if queue not in QUEUES:
            raise LayoutError(f"WORKER_CONCURRENCY names {queue!r}, which is not a queue ({', '.join(QUEUES)})")
        if not count.isdigit() or int(count) < 1:
            raise LayoutError(f"WORKER_CONCURRENCY: {queue} needs a whole number ≥ 1, not {count!r}")
        concurrency[queue] = int(count)
    if missing := [queue for queue in QUEUES if queue not in concurrency]:
        raise LayoutError(f"WORKER_CONCURRENCY has no worker for {', '.join(missing)}: their tasks would never run")
    return concurrency


def render_template(template: str, values: Mapping[str, str]) -> str:
    """Fill {{ name }} fields. Hand-written (a regex) because nginx's own `$var` and `{ }` collide with
    string.Template and str.format, and Jinja would be a dependency for six fields; unknown names fail."""

    def field(match: re.Match[str]) -> str:
        if match.group(1) not in values:
            raise LayoutError(f"{NGINX_TEMPLATE.name} has a field {match.group(1)!r} nobody fills")
        return values[match.group(1)]

    return re.sub(r"\{\{ *(\w+) *\}\}", field, template)


def nginx_conf(layout: Layout, upstream_ports: list[int] | None = None) -> str:
    """The config for layout; upstream_ports replaces its Daphne ports (tests start Daphne on free ports)."""
    servers = "\n".join(f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;"
                         for port in upstream_ports or layout.web_ports)
    return render_template(NGINX_TEMPLATE.read_text(), {
        **RATE_LIMITS,
        "run_dir": str(layout.run_dir), "listen": f"127.0.0.1:{layout.port}", "upstream_servers": servers,
        "static_root": str(layout.static_root), "media_root": str(layout.media_root),
    })


def nginx_command(layout: Layout) -> list[str]:
    # -e: errors to stderr from the first moment, before the config's error_log (else /var/log/nginx must exist).
    return ["nginx", "-p", str(layout.run_dir), "-c", str(layout.run_dir / "nginx.conf"), "-e", "stderr",
            "-g", "daemon off;"]


def procfile(layout: Layout) -> str:
    lines = [f"web{index}: DATABASE_POOL=1 daphne -b 127.0.0.1 -p {port} service_center.asgi:application"
             for index, port in enumerate(layout.web_ports, start=1)]
    lines += [f"worker_{queue}: celery -A service_center worker -l info -Q {queue} -c {count} -n {queue}@%h"
              for queue, count in layout.concurrency.items()]
    lines.append("beat: celery -A service_center beat -l info")
    lines.append(f"nginx: {shlex.join(nginx_command(layout))}")
    return "\n".join(lines) + "\n"


def write(layout: Layout, upstream_ports: list[int] | None = None) -> Path:
    """Write nginx.conf and the Procfile under var/cluster/; returns the Procfile's path."""
    layout.run_dir.mkdir(parents=True, exist_ok=True)
    layout.media_root.mkdir(parents=True, exist_ok=True)
    (layout.run_dir / "nginx.conf").write_text(nginx_conf(layout, upstream_ports))
    path = layout.run_dir / "Procfile"
    path.write_text(procfile(layout))
    return path
