"""Services of a test's own, to stop and start without touching the machine's shared ones."""

import shutil
import socket
import subprocess
import time
from contextlib import contextmanager

import pytest
import redis
from kombu import pools

from villes_internet.celery import app as celery_app


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A redis-server of the test's own, without persistence: stopped, it refuses connections."""

    def __init__(self):
        if not shutil.which("redis-server"):
            pytest.skip("redis-server est absent : `apt-get install redis-server`.")
        self.port = free_port()
        self.process = None

    def url(self, db=0):
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self):
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--daemonize", "no"),
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        for _ in range(200):
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server ne répond pas sur le port {self.port}.")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def redis_server():
    server = RedisServer()
    yield server
    server.stop()


def _forget_connections():
    pools.reset()  # kombu's pools, by broker address: closed, and forgotten
    celery_app._pool = None
    if "amqp" in celery_app.__dict__:
        celery_app.amqp._producer_pool = None


@contextmanager
def celery_broker(url):
    """This process' Celery publishes to ``url`` (a broker of the test's own) meanwhile."""
    previous = celery_app.conf.broker_url
    celery_app.conf.broker_url = url
    _forget_connections()
    try:
        yield
    finally:
        celery_app.conf.broker_url = previous
        _forget_connections()
