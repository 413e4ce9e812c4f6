"""The deployment files say the same thing: the Procfile names the four processes, compose.yaml runs
those (through ``bin/procfile-exec``) next to PostgreSQL, Redis and an SMTP catcher, ``docker compose
config`` accepts it where Docker is installed, and the image builds from requirements.txt alone and
runs as an unprivileged user.  (The smoke test, ``test_smoke_production.py``, runs the Procfile.)"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = ["web", "worker", "worker-notify", "beat"]


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def docker_compose_missing() -> str:
    """Why ``docker compose`` cannot be used here, or "" when it can."""
    docker = shutil.which("docker")
    if docker is None:
        return "docker is not installed"
    try:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"`docker compose version` failed: {exc}"
    if probe.returncode != 0:
        first_line = ((probe.stderr or probe.stdout).strip().splitlines() or ["no output"])[0]
        return f"`docker compose version` exited {probe.returncode}: {first_line[:200]}"
    return ""


def test_the_procfile_names_the_four_processes_each_worker_on_its_queue():
    processes = procfile()
    assert list(processes) == PROCESSES
    assert processes["web"].startswith("gunicorn ") and "gunicorn.conf.py" in processes["web"]
    assert " -Q default " in processes["worker"] and " -Q notify " in processes["worker-notify"]
    assert processes["beat"].startswith("celery -A config beat")


def test_compose_runs_the_procfile_processes_next_to_postgresql_redis_and_an_smtp_catcher():
    services = compose()["services"]
    assert {name: services[name]["command"] for name in PROCESSES} == {
        name: ["bin/procfile-exec", name] for name in PROCESSES}
    assert {"db", "redis", "mail", "migrate"} <= set(services)
    assert services["db"]["image"].startswith("postgres:") and services["redis"]["image"].startswith("redis:")
    assert services["beat"]["deploy"]["replicas"] == 1
    for name in PROCESSES:
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and env["REDIS_URL"].startswith("redis://redis:")
        assert env["EMAIL_HOST"] == "mail"
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])


def test_docker_compose_accepts_the_compose_file():
    reason = docker_compose_missing()
    if reason:
        pytest.skip(f"docker compose is not available here, so compose.yaml is not validated by it: {reason}")
    result = subprocess.run(["docker", "compose", "-f", "compose.yaml", "config", "--quiet"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    services = subprocess.run(["docker", "compose", "-f", "compose.yaml", "config", "--services"], cwd=ROOT,
                              capture_output=True, text=True, timeout=120).stdout.split()
    assert set(PROCESSES) | {"db", "redis", "mail", "migrate"} <= set(services)


def test_the_image_builds_from_requirements_txt_alone_and_runs_as_an_unprivileged_user():
    dockerfile = (ROOT / "Dockerfile").read_text()
    copied = re.findall(r"^COPY\s+(.+?)\s+\S+$", dockerfile, flags=re.M)
    assert copied == ["requirements.txt", "."]                       # the requirements first, for the cache
    assert re.findall(r"pip install (.+)", dockerfile) == ["-r requirements.txt"]
    assert "collectstatic" in dockerfile
    users = re.findall(r"^USER\s+(\S+)", dockerfile, flags=re.M)
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert re.search(r'^CMD \["bin/procfile-exec", "web"\]$', dockerfile, flags=re.M)
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", ".env", "var"} <= set(ignored)


def test_procfile_exec_runs_one_process_type_of_the_procfile_in_place(tmp_path):
    (tmp_path / "Procfile").write_text('hello: echo "hello ${WHO:-nobody} from $(pwd)"\nother: false\n')
    env = {**os.environ, "PROCFILE": str(tmp_path / "Procfile"), "WHO": "web"}
    run = subprocess.run([str(ROOT / "bin" / "procfile-exec"), "hello"], env=env, capture_output=True, text=True,
                         timeout=30)
    assert (run.returncode, run.stdout) == (0, f"hello web from {ROOT}\n")

    for name in ("nope", "", ".*"):
        refused = subprocess.run([str(ROOT / "bin" / "procfile-exec"), name], env=env, capture_output=True,
                                 text=True, timeout=30)
        assert refused.returncode == 64 and "one of: hello other" in refused.stderr
