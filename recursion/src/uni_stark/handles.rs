//! The verifier circuit's handles: the inner proof's targets and what the runner needs
//! besides the input values. A leaf of [`uni_stark`](super).

use fixpoint_circuit::{PrivateGroup, Target};
use fixpoint_circuit_prover::merkle::Digest;

use crate::fri::QueryPaths;
use crate::pcs::PcsInputs;

/// The inner proof's values as targets, in allocation order.
#[derive(Clone, Debug)]
pub struct UniStarkInputs {
    /// The public values (public inputs).
    pub public_values: Vec<Target>,
    /// The trace commitment's roots.
    pub trace_commitment: Vec<Digest>,
    /// The quotient commitment's roots.
    pub quotient_commitment: Vec<Digest>,
    /// The trace at `ζ`.
    pub trace_local: Vec<Target>,
    /// The trace at `ζ·h`, when the AIR reads the next row.
    pub trace_next: Option<Vec<Target>>,
    /// The preprocessed trace at `ζ`.
    pub preprocessed_local: Vec<Target>,
    /// The preprocessed trace at `ζ·h`, when the AIR reads its next row.
    pub preprocessed_next: Option<Vec<Target>>,
    /// Per quotient chunk, its `D` coordinates at `ζ`.
    pub quotient_chunks: Vec<Vec<Target>>,
    /// The OOD PoW witness.
    pub ood_pow: Target,
}

/// The verifier circuit's handles: what the runner needs besides the input values.
#[derive(Clone, Debug)]
pub struct UniStarkVerifier {
    /// The proof's targets.
    pub inputs: UniStarkInputs,
    /// The PCS's targets.
    pub pcs: PcsInputs,
    /// The Merkle paths whose siblings are private data.
    pub paths: QueryPaths,
    /// Every private input this verifier allocated (what [`UniStarkWitness::fill`](super::UniStarkWitness::fill) sets).
    pub privates: PrivateGroup,
}
