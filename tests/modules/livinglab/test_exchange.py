"""Inter-city exchange: a signed public record, imported elsewhere as a "pilot elsewhere"."""

from __future__ import annotations

import base64
import copy

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from smartcity.core.keys import KeyRing
from smartcity.modules.livinglab import exchange
from smartcity.modules.livinglab.settings import LivinglabSettings
from tests.modules.livinglab.conftest import Lab


def test_export_is_signed_with_the_log_key_and_imports_elsewhere(lab: Lab) -> None:
    pilot = lab.pilot("evaluating")
    envelope = lab.ok(lab.get(f"/pilots/{pilot}/export"))
    document = envelope["document"]
    assert document["format"] == exchange.FORMAT and document["id"] == pilot
    assert document["kpis"][0]["value"] == 96.5 and document["kpis"][0]["met"] is True
    assert base64.b64decode(envelope["public_key"]) == lab.platform.keys.log_public_key_raw
    imported = lab.ok(lab.post("/elsewhere", lab.admin, envelope), 201)
    assert imported["title"] == document["title"] and imported["state"] == "evaluating"
    again = lab.post("/elsewhere", lab.admin, envelope)
    assert again.status_code == 409 and again.json()["code"] == "already_imported"
    listed = lab.ok(lab.get("/elsewhere"))
    assert [p["source_id"] for p in listed] == [pilot]
    assert document["title"] in lab.client.get("/livinglab/elsewhere").text


def test_tampered_or_untrusted_documents_are_refused(lab: Lab) -> None:
    keys = KeyRing(Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate(), b"0" * 32)
    document = {
        "format": exchange.FORMAT,
        "origin": "新北市",
        "id": "np-1",
        "title": "板橋地磁停車",
        "domain": "transport",
        "state": "procured",
        "vendor": "V-LORA",
    }
    envelope = exchange.sign(keys, document)
    tampered = copy.deepcopy(envelope)
    tampered["document"]["state"] = "adopted"
    refused = lab.post("/elsewhere", lab.admin, tampered)
    assert refused.status_code == 422 and refused.json()["code"] == "bad_signature"
    garbage = {**envelope, "signature": "not base64!"}
    assert lab.post("/elsewhere", lab.admin, garbage).json()["code"] == "bad_signature"
    lab.platform.module_settings["livinglab"] = LivinglabSettings(trusted_keys="AAAA")
    untrusted = lab.post("/elsewhere", lab.admin, envelope)
    assert untrusted.status_code == 403 and untrusted.json()["code"] == "untrusted_key"
    lab.platform.module_settings["livinglab"] = LivinglabSettings(
        trusted_keys=f"AAAA,{envelope['public_key']}"
    )
    lab.ok(lab.post("/elsewhere", lab.admin, envelope), 201)
    wrong = exchange.sign(keys, {**document, "format": "other", "id": "np-2"})
    assert lab.post("/elsewhere", lab.admin, wrong).json()["code"] == "bad_document"
    assert lab.post("/elsewhere", lab.dot, envelope).status_code == 403


def test_unpublished_pilots_are_not_exported(lab: Lab) -> None:
    pilot = lab.pilot("screening")
    assert lab.get(f"/pilots/{pilot}/export").status_code == 404
    assert lab.get(f"/pilots/{pilot}/export", lab.dot).json()["code"] == "not_published"
