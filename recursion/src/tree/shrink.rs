//! The shrink layer: one last layer over a tree's root, proved with FRI settings of its own
//! (a larger blowup, fewer queries, wider folding) to make the final proof small.
//!
//! The shrink circuit is a chain layer ([`crate::layers::layer_circuit`]) built from the
//! root key's shape; it verifies the root proof under the root key's commitment, forwards
//! the root's public inputs (the statement and the allow-list root) and adds the chain
//! digest `compress(0, commitment)` and the depth 1. Its own proof is never verified in a
//! circuit, so its settings are free of what a verifier circuit of them would cost.
//!
//! **What a verifier holds** ([`TrustedShrink`]): the trusted tree, the shrink key's hash
//! and the commitments of the keys a root may be under (the node key's and the base
//! nodes'). The shrink circuit, pinned by its key's hash, pins the root key's shape; the
//! chain digest names its commitment; the two together name the root key.

use fixpoint_circuit_prover::{
    FieldFamily, FriSettings, Proof, ProofReport, ProverConfig, SetupOptions, Stark, VerifyOptions,
    VerifyingKey, poseidon2, setup_with, verify,
};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::TreeError;
use super::prove::TreeProof;
use super::setup::{NodeKey, TreeSetup};
use super::verify::{TreeCheckError, TrustedTree, check_root_publics, check_security};
use crate::layers::{
    CHAIN_SLOTS, LAYER_SLOTS, LayerCircuit, layer_circuit, prove_layer, unpack_chain,
};
use crate::trusted::{TrustedCommitment, chain_of};
use crate::uni_stark::Ext;

/// FRI settings for a small final proof at 124 conjectured bits: a blowup of 64, 17
/// queries, 22 bits of query grinding and folding by 8 (fixpoint's prover commits to one
/// root: no cap). Measured on `aggregate_fibonacci --n 1048576 --segments 16 --shrink`:
/// the shrunk root is 184–193 KB (the tree's root about 330 KB), for 4–8 s of proving (the
/// grinding varies); folding by 16 made it larger (193,641 bytes against 184,585 in one
/// pair of runs: 15 siblings per query and round).
pub const SHRINK_124: FriSettings = FriSettings {
    log_blowup: 6,
    num_queries: 17,
    query_pow_bits: 22,
    commit_pow_bits: 0,
    max_log_arity: 3,
    log_final_poly_len: 3,
    batch_pow_bits: 0,
    cap_height: 0,
};

/// The shrink layer of a tree setup: its circuit and proving key.
pub struct Shrink<F: FieldFamily> {
    /// The layer circuit over the tree's root key shape.
    pub layer: LayerCircuit<F>,
    /// Its proving key, under the shrink settings.
    pub pk: NodeKey<F>,
}

/// A shrunk root: the shrink layer's proof, its public inputs and what it cost.
pub struct ShrunkProof<F: FieldFamily> {
    /// The proof, under the shrink key.
    pub proof: Proof<Stark<F>>,
    /// Its public inputs: the root's (statement, allow-list root), the chain digest of the
    /// root key and the depth 1.
    pub publics: Vec<Ext<F>>,
    /// What the proof cost.
    pub report: ProofReport,
}

/// Builds and sets up the shrink layer over roots under `setup`'s node key (base nodes
/// have its shape), proved with `settings`.
pub fn shrink_setup<F: FieldFamily>(
    setup: &TreeSetup<F>,
    settings: FriSettings,
) -> Result<Shrink<F>, TreeError<F>>
where
    Ext<F>: fixpoint_circuit::CircuitField<PrimeSubfield = F>,
{
    let layer =
        layer_circuit(&setup.node_pk.vk, false).map_err(|source| TreeError::Key { source })?;
    let options = SetupOptions::new()
        .with_bus(setup.node_pk.vk.layout.bus())
        .with_npos(&poseidon2::Table::ALL);
    let (pk, _) = setup_with(
        &layer.circuit,
        &ProverConfig::<Stark<F>>::new(settings),
        &options,
    )
    .map_err(|source| TreeError::Setup { source })?;
    Ok(Shrink { layer, pk })
}

/// Proves the shrink layer over `root`.
pub fn prove_shrink<F: FieldFamily>(
    shrink: &Shrink<F>,
    root: &TreeProof<F>,
) -> Result<ShrunkProof<F>, TreeError<F>>
where
    Ext<F>: fixpoint_circuit::CircuitField<PrimeSubfield = F>,
{
    let proved = prove_layer(
        1,
        &shrink.layer,
        &shrink.pk,
        &root.vk,
        &root.proof,
        &root.publics,
    )
    .map_err(|e| TreeError::Shrink(Box::new(e)))?;
    verify(&shrink.pk.vk, &proved.publics, &proved.proof)
        .map_err(|source| TreeError::Verify { source })?;
    Ok(ShrunkProof {
        proof: proved.proof,
        publics: proved.publics,
        report: proved.report,
    })
}

/// What a verifier of shrunk roots trusts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedShrink {
    /// The tree's allow-list root and keys.
    pub tree: TrustedTree,
    /// The shrink key's full hash.
    pub shrink_key: [u8; 32],
    /// The commitments of the keys a root may be under: the node key's, then the base
    /// nodes'.
    pub root_keys: Vec<TrustedCommitment>,
}

impl<F: FieldFamily> Shrink<F> {
    /// What a verifier of this shrink layer's proofs over `setup`'s trees trusts.
    pub fn trusted(&self, setup: &TreeSetup<F>) -> Result<TrustedShrink, TreeError<F>> {
        Ok(TrustedShrink {
            tree: setup.trusted()?,
            shrink_key: self.pk.vk.hash(),
            root_keys: std::iter::once(&setup.node_pk.vk)
                .chain(setup.base_nodes.iter().map(|b| &b.pk.vk))
                .map(|vk| TrustedCommitment::new(&vk.preprocessed_commitment))
                .collect(),
        })
    }
}

/// Why a shrunk root was rejected.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ShrinkCheckError {
    /// The key is not the trusted shrink key.
    #[error("the key is not the trusted shrink key")]
    KeyNotTrusted,
    /// The public inputs are not the root's, a chain digest and a depth.
    #[error("{got} public inputs, {expected} were expected")]
    PublicCount {
        /// The statement, the allow-list root, the chain and the depth.
        expected: usize,
        /// The proof's.
        got: usize,
    },
    /// The chain digest names no trusted root key, or the depth is not 1.
    #[error("the shrunk proof's chain names no trusted root key")]
    ChainMismatch,
    /// A trusted commitment is malformed.
    #[error("a trusted root key is invalid")]
    InvalidTrusted,
    /// The forwarded root publics fail the tree's checks.
    #[error(transparent)]
    Tree(#[from] TreeCheckError),
}

/// Checks a shrunk root with only what a third party holds: `trusted`, the `statement`
/// they expect, and the shrink key, public inputs and proof.
pub fn verify_shrunk<F: FieldFamily>(
    trusted: &TrustedShrink,
    statement: &[Ext<F>],
    vk: &VerifyingKey<Stark<F>, poseidon2::Table>,
    publics: &[Ext<F>],
    proof: &Proof<Stark<F>>,
    options: &VerifyOptions,
) -> Result<(), ShrinkCheckError>
where
    Ext<F>: fixpoint_circuit::CircuitField<PrimeSubfield = F>,
{
    if trusted.tree.field != F::FIELD.name() {
        return Err(TreeCheckError::WrongField {
            trusted: trusted.tree.field.clone(),
            verifier: F::FIELD.name(),
        }
        .into());
    }
    if vk.hash() != trusted.shrink_key {
        return Err(ShrinkCheckError::KeyNotTrusted);
    }
    let root_len = trusted.tree.statement_len as usize + super::ROOT_SLOTS;
    if publics.len() != root_len + LAYER_SLOTS {
        return Err(ShrinkCheckError::PublicCount {
            expected: root_len + LAYER_SLOTS,
            got: publics.len(),
        });
    }
    let chain = unpack_chain::<F>(&publics[root_len..root_len + CHAIN_SLOTS])
        .map_err(|_| ShrinkCheckError::ChainMismatch)?;
    let perm = F::permutation();
    let mut named = false;
    for key in &trusted.root_keys {
        let cap = key
            .cap::<F>()
            .map_err(|_| ShrinkCheckError::InvalidTrusted)?;
        named |= chain_of(&perm, [&cap]) == chain;
    }
    if !named
        || publics[root_len + CHAIN_SLOTS] != <Ext<F> as p3_field::PrimeCharacteristicRing>::ONE
    {
        return Err(ShrinkCheckError::ChainMismatch);
    }
    check_security(vk, options)?;
    check_root_publics::<F>(&trusted.tree, statement, &publics[..root_len])?;
    verify(vk, publics, proof).map_err(|e| TreeCheckError::Proof(e).into())
}
