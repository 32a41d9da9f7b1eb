//! Checking a recursion result with only published bytes: the trusted key set, and the
//! checks of the stand-alone verifier ([`verify_recursion`](crate::layers::verify_recursion), over any field family).
//!
//! **What a verifier holds.** A [`TrustedKeys`] set, fixed once per base circuit and FRI
//! settings, whatever the depth: the base key's commitment, the commitments of the layer
//! keys below the fixed point, and the fixed-point key, pinned by its full hash
//! ([`VerifyingKey::hash`](fixpoint_circuit_prover::VerifyingKey::hash)). Every field of
//! the set takes part in the check: nothing in it is informational. A result is the final
//! verifying key, its proof and its public inputs: the statement, the chain digest and the
//! depth ([`crate::layers`]).
//!
//! **What it checks** (cheapest first):
//! 1. the final key hashes to the trusted fixed-point hash. The hash covers everything that
//!    matters to soundness: the preprocessed commitment, every table's height and lanes, the
//!    bus layout, the public positions and the FRI settings. A key with the same commitment
//!    and weaker FRI settings has another hash;
//! 2. the final key is at least as secure as the caller's minimum. The keys below are as
//!    secure as the settings the set's publisher ran the layers with (`recurse` proves
//!    every layer with one setting): their settings are constants of the circuits above
//!    them, which a holder of commitments cannot read;
//! 3. the public inputs are the expected statement, then [`LAYER_SLOTS`] more;
//! 4. the depth `d` is a base-field integer with `below + 1 ≤ d ≤ MAX_DEPTH`;
//! 5. the chain digest is the fold of `[base, below…, fixed point × (d − 1 − below)]`;
//! 6. the proof verifies under the final key.
//!
//! **Why that is enough.** The final proof verifies under the pinned fixed-point key, so
//! its circuit, the layer circuit built from the fixed point's own shape, accepted an inner
//! proof whose shape and FRI settings are constants of that circuit and whose key is the
//! commitment it hashed into the chain. By induction every layer verified the layer below
//! under the key the chain names, with the shape the layer above pins; the chain, collision
//! resistant, names exactly the trusted keys, base first; and the base statement is
//! forwarded unchanged. The depth says how many keys the chain folds, so a proof of any
//! depth at or past the fixed point is checked with the same set.

use p3_field::extension::BinomiallyExtendable;
use p3_field::{BasedVectorSpace, PrimeField64};
use p3_symmetric::{
    CryptographicPermutation, MerkleCap, PseudoCompressionFunction, TruncatedPermutation,
};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use fixpoint_circuit_prover::files::{self, FieldTag, FileError, FileKind};
use fixpoint_circuit_prover::{D, VerifyError};

use crate::pcs::{ProofShapeError, check_len};
use crate::uni_stark::Ext;

/// The chain digest's two packed slots, after the statement.
pub const CHAIN_SLOTS: usize = 2;

/// Public inputs a layer adds after the statement: the chain digest, then the depth.
pub const LAYER_SLOTS: usize = CHAIN_SLOTS + 1;

/// A chain digest from its [`CHAIN_SLOTS`] packed public slots.
pub fn unpack_chain<V: PrimeField64 + BinomiallyExtendable<D>>(
    slots: &[Ext<V>],
) -> Result<[V; 8], ProofShapeError> {
    check_len("chain digest slots", CHAIN_SLOTS, slots.len())?;
    let lanes: Vec<V> = slots
        .iter()
        .flat_map(|s| s.as_basis_coefficients_slice().to_vec())
        .collect();
    Ok(std::array::from_fn(|i| lanes[i]))
}

/// `compress(prev, root)` over every root of `key`: one step of the key chain.
pub fn chain_digest<V, P>(perm: &P, prev: [V; 8], key: &MerkleCap<V, [V; 8]>) -> [V; 8]
where
    V: PrimeField64,
    P: CryptographicPermutation<[V; 16]> + Clone,
{
    let compress = TruncatedPermutation::<P, 2, 8, 16>::new(perm.clone());
    key.roots()
        .iter()
        .fold(prev, |acc, root| compress.compress([acc, *root]))
}

/// The deepest recursion a result may claim: the verifier folds one compression per layer,
/// before it checks the proof, so this bounds that work (about 50 ms).
pub const MAX_DEPTH: u64 = 1 << 16;

/// The most roots a trusted commitment may have (keys commit with cap height 0: one root).
pub const MAX_CAP_ROOTS: usize = 16;

/// A key's preprocessed commitment in a trusted set: its Merkle roots as canonical
/// integers. It is what the key chain folds; the circuit of the layer above each key pins
/// that key's shape and FRI settings.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TrustedCommitment(pub Vec<[u32; 8]>);

impl TrustedCommitment {
    /// The trusted form of commitment `cap`.
    pub fn new<V: PrimeField64>(cap: &MerkleCap<V, [V; 8]>) -> Self {
        TrustedCommitment(
            cap.roots()
                .iter()
                .map(|root| root.map(|v| v.as_canonical_u64() as u32))
                .collect(),
        )
    }

    /// The commitment as field elements; a value at or above the prime is an error.
    pub fn cap<V: PrimeField64>(&self) -> Result<MerkleCap<V, [V; 8]>, RecursionCheckError> {
        if self.0.is_empty() || self.0.len() > MAX_CAP_ROOTS {
            return Err(RecursionCheckError::InvalidTrustedSet(format!(
                "a commitment has {} roots (1 to {MAX_CAP_ROOTS})",
                self.0.len()
            )));
        }
        let mut roots = Vec::with_capacity(self.0.len());
        for root in &self.0 {
            if let Some(&v) = root.iter().find(|&&v| u64::from(v) >= V::ORDER_U64) {
                return Err(RecursionCheckError::InvalidTrustedSet(format!(
                    "commitment value {v} is not below the prime {}",
                    V::ORDER_U64
                )));
            }
            roots.push(root.map(|v| V::from_u64(u64::from(v))));
        }
        Ok(MerkleCap::from(roots))
    }
}

/// What a verifier of recursion results trusts: fixed per base circuit and FRI settings,
/// whatever the depth of the result (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedKeys {
    /// The base field's name (`"KoalaBear"`, `"BabyBear"`).
    pub field: String,
    /// How many public inputs the base circuit's statement has.
    pub statement_len: u32,
    /// The base circuit's key.
    pub base: TrustedCommitment,
    /// The layer keys below the fixed point, layer 1 first.
    pub below_fixed_point: Vec<TrustedCommitment>,
    /// The fixed-point key's full hash ([`VerifyingKey::hash`](fixpoint_circuit_prover::VerifyingKey::hash)):
    /// every layer from `below_fixed_point.len() + 1` on has this key. Its commitment is
    /// the key's own, which the hash covers.
    pub fixed_point: [u8; 32],
}

impl TrustedKeys {
    /// The set as a file ([`fixpoint_circuit_prover::files`], kind
    /// [`FileKind::TrustedKeys`]).
    pub fn to_file(&self) -> Result<Vec<u8>, RecursionCheckError> {
        let field = self.field_tag()?;
        Ok(files::encode_file(field, FileKind::TrustedKeys, self))
    }

    /// A set from a file of [`to_file`](Self::to_file); the header's field must be the
    /// set's own.
    pub fn from_file(bytes: &[u8]) -> Result<Self, FileError> {
        let (header, payload) = files::Header::read(bytes)?;
        if header.kind != FileKind::TrustedKeys {
            return Err(FileError::WrongKind {
                expected: FileKind::TrustedKeys,
                found: header.kind,
            });
        }
        let set: TrustedKeys = files::decode_payload(FileKind::TrustedKeys, payload)?;
        if set.field != header.field.name() {
            return Err(FileError::Malformed {
                kind: FileKind::TrustedKeys,
                reason: format!("a {} file holding a set for {}", header.field, set.field),
            });
        }
        Ok(set)
    }

    /// The set's field as a file tag.
    pub fn field_tag(&self) -> Result<FieldTag, RecursionCheckError> {
        FieldTag::from_name(&self.field).ok_or_else(|| {
            RecursionCheckError::InvalidTrustedSet(format!("unknown field `{}`", self.field))
        })
    }

    /// The smallest depth a result under the fixed-point key can have.
    pub fn min_depth(&self) -> u64 {
        self.below_fixed_point.len() as u64 + 1
    }
}

/// Why a recursion result was rejected. Each variant names the check that failed.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum RecursionCheckError {
    /// The trusted set is for another field.
    #[error("the trusted key set is for {trusted}, this verifier for {verifier}")]
    WrongField {
        /// The set's field.
        trusted: String,
        /// The verifier's field.
        verifier: &'static str,
    },
    /// The trusted set is malformed (a commitment value out of range, an unknown field, …).
    #[error("the trusted key set is invalid: {0}")]
    InvalidTrustedSet(String),
    /// The final key is not the trusted fixed-point key.
    #[error(
        "the final key is not the trusted fixed-point key: it hashes to {}, the trusted key to {}",
        hex(found),
        hex(trusted)
    )]
    FinalKeyNotTrusted {
        /// The final key's hash.
        found: [u8; 32],
        /// The trusted fixed-point hash.
        trusted: [u8; 32],
    },
    /// The final key is below the verifier's minimum security.
    #[error("the final key has {bits} conjectured bits of security, below the minimum of {min}")]
    Insecure {
        /// Its conjectured bits.
        bits: usize,
        /// The minimum.
        min: usize,
    },
    /// The public inputs are too few to hold the chain digest and the depth.
    #[error("{got} public inputs, fewer than the {LAYER_SLOTS} a layer adds after the statement")]
    PublicsTooShort {
        /// The public inputs given.
        got: usize,
    },
    /// The statement has another length than the one expected.
    #[error("the result's statement has {got} public inputs, {expected} were expected")]
    StatementLength {
        /// The expected statement's length.
        expected: usize,
        /// The result's.
        got: usize,
    },
    /// The statement differs from the one expected.
    #[error("the result's statement differs from the expected one at public input {index}")]
    StatementMismatch {
        /// The first differing public input.
        index: usize,
    },
    /// The depth is not a base-field integer in range.
    #[error("the result's depth {0}")]
    Depth(String),
    /// The chain digest is not the trusted keys' chain at the claimed depth.
    #[error("the key chain is not the trusted keys' chain at depth {depth}")]
    ChainMismatch {
        /// The depth the result claims.
        depth: u64,
    },
    /// The proof does not verify under the final key.
    #[error("the final proof does not verify")]
    Proof(#[source] VerifyError),
}

/// Lowercase hex of a hash.
pub use fixpoint_circuit_prover::keys::hex;

/// The chain digest of `keys`, folded from zero: what a proof of depth `keys.len()` carries.
pub fn chain_of<'a, V, P>(
    perm: &P,
    keys: impl IntoIterator<Item = &'a MerkleCap<V, [V; 8]>>,
) -> [V; 8]
where
    V: PrimeField64 + 'a,
    P: CryptographicPermutation<[V; 16]> + Clone,
{
    keys.into_iter()
        .fold([V::ZERO; 8], |acc, key| chain_digest(perm, acc, key))
}

/// The final key's file in a bundle directory.
pub const BUNDLE_VK: &str = "final-key.fxp";
/// The final proof's file in a bundle directory.
pub const BUNDLE_PROOF: &str = "proof.fxp";
/// The public inputs' file in a bundle directory.
pub const BUNDLE_PUBLICS: &str = "publics.fxp";
/// The trusted key set's file in a bundle directory.
pub const BUNDLE_TRUSTED_KEYS: &str = "trusted-keys.fxp";

/// Why a bundle could not be written or read.
#[derive(Clone, Debug, Error)]
pub enum BundleError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The I/O error.
        #[source]
        source: std::sync::Arc<std::io::Error>,
    },
    /// A file does not decode.
    #[error("{file}: {source}")]
    File {
        /// The file's name in the bundle.
        file: &'static str,
        /// Why.
        #[source]
        source: FileError,
    },
    /// The trusted set cannot be written.
    #[error(transparent)]
    Check(#[from] RecursionCheckError),
}

/// Writes `files` (name and bytes) into `dir`, created if missing: a bundle's files.
pub(crate) fn write_bundle_files(
    dir: &std::path::Path,
    files: &[(&str, Vec<u8>)],
) -> Result<(), BundleError> {
    let io = |path: std::path::PathBuf| {
        move |source| BundleError::Io {
            path,
            source: std::sync::Arc::new(source),
        }
    };
    std::fs::create_dir_all(dir).map_err(io(dir.to_path_buf()))?;
    for (name, bytes) in files {
        let path = dir.join(name);
        std::fs::write(&path, bytes).map_err(io(path.clone()))?;
    }
    Ok(())
}

/// The bytes of bundle file `name` in `dir`.
pub(crate) fn read_bundle_file(dir: &std::path::Path, name: &str) -> Result<Vec<u8>, BundleError> {
    let path = dir.join(name);
    std::fs::read(&path).map_err(|source| BundleError::Io {
        path,
        source: std::sync::Arc::new(source),
    })
}

/// The depth a result's last public input claims: a base-field integer (its other
/// coordinates zero) from the trusted set's first fixed-point depth to [`MAX_DEPTH`].
pub(crate) fn depth_of<V>(
    slot: &crate::uni_stark::Ext<V>,
    trusted: &TrustedKeys,
) -> Result<u64, RecursionCheckError>
where
    V: PrimeField64 + p3_field::extension::BinomiallyExtendable<{ fixpoint_circuit_prover::D }>,
{
    use p3_field::BasedVectorSpace;
    let coords: &[V] =
        <crate::uni_stark::Ext<V> as BasedVectorSpace<V>>::as_basis_coefficients_slice(slot);
    if coords[1..].iter().any(|c| *c != V::ZERO) {
        return Err(RecursionCheckError::Depth(
            "is not a base-field integer".into(),
        ));
    }
    let depth = coords[0].as_canonical_u64();
    if depth < trusted.min_depth() {
        return Err(RecursionCheckError::Depth(format!(
            "{depth} is below the fixed point: the trusted set's first fixed-point layer is {}",
            trusted.min_depth()
        )));
    }
    if depth > MAX_DEPTH {
        return Err(RecursionCheckError::Depth(format!(
            "{depth} is above the most this verifier folds ({MAX_DEPTH})"
        )));
    }
    Ok(depth)
}
