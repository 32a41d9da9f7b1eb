//! The key allow-list: which keys a combine node accepts a child under.
//!
//! A **leaf** names one key together with everything a verifier of its proofs depends on:
//! `leaf = compress(… compress(shape, root₀) …, rootₙ)` over the roots of the key's
//! preprocessed commitment, where `shape` ([`ChildKey::shape_digest`]) is the BLAKE3 hash
//! of the whole verifying key with its commitment zeroed and its circuit label dropped,
//! mapped into eight field elements, and domain-separated by the child's
//! [`ChildKind`]. It so binds the key's FRI settings, every table's lanes and height, the
//! bus layout, the NPO tables and the public-input count: a key with the same commitment
//! and weaker FRI settings has another leaf. The node computes the leaf from its own
//! constants (the shape it verifies the child with) and the commitment the child was
//! verified under, so a node built with weaker settings for a slot computes a leaf no list
//! holds.
//!
//! The list is a Merkle tree of `2^depth` leaves (unused leaves are zero, which no key's
//! leaf can equal without a Poseidon2 preimage of zero), compressed with the Merkle
//! trees' Poseidon2 compression; a node proves membership with the Merkle gadget
//! ([`merkle::verify_digest_bits_with`]).

use fixpoint_circuit::{CircuitBuilder, PrivateGroup, Runner, Target};
use fixpoint_circuit_prover::merkle::{self, Digest, MerkleError, MerklePath, Steps};
use fixpoint_circuit_prover::{FieldFamily, Stark, VerifyingKey, poseidon2};
use p3_field::PrimeCharacteristicRing;
use p3_symmetric::{MerkleCap, PseudoCompressionFunction, TruncatedPermutation};
use serde::{Deserialize, Serialize};

use super::TreeError;
use crate::batch_stark::KeyBinding;
use crate::fixpoint::{FixpointKey, FixpointShape};
use crate::uni_stark::Ext;

/// The deepest allow-list a node may be built for: `2^20` keys.
pub const MAX_ALLOW_DEPTH: usize = 20;

/// What a child slot of a node verifies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChildKind {
    /// A base proof: its public inputs are the statement alone.
    Base,
    /// A node's proof (a base node's too): its public inputs are the statement, then the
    /// allow-list root ([`ROOT_SLOTS`] packed slots), which must be the node's own.
    Node,
}

impl ChildKind {
    /// The public inputs a proof of this kind has after the statement.
    pub fn extra_publics(self) -> usize {
        match self {
            ChildKind::Base => 0,
            ChildKind::Node => ROOT_SLOTS,
        }
    }

    /// The domain-separation byte of this kind's shape digests.
    fn tag(self) -> u8 {
        match self {
            ChildKind::Base => 0,
            ChildKind::Node => 1,
        }
    }
}

/// The allow-list root's packed public slots, after a node's statement.
pub const ROOT_SLOTS: usize = 2;

/// A key a node slot verifies under: the verifier's shape (with the commitment a private
/// input) and the shape digest its leaf starts from.
#[derive(Clone)]
pub struct ChildKey<F: FieldFamily> {
    /// What the slot verifies.
    pub kind: ChildKind,
    /// The verifier circuit's shape.
    pub shape: FixpointShape<F, Ext<F>>,
    /// The key's shape digest (see the module docs).
    pub shape_digest: [F; 8],
    /// The key's preprocessed commitment (the witness's; the circuit takes it as an
    /// input).
    pub commitment: MerkleCap<F, [F; 8]>,
    /// The whole key, as the Poseidon2-table key a [`job`](super::job) carries (a key
    /// without NPO tables decodes as one).
    pub vk: std::sync::Arc<VerifyingKey<Stark<F>, poseidon2::Table>>,
}

impl<F: FieldFamily> std::fmt::Debug for ChildKey<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChildKey")
            .field("kind", &self.kind)
            .field("shape_digest", &self.shape_digest)
            .field("commitment", &self.commitment)
            .field("vk_hash", &crate::trusted::hex(&self.vk.hash()))
            .finish_non_exhaustive()
    }
}

impl<F: FieldFamily> ChildKey<F> {
    /// The slot of proofs of `kind` under `vk`.
    pub fn new<N>(vk: &VerifyingKey<Stark<F>, N>, kind: ChildKind) -> Result<Self, TreeError<F>>
    where
        VerifyingKey<Stark<F>, N>: FixpointKey<F>,
        N: Serialize + serde::de::DeserializeOwned + Clone,
    {
        let shape = FixpointShape::new(vk, KeyBinding::PrivateInput)
            .map_err(|source| TreeError::Key { source })?;
        let table_key =
            VerifyingKey::from_bytes(&vk.to_bytes()).map_err(|_| TreeError::KeyTables)?;
        Ok(ChildKey {
            kind,
            shape,
            shape_digest: shape_digest(vk, kind),
            commitment: vk.preprocessed_commitment.clone(),
            vk: std::sync::Arc::new(table_key),
        })
    }

    /// The key's allow-list leaf.
    pub fn leaf(&self) -> [F; 8] {
        leaf_of(self.shape_digest, &self.commitment)
    }
}

/// The BLAKE3 hash of `vk` with its commitment zeroed, its circuit label dropped and its
/// tables' entry counts zeroed (a verifier depends on a table's lanes and height, not on
/// how many of its rows are used), as eight field elements, for proofs of `kind`.
pub fn shape_digest<F, N>(vk: &VerifyingKey<Stark<F>, N>, kind: ChildKind) -> [F; 8]
where
    F: FieldFamily,
    N: Serialize + serde::de::DeserializeOwned + Clone,
{
    let mut shape = vk.clone();
    shape.circuit_id = fixpoint_circuit::CircuitId([0; 32]);
    let zero = vec![[F::ZERO; 8]; vk.preprocessed_commitment.roots().len()];
    shape.preprocessed_commitment = MerkleCap::from(zero);
    for table in &mut shape.layout.tables {
        table.entries = 0;
    }
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"fixpoint allow-list shape v1");
    hasher.update(&[kind.tag()]);
    hasher.update(&shape.to_bytes());
    let bytes = hasher.finalize();
    std::array::from_fn(|i| {
        let word = u32::from_le_bytes(bytes.as_bytes()[4 * i..4 * i + 4].try_into().expect("4"));
        F::from_u64(u64::from(word) % F::ORDER_U64)
    })
}

/// `compress` folded over the roots of `commitment`, from `shape`: a key's leaf.
pub fn leaf_of<F: FieldFamily>(shape: [F; 8], commitment: &MerkleCap<F, [F; 8]>) -> [F; 8] {
    let compress = TruncatedPermutation::<_, 2, 8, 16>::new(F::permutation());
    commitment
        .roots()
        .iter()
        .fold(shape, |acc, root| compress.compress([acc, *root]))
}

/// A key allow-list: `2^depth` leaves, the unused ones zero.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowList {
    /// log2 of the leaf count.
    pub depth: usize,
    /// The keys' leaves, in canonical form, in list order (the padding is not stored).
    pub leaves: Vec<[u32; 8]>,
}

impl AllowList {
    /// A list of depth `depth` holding `leaves`.
    pub fn new<F: FieldFamily>(depth: usize, leaves: &[[F; 8]]) -> Result<Self, TreeError<F>> {
        check_depth(depth)?;
        if leaves.len() > 1 << depth {
            return Err(TreeError::AllowListFull {
                keys: leaves.len(),
                depth,
            });
        }
        Ok(AllowList {
            depth,
            leaves: leaves
                .iter()
                .map(|l| l.map(|v| v.as_canonical_u64() as u32))
                .collect(),
        })
    }

    /// The leaves as field elements, padded with zeros to `2^depth`; a value at or above
    /// the prime, a depth out of range or too many leaves is an error.
    fn padded<F: FieldFamily>(&self) -> Result<Vec<[F; 8]>, TreeError<F>> {
        check_depth(self.depth)?;
        if self.leaves.len() > 1 << self.depth {
            return Err(TreeError::AllowListFull {
                keys: self.leaves.len(),
                depth: self.depth,
            });
        }
        let mut out = Vec::with_capacity(1 << self.depth);
        for leaf in &self.leaves {
            if leaf.iter().any(|&v| u64::from(v) >= F::ORDER_U64) {
                return Err(TreeError::InvalidAllowList(
                    "a leaf value is not below the prime".into(),
                ));
            }
            out.push(leaf.map(|v| F::from_u64(u64::from(v))));
        }
        out.resize(1 << self.depth, [F::ZERO; 8]);
        Ok(out)
    }

    /// The list's layers, leaves first, root last.
    fn layers<F: FieldFamily>(&self) -> Result<Vec<Vec<[F; 8]>>, TreeError<F>> {
        let compress = TruncatedPermutation::<_, 2, 8, 16>::new(F::permutation());
        let mut layers = vec![self.padded::<F>()?];
        while layers.last().expect("one layer").len() > 1 {
            let next = layers
                .last()
                .expect("one layer")
                .chunks(2)
                .map(|pair| compress.compress([pair[0], pair[1]]))
                .collect();
            layers.push(next);
        }
        Ok(layers)
    }

    /// The list's root.
    pub fn root<F: FieldFamily>(&self) -> Result<[F; 8], TreeError<F>> {
        Ok(self.layers::<F>()?.pop().expect("a root")[0])
    }

    /// The position of `leaf` in the list.
    pub fn position<F: FieldFamily>(&self, leaf: &[F; 8]) -> Option<usize> {
        let canonical = leaf.map(|v| v.as_canonical_u64() as u32);
        self.leaves.iter().position(|l| *l == canonical)
    }

    /// The membership proof of leaf `index`: its siblings, bottom first.
    pub fn siblings<F: FieldFamily>(&self, index: usize) -> Result<Vec<[F; 8]>, TreeError<F>> {
        let layers = self.layers::<F>()?;
        if index >= 1 << self.depth {
            return Err(TreeError::InvalidAllowList(format!(
                "leaf {index} of a list of {} leaves",
                1 << self.depth
            )));
        }
        Ok(layers[..self.depth]
            .iter()
            .enumerate()
            .map(|(level, layer)| layer[(index >> level) ^ 1])
            .collect())
    }
}

/// A depth from 1 to [`MAX_ALLOW_DEPTH`].
pub(crate) fn check_depth<F: FieldFamily>(depth: usize) -> Result<(), TreeError<F>> {
    if !(1..=MAX_ALLOW_DEPTH).contains(&depth) {
        return Err(TreeError::AllowDepth { depth });
    }
    Ok(())
}

/// A node's membership check of one child's key: the leaf's index bits (private) and the
/// Merkle path to the node's allow-list root.
#[derive(Clone, Debug)]
pub struct Membership {
    /// The index bits, least significant first: a private group.
    pub bits: PrivateGroup,
    /// The path's Merkle levels (their siblings are private data).
    pub path: MerklePath,
}

/// Emits the leaf of a key of shape digest `shape` and commitment `commitment` and its
/// membership in the list of root `root` and depth `depth`.
pub(crate) fn membership<F: FieldFamily>(
    b: &mut CircuitBuilder<Ext<F>>,
    shape: [F; 8],
    commitment: &[Digest],
    root: Digest,
    depth: usize,
) -> Result<Membership, MerkleError> {
    b.scope("allow-list", |b| {
        let packed = poseidon2::pack_values::<Ext<F>>(&shape);
        let mut leaf: Digest = [b.define_const(packed[0]), b.define_const(packed[1])];
        for key_root in commitment {
            leaf = poseidon2::compress_packed(b, &leaf, key_root);
        }
        let (group, bits): (_, Vec<Target>) = b.private_group(|b| b.private_inputs(depth));
        let path = merkle::verify_digest_bits_with(b, 0, &[root], &bits, leaf, Steps::Shared)?;
        Ok(Membership { bits: group, path })
    })
}

impl Membership {
    /// Gives the runner leaf `index`'s bits and siblings in `list`.
    pub fn fill<F: FieldFamily>(
        &self,
        runner: &mut Runner<'_, Ext<F>>,
        list: &AllowList,
        index: usize,
    ) -> Result<(), TreeError<F>> {
        let siblings = list.siblings::<F>(index)?;
        let bits: Vec<Ext<F>> = (0..list.depth)
            .map(|i| Ext::<F>::from_bool(index >> i & 1 == 1))
            .collect();
        runner
            .set_private_group(&self.bits, &bits)
            .map_err(|source| TreeError::Inputs { source })?;
        self.path
            .set_siblings(runner, &siblings)
            .map_err(|source| TreeError::Merkle { source })
    }
}
