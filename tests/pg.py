"""A throwaway PostgreSQL cluster for the test session, started from the tests themselves.

Debian's server binaries are used where installed (``scripts/test`` installs them when
missing). ``initdb`` refuses to run as root, so as root the cluster belongs to the
``postgres`` user. ``PAPERBOT_TEST_POSTGRES_URL`` points the tests at a server of your
own instead (it must allow CREATE DATABASE).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def _bindir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def throwaway_cluster() -> Iterator[str]:
    """Yield an admin URL (``postgresql://postgres@127.0.0.1:PORT/postgres``) while it runs."""
    bindir = _bindir()
    if bindir is None:
        raise PostgresUnavailable("no PostgreSQL server binaries (initdb) found; run scripts/test to install them")
    as_root = os.geteuid() == 0
    prefix: list[str] = []
    workdir = Path(tempfile.mkdtemp(prefix="paperbot-pg-"))
    if as_root:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError as err:
            raise PostgresUnavailable("running as root, and there is no 'postgres' user to own the cluster") from err
        os.chown(workdir, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data = workdir / "data"
    port = _free_port()
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    try:
        subprocess.run(
            [
                *prefix,
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            env=env,
        )
        options = (
            f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            [
                *prefix,
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(workdir / "log"),
                "-w",
                "start",
            ],
            check=True,
            capture_output=True,
            env=env,
        )
    except subprocess.CalledProcessError as err:
        shutil.rmtree(workdir, ignore_errors=True)
        raise PostgresUnavailable(f"could not start PostgreSQL: {err.stderr.decode(errors='replace')}") from err
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            env=env,
            check=False,
        )
        shutil.rmtree(workdir, ignore_errors=True)
