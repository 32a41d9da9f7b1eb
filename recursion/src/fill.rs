//! Why a verifier circuit's inputs could not be given to its runner.

use fixpoint_circuit::RunError;
use p3_field::Field;
use thiserror::Error;

use crate::pcs::ProofShapeError;

/// Why a witness could not fill a verifier circuit's runner (`fill` of the uni-stark,
/// batch-stark, fixpoint and layer witnesses).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum FillError<F: Field> {
    /// The proof's Merkle paths do not have the circuit's shape.
    #[error("the Merkle paths do not fit the verifier circuit")]
    Paths(#[source] ProofShapeError),
    /// The runner refused the public or private inputs (their count, most likely).
    #[error("the runner refused the verifier's inputs")]
    Inputs(#[source] RunError<F>),
}
