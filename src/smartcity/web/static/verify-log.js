// Checks, in the reader's own browser, that each entry on the page is in the signed log:
// the leaf hash is recomputed from the entry's bytes and folded with its audit path up to the
// root of the current checkpoint (RFC 9162 §2.1.1 hashes, §2.1.3.2 verification).

const API = "/api/v1/transparency";

function fromBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

async function sha256(...parts) {
  const size = parts.reduce((total, part) => total + part.length, 0);
  const joined = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    joined.set(part, at);
    at += part.length;
  }
  return new Uint8Array(await crypto.subtle.digest("SHA-256", joined));
}

const leafHash = (leafInput) => sha256(Uint8Array.of(0), leafInput);
const nodeHash = (left, right) => sha256(Uint8Array.of(1), left, right);

function same(a, b) {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

// RFC 9162 §2.1.3.2, with BigInt so indices past 2^31 stay exact.
async function rootFromPath(index, treeSize, leaf, path) {
  let fn = BigInt(index);
  let sn = BigInt(treeSize) - 1n;
  let r = leaf;
  for (const node of path) {
    if (sn === 0n) {
      return null;
    }
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(node, r);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = await nodeHash(r, node);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n ? r : null;
}

async function getJSON(url) {
  const answer = await fetch(url, { headers: { accept: "application/json" } });
  if (!answer.ok) {
    throw new Error(`${url}: ${answer.status}`);
  }
  return answer.json();
}

async function verifyEntry(index, checkpoint) {
  const page = await getJSON(`${API}/entries?start=${index}&end=${index}`);
  const entry = page.entries[0];
  const proof = await getJSON(
    `${API}/proof/inclusion?leaf_index=${index}&tree_size=${checkpoint.tree_size}`,
  );
  const leaf = await leafHash(fromBase64(entry.leaf_input));
  if (!same(leaf, fromBase64(proof.leaf_hash))) {
    return false;
  }
  const root = await rootFromPath(index, checkpoint.tree_size, leaf, proof.audit_path.map(fromBase64));
  return root !== null && same(root, fromBase64(checkpoint.root_hash));
}

async function verifyAll(container) {
  const texts = container.dataset;
  const rows = [...container.querySelectorAll("[data-leaf-index]")];
  let checkpoint;
  try {
    checkpoint = await getJSON(`${API}/checkpoint`);
  } catch {
    rows.forEach((row) => { row.querySelector(".verdict").textContent = texts.unavailable; });
    return;
  }
  for (const row of rows) {
    const verdict = row.querySelector(".verdict");
    verdict.textContent = texts.checking;
    try {
      const ok = await verifyEntry(Number(row.dataset.leafIndex), checkpoint);
      verdict.textContent = ok ? texts.verified : texts.failed;
      row.dataset.verified = ok ? "yes" : "no";
    } catch {
      verdict.textContent = texts.unavailable;
      row.dataset.verified = "unknown";
    }
  }
}

const container = document.getElementById("log-check");
if (container) {
  verifyAll(container);
}
