"""The audit log as outsiders see it: every proof verifies with an independent RFC 9162
implementation against a checkpoint whose signature verifies; tampering is named."""

from __future__ import annotations

import base64
import hashlib
import json
import random

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient
from sqlalchemy import delete, update
from typer.testing import CliRunner

from smartcity.core.audit.models import AuditEntry
from smartcity.core.auth import Role
from tests.conftest import Actors, bearer
from tests.support import rfc9162


def _change_state(client: TestClient, actors: Actors, rng: random.Random, steps: int) -> list[str]:
    """A random mix of state changes through the API; returns names used (to check privacy)."""
    admin = actors.token(Role.ADMIN)
    names: list[str] = []
    citizens: list[str] = []
    for step in range(steps):
        choice = rng.choice(["citizen", "binding", "organisation", "key"])
        if choice == "citizen" or not citizens:
            name = f"市民{step}號"
            _user_id, token = actors.citizen(name=name)
            names.append(name)
            citizens.append(token)
        elif choice == "binding":
            plate = f"T{rng.randrange(10, 99)}-{rng.randrange(1000, 9999)}"
            client.post(
                "/api/v1/identity/me/bindings",
                json={"kind": "plate", "value": plate},
                headers=bearer(rng.choice(citizens)),
            )
        elif choice == "organisation":
            client.post(
                "/api/v1/identity/organisations",
                json={"code": f"ORG{step}", "kind": "vendor", "name": f"廠商{step}"},
                headers=bearer(admin),
            )
        else:
            client.post(
                "/api/v1/identity/api-keys",
                json={"role": "vendor", "organisation": "VEND", "label": "k"}
                if step % 2
                else {"role": "officer", "organisation": "DOT"},
                headers=bearer(admin),
            )
            actors.token(Role.VENDOR)
    return names


def _checkpoint(client: TestClient) -> tuple[int, bytes]:
    body = client.get("/api/v1/transparency/checkpoint").json()
    public_key = Ed25519PublicKey.from_public_bytes(base64.b64decode(body["public_key"]))
    # Raises InvalidSignature if the signature does not cover exactly the checkpoint text.
    public_key.verify(base64.b64decode(body["signature"]), body["checkpoint"].encode())
    origin, size, root, trailer = body["checkpoint"].split("\n")
    assert trailer == ""
    assert origin == body["origin"]
    assert int(size) == body["tree_size"]
    assert root == body["root_hash"]
    return body["tree_size"], base64.b64decode(root)


def _all_leaves(client: TestClient, size: int) -> list[bytes]:
    leaves: list[bytes] = []
    while len(leaves) < size:
        page = client.get(
            "/api/v1/transparency/entries", params={"start": len(leaves), "end": size - 1}
        ).json()["entries"]
        assert page, "the log returned no entries before the tree size"
        leaves.extend(base64.b64decode(e["leaf_input"]) for e in page)
    return leaves[:size]


def test_every_proof_verifies_independently(client: TestClient, actors: Actors, platform) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(9162)
    early_size = None
    names = _change_state(client, actors, rng, 12)
    early_size, early_root = _checkpoint(client)
    names += _change_state(client, actors, rng, 25)
    size, root = _checkpoint(client)
    assert size > early_size > 0

    leaves = _all_leaves(client, size)
    assert rfc9162.mth(leaves) == root
    assert rfc9162.mth(leaves[:early_size]) == early_root

    for index in range(size):
        proof = client.get(
            "/api/v1/transparency/proof/inclusion", params={"leaf_index": index, "tree_size": size}
        ).json()
        path = [base64.b64decode(p) for p in proof["audit_path"]]
        leaf_hash = base64.b64decode(proof["leaf_hash"])
        assert leaf_hash == rfc9162.leaf(leaves[index])
        assert rfc9162.verify_inclusion(leaf_hash, index, size, path, root), index
    for older in (1, 2, early_size, size - 1):
        for index in range(0, older, max(1, older // 7)):
            proof = client.get(
                "/api/v1/transparency/proof/inclusion",
                params={"leaf_index": index, "tree_size": older},
            ).json()
            assert rfc9162.verify_inclusion(
                base64.b64decode(proof["leaf_hash"]),
                index,
                older,
                [base64.b64decode(p) for p in proof["audit_path"]],
                rfc9162.mth(leaves[:older]),
            )

    for first in range(1, size + 1):
        proof = client.get(
            "/api/v1/transparency/proof/consistency", params={"first": first, "second": size}
        ).json()
        path = [base64.b64decode(p) for p in proof["consistency"]]
        assert rfc9162.verify_consistency(first, size, rfc9162.mth(leaves[:first]), root, path), (
            first
        )
    proof = client.get(
        "/api/v1/transparency/proof/consistency", params={"first": early_size, "second": size}
    ).json()
    assert rfc9162.verify_consistency(
        early_size, size, early_root, root, [base64.b64decode(p) for p in proof["consistency"]]
    )

    # The public log names nobody: no name, user id or plate in any leaf.
    public = b"".join(leaves).decode()
    for name in names:
        assert name not in public
    for leaf_input in leaves:
        document = json.loads(leaf_input)
        assert len(document["actor"]) == 64 and len(document["object"]) == 64


def test_a_tampered_proof_does_not_verify(client: TestClient, actors: Actors) -> None:
    _change_state(client, actors, random.Random(1), 6)
    size, root = _checkpoint(client)
    proof = client.get(
        "/api/v1/transparency/proof/inclusion", params={"leaf_index": 1, "tree_size": size}
    ).json()
    path = [base64.b64decode(p) for p in proof["audit_path"]]
    path[0] = bytes([path[0][0] ^ 1]) + path[0][1:]
    assert not rfc9162.verify_inclusion(base64.b64decode(proof["leaf_hash"]), 1, size, path, root)


def test_bad_proof_requests_are_problems(client: TestClient, actors: Actors) -> None:
    actors.citizen()
    size, _root = _checkpoint(client)
    cases = [
        (
            "/api/v1/transparency/proof/inclusion",
            {"leaf_index": size, "tree_size": size},
            "leaf_index_out_of_range",
        ),
        (
            "/api/v1/transparency/proof/inclusion",
            {"leaf_index": 0, "tree_size": size + 5},
            "tree_size_too_large",
        ),
        ("/api/v1/transparency/proof/consistency", {"first": 3, "second": 2}, "invalid_tree_sizes"),
        ("/api/v1/transparency/proof/consistency", {"first": 0, "second": 2}, "validation_error"),
        ("/api/v1/transparency/entries", {"start": 5, "end": 1}, "invalid_range"),
        (
            "/api/v1/transparency/proof/inclusion",
            {"leaf_index": "x", "tree_size": 1},
            "validation_error",
        ),
    ]
    for path, params, code in cases:
        response = client.get(path, params=params)
        assert 400 <= response.status_code < 500, (path, params)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == code


def _verify(platform, monkeypatch) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    from smartcity.cli import build_cli

    monkeypatch.setenv("SMARTCITY_DATABASE_URL", platform.settings.database_url)
    monkeypatch.setenv("SMARTCITY_DATA_DIR", str(platform.settings.data_dir))
    result = CliRunner().invoke(build_cli(), ["audit", "verify"])
    return result.exit_code, result.output


def _cli_platform(database_url: str, settings_factory):  # type: ignore[no-untyped-def]
    from smartcity.app import build_platform

    return build_platform(settings_factory(database_url))


def test_audit_verify_names_an_altered_entry(database_url, settings_factory, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    platform = _cli_platform(database_url, settings_factory)
    actors = Actors(platform)
    for number in range(9):
        actors.citizen(name=f"甲{number}")
    code, output = _verify(platform, monkeypatch)
    assert code == 0, output

    with platform.db.engine.begin() as connection:
        connection.execute(
            update(AuditEntry)
            .where(AuditEntry.index == 5)
            .values(action="identity.citizen.deleted")
        )
    code, output = _verify(platform, monkeypatch)
    assert code == 1
    assert "entry 5 " in output
    assert "entry 4 " not in output and "entry 6 " not in output
    platform.db.dispose()


def test_audit_verify_names_a_rewritten_leaf_and_a_missing_entry(
    database_url,
    settings_factory,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    platform = _cli_platform(database_url, settings_factory)
    actors = Actors(platform)
    for number in range(6):
        actors.citizen(name=f"乙{number}")
    # Rewriting the public leaf together with its fields is caught by the stored tree nodes.
    with platform.db.engine.begin() as connection:
        connection.execute(
            update(AuditEntry).where(AuditEntry.index == 2).values(leaf_input=b'{"forged":true}')
        )
    code, output = _verify(platform, monkeypatch)
    assert code == 1 and "entry 2" in output

    with platform.db.engine.begin() as connection:
        connection.execute(delete(AuditEntry).where(AuditEntry.index == 4))
    code, output = _verify(platform, monkeypatch)
    assert code == 1 and "entry 4 is missing" in output
    platform.db.dispose()


def test_no_public_value_reverses_from_a_small_search_space(
    client: TestClient, actors: Actors, platform
) -> None:  # type: ignore[no-untyped-def]
    """Plates come from a space one core enumerates in seconds: the public leaf must not
    carry any unkeyed digest of them (finding 6 of the 2026 audit recovered every bound plate
    from `change`), and every digest in it must depend on the platform's secret key."""
    from smartcity.core.audit.log import canonical_json
    from smartcity.core.keys import KeyRing

    plates = [f"XYZ-{n:04d}" for n in range(9870, 9880)]
    for plate in plates:
        _user_id, token = actors.citizen()
        answer = client.post(
            "/api/v1/identity/me/bindings",
            json={"kind": "plate", "value": plate},
            headers=bearer(token),
        )
        assert answer.status_code == 201, answer.text
    size, _root = _checkpoint(client)
    leaves = [json.loads(leaf) for leaf in _all_leaves(client, size)]
    requested = [leaf for leaf in leaves if leaf["action"] == "identity.binding.requested"]
    assert len(requested) == len(plates)

    # The attacker's dictionary: every plate in the space, as the change JSON and bare.
    guesses: set[str] = set()
    for n in range(10_000):
        plate = f"XYZ-{n:04d}"
        for text in (
            canonical_json({"kind": "plate", "provider": None, "value": plate}),
            plate,
        ):
            for algorithm in ("sha256", "sha1", "md5", "sha512", "blake2b"):
                guesses.add(hashlib.new(algorithm, text.encode()).hexdigest())
    for leaf in requested:
        public_values = {str(value) for value in leaf.values()}
        assert not public_values & guesses, f"a leaf gives a plate away: {leaf}"

    # Every digest changes with the key: without the key there is nothing to search.
    with platform.db.read_session() as session:
        stored = session.query(AuditEntry).filter_by(action="identity.binding.requested").first()
    other = platform.log.__class__(KeyRing.ephemeral(), platform.log.origin)
    mine, theirs = json.loads(platform.log.leaf_input(stored)), json.loads(other.leaf_input(stored))
    for field in ("actor", "object", "change"):
        assert mine[field] != theirs[field], f"{field} does not depend on the secret key"


def test_entries_of_the_unkeyed_format_still_verify(
    database_url, settings_factory, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """A log started before keyed change digests keeps its old leaves (they are never
    rewritten); `audit verify` checks each in the format it was written in."""
    import functools

    platform = _cli_platform(database_url, settings_factory)
    actors = Actors(platform)
    log = platform.log
    monkeypatch.setattr(log, "leaf_input", functools.partial(type(log).leaf_input, log, version=1))
    for number in range(3):
        actors.citizen(name=f"舊{number}")
    monkeypatch.undo()
    for number in range(3):
        actors.citizen(name=f"新{number}")
    with platform.db.read_session() as session:
        versions = [json.loads(row.leaf_input)["v"] for row in session.query(AuditEntry)]
    assert 1 in versions and 2 in versions
    code, output = _verify(platform, monkeypatch)
    assert code == 0, output
    platform.db.dispose()
