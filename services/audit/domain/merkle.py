"""The RFC 9162 (Certificate Transparency v2) Merkle tree over the audit log, written small.

Leaf hash  = SHA-256(0x00 || entry bytes)       (the exact stored Kafka record value)
Node hash  = SHA-256(0x01 || left || right)
MTH(D[n])  = split at k, the largest power of two smaller than n (RFC 9162 section 2.1.1).

Proofs follow RFC 9162 section 2.1.3 (inclusion) and 2.1.4 (consistency); the verifiers are
the RFC's own algorithms (sections 2.1.3.2 and 2.1.4.2), strict about sizes, indices and
proof length, because they run on input an adversary may have crafted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof that does not verify, or a request that cannot have a proof."""


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_from_leaf_hashes(leaves: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes, iteratively: pair left to right, carry an odd last node up.

    This gives the RFC's tree because the RFC's left subtrees are always perfect.
    """
    if not leaves:
        return EMPTY_ROOT
    level = list(leaves)
    while len(level) > 1:
        nxt = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def _subtree(leaves: Sequence[bytes], lo: int, hi: int) -> bytes:
    return root_from_leaf_hashes(leaves[lo:hi])


def inclusion_proof(leaves: Sequence[bytes], index: int, size: int) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 section 2.1.3.1, for leaf ``index`` in the tree of ``size``."""
    if not 0 <= size <= len(leaves):
        raise ProofError(f"tree size {size} outside 0..{len(leaves)}")
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} outside 0..{size - 1}")
    path: list[bytes] = []
    lo, hi, m = 0, size, index
    # Walk down from the root; the siblings are collected root-first, returned leaf-first.
    while hi - lo > 1:
        k = _split(hi - lo)
        if m < k:
            path.append(_subtree(leaves, lo + k, hi))
            hi = lo + k
        else:
            path.append(_subtree(leaves, lo, lo + k))
            lo, m = lo + k, m - k
    return path[::-1]


def consistency_proof(leaves: Sequence[bytes], old_size: int, new_size: int) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 section 2.1.4.1."""
    if not 0 < old_size <= new_size <= len(leaves):
        raise ProofError(f"need 0 < old_size <= new_size <= {len(leaves)}, got {old_size}, {new_size}")
    return _subproof(leaves, old_size, 0, new_size, True)


def _subproof(leaves: Sequence[bytes], m: int, lo: int, hi: int, b: bool) -> list[bytes]:
    n = hi - lo
    if m == n:
        return [] if b else [_subtree(leaves, lo, hi)]
    k = _split(n)
    if m <= k:
        return _subproof(leaves, m, lo, lo + k, b) + [_subtree(leaves, lo + k, hi)]
    return _subproof(leaves, m - k, lo + k, hi, False) + [_subtree(leaves, lo, lo + k)]


def _check_hashes(proof: Sequence[bytes], *named: bytes) -> None:
    for h in (*proof, *named):
        if not isinstance(h, bytes | bytearray) or len(h) != HASH_SIZE:
            raise ProofError("every hash must be exactly 32 bytes")


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """RFC 9162 section 2.1.3.2: the root that ``proof`` leads to from ``leaf`` (a leaf hash)."""
    _check_hashes(proof, leaf)
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} outside tree size {size}")
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            raise ProofError("proof is longer than the tree is deep (trailing hashes)")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("proof is shorter than the path to the root")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> None:
    """Raise ProofError unless ``leaf`` is at ``index`` in the tree of ``size`` with ``root``."""
    _check_hashes((), root)
    if root_from_inclusion_proof(index, size, leaf, proof) != root:
        raise ProofError("inclusion proof does not lead to the root hash")


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes,
                       proof: Sequence[bytes]) -> None:
    """RFC 9162 section 2.1.4.2: raise ProofError unless the old tree is a prefix of the new."""
    _check_hashes(proof, old_root, new_root)
    if old_size < 0 or new_size < 0 or old_size > new_size:
        raise ProofError(f"need 0 <= old_size <= new_size, got {old_size}, {new_size}")
    if old_size == new_size:
        if proof:
            raise ProofError("a proof between equal sizes must be empty")
        if old_root != new_root:
            raise ProofError("equal tree sizes with different roots")
        return
    if old_size == 0:
        # Everything is consistent with the empty tree; the RFC defines no proof for it.
        if proof:
            raise ProofError("a proof from the empty tree must be empty")
        return
    if not proof:
        raise ProofError("empty consistency proof")
    path = list(proof)
    # Step 1: if old_size is an exact power of two, prepend old_root.
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    # Step 3: while LSB(fn) is set, shift both right.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("proof is longer than needed (trailing hashes)")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("proof is shorter than needed")
    if fr != old_root:
        raise ProofError("consistency proof does not lead to the old root")
    if sr != new_root:
        raise ProofError("consistency proof does not lead to the new root")


class MerkleLog:
    """Leaf hashes of the log and an incremental root (a compact range of perfect subtrees)."""

    def __init__(self) -> None:
        self.leaves: list[bytes] = []
        # (height, hash) of the perfect subtrees covering the leaves, left to right.
        self._stack: list[tuple[int, bytes]] = []

    def append(self, entry: bytes) -> None:
        h = leaf_hash(entry)
        self.leaves.append(h)
        height = 0
        while self._stack and self._stack[-1][0] == height:
            _, left = self._stack.pop()
            h = node_hash(left, h)
            height += 1
        self._stack.append((height, h))

    @property
    def size(self) -> int:
        return len(self.leaves)

    def root(self, size: int | None = None) -> bytes:
        if size is None or size == self.size:
            if not self._stack:
                return EMPTY_ROOT
            # Fold right to left: the RFC's tree has perfect left subtrees, smaller ones right.
            r = self._stack[-1][1]
            for _, h in reversed(self._stack[:-1]):
                r = node_hash(h, r)
            return r
        if not 0 <= size <= self.size:
            raise ProofError(f"tree size {size} outside 0..{self.size}")
        return root_from_leaf_hashes(self.leaves[:size])
