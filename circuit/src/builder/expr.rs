//! The builder's symbolic expression arena.

use serde::{Deserialize, Serialize};

/// A symbolic value handed out by the [`CircuitBuilder`](crate::CircuitBuilder).
///
/// Targets are cheap handles (a `u32`) into the builder's append-only expression arena;
/// creation order is a topological order. A target only means something to the builder
/// that created it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Target(pub(crate) ExprId);

impl Target {
    /// The target's creation index in its builder (also its index in
    /// [`DebugInfo::target_slots`](crate::DebugInfo::target_slots)).
    #[inline]
    pub fn index(self) -> usize {
        self.0.index()
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "t{}", self.0.0)
    }
}

/// Index of an expression in the builder's arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub(crate) struct ExprId(pub(crate) u32);

impl ExprId {
    #[inline]
    pub(crate) fn index(self) -> usize {
        self.0 as usize
    }
}

/// One node of the arena. Operands always precede the node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expr<F> {
    Const(F),
    Public(u32),
    Add(ExprId, ExprId),
    Sub(ExprId, ExprId),
    Mul(ExprId, ExprId),
    Div(ExprId, ExprId),
}

impl<F> Expr<F> {
    /// The operands of a computed node.
    #[inline]
    pub(crate) fn operands(&self) -> Option<(ExprId, ExprId)> {
        match *self {
            Expr::Add(a, b) | Expr::Sub(a, b) | Expr::Mul(a, b) | Expr::Div(a, b) => Some((a, b)),
            Expr::Const(_) | Expr::Public(_) => None,
        }
    }
}
