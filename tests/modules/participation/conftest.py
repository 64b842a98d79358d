"""Helpers for participation's tests: a vote made through the API, and belenios-tool."""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from smartcity.core.auth import Role
from smartcity.core.time import utcnow
from tests.conftest import Actors, bearer

BELENIOS_TOOL = shutil.which("belenios-tool")

needs_belenios_tool = pytest.mark.skipif(
    BELENIOS_TOOL is None, reason="belenios-tool is not installed (.ci/run installs it)"
)

QUESTIONS = [
    {
        "question": "動物園夜間開放？ Open the zoo at night?",
        "answers": ["贊成", "反對"],
        "min": 1,
        "max": 1,
    },
    {"question": "Which days?", "answers": ["Fri", "Sat", "Sun"], "min": 0, "max": 2},
]


def new_vote(client: TestClient, actors: Actors, **changes: Any) -> tuple[dict[str, Any], str]:
    """A vote created by an officer of DOT through the API: (its JSON, the officer's token)."""
    officer = actors.token(Role.OFFICER, "DOT")
    body: dict[str, Any] = {
        "title": "動物園夜間開放 Zoo opening hours",
        "description": "i-Voting 測試",
        "questions": QUESTIONS,
        "eligibility": {},
        "closes_at": (utcnow() + timedelta(days=7)).isoformat(),
    }
    body.update(changes)
    answer = client.post("/api/v1/participation/votes", json=body, headers=bearer(officer))
    assert answer.status_code == 201, answer.text
    return answer.json(), officer


def resident(client: TestClient, actors: Actors, district: str, **facts: str) -> str:
    """A new adult citizen whose papers say they live in `district`: their bearer token."""
    user_id, token = actors.citizen()
    answer = client.put(
        f"/api/v1/identity/citizens/{user_id}/facts",
        json={"birth_date": "1990-01-01", "lives_in": district, **facts},
        headers=bearer(actors.token(Role.ADMIN)),
    )
    assert answer.status_code == 200, answer.text
    return token


def take_credential(client: TestClient, vote_id: str, token: str) -> str:
    """A citizen's private credential for the vote."""
    answer = client.post(f"/api/v1/participation/votes/{vote_id}/credential", headers=bearer(token))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["credential"])


def unpack_archive(client: TestClient, vote_id: str, directory: Path) -> Path:
    """The archive the API serves, saved as `<uuid>.bel` in `directory` (as belenios-tool wants)."""
    answer = client.get(f"/api/v1/participation/votes/{vote_id}/archive")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/x-tar"
    with tarfile.open(fileobj=io.BytesIO(answer.content)) as tar:
        assert tar.getnames()[0] == "BELENIOS"
    for old in directory.glob("*.bel"):
        old.unlink()
    name = answer.headers["content-disposition"].split('"')[1]
    (directory / name).write_bytes(answer.content)
    return directory


def tool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run belenios-tool; the completed process."""
    assert BELENIOS_TOOL is not None
    return subprocess.run(
        [BELENIOS_TOOL, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def tool_ballot(directory: Path, credential: str, choices: list[list[int]]) -> bytes:
    """A ballot made by belenios-tool's own voting client from the served archive."""
    (directory / "cred").write_text(credential + "\n")
    (directory / "choices.json").write_text(str(choices).replace(" ", ""))
    made = tool(
        "election",
        "generate-ballot",
        "--dir",
        ".",
        "--privcred",
        "cred",
        "--ballot",
        "choices.json",
        cwd=directory,
    )
    assert made.returncode == 0, made.stderr
    return made.stdout.strip().encode()
