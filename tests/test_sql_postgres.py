"""`ivrules sql --dialect postgres` on a real PostgreSQL server answers every row as the scalar engine does.

The test finds Debian's server programs (``/usr/lib/postgresql/*/bin``:
``initdb`` and ``pg_ctl``, installed by ``scripts/setup``), makes a cluster
in a temporary folder, starts it on a free port of 127.0.0.1 (its unix
socket in the same folder), loads a generated register for every region
(``tests/sql_support``), runs the query the command prints, compares each
row with ``Book.tariff``, and stops the server. Where the server cannot be
found the test is skipped, but only outside CI: with ``CI`` set it fails.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from typer.testing import CliRunner

from ivrules.cli.main import app
from tests.conftest import AGREEMENTS, examples
from tests.sql_support import BOOK, Answer, answered, insert, register, table_columns, typed_register

USER = "ivrules"  # the cluster's superuser (trust authentication: the server listens on loopback only)


def _missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what}; scripts/setup installs it (CI must run this test, not skip it)")
    pytest.skip(f"{what}; run scripts/setup --browser")


def _server_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if not found:
        _missing("PostgreSQL's server programs (Debian's package postgresql) are not installed")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _as_owner(folder: Path) -> dict[str, Any]:
    """initdb refuses to run as root: as root, the cluster belongs to Debian's postgres user."""
    if os.geteuid() != 0:
        return {}
    owner = pwd.getpwnam("postgres")
    os.chown(folder, owner.pw_uid, owner.pw_gid)
    return {"user": owner.pw_uid, "group": owner.pw_gid}


@contextlib.contextmanager
def _server() -> Iterator[int]:
    """A fresh cluster, started on a free loopback port; stopped (and removed) on the way out."""
    binaries = _server_bin()
    folder = Path(tempfile.mkdtemp(prefix="ivrules-pg-"))
    try:
        owner = _as_owner(folder)
        run: dict[str, Any] = {"check": True, "capture_output": True, "timeout": 120, **owner}
        subprocess.run([binaries / "initdb", "-D", folder / "data", "-U", USER, "--auth=trust", "-E", "UTF8",
                        "--locale=C"], **run)
        port = _free_port()
        options = f"-p {port} -h 127.0.0.1 -k {folder} -c fsync=off"
        subprocess.run([binaries / "pg_ctl", "-D", folder / "data", "-o", options, "-l", folder / "log", "-w",
                        "start"], **run)
        try:
            yield port
        finally:
            subprocess.run([binaries / "pg_ctl", "-D", folder / "data", "-m", "fast", "-w", "stop"], **run)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres() -> Iterator[Any]:
    try:
        import psycopg
    except ModuleNotFoundError:
        _missing("the Python driver psycopg is not installed")
    with _server() as port, psycopg.connect(host="127.0.0.1", port=port, user=USER, dbname="postgres",
                                            autocommit=True) as con:
        yield con


def _printed(region: str) -> str:
    result = CliRunner().invoke(app, ["sql", "--region", region, "--dialect", "postgres", "--table", "register",
                                      "--agreements", str(AGREEMENTS)])
    assert result.exit_code == 0, result.output
    return result.output


def _columnar(con: Any, sql: str, rows: list[list[Any]]) -> dict[str, Answer]:
    con.execute("DROP TABLE IF EXISTS register")
    con.execute(f"CREATE TABLE register ({table_columns('postgres', every=True)})")
    with con.cursor() as cur:
        cur.executemany(insert("register", "%s"), rows)
        cur.execute(sql)
        return dict(answered(row) for row in cur.fetchall())


@pytest.mark.parametrize("region", BOOK.regions)
def test_the_postgres_query_answers_every_row_as_the_engine(postgres: Any, region: str) -> None:
    sql = _printed(region)

    @settings(max_examples=examples(3), deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(courses=register(region))
    def check(courses: list[dict[str, Any]]) -> None:
        rows, expected = typed_register(region, courses)
        assert _columnar(postgres, sql, rows) == expected

    check()
