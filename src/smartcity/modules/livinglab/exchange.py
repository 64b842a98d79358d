"""Inter-city exchange: a pilot's public record as a signed JSON document.

The document is canonical JSON (sorted keys, no spaces, UTF-8) signed with
Ed25519 (RFC 8032). This city signs with the platform's log-signing key
(`KeyRing.log_key`, the key that signs transparency checkpoints), so one public
key vouches for both. Another smartcity instance imports it as a "pilot elsewhere".
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smartcity.core.errors import Conflict, InvalidInput, PermissionDenied
from smartcity.core.keys import KeyRing
from smartcity.core.time import isoformat_z, utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.livinglab import outcomes
from smartcity.modules.livinglab.models import ExternalPilot, Pilot
from smartcity.modules.livinglab.values import Domain, PilotState

FORMAT = "smartcity.livinglab.pilot/1"


def canonical(document: dict[str, Any]) -> bytes:
    """The bytes that are signed."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def public_record(session: Session, pilot: Pilot, origin: str) -> dict[str, Any]:
    """What a published pilot shows the world: facts, KPIs, feedback counts and outcome."""
    kpis = [
        {
            "name": kpi.name,
            "unit": kpi.unit,
            "baseline": kpi.baseline,
            "target": kpi.target,
            "direction": kpi.direction,
            "source": kpi.source,
            "value": value.current,
            "met": None
            if value.current is None
            else bool(
                value.current <= kpi.target
                if kpi.direction == "lower"
                else value.current >= kpi.target
            ),
        }
        for kpi, value in outcomes.kpis_of(session, pilot)
    ]
    feedback = outcomes.feedback_summary(session, pilot)
    evaluation = outcomes.evaluation_of(session, pilot)
    return {
        "format": FORMAT,
        "origin": origin,
        "id": str(pilot.id),
        "title": pilot.title,
        "summary": pilot.summary,
        "domain": pilot.domain,
        "track": pilot.track,
        "state": pilot.state,
        "department": pilot.department,
        "vendor": pilot.vendor,
        "year": pilot.year,
        "running_since": isoformat_z(pilot.running_since) if pilot.running_since else None,
        "running_until": isoformat_z(pilot.running_until) if pilot.running_until else None,
        "kpis": kpis,
        "feedback": {"count": feedback["count"], "average_rating": feedback["average_rating"]},
        "evaluation": {"overall": evaluation["overall"], "averages": evaluation["averages"]},
        "outcome": {
            "decision": evaluation["decision"],
            "reference": pilot.decision_reference,
            "summary": pilot.outcome_summary,
        },
        "exported_at": isoformat_z(utcnow()),
    }


def _raw_public(keys: KeyRing) -> bytes:
    return keys.log_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def sign(keys: KeyRing, document: dict[str, Any]) -> dict[str, Any]:
    """The signed envelope of `document`."""
    return {
        "document": document,
        "algorithm": "Ed25519",
        "public_key": base64.b64encode(_raw_public(keys)).decode(),
        "signature": base64.b64encode(keys.log_key.sign(canonical(document))).decode(),
    }


def verify(envelope: dict[str, Any], trusted: set[str]) -> str:
    """Check the signature (and the key against `trusted`, if any); return the key fingerprint."""
    if envelope.get("algorithm") != "Ed25519":
        raise InvalidInput("only Ed25519 signatures are accepted", code="bad_algorithm")
    try:
        raw_key = base64.b64decode(str(envelope["public_key"]), validate=True)
        signature = base64.b64decode(str(envelope["signature"]), validate=True)
        key = Ed25519PublicKey.from_public_bytes(raw_key)
    except (ValueError, KeyError):
        raise InvalidInput(
            "the public key or signature is malformed", code="bad_signature"
        ) from None
    if trusted and str(envelope["public_key"]) not in trusted:
        raise PermissionDenied(
            "documents signed by this city are not trusted", code="untrusted_key"
        )
    try:
        key.verify(signature, canonical(envelope["document"]))
    except InvalidSignature:
        raise InvalidInput(
            "the signature does not match the document", code="bad_signature"
        ) from None
    return hashlib.sha256(raw_key).hexdigest()


def _checked(envelope: dict[str, Any], trusted: set[str]) -> tuple[str, dict[str, Any]]:
    """The key fingerprint and the facts of a signed record, or why it is refused."""
    fingerprint = verify(envelope, trusted)
    document = envelope["document"]
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise InvalidInput(f"the document is not a {FORMAT} record", code="bad_document")
    try:
        facts = {
            "domain": Domain(str(document.get("domain"))).value,
            "state": PilotState(str(document.get("state"))).value,
            "title": str(document["title"])[:200],
            "origin": str(document["origin"])[:200],
            "source_id": str(document["id"])[:64],
            "vendor": str(document.get("vendor") or "")[:200],
            "document": document,
            "key_fingerprint": fingerprint,
        }
    except (KeyError, ValueError):
        raise InvalidInput(
            "the document lacks a title, origin, id, domain or state", code="bad_document"
        ) from None
    return fingerprint, facts


def import_record(uow: UnitOfWork, envelope: dict[str, Any], trusted: set[str]) -> ExternalPilot:
    """Store another city's signed pilot record as a pilot elsewhere."""
    _fingerprint, facts = _checked(envelope, trusted)
    row = ExternalPilot(**facts)
    uow.session.add(row)
    try:
        uow.session.flush()
    except IntegrityError:
        raise Conflict("this pilot was imported before", code="already_imported") from None
    uow.audit("livinglab.elsewhere.imported", "external_pilot", row.id, {"origin": row.origin})
    return row


def _unstamped(document: dict[str, Any]) -> dict[str, Any]:
    """A record without the time it was exported, which changes at every export."""
    return {key: value for key, value in document.items() if key != "exported_at"}


def follow_source(
    uow: UnitOfWork, source: str, envelopes: list[dict[str, Any]], trusted: set[str]
) -> dict[str, list[str]]:
    """Bring the pilots elsewhere that came through harvest source `source` in step with its
    signed records: new ones are added, changed ones updated, ones it no longer publishes
    removed; a record whose signature fails is refused and the others still count."""
    mine = {
        (row.origin, row.source_id): row
        for row in uow.session.scalars(
            select(ExternalPilot).where(ExternalPilot.harvest_source == source)
        )
    }
    report: dict[str, list[str]] = {"added": [], "updated": [], "removed": [], "refused": []}
    seen = set()
    for envelope in envelopes:
        try:
            _fingerprint, facts = _checked(envelope, trusted)
        except (InvalidInput, PermissionDenied) as refused:
            report["refused"].append(refused.detail)
            continue
        key = (facts["origin"], facts["source_id"])
        seen.add(key)
        row = mine.get(key)
        if row is None:
            row = uow.session.scalars(
                select(ExternalPilot).where(
                    ExternalPilot.origin == key[0], ExternalPilot.source_id == key[1]
                )
            ).first()
        if row is None:
            row = ExternalPilot(harvest_source=source, **facts)
            uow.session.add(row)
            uow.session.flush()
            report["added"].append(row.title)
            uow.audit(
                "livinglab.elsewhere.imported", "external_pilot", row.id, {"origin": row.origin}
            )
        elif _unstamped(row.document) != _unstamped(facts["document"]) or (
            row.harvest_source != source
        ):
            for name, value in facts.items():
                setattr(row, name, value)
            row.harvest_source = source
            report["updated"].append(row.title)
            uow.audit(
                "livinglab.elsewhere.updated", "external_pilot", row.id, {"origin": row.origin}
            )
    for key, row in mine.items():
        if key not in seen:
            uow.session.delete(row)
            report["removed"].append(row.title)
            uow.audit(
                "livinglab.elsewhere.removed", "external_pilot", row.id, {"origin": row.origin}
            )
    return report


def elsewhere(session: Session, vendor: str | None = None) -> list[ExternalPilot]:
    """Pilots imported from other cities, newest first."""
    query = select(ExternalPilot).order_by(ExternalPilot.imported_at.desc())
    if vendor:
        query = query.where(ExternalPilot.vendor == vendor)
    return list(session.execute(query.limit(500)).scalars())
