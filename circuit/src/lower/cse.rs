//! Common-subexpression elimination by hash-consing.
//!
//! Each computed node is keyed by its operation and its operands' *classes* (so targets
//! made equal by `connect`, folding or an earlier merge count as the same operand), with
//! the operands of `+` and `·` sorted. A node whose key is already in the table merges
//! into the earlier node's class and emits no op.

use hashbrown::HashMap;
use p3_field::Field;

use super::state::Role;
use super::{BuildError, State};
use crate::arena::{Expr, ExprId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Operation {
    Add,
    Sub,
    Mul,
    Div,
}

/// Hash-consing table: key → the first node with that key.
#[derive(Default)]
pub(crate) struct Table {
    seen: HashMap<(Operation, ExprId, ExprId), ExprId>,
}

/// Merges `node` into an earlier identical node, if there is one.
pub(crate) fn visit<F: Field>(
    state: &mut State<'_, F>,
    table: &mut Table,
    node: ExprId,
) -> Result<(), BuildError<F>> {
    if state.role[node.index()] != Role::Emit {
        return Ok(());
    }
    let (operation, a, b, commutative) = match state.expr(node) {
        Expr::Add(a, b) => (Operation::Add, a, b, true),
        Expr::Mul(a, b) => (Operation::Mul, a, b, true),
        Expr::Sub(a, b) => (Operation::Sub, a, b, false),
        Expr::Div(a, b) => (Operation::Div, a, b, false),
        Expr::Const(_)
        | Expr::Public(_)
        | Expr::HintOutput { .. }
        | Expr::Npo { .. }
        | Expr::NpoOutput { .. } => return Ok(()),
    };
    let (mut a, mut b) = (state.uf.find(a), state.uf.find(b));
    if commutative && a > b {
        std::mem::swap(&mut a, &mut b);
    }
    match table.seen.entry((operation, a, b)) {
        hashbrown::hash_map::Entry::Occupied(earlier) => {
            let earlier = *earlier.get();
            state.union(node, earlier, state.node_scope(node))?;
            state.role[node.index()] = Role::Alias;
        }
        hashbrown::hash_map::Entry::Vacant(slot) => {
            slot.insert(node);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use p3_koala_bear::KoalaBear as F;

    use crate::{CircuitBuilder, LowerOptions, Op};

    fn cse_only() -> LowerOptions {
        LowerOptions {
            cse: true,
            remove_dead_ops: true,
            ..LowerOptions::none()
        }
    }

    #[test]
    fn commutative_duplicates_merge() {
        let mut b = CircuitBuilder::<F>::new();
        let x = b.public_input();
        let y = b.public_input();
        let p = b.mul(x, y);
        let q = b.mul(y, x);
        let s = b.add(p, q);
        b.expose(s);
        let circuit = b.build_with(&cse_only()).unwrap();
        assert_eq!(circuit.witness_of(p), circuit.witness_of(q));
        let muls = circuit
            .ops
            .iter()
            .filter(|op| matches!(op, Op::Mul { .. }))
            .count();
        assert_eq!(muls, 1);
    }

    #[test]
    fn subtraction_is_not_commutative() {
        let mut b = CircuitBuilder::<F>::new();
        let x = b.public_input();
        let y = b.public_input();
        let p = b.sub(x, y);
        let q = b.sub(y, x);
        b.expose(p);
        b.expose(q);
        let circuit = b.build_with(&cse_only()).unwrap();
        assert_ne!(circuit.witness_of(p), circuit.witness_of(q));
    }

    #[test]
    fn operands_equal_by_connection_count_as_equal() {
        let mut b = CircuitBuilder::<F>::new();
        let x = b.public_input();
        let y = b.public_input();
        b.connect(x, y);
        let p = b.add(x, x);
        let q = b.add(y, x);
        b.expose(p);
        b.expose(q);
        let circuit = b.build_with(&cse_only()).unwrap();
        assert_eq!(circuit.witness_of(p), circuit.witness_of(q));
    }
}
