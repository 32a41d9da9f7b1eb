//! Inlining a built circuit into a builder: its ops re-emitted over given inputs, so that a
//! circuit, which is plain data, can be a part of another circuit.

use p3_field::Field;
use thiserror::Error;

use super::CircuitBuilder;
use crate::arena::Target;
use crate::ir::{Circuit, Op, WitnessId};

/// Why a circuit could not be inlined.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum InlineError {
    /// The inputs given are not the circuit's public inputs.
    #[error("the circuit has {expected} public inputs, {got} targets were given")]
    InputCount {
        /// The circuit's public inputs.
        expected: usize,
        /// The targets given.
        got: usize,
    },
    /// The circuit holds an op inlining does not re-emit.
    #[error("op {op} is a {kind}: only Const, Public, Add and Mul ops can be inlined")]
    Unsupported {
        /// The op's index.
        op: usize,
        /// Its kind.
        kind: &'static str,
    },
    /// An op reads a slot that no earlier op defines, with another slot unknown too.
    #[error("op {op} has more than one slot no earlier op defines")]
    Unsolvable {
        /// The op's index.
        op: usize,
    },
    /// A slot index is out of the circuit's range (a malformed circuit).
    #[error("op {op} names slot {slot}, the circuit has {count}")]
    SlotOutOfRange {
        /// The op's index.
        op: usize,
        /// The slot.
        slot: u32,
        /// The circuit's slot count.
        count: u32,
    },
}

impl<F: Field> CircuitBuilder<F> {
    /// Re-emits `circuit`'s ops with `inputs` as its public inputs, and returns the target of
    /// every slot (in slot order; `None` for a slot no op defines). Each op is solved as the
    /// runner solves it: forward, or for the one unknown operand of an `Add` or `Mul`,
    /// backward (a subtraction or a division); an op whose slots are all known becomes a
    /// constraint. Hints and non-primitive ops are refused.
    ///
    /// ```
    /// use fixpoint_circuit::CircuitBuilder;
    /// use p3_field::PrimeCharacteristicRing;
    /// use p3_koala_bear::KoalaBear as F;
    ///
    /// // A circuit of its own: x + 2·y, exposed.
    /// let mut inner = CircuitBuilder::<F>::new();
    /// let (x, y) = (inner.public_input(), inner.public_input());
    /// let two = inner.define_const(F::TWO);
    /// let twice = inner.mul(two, y);
    /// let sum = inner.add(x, twice);
    /// inner.expose(sum);
    /// let inner = inner.build()?;
    /// let out = inner.witness_of(sum).unwrap();
    ///
    /// // Inlined over 3 and 4: 11.
    /// let mut b = CircuitBuilder::<F>::new();
    /// let (three, four) = (b.const_u64(3), b.const_u64(4));
    /// let slots = b.inline(&inner, &[three, four])?;
    /// let eleven = b.const_u64(11);
    /// b.assert_eq(slots[out.index()].unwrap(), eleven);
    /// let circuit = b.build()?;
    /// let mut runner = circuit.runner();
    /// runner.set_public_inputs(&[])?;
    /// runner.run()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn inline(
        &mut self,
        circuit: &Circuit<F>,
        inputs: &[Target],
    ) -> Result<Vec<Option<Target>>, InlineError> {
        let expected = circuit.public_count as usize;
        if inputs.len() != expected {
            return Err(InlineError::InputCount {
                expected,
                got: inputs.len(),
            });
        }
        let count = circuit.witness_count;
        let mut slots: Vec<Option<Target>> = vec![None; count as usize];
        for (op, entry) in circuit.ops.iter().enumerate() {
            let check = |slot: WitnessId| {
                if slot.0 >= count {
                    Err(InlineError::SlotOutOfRange {
                        op,
                        slot: slot.0,
                        count,
                    })
                } else {
                    Ok(slot.index())
                }
            };
            match entry {
                Op::Const { out, val } => {
                    let t = self.define_const(*val);
                    let out = check(*out)?;
                    self.define(&mut slots, out, t);
                }
                Op::Public { out, pos } => {
                    let t = *inputs.get(*pos as usize).ok_or(InlineError::InputCount {
                        expected,
                        got: inputs.len(),
                    })?;
                    let out = check(*out)?;
                    self.define(&mut slots, out, t);
                }
                Op::Add { a, b, out } | Op::Mul { a, b, out } => {
                    let is_add = matches!(entry, Op::Add { .. });
                    let (a, b, out) = (check(*a)?, check(*b)?, check(*out)?);
                    match (slots[a], slots[b], slots[out]) {
                        (Some(x), Some(y), _) => {
                            let t = if is_add {
                                self.add(x, y)
                            } else {
                                self.mul(x, y)
                            };
                            self.define(&mut slots, out, t);
                        }
                        (None, Some(y), Some(z)) => {
                            let t = if is_add {
                                self.sub(z, y)
                            } else {
                                self.div(z, y)
                            };
                            slots[a] = Some(t);
                        }
                        (Some(x), None, Some(z)) => {
                            let t = if is_add {
                                self.sub(z, x)
                            } else {
                                self.div(z, x)
                            };
                            slots[b] = Some(t);
                        }
                        _ => return Err(InlineError::Unsolvable { op }),
                    }
                }
                Op::Npo { .. } => {
                    return Err(InlineError::Unsupported {
                        op,
                        kind: "non-primitive op",
                    });
                }
                Op::Hint { .. } => return Err(InlineError::Unsupported { op, kind: "hint" }),
            }
        }
        Ok(slots)
    }

    /// Gives slot `slot` the target `t`, or connects `t` to the slot's target if it has one
    /// (a constraint: both are the slot's value).
    fn define(&mut self, slots: &mut [Option<Target>], slot: usize, t: Target) {
        match slots[slot] {
            Some(existing) => self.connect(existing, t),
            None => slots[slot] = Some(t),
        }
    }
}

#[cfg(test)]
mod tests {
    use p3_field::PrimeCharacteristicRing;
    use p3_koala_bear::KoalaBear as F;

    use super::InlineError;
    use crate::CircuitBuilder;

    /// `x − y`, exposed: lowered as an `Add` solved backward.
    fn difference() -> (crate::Circuit<F>, crate::WitnessId) {
        let mut b = CircuitBuilder::<F>::new();
        let (x, y) = (b.public_input(), b.public_input());
        let d = b.sub(x, y);
        b.expose(d);
        let circuit = b.build().unwrap();
        let slot = circuit.witness_of(d).unwrap();
        (circuit, slot)
    }

    #[test]
    fn an_op_solved_backward_is_inlined_backward() {
        let (inner, slot) = difference();
        let mut b = CircuitBuilder::<F>::new();
        let (x, y) = (b.public_input(), b.public_input());
        let slots = b.inline(&inner, &[x, y]).unwrap();
        let d = slots[slot.index()].unwrap();
        b.expose(d);
        let circuit = b.build().unwrap();
        let mut runner = circuit.runner();
        runner
            .set_public_inputs(&[F::from_u32(5), F::from_u32(3)])
            .unwrap();
        let traces = runner.run().unwrap();
        let value = traces.witness.get(circuit.witness_of(d).unwrap()).unwrap();
        assert_eq!(value, F::TWO);
    }

    #[test]
    fn wrong_inputs_and_hints_are_refused() {
        let (inner, _) = difference();
        let mut b = CircuitBuilder::<F>::new();
        let x = b.public_input();
        assert_eq!(
            b.inline(&inner, &[x]),
            Err(InlineError::InputCount {
                expected: 2,
                got: 1
            })
        );
        // A private input is a hint: not inlined. (`p + x = 0` constrains it.)
        let mut h = CircuitBuilder::<F>::new();
        let x = h.public_input();
        let p = h.private_input();
        let s = h.add(p, x);
        h.assert_zero(s);
        let hinted = h.build().unwrap();
        let y = b.public_input();
        assert!(matches!(
            b.inline(&hinted, &[y]),
            Err(InlineError::Unsupported { kind: "hint", .. })
        ));
    }
}
