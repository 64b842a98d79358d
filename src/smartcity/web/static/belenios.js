/* Belenios ballots made in the browser (protocol version 1, finite-field groups), by hand.

   The same computation as smartcity.modules.participation.belenios.make_ballot and the
   Belenios specification: each choice ElGamal-encrypted under the election key with a proof
   that it is 0 or 1, each question's sum proved within [min, max], and the whole signed with
   the credential's secret (PBKDF2-HMAC-SHA256 of the credential, salted with the election's
   uuid). Challenges are SHA-256 of a labelled prefix and the commitments in base 10, read as
   a big-endian number mod q. The server checks the ballot like any other; the choices never
   leave this page in the clear.

   Works in a browser (window.Belenios) and in Node 20 (module.exports), which the tests use. */
(function (root) {
  "use strict";

  var subtle = root.crypto.subtle;
  var encoder = new TextEncoder();

  // Groups belenios-tool knows, filled from the page (data-group) or by the caller.
  function modpow(base, exponent, modulus) {
    var result = 1n;
    base %= modulus;
    if (base < 0n) base += modulus;
    while (exponent > 0n) {
      if (exponent & 1n) result = (result * base) % modulus;
      base = (base * base) % modulus;
      exponent >>= 1n;
    }
    return result;
  }

  function mod(a, m) {
    var r = a % m;
    return r < 0n ? r + m : r;
  }

  function bitLength(n) {
    return n.toString(2).length;
  }

  function bytesToBigInt(bytes) {
    var hex = "";
    for (var i = 0; i < bytes.length; i++) hex += bytes[i].toString(16).padStart(2, "0");
    return BigInt("0x" + (hex || "0"));
  }

  // Uniform in [0, q): draw as many bits as q has and try again when above it.
  function randomExponent(q) {
    var bits = bitLength(q);
    var length = Math.ceil(bits / 8);
    var excess = length * 8 - bits;
    for (;;) {
      var bytes = new Uint8Array(length);
      root.crypto.getRandomValues(bytes);
      bytes[0] &= 0xff >> excess;
      var candidate = bytesToBigInt(bytes);
      if (candidate < q) return candidate;
    }
  }

  async function sha256(text) {
    return new Uint8Array(await subtle.digest("SHA-256", encoder.encode(text)));
  }

  function base64NoPad(bytes) {
    var text = "";
    for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return root.btoa(text).replace(/=+$/, "");
  }

  /* SHA-256 in unpadded base 64: the election's fingerprint and a ballot's tracker. */
  async function sha256b64(text) {
    return base64NoPad(await sha256(text));
  }

  async function challenge(group, prefix, elements) {
    var digest = await sha256(prefix + elements.map(String).join(","));
    return bytesToBigInt(digest) % group.q;
  }

  async function credentialSecret(group, credential, electionUuid) {
    var key = await subtle.importKey("raw", encoder.encode(credential), "PBKDF2", false, [
      "deriveBits",
    ]);
    var bits = await subtle.deriveBits(
      { name: "PBKDF2", hash: "SHA-256", salt: encoder.encode(electionUuid), iterations: 1000 },
      key,
      256
    );
    return bytesToBigInt(new Uint8Array(bits)) % group.q;
  }

  function gPow(group, exponent) {
    return modpow(group.g, mod(exponent, group.q), group.p);
  }

  function proof(c, s) {
    return { challenge: c.toString(), response: s.toString() };
  }

  // The OR-proof that (alpha, beta) encrypts values[trueIndex], knowing its randomness r.
  async function proveDisjunction(group, y, prefix, alpha, beta, values, trueIndex, r) {
    var p = group.p;
    var q = group.q;
    var proofs = [];
    var commitments = [];
    var w = randomExponent(q);
    var others = 0n;
    for (var i = 0; i < values.length; i++) {
      if (i === trueIndex) {
        proofs.push(null);
        commitments.push(gPow(group, w), modpow(y, w, p));
        continue;
      }
      var c = randomExponent(q);
      var s = randomExponent(q);
      var shifted = (beta * gPow(group, -BigInt(values[i]))) % p;
      proofs.push([c, s]);
      commitments.push((gPow(group, s) * modpow(alpha, c, p)) % p);
      commitments.push((modpow(y, s, p) * modpow(shifted, c, p)) % p);
      others += c;
    }
    var total = await challenge(group, prefix + "|" + alpha + "," + beta + "|", commitments);
    var own = mod(total - others, q);
    proofs[trueIndex] = [own, mod(w - r * own, q)];
    return proofs.map(function (pair) {
      return proof(pair[0], pair[1]);
    });
  }

  function range(low, high) {
    var out = [];
    for (var v = low; v <= high; v++) out.push(v);
    return out;
  }

  // The ballot without its signature, fields in the reference client's order.
  function unsigned(ballot) {
    return JSON.stringify({
      election_uuid: ballot.election_uuid,
      election_hash: ballot.election_hash,
      credential: ballot.credential,
      answers: ballot.answers,
    });
  }

  /* A signed ballot's JSON text for `choices` (per question, a 0 or 1 per answer).
     `electionText` is election.json exactly as published; `group` holds p, q, g as BigInts. */
  async function makeBallot(electionText, group, credential, choices) {
    var election = JSON.parse(electionText);
    var fingerprint = await sha256b64(electionText);
    var p = group.p;
    var q = group.q;
    var y = BigInt(election.public_key);
    var secret = await credentialSecret(group, credential, election.uuid);
    var publicCredential = gPow(group, secret).toString();
    var zkp = fingerprint + "|" + publicCredential;
    var answers = [];
    for (var n = 0; n < election.questions.length; n++) {
      var question = election.questions[n];
      var marks = choices[n];
      var low = question.min;
      var high = question.max;
      var chosen = marks.reduce(function (a, b) {
        return a + b;
      }, 0);
      if (marks.length !== question.answers.length || chosen < low || chosen > high) {
        throw new Error("question " + (n + 1) + ": choose between " + low + " and " + high);
      }
      var pairs = [];
      var randomness = [];
      var individual = [];
      var alphaSum = 1n;
      var betaSum = 1n;
      var rSum = 0n;
      for (var j = 0; j < marks.length; j++) {
        var r = randomExponent(q);
        var alpha = gPow(group, r);
        var beta = (modpow(y, r, p) * gPow(group, BigInt(marks[j]))) % p;
        pairs.push([alpha, beta]);
        randomness.push(r);
        alphaSum = (alphaSum * alpha) % p;
        betaSum = (betaSum * beta) % p;
        rSum += r;
      }
      for (j = 0; j < marks.length; j++) {
        individual.push(
          await proveDisjunction(
            group, y, "prove|" + zkp, pairs[j][0], pairs[j][1], [0, 1], marks[j], randomness[j]
          )
        );
      }
      var listed = pairs
        .map(function (pair) {
          return pair[0] + "," + pair[1];
        })
        .join(",");
      var overall = await proveDisjunction(
        group, y, "prove|" + zkp + "|" + listed, alphaSum, betaSum, range(low, high),
        chosen - low, mod(rSum, q)
      );
      answers.push({
        choices: pairs.map(function (pair) {
          return { alpha: pair[0].toString(), beta: pair[1].toString() };
        }),
        individual_proofs: individual,
        overall_proof: overall,
      });
    }
    var ballot = {
      election_uuid: election.uuid,
      election_hash: fingerprint,
      credential: publicCredential,
      answers: answers,
    };
    var digest = await sha256b64(unsigned(ballot));
    var w = randomExponent(q);
    var c = await challenge(group, "sig|" + digest + "|", [gPow(group, w)]);
    ballot.signature = { hash: digest, proof: proof(c, mod(w - secret * c, q)) };
    return JSON.stringify(ballot);
  }

  function groupOf(text) {
    var found = JSON.parse(text);
    return { p: BigInt(found.p), q: BigInt(found.q), g: BigInt(found.g) };
  }

  var api = {
    makeBallot: makeBallot,
    sha256b64: sha256b64,
    groupOf: groupOf,
    credentialPattern: /^[1-9A-HJ-NP-Za-km-z]{3}(-[1-9A-HJ-NP-Za-km-z]{3}){4}$/,
  };
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  else root.Belenios = api;
})(typeof window !== "undefined" ? window : globalThis);
