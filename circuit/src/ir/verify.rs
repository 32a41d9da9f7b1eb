//! The IR verifier: checks the invariants the runner and the prover rely on.

use thiserror::Error;

use super::{Circuit, Op, OpId, WitnessId};

/// A violated IR invariant, naming the op and the slot.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum IrError {
    /// An op refers to a slot `>= witness_count`.
    #[error("{op} refers to {slot}, but the circuit has only {witness_count} witness slots")]
    WitnessOutOfRange {
        /// The offending op.
        op: OpId,
        /// The out-of-range slot.
        slot: WitnessId,
        /// The circuit's witness count.
        witness_count: u32,
    },
    /// A `Public` op reads a position `>= public_count`.
    #[error("{op} reads public input {pos}, but the circuit has only {public_count}")]
    PublicOutOfRange {
        /// The offending op.
        op: OpId,
        /// The position it reads.
        pos: u32,
        /// The circuit's public-input count.
        public_count: u32,
    },
    /// A public input that no `Public` op binds to a slot.
    #[error("public input {pos} is never read by a Public op")]
    PublicInputUnused {
        /// The unread position.
        pos: u32,
    },
    /// An op runs with more than one slot that no earlier op defined, so the runner cannot
    /// solve it.
    #[error(
        "{op} has {unknown} undefined slot(s) when it runs, starting with {slot}; at most one is allowed"
    )]
    TooManyUnknowns {
        /// The offending op.
        op: OpId,
        /// The first undefined slot.
        slot: WitnessId,
        /// How many of the op's ports hold undefined slots.
        unknown: usize,
    },
    /// A hint or non-primitive op reads a slot that no earlier op defined.
    #[error("{op} reads {slot}, which no earlier op defines")]
    InputUndefined {
        /// The hint.
        op: OpId,
        /// The undefined input.
        slot: WitnessId,
    },
    /// A slot that no op defines.
    #[error("{slot} is never defined by any op")]
    SlotNeverDefined {
        /// The undefined slot.
        slot: WitnessId,
    },
    /// `debug.op_scopes` is neither empty nor one entry per op, or names an unknown scope.
    #[error("debug info is inconsistent: {0}")]
    DebugInfo(String),
}

/// For every slot, the op that defines it (the first op in which it is the unknown).
///
/// Returned by [`Circuit::verify`]; [`Circuit::to_dot`] uses it to draw data flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Definitions {
    /// `defined_by[slot]` is the op that defines `slot`.
    pub defined_by: Vec<OpId>,
}

impl<F> Circuit<F> {
    /// Checks the IR invariants: every slot id in range, every public position in range and
    /// read, each op executable in order (at most one port holding a slot that no earlier op
    /// defined), and every slot defined by some op.
    ///
    /// Lowering runs this after every build in debug builds and in tests.
    ///
    /// ```
    /// use fixpoint_circuit::{Circuit, IrError, Op, WitnessId, OpId};
    /// use p3_koala_bear::KoalaBear as F;
    ///
    /// // w0 + w1 = w2 with nothing defining w0 or w1: two unknowns.
    /// let broken = Circuit::<F> {
    ///     ops: vec![Op::Add { a: WitnessId(0), b: WitnessId(1), out: WitnessId(2) }],
    ///     witness_count: 3,
    ///     public_count: 0,
    ///     debug: Default::default(),
    /// };
    /// assert!(matches!(broken.verify(), Err(IrError::TooManyUnknowns { op: OpId(0), .. })));
    /// ```
    pub fn verify(&self) -> Result<Definitions, IrError> {
        const UNDEFINED: OpId = OpId(u32::MAX);
        let mut defined_by = vec![UNDEFINED; self.witness_count as usize];
        let mut public_read = vec![false; self.public_count as usize];

        for (i, op) in self.ops.iter().enumerate() {
            let op_id = OpId(i as u32);
            let mut unknown = 0;
            let mut first_unknown = None;
            for slot in op.slots() {
                let Some(def) = defined_by.get(slot.index()) else {
                    return Err(IrError::WitnessOutOfRange {
                        op: op_id,
                        slot,
                        witness_count: self.witness_count,
                    });
                };
                if *def == UNDEFINED {
                    unknown += 1;
                    first_unknown.get_or_insert(slot);
                }
            }
            if let Op::Public { pos, .. } = *op {
                match public_read.get_mut(pos as usize) {
                    Some(read) => *read = true,
                    None => {
                        return Err(IrError::PublicOutOfRange {
                            op: op_id,
                            pos,
                            public_count: self.public_count,
                        });
                    }
                }
            }
            if let Op::Hint {
                inputs, outputs, ..
            }
            | Op::Npo {
                inputs, outputs, ..
            } = op
            {
                // Hints and non-primitive ops compute outputs from inputs that must be known.
                if let Some(&slot) = inputs.iter().find(|s| defined_by[s.index()] == UNDEFINED) {
                    return Err(IrError::InputUndefined { op: op_id, slot });
                }
                for out in outputs {
                    if defined_by[out.index()] == UNDEFINED {
                        defined_by[out.index()] = op_id;
                    }
                }
                continue;
            }
            // A slot repeated in two unknown ports (`x · x = out` with `x` unknown) is two
            // unknowns: the runner cannot solve a square root.
            if unknown > 1 {
                return Err(IrError::TooManyUnknowns {
                    op: op_id,
                    slot: first_unknown.expect("counted an unknown"),
                    unknown,
                });
            }
            if let Some(slot) = first_unknown {
                defined_by[slot.index()] = op_id;
            }
        }

        if let Some(pos) = public_read.iter().position(|read| !read) {
            return Err(IrError::PublicInputUnused { pos: pos as u32 });
        }
        if let Some(slot) = defined_by.iter().position(|d| *d == UNDEFINED) {
            return Err(IrError::SlotNeverDefined {
                slot: WitnessId(slot as u32),
            });
        }
        let scopes = &self.debug.op_scopes;
        if !scopes.is_empty() && scopes.len() != self.ops.len() {
            return Err(IrError::DebugInfo(format!(
                "{} op scopes for {} ops",
                scopes.len(),
                self.ops.len()
            )));
        }
        if let Some(bad) = scopes
            .iter()
            .find(|s| s.0 as usize >= self.debug.scopes.len())
        {
            return Err(IrError::DebugInfo(format!("unknown scope id {}", bad.0)));
        }
        Ok(Definitions { defined_by })
    }
}
