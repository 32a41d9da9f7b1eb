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

    /// The proof as a file ([`crate::files`]): header, then its canonical encoding.
    pub fn to_file(&self) -> Vec<u8>
    where
        SC: crate::CircuitStark,
    {
        crate::files::encode_file(SC::FIELD, crate::files::FileKind::Proof, self)
    }

    /// A proof from a file of [`to_file`](Self::to_file) over this configuration's field.
    pub fn from_file(bytes: &[u8]) -> Result<Self, crate::files::FileError>
    where
        SC: crate::CircuitStark,
    {
        crate::files::decode_file(SC::FIELD, crate::files::FileKind::Proof, bytes)
    }

    /// Decodes a proof. Malformed bytes are an error, never a panic; a decoded proof's
    /// shape is checked against the verifying key by [`crate::verify`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        crate::error::decode("proof", bytes)
    }
}
