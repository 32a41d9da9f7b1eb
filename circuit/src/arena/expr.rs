//! The builder's symbolic expression arena.

/// A symbolic value handed out by the [`CircuitBuilder`](crate::CircuitBuilder).
///
/// Targets are cheap handles into the builder's append-only expression arena; creation
/// order is a topological order. A target only means something to the builder that
/// created it: using it with another builder makes `build` fail with
/// [`BuildError::UnknownTarget`](crate::BuildError::UnknownTarget).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Target {
    pub(crate) builder: BuilderId,
    pub(crate) expr: ExprId,
}

impl Target {
    /// The target's creation index in its builder (also its index in
    /// [`DebugInfo::target_slots`](crate::DebugInfo::target_slots)).
    #[inline]
    pub fn index(self) -> usize {
        self.expr.index()
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "t{} (of builder #{})", self.expr.0, self.builder.0)
    }
}

/// Identity of a builder, so that targets of one builder are refused by another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct BuilderId(pub(crate) u32);

impl BuilderId {
    /// A fresh id (process-wide counter).
    pub(crate) fn fresh() -> Self {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        BuilderId(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    }
}

/// Index of an expression in the builder's arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
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
    /// Output `index` of hint call `call` (see `CircuitBuilder::hint`).
    HintOutput {
        call: u32,
        index: u32,
    },
    /// Marks where non-primitive call `call` happens (it has no value of its own).
    Npo {
        call: u32,
    },
    /// Output `index` of non-primitive call `call`.
    NpoOutput {
        call: u32,
        index: u32,
    },
}

impl<F> Expr<F> {
    /// The operands of a computed node.
    #[inline]
    pub(crate) fn operands(&self) -> Option<(ExprId, ExprId)> {
        match *self {
            Expr::Add(a, b) | Expr::Sub(a, b) | Expr::Mul(a, b) | Expr::Div(a, b) => Some((a, b)),
            Expr::Const(_)
            | Expr::Public(_)
            | Expr::HintOutput { .. }
            | Expr::Npo { .. }
            | Expr::NpoOutput { .. } => None,
        }
    }
}
