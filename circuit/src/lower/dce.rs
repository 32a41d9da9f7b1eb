//! Dead-op removal.
//!
//! A class is *needed* when a live op reads it, it is exposed, or it is constrained — it
//! has two or more definers (a constant, public inputs, computed nodes), so all but the
//! first are checks. Two kinds of op are live even when nothing reads them:
//!
//! - public inputs: the public-input layout is part of the circuit's interface;
//! - divisions: `b · q = a` constrains its *inputs* (it rules out `b = 0` unless `a = 0`),
//!   so dropping it would accept inputs the circuit rejects — unless the divisor is a
//!   nonzero constant, when some `q` always exists.
//!
//! One reverse sweep suffices because operands precede their nodes.

use p3_field::Field;

use super::State;
use super::state::Role;
use crate::arena::{Expr, ExprId};

/// Which ops survive: per node (for `Emit` nodes) and per class root (for constants).
pub(crate) struct Liveness {
    pub(crate) node_live: Vec<bool>,
    /// Indexed by class root: the class's `Const` op is emitted.
    pub(crate) const_live: Vec<bool>,
}

pub(crate) fn liveness<F: Field>(state: &mut State<'_, F>, remove_dead_ops: bool) -> Liveness {
    let n = state.role.len();
    let mut definers = vec![0u32; n];
    let mut has_const = vec![false; n];
    for i in 0..n {
        let node = ExprId(i as u32);
        let root = state.uf.find(node).index();
        if state.role[i] == Role::Emit {
            definers[root] += 1;
        }
        if !has_const[root] && state.const_of(node).is_some() {
            has_const[root] = true;
            definers[root] += 1;
        }
    }

    // `needed`: the class must have a value (read by a live op, exposed, or checked by a
    // second definer).
    let mut needed: Vec<bool> = definers.iter().map(|&d| d >= 2).collect();
    for &(t, _) in &state.arena.exposed {
        needed[state.uf.find(t).index()] = true;
    }
    let mut node_live = vec![false; n];
    for i in (0..n).rev() {
        if state.role[i] != Role::Emit {
            continue;
        }
        let node = ExprId(i as u32);
        let expr = state.expr(node);
        if let Expr::HintOutput { call, index } = expr {
            // A hint lives or dies whole; decide at its first output (visited last).
            if index == 0 {
                let hint = &state.arena.hint_calls[call as usize];
                let first = hint.first_output.index();
                let outputs = first..first + hint.outputs as usize;
                let live = !remove_dead_ops
                    || outputs
                        .clone()
                        .any(|o| needed[state.uf.find(ExprId(o as u32)).index()]);
                if live {
                    outputs.for_each(|o| node_live[o] = true);
                    for input in state.arena.hint_calls[call as usize].inputs.clone() {
                        needed[state.uf.find(input).index()] = true;
                    }
                }
            }
            continue;
        }
        match expr {
            // Outputs are decided with their call's marker, which comes first.
            Expr::NpoOutput { .. } => continue,
            // A non-primitive op is a constraint: always live, with all its outputs.
            Expr::Npo { call } => {
                let record = &state.arena.npo_calls[call as usize];
                let first = record.marker.index() + 1;
                (i..first + record.outputs as usize).for_each(|o| node_live[o] = true);
                for input in state.arena.npo_calls[call as usize].inputs.clone() {
                    needed[state.uf.find(input).index()] = true;
                }
                continue;
            }
            _ => {}
        }
        let constrains_inputs = match expr {
            Expr::Public(_) => true,
            Expr::Div(_, divisor) => state.const_of(divisor).is_none_or(|c| c.value.is_zero()),
            _ => false,
        };
        let live = !remove_dead_ops || constrains_inputs || needed[state.uf.find(node).index()];
        if !live {
            continue;
        }
        node_live[i] = true;
        if let Some((a, b)) = expr.operands() {
            needed[state.uf.find(a).index()] = true;
            needed[state.uf.find(b).index()] = true;
        }
    }
    let const_live = (0..n)
        .map(|r| has_const[r] && (needed[r] || !remove_dead_ops))
        .collect();
    Liveness {
        node_live,
        const_live,
    }
}

#[cfg(test)]
mod tests {
    use p3_koala_bear::KoalaBear as F;

    use crate::{CircuitBuilder, LowerOptions};

    #[test]
    fn unread_ops_are_removed_but_constrained_and_exposed_ones_stay() {
        let mut b = CircuitBuilder::<F>::new();
        let x = b.public_input();
        let dead = b.mul(x, x);
        let dead_chain = b.add(dead, x);
        let kept = b.add(x, x);
        b.expose(kept);
        let checked = b.mul(x, kept);
        let expected = b.public_input();
        b.connect(checked, expected);
        let options = LowerOptions {
            remove_dead_ops: true,
            ..LowerOptions::none()
        };
        let circuit = b.build_with(&options).unwrap();
        assert_eq!(circuit.witness_of(dead), None);
        assert_eq!(circuit.witness_of(dead_chain), None);
        assert!(circuit.witness_of(kept).is_some());
        assert!(circuit.witness_of(checked).is_some());
        // Two Public ops, the Add and the checking Mul.
        assert_eq!(circuit.ops.len(), 4);

        let all = b.build_with(&LowerOptions::none()).unwrap();
        assert_eq!(all.ops.len(), 6);
    }

    #[test]
    fn unread_divisions_stay_unless_the_divisor_is_a_nonzero_constant() {
        use p3_field::PrimeCharacteristicRing;

        let mut b = CircuitBuilder::<F>::new();
        let x = b.public_input();
        let y = b.public_input();
        let q = b.div(x, y);
        let two = b.define_const(F::TWO);
        let half = b.div(x, two);
        let circuit = b.build().unwrap();
        assert!(circuit.witness_of(q).is_some());
        assert_eq!(circuit.witness_of(half), None);

        let mut runner = circuit.runner();
        runner.set_public_inputs(&[F::ONE, F::ZERO]).unwrap();
        assert!(runner.run().is_err(), "1 / 0 must stay rejected");
    }

    #[test]
    fn a_division_made_unread_by_folding_stays() {
        use p3_field::PrimeCharacteristicRing;

        let mut b = CircuitBuilder::<F>::new();
        let y = b.public_input();
        let inv = b.inv(y);
        let zero = b.zero();
        let gone = b.mul(inv, zero); // folds to 0: nothing reads `inv` any more
        b.expose(gone);
        let circuit = b.build().unwrap();
        let mut runner = circuit.runner();
        runner.set_public_inputs(&[F::ZERO]).unwrap();
        assert!(runner.run().is_err(), "inv(0) must stay rejected");
    }

    #[test]
    fn unused_public_inputs_stay() {
        let mut b = CircuitBuilder::<F>::new();
        b.public_inputs(3);
        let circuit = b.build().unwrap();
        assert_eq!(circuit.ops.len(), 3);
        assert_eq!(circuit.public_count, 3);
    }
}
