//! The runner: executes ops in order, solving each op's single unknown slot or checking it.

use std::collections::HashMap;

use p3_field::{Field, PrimeCharacteristicRing, PrimeField};

use super::traces::{
    AluRow, AluTrace, ConstRow, ConstTrace, NpoRow, PublicRow, PublicTrace, Traces, WitnessTrace,
};
use super::{ExecutorError, HintError, RunError};
use crate::field::CircuitField;
use crate::ir::{Circuit, HintKind, NpoCallId, NpoKind, Op, OpId, PrivateGroup, WitnessId};

/// Executes a [`Circuit`] on public inputs; see [`Circuit::runner`].
///
/// ```
/// use fixpoint_circuit::{CircuitBuilder, RunError};
/// use p3_field::PrimeCharacteristicRing;
/// use p3_koala_bear::KoalaBear as F;
///
/// let mut b = CircuitBuilder::<F>::new();
/// let x = b.public_input();
/// let y = b.public_input();
/// let q = b.div(x, y);
/// b.expose(q);
/// let circuit = b.build()?;
///
/// let mut runner = circuit.runner();
/// runner.set_public_inputs(&[F::from_u32(6), F::from_u32(3)])?;
/// let traces = runner.run()?;
/// assert_eq!(traces.witness.get(circuit.witness_of(q).unwrap()), Some(F::TWO));
///
/// runner.set_public_inputs(&[F::from_u32(6), F::ZERO])?;
/// assert!(matches!(runner.run(), Err(RunError::DivisionByZero { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Runner<'c, F> {
    circuit: &'c Circuit<F>,
    public_inputs: Option<Vec<F>>,
    /// Per private input, its value once set.
    private_inputs: Vec<Option<F>>,
    user_hints: HashMap<u32, UserHint<'c, F>>,
    npo_executors: HashMap<NpoKind, NpoExecutor<'c, F>>,
    private_data: HashMap<NpoCallId, Vec<F>>,
}

/// A non-primitive op's native semantics: `(inputs, private data)` in, outputs out.
type NpoExecutor<'c, F> = Box<dyn Fn(&[F], &[F]) -> Result<Vec<F>, ExecutorError> + 'c>;

/// A user hint's executor: inputs in, outputs (or a reason) out.
type UserHint<'c, F> = Box<dyn Fn(&[F]) -> Result<Vec<F>, ExecutorError> + 'c>;

impl<F: std::fmt::Debug> std::fmt::Debug for Runner<'_, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut hints: Vec<_> = self.user_hints.keys().collect();
        hints.sort();
        f.debug_struct("Runner")
            .field("ops", &self.circuit.ops.len())
            .field("public_inputs", &self.public_inputs)
            .field("user_hints", &hints)
            .field("npo_kinds", &self.npo_executors.len())
            .field("private_data", &self.private_data.len())
            .finish()
    }
}

impl<F: CircuitField> Circuit<F> {
    /// A runner for this circuit. Set the public inputs, then [`Runner::run`].
    pub fn runner(&self) -> Runner<'_, F> {
        Runner {
            circuit: self,
            public_inputs: None,
            private_inputs: Vec::new(),
            user_hints: HashMap::new(),
            npo_executors: HashMap::new(),
            private_data: HashMap::new(),
        }
    }
}

/// Witness values and which slots hold one.
struct Witness<'c, F> {
    circuit: &'c Circuit<F>,
    values: Vec<F>,
    defined: Vec<bool>,
}

impl<F: Field> Witness<'_, F> {
    #[inline]
    fn get(&self, op: usize, slot: WitnessId) -> Result<Option<F>, RunError<F>> {
        match self.defined.get(slot.index()) {
            Some(true) => Ok(Some(self.values[slot.index()])),
            Some(false) => Ok(None),
            None => Err(RunError::OutOfRange {
                op: OpId(op as u32),
                what: format!(
                    "{slot} (the circuit has {} slots)",
                    self.circuit.witness_count
                ),
            }),
        }
    }

    #[inline]
    fn set(&mut self, slot: WitnessId, value: F) {
        self.values[slot.index()] = value;
        self.defined[slot.index()] = true;
    }

    /// Defines `slot` as `value`, or checks that it already holds `value`.
    #[inline]
    fn define_or_check(&mut self, op: usize, slot: WitnessId, value: F) -> Result<(), RunError<F>> {
        match self.get(op, slot)? {
            None => {
                self.set(slot, value);
                Ok(())
            }
            Some(existing) if existing == value => Ok(()),
            Some(existing) => Err(self.conflict(op, slot, existing, value)),
        }
    }

    fn scope(&self, op: usize) -> String {
        self.circuit.scope_of(OpId(op as u32)).to_owned()
    }

    #[cold]
    fn conflict(&self, op: usize, slot: WitnessId, existing: F, required: F) -> RunError<F> {
        RunError::WitnessConflict {
            op: OpId(op as u32),
            kind: self.circuit.ops[op].kind(),
            slot,
            existing,
            required,
            scope: self.scope(op),
        }
    }

    #[cold]
    fn unset(&self, op: usize, slots: [(WitnessId, Option<F>); 3]) -> RunError<F> {
        let slot = slots
            .iter()
            .find(|(_, v)| v.is_none())
            .map_or(slots[0].0, |(s, _)| *s);
        RunError::UnsetSlot {
            op: OpId(op as u32),
            kind: self.circuit.ops[op].kind(),
            slot,
            scope: self.scope(op),
        }
    }

    /// The values of a hint's or non-primitive op's inputs, all of which must be set.
    fn inputs(&self, op: usize, slots: &[WitnessId]) -> Result<Vec<F>, RunError<F>> {
        slots
            .iter()
            .map(|&slot| {
                self.get(op, slot)?.ok_or_else(|| RunError::UnsetSlot {
                    op: OpId(op as u32),
                    kind: self.circuit.ops[op].kind(),
                    slot,
                    scope: self.scope(op),
                })
            })
            .collect()
    }

    /// Runs `a ∘ b = out` for a group operation `∘` (`+` or `·`), solving whichever one
    /// slot is unknown: `out = combine(a, b)`, or a factor as `uncombine(out, other)`.
    #[inline(always)]
    fn binary(
        &mut self,
        op: usize,
        [a, b, out]: [WitnessId; 3],
        combine: impl Fn(F, F) -> F,
        uncombine: impl Fn(&Self, F, F, WitnessId) -> Result<F, RunError<F>>,
    ) -> Result<AluRow<F>, RunError<F>> {
        let (va, vb, vo) = (self.get(op, a)?, self.get(op, b)?, self.get(op, out)?);
        let (x, y, z) = match (va, vb, vo) {
            (Some(x), Some(y), None) => {
                let z = combine(x, y);
                self.set(out, z);
                (x, y, z)
            }
            (Some(x), Some(y), Some(z)) => {
                let required = combine(x, y);
                if required != z {
                    return Err(self.conflict(op, out, z, required));
                }
                (x, y, z)
            }
            (Some(x), None, Some(z)) => {
                let y = uncombine(self, z, x, b)?;
                self.set(b, y);
                (x, y, z)
            }
            (None, Some(y), Some(z)) => {
                let x = uncombine(self, z, y, a)?;
                self.set(a, x);
                (x, y, z)
            }
            _ => return Err(self.unset(op, [(a, va), (b, vb), (out, vo)])),
        };
        Ok(AluRow {
            a,
            b,
            out,
            a_val: x,
            b_val: y,
            out_val: z,
        })
    }

    /// Runs `a + b = out`.
    #[inline]
    fn add(&mut self, op: usize, slots: [WitnessId; 3]) -> Result<AluRow<F>, RunError<F>> {
        self.binary(op, slots, |x, y| x + y, |_, z, known, _| Ok(z - known))
    }

    /// Runs `a · b = out`; solving for a factor whose partner is zero is a division by zero.
    #[inline]
    fn mul(&mut self, op: usize, slots: [WitnessId; 3]) -> Result<AluRow<F>, RunError<F>> {
        self.binary(
            op,
            slots,
            |x, y| x * y,
            |this, z, known, unknown| {
                known
                    .try_inverse()
                    .map(|inv| z * inv)
                    .ok_or_else(|| RunError::DivisionByZero {
                        op: OpId(op as u32),
                        slot: unknown,
                        scope: this.scope(op),
                    })
            },
        )
    }
}

impl<'c, F: CircuitField> Runner<'c, F> {
    /// Registers the executor of [`HintKind::User`]`(id)` hints: it receives the hint's
    /// input values and returns its outputs (or why it cannot). Replaces an earlier one.
    ///
    /// ```
    /// use fixpoint_circuit::{CircuitBuilder, HintKind};
    /// use p3_field::{Field, PrimeCharacteristicRing};
    /// use p3_koala_bear::KoalaBear as F;
    ///
    /// // An inverse found natively, checked by one Mul: `x · inv = 1` determines `inv`.
    /// // (A square root checked by `root · root = x` would be refused by `build`: `−root`
    /// // fits as well, so the constraint does not determine the hint.)
    /// let mut b = CircuitBuilder::<F>::new();
    /// let x = b.public_input();
    /// let inv = b.hint(HintKind::User(7), &[x], 1)[0];
    /// let product = b.mul(x, inv);
    /// let one = b.one();
    /// b.connect(product, one);
    /// let circuit = b.build()?;
    ///
    /// let mut runner = circuit.runner();
    /// runner.register_hint(7, |xs| {
    ///     xs[0].try_inverse().map(|i| vec![i]).ok_or_else(|| "no inverse".into())
    /// });
    /// runner.set_public_inputs(&[F::from_u32(49)])?;
    /// runner.run()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn register_hint(
        &mut self,
        id: u32,
        executor: impl Fn(&[F]) -> Result<Vec<F>, ExecutorError> + 'c,
    ) {
        self.user_hints.insert(id, Box::new(executor));
    }

    /// Runs a hint natively.
    fn execute_hint(&self, op: usize, kind: HintKind, inputs: &[F]) -> Result<Vec<F>, RunError<F>> {
        let failed = |source: HintError<F>| RunError::HintFailed {
            op: OpId(op as u32),
            kind,
            source,
        };
        let single = || match inputs {
            [x] => Ok(*x),
            _ => Err(failed(HintError::InputCount { got: inputs.len() })),
        };
        match kind {
            HintKind::BitsLe { bits } => {
                let x = single()?;
                let value =
                    canonical_u64(&x).ok_or_else(|| failed(HintError::NotBase { value: x }))?;
                if bits > 64 {
                    return Err(failed(HintError::TooManyBits { bits: bits.into() }));
                }
                if bits < 64 && value >> bits != 0 {
                    return Err(failed(HintError::TooWide {
                        value,
                        bits: bits.into(),
                    }));
                }
                Ok((0..bits)
                    .map(|i| F::from_bool((value >> i) & 1 == 1))
                    .collect())
            }
            HintKind::Inverse => {
                let x = single()?;
                x.try_inverse()
                    .map(|inv| vec![inv])
                    .ok_or_else(|| failed(HintError::ZeroInverse))
            }
            HintKind::BaseCoeffs => {
                let x = single()?;
                Ok(x.as_basis_coefficients_slice()
                    .iter()
                    .map(|&c| F::from_prime_subfield(c))
                    .collect())
            }
            HintKind::PrivateInput { index } => match self.private_inputs.get(index as usize) {
                Some(Some(value)) => Ok(vec![*value]),
                Some(None) => Err(RunError::PrivateInputNotSet {
                    index: index as usize,
                }),
                None => Err(RunError::PrivateInputsNotSet {
                    expected: self.circuit.private_count(),
                }),
            },
            HintKind::User(id) => {
                let executor = self
                    .user_hints
                    .get(&id)
                    .ok_or(RunError::MissingHintExecutor {
                        op: OpId(op as u32),
                        id,
                    })?;
                executor(inputs).map_err(|e| failed(HintError::Executor(e)))
            }
        }
    }

    /// Registers the native semantics of non-primitive ops of `kind`: the executor gets
    /// the op's input values and its private data and returns its outputs. Replaces an
    /// earlier one.
    pub fn register_npo(
        &mut self,
        kind: NpoKind,
        executor: impl Fn(&[F], &[F]) -> Result<Vec<F>, ExecutorError> + 'c,
    ) {
        self.npo_executors.insert(kind, Box::new(executor));
    }

    /// Gives the private data of one non-primitive call (for example Merkle siblings).
    pub fn set_private_data(&mut self, call: NpoCallId, data: Vec<F>) {
        self.private_data.insert(call, data);
    }

    /// Runs a non-primitive op natively.
    fn execute_npo(
        &self,
        op: usize,
        kind: NpoKind,
        call: NpoCallId,
        private_len: u32,
        inputs: &[F],
    ) -> Result<(Vec<F>, Vec<F>), RunError<F>> {
        let op_id = OpId(op as u32);
        let expected = private_len as usize;
        let private = match self.private_data.get(&call) {
            Some(data) if data.len() == expected => data.clone(),
            Some(data) => {
                return Err(RunError::PrivateDataSize {
                    op: op_id,
                    kind,
                    call,
                    expected,
                    got: data.len(),
                });
            }
            None if expected == 0 => Vec::new(),
            None => {
                return Err(RunError::PrivateDataMissing {
                    op: op_id,
                    kind,
                    call,
                    expected,
                });
            }
        };
        let executor = self
            .npo_executors
            .get(&kind)
            .ok_or(RunError::MissingNpoExecutor { op: op_id, kind })?;
        let outputs = executor(inputs, &private).map_err(|source| RunError::NpoFailed {
            op: op_id,
            kind,
            source,
        })?;
        Ok((outputs, private))
    }

    /// Number of public inputs the circuit expects.
    pub fn public_count(&self) -> usize {
        self.circuit.public_count as usize
    }

    /// Sets the public inputs, in the order the builder allocated them.
    pub fn set_public_inputs(&mut self, inputs: &[F]) -> Result<(), RunError<F>> {
        let expected = self.circuit.public_count as usize;
        if inputs.len() != expected {
            return Err(RunError::PublicInputCount {
                expected,
                got: inputs.len(),
            });
        }
        self.public_inputs = Some(inputs.to_vec());
        Ok(())
    }

    /// Sets the private inputs, in the order the builder allocated them (see
    /// [`CircuitBuilder::private_input`](crate::CircuitBuilder::private_input)).
    pub fn set_private_inputs(&mut self, inputs: &[F]) -> Result<(), RunError<F>> {
        let expected = self.circuit.private_count();
        if inputs.len() != expected {
            return Err(RunError::PrivateInputCount {
                expected,
                got: inputs.len(),
            });
        }
        self.private_inputs = inputs.iter().copied().map(Some).collect();
        Ok(())
    }

    /// Sets the private inputs of one group (see
    /// [`CircuitBuilder::private_group`](crate::CircuitBuilder::private_group)), in the
    /// order the group allocated them; the other private inputs keep their values.
    pub fn set_private_group(
        &mut self,
        group: &PrivateGroup,
        values: &[F],
    ) -> Result<(), RunError<F>> {
        let count = self.circuit.private_count();
        let range = group.indices();
        if values.len() != range.len() || range.end > count {
            return Err(RunError::PrivateGroupSize {
                first: range.start,
                len: range.len(),
                got: values.len(),
                count,
            });
        }
        self.private_inputs.resize(count, None);
        for (slot, &value) in self.private_inputs[range].iter_mut().zip(values) {
            *slot = Some(value);
        }
        Ok(())
    }

    /// Executes every op in order and returns the traces.
    ///
    /// Each op has at most one slot without a value; the runner solves for it (forward, or
    /// backward for the encoded subtractions and divisions) or, when all are known, checks
    /// the op's equation. Every failure is an error naming the op, slot and scope.
    #[tracing::instrument(name = "run", skip_all, fields(ops = self.circuit.ops.len()))]
    pub fn run(&self) -> Result<Traces<F>, RunError<F>> {
        let circuit = self.circuit;
        let publics = self
            .public_inputs
            .as_deref()
            .ok_or(RunError::PublicInputsNotSet {
                expected: circuit.public_count as usize,
            })?;
        let counts = circuit.op_counts();
        let mut w = Witness {
            circuit,
            values: vec![F::ZERO; circuit.witness_count as usize],
            defined: vec![false; circuit.witness_count as usize],
        };
        let mut constant = ConstTrace {
            rows: Vec::with_capacity(counts.consts),
        };
        let mut public = PublicTrace {
            rows: Vec::with_capacity(counts.publics),
        };
        let mut add = AluTrace {
            rows: Vec::with_capacity(counts.adds),
        };
        let mut mul = AluTrace {
            rows: Vec::with_capacity(counts.muls),
        };

        let mut npo = Vec::new();
        for (i, op) in circuit.ops.iter().enumerate() {
            match *op {
                Op::Npo {
                    kind,
                    call,
                    ref inputs,
                    ref outputs,
                    private_len,
                } => {
                    let values = w.inputs(i, inputs)?;
                    let (results, private) =
                        self.execute_npo(i, kind, call, private_len, &values)?;
                    if results.len() != outputs.len() {
                        return Err(RunError::NpoOutputCount {
                            op: OpId(i as u32),
                            kind,
                            expected: outputs.len(),
                            got: results.len(),
                        });
                    }
                    // Unlike a hint, a non-primitive op is a constraint: its table proves
                    // outputs = kind(inputs), so an output already fixed is checked.
                    for (&slot, &value) in outputs.iter().zip(&results) {
                        w.define_or_check(i, slot, value)?;
                    }
                    npo.push(NpoRow {
                        op: OpId(i as u32),
                        kind,
                        call,
                        inputs: values,
                        outputs: results,
                        private,
                    });
                }
                Op::Hint {
                    kind,
                    ref inputs,
                    ref outputs,
                } => {
                    let values = w.inputs(i, inputs)?;
                    let results = self.execute_hint(i, kind, &values)?;
                    if results.len() != outputs.len() {
                        return Err(RunError::HintFailed {
                            op: OpId(i as u32),
                            kind,
                            source: HintError::OutputCount {
                                expected: outputs.len(),
                                got: results.len(),
                            },
                        });
                    }
                    // Advice only fills slots that nothing defined yet: a slot an earlier op
                    // already fixed keeps its value, and the constraints decide (a hint is
                    // not a constraint, so the runner does not check it either).
                    for (&slot, value) in outputs.iter().zip(results) {
                        if w.get(i, slot)?.is_none() {
                            w.set(slot, value);
                        }
                    }
                }
                Op::Const { out, val } => {
                    w.define_or_check(i, out, val)?;
                    constant.rows.push(ConstRow { out, val });
                }
                Op::Public { out, pos } => {
                    let val = *publics
                        .get(pos as usize)
                        .ok_or_else(|| RunError::OutOfRange {
                            op: OpId(i as u32),
                            what: format!("public input {pos} (the circuit has {})", publics.len()),
                        })?;
                    w.define_or_check(i, out, val)?;
                    public.rows.push(PublicRow { out, pos, val });
                }
                Op::Add { a, b, out } => add.rows.push(w.add(i, [a, b, out])?),
                Op::Mul { a, b, out } => mul.rows.push(w.mul(i, [a, b, out])?),
            }
        }
        if let Some(slot) = w.defined.iter().position(|d| !d) {
            // (Every slot is defined by some op in a well-formed circuit.)
            return Err(RunError::SlotNeverDefined {
                slot: WitnessId(slot as u32),
            });
        }
        Ok(Traces {
            witness: WitnessTrace { values: w.values },
            constant,
            public,
            add,
            mul,
            npo,
        })
    }
}

/// The canonical integer of a value in the prime subfield, or `None` for an extension
/// value with a nonzero higher coordinate.
fn canonical_u64<F: CircuitField>(x: &F) -> Option<u64> {
    let coords = x.as_basis_coefficients_slice();
    let (first, rest) = coords.split_first()?;
    if rest.iter().any(|c| *c != F::PrimeSubfield::ZERO) {
        return None;
    }
    let digits = first.as_canonical_biguint().to_u64_digits();
    match digits.as_slice() {
        [] => Some(0),
        [d] => Some(*d),
        _ => None,
    }
}
