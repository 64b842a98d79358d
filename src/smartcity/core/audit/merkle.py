"""RFC 9162 §2.1 Merkle tree over a store of perfect-subtree hashes.

The tree itself is never materialised.  A *store* holds the hash of every
perfect subtree that is complete, addressed by ``(level, index)``: the node at
``(level, index)`` is MTH over the leaves
``[index * 2**level, (index + 1) * 2**level)``.  Level 0 holds the leaf hashes.

* Appending leaf ``n`` creates at most ``1 + log2(n + 1)`` nodes and reads only
  the left siblings on the way up (O(log n)).
* Every subtree the RFC recursion (§2.1.1, §2.1.3.1, §2.1.4.1) asks for has the
  form ``[k * 2**j, min((k + 1) * 2**j, n))``.  Such a range is the
  concatenation of at most ``j + 1`` aligned perfect subtrees (one per set bit
  of its length), so its MTH costs O(log n) reads, a root costs O(log n) reads
  and an inclusion or consistency proof costs O(log² n) reads.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import TypeAlias

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "InMemoryTree",
    "NodeGetter",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "nodes_created_by_append",
    "root_hash",
    "subtree_hash",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32

# RFC 9162 §2.1.1: the hash of an empty list is the hash of an empty string.
EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()

# RFC 9162 §2.1.1: domain-separation prefixes for leaves and interior nodes.
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

NodeGetter: TypeAlias = Callable[[int, int], bytes]
"""``get(level, index)`` -> hash of the perfect subtree over leaves
``[index * 2**level, (index + 1) * 2**level)``; raises ``KeyError`` if absent."""


def leaf_hash(data: bytes) -> bytes:
    """Return the RFC 9162 §2.1.1 leaf hash SHA-256(0x00 || data)."""
    return hashlib.sha256(_LEAF_PREFIX + bytes(data)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 9162 §2.1.1 interior node hash SHA-256(0x01 || left || right)."""
    if len(left) != HASH_SIZE or len(right) != HASH_SIZE:
        raise ValueError(
            f"node_hash children must be {HASH_SIZE} bytes, got {len(left)} and {len(right)}"
        )
    return hashlib.sha256(_NODE_PREFIX + bytes(left) + bytes(right)).digest()


def _largest_power_of_two_below(n: int) -> int:
    """Return k, the largest power of two with k < n <= 2k (RFC 9162 §2.1.1), for n >= 2."""
    return 1 << ((n - 1).bit_length() - 1)


def _largest_power_of_two_at_most(n: int) -> int:
    """Return the largest power of two <= n, for n >= 1."""
    return 1 << (n.bit_length() - 1)


def nodes_created_by_append(
    get: NodeGetter, leaf_index: int, leaf_digest: bytes
) -> list[tuple[int, int, bytes]]:
    """Return the (level, index, hash) nodes completed by this append, level 0 first."""
    if leaf_index < 0:
        raise ValueError(f"leaf_index must be >= 0, got {leaf_index}")
    if len(leaf_digest) != HASH_SIZE:
        raise ValueError(f"leaf_digest must be {HASH_SIZE} bytes, got {len(leaf_digest)}")
    created: list[tuple[int, int, bytes]] = [(0, leaf_index, bytes(leaf_digest))]
    level, index, digest = 0, leaf_index, bytes(leaf_digest)
    # A right child (odd index) completes its parent; the parent's hash is the
    # RFC 9162 §2.1.1 node hash of the stored left sibling and this node.
    while index & 1:
        digest = node_hash(get(level, index - 1), digest)
        level += 1
        index >>= 1
        created.append((level, index, digest))
    return created


def subtree_hash(get: NodeGetter, start: int, end: int) -> bytes:
    """Return MTH(D[start:end]) (RFC 9162 §2.1.1) composed from stored perfect nodes."""
    if not 0 <= start < end:
        raise ValueError(f"need 0 <= start < end, got start={start}, end={end}")
    first = _largest_power_of_two_at_most(end - start)
    if start % first:
        # The RFC recursion only ever asks for ranges whose left part is an
        # aligned perfect subtree; anything else has no stored nodes.
        raise ValueError(
            f"range [{start}, {end}) is not a subtree produced by the RFC 9162 "
            f"recursion: start must be a multiple of {first}"
        )
    # RFC 9162 §2.1.1: MTH(D[n]) = HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n])) with
    # k the largest power of two < n.  D[0:k] is then perfect (one stored node)
    # and D[k:n] recurses, so the range splits into one perfect subtree per set
    # bit of its length, largest first, and the hash folds from the right.
    parts: list[bytes] = []
    pos = start
    while pos < end:
        size = _largest_power_of_two_at_most(end - pos)
        level = size.bit_length() - 1
        parts.append(get(level, pos >> level))
        pos += size
    digest = parts[-1]
    for left in reversed(parts[:-1]):
        digest = node_hash(left, digest)
    return digest


def root_hash(get: NodeGetter, tree_size: int) -> bytes:
    """Return the RFC 9162 §2.1.1 root MTH(D[0:tree_size]) (EMPTY_ROOT for size 0)."""
    if tree_size < 0:
        raise ValueError(f"tree_size must be >= 0, got {tree_size}")
    if tree_size == 0:
        return EMPTY_ROOT
    return subtree_hash(get, 0, tree_size)


def inclusion_proof(get: NodeGetter, leaf_index: int, tree_size: int) -> list[bytes]:
    """Return the RFC 9162 §2.1.3.1 inclusion proof PATH(leaf_index, D[0:tree_size])."""
    if tree_size < 0:
        raise ValueError(f"tree_size must be >= 0, got {tree_size}")
    if not 0 <= leaf_index < tree_size:
        raise ValueError(f"leaf_index {leaf_index} out of range for tree_size {tree_size}")
    # RFC 9162 §2.1.3.1, with absolute offsets [lo, hi) instead of slices:
    #   PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])      if m < k
    #                 = PATH(m - k, D[k:n]) : MTH(D[0:k])  if m >= k
    #   PATH(0, {d(0)}) = {}
    # Siblings are collected root-first, then reversed (the path is leaf-first).
    siblings: list[bytes] = []
    lo, hi = 0, tree_size
    while hi - lo > 1:
        mid = lo + _largest_power_of_two_below(hi - lo)
        if leaf_index < mid:
            siblings.append(subtree_hash(get, mid, hi))
            hi = mid
        else:
            siblings.append(subtree_hash(get, lo, mid))
            lo = mid
    siblings.reverse()
    return siblings


def consistency_proof(get: NodeGetter, first: int, second: int) -> list[bytes]:
    """Return the RFC 9162 §2.1.4.1 consistency proof PROOF(first, D[0:second])."""
    if first < 1:
        raise ValueError(f"first must be >= 1, got {first}")
    if first > second:
        raise ValueError(f"first ({first}) must be <= second ({second})")
    if first == second:
        return []
    # RFC 9162 §2.1.4.1, with absolute offsets [lo, hi) instead of slices:
    #   PROOF(m, D[n]) = SUBPROOF(m, D[n], true)
    #   SUBPROOF(m, D[m], true)  = {}
    #   SUBPROOF(m, D[m], false) = {MTH(D[m])}
    #   SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])          if m <= k
    #                        = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])  if m > k
    # Nodes are collected outermost-first, then reversed (innermost first).
    nodes: list[bytes] = []
    lo, hi = 0, second
    whole_old_tree = True  # the flag b
    while first != hi:
        mid = lo + _largest_power_of_two_below(hi - lo)
        if first <= mid:
            nodes.append(subtree_hash(get, mid, hi))
            hi = mid
        else:
            nodes.append(subtree_hash(get, lo, mid))
            lo = mid
            whole_old_tree = False
    if not whole_old_tree:
        nodes.append(subtree_hash(get, lo, hi))
    nodes.reverse()
    return nodes


def _valid_digests(*digests: bytes) -> bool:
    """Return True if every digest is HASH_SIZE bytes long."""
    return all(len(d) == HASH_SIZE for d in digests)


def verify_inclusion(
    leaf_digest: bytes,
    leaf_index: int,
    tree_size: int,
    proof: Sequence[bytes],
    root: bytes,
) -> bool:
    """Return True if ``proof`` is a valid RFC 9162 §2.1.3.2 inclusion proof."""
    # Malformed input (negative numbers, wrong hash lengths) fails verification
    # rather than raising: the proof is untrusted data.
    if not _valid_digests(leaf_digest, root, *proof):
        return False
    # §2.1.3.2 step 1.
    if leaf_index < 0 or leaf_index >= tree_size:
        return False
    # §2.1.3.2 steps 2-3.
    fn, sn = leaf_index, tree_size - 1
    r = bytes(leaf_digest)
    # §2.1.3.2 step 4.
    for p in proof:
        if sn == 0:  # 4.a
            return False
        if fn & 1 or fn == sn:  # 4.b
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1  # 4.c
        sn >>= 1
    # §2.1.3.2 step 5.
    return sn == 0 and r == root


def verify_consistency(
    first: int,
    second: int,
    first_root: bytes,
    second_root: bytes,
    proof: Sequence[bytes],
) -> bool:
    """Return True if ``proof`` is a valid RFC 9162 §2.1.4.2 consistency proof."""
    # Malformed input fails verification rather than raising (untrusted data).
    if not _valid_digests(first_root, second_root, *proof):
        return False
    if first < 1 or first > second:
        return False
    if first == second:
        # A tree is consistent with itself; PROOF(m, D[m]) is empty.
        return len(proof) == 0 and first_root == second_root
    # §2.1.4.2 step 1.
    if not proof:
        return False
    path = list(proof)
    # §2.1.4.2 step 2.
    if first & (first - 1) == 0:
        path.insert(0, bytes(first_root))
    # §2.1.4.2 step 3.
    fn, sn = first - 1, second - 1
    # §2.1.4.2 step 4.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # §2.1.4.2 step 5.
    fr = sr = path[0]
    # §2.1.4.2 step 6.
    for c in path[1:]:
        if sn == 0:  # 6.a
            return False
        if fn & 1 or fn == sn:  # 6.b
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1  # 6.c
        sn >>= 1
    # §2.1.4.2 step 7.
    return fr == first_root and sr == second_root and sn == 0


class InMemoryTree:
    """A dict-backed perfect-subtree store with the tree operations bound to it."""

    def __init__(self) -> None:
        """Create an empty tree."""
        self._nodes: dict[tuple[int, int], bytes] = {}
        self._size = 0

    @property
    def size(self) -> int:
        """Return the number of leaves appended so far."""
        return self._size

    def __len__(self) -> int:
        """Return the number of leaves appended so far."""
        return self._size

    def get(self, level: int, index: int) -> bytes:
        """Return the stored perfect-subtree hash at (level, index); raise KeyError if absent."""
        return self._nodes[(level, index)]

    def append(self, data: bytes) -> int:
        """Append a leaf with the given entry data and return its 0-based index."""
        return self.append_leaf_hash(leaf_hash(data))

    def append_leaf_hash(self, leaf_digest: bytes) -> int:
        """Append a leaf given its RFC 9162 §2.1.1 leaf hash and return its 0-based index."""
        index = self._size
        for level, node_index, digest in nodes_created_by_append(self.get, index, leaf_digest):
            self._nodes[(level, node_index)] = digest
        self._size += 1
        return index

    def root(self, size: int | None = None) -> bytes:
        """Return the root of the first ``size`` leaves (default: all of them)."""
        return root_hash(self.get, self._resolve(size))

    def inclusion_proof(self, leaf_index: int, size: int | None = None) -> list[bytes]:
        """Return PATH(leaf_index, D[0:size]) (default size: the whole tree)."""
        return inclusion_proof(self.get, leaf_index, self._resolve(size))

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        """Return PROOF(first, D[0:second]) (default second: the whole tree)."""
        return consistency_proof(self.get, first, self._resolve(second))

    def _resolve(self, size: int | None) -> int:
        """Return ``size`` checked against the tree, or the current size if None."""
        if size is None:
            return self._size
        if not 0 <= size <= self._size:
            raise ValueError(f"size {size} out of range for a tree of {self._size} leaves")
        return size
