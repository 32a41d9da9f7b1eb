//! Checking a tree's root proof with only published bytes: the [`TrustedTree`] (the
//! allow-list root and the node key's hash) and the root's key, proof and public inputs.
//!
//! **What is checked** (cheapest first): the key hashes to the trusted node key (or, for a
//! tree of one level, to a trusted base node's key); it is at
//! least as secure as demanded; the public inputs are the expected statement, then the
//! trusted allow-list root; the proof verifies under the key.
//!
//! **Why that is enough.** The node circuit (pinned by the key's hash) verified each of its
//! children with the node key's own shape and FRI settings, under a key whose leaf
//! (shape digest and commitment, [`super::allow_list`]) is in the list of the root it
//! outputs, and with that root as the child's last public inputs; and its statement is
//! the combine function of its children's. By induction down to the base nodes, each of
//! which verified base proofs under listed base keys with the shapes it pins and combined
//! their statements, the root's statement is the combine function folded over base
//! statements, each proved under a key of the trusted list, whatever the tree's depth.

use fixpoint_circuit_prover::files::{self, FieldTag, FileError, FileKind};
use fixpoint_circuit_prover::{
    FieldFamily, Proof, Stark, VerifyError, VerifyOptions, VerifyingKey, poseidon2, verify,
};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::allow_list::ROOT_SLOTS;
use crate::trusted::{
    BUNDLE_PROOF, BUNDLE_PUBLICS, BUNDLE_VK, BundleError, hex, read_bundle_file, write_bundle_files,
};
use crate::uni_stark::Ext;

/// What a verifier of tree roots trusts: the allow-list root and the node key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedTree {
    /// The base field's name (`"KoalaBear"`, `"BabyBear"`).
    pub field: String,
    /// How many public inputs the tree's statement has.
    pub statement_len: u32,
    /// The allow-list root, as canonical integers.
    pub allow_root: [u32; 8],
    /// The node key's full hash ([`VerifyingKey::hash`]): the root of a tree of two
    /// levels or more is a proof under it.
    pub node_key: [u8; 32],
    /// The base nodes' key hashes: the root of a tree of one level is a proof under one of
    /// them.
    pub base_node_keys: Vec<[u8; 32]>,
}

/// Why a tree's root proof was rejected; each variant names the check that failed.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum TreeCheckError {
    /// The trusted tree is for another field.
    #[error("the trusted tree is for {trusted}, this verifier for {verifier}")]
    WrongField {
        /// The trusted tree's field.
        trusted: String,
        /// The verifier's field.
        verifier: &'static str,
    },
    /// The root's key is neither the trusted node key nor a trusted base node's key.
    #[error(
        "the root's key is not the trusted node key: it hashes to {}, the trusted node key to {}",
        hex(found),
        hex(trusted)
    )]
    KeyNotTrusted {
        /// The key's hash.
        found: [u8; 32],
        /// The trusted hash.
        trusted: [u8; 32],
    },
    /// The key is below the verifier's minimum security.
    #[error("the node key has {bits} conjectured bits of security, below the minimum of {min}")]
    Insecure {
        /// Its conjectured bits.
        bits: usize,
        /// The minimum.
        min: usize,
    },
    /// The public inputs are not the statement and a root.
    #[error("the root proof has {got} public inputs, {expected} were expected")]
    PublicCount {
        /// The statement's length plus the root's slots.
        expected: usize,
        /// The proof's.
        got: usize,
    },
    /// The statement differs from the one expected.
    #[error("the root's statement differs from the expected one at public input {index}")]
    StatementMismatch {
        /// The first differing public input.
        index: usize,
    },
    /// The root proof carries another allow-list root.
    #[error("the root proof's allow-list root is not the trusted one")]
    AllowRootMismatch,
    /// The trusted tree holds a value at or above the prime.
    #[error("the trusted tree is invalid: {0}")]
    InvalidTrustedTree(String),
    /// The proof does not verify under the key.
    #[error("the root proof does not verify")]
    Proof(#[source] VerifyError),
}

impl TrustedTree {
    /// The trusted root as public slots.
    fn root_slots<F: FieldFamily>(&self) -> Result<Vec<Ext<F>>, TreeCheckError>
    where
        Ext<F>: fixpoint_circuit::CircuitField<PrimeSubfield = F>,
    {
        if let Some(&v) = self
            .allow_root
            .iter()
            .find(|&&v| u64::from(v) >= F::ORDER_U64)
        {
            return Err(TreeCheckError::InvalidTrustedTree(format!(
                "root value {v} is not below the prime {}",
                F::ORDER_U64
            )));
        }
        let root = self.allow_root.map(|v| F::from_u64(u64::from(v)));
        Ok(poseidon2::pack_values::<Ext<F>>(&root))
    }

    /// The trusted tree as a file ([`FileKind::TrustedTree`]).
    pub fn to_file(&self) -> Result<Vec<u8>, TreeCheckError> {
        let field = FieldTag::from_name(&self.field).ok_or_else(|| {
            TreeCheckError::InvalidTrustedTree(format!("unknown field `{}`", self.field))
        })?;
        Ok(files::encode_file(field, FileKind::TrustedTree, self))
    }

    /// A trusted tree from a file of [`to_file`](Self::to_file).
    pub fn from_file(bytes: &[u8]) -> Result<Self, FileError> {
        let (header, payload) = files::Header::read(bytes)?;
        if header.kind != FileKind::TrustedTree {
            return Err(FileError::WrongKind {
                expected: FileKind::TrustedTree,
                found: header.kind,
            });
        }
        let tree: TrustedTree = files::decode_payload(FileKind::TrustedTree, payload)?;
        if tree.field != header.field.name() {
            return Err(FileError::Malformed {
                kind: FileKind::TrustedTree,
                reason: format!("a {} file holding a tree for {}", header.field, tree.field),
            });
        }
        Ok(tree)
    }
}

/// Checks a tree's root proof with only what a third party holds: the `trusted` tree,
/// the `statement` they expect, and the root's key, public inputs and proof.
pub fn verify_tree<F: FieldFamily>(
    trusted: &TrustedTree,
    statement: &[Ext<F>],
    vk: &VerifyingKey<Stark<F>, poseidon2::Table>,
    publics: &[Ext<F>],
    proof: &Proof<Stark<F>>,
    options: &VerifyOptions,
) -> Result<(), TreeCheckError>
where
    Ext<F>: fixpoint_circuit::CircuitField<PrimeSubfield = F>,
{
    let field = F::FIELD.name();
    if trusted.field != field {
        return Err(TreeCheckError::WrongField {
            trusted: trusted.field.clone(),
            verifier: field,
        });
    }
    let hash = vk.hash();
    if hash != trusted.node_key && !trusted.base_node_keys.contains(&hash) {
        return Err(TreeCheckError::KeyNotTrusted {
            found: hash,
            trusted: trusted.node_key,
        });
    }
    check_security(vk, options)?;
    check_root_publics::<F>(trusted, statement, publics)?;
    verify(vk, publics, proof).map_err(TreeCheckError::Proof)
}

/// The key's FRI settings are valid and at least as secure as `options` demands.
pub(crate) fn check_security<F: FieldFamily>(
    vk: &VerifyingKey<Stark<F>, poseidon2::Table>,
    options: &VerifyOptions,
) -> Result<(), TreeCheckError> {
    vk.fri.validate().map_err(|e| {
        TreeCheckError::Proof(VerifyError::InvalidKey(
            fixpoint_circuit_prover::KeyError::FriSettings(e),
        ))
    })?;
    let (bits, min) = (
        vk.fri.conjectured_security_bits(),
        options.min_conjectured_bits,
    );
    if bits < min {
        return Err(TreeCheckError::Insecure { bits, min });
    }
    Ok(())
}

/// A root's public inputs are `statement`, then `trusted`'s allow-list root.
pub(crate) fn check_root_publics<F: FieldFamily>(
    trusted: &TrustedTree,
    statement: &[Ext<F>],
    publics: &[Ext<F>],
) -> Result<(), TreeCheckError>
where
    Ext<F>: fixpoint_circuit::CircuitField<PrimeSubfield = F>,
{
    let expected = trusted.statement_len as usize + ROOT_SLOTS;
    if publics.len() != expected || statement.len() != trusted.statement_len as usize {
        return Err(TreeCheckError::PublicCount {
            expected,
            got: publics.len(),
        });
    }
    if let Some(index) = (0..statement.len()).find(|&i| publics[i] != statement[i]) {
        return Err(TreeCheckError::StatementMismatch { index });
    }
    if publics[statement.len()..] != trusted.root_slots::<F>()?[..] {
        return Err(TreeCheckError::AllowRootMismatch);
    }
    Ok(())
}

/// The trusted tree's file in a tree bundle directory (beside the root's
/// [`BUNDLE_VK`], [`BUNDLE_PROOF`] and [`BUNDLE_PUBLICS`]).
pub const BUNDLE_TRUSTED_TREE: &str = "trusted-tree.fxp";

/// A tree's result as published: the root's key, proof and public inputs, and the trusted
/// tree, one file each in a directory.
pub struct TreeBundle<F: FieldFamily> {
    /// The node key.
    pub vk: VerifyingKey<Stark<F>, poseidon2::Table>,
    /// The root proof.
    pub proof: Proof<Stark<F>>,
    /// Its public inputs.
    pub publics: Vec<Ext<F>>,
    /// The trusted tree (a verifier keeps its own copy).
    pub trusted: TrustedTree,
}

impl<F: FieldFamily> TreeBundle<F> {
    /// Writes the four files into `dir`, created if missing.
    pub fn write(&self, dir: &std::path::Path) -> Result<(), BundleError> {
        if self.trusted.field != F::FIELD.name() {
            return Err(BundleError::Check(
                crate::trusted::RecursionCheckError::WrongField {
                    trusted: self.trusted.field.clone(),
                    verifier: F::FIELD.name(),
                },
            ));
        }
        write_bundle_files(
            dir,
            &[
                (BUNDLE_VK, self.vk.to_file()),
                (BUNDLE_PROOF, self.proof.to_file()),
                (
                    BUNDLE_PUBLICS,
                    files::public_inputs_to_file(F::FIELD, &self.publics),
                ),
                (
                    BUNDLE_TRUSTED_TREE,
                    files::encode_file(F::FIELD, FileKind::TrustedTree, &self.trusted),
                ),
            ],
        )
    }

    /// Reads a bundle written by [`TreeBundle::write`]; every file is decoded canonically
    /// and nothing is verified yet ([`verify_tree`]).
    pub fn read(dir: &std::path::Path) -> Result<Self, BundleError> {
        let read = |name: &str| read_bundle_file(dir, name);
        let file = |name: &'static str| move |source| BundleError::File { file: name, source };
        Ok(TreeBundle {
            vk: VerifyingKey::from_file(&read(BUNDLE_VK)?).map_err(file(BUNDLE_VK))?,
            proof: Proof::from_file(&read(BUNDLE_PROOF)?).map_err(file(BUNDLE_PROOF))?,
            publics: files::public_inputs_from_file(F::FIELD, &read(BUNDLE_PUBLICS)?)
                .map_err(file(BUNDLE_PUBLICS))?,
            trusted: TrustedTree::from_file(&read(BUNDLE_TRUSTED_TREE)?)
                .map_err(file(BUNDLE_TRUSTED_TREE))?,
        })
    }

    /// [`verify_tree`] on the bundle, with the given trusted tree (a verifier's own copy)
    /// or, when `None`, the bundle's; the statement is the bundle's own.
    pub fn verify(
        &self,
        trusted: Option<&TrustedTree>,
        options: &VerifyOptions,
    ) -> Result<(), TreeCheckError>
    where
        Ext<F>: fixpoint_circuit::CircuitField<PrimeSubfield = F>,
    {
        let trusted = trusted.unwrap_or(&self.trusted);
        let own = self.publics.len().saturating_sub(ROOT_SLOTS);
        verify_tree(
            trusted,
            &self.publics[..own],
            &self.vk,
            &self.publics,
            &self.proof,
            options,
        )
    }
}
