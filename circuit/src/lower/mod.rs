//! Lowering: from the builder's expression arena to the Execution IR.
//!
//! The passes, one file each, run in this order:
//!
//! 1. `const_pool.rs` seeds every constant's class with its value and merges classes that
//!    hold equal constants (one slot per distinct constant);
//! 2. `connect.rs` merges the classes of `connect`ed targets (union-find): connected targets
//!    share one slot and no op is emitted;
//! 3. one forward sweep in creation order runs, per node, `fold.rs` (constant folding and
//!    identity simplification) and then `cse.rs` (hash-consing, commutative operands
//!    normalised), so that a merge found by one can feed the other further down;
//! 4. `dce.rs` removes ops whose result nothing reads, connects or exposes (public inputs
//!    and divisions stay: `b · q = a` constrains its inputs);
//! 5. `lint.rs` refuses hint outputs that no constraint reads, and outputs of hints made
//!    with [`CircuitBuilder::hint`](crate::CircuitBuilder::hint) that the constraints do not determine (solving one
//!    unknown at a time; see [`BuildError::UndeterminedHintOutput`] and
//!    [`HintCheck`](crate::HintCheck));
//! 6. `alloc.rs` orders the ops (constants, then public inputs, then computed ops in creation
//!    order — every op then has at most one undefined slot) and numbers the slots in order
//!    of first definition.
//!
//! Constants live on union-find *classes*, not on nodes: a class holding a constant is
//! defined by one `Const` op, and every other op writing that class becomes a check of the
//! constant. Merging a computed value into a constant's class therefore never turns
//! unrelated ops into readers of a wrong value — they all read the one value the class is
//! constrained to hold.

mod alloc;
mod connect;
mod const_pool;
mod cse;
mod dce;
mod fold;
mod lint;
mod state;
mod union_find;

use p3_field::Field;
use thiserror::Error;

use crate::arena::{ExprArena, Target};
use crate::ir::{Circuit, describe_scope};

pub(crate) use state::State;

/// Which optional lowering passes run. Union-find for `connect` and slot allocation always
/// run: they define what the circuit means.
///
/// ```
/// use fixpoint_circuit::{CircuitBuilder, LowerOptions};
/// use p3_koala_bear::KoalaBear as F;
///
/// let mut b = CircuitBuilder::<F>::new();
/// let x = b.public_input();
/// let y = b.mul(x, x);
/// let z = b.mul(x, x); // the same product again
/// b.connect(y, z);
/// let optimised = b.build()?;
/// let plain = b.build_with(&LowerOptions::none())?;
/// assert!(optimised.ops.len() < plain.ops.len());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LowerOptions {
    /// Give equal constants one slot and one `Const` op.
    pub dedup_constants: bool,
    /// Evaluate ops on constants and simplify `x+0`, `x·1`, `x·0`, `x−0`, `x/1`, `x−x`, and
    /// `a − b` asserted zero (into `connect(a, b)`).
    pub fold_constants: bool,
    /// Common-subexpression elimination.
    pub cse: bool,
    /// Remove ops whose result nothing reads, connects or exposes. Public inputs and
    /// divisions by non-constant divisors always stay (a division constrains its inputs).
    pub remove_dead_ops: bool,
}

impl Default for LowerOptions {
    fn default() -> Self {
        LowerOptions {
            dedup_constants: true,
            fold_constants: true,
            cse: true,
            remove_dead_ops: true,
        }
    }
}

impl LowerOptions {
    /// Every optional pass off: one op per builder call.
    pub fn none() -> Self {
        LowerOptions {
            dedup_constants: false,
            fold_constants: false,
            cse: false,
            remove_dead_ops: false,
        }
    }
}

/// Why a circuit could not be lowered. Each variant names the builder scope(s) involved.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum BuildError<F: Field> {
    /// Two different constants were constrained equal (by `connect`/`assert_*`, or by a
    /// folded op whose result is connected to another constant).
    #[error(
        "constants {first} (defined in {}) and {second} (defined in {}) are constrained equal \
         (in {})",
        describe_scope(.first_scope), describe_scope(.second_scope), describe_scope(.at)
    )]
    ConflictingConstants {
        /// The constant already in the class.
        first: F,
        /// Scope where `first` was defined.
        first_scope: String,
        /// The constant being merged in.
        second: F,
        /// Scope where `second` was defined.
        second_scope: String,
        /// Scope of the `connect` or op that made them equal.
        at: String,
    },
    /// A division or inverse whose divisor is the constant zero.
    #[error("division by the constant zero in {}", describe_scope(.scope))]
    DivisionByZero {
        /// Scope of the division.
        scope: String,
    },
    /// A target that this builder did not create (from another builder).
    #[error("target {target} was not created by this builder (used in {})", describe_scope(.scope))]
    UnknownTarget {
        /// The foreign target.
        target: Target,
        /// Scope of the call that used it.
        scope: String,
    },
    /// A hint output that no constraint reads: its value would be whatever the prover
    /// likes. Constrain it (or do not ask for it).
    #[error("output {output} of a {kind} hint (in {}) is read by no constraint", describe_scope(.scope))]
    UnconstrainedHintOutput {
        /// The hint's kind.
        kind: crate::ir::HintKind,
        /// Which output.
        output: usize,
        /// Scope of the hint call.
        scope: String,
    },
    /// A hint output that constraints read but do not determine: solving one unknown at a
    /// time — from constants, public inputs, private inputs, outputs of non-primitive ops
    /// and vouched hints whose inputs are known, and the outputs already solved — never
    /// reaches it, so the prover may have a choice (`h₁ + h₂ = x` for two hints, or
    /// `r · r = x`, where `−r` fits as well). Add a constraint that pins it, or record the
    /// hint with [`CircuitBuilder::hint_vouched`](crate::CircuitBuilder::hint_vouched) if the gadget's own constraints pin it.
    #[error(
        "output {output} of a {kind} hint (in {}) is determined by no constraint (solving one \
         unknown at a time)",
        describe_scope(.scope)
    )]
    UndeterminedHintOutput {
        /// The hint's kind.
        kind: crate::ir::HintKind,
        /// Which output.
        output: usize,
        /// Scope of the hint call.
        scope: String,
    },
    /// `build` was called with a scope still open.
    #[error("scope `{scope}` was pushed but never popped")]
    UnclosedScope {
        /// The innermost open scope.
        scope: String,
    },
    /// `pop_scope` was called with no scope open.
    #[error("pop_scope was called {count} time(s) with no scope open")]
    UnmatchedPopScope {
        /// How many unmatched pops.
        count: usize,
    },
}

/// Runs the passes selected by `options` over a builder's recorded `arena`.
#[tracing::instrument(name = "lower", skip_all, fields(targets = arena.exprs.len()))]
pub(crate) fn lower<F: Field>(
    arena: &ExprArena<F>,
    options: &LowerOptions,
) -> Result<Circuit<F>, BuildError<F>> {
    if let Some(scope) = arena.scopes.open() {
        return Err(BuildError::UnclosedScope {
            scope: scope.to_owned(),
        });
    }
    if arena.scopes.unmatched_pops > 0 {
        return Err(BuildError::UnmatchedPopScope {
            count: arena.scopes.unmatched_pops,
        });
    }
    state::check_targets(arena)?;

    let mut state = State::new(arena, options.dedup_constants);
    const_pool::seed(&mut state)?;
    connect::apply(&mut state)?;
    if options.fold_constants || options.cse {
        let mut table = cse::Table::default();
        for node in 0..arena.exprs.len() {
            let node = crate::arena::ExprId(node as u32);
            if options.fold_constants && fold::visit(&mut state, node)? {
                continue;
            }
            if options.cse {
                cse::visit(&mut state, &mut table, node)?;
            }
        }
    }
    let liveness = dce::liveness(&mut state, options.remove_dead_ops);
    lint::check_hints(&mut state, &liveness)?;
    let circuit = alloc::emit(&mut state, &liveness);
    if cfg!(debug_assertions) {
        if let Err(err) = circuit.verify() {
            panic!("lowering produced invalid IR (a fixpoint bug): {err}");
        }
    }
    Ok(circuit)
}
