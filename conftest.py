"""On PostgreSQL every pytest process that runs tests (each pytest-xdist worker of `make unit` and
`make test-postgres`, the schemathesis process beside them, a plain `pytest`) gets a database of
its own, named after MAILSENTINEL_TEST_DATABASE_URL's plus the worker id (or process id), created
empty before the process collects and dropped when it ends.

Workers must not share one: the scheduler, worker and webhook-dispatch tests act on everything in
their database, and tests/support/api.py numbers e-mail addresses with a process-local counter.
(On SQLite each process already gets its own file from its own temporary directory.)
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ENV = "MAILSENTINEL_TEST_DATABASE_URL"


def _recreate(admin_url: str, name: str, create: bool) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            # WITH (FORCE): a server a failed test left running must not keep the database alive.
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            if create:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
                # Commits need not wait for the WAL to reach the disk: what other connections see
                # is the same; only a crash of PostgreSQL itself could lose them, and a test
                # database is thrown away then anyway.
                conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    finally:
        admin.dispose()


def _database_of_its_own(config: pytest.Config) -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    base = os.environ.get(ENV, "")
    # The xdist controller runs no tests; its workers (and a process without xdist) do.
    if not base.startswith("postgresql") or (not worker and config.getoption("numprocesses", None)):
        return
    url = make_url(base)
    name = f"{url.database}_{worker or f'p{os.getpid()}'}"
    # The configured database only serves to connect from; what the tests see is the process's own.
    _recreate(base, name, create=True)
    os.environ[ENV] = url.set(database=name).render_as_string(hide_password=False)
    config.add_cleanup(lambda: _recreate(base, name, create=False))


# Its tests must run in one process, in order: the last reads the ledger the others filled, and
# schemathesis gives many of them one node id, which xdist's grouping modes silently run once.
ONE_PROCESS = "contract_tests/test_schemathesis.py"


def _collects_the_one_process_module(config: pytest.Config) -> bool:
    module = config.rootpath / ONE_PROCESS
    here = config.invocation_params.dir
    if any((here / p).resolve() == module for p in config.getoption("ignore") or ()):
        return False
    paths = ((here / arg.split("::")[0]).resolve() for arg in config.args)
    return any(path == module or path in module.parents for path in paths)


def _refuse_to_spread_the_one_process_module(config: pytest.Config) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER") or not config.getoption("numprocesses", None):
        return
    if _collects_the_one_process_module(config):
        raise pytest.UsageError(
            f"{ONE_PROCESS} cannot run under pytest-xdist: pass --ignore={ONE_PROCESS} and run it in a "
            "process of its own (tests/run-parallel, which `make unit` uses, does both)"
        )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    _refuse_to_spread_the_one_process_module(config)
    _database_of_its_own(config)
