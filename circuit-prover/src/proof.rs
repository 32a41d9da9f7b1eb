//! The proof: p3's batch proof, with a checked decoder.

use p3_batch_stark::BatchProof;
use p3_uni_stark::StarkGenericConfig;
use serde::{Deserialize, Serialize};

use crate::error::DecodeError;

/// A proof that a circuit's traces are a valid execution.
#[derive(Serialize, Deserialize)]
#[serde(bound = "")]
pub struct Proof<SC: StarkGenericConfig> {
    /// p3-batch-stark's proof of the five tables.
    pub inner: BatchProof<SC>,
}

impl<SC: StarkGenericConfig> Proof<SC> {
    /// The proof's postcard encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        crate::error::encode(self)
    }

    /// Decodes a proof. Malformed bytes are an error, never a panic; a decoded proof's
    /// shape is checked against the verifying key by [`crate::verify`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        crate::error::decode("proof", bytes)
    }
}
