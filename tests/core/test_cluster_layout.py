"""`make run-cluster`'s layout (service_center/cluster.py): N Daphne behind nginx, a worker per named queue, one
beat; the nginx config renders from deploy/nginx.conf.template and nginx itself accepts it."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from service_center import cluster
from service_center.cluster import Layout, LayoutError


def _layout(tmp_path: Path, **env: str) -> Layout:
    return Layout.from_env({"PORT": "18000", **env}, tmp_path)


def test_cluster_queues_are_the_settings_queues() -> None:
    assert set(cluster.QUEUES) == set(settings.TASK_QUEUES)


def test_procfile_has_n_daphne_a_worker_per_queue_and_one_beat(tmp_path: Path) -> None:
    layout = _layout(tmp_path, WEB_PROCESSES="3", WORKER_CONCURRENCY="realtime=4,intake=1,notify=2,sla=1,bulk=1")
    lines = cluster.procfile(layout).splitlines()
    webs = [line for line in lines if line.startswith("web")]
    assert [re.search(r"-p (\d+)", line).group(1) for line in webs] == ["18101", "18102", "18103"]  # type: ignore[union-attr]
    workers = dict(re.findall(r"-Q (\w+) -c (\d+)", "\n".join(lines)))
    assert workers == {"realtime": "4", "intake": "1", "notify": "2", "sla": "1", "bulk": "1"}
    assert sum(line.startswith("beat:") for line in lines) == 1
    assert sum(line.startswith("nginx:") for line in lines) == 1


@pytest.mark.parametrize(("setting", "value", "named"), [
    ("WORKER_CONCURRENCY", "realtime=1,intake=1,notify=1,sla=1", "bulk"),        # a queue nobody consumes
    ("WORKER_CONCURRENCY", "realtime=1,intake=1,notify=1,sla=1,bulk=1,x=1", "'x'"),  # not a queue
    ("WORKER_CONCURRENCY", "realtime=0,intake=1,notify=1,sla=1,bulk=1", "realtime"),
    ("WEB_PROCESSES", "0", "WEB_PROCESSES"),
    ("WEB_PROCESSES", "two", "WEB_PROCESSES"),
])
def test_a_layout_that_cannot_run_is_refused_naming_the_setting(tmp_path: Path, setting: str, value: str,
                                                               named: str) -> None:
    with pytest.raises(LayoutError, match=named):
        _layout(tmp_path, **{setting: value})


def test_nginx_conf_proxies_every_daphne_and_rate_limits_login_and_intake(tmp_path: Path) -> None:
    conf = cluster.nginx_conf(_layout(tmp_path, WEB_PROCESSES="2"))
    assert "{{" not in conf
    assert "server 127.0.0.1:18101" in conf and "server 127.0.0.1:18102" in conf
    assert "listen 127.0.0.1:18000;" in conf
    assert re.search(r"location = /accounts/login/ \{\s*limit_req zone=login", conf)
    assert re.search(r"email/inbound\|channels\|logistics/webhook\)/ \{\s*limit_req zone=intake", conf)
    assert "proxy_set_header Upgrade $http_upgrade;" in conf


@pytest.mark.skipif(shutil.which("nginx", path="/usr/sbin:/usr/bin") is None, reason="nginx is not installed")
def test_nginx_accepts_the_rendered_config(tmp_path: Path) -> None:
    layout = _layout(tmp_path)
    cluster.write(layout)
    nginx = shutil.which("nginx", path="/usr/sbin:/usr/bin")
    assert nginx is not None
    result = subprocess.run([nginx, *cluster.nginx_command(layout)[1:-2], "-t"], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 0, result.stderr
