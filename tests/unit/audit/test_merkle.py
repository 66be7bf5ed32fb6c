"""RFC 9162 Merkle tree: CT reference vectors, an independent recursive reference, proofs for
every tree shape, and a verifier that rejects adversarial input."""

from __future__ import annotations

import hashlib

import pytest

from services.audit.domain.merkle import (
    EMPTY_ROOT,
    MerkleLog,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_inclusion_proof,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

# The Certificate Transparency reference leaves and roots (certificate-transparency-go,
# Trillian, Go's sumdb/tlog tests all use these), checked against those test files.
CT_LEAVES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# Inclusion paths for the 8-leaf tree, from the same test data.
CT_PATH_0_8 = ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
               "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
               "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]
LH = [leaf_hash(d) for d in CT_LEAVES]


def ref_mth(data: list[bytes]) -> bytes:
    """RFC 9162 section 2.1.1, literally: an independent reference for the tests."""
    n = len(data)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + data[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + ref_mth(data[:k]) + ref_mth(data[k:])).digest()


def test_leaf_and_node_hashes_are_domain_separated():
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.mark.parametrize("n", range(1, 9))
def test_ct_reference_roots(n):
    assert root_from_leaf_hashes(LH[:n]).hex() == CT_ROOTS[n - 1]
    assert ref_mth(CT_LEAVES[:n]).hex() == CT_ROOTS[n - 1]
    log = MerkleLog()
    for d in CT_LEAVES[:n]:
        log.append(d)
    assert log.root().hex() == CT_ROOTS[n - 1]


def test_ct_reference_inclusion_path():
    assert [h.hex() for h in inclusion_proof(LH, 0, 8)] == CT_PATH_0_8


def test_rfc_9162_section_2_1_5_examples():
    a, b, c, d, e, f, j = LH[:7]
    g, h, i = node_hash(a, b), node_hash(c, d), node_hash(e, f)
    k, l = node_hash(g, h), node_hash(i, j)  # noqa: E741
    assert inclusion_proof(LH, 0, 7) == [b, h, l]
    assert inclusion_proof(LH, 3, 7) == [c, g, l]
    assert inclusion_proof(LH, 4, 7) == [f, j, k]
    assert inclusion_proof(LH, 6, 7) == [i, k]
    assert consistency_proof(LH, 3, 7) == [c, d, g, l]
    assert consistency_proof(LH, 4, 7) == [l]
    assert consistency_proof(LH, 6, 7) == [i, j, k]


MANY = [f"entry-{i}".encode() for i in range(40)]
MANY_LH = [leaf_hash(d) for d in MANY]


def test_incremental_root_matches_reference_for_every_size():
    log = MerkleLog()
    for n, d in enumerate(MANY, start=1):
        log.append(d)
        assert log.root() == ref_mth(MANY[:n])
        assert log.root(n // 2) == ref_mth(MANY[: n // 2])


def test_every_inclusion_proof_verifies_and_nothing_else_does():
    for n in range(1, 34):
        root = ref_mth(MANY[:n])
        for m in range(n):
            proof = inclusion_proof(MANY_LH, m, n)
            verify_inclusion(m, n, MANY_LH[m], proof, root)
            with pytest.raises(ProofError):
                verify_inclusion(m, n, MANY_LH[(m + 1) % 40], proof, root) if n > 1 else (_ for _ in ()).throw(
                    ProofError("n=1"))
            if n > 1:
                with pytest.raises(ProofError):
                    verify_inclusion((m + 1) % n, n, MANY_LH[m], proof, root)


def test_every_consistency_proof_verifies_and_a_wrong_root_does_not():
    for n in range(1, 34):
        new_root = ref_mth(MANY[:n])
        for m in range(1, n + 1):
            old_root = ref_mth(MANY[:m])
            proof = consistency_proof(MANY_LH, m, n)
            verify_consistency(m, n, old_root, new_root, proof)
            if m < n:
                with pytest.raises(ProofError):
                    verify_consistency(m, n, ref_mth(MANY[1 : m + 1]), new_root, proof)
                with pytest.raises(ProofError):
                    verify_consistency(m, n, old_root, ref_mth(MANY[1 : n + 1]), proof)


# Adversarial input, as transparency-log verifiers are tested.
ROOT7 = ref_mth(MANY[:7])
PROOF_3_7 = inclusion_proof(MANY_LH, 3, 7)


@pytest.mark.parametrize(("index", "size", "proof", "why"), [
    (3, 7, PROOF_3_7 + [b"\x00" * 32], "trailing hash"),
    (3, 7, PROOF_3_7[:-1], "truncated proof"),
    (3, 7, [], "empty proof"),
    (3, 7, PROOF_3_7[:1] + [b"\x00" * 31] + PROOF_3_7[2:], "short hash"),
    (3, 7, PROOF_3_7[:1] + [b"\x00" * 33] + PROOF_3_7[2:], "long hash"),
    (7, 7, PROOF_3_7, "index equals size"),
    (-1, 7, PROOF_3_7, "negative index"),
    # (Sizes 5..8 give leaf 3 the same path shape: the size is bound by the signed checkpoint.)
    (3, 9, PROOF_3_7, "wrong tree size (deeper)"),
    (3, 4, PROOF_3_7, "wrong tree size (shallower)"),
    (3, 0, PROOF_3_7, "size zero"),
    (2**63, 2**64, PROOF_3_7, "huge index"),
    (3, 7, list(reversed(PROOF_3_7)), "reordered proof"),
])
def test_inclusion_verifier_rejects_adversarial_proofs(index, size, proof, why):
    with pytest.raises(ProofError):
        verify_inclusion(index, size, MANY_LH[3], proof, ROOT7)


def test_inclusion_verifier_rejects_wrong_sized_root_and_leaf():
    with pytest.raises(ProofError):
        verify_inclusion(3, 7, MANY_LH[3], PROOF_3_7, ROOT7[:31])
    with pytest.raises(ProofError):
        root_from_inclusion_proof(3, 7, MANY_LH[3] + b"x", PROOF_3_7)


def test_a_single_leaf_tree_needs_an_empty_proof():
    verify_inclusion(0, 1, MANY_LH[0], [], MANY_LH[0])
    with pytest.raises(ProofError):
        verify_inclusion(0, 1, MANY_LH[0], [MANY_LH[1]], MANY_LH[0])


OLD4, NEW7 = ref_mth(MANY[:4]), ref_mth(MANY[:7])
C_4_7 = consistency_proof(MANY_LH, 4, 7)


@pytest.mark.parametrize(("old", "new", "proof", "why"), [
    (4, 7, C_4_7 + [b"\x00" * 32], "trailing hash"),
    (4, 7, C_4_7[:-1] if len(C_4_7) > 1 else [], "truncated"),
    (4, 7, [], "empty"),
    (5, 7, C_4_7, "wrong old size"),
    (4, 9, C_4_7, "wrong new size"),
    (7, 4, C_4_7, "old larger than new"),
    (-1, 7, C_4_7, "negative size"),
    (4, 4, C_4_7, "non-empty proof between equal sizes"),
    (0, 7, C_4_7, "non-empty proof from the empty tree"),
    (4, 7, [b"\x00" * 31], "short hash"),
])
def test_consistency_verifier_rejects_adversarial_proofs(old, new, proof, why):
    with pytest.raises(ProofError):
        verify_consistency(old, new, OLD4, NEW7, proof)


def test_equal_sizes_need_equal_roots():
    verify_consistency(7, 7, NEW7, NEW7, [])
    with pytest.raises(ProofError):
        verify_consistency(7, 7, NEW7, OLD4, [])


def test_proof_generation_refuses_out_of_range_requests():
    for args in ((MANY_LH, 5, 5), (MANY_LH, -1, 5), (MANY_LH, 0, 41)):
        with pytest.raises(ProofError):
            inclusion_proof(*args)
    for args in ((MANY_LH, 0, 5), (MANY_LH, 6, 5), (MANY_LH, 3, 41)):
        with pytest.raises(ProofError):
            consistency_proof(*args)
