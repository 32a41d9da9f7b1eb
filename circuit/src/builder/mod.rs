//! The user-facing circuit builder.
//!
//! The builder only records: every call appends a node to an expression arena (or a
//! constraint to a list) and returns at once. All the work happens in
//! [`CircuitBuilder::build`], which runs the lowering passes of [`crate::lower`].

mod bits;
mod gadgets;
mod inline;

pub use bits::max_range_bits;
pub use inline::InlineError;

pub use crate::arena::{HintCheck, Target};

use p3_field::Field;

use crate::arena::{Connection, Expr, ExprArena, ExprId, HintCall, NpoCallRecord};
use crate::ir::Circuit;
use crate::lower::{self, BuildError, LowerOptions};

/// The result of [`CircuitBuilder::npo`]: the call's id (the key of its private data) and
/// its output targets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NpoCall {
    /// Give the runner this call's private data under this id.
    pub id: crate::ir::NpoCallId,
    /// The outputs, in port order.
    pub outputs: Vec<Target>,
}

/// Records a circuit as symbolic [`Target`]s; [`build`](Self::build) lowers it to a
/// [`Circuit`].
///
/// Arithmetic methods return new targets; constraint methods (`connect`, `assert_*`)
/// record equalities. Nothing is checked or simplified until `build`.
///
/// ```
/// use fixpoint_circuit::CircuitBuilder;
/// use p3_field::PrimeCharacteristicRing;
/// use p3_koala_bear::KoalaBear as F;
///
/// // 37 · x − 111 = 0
/// let mut b = CircuitBuilder::<F>::new();
/// let x = b.public_input();
/// let c37 = b.define_const(F::from_u32(37));
/// let c111 = b.define_const(F::from_u32(111));
/// let prod = b.mul(c37, x);
/// let diff = b.sub(prod, c111);
/// b.assert_zero(diff);
/// let circuit = b.build()?;
///
/// let mut runner = circuit.runner();
/// runner.set_public_inputs(&[F::from_u32(3)])?;
/// assert!(runner.run().is_ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct CircuitBuilder<F> {
    /// Everything recorded so far; `build` lowers it.
    pub(crate) arena: ExprArena<F>,
}

impl<F: Field> Default for CircuitBuilder<F> {
    fn default() -> Self {
        Self::new()
    }
}

impl<F: Field> CircuitBuilder<F> {
    /// An empty builder.
    pub fn new() -> Self {
        CircuitBuilder {
            arena: ExprArena::new(),
        }
    }

    /// An empty builder with room for `exprs` targets, for large generated circuits.
    pub fn with_capacity(exprs: usize) -> Self {
        let mut builder = Self::new();
        builder.arena.exprs.reserve(exprs);
        builder.arena.expr_scopes.reserve(exprs);
        builder
    }

    #[inline]
    fn push(&mut self, expr: Expr<F>) -> Target {
        let id = ExprId(self.arena.exprs.len() as u32);
        self.arena.exprs.push(expr);
        self.arena.expr_scopes.push(self.arena.scopes.current());
        Target {
            builder: self.arena.id,
            expr: id,
        }
    }

    /// The arena node of `target`; a target of another builder is recorded for `build`
    /// to report.
    #[inline]
    fn node(&mut self, target: Target) -> ExprId {
        if target.builder != self.arena.id && self.arena.foreign.is_none() {
            self.arena.foreign = Some((target, self.arena.scopes.current()));
        }
        target.expr
    }

    #[inline]
    fn binary(&mut self, a: Target, b: Target, make: fn(ExprId, ExprId) -> Expr<F>) -> Target {
        let (a, b) = (self.node(a), self.node(b));
        self.push(make(a, b))
    }

    /// Number of targets created so far.
    pub fn target_count(&self) -> usize {
        self.arena.exprs.len()
    }

    /// A new public input, at the next position of the public-input vector.
    pub fn public_input(&mut self) -> Target {
        let pos = self.arena.public_count;
        self.arena.public_count += 1;
        self.push(Expr::Public(pos))
    }

    /// `n` new public inputs, in order.
    pub fn public_inputs(&mut self, n: usize) -> Vec<Target> {
        (0..n).map(|_| self.public_input()).collect()
    }

    /// Number of public inputs allocated so far.
    pub fn public_count(&self) -> usize {
        self.arena.public_count as usize
    }

    /// A private input: a value the runner takes from
    /// [`Runner::set_private_inputs`](crate::Runner::set_private_inputs), in allocation
    /// order. It lives in the Witness table only (no Public-table lane, nothing the verifier
    /// sees), and like a hint output it is advice: `build` refuses one that no constraint
    /// reads. It is the statement's existential witness, so the lint counts it as known
    /// when it checks that other hints are determined ([`HintCheck::Vouched`]).
    ///
    /// ```
    /// use fixpoint_circuit::CircuitBuilder;
    /// use p3_field::PrimeCharacteristicRing;
    /// use p3_koala_bear::KoalaBear as F;
    ///
    /// // Knowledge of a square root of a public value.
    /// let mut b = CircuitBuilder::<F>::new();
    /// let y = b.public_input();
    /// let root = b.private_input();
    /// let square = b.square(root);
    /// b.connect(square, y);
    /// let circuit = b.build()?;
    ///
    /// let mut runner = circuit.runner();
    /// runner.set_public_inputs(&[F::from_u32(49)])?;
    /// runner.set_private_inputs(&[F::from_u32(7)])?;
    /// runner.run()?;
    /// runner.set_private_inputs(&[F::from_u32(6)])?;
    /// assert!(runner.run().is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn private_input(&mut self) -> Target {
        let index = self.arena.private_count;
        self.arena.private_count += 1;
        // The statement's witness: known by definition, so only the read check applies.
        self.hint_with(
            crate::ir::HintKind::PrivateInput { index },
            &[],
            1,
            HintCheck::Vouched,
        )[0]
    }

    /// Runs `allocate` and returns, with its result, the group of every private input it
    /// allocated: the handle the runner fills with
    /// [`Runner::set_private_group`](crate::Runner::set_private_group). Groups may nest; an
    /// inner group's inputs belong to the outer group too.
    ///
    /// ```
    /// use fixpoint_circuit::CircuitBuilder;
    /// use p3_field::PrimeCharacteristicRing;
    /// use p3_koala_bear::KoalaBear as F;
    ///
    /// // Two square roots, each its own group: neither knows the other's position.
    /// let mut b = CircuitBuilder::<F>::new();
    /// let root_of = |b: &mut CircuitBuilder<F>| {
    ///     let y = b.public_input();
    ///     b.private_group(|b| {
    ///         let root = b.private_input();
    ///         let square = b.square(root);
    ///         b.connect(square, y);
    ///     })
    ///     .0
    /// };
    /// let (first, second) = (root_of(&mut b), root_of(&mut b));
    /// let circuit = b.build()?;
    ///
    /// let mut runner = circuit.runner();
    /// runner.set_public_inputs(&[F::from_u32(49), F::from_u32(9)])?;
    /// runner.set_private_group(&second, &[F::from_u32(3)])?;
    /// runner.set_private_group(&first, &[F::from_u32(7)])?;
    /// runner.run()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn private_group<R>(
        &mut self,
        allocate: impl FnOnce(&mut Self) -> R,
    ) -> (crate::ir::PrivateGroup, R) {
        let first = self.arena.private_count;
        let result = allocate(self);
        let group = crate::ir::PrivateGroup {
            first,
            len: self.arena.private_count - first,
        };
        (group, result)
    }

    /// `n` private inputs.
    pub fn private_inputs(&mut self, n: usize) -> Vec<Target> {
        (0..n).map(|_| self.private_input()).collect()
    }

    /// A constant. Equal constants share one witness slot after lowering.
    pub fn define_const(&mut self, value: F) -> Target {
        self.push(Expr::Const(value))
    }

    /// The constant `value` (an integer embedded in the field), as `circuit!` writes
    /// integer literals.
    pub fn const_u64(&mut self, value: u64) -> Target {
        self.define_const(F::from_u64(value))
    }

    /// The constant zero.
    pub fn zero(&mut self) -> Target {
        self.define_const(F::ZERO)
    }

    /// The constant one.
    pub fn one(&mut self) -> Target {
        self.define_const(F::ONE)
    }

    /// `a + b`.
    pub fn add(&mut self, a: Target, b: Target) -> Target {
        self.binary(a, b, Expr::Add)
    }

    /// `a − b` (lowered to `Add { a: b, b: result, out: a }`).
    pub fn sub(&mut self, a: Target, b: Target) -> Target {
        self.binary(a, b, Expr::Sub)
    }

    /// `a · b`.
    pub fn mul(&mut self, a: Target, b: Target) -> Target {
        self.binary(a, b, Expr::Mul)
    }

    /// `a / b`: a new target `q` constrained by `b · q = a` (one op,
    /// `Mul { a: b, b: q, out: a }`).
    ///
    /// The constraint is kept even when nothing reads `q`, because it constrains the inputs:
    /// it rules out `b = 0` unless `a = 0`. When the runner must compute `q` and `b = 0` it
    /// reports [`RunError::DivisionByZero`](crate::RunError::DivisionByZero); if `q` is
    /// already fixed by a connection, `0 · q = 0` holds for any `q`. Use
    /// [`assert_nonzero`](Self::assert_nonzero) to rule out `b = 0` outright. A divisor that
    /// is the constant zero is a [`BuildError::DivisionByZero`].
    pub fn div(&mut self, a: Target, b: Target) -> Target {
        self.binary(a, b, Expr::Div)
    }

    /// `−a`.
    pub fn neg(&mut self, a: Target) -> Target {
        let zero = self.zero();
        self.sub(zero, a)
    }

    /// `1 / a`, constrained by `a · inv = 1`: this alone rules out `a = 0`.
    pub fn inv(&mut self, a: Target) -> Target {
        let one = self.one();
        self.div(one, a)
    }

    /// `a²`.
    pub fn square(&mut self, a: Target) -> Target {
        self.mul(a, a)
    }

    /// Constrains `a` and `b` to be equal. They share one witness slot after lowering;
    /// no op is emitted. Connecting two different constants is a
    /// [`BuildError::ConflictingConstants`].
    pub fn connect(&mut self, a: Target, b: Target) {
        let (a, b) = (self.node(a), self.node(b));
        let scope = self.arena.scopes.current();
        self.arena.connections.push(Connection { a, b, scope });
    }

    /// `outputs` new targets computed natively from `inputs` by the runner — **advice**,
    /// not constraints: only the ops that read the outputs constrain them. `build` refuses
    /// a hint output that no constraint reads ([`BuildError::UnconstrainedHintOutput`]),
    /// and one that the constraints do not *determine*
    /// ([`BuildError::UndeterminedHintOutput`]): solving one unknown at a time from
    /// constants, public and private inputs, every output must get a unique value. So
    /// `h₁ + h₂ = x` with two hinted summands is refused (both `(3, 7)` and `(4, 6)` fit
    /// `x = 10`), and so is a square root checked by `r · r = x` (`−r` fits too), while
    /// `2 · h = x` is accepted; [`HintCheck`] has the rules. For advice that a gadget's own
    /// constraints pin in a way the solving cannot follow, use
    /// [`hint_vouched`](Self::hint_vouched). See
    /// [`Runner::register_hint`](crate::Runner::register_hint) for user hints.
    pub fn hint(
        &mut self,
        kind: crate::ir::HintKind,
        inputs: &[Target],
        outputs: usize,
    ) -> Vec<Target> {
        self.hint_with(kind, inputs, outputs, HintCheck::Determined)
    }

    /// A hint whose outputs `build` only checks are read by some constraint
    /// ([`HintCheck::Vouched`]): the caller vouches that its own constraints pin them. Meant
    /// for gadgets such as a bit decomposition, whose booleanity and recomposition checks
    /// fix every bit without determining any one bit alone.
    ///
    /// ```
    /// use fixpoint_circuit::{CircuitBuilder, HintKind};
    /// use p3_field::PrimeCharacteristicRing;
    /// use p3_koala_bear::KoalaBear as F;
    ///
    /// // Two bits of x: boolean, and b₀ + 2·b₁ = x.
    /// let mut b = CircuitBuilder::<F>::new();
    /// let x = b.public_input();
    /// let bits = b.hint_vouched(HintKind::BitsLe { bits: 2 }, &[x], 2);
    /// b.assert_bool(bits[0]);
    /// b.assert_bool(bits[1]);
    /// let two = b.define_const(F::TWO);
    /// let high = b.mul(bits[1], two);
    /// let sum = b.add(bits[0], high);
    /// b.connect(sum, x);
    /// let circuit = b.build()?; // `hint` would be refused: no single bit is solved from x
    ///
    /// let mut runner = circuit.runner();
    /// runner.set_public_inputs(&[F::from_u32(3)])?;
    /// runner.run()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn hint_vouched(
        &mut self,
        kind: crate::ir::HintKind,
        inputs: &[Target],
        outputs: usize,
    ) -> Vec<Target> {
        self.hint_with(kind, inputs, outputs, HintCheck::Vouched)
    }

    /// A hint checked by the lint as `check` says: [`hint`](Self::hint) and
    /// [`hint_vouched`](Self::hint_vouched) with the check as a value.
    pub fn hint_with(
        &mut self,
        kind: crate::ir::HintKind,
        inputs: &[Target],
        outputs: usize,
        check: HintCheck,
    ) -> Vec<Target> {
        let inputs = inputs.iter().map(|&t| self.node(t)).collect();
        let call = self.arena.hint_calls.len() as u32;
        let first_output = ExprId(self.arena.exprs.len() as u32);
        self.arena.hint_calls.push(HintCall {
            kind,
            inputs,
            first_output,
            outputs: outputs as u32,
            check,
        });
        (0..outputs as u32)
            .map(|index| self.push(Expr::HintOutput { call, index }))
            .collect()
    }

    /// A non-primitive operation of `kind` on `inputs`, with `outputs` results and
    /// `private_len` private field elements given to the runner at run time
    /// ([`Runner::set_private_data`](crate::Runner::set_private_data)). Its native
    /// semantics come from the executor registered for `kind`
    /// ([`Runner::register_npo`](crate::Runner::register_npo)); its table proves it. It is
    /// a constraint, so lowering never removes it.
    ///
    /// ```
    /// use fixpoint_circuit::{CircuitBuilder, NpoKind};
    /// use p3_field::PrimeCharacteristicRing;
    /// use p3_koala_bear::KoalaBear as F;
    ///
    /// const POW7: NpoKind = NpoKind(2000);
    /// let mut b = CircuitBuilder::<F>::new();
    /// let x = b.public_input();
    /// let y = b.public_input();
    /// let call = b.npo(POW7, &[x], 1, 0);
    /// b.connect(call.outputs[0], y);
    /// let circuit = b.build()?;
    ///
    /// let mut runner = circuit.runner();
    /// runner.register_npo(POW7, |inputs, _| Ok(vec![inputs[0].exp_u64(7)]));
    /// runner.set_public_inputs(&[F::TWO, F::from_u32(128)])?;
    /// runner.run()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn npo(
        &mut self,
        kind: crate::ir::NpoKind,
        inputs: &[Target],
        outputs: usize,
        private_len: usize,
    ) -> NpoCall {
        let inputs = inputs.iter().map(|&t| self.node(t)).collect();
        let call = self.arena.npo_calls.len() as u32;
        let marker = self.push(Expr::Npo { call }).expr;
        self.arena.npo_calls.push(NpoCallRecord {
            kind,
            inputs,
            marker,
            outputs: outputs as u32,
            private_len: private_len as u32,
        });
        let outputs = (0..outputs as u32)
            .map(|index| self.push(Expr::NpoOutput { call, index }))
            .collect();
        NpoCall {
            id: crate::ir::NpoCallId(call),
            outputs,
        }
    }

    /// Constrains `a = b` (same as [`connect`](Self::connect)).
    pub fn assert_eq(&mut self, a: Target, b: Target) {
        self.connect(a, b);
    }

    /// Constrains `a = 0`.
    pub fn assert_zero(&mut self, a: Target) {
        let zero = self.zero();
        self.connect(a, zero);
    }

    /// Constrains `a ∈ {0, 1}`, as `a · a = a` (one `Mul` op).
    pub fn assert_bool(&mut self, a: Target) {
        let square = self.square(a);
        self.connect(square, a);
    }

    /// Constrains `a ≠ 0`, as `a · inv = 1` with a fresh `inv` (one `Mul` op).
    ///
    /// ```
    /// use fixpoint_circuit::{CircuitBuilder, RunError};
    /// use p3_field::PrimeCharacteristicRing;
    /// use p3_koala_bear::KoalaBear as F;
    ///
    /// let mut b = CircuitBuilder::<F>::new();
    /// let x = b.public_input();
    /// b.assert_nonzero(x);
    /// let circuit = b.build()?;
    /// let mut runner = circuit.runner();
    /// runner.set_public_inputs(&[F::ZERO])?;
    /// assert!(matches!(runner.run(), Err(RunError::DivisionByZero { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn assert_nonzero(&mut self, a: Target) {
        self.inv(a);
    }

    /// Keeps `target`'s op in the circuit even if no constraint reads it, so its value can
    /// be read from the traces ([`Circuit::witness_of`]).
    pub fn expose(&mut self, target: Target) {
        let node = self.node(target);
        self.arena.exposed.push((node, self.arena.scopes.current()));
    }

    /// Runs `f` inside a named scope; every op created inside records the scope path
    /// (`outer/inner`), shown in IR dumps, statistics and errors.
    ///
    /// ```
    /// use fixpoint_circuit::CircuitBuilder;
    /// use p3_koala_bear::KoalaBear as F;
    ///
    /// let mut b = CircuitBuilder::<F>::new();
    /// let x = b.public_input();
    /// let y = b.scope("fri", |b| b.scope("fold", |b| b.square(x)));
    /// b.expose(y);
    /// let circuit = b.build()?;
    /// assert_eq!(circuit.scope_of(fixpoint_circuit::OpId(1)), "fri/fold");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn scope<R>(&mut self, name: &str, f: impl FnOnce(&mut Self) -> R) -> R {
        self.push_scope(name);
        let result = f(self);
        self.pop_scope();
        result
    }

    /// Opens a named scope; close it with [`pop_scope`](Self::pop_scope). Unbalanced
    /// pushes and pops are reported by [`build`](Self::build).
    pub fn push_scope(&mut self, name: &str) {
        self.arena.scopes.push(name);
    }

    /// Closes the innermost scope.
    pub fn pop_scope(&mut self) {
        self.arena.scopes.pop();
    }

    /// The path of the innermost open scope (`""` at the root), e.g. `"fri/fold"`.
    pub fn current_scope(&self) -> &str {
        self.arena.scopes.path(self.arena.scopes.current())
    }

    /// Lowers the recorded circuit with every pass enabled; see [`crate::lower`].
    pub fn build(&self) -> Result<Circuit<F>, BuildError<F>> {
        self.build_with(&LowerOptions::default())
    }

    /// Lowers the recorded circuit with the chosen passes (for comparing passes on and off).
    pub fn build_with(&self, options: &LowerOptions) -> Result<Circuit<F>, BuildError<F>> {
        lower::lower(&self.arena, options)
    }
}
