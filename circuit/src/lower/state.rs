//! The state the passes share: union-find classes, the constants they hold, node roles.

use hashbrown::HashMap;
use p3_field::Field;

use super::BuildError;
use super::union_find::UnionFind;
use crate::arena::{Expr, ExprArena, ExprId, Target};
use crate::ir::ScopeId;

/// A class's constant value and the node that introduced it (for error messages and for
/// the `Const` op's scope).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConstFact<F> {
    pub(crate) value: F,
    pub(crate) origin: ExprId,
}

/// What a node becomes in the IR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// The node emits its own op (a `Public`, or a computed op).
    Emit,
    /// The node emits nothing: its class is defined elsewhere (a constant, a folded or
    /// simplified node, a CSE duplicate).
    Alias,
}

pub(crate) struct State<'b, F> {
    pub(crate) arena: &'b ExprArena<F>,
    pub(crate) uf: UnionFind,
    /// Constant held by each class, stored at the class root.
    consts: Vec<Option<ConstFact<F>>>,
    /// Value → a node of the class holding it, when constants are deduplicated.
    pool: Option<HashMap<F, ExprId>>,
    pub(crate) role: Vec<Role>,
}

impl<'b, F: Field> State<'b, F> {
    pub(crate) fn new(arena: &'b ExprArena<F>, dedup_constants: bool) -> Self {
        let n = arena.exprs.len();
        let role = arena
            .exprs
            .iter()
            .map(|e| match e {
                Expr::Const(_) => Role::Alias,
                _ => Role::Emit,
            })
            .collect();
        State {
            arena,
            uf: UnionFind::new(n),
            consts: vec![None; n],
            pool: dedup_constants.then(HashMap::new),
            role,
        }
    }

    #[inline]
    pub(crate) fn expr(&self, node: ExprId) -> Expr<F> {
        self.arena.exprs[node.index()]
    }

    pub(crate) fn scope_path(&self, scope: ScopeId) -> String {
        self.arena.scopes.path(scope).to_owned()
    }

    pub(crate) fn node_scope(&self, node: ExprId) -> ScopeId {
        self.arena.expr_scopes[node.index()]
    }

    /// The constant held by `node`'s class, if any.
    #[inline]
    pub(crate) fn const_of(&mut self, node: ExprId) -> Option<ConstFact<F>> {
        let root = self.uf.find(node);
        self.consts[root.index()]
    }

    /// Merges the classes of `a` and `b`; two different constants in one class is an error
    /// reported at scope `at`.
    pub(crate) fn union(&mut self, a: ExprId, b: ExprId, at: ScopeId) -> Result<(), BuildError<F>> {
        let (root, absorbed) = self.uf.union(a, b);
        if root == absorbed {
            return Ok(());
        }
        let kept = self.consts[root.index()];
        let merged = self.consts[absorbed.index()].take();
        self.consts[root.index()] = match (kept, merged) {
            (Some(first), Some(second)) if first.value != second.value => {
                return Err(self.conflict(first, second, at));
            }
            (Some(first), Some(second)) => Some(if first.origin <= second.origin {
                first
            } else {
                second
            }),
            (one, other) => one.or(other),
        };
        Ok(())
    }

    /// Records that `node`'s class holds `value` (introduced by `origin`), merging it with
    /// the class already holding `value` when constants are deduplicated.
    pub(crate) fn set_const(
        &mut self,
        node: ExprId,
        value: F,
        origin: ExprId,
    ) -> Result<(), BuildError<F>> {
        let root = self.uf.find(node);
        let fact = ConstFact { value, origin };
        match self.consts[root.index()] {
            Some(existing) if existing.value != value => {
                return Err(self.conflict(existing, fact, self.node_scope(origin)));
            }
            Some(_) => return Ok(()),
            None => self.consts[root.index()] = Some(fact),
        }
        let Some(pool) = self.pool.as_mut() else {
            return Ok(());
        };
        match pool.get(&value) {
            Some(&other) => self.union(root, other, self.node_scope(origin)),
            None => {
                pool.insert(value, root);
                Ok(())
            }
        }
    }

    fn conflict(&self, first: ConstFact<F>, second: ConstFact<F>, at: ScopeId) -> BuildError<F> {
        BuildError::ConflictingConstants {
            first: first.value,
            first_scope: self.scope_path(self.node_scope(first.origin)),
            second: second.value,
            second_scope: self.scope_path(self.node_scope(second.origin)),
            at: self.scope_path(at),
        }
    }
}

/// Rejects targets this builder did not create (another builder's, or a clone's newer
/// ones): an operand must precede its node, and a connected or exposed target must exist.
pub(crate) fn check_targets<F: Field>(arena: &ExprArena<F>) -> Result<(), BuildError<F>> {
    if let Some((target, scope)) = arena.foreign {
        return Err(BuildError::UnknownTarget {
            target,
            scope: arena.scopes.path(scope).to_owned(),
        });
    }
    // A clone of this builder shares its id; its newer targets are out of range here.
    let unknown = |expr: ExprId, scope: ScopeId| BuildError::UnknownTarget {
        target: Target {
            builder: arena.id,
            expr,
        },
        scope: arena.scopes.path(scope).to_owned(),
    };
    // A call's inputs must precede the call (its marker or first output).
    let calls = arena
        .npo_calls
        .iter()
        .map(|c| (&c.inputs, c.marker))
        .chain(arena.hint_calls.iter().map(|c| (&c.inputs, c.first_output)));
    for (inputs, anchor) in calls {
        let scope = arena
            .expr_scopes
            .get(anchor.index())
            .copied()
            .unwrap_or(ScopeId::ROOT);
        if let Some(&input) = inputs.iter().find(|t| t.index() >= anchor.index()) {
            return Err(unknown(input, scope));
        }
    }
    for (i, expr) in arena.exprs.iter().enumerate() {
        if let Some((a, b)) = expr.operands() {
            for operand in [a, b] {
                if operand.index() >= i {
                    return Err(unknown(operand, arena.expr_scopes[i]));
                }
            }
        }
    }
    let n = arena.exprs.len();
    for c in &arena.connections {
        for target in [c.a, c.b] {
            if target.index() >= n {
                return Err(unknown(target, c.scope));
            }
        }
    }
    if let Some(&(target, scope)) = arena.exposed.iter().find(|(t, _)| t.index() >= n) {
        return Err(unknown(target, scope));
    }
    Ok(())
}
