//! What one layer cost: a leaf of [`layers`](super), read by the run and its outcome.

use std::time::Duration;

use fixpoint_circuit::{CircuitId, CircuitStats};
use fixpoint_circuit_prover::ProofReport;
use serde::{Deserialize, Serialize};

/// What one layer cost.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LayerReport {
    /// 1 verifies the base proof.
    pub layer: usize,
    /// The circuit's content hash.
    pub circuit_id: CircuitId,
    /// Ops by kind and scope.
    pub stats: CircuitStats,
    /// Rows, columns and phase times of the proof.
    pub proof: ProofReport,
    /// Circuit build time.
    pub build: Duration,
    /// Setup time (zero when the previous layer's setup was reused).
    pub setup: Duration,
    /// Witness generation and run time.
    pub run: Duration,
    /// Prove time.
    pub prove: Duration,
    /// Verify time.
    pub verify: Duration,
    /// The verifying key's hash.
    pub vk_hash: [u8; 32],
    /// Whether this layer's circuit is the previous layer's: the fixed point.
    pub fixed_point: bool,
}
