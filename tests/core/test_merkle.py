"""Tests for smartcity.core.audit.merkle against an independent RFC 9162 §2.1 reference."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartcity.core.audit.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    InMemoryTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    nodes_created_by_append,
    root_hash,
    subtree_hash,
    verify_consistency,
    verify_inclusion,
)

# No example database: tests must not write into the working tree.
FAST = settings(database=None, deadline=None, max_examples=60)
SLOW = settings(database=None, deadline=None, max_examples=25)

MAX_LEAVES = 300


# --------------------------------------------------------------------------
# Independent reference, written straight from the RFC 9162 §2.1 text.
# It shares no code with merkle.py: recursion over the list of entries,
# memoised only so that hypothesis can afford trees of a few hundred leaves.
# --------------------------------------------------------------------------


class Reference:
    """MTH, PATH and PROOF/SUBPROOF of RFC 9162 §2.1 over a list of entries."""

    def __init__(self, entries: Sequence[bytes]) -> None:
        self.d = list(entries)
        self._mth: dict[tuple[int, int], bytes] = {}

    @staticmethod
    def _k(n: int) -> int:
        # "k is the largest power of two smaller than n (i.e., k < n <= 2k)"
        k = 1
        while k * 2 < n:
            k *= 2
        return k

    def mth(self, lo: int, hi: int) -> bytes:
        """MTH(D[lo:hi]) — §2.1.1."""
        n = hi - lo
        if n == 0:
            return hashlib.sha256(b"").digest()
        if n == 1:
            return hashlib.sha256(b"\x00" + self.d[lo]).digest()
        if (lo, hi) not in self._mth:
            k = self._k(n)
            self._mth[(lo, hi)] = hashlib.sha256(
                b"\x01" + self.mth(lo, lo + k) + self.mth(lo + k, hi)
            ).digest()
        return self._mth[(lo, hi)]

    def path(self, m: int, lo: int, hi: int) -> list[bytes]:
        """PATH(m, D[lo:hi]) with m relative to lo — §2.1.3.1."""
        n = hi - lo
        if n == 1:
            return []
        k = self._k(n)
        if m < k:
            return [*self.path(m, lo, lo + k), self.mth(lo + k, hi)]
        return [*self.path(m - k, lo + k, hi), self.mth(lo, lo + k)]

    def proof(self, m: int, n: int) -> list[bytes]:
        """PROOF(m, D[0:n]) — §2.1.4.1."""
        return self.subproof(m, 0, n, True)

    def subproof(self, m: int, lo: int, hi: int, b: bool) -> list[bytes]:
        """SUBPROOF(m, D[lo:hi], b) with m relative to lo — §2.1.4.1."""
        n = hi - lo
        if m == n:
            return [] if b else [self.mth(lo, hi)]
        k = self._k(n)
        if m <= k:
            return [*self.subproof(m, lo, lo + k, b), self.mth(lo + k, hi)]
        return [*self.subproof(m - k, lo + k, hi, False), self.mth(lo, lo + k)]


def build(entries: Sequence[bytes]) -> InMemoryTree:
    tree = InMemoryTree()
    for i, entry in enumerate(entries):
        assert tree.append(entry) == i
    return tree


def flip(proof: Sequence[bytes], which: int, byte: int = 0) -> list[bytes]:
    out = list(proof)
    damaged = bytearray(out[which])
    damaged[byte % HASH_SIZE] ^= 0x01
    out[which] = bytes(damaged)
    return out


@st.composite
def entries_strategy(
    draw: st.DrawFn, max_size: int = MAX_LEAVES, unique: bool = False
) -> list[bytes]:
    n = draw(st.integers(min_value=0, max_value=max_size))
    blobs = draw(st.lists(st.binary(max_size=24), min_size=n, max_size=n))
    if unique:
        # Rejection tests need distinct leaves: with duplicate entries a proof
        # for a wrong index can legitimately verify (e.g. two equal leaves).
        return [i.to_bytes(2, "big") + blob for i, blob in enumerate(blobs)]
    return blobs


# --------------------------------------------------------------------------
# RFC 6962 / Certificate Transparency test vectors.
# --------------------------------------------------------------------------

CT_ENTRIES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (leaf_index, tree_size, path)
CT_INCLUSION = [
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
# (first, second, proof)
CT_CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        2,
        8,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
]


def test_hash_primitives() -> None:
    assert HASH_SIZE == 32
    assert hashlib.sha256(b"").hexdigest() == CT_ROOTS[0]
    assert EMPTY_ROOT.hex() == CT_ROOTS[0]
    assert leaf_hash(b"").hex() == CT_ROOTS[1]
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    left, right = leaf_hash(b"l"), leaf_hash(b"r")
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
    assert node_hash(left, right) != node_hash(right, left)
    with pytest.raises(ValueError, match="32 bytes"):
        node_hash(b"short", right)


def test_ct_roots() -> None:
    tree = build(CT_ENTRIES)
    ref = Reference(CT_ENTRIES)
    assert tree.root().hex() == CT_ROOTS[8]
    assert tree.root(1).hex() == CT_ROOTS[1]
    for size in range(len(CT_ENTRIES) + 1):
        assert tree.root(size).hex() == CT_ROOTS[size], size
        assert ref.mth(0, size).hex() == CT_ROOTS[size], size


@pytest.mark.parametrize(("index", "size", "expected"), CT_INCLUSION)
def test_ct_inclusion_vectors(index: int, size: int, expected: list[str]) -> None:
    tree = build(CT_ENTRIES)
    proof = tree.inclusion_proof(index, size)
    assert [p.hex() for p in proof] == expected
    assert [p.hex() for p in Reference(CT_ENTRIES).path(index, 0, size)] == expected
    root = bytes.fromhex(CT_ROOTS[size])
    assert verify_inclusion(leaf_hash(CT_ENTRIES[index]), index, size, proof, root)


@pytest.mark.parametrize(("first", "second", "expected"), CT_CONSISTENCY)
def test_ct_consistency_vectors(first: int, second: int, expected: list[str]) -> None:
    tree = build(CT_ENTRIES)
    proof = tree.consistency_proof(first, second)
    assert [p.hex() for p in proof] == expected
    if first < second:
        assert [p.hex() for p in Reference(CT_ENTRIES).proof(first, second)] == expected
    roots = [bytes.fromhex(r) for r in CT_ROOTS]
    assert verify_consistency(first, second, roots[first], roots[second], proof)


# --------------------------------------------------------------------------
# Agreement with the reference.
# --------------------------------------------------------------------------


@FAST
@given(entries_strategy())
def test_roots_match_reference(entries: list[bytes]) -> None:
    tree = build(entries)
    ref = Reference(entries)
    assert len(tree) == tree.size == len(entries)
    for size in range(len(entries) + 1):
        assert tree.root(size) == ref.mth(0, size)
        assert root_hash(tree.get, size) == ref.mth(0, size)


@FAST
@given(entries_strategy(), st.data())
def test_inclusion_matches_reference_for_every_index(
    entries: list[bytes], data: st.DataObject
) -> None:
    tree = build(entries)
    ref = Reference(entries)
    sizes = {len(entries), data.draw(st.integers(0, len(entries)), label="older size")}
    for size in sizes:
        root = tree.root(size)
        for index in range(size):
            proof = tree.inclusion_proof(index, size)
            assert proof == ref.path(index, 0, size)
            assert verify_inclusion(leaf_hash(entries[index]), index, size, proof, root)


@FAST
@given(entries_strategy(), st.data())
def test_consistency_matches_reference_for_every_first(
    entries: list[bytes], data: st.DataObject
) -> None:
    tree = build(entries)
    ref = Reference(entries)
    seconds = {len(entries), data.draw(st.integers(0, len(entries)), label="second")}
    for second in seconds:
        second_root = tree.root(second)
        for first in range(1, second + 1):
            proof = tree.consistency_proof(first, second)
            assert proof == (ref.proof(first, second) if first < second else [])
            assert verify_consistency(first, second, tree.root(first), second_root, proof)


def test_every_pair_exhaustively_for_small_trees() -> None:
    entries = [bytes([i, i * 7 % 256]) for i in range(70)]
    tree = build(entries)
    ref = Reference(entries)
    roots = [tree.root(n) for n in range(len(entries) + 1)]
    for second in range(1, len(entries) + 1):
        assert roots[second] == ref.mth(0, second)
        for index in range(second):
            proof = tree.inclusion_proof(index, second)
            assert proof == ref.path(index, 0, second)
            assert verify_inclusion(leaf_hash(entries[index]), index, second, proof, roots[second])
        for first in range(1, second + 1):
            proof = tree.consistency_proof(first, second)
            assert proof == (ref.proof(first, second) if first < second else [])
            assert verify_consistency(first, second, roots[first], roots[second], proof)


@FAST
@given(entries_strategy(), st.data())
def test_subtree_hash_matches_reference_on_rfc_ranges(
    entries: list[bytes], data: st.DataObject
) -> None:
    # Every range of the form [k*2^j, min((k+1)*2^j, n)).
    n = len(entries)
    if n == 0:
        return
    tree = build(entries)
    ref = Reference(entries)
    j = data.draw(st.integers(0, n.bit_length()), label="j")
    for k in range(0, (n + (1 << j) - 1) >> j):
        lo, hi = k << j, min((k + 1) << j, n)
        assert subtree_hash(tree.get, lo, hi) == ref.mth(lo, hi)


# --------------------------------------------------------------------------
# Verification rejects what it must.
# --------------------------------------------------------------------------


@SLOW
@given(entries_strategy(unique=True), st.data())
def test_verify_inclusion_rejects_tampering(entries: list[bytes], data: st.DataObject) -> None:
    n = len(entries)
    if n == 0:
        return
    tree = build(entries)
    roots = [tree.root(s) for s in range(n + 1)]
    for index in range(n):
        leaf = leaf_hash(entries[index])
        proof = tree.inclusion_proof(index)
        assert verify_inclusion(leaf, index, n, proof, roots[n])
        for which in range(len(proof)):
            byte = data.draw(st.integers(0, HASH_SIZE - 1), label="flipped byte")
            assert not verify_inclusion(leaf, index, n, flip(proof, which, byte), roots[n])
        for wrong_index in {index - 1, index + 1, index ^ 2, n, -1}:
            if wrong_index != index:
                assert not verify_inclusion(leaf, wrong_index, n, proof, roots[n])
        # A wrong size, checked against that size's own root (what a verifier
        # holding the signed head for that size would use) ...
        for wrong_size in {index + 1, n - 1}:
            if wrong_size != n and index < wrong_size:
                assert not verify_inclusion(leaf, index, wrong_size, proof, roots[wrong_size])
        # ... and against this root when the path length cannot match.
        assert not verify_inclusion(leaf, index, 2 * n, proof, roots[n])
        assert not verify_inclusion(leaf, index, 0, proof, roots[n])
        assert not verify_inclusion(leaf_hash(b"wrong"), index, n, proof, roots[n])
        assert not verify_inclusion(leaf, index, n, proof, EMPTY_ROOT)
        assert not verify_inclusion(leaf, index, n, [*proof, roots[n]], roots[n])
        assert not verify_inclusion(leaf, index, n, [roots[n], *proof], roots[n])
        if proof:
            assert not verify_inclusion(leaf, index, n, proof[:-1], roots[n])
            assert not verify_inclusion(leaf, index, n, [*proof[:-1], b"x"], roots[n])


@SLOW
@given(entries_strategy(max_size=200, unique=True), st.data())
def test_verify_consistency_rejects_tampering(entries: list[bytes], data: st.DataObject) -> None:
    n = len(entries)
    if n == 0:
        return
    tree = build(entries)
    roots = [tree.root(s) for s in range(n + 1)]
    second = data.draw(st.integers(1, n), label="second")
    for first in range(1, second + 1):
        proof = tree.consistency_proof(first, second)
        r1, r2 = roots[first], roots[second]
        assert verify_consistency(first, second, r1, r2, proof)
        for which in range(len(proof)):
            byte = data.draw(st.integers(0, HASH_SIZE - 1), label="flipped byte")
            assert not verify_consistency(first, second, r1, r2, flip(proof, which, byte))
        for wrong_first in {first - 1, first + 1, first ^ 2, second + 1}:
            if wrong_first != first and 1 <= wrong_first <= n:
                rw = roots[wrong_first]
                assert not verify_consistency(wrong_first, second, rw, r2, proof)
        for wrong_second in {second - 1, second + 1, 2 * second}:
            if wrong_second != second and first <= wrong_second <= n:
                rw = roots[wrong_second]
                assert not verify_consistency(first, wrong_second, r1, rw, proof)
        assert not verify_consistency(0, second, EMPTY_ROOT, r2, proof)
        assert not verify_consistency(first, second, leaf_hash(b"x"), r2, proof)
        assert not verify_consistency(first, second, r1, leaf_hash(b"x"), proof)
        assert not verify_consistency(first, second, r1, r2, [*proof, r2])
        if first < second:
            assert not verify_consistency(second, first, r2, r1, proof)
            assert not verify_consistency(first, second, r2, r1, proof)
            assert not verify_consistency(first, second, r1, r2, [])
            assert not verify_consistency(first, second, r1, r2, proof[:-1])
            assert not verify_consistency(first, second, r1, r2, [proof[0], *proof])


def test_consistency_of_a_tree_with_itself() -> None:
    tree = build([b"a", b"b", b"c"])
    assert tree.consistency_proof(3, 3) == []
    assert tree.consistency_proof(3) == []
    assert verify_consistency(3, 3, tree.root(3), tree.root(3), [])
    assert not verify_consistency(3, 3, tree.root(3), tree.root(2), [])
    assert not verify_consistency(3, 3, tree.root(3), tree.root(3), [tree.root(3)])


def test_verifiers_return_false_on_malformed_input() -> None:
    tree = build(CT_ENTRIES)
    root = tree.root()
    leaf = leaf_hash(CT_ENTRIES[5])
    proof = tree.inclusion_proof(5)
    assert not verify_inclusion(leaf[:31], 5, 8, proof, root)
    assert not verify_inclusion(leaf, 5, 8, proof, root[:31])
    assert not verify_inclusion(leaf, 5, 8, [proof[0] + b"\x00", *proof[1:]], root)
    assert not verify_inclusion(leaf, -1, 8, proof, root)
    assert not verify_inclusion(leaf, 5, -8, proof, root)
    cproof = tree.consistency_proof(6)
    r6 = tree.root(6)
    assert not verify_consistency(6, 8, r6[:31], root, cproof)
    assert not verify_consistency(6, 8, r6, root + b"\x00", cproof)
    assert not verify_consistency(-6, 8, r6, root, cproof)
    assert not verify_consistency(8, 6, root, r6, cproof)


# --------------------------------------------------------------------------
# Argument checking.
# --------------------------------------------------------------------------


def test_invalid_arguments_raise_value_error() -> None:
    tree = build(CT_ENTRIES)
    get = tree.get
    with pytest.raises(ValueError, match="tree_size"):
        root_hash(get, -1)
    with pytest.raises(ValueError, match="out of range"):
        inclusion_proof(get, 8, 8)
    with pytest.raises(ValueError, match="out of range"):
        inclusion_proof(get, -1, 8)
    with pytest.raises(ValueError, match="out of range"):
        inclusion_proof(get, 0, 0)
    with pytest.raises(ValueError, match="tree_size"):
        inclusion_proof(get, 0, -1)
    with pytest.raises(ValueError, match="first"):
        consistency_proof(get, 5, 3)
    with pytest.raises(ValueError, match="first"):
        consistency_proof(get, 0, 3)
    with pytest.raises(ValueError, match="first"):
        consistency_proof(get, -1, 3)
    with pytest.raises(ValueError, match="start"):
        subtree_hash(get, 3, 3)
    with pytest.raises(ValueError, match="start"):
        subtree_hash(get, -1, 3)
    with pytest.raises(ValueError, match="multiple of"):
        subtree_hash(get, 1, 4)  # not a range the RFC recursion ever asks for
    with pytest.raises(ValueError, match="leaf_index"):
        nodes_created_by_append(get, -1, leaf_hash(b""))
    with pytest.raises(ValueError, match="leaf_digest"):
        nodes_created_by_append(get, 8, b"short")
    with pytest.raises(ValueError, match="out of range"):
        tree.root(9)
    with pytest.raises(ValueError, match="out of range"):
        tree.inclusion_proof(0, 9)
    with pytest.raises(ValueError, match="out of range"):
        tree.consistency_proof(1, 9)
    with pytest.raises(ValueError, match="out of range"):
        tree.root(-1)
    with pytest.raises(KeyError):
        root_hash(get, 9)  # the store has no nodes past its size


def test_empty_tree() -> None:
    tree = InMemoryTree()
    assert tree.root() == EMPTY_ROOT
    assert root_hash(tree.get, 0) == EMPTY_ROOT
    assert len(tree) == 0


def test_append_creates_exactly_the_completed_perfect_nodes() -> None:
    store: dict[tuple[int, int], bytes] = {}
    ref = Reference([bytes([i]) for i in range(64)])
    for n in range(64):
        created = nodes_created_by_append(lambda lv, ix: store[(lv, ix)], n, leaf_hash(bytes([n])))
        assert [lv for lv, _, _ in created] == list(range(len(created)))
        # Leaf n completes the nodes whose range ends at n + 1: one per
        # trailing one-bit of n, plus the leaf itself.
        trailing_ones = (n ^ (n + 1)).bit_length() - 1
        assert len(created) == trailing_ones + 1
        for level, index, digest in created:
            assert (index + 1) << level == n + 1
            assert digest == ref.mth(index << level, (index + 1) << level)
            store[(level, index)] = digest
    tree = build([bytes([i]) for i in range(64)])
    assert tree.append_leaf_hash(leaf_hash(b"x")) == 64
    with pytest.raises(ValueError, match="leaf_digest"):
        tree.append_leaf_hash(b"\x00" * 31)


# --------------------------------------------------------------------------
# Cost: node reads are counted, not timed.
# --------------------------------------------------------------------------


class CountingGetter:
    """Wrap a store's get(), count calls and check reads stay inside a size."""

    def __init__(self, get: Callable[[int, int], bytes]) -> None:
        self._get = get
        self.calls = 0
        self.limit = 0

    def __call__(self, level: int, index: int) -> bytes:
        self.calls += 1
        assert (index + 1) << level <= self.limit, "read a node past the tree size"
        return self._get(level, index)

    def reset(self, limit: int) -> None:
        self.calls = 0
        self.limit = limit


def _log_bound(n: int) -> float:
    return max(1.0, math.log2(n))


def test_node_reads_are_polylogarithmic() -> None:
    max_n = 2**12
    tree = InMemoryTree()
    counter = CountingGetter(tree.get)
    worst_append = 0
    for n in range(max_n):
        counter.reset(n)  # appending leaf n may read only nodes within [0, n)
        created = nodes_created_by_append(counter, n, leaf_hash(n.to_bytes(2, "big")))
        assert counter.calls <= _log_bound(n + 1)
        worst_append = max(worst_append, counter.calls)
        tree.append_leaf_hash(created[0][2])
    assert worst_append == 12  # leaf 4095 = 0b1111_1111_1111 completes twelve parents

    sizes = sorted(
        {1, 2, 3, 5, 100, 1000, 3000, max_n} | {2**k + d for k in range(1, 12) for d in (-1, 0, 1)}
    )
    c = 2
    for n in range(1, max_n + 1):
        counter.reset(n)
        root_hash(counter, n)
        assert counter.calls <= _log_bound(n) + 1  # one read per set bit of n
    for n in sizes:
        bound = c * _log_bound(n) ** 2
        for index in sorted({0, 1, n // 3, n // 2, n - 2, n - 1} & set(range(n))):
            counter.reset(n)
            inclusion_proof(counter, index, n)
            assert counter.calls <= bound, (n, index, counter.calls)
        for first in sorted({1, 2, 3, n // 3, n // 2, n - 1, n} & set(range(1, n + 1))):
            counter.reset(n)
            consistency_proof(counter, first, n)
            assert counter.calls <= bound, (n, first, counter.calls)
