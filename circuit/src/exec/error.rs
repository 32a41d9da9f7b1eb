//! Runner errors: each names the op, the slot and the builder scope.

use std::fmt::{self, Display, Formatter};
use std::sync::Arc;

use p3_field::Field;
use thiserror::Error;

use crate::ir::{OpId, WitnessId, describe_scope};

/// Why a run failed. Ops are named by index and builder scope (`""` is the root scope).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum RunError<F: Field> {
    /// [`Runner::run`](crate::Runner::run) was called before
    /// [`set_public_inputs`](crate::Runner::set_public_inputs).
    #[error("public inputs not set: the circuit expects {expected}; call set_public_inputs first")]
    PublicInputsNotSet {
        /// Number of public inputs the circuit expects.
        expected: usize,
    },
    /// The public-input vector has the wrong length.
    #[error("wrong number of public inputs: the circuit expects {expected}, got {got}")]
    PublicInputCount {
        /// Number of public inputs the circuit expects.
        expected: usize,
        /// Number given.
        got: usize,
    },
    /// [`Runner::run`](crate::Runner::run) was called before
    /// [`set_private_inputs`](crate::Runner::set_private_inputs) on a circuit with private
    /// inputs.
    #[error(
        "private inputs not set: the circuit expects {expected}; call set_private_inputs first"
    )]
    PrivateInputsNotSet {
        /// Number of private inputs the circuit expects.
        expected: usize,
    },
    /// [`Runner::run`](crate::Runner::run) was called with some private inputs set
    /// (through groups) but not this one.
    #[error("private input {index} is not set: no group covering it was given")]
    PrivateInputNotSet {
        /// The private input's index.
        index: usize,
    },
    /// A private group given values of another length, or naming inputs past the circuit's.
    #[error(
        "private group {first}..{} takes {} values, got {got} (the circuit has {count} \
         private inputs)", .first + .len, .len
    )]
    PrivateGroupSize {
        /// The group's first private input.
        first: usize,
        /// The group's length.
        len: usize,
        /// Values given.
        got: usize,
        /// The circuit's private-input count.
        count: usize,
    },
    /// The private-input vector has the wrong length.
    #[error("wrong number of private inputs: the circuit expects {expected}, got {got}")]
    PrivateInputCount {
        /// Number of private inputs the circuit expects.
        expected: usize,
        /// Number given.
        got: usize,
    },
    /// An op's equation does not hold for the values its slots already hold.
    #[error(
        "{op} ({kind}, in {}) is violated: {slot} holds {existing} but the op requires \
         {required}", describe_scope(.scope)
    )]
    WitnessConflict {
        /// The violated op.
        op: OpId,
        /// The op's kind.
        kind: crate::ir::OpKind,
        /// The slot whose value disagrees.
        slot: WitnessId,
        /// The value the slot already holds.
        existing: F,
        /// The value the op's equation requires.
        required: F,
        /// The op's builder scope.
        scope: String,
    },
    /// A `Mul` op solved for a factor whose other factor is zero (a division by zero).
    #[error("{op} (Mul, in {}): division by zero solving for {slot}", describe_scope(.scope))]
    DivisionByZero {
        /// The op.
        op: OpId,
        /// The factor being solved for.
        slot: WitnessId,
        /// The op's builder scope.
        scope: String,
    },
    /// An op has more than one slot with no value yet, so it cannot be solved (the IR is
    /// malformed; [`Circuit::verify`](crate::Circuit::verify) reports this statically).
    #[error(
        "{op} ({kind}, in {}) has two or more unknown slots, starting with {slot}",
        describe_scope(.scope)
    )]
    UnsetSlot {
        /// The op.
        op: OpId,
        /// The op's kind.
        kind: crate::ir::OpKind,
        /// The first slot without a value.
        slot: WitnessId,
        /// The op's builder scope.
        scope: String,
    },
    /// After all ops ran, a slot still has no value.
    #[error("{slot} is never assigned a value by any op")]
    SlotNeverDefined {
        /// The slot.
        slot: WitnessId,
    },
    /// A hint could not compute its outputs.
    #[error("{op} (hint {kind}) failed")]
    HintFailed {
        /// The hint.
        op: OpId,
        /// Its kind.
        kind: crate::ir::HintKind,
        /// Why.
        #[source]
        source: HintError<F>,
    },
    /// A user hint whose executor was never registered on the runner.
    #[error("{op} is user hint {id}, but no executor is registered for it (Runner::register_hint)")]
    MissingHintExecutor {
        /// The hint.
        op: OpId,
        /// The user hint id.
        id: u32,
    },
    /// A non-primitive op whose kind has no registered executor.
    #[error("{op} is {kind}, but no executor is registered for it (Runner::register_npo)")]
    MissingNpoExecutor {
        /// The op.
        op: OpId,
        /// Its kind.
        kind: crate::ir::NpoKind,
    },
    /// A non-primitive op's private data was never given.
    #[error("{op} ({kind}, call {}) needs {expected} private values, none were given (Runner::set_private_data)", .call.0)]
    PrivateDataMissing {
        /// The op.
        op: OpId,
        /// Its kind.
        kind: crate::ir::NpoKind,
        /// Its builder call.
        call: crate::ir::NpoCallId,
        /// Values it needs.
        expected: usize,
    },
    /// A non-primitive op's private data has the wrong length.
    #[error("{op} ({kind}, call {}) needs {expected} private values, got {got}", .call.0)]
    PrivateDataSize {
        /// The op.
        op: OpId,
        /// Its kind.
        kind: crate::ir::NpoKind,
        /// Its builder call.
        call: crate::ir::NpoCallId,
        /// Values it needs.
        expected: usize,
        /// Values given.
        got: usize,
    },
    /// A non-primitive op's executor failed.
    #[error("{op} ({kind}) failed")]
    NpoFailed {
        /// The op.
        op: OpId,
        /// Its kind.
        kind: crate::ir::NpoKind,
        /// The executor's error.
        #[source]
        source: ExecutorError,
    },
    /// A non-primitive op's executor returned another number of outputs than the op has.
    #[error("{op} ({kind}) returned {got} outputs for {expected} slots")]
    NpoOutputCount {
        /// The op.
        op: OpId,
        /// Its kind.
        kind: crate::ir::NpoKind,
        /// The op's outputs.
        expected: usize,
        /// Values the executor returned.
        got: usize,
    },
    /// An op refers to a slot or public position outside the circuit's declared counts.
    #[error("{op}: {what} is out of range")]
    OutOfRange {
        /// The op.
        op: OpId,
        /// What is out of range (a slot or a public position).
        what: String,
    },
}

impl<F: Field> RunError<F> {
    /// The builder scope of the constraint a wrong witness violates (a
    /// [`WitnessConflict`](RunError::WitnessConflict)); `None` for every other error.
    ///
    /// ```
    /// use fixpoint_circuit::{CircuitBuilder, RunError};
    /// use p3_baby_bear::BabyBear as F;
    /// use p3_field::PrimeCharacteristicRing;
    ///
    /// let mut b = CircuitBuilder::<F>::new();
    /// let x = b.public_input();
    /// // x + 1 = 0 fails for x = 1: the Add op of the scope is violated.
    /// b.scope("range", |b| {
    ///     let one = b.one();
    ///     let sum = b.add(x, one);
    ///     b.assert_zero(sum);
    /// });
    /// let circuit = b.build()?;
    /// let mut runner = circuit.runner();
    /// runner.set_public_inputs(&[F::ONE])?;
    /// let err = runner.run().unwrap_err();
    /// assert_eq!(err.violated_scope(), Some("range"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn violated_scope(&self) -> Option<&str> {
        match self {
            RunError::WitnessConflict { scope, .. } => Some(scope),
            _ => None,
        }
    }
}

/// Why a hint could not compute its outputs.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum HintError<F: Field> {
    /// A built-in hint of one input was given another number.
    #[error("takes one input, got {got}")]
    InputCount {
        /// Inputs given.
        got: usize,
    },
    /// A bit decomposition of a value outside the prime field.
    #[error("{value} is not a base-field value")]
    NotBase {
        /// The value.
        value: F,
    },
    /// A bit decomposition into more bits than a `u64` has.
    #[error("{bits} bits is more than a 64-bit value has")]
    TooManyBits {
        /// Bits asked for.
        bits: u32,
    },
    /// A bit decomposition of a value that does not fit its bits.
    #[error("{value} does not fit in {bits} bits")]
    TooWide {
        /// The value, as an integer.
        value: u64,
        /// Bits asked for.
        bits: u32,
    },
    /// The inverse of zero.
    #[error("0 has no inverse")]
    ZeroInverse,
    /// The hint returned another number of outputs than it has.
    #[error("{got} outputs for {expected} slots")]
    OutputCount {
        /// The hint's outputs.
        expected: usize,
        /// Values returned.
        got: usize,
    },
    /// A user hint's executor failed.
    #[error(transparent)]
    Executor(ExecutorError),
}

/// The error a hint or non-primitive executor returns
/// ([`Runner::register_hint`](crate::exec::Runner::register_hint),
/// [`Runner::register_npo`](crate::exec::Runner::register_npo)): any error type, kept as the
/// source of the [`RunError`], or a message.
///
/// Two are equal when they display the same text (so that [`RunError`] stays comparable).
///
/// ```
/// use fixpoint_circuit::exec::ExecutorError;
///
/// let parsed: Result<u32, _> = "x".parse::<u32>();
/// let from_error = ExecutorError::new(parsed.unwrap_err());
/// assert_eq!(from_error.to_string(), "invalid digit found in string");
/// let from_message = ExecutorError::from("no square root");
/// assert_eq!(from_message.to_string(), "no square root");
/// ```
#[derive(Clone, Debug)]
pub struct ExecutorError(Arc<dyn std::error::Error + Send + Sync>);

impl ExecutorError {
    /// Wraps an executor's own error.
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        ExecutorError(Arc::new(error))
    }

    /// The executor's own error.
    pub fn inner(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.0
    }
}

/// An executor error that is only a message.
#[derive(Debug)]
struct Message(String);

impl Display for Message {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Message {}

impl From<String> for ExecutorError {
    fn from(message: String) -> Self {
        ExecutorError::new(Message(message))
    }
}

impl From<&str> for ExecutorError {
    fn from(message: &str) -> Self {
        ExecutorError::from(message.to_owned())
    }
}

impl Display for ExecutorError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The wrapped error's own sources: the wrapper adds no message of its own.
impl std::error::Error for ExecutorError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl PartialEq for ExecutorError {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Eq for ExecutorError {}
