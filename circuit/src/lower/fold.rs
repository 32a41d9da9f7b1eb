//! Constant folding and identity simplification.
//!
//! A node whose operands' classes both hold constants becomes a constant; identities
//! (`x+0`, `0+x`, `x−0`, `x·1`, `1·x`, `x/1`) merge the node into its operand's class;
//! absorbing cases (`x·0`, `0·x`, `x−x`) make it the constant zero; and `a − b` whose class
//! holds zero (it was asserted zero) becomes `connect(a, b)`. In every case the node emits
//! no op.

use p3_field::Field;

use super::state::Role;
use super::{BuildError, State};
use crate::arena::{Expr, ExprId};

/// Folds `node` if it can; returns whether it was folded (and so emits no op).
pub(crate) fn visit<F: Field>(
    state: &mut State<'_, F>,
    node: ExprId,
) -> Result<bool, BuildError<F>> {
    let expr = state.expr(node);
    let Some((a, b)) = expr.operands() else {
        return Ok(false);
    };
    let scope = state.node_scope(node);
    let ca = state.const_of(a).map(|c| c.value);
    let cb = state.const_of(b).map(|c| c.value);
    let same_class = state.uf.find(a) == state.uf.find(b);
    let asserted_zero = state.const_of(node).is_some_and(|c| c.value.is_zero());

    enum Fold<F> {
        Const(F),
        Alias(ExprId),
        Connect(ExprId, ExprId),
    }
    let fold = match (expr, ca, cb) {
        (Expr::Div(..), _, Some(d)) if d.is_zero() => {
            return Err(BuildError::DivisionByZero {
                scope: state.scope_path(scope),
            });
        }
        (Expr::Add(..), Some(x), Some(y)) => Fold::Const(x + y),
        (Expr::Sub(..), Some(x), Some(y)) => Fold::Const(x - y),
        (Expr::Mul(..), Some(x), Some(y)) => Fold::Const(x * y),
        (Expr::Div(..), Some(x), Some(y)) => Fold::Const(x / y),
        (Expr::Add(..), Some(z), _) if z.is_zero() => Fold::Alias(b),
        (Expr::Add(..) | Expr::Sub(..), _, Some(z)) if z.is_zero() => Fold::Alias(a),
        (Expr::Mul(..), Some(z), _) | (Expr::Mul(..), _, Some(z)) if z.is_zero() => {
            Fold::Const(F::ZERO)
        }
        (Expr::Mul(..), Some(o), _) if o.is_one() => Fold::Alias(b),
        (Expr::Mul(..) | Expr::Div(..), _, Some(o)) if o.is_one() => Fold::Alias(a),
        (Expr::Sub(..), _, _) if same_class => Fold::Const(F::ZERO),
        (Expr::Sub(..), _, _) if asserted_zero => Fold::Connect(a, b),
        _ => return Ok(false),
    };
    match fold {
        Fold::Const(value) => state.set_const(node, value, node)?,
        Fold::Alias(operand) => state.union(node, operand, scope)?,
        // `a − b = 0` ⇔ `a = b`; the class of `node` keeps its zero.
        Fold::Connect(a, b) => state.union(a, b, scope)?,
    }
    state.role[node.index()] = Role::Alias;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use p3_field::PrimeCharacteristicRing;
    use p3_koala_bear::KoalaBear as F;

    use crate::{BuildError, CircuitBuilder, LowerOptions, Op};

    fn fold_only() -> LowerOptions {
        LowerOptions {
            fold_constants: true,
            dedup_constants: true,
            remove_dead_ops: true,
            cse: false,
        }
    }

    fn computed_ops(circuit: &crate::Circuit<F>) -> usize {
        circuit
            .ops
            .iter()
            .filter(|op| matches!(op, Op::Add { .. } | Op::Mul { .. }))
            .count()
    }

    #[test]
    fn constant_expressions_fold_to_one_const() {
        let mut b = CircuitBuilder::<F>::new();
        let two = b.define_const(F::TWO);
        let three = b.define_const(F::from_u32(3));
        let six = b.mul(two, three);
        let eight = b.add(six, two);
        let one = b.one();
        let seven = b.sub(eight, one);
        let half = b.div(seven, two);
        b.expose(half);
        let circuit = b.build_with(&fold_only()).unwrap();
        assert_eq!(
            circuit.ops,
            vec![Op::Const {
                out: crate::WitnessId(0),
                val: F::from_u32(7) / F::TWO
            }]
        );
    }

    #[test]
    fn identities_emit_no_op() {
        let mut b = CircuitBuilder::<F>::new();
        let x = b.public_input();
        let zero = b.zero();
        let one = b.one();
        let outs = [
            b.add(x, zero),
            b.add(zero, x),
            b.sub(x, zero),
            b.mul(x, one),
            b.mul(one, x),
            b.div(x, one),
        ];
        for &t in &outs {
            b.expose(t);
        }
        let circuit = b.build_with(&fold_only()).unwrap();
        assert_eq!(computed_ops(&circuit), 0);
        for t in outs {
            assert_eq!(circuit.witness_of(t), circuit.witness_of(x));
        }
    }

    #[test]
    fn absorbing_cases_become_zero() {
        let mut b = CircuitBuilder::<F>::new();
        let x = b.public_input();
        let zero = b.zero();
        let outs = [b.mul(x, zero), b.mul(zero, x), b.sub(x, x)];
        for &t in &outs {
            b.expose(t);
        }
        let circuit = b.build_with(&fold_only()).unwrap();
        assert_eq!(computed_ops(&circuit), 0);
        for t in outs {
            assert_eq!(circuit.witness_of(t), circuit.witness_of(zero));
        }
    }

    #[test]
    fn difference_asserted_zero_becomes_a_connection() {
        let mut b = CircuitBuilder::<F>::new();
        let x = b.public_input();
        let y = b.public_input();
        let d = b.sub(x, y);
        b.assert_zero(d);
        let circuit = b.build_with(&fold_only()).unwrap();
        assert_eq!(computed_ops(&circuit), 0);
        assert_eq!(circuit.witness_of(x), circuit.witness_of(y));
    }

    #[test]
    fn division_by_constant_zero_is_a_build_error() {
        let mut b = CircuitBuilder::<F>::new();
        let x = b.public_input();
        let y = b.scope("bad", |b| {
            let zero = b.zero();
            b.div(x, zero)
        });
        b.expose(y);
        assert_eq!(
            b.build().unwrap_err(),
            BuildError::DivisionByZero {
                scope: "bad".into()
            }
        );
    }

    #[test]
    fn folded_constant_conflicting_with_a_connection_is_an_error() {
        let mut b = CircuitBuilder::<F>::new();
        let two = b.define_const(F::TWO);
        let four = b.mul(two, two);
        let five = b.define_const(F::from_u32(5));
        b.connect(four, five);
        assert!(matches!(
            b.build().unwrap_err(),
            BuildError::ConflictingConstants { .. }
        ));
    }
}
