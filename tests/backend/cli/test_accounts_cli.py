"""`dse token list|revoke` and `dse session list|revoke` (real `dse` subprocesses on a SQLite database): tokens and
sessions are listed without their secrets, and revoking a token ends the session it opened."""

from __future__ import annotations

from pathlib import Path

from backend.accounts import service
from backend.core.db import make_engine, make_session_factory, transaction
from backend.migrate import upgrade
from tests.backend.cli.test_library_cli import dse


def test_tokens_and_sessions_from_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'var' / 'dse.sqlite3'}"
    upgrade(url)
    assert dse(tmp_path, "user", "add", "alice").returncode == 0
    created = dse(tmp_path, "token", "create", "alice", "--label", "laptop")
    token_id, token = created.stdout.split()[1], created.stdout.split()[-1]
    factory = make_session_factory(make_engine(url))
    with transaction(factory) as session:
        service.open_session(session, token)  # what POST /api/session does
    listed = dse(tmp_path, "token", "list", "alice")
    assert listed.returncode == 0 and f"{token_id}\tlaptop\t" in listed.stdout and token not in listed.stdout
    sessions = dse(tmp_path, "session", "list", "alice").stdout.splitlines()
    assert len(sessions) == 2 and sessions[1].split("\t")[1] == token_id and sessions[1].endswith("\t-")
    assert dse(tmp_path, "token", "revoke", token_id).returncode == 0
    ended = dse(tmp_path, "session", "list", "alice").stdout.splitlines()[1]
    assert not ended.endswith("\t-"), "revoking the token ends the session it opened"
    missing = dse(tmp_path, "session", "revoke", "999")
    assert missing.returncode == 2 and "session 999 does not exist" in missing.stderr
    assert "Traceback" not in missing.stderr
    assert dse(tmp_path, "user", "role", "alice", "viewer").returncode == 0
    assert "alice\tviewer" in dse(tmp_path, "user", "list").stdout
