//! The expression arena: what a [`CircuitBuilder`](crate::CircuitBuilder) records, and
//! what [`lower`](crate::lower) reads.
//!
//! It sits below both: the builder appends to it, the lowering passes read it, and neither
//! knows the other's code. Nodes are appended in creation order, which is a topological
//! order (operands always precede the node).

mod expr;
mod scope;

pub use expr::Target;

pub(crate) use expr::{BuilderId, Expr, ExprId};
pub(crate) use scope::Scopes;

use crate::ir::{Circuit, HintKind, NpoKind, ScopeId, WitnessId};

/// A hint call recorded by the builder; its outputs are the consecutive nodes from
/// `first_output`.
#[derive(Clone, Debug)]
pub(crate) struct HintCall {
    pub(crate) kind: HintKind,
    pub(crate) inputs: Vec<ExprId>,
    pub(crate) first_output: ExprId,
    pub(crate) outputs: u32,
    /// Which of the lint's checks the outputs must pass.
    pub(crate) check: HintCheck,
}

/// How [`build`](crate::CircuitBuilder::build)'s hint lint checks a hint's outputs.
///
/// Every hint output must be *read* by some constraint
/// ([`BuildError::UnconstrainedHintOutput`](crate::BuildError::UnconstrainedHintOutput)). On top of that, the lint can require the
/// constraints to *determine* each output ([`BuildError::UndeterminedHintOutput`](crate::BuildError::UndeterminedHintOutput)),
/// solving one unknown at a time:
///
/// - a class of connected targets is *known* when it holds a constant, a public input or a
///   private input, or is an output of a non-primitive op or of a vouched hint whose
///   inputs are all known;
/// - an op `y = a ∘ b` with two of its three values known gives the third, except that a
///   product is never solved by dividing by the constant zero (`0 · h = y` leaves `h`
///   free); a square `h · h = y` never gives `h` (`−h` fits too).
///
/// Limits: a known factor that is a variable is assumed nonzero when dividing by it (rule
/// zero out with [`assert_nonzero`](crate::CircuitBuilder::assert_nonzero) if it matters), and a
/// non-primitive op is never solved backwards (its inputs do not follow from its outputs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum HintCheck {
    /// The constraints must determine every output, one unknown at a time. What
    /// [`CircuitBuilder::hint`](crate::CircuitBuilder::hint) records.
    #[default]
    Determined,
    /// The caller vouches that its own constraints pin the outputs, in a way the
    /// one-unknown-at-a-time solving cannot follow (booleanity plus recomposition for a bit
    /// decomposition: each bit alone is not solved from the sum). Only the read check
    /// applies; wherever all the hint's inputs are known, its outputs count as known for
    /// the other hints' determined check. A private input is recorded this way too: it has
    /// no inputs and is the statement's witness, known by definition.
    Vouched,
}

/// A non-primitive call recorded by the builder: a marker node, then its outputs.
#[derive(Clone, Debug)]
pub(crate) struct NpoCallRecord {
    pub(crate) kind: NpoKind,
    pub(crate) inputs: Vec<ExprId>,
    pub(crate) marker: ExprId,
    pub(crate) outputs: u32,
    pub(crate) private_len: u32,
}

/// A constraint recorded by the builder: the two targets must hold the same value.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Connection {
    pub(crate) a: ExprId,
    pub(crate) b: ExprId,
    pub(crate) scope: ScopeId,
}

/// Everything a builder has recorded: the expression nodes with their scopes, the
/// constraints, the hint and non-primitive calls, and the exposed targets.
#[derive(Clone, Debug)]
pub(crate) struct ExprArena<F> {
    pub(crate) id: BuilderId,
    pub(crate) exprs: Vec<Expr<F>>,
    pub(crate) expr_scopes: Vec<ScopeId>,
    pub(crate) connections: Vec<Connection>,
    pub(crate) hint_calls: Vec<HintCall>,
    pub(crate) npo_calls: Vec<NpoCallRecord>,
    pub(crate) exposed: Vec<(ExprId, ScopeId)>,
    /// The first target of another builder passed to this one, and where.
    pub(crate) foreign: Option<(Target, ScopeId)>,
    pub(crate) public_count: u32,
    pub(crate) private_count: u32,
    pub(crate) scopes: Scopes,
}

impl<F> ExprArena<F> {
    /// An empty arena with a fresh builder id.
    pub(crate) fn new() -> Self {
        ExprArena {
            id: BuilderId::fresh(),
            exprs: Vec::new(),
            expr_scopes: Vec::new(),
            connections: Vec::new(),
            hint_calls: Vec::new(),
            npo_calls: Vec::new(),
            exposed: Vec::new(),
            foreign: None,
            public_count: 0,
            private_count: 0,
            scopes: Scopes::default(),
        }
    }
}

impl<F> Circuit<F> {
    /// The slot holding `target`'s value, or `None` if lowering removed the target (nothing
    /// reads it; use [`CircuitBuilder::expose`](crate::CircuitBuilder::expose) to keep it).
    ///
    /// Defined here, beside [`Target`], so that the IR knows no builder handle.
    pub fn witness_of(&self, target: Target) -> Option<WitnessId> {
        self.debug
            .target_slots
            .get(target.index())
            .copied()
            .flatten()
    }
}
