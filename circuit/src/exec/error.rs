//! Runner errors: each names the op, the slot and the builder scope.

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
        kind: crate::OpKind,
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
        kind: crate::OpKind,
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
    #[error("{op} (hint {kind}) failed: {reason}")]
    HintFailed {
        /// The hint.
        op: OpId,
        /// Its kind.
        kind: crate::HintKind,
        /// Why.
        reason: String,
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
        kind: crate::NpoKind,
    },
    /// A non-primitive op's private data was never given.
    #[error("{op} ({kind}, call {}) needs {expected} private values, none were given (Runner::set_private_data)", .call.0)]
    PrivateDataMissing {
        /// The op.
        op: OpId,
        /// Its kind.
        kind: crate::NpoKind,
        /// Its builder call.
        call: crate::NpoCallId,
        /// Values it needs.
        expected: usize,
    },
    /// A non-primitive op's private data has the wrong length.
    #[error("{op} ({kind}, call {}) needs {expected} private values, got {got}", .call.0)]
    PrivateDataSize {
        /// The op.
        op: OpId,
        /// Its kind.
        kind: crate::NpoKind,
        /// Its builder call.
        call: crate::NpoCallId,
        /// Values it needs.
        expected: usize,
        /// Values given.
        got: usize,
    },
    /// A non-primitive op's executor failed or returned the wrong number of outputs.
    #[error("{op} ({kind}) failed: {reason}")]
    NpoFailed {
        /// The op.
        op: OpId,
        /// Its kind.
        kind: crate::NpoKind,
        /// Why.
        reason: String,
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
