"""Belenios elections as belenios-tool 2.0 speaks them (protocol version 1, finite-field groups).

What each value is and how it is hashed follows the Belenios specification and the files the
reference tool writes: ElGamal over a prime-order subgroup, Fiat–Shamir proofs whose challenge is
SHA-256 of a labelled prefix and the commitments in base 10, read as a big-endian number mod q.
The module is pure: no database, no clock; the archive's timestamp is an argument.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import gmpy2

BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
"""The alphabet of Belenios's tokens and credentials (no 0, O, I, l)."""

CREDENTIAL_PATTERN = re.compile(r"^[1-9A-HJ-NP-Za-km-z]{3}(-[1-9A-HJ-NP-Za-km-z]{3}){4}$")


class InvalidBallot(ValueError):
    """A ballot that must not be stored; the message says why."""


@dataclass(frozen=True)
class Group:
    """A Schnorr group: g generates the subgroup of prime order q of Z_p*."""

    name: str
    p: Any
    q: Any
    g: Any

    def pow(self, base: Any, exponent: Any) -> Any:
        """base^exponent mod p (negative exponents invert)."""
        return gmpy2.powmod(base, exponent, self.p)

    def member(self, value: Any) -> bool:
        """Whether `value` lies in the subgroup of order q."""
        return bool(0 < value < self.p and gmpy2.powmod(value, self.q, self.p) == 1)

    def hash(self, prefix: str, elements: Iterable[Any]) -> Any:
        """Belenios's challenge: SHA-256(prefix + elements joined by commas) mod q."""
        text = prefix + ",".join(str(e) for e in elements)
        return gmpy2.mpz(hashlib.sha256(text.encode()).hexdigest(), 16) % self.q

    def random_exponent(self) -> Any:
        """A uniformly random exponent in [0, q)."""
        return gmpy2.mpz(secrets.randbelow(int(self.q)))


@cache
def group(name: str) -> Group:
    """One of the groups belenios-tool knows, by its name."""
    known = json.loads((Path(__file__).parent / "groups.json").read_text())
    if name not in known:
        raise KeyError(f"unknown group {name}")
    found = known[name]
    return Group(name, *(gmpy2.mpz(found[k]) for k in ("p", "q", "g")))


# -- serialisation and hashing ---------------------------------------------------------------


def dumps(value: Any) -> bytes:
    """Compact JSON as belenios-tool writes it (UTF-8, no spaces)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_b64(data: bytes) -> str:
    """SHA-256 in unpadded base 64: election fingerprints and ballot trackers."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode().rstrip("=")


def sha256_hex(data: bytes) -> str:
    """SHA-256 in hex: the names of an archive's records."""
    return hashlib.sha256(data).hexdigest()


def _proof(challenge: Any, response: Any) -> dict[str, str]:
    return {"challenge": str(challenge), "response": str(response)}


def new_token(length: int = 14) -> str:
    """A random base-58 token (an election's uuid)."""
    return "".join(secrets.choice(BASE58) for _ in range(length))


# -- trustees --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrusteeKey:
    """A trustee's key share: the private exponent and the public key with its proof."""

    private: Any
    public: dict[str, Any]


def new_trustee_key(g: Group) -> TrusteeKey:
    """A fresh key share with its proof of knowledge (challenge over `pok|GROUP|X|A`)."""
    x = g.random_exponent()
    public_key = g.pow(g.g, x)
    w = g.random_exponent()
    challenge = g.hash(f"pok|{g.name}|{public_key}|", [g.pow(g.g, w)])
    response = (w - x * challenge) % g.q
    return TrusteeKey(x, {"pok": _proof(challenge, response), "public_key": str(public_key)})


def trustee_key_holds(g: Group, public: dict[str, Any]) -> bool:
    """Whether a trustee's public key carries a valid proof of knowledge."""
    try:
        key = gmpy2.mpz(public["public_key"])
        challenge = gmpy2.mpz(public["pok"]["challenge"])
        response = gmpy2.mpz(public["pok"]["response"])
    except (KeyError, TypeError, ValueError):
        return False
    if not g.member(key):
        return False
    commitment = g.pow(g.g, response) * g.pow(key, challenge) % g.p
    return bool(g.hash(f"pok|{g.name}|{key}|", [commitment]) == challenge)


def trustees_document(
    publics: Sequence[dict[str, Any]], threshold: dict[str, Any] | None = None
) -> list[Any]:
    """trustees.json: each key share of its own as a `Single` trustee, then the threshold
    group's parameters, if any, as one `Pedersen` entry (owners are numbered in this order)."""
    document: list[Any] = [["Single", public] for public in publics]
    if threshold is not None:
        document.append(["Pedersen", threshold])
    return document


def election_public_key(
    g: Group, publics: Sequence[dict[str, Any]], threshold: dict[str, Any] | None = None
) -> Any:
    """The election key: the product of the `Single` keys and of the threshold group's key,
    itself the product of each member's g^(constant coefficient)."""
    key = gmpy2.mpz(1)
    for public in publics:
        key = key * gmpy2.mpz(public["public_key"]) % g.p
    if threshold is not None:
        for coefficients in coefficient_commitments(threshold["coefexps"]):
            key = key * coefficients[0] % g.p
    return key


# -- threshold (Pedersen) key establishment --------------------------------------------------
#
# The platform only relays and checks (steps 2, 4 and 6 of belenios-tool's
# `generate-trustee-key-threshold`): it sees certificates, signed commitments and shares
# encrypted to their recipients, never a share in clear.


class InvalidCeremonyStep(ValueError):
    """A trustee's certificate, polynomial or verification output that must be refused."""


def _signed_holds(g: Group, signed: Any, verification_key: Any) -> bool:
    """Whether a `signed_msg` carries a Schnorr signature by `verification_key`."""
    if not isinstance(signed, dict) or set(signed) != {"message", "signature"}:
        return False
    message, signature = signed["message"], signed["signature"]
    if not isinstance(message, str) or not isinstance(signature, dict):
        return False
    try:
        challenge = _number(signature.get("challenge"), "a signature's challenge")
        response = _number(signature.get("response"), "a signature's response")
    except InvalidBallot:
        return False
    commitment = g.pow(g.g, response) * g.pow(verification_key, challenge) % g.p
    return bool(g.hash(f"sigmsg|{message}|", [commitment]) == challenge)


def _message(signed: dict[str, Any], fields: set[str], what: str) -> dict[str, Any]:
    try:
        message = json.loads(signed["message"])
    except (ValueError, TypeError, KeyError) as error:
        raise InvalidCeremonyStep(f"{what} does not hold a JSON message") from error
    if not isinstance(message, dict) or set(message) != fields:
        raise InvalidCeremonyStep(
            f"{what}'s message must have exactly " + ", ".join(sorted(fields))
        )
    return message


def certificate_key(g: Group, certificate: Any) -> Any:
    """The verification key of a trustee's certificate (step 1), checked as step 2 does: both
    keys in the group and the certificate signed by its own verification key."""
    if not isinstance(certificate, dict):
        raise InvalidCeremonyStep("a certificate is a signed message")
    keys = _message(certificate, {"verification", "encryption"}, "the certificate")
    try:
        verification = _number(keys["verification"], "the verification key")
        encryption = _number(keys["encryption"], "the encryption key")
    except InvalidBallot as error:
        raise InvalidCeremonyStep(str(error)) from error
    if not (g.member(verification) and g.member(encryption)):
        raise InvalidCeremonyStep(f"the certificate's keys are not in {g.name}")
    if not _signed_holds(g, certificate, verification):
        raise InvalidCeremonyStep("the certificate is not signed by its own verification key")
    return verification


def coefficient_commitments(coefexps: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """Each member's g^(coefficient) list, read from their signed `coefexps`."""
    return [[gmpy2.mpz(c) for c in json.loads(s["message"])["coefexps"]] for s in coefexps]


def check_polynomial(
    g: Group, polynomial: Any, certificate: dict[str, Any], threshold: int, members: int
) -> None:
    """Step 3's output as step 4 takes it: a share encrypted for every member and the
    commitments to `threshold` coefficients, signed by the member's certificate."""
    if not isinstance(polynomial, dict) or set(polynomial) != {
        "polynomial",
        "secrets",
        "coefexps",
    }:
        raise InvalidCeremonyStep("a polynomial has exactly polynomial, secrets and coefexps")
    secrets_ = polynomial["secrets"]
    if not isinstance(polynomial["polynomial"], str) or not (
        isinstance(secrets_, list)
        and len(secrets_) == members
        and all(isinstance(s, str) for s in secrets_)
    ):
        raise InvalidCeremonyStep(
            f"a polynomial carries one encrypted share for each of the {members} members"
        )
    coefexps = polynomial["coefexps"]
    if not _signed_holds(g, coefexps, certificate_key(g, certificate)):
        raise InvalidCeremonyStep("the coefficients' commitments are not signed by this trustee")
    commitments = _message(coefexps, {"coefexps"}, "the commitments")["coefexps"]
    if not isinstance(commitments, list) or len(commitments) != threshold:
        raise InvalidCeremonyStep(
            f"a polynomial for a threshold of {threshold} commits to {threshold} coefficients"
        )
    for value in commitments:
        try:
            member = g.member(_number(value, "a commitment"))
        except InvalidBallot as error:
            raise InvalidCeremonyStep(str(error)) from error
        if not member:
            raise InvalidCeremonyStep(f"a commitment is not in {g.name}")


def verification_input(polynomials: Sequence[dict[str, Any]], index: int) -> dict[str, Any]:
    """Step 4 for the member numbered `index` (from 1): their own encrypted polynomial, the
    share every member encrypted for them, and everyone's commitments."""
    return {
        "polynomial": polynomials[index - 1]["polynomial"],
        "secrets": [p["secrets"][index - 1] for p in polynomials],
        "coefexps": [p["coefexps"] for p in polynomials],
    }


def expected_verification_key(g: Group, commitments: Sequence[Sequence[Any]], index: int) -> Any:
    """g^(the sum of every member's polynomial at `index`), from the commitments alone."""
    key = gmpy2.mpz(1)
    for coefficients in commitments:
        for power, commitment in enumerate(coefficients):
            key = key * g.pow(commitment, index**power) % g.p
    return key


def check_verification_output(
    g: Group, output: Any, polynomials: Sequence[dict[str, Any]], index: int
) -> None:
    """Step 5's output as step 6 checks it: the member's verification key is the one the
    commitments give, with its proof of knowledge; the decryption key goes back encrypted."""
    if not isinstance(output, dict) or set(output) != {"private_key", "public_key"}:
        raise InvalidCeremonyStep("a verification output has exactly private_key and public_key")
    public = output["public_key"]
    if not isinstance(output["private_key"], str) or not isinstance(public, dict):
        raise InvalidCeremonyStep("a verification output holds an encrypted key and a public key")
    if set(public) != {"pok", "public_key"} or not trustee_key_holds(g, public):
        raise InvalidCeremonyStep("the verification key's proof of knowledge does not hold")
    commitments = coefficient_commitments([p["coefexps"] for p in polynomials])
    if gmpy2.mpz(public["public_key"]) != expected_verification_key(g, commitments, index):
        raise InvalidCeremonyStep("the verification key does not follow from the commitments")


def threshold_parameters(
    threshold: int,
    certificates: Sequence[dict[str, Any]],
    polynomials: Sequence[dict[str, Any]],
    outputs: Sequence[dict[str, Any]],
) -> dict[str, Any]:
    """The `Pedersen` entry of trustees.json, in belenios-tool's field order."""
    return {
        "threshold": threshold,
        "certs": list(certificates),
        "coefexps": [p["coefexps"] for p in polynomials],
        "verification_keys": [o["public_key"] for o in outputs],
    }


# -- credentials -----------------------------------------------------------------------------


def new_credential() -> str:
    """A private credential: 14 random base-58 digits and a check digit, in groups of three."""
    digits = [secrets.randbelow(58) for _ in range(14)]
    number = 0
    for digit in digits:
        number = number * 58 + digit
    digits.append((53 - number) % 53)
    text = "".join(BASE58[d] for d in digits)
    return "-".join(text[i : i + 3] for i in range(0, 15, 3))


def credential_secret(g: Group, credential: str, election_uuid: str) -> Any:
    """The signing exponent: PBKDF2-HMAC-SHA256(credential, uuid, 1000 rounds, 32 bytes) mod q."""
    derived = hashlib.pbkdf2_hmac("sha256", credential.encode(), election_uuid.encode(), 1000, 32)
    return gmpy2.mpz(int.from_bytes(derived, "big")) % g.q


def public_credential(g: Group, credential: str, election_uuid: str) -> str:
    """The public credential g^s that goes on the board's list."""
    return str(g.pow(g.g, credential_secret(g, credential, election_uuid)))


# -- the election ----------------------------------------------------------------------------


def election_document(
    *,
    g: Group,
    election_uuid: str,
    name: str,
    description: str,
    questions: Sequence[dict[str, Any]],
    public_key: Any,
    administrator: str,
    credential_authority: str,
) -> bytes:
    """election.json, in belenios-tool's field order; its bytes are what gets fingerprinted."""
    return dumps(
        {
            "version": 1,
            "description": description,
            "name": name,
            "group": g.name,
            "public_key": str(public_key),
            "questions": [
                {
                    "answers": list(q["answers"]),
                    "min": int(q["min"]),
                    "max": int(q["max"]),
                    "question": q["question"],
                }
                for q in questions
            ],
            "uuid": election_uuid,
            "administrator": administrator,
            "credential_authority": credential_authority,
        }
    )


@dataclass(frozen=True)
class Election:
    """What validating ballots and tallying need of election.json."""

    raw: bytes
    fingerprint: str
    uuid: str
    group: Group
    public_key: Any
    questions: list[dict[str, Any]]

    @classmethod
    def parse(cls, raw: bytes) -> Election:
        """Read election.json's bytes."""
        document = json.loads(raw)
        g = group(document["group"])
        return cls(
            raw=raw,
            fingerprint=sha256_b64(raw),
            uuid=document["uuid"],
            group=g,
            public_key=gmpy2.mpz(document["public_key"]),
            questions=document["questions"],
        )


# -- ballots ---------------------------------------------------------------------------------


def _number(value: Any, what: str) -> Any:
    if not isinstance(value, str) or not value.isdigit() or len(value) > 700:
        raise InvalidBallot(f"{what} is not a number written in base 10")
    return gmpy2.mpz(value)


def _proofs(value: Any, count: int, q: Any, what: str) -> list[tuple[Any, Any]]:
    if not isinstance(value, list) or len(value) != count:
        raise InvalidBallot(f"{what} must hold {count} proofs")
    found = []
    for item in value:
        if not isinstance(item, dict) or set(item) != {"challenge", "response"}:
            raise InvalidBallot(f"{what} holds a proof that is not a challenge and a response")
        challenge = _number(item["challenge"], f"a challenge of {what}")
        response = _number(item["response"], f"a response of {what}")
        if challenge >= q or response >= q:
            raise InvalidBallot(f"a proof of {what} is out of range")
        found.append((challenge, response))
    return found


def _disjunction_holds(
    g: Group,
    y: Any,
    prefix: str,
    alpha: Any,
    beta: Any,
    values: range,
    proofs: list[tuple[Any, Any]],
) -> bool:
    """Whether (alpha, beta) provably encrypts one of `values` (a Chaum–Pedersen OR-proof)."""
    commitments = []
    total = gmpy2.mpz(0)
    for value, (challenge, response) in zip(values, proofs, strict=True):
        shifted = beta * g.pow(g.g, -value) % g.p
        commitments.append(g.pow(g.g, response) * g.pow(alpha, challenge) % g.p)
        commitments.append(g.pow(y, response) * g.pow(shifted, challenge) % g.p)
        total += challenge
    return bool(g.hash(f"{prefix}|{alpha},{beta}|", commitments) == total % g.q)


def _unsigned_serialisation(ballot: dict[str, Any]) -> bytes:
    """The ballot without its signature, in the order the reference client writes it."""
    return dumps(
        {
            "election_uuid": ballot["election_uuid"],
            "election_hash": ballot["election_hash"],
            "credential": ballot["credential"],
            "answers": [
                {
                    "choices": [{"alpha": c["alpha"], "beta": c["beta"]} for c in a["choices"]],
                    "individual_proofs": [
                        [_proof(p["challenge"], p["response"]) for p in proofs]
                        for proofs in a["individual_proofs"]
                    ],
                    "overall_proof": [
                        _proof(p["challenge"], p["response"]) for p in a["overall_proof"]
                    ],
                }
                for a in ballot["answers"]
            ],
        }
    )


@dataclass(frozen=True)
class CheckedBallot:
    """A ballot that passed every check: its credential, tracker and ciphertexts."""

    credential: str
    tracker: str
    ciphertexts: list[list[tuple[Any, Any]]]


def check_ballot(election: Election, raw: bytes, listed: Callable[[str], bool]) -> CheckedBallot:
    """Validate a ballot from any Belenios client; raises InvalidBallot with the reason."""
    g, y = election.group, election.public_key
    try:
        ballot = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidBallot("the ballot is not JSON") from error
    expected = {"election_uuid", "election_hash", "credential", "answers", "signature"}
    if not isinstance(ballot, dict) or set(ballot) != expected:
        raise InvalidBallot("a ballot has exactly the fields " + ", ".join(sorted(expected)))
    if ballot["election_uuid"] != election.uuid:
        raise InvalidBallot("the ballot was made for another election")
    if ballot["election_hash"] != election.fingerprint:
        raise InvalidBallot("the ballot was made for another version of this election")
    credential = ballot["credential"]
    if not isinstance(credential, str) or not credential.isdigit() or not listed(credential):
        raise InvalidBallot("the ballot's credential is not on this election's list")
    answers = ballot["answers"]
    if not isinstance(answers, list) or len(answers) != len(election.questions):
        raise InvalidBallot("the ballot must answer every question, and only those")
    zkp = f"{election.fingerprint}|{credential}"
    ciphertexts: list[list[tuple[Any, Any]]] = []
    for number, (answer, question) in enumerate(
        zip(answers, election.questions, strict=True), start=1
    ):
        what = f"question {number}"
        if not isinstance(answer, dict) or set(answer) != {
            "choices",
            "individual_proofs",
            "overall_proof",
        }:
            raise InvalidBallot(f"the answer to {what} is not choices with their proofs")
        choices = answer["choices"]
        if not isinstance(choices, list) or len(choices) != len(question["answers"]):
            raise InvalidBallot(f"the answer to {what} has the wrong number of choices")
        individual = answer["individual_proofs"]
        if not isinstance(individual, list) or len(individual) != len(choices):
            raise InvalidBallot(f"every choice of {what} needs its proof")
        pairs = []
        for choice in choices:
            if not isinstance(choice, dict) or set(choice) != {"alpha", "beta"}:
                raise InvalidBallot(f"a choice of {what} is not a ciphertext")
            alpha = _number(choice["alpha"], f"a ciphertext of {what}")
            beta = _number(choice["beta"], f"a ciphertext of {what}")
            if not (g.member(alpha) and g.member(beta)):
                raise InvalidBallot(f"a ciphertext of {what} is not in the election's group")
            pairs.append((alpha, beta))
        for (alpha, beta), proofs in zip(pairs, individual, strict=True):
            checked = _proofs(proofs, 2, g.q, f"a choice of {what}")
            if not _disjunction_holds(g, y, f"prove|{zkp}", alpha, beta, range(2), checked):
                raise InvalidBallot(f"a proof that a choice of {what} is 0 or 1 does not hold")
        low, high = int(question["min"]), int(question["max"])
        overall = _proofs(answer["overall_proof"], high - low + 1, g.q, f"the sum of {what}")
        alpha_sum, beta_sum = gmpy2.mpz(1), gmpy2.mpz(1)
        for alpha, beta in pairs:
            alpha_sum, beta_sum = alpha_sum * alpha % g.p, beta_sum * beta % g.p
        choices = ",".join(f"{a},{b}" for a, b in pairs)
        if not _disjunction_holds(
            g, y, f"prove|{zkp}|{choices}", alpha_sum, beta_sum, range(low, high + 1), overall
        ):
            raise InvalidBallot(f"the proof that {what} has between {low} and {high} choices fails")
        ciphertexts.append(pairs)
    signature = ballot["signature"]
    if not isinstance(signature, dict) or set(signature) != {"hash", "proof"}:
        raise InvalidBallot("the signature is not a hash and a proof")
    if signature["hash"] != sha256_b64(_unsigned_serialisation(ballot)):
        raise InvalidBallot("the signature does not cover this ballot")
    ((challenge, response),) = _proofs([signature["proof"]], 1, g.q, "the signature")
    signer = gmpy2.mpz(credential)
    commitment = g.pow(g.g, response) * g.pow(signer, challenge) % g.p
    if g.hash(f"sig|{signature['hash']}|", [commitment]) != challenge:
        raise InvalidBallot("the credential's signature does not hold")
    return CheckedBallot(credential=credential, tracker=sha256_b64(raw), ciphertexts=ciphertexts)


def _prove_disjunction(
    g: Group, y: Any, prefix: str, ciphertext: tuple[Any, Any], values: range, true: int, r: Any
) -> list[dict[str, str]]:
    """The OR-proof that `ciphertext` encrypts values[true], knowing its randomness r."""
    alpha, beta = ciphertext
    proofs: list[tuple[Any, Any]] = []
    commitments: list[Any] = []
    w = g.random_exponent()
    for index, value in enumerate(values):
        if index == true:
            proofs.append((0, 0))
            commitments += [g.pow(g.g, w), g.pow(y, w)]
            continue
        challenge, response = g.random_exponent(), g.random_exponent()
        shifted = beta * g.pow(g.g, -value) % g.p
        proofs.append((challenge, response))
        commitments.append(g.pow(g.g, response) * g.pow(alpha, challenge) % g.p)
        commitments.append(g.pow(y, response) * g.pow(shifted, challenge) % g.p)
    others = sum(c for c, _ in proofs) % g.q
    challenge = (g.hash(f"{prefix}|{alpha},{beta}|", commitments) - others) % g.q
    proofs[true] = (challenge, (w - r * challenge) % g.q)
    return [_proof(c, s) for c, s in proofs]


def make_ballot(election: Election, credential: str, choices: Sequence[Sequence[int]]) -> bytes:
    """A ballot as a Belenios voting client makes it: each choice 0 or 1, encrypted and proved,
    signed with the credential. For the server-side encryption a voter consents to, and tests."""
    g, y = election.group, election.public_key
    secret = credential_secret(g, credential, election.uuid)
    public = str(g.pow(g.g, secret))
    zkp = f"{election.fingerprint}|{public}"
    answers = []
    for question, marks in zip(election.questions, choices, strict=True):
        if len(marks) != len(question["answers"]) or any(m not in (0, 1) for m in marks):
            raise ValueError("one 0 or 1 per answer")
        low, high = int(question["min"]), int(question["max"])
        if not low <= sum(marks) <= high:
            raise ValueError(f"between {low} and {high} answers")
        randomness = [g.random_exponent() for _ in marks]
        pairs = [
            (g.pow(g.g, r), g.pow(y, r) * g.pow(g.g, m) % g.p)
            for r, m in zip(randomness, marks, strict=True)
        ]
        individual = [
            _prove_disjunction(g, y, f"prove|{zkp}", pair, range(2), m, r)
            for pair, m, r in zip(pairs, marks, randomness, strict=True)
        ]
        alpha_sum, beta_sum = gmpy2.mpz(1), gmpy2.mpz(1)
        for alpha, beta in pairs:
            alpha_sum, beta_sum = alpha_sum * alpha % g.p, beta_sum * beta % g.p
        listed = ",".join(f"{a},{b}" for a, b in pairs)
        overall = _prove_disjunction(
            g,
            y,
            f"prove|{zkp}|{listed}",
            (alpha_sum, beta_sum),
            range(low, high + 1),
            sum(marks) - low,
            sum(randomness) % g.q,
        )
        answers.append(
            {
                "choices": [{"alpha": str(a), "beta": str(b)} for a, b in pairs],
                "individual_proofs": individual,
                "overall_proof": overall,
            }
        )
    ballot: dict[str, Any] = {
        "election_uuid": election.uuid,
        "election_hash": election.fingerprint,
        "credential": public,
        "answers": answers,
    }
    digest = sha256_b64(_unsigned_serialisation(ballot))
    w = g.random_exponent()
    challenge = g.hash(f"sig|{digest}|", [g.pow(g.g, w)])
    ballot["signature"] = {
        "hash": digest,
        "proof": _proof(challenge, (w - secret * challenge) % g.q),
    }
    return dumps(ballot)


def ciphertexts_of(raw: bytes) -> list[list[tuple[Any, Any]]]:
    """The ciphertexts of a ballot already checked."""
    return [
        [(gmpy2.mpz(c["alpha"]), gmpy2.mpz(c["beta"])) for c in answer["choices"]]
        for answer in json.loads(raw)["answers"]
    ]


# -- the tally -------------------------------------------------------------------------------


def encrypted_tally(election: Election, ballots: Iterable[bytes]) -> list[list[tuple[Any, Any]]]:
    """The pointwise product of the counted ballots' ciphertexts."""
    g = election.group
    tally = [[(gmpy2.mpz(1), gmpy2.mpz(1)) for _ in q["answers"]] for q in election.questions]
    for raw in ballots:
        for row, answer in zip(tally, ciphertexts_of(raw), strict=True):
            for j, (alpha, beta) in enumerate(answer):
                row[j] = (row[j][0] * alpha % g.p, row[j][1] * beta % g.p)
    return tally


def tally_document(tally: list[list[tuple[Any, Any]]]) -> list[Any]:
    """The encrypted tally as JSON."""
    return [[{"alpha": str(a), "beta": str(b)} for a, b in row] for row in tally]


def partial_decryption(
    election: Election, key: TrusteeKey, tally: list[list[tuple[Any, Any]]]
) -> dict[str, Any]:
    """A trustee's decryption factors alpha^x with proofs (challenge over `decrypt|E|X|A,B`)."""
    g = election.group
    prefix = f"decrypt|{election.fingerprint}|{key.public['public_key']}|"
    factors, proofs = [], []
    for row in tally:
        factor_row, proof_row = [], []
        for alpha, _beta in row:
            w = g.random_exponent()
            challenge = g.hash(prefix, [g.pow(g.g, w), g.pow(alpha, w)])
            factor_row.append(str(g.pow(alpha, key.private)))
            proof_row.append(_proof(challenge, (w - key.private * challenge) % g.q))
        factors.append(factor_row)
        proofs.append(proof_row)
    return {"decryption_factors": factors, "decryption_proofs": proofs}


def partial_decryption_holds(
    election: Election,
    public: dict[str, Any],
    tally: list[list[tuple[Any, Any]]],
    decryption: dict[str, Any],
) -> bool:
    """Whether a trustee's partial decryption proves itself against its public key."""
    g = election.group
    key = gmpy2.mpz(public["public_key"])
    prefix = f"decrypt|{election.fingerprint}|{key}|"
    try:
        for row, factors, proofs in zip(
            tally, decryption["decryption_factors"], decryption["decryption_proofs"], strict=True
        ):
            for (alpha, _beta), factor, proof in zip(row, factors, proofs, strict=True):
                f = gmpy2.mpz(factor)
                challenge, response = gmpy2.mpz(proof["challenge"]), gmpy2.mpz(proof["response"])
                a = g.pow(g.g, response) * g.pow(key, challenge) % g.p
                b = g.pow(alpha, response) * g.pow(f, challenge) % g.p
                if not g.member(f) or g.hash(prefix, [a, b]) != challenge:
                    return False
    except (KeyError, TypeError, ValueError):
        return False
    return True


def lagrange_coefficient(g: Group, index: int, indices: Sequence[int]) -> Any:
    """λ for member `index` among those who decrypted: the product of k / (k - index)."""
    numerator, denominator = gmpy2.mpz(1), gmpy2.mpz(1)
    for other in indices:
        if other != index:
            numerator = numerator * other % g.q
            denominator = denominator * (other - index) % g.q
    return numerator * gmpy2.invert(denominator, g.q) % g.q


def combine(
    election: Election,
    tally: list[list[tuple[Any, Any]]],
    decryptions: Sequence[dict[str, Any]],
    counted: int,
    group_decryptions: Sequence[tuple[int, dict[str, Any]]] = (),
) -> list[list[int]]:
    """The result: for each choice, the m with g^m = beta / F, F the product of the `Single`
    trustees' factors and of the threshold members' factors raised to their Lagrange
    coefficients (`group_decryptions` pairs a member's number in the group with theirs)."""
    g = election.group
    indices = [index for index, _decryption in group_decryptions]
    weighted = [(gmpy2.mpz(1), d) for d in decryptions] + [
        (lagrange_coefficient(g, index, indices), d) for index, d in group_decryptions
    ]
    result = []
    for i, row in enumerate(tally):
        counts = []
        for j, (_alpha, beta) in enumerate(row):
            factor = gmpy2.mpz(1)
            for weight, decryption in weighted:
                share = gmpy2.mpz(decryption["decryption_factors"][i][j])
                factor = factor * g.pow(share, weight) % g.p
            target = beta * gmpy2.invert(factor, g.p) % g.p
            counts.append(_small_log(g, target, counted))
        result.append(counts)
    return result


def _small_log(g: Group, target: Any, bound: int) -> int:
    power = gmpy2.mpz(1)
    for m in range(bound + 1):
        if power == target:
            return m
        power = power * g.g % g.p
    raise ValueError("the decrypted count exceeds the number of ballots")


# -- the archive -----------------------------------------------------------------------------

ARCHIVE_CHUNK = 256 * 1024
"""Bytes an archive stream gathers before it yields them: large enough for few writes, small
enough that a download's memory does not grow with the election."""


@dataclass(frozen=True)
class Record:
    """Everything the board publishes about one election, in order. The two lists that grow
    with the election are read as they are streamed, never held whole."""

    election: bytes
    trustees: list[Any]
    """trustees.json (`trustees_document`)."""
    credentials: Callable[[], Iterable[str]]
    """The public credentials in byte order, read afresh at each call: the archive reads them
    twice (once for their record's name and size, once for its bytes)."""
    ballots: Callable[[], Iterable[bytes]]
    """The counted ballots in the order they were cast, each as its client sent it."""
    tally: list[Any] | None = None
    decryptions: Sequence[tuple[int, dict[str, Any]]] = ()
    result: list[list[int]] | None = None


class _Tar:
    """Tar members as belenios-tool writes them (ustar-less headers, one timestamp), gathered
    into chunks of about `ARCHIVE_CHUNK` bytes, with the chain of events over the records."""

    def __init__(self, timestamp: int) -> None:
        self.timestamp = timestamp
        self.buffer = bytearray()
        self.last_event: str | None = None
        self.height = -1

    def member(self, name: str, value: bytes) -> None:
        self.buffer += _tar_header(name, len(value), self.timestamp)
        self.buffer += value + b"\0" * (-len(value) % 512)

    def data(self, value: bytes) -> str:
        """A data record, named by the hash of its bytes."""
        digest = sha256_hex(value)
        self.member(f"{digest}.data.json", value)
        return digest

    def event(self, kind: str, payload: str | None = None) -> None:
        """An event of `kind` chained onto the last one."""
        self.height += 1
        event: dict[str, Any] = {}
        if self.last_event is not None:
            event["parent"] = self.last_event
        event["height"] = self.height
        event["type"] = kind
        if payload is not None:
            event["payload"] = payload
        raw = dumps(event)
        self.last_event = sha256_hex(raw)
        self.member(f"{self.last_event}.event.json", raw)

    def full(self) -> bool:
        return len(self.buffer) >= ARCHIVE_CHUNK

    def take(self) -> bytes:
        chunk = bytes(self.buffer)
        self.buffer.clear()
        return chunk


def _json_list(items: Iterable[str]) -> Iterator[bytes]:
    """`dumps(list(items))` in pieces, one item at a time."""
    yield b"["
    for number, item in enumerate(items):
        yield (b"," if number else b"") + dumps(item)
    yield b"]"


def _credentials_record(
    tar: _Tar, credentials: Callable[[], Iterable[str]]
) -> Generator[bytes, None, str]:
    """The credentials' list as one data record, in chunks; returns the record's hash."""
    digest, size = hashlib.sha256(), 0
    for piece in _json_list(credentials()):
        digest.update(piece)
        size += len(piece)
    name = digest.hexdigest()
    tar.buffer += _tar_header(f"{name}.data.json", size, tar.timestamp)
    for piece in _json_list(credentials()):
        tar.buffer += piece
        if tar.full():
            yield tar.take()
    tar.buffer += b"\0" * (-size % 512)
    return name


def stream_archive(record: Record, timestamp: int) -> Iterator[bytes]:
    """The `.bel` archive of an election as far as it has gone, in chunks of about
    `ARCHIVE_CHUNK` bytes: the same bytes however it is cut."""
    tar = _Tar(timestamp)
    tar.member("BELENIOS", dumps({"version": 1, "timestamp": str(timestamp)}))
    election = tar.data(record.election)
    trustees = tar.data(dumps(record.trustees))
    credentials = yield from _credentials_record(tar, record.credentials)
    setup = {"election": election, "trustees": trustees, "credentials": credentials}
    tar.event("Setup", tar.data(dumps(setup)))
    counted = 0
    for raw in record.ballots():
        tar.event("Ballot", tar.data(raw))
        counted += 1
        if tar.full():
            yield tar.take()
    if record.tally is not None:
        tar.event("EndBallots")
        summary = {
            "num_tallied": counted,
            "total_weight": counted,
            "encrypted_tally": tar.data(dumps(record.tally)),
        }
        tar.event("EncryptedTally", tar.data(dumps(summary)))
        for owner, decryption in record.decryptions:
            owned = {"owner": owner, "payload": tar.data(dumps(decryption))}
            tar.event("PartialDecryption", tar.data(dumps(owned)))
        if record.result is not None:
            tar.event("Result", tar.data(dumps({"result": record.result})))
    yield tar.take()


def archive_sha256(record: Record, timestamp: int) -> str:
    """The hash of the archive's bytes, read as a stream."""
    digest = hashlib.sha256()
    for chunk in stream_archive(record, timestamp):
        digest.update(chunk)
    return digest.hexdigest()


def _tar_header(name: str, size: int, mtime: int) -> bytes:
    header = bytearray(512)
    header[0 : len(name)] = name.encode()
    header[100:108] = b"0000644\0"
    header[108:116] = b"0000000\0"
    header[116:124] = b"0000000\0"
    header[124:136] = b"%011o\0" % size
    header[136:148] = b"%011o\0" % mtime
    header[148:156] = b" " * 8
    header[156:157] = b"0"
    header[148:156] = b"%06o\0 " % sum(header)
    return bytes(header)
