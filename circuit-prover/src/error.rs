//! Errors of setup, proving and verification.

use thiserror::Error;

/// Why `setup` failed.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum SetupError {
    /// The circuit breaks an IR invariant.
    #[error("the circuit is not valid IR: {0}")]
    InvalidCircuit(#[from] fixpoint_circuit::IrError),
    /// The circuit uses a non-primitive op kind for which no table was given.
    #[error("the circuit uses {kind}, but no table for it was given to setup")]
    UnsupportedNpo {
        /// The op's kind.
        kind: fixpoint_circuit::NpoKind,
    },
    /// Two tables were given for one NPO kind.
    #[error("two tables were given for {kind}")]
    DuplicateNpoTable {
        /// The kind.
        kind: fixpoint_circuit::NpoKind,
    },
    /// An NPO call's input or output count differs from its table's.
    #[error("a {kind} call has {got:?} (inputs, outputs) but its table expects {expected:?}")]
    NpoShape {
        /// The kind.
        kind: fixpoint_circuit::NpoKind,
        /// The table's (inputs, outputs).
        expected: (usize, usize),
        /// The call's (inputs, outputs).
        got: (usize, usize),
    },
    /// An NPO table aliases a port to columns past its extra columns.
    #[error(
        "the {kind} table aliases port {port} to extra columns {columns:?}, but it has only {extra} extra columns"
    )]
    NpoPortAlias {
        /// The kind.
        kind: fixpoint_circuit::NpoKind,
        /// The port (inputs first, then outputs).
        port: usize,
        /// The extra columns the alias names.
        columns: std::ops::Range<usize>,
        /// The table's extra columns.
        extra: usize,
    },
    /// The FRI settings are ones p3 cannot prove with.
    #[error("invalid FRI settings: {0}")]
    InvalidFriSettings(&'static str),
    /// The PCS failed to commit the preprocessed columns.
    #[error("committing the preprocessed columns failed: {0}")]
    Commit(String),
}

/// Why `prove` failed.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ProveError {
    /// A trace does not have the circuit's shape (it belongs to another circuit).
    #[error("the {table} trace has {got} entries but the circuit has {expected}")]
    TraceShape {
        /// The table.
        table: &'static str,
        /// Entries the circuit has.
        expected: usize,
        /// Entries in the trace.
        got: usize,
    },
    /// A base-valued port of an NPO table holds an extension-field value.
    #[error("op {op} ({kind}) has an extension-field value at base-valued port {port}")]
    NotBase {
        /// The NPO kind.
        kind: String,
        /// The op in the circuit.
        op: u32,
        /// The port (inputs, then outputs).
        port: usize,
    },
    /// The p3 prover failed.
    #[error("the STARK prover failed: {0}")]
    Stark(String),
}

/// Why `verify` rejected a proof.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum VerifyError {
    /// Wrong number of public inputs for the verifying key.
    #[error("the verifying key expects {expected} public inputs, got {got}")]
    PublicInputCount {
        /// Public inputs the circuit has.
        expected: usize,
        /// Public inputs given.
        got: usize,
    },
    /// The verifying key is internally inconsistent (corrupted or hand-made).
    #[error("the verifying key is invalid: {0}")]
    InvalidKey(String),
    /// The key's conjectured security is below the verifier's minimum
    /// ([`VerifyOptions`](crate::VerifyOptions)).
    #[error(
        "the verifying key has {bits} conjectured bits of security, below the minimum of {min}"
    )]
    Insecure {
        /// The key's conjectured bits.
        bits: usize,
        /// The verifier's minimum.
        min: usize,
    },
    /// The proof's shape (table count, heights) differs from the verifying key's.
    #[error("the proof's shape does not match the verifying key: {0}")]
    Shape(String),
    /// The STARK verifier rejected the proof.
    #[error("the proof is invalid: {0}")]
    Rejected(String),
}

/// Why proof or key bytes could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("malformed {what}: {reason}")]
pub struct DecodeError {
    /// What was being decoded.
    pub what: &'static str,
    /// The decoder's message.
    pub reason: String,
}

/// Postcard-encodes `value` (to memory: cannot fail).
pub(crate) fn encode<T: serde::Serialize>(value: &T) -> Vec<u8> {
    postcard::to_allocvec(value).expect("serialising to memory cannot fail")
}

/// Postcard-decodes a `what`; malformed bytes are a [`DecodeError`], never a panic.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    what: &'static str,
    bytes: &[u8],
) -> Result<T, DecodeError> {
    postcard::from_bytes(bytes).map_err(|e| DecodeError {
        what,
        reason: e.to_string(),
    })
}
