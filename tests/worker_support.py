"""What the tests that run real processes share: an SMTP server on loopback (aiosmtpd), a free port,
waiting for a condition, and real ``celery worker`` processes on the test database and the Redis broker."""

from __future__ import annotations

import email
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from email import policy
from pathlib import Path

from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


class Inbox:
    """aiosmtpd handler: keeps what it accepts; refuses the first ``refuse`` deliveries with a 421."""

    def __init__(self, refuse=0):
        self.refuse = refuse
        self.refused = 0
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.refused < self.refuse:
                self.refused += 1
                return "421 4.3.0 Service not available, closing transmission channel"
            msg = email.message_from_bytes(envelope.original_content, policy=policy.default)
            self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def smtp_server(inbox=None):
    """An SMTP server on a free loopback port; yields ``(inbox, port)`` and stops it afterwards."""
    inbox = inbox if inbox is not None else Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def smtp_mailers(port: int) -> dict:
    """Django's mailer settings for the SMTP server on ``port``."""
    return {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                        "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5}}}


def wait_for(predicate, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def start_worker_process(name, smtp_port, *, queues=None):
    """A real worker process on the test database and the Redis broker, sending through ``smtp_port``
    (``queues``: the queues it consumes, e.g. ``"notify"``; default: the default queue)."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL, "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp_port),
        "DJANGO_SETTINGS_MODULE": "config.settings_test", "EXEC_SPONSOR_QUIET_EMBEDDED": "1",
    }
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--without-mingle",
               "--without-gossip", "--without-heartbeat", "-l", "WARNING", "-n", f"{name}-{os.getpid()}@%h"]
    if queues:
        command += ["-Q", queues]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def stop(process, timeout=30):
    """Stop a worker started by ``start_worker_process`` (TERM, then KILL if it does not go)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
