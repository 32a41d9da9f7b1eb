//! Errors of setup, proving and verification.

use std::fmt::{self, Display, Formatter};
use std::sync::Arc;

use fixpoint_circuit::NpoKind;
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
    InvalidFriSettings(#[from] FriSettingsError),
    /// The PCS failed to commit the preprocessed columns.
    #[error("committing the preprocessed columns failed")]
    Commit(#[source] P3Error),
}

/// Which FRI setting p3 could not prove or verify with
/// ([`FriSettings::validate`](crate::FriSettings::validate)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum FriSettingsError {
    /// `log_blowup` is 0: FRI needs a blowup of at least 2.
    #[error("log_blowup must be at least 1")]
    NoBlowup,
    /// `max_log_arity` is 0: every round must fold.
    #[error("max_log_arity must be at least 1")]
    NoFolding,
    /// `num_queries` is 0.
    #[error("num_queries must be at least 1")]
    NoQueries,
    /// More queries than a verifier allocates for.
    #[error("num_queries is {got}, at most {max} are allowed")]
    TooManyQueries {
        /// The settings' queries.
        got: usize,
        /// [`MAX_NUM_QUERIES`](crate::config::MAX_NUM_QUERIES).
        max: usize,
    },
    /// A wider fold than a verifier allocates for.
    #[error("max_log_arity is {got}, at most {max} is allowed")]
    ArityTooLarge {
        /// The settings' log arity.
        got: usize,
        /// [`MAX_LOG_ARITY`](crate::config::MAX_LOG_ARITY).
        max: usize,
    },
    /// A batch PoW: fixpoint's prover grinds none, and a key does not record one.
    #[error("batch_pow_bits is {got}, but it must be 0: fixpoint's prover grinds no batch PoW")]
    BatchPow {
        /// The settings' batch PoW bits.
        got: usize,
    },
    /// A Merkle cap: fixpoint's prover commits to one root, and a key does not record a cap.
    #[error("cap_height is {got}, but it must be 0: fixpoint's prover commits to one root")]
    CapHeight {
        /// The settings' cap height.
        got: usize,
    },
    /// A PoW of 31 bits or more: `2^bits` must stay below the field order.
    #[error(
        "PoW bits must be below 31 (2^bits must stay below the field order), got \
         {query_pow_bits} query and {commit_pow_bits} commit bits"
    )]
    PowBits {
        /// The settings' query PoW bits.
        query_pow_bits: usize,
        /// The settings' commit-phase PoW bits.
        commit_pow_bits: usize,
    },
    /// The shortest table's LDE does not fit the fields' two-adicity (24).
    #[error(
        "log_final_poly_len + 1 + log_blowup must be at most 24, got {log_final_poly_len} + 1 \
         + {log_blowup}"
    )]
    LdeTooTall {
        /// The settings' log blowup.
        log_blowup: usize,
        /// The settings' log final-polynomial length.
        log_final_poly_len: usize,
    },
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
    #[error("the STARK prover failed")]
    Stark(#[source] P3Error),
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
    #[error("the verifying key is invalid")]
    InvalidKey(#[source] KeyError),
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
    #[error("the proof has {got} {what}, the verifying key {expected}")]
    Shape {
        /// What differs: `"table heights"`, `"opened instances"`, `"lookup terminals"`.
        what: &'static str,
        /// The key's figure (the heights' log2 for `"table heights"`).
        expected: ShapeFigure,
        /// The proof's.
        got: ShapeFigure,
    },
    /// p3's batch verifier rejected the proof.
    #[error("the proof is invalid: {reason}")]
    Rejected {
        /// Which of p3's checks failed.
        reason: Rejection,
        /// p3's error.
        #[source]
        source: P3Error,
    },
}

impl VerifyError {
    /// The check of p3's that rejected the proof, when p3 rejected it
    /// ([`VerifyError::Rejected`]).
    pub fn rejection(&self) -> Option<Rejection> {
        match self {
            VerifyError::Rejected { reason, .. } => Some(*reason),
            _ => None,
        }
    }
}

/// A figure of a proof's shape: a count, or the tables' log heights.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShapeFigure {
    /// How many.
    Count(usize),
    /// Per table, its log2 height.
    LogHeights(Vec<usize>),
}

impl Display for ShapeFigure {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            ShapeFigure::Count(n) => write!(f, "{n}"),
            ShapeFigure::LogHeights(heights) => write!(f, "{heights:?} (log2)"),
        }
    }
}

/// Which of p3's checks rejected a proof: what a caller can act on without reading p3's
/// error (which [`VerifyError::Rejected`] keeps as its source).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rejection {
    /// The proof's shape (widths, counts) is not the one the AIRs give.
    ProofShape,
    /// The constraints at the out-of-domain point do not match the quotient.
    OodEvaluation,
    /// The PCS opening argument (FRI, Merkle paths) does not verify.
    Opening,
    /// The bus does not balance: the lookup terminals do not sum to zero.
    LookupSum,
    /// Another lookup check (commitment or terminal presence, widths).
    Lookup,
    /// A proof-of-work witness or another transcript step does not check.
    Transcript,
}

impl Display for Rejection {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Rejection::ProofShape => "its shape is not the AIRs'",
            Rejection::OodEvaluation => "the constraints do not match the quotient at ζ",
            Rejection::Opening => "the opening proof does not verify",
            Rejection::LookupSum => "the bus does not balance",
            Rejection::Lookup => "a lookup check fails",
            Rejection::Transcript => "a transcript check (proof of work) fails",
        })
    }
}

impl Rejection {
    /// The check that p3's batch verifier reports with `error`.
    pub(crate) fn of<E: std::fmt::Debug>(
        error: &p3_batch_stark::BatchVerificationError<E>,
    ) -> Self {
        use p3_batch_stark::BatchVerificationError as Batch;
        use p3_uni_stark::VerificationError as Stark;
        match error {
            Batch::Verification(Stark::InvalidProofShape(_) | Stark::PeriodicColumn(_)) => {
                Rejection::ProofShape
            }
            Batch::Verification(Stark::OodEvaluationMismatch { .. }) => Rejection::OodEvaluation,
            Batch::Verification(Stark::InvalidOpeningArgument(_)) => Rejection::Opening,
            Batch::Verification(Stark::RandomizationError | Stark::NextPointUnavailable) => {
                Rejection::ProofShape
            }
            Batch::Verification(Stark::InvalidOodPowWitness | Stark::OodPointInDomain)
            | Batch::Transcript(_) => Rejection::Transcript,
            Batch::Lookup(p3_lookup::LookupError::TerminalSumNonZero) => Rejection::LookupSum,
            Batch::Lookup(_) => Rejection::Lookup,
        }
    }
}

/// Why a verifying key is inconsistent: what [`VerifyingKey::check`](crate::VerifyingKey::check)
/// finds before any of its figures sizes anything.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum KeyError {
    /// The key's hash is not the one the verifier pinned
    /// ([`VerifyOptions::pinned_key`](crate::VerifyOptions::pinned_key)).
    #[error(
        "the key hashes to {}, not the pinned {}",
        crate::keys::hex(hash),
        crate::keys::hex(pinned)
    )]
    NotPinned {
        /// The key's [`hash`](crate::VerifyingKey::hash).
        hash: [u8; 32],
        /// The hash the verifier pinned.
        pinned: [u8; 32],
    },
    /// The key is for another field than the verifier's configuration.
    #[error("the key is for {key}, this verifier for {verifier}")]
    WrongField {
        /// The key's field.
        key: String,
        /// The verifier's.
        verifier: &'static str,
    },
    /// The key's FRI settings are ones p3 cannot verify with.
    #[error("the key's FRI settings are invalid")]
    FriSettings(#[source] FriSettingsError),
    /// The tables are not the five primitive tables in their order.
    #[error("table {position} of the key is the {got} table, not the {expected} table")]
    TableOrder {
        /// The position in the key's layout.
        position: usize,
        /// The table that belongs there.
        expected: &'static str,
        /// The table the key has there.
        got: &'static str,
    },
    /// A table laid out for another bus than the first table: every table of a key has one
    /// [`BusLayout`](crate::BusLayout).
    #[error("the {table} table is laid out for a {bus} bus, the Witness table for a {first} bus")]
    MixedBus {
        /// The table.
        table: &'static str,
        /// Its bus.
        bus: crate::BusLayout,
        /// The first (Witness) table's bus.
        first: crate::BusLayout,
    },
    /// A key on a [`BusLayout::Virtual`](crate::BusLayout::Virtual) bus whose Witness table
    /// is not [`TableShape::unproved`](crate::TableShape::unproved): that bus proves no
    /// Witness table, so its shape is fixed (no entry, one lane, one row).
    #[error(
        "the key's Witness table has {entries} entries in {lanes} lane(s) of 2^{log_height} \
         rows on a virtual bus, which proves no Witness table (expected none, 1 lane, 2^0 rows)"
    )]
    VirtualWitness {
        /// The Witness table's entries.
        entries: usize,
        /// Its lanes.
        lanes: usize,
        /// log2 of its height.
        log_height: usize,
    },
    /// A table with no lanes, or more than [`MAX_LANES`](crate::MAX_LANES).
    #[error("the {table} table has {lanes} lanes (at least 1, at most {max})")]
    Lanes {
        /// The table.
        table: &'static str,
        /// Its lanes.
        lanes: usize,
        /// The most a key may have.
        max: usize,
    },
    /// A table taller than [`MAX_LOG_HEIGHT`](crate::MAX_LOG_HEIGHT), or than the field's
    /// two-adicity allows with the blowup.
    #[error(
        "the {table} table's height 2^{log_height} is too tall (at most 2^{max_log_height}, \
         and 2^{two_adicity} with its blowup)"
    )]
    TooTall {
        /// The table (a primitive table's name, or an NPO kind's).
        table: String,
        /// Its log2 height.
        log_height: usize,
        /// The most a key may have.
        max_log_height: usize,
        /// The field's two-adicity.
        two_adicity: usize,
    },
    /// A table whose lanes and rows hold fewer entries than it claims.
    #[error("the {table} table cannot hold {entries} entries in {lanes} lanes of {rows} rows")]
    CannotHold {
        /// The table.
        table: &'static str,
        /// Its entries.
        entries: usize,
        /// Its lanes.
        lanes: usize,
        /// Its rows.
        rows: usize,
    },
    /// The Public table's shape disagrees with the public positions.
    #[error("the Public table has {entries} entries in {lanes} lanes for {positions} positions")]
    PublicTable {
        /// Its entries.
        entries: usize,
        /// Its lanes.
        lanes: usize,
        /// The key's public positions.
        positions: usize,
    },
    /// A public position past the public inputs.
    #[error("public position {position} is out of range ({count} public inputs)")]
    PublicPosition {
        /// The position.
        position: u32,
        /// The key's public inputs.
        count: u32,
    },
    /// More public inputs than [`MAX_PUBLIC_INPUTS`](crate::keys::MAX_PUBLIC_INPUTS).
    #[error("{count} public inputs (at most {max})")]
    TooManyPublicInputs {
        /// The key's public inputs.
        count: u32,
        /// The most a key may have.
        max: u32,
    },
    /// Two NPO tables for one kind.
    #[error("two NPO tables for {kind}")]
    DuplicateNpoTable {
        /// The kind.
        kind: NpoKind,
    },
    /// Another number of NPO heights than NPO tables.
    #[error("{tables} NPO tables with {heights} heights")]
    NpoHeights {
        /// NPO tables.
        tables: usize,
        /// NPO heights.
        heights: usize,
    },
    /// An NPO table aliases a port past its extra columns.
    #[error("the {kind} table aliases port {port} to extra columns {columns:?}, past its {extra}")]
    NpoPortAlias {
        /// The kind.
        kind: NpoKind,
        /// The port (inputs first, then outputs).
        port: usize,
        /// The extra columns the alias names.
        columns: std::ops::Range<usize>,
        /// The table's extra columns.
        extra: usize,
    },
    /// p3 cannot derive the bus layout of the key's tables.
    #[error("p3 cannot derive the key's bus layout")]
    Lookups(#[source] P3Error),
}

/// An error of p3's, kept as the source of ours. p3's error types depend on the
/// configuration (its PCS's errors), so they are held behind a pointer; two are equal when
/// they display the same text, so that our errors stay comparable.
#[derive(Clone, Debug)]
pub struct P3Error(Arc<dyn std::error::Error + Send + Sync>);

impl P3Error {
    /// Keeps `error`.
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        P3Error(Arc::new(error))
    }

    /// p3's own error, to downcast (`inner().downcast_ref::<…>()`).
    pub fn inner(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.0
    }
}

impl Display for P3Error {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// p3's error's own sources: the wrapper adds no message of its own.
impl std::error::Error for P3Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl PartialEq for P3Error {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Eq for P3Error {}

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

/// An error and its sources, joined by `: `: the whole story of an error whose causes are
/// its [`source`](std::error::Error::source)s, as a command prints it.
///
/// ```
/// use fixpoint_circuit_prover::error::{ErrorChain, KeyError, VerifyError};
///
/// let error = VerifyError::InvalidKey(KeyError::Lanes { table: "Add", lanes: 0, max: 4096 });
/// assert_eq!(
///     ErrorChain(&error).to_string(),
///     "the verifying key is invalid: the Add table has 0 lanes (at least 1, at most 4096)"
/// );
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ErrorChain<'a>(pub &'a dyn std::error::Error);

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}
