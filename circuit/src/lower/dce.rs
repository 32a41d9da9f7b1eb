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

use super::state::Role;
use super::{BuildError, State};
use crate::builder::{Expr, ExprId};

/// Which ops survive: per node (for `Emit` nodes) and per class root (for constants).
pub(crate) struct Liveness {
    pub(crate) node_live: Vec<bool>,
    /// Indexed by class root: the class's `Const` op is emitted.
    pub(crate) const_live: Vec<bool>,
}

pub(crate) fn liveness<F: Field>(
    state: &mut State<'_, F>,
    remove_dead_ops: bool,
) -> Result<Liveness, BuildError<F>> {
    let n = state.role.len();
    let mut definers = vec![0u32; n];
    // Definers that are ops with a row (Const, Public, Add, Mul): each reads the slot
    // through the bus, so it constrains it. Hint outputs define slots but constrain nothing.
    let mut constraining = vec![0u32; n];
    let mut has_const = vec![false; n];
    for i in 0..n {
        let node = ExprId(i as u32);
        let root = state.uf.find(node).index();
        if state.role[i] == Role::Emit {
            definers[root] += 1;
            if !matches!(state.expr(node), Expr::HintOutput { .. }) {
                constraining[root] += 1;
            }
        }
        if !has_const[root] && state.const_of(node).is_some() {
            has_const[root] = true;
            definers[root] += 1;
            constraining[root] += 1;
        }
    }

    // `read`: a live op reads the class. `needed`: the class must have a value (read,
    // exposed, or constrained by two definers).
    let mut read = vec![false; n];
    let mut needed: Vec<bool> = definers.iter().map(|&d| d >= 2).collect();
    for &(t, _) in &state.builder.exposed {
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
                hint_liveness(
                    state,
                    call as usize,
                    remove_dead_ops,
                    &constraining,
                    &mut read,
                    &mut needed,
                    &mut node_live,
                )?;
            }
            continue;
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
            for operand in [a, b] {
                let root = state.uf.find(operand).index();
                read[root] = true;
                needed[root] = true;
            }
        }
    }
    let const_live = (0..n)
        .map(|r| has_const[r] && (needed[r] || !remove_dead_ops))
        .collect();
    Ok(Liveness {
        node_live,
        const_live,
    })
}

/// Decides whether hint `call` is live (one of its outputs is needed, or dead-op removal
/// is off) and, if it is, refuses any output that no constraint reads.
#[allow(clippy::too_many_arguments)]
fn hint_liveness<F: Field>(
    state: &mut State<'_, F>,
    call: usize,
    remove_dead_ops: bool,
    constraining: &[u32],
    read: &mut [bool],
    needed: &mut [bool],
    node_live: &mut [bool],
) -> Result<(), BuildError<F>> {
    let hint = &state.builder.hint_calls[call];
    let first = hint.first_output.index();
    let outputs: Vec<usize> = (first..first + hint.outputs as usize).collect();
    let roots: Vec<usize> = outputs
        .iter()
        .map(|&o| state.uf.find(ExprId(o as u32)).index())
        .collect();
    // Outputs are advice: each must be read by a live op or share its slot with an op that
    // has a row (whose port reads the slot). Another hint's output does not count: two
    // pieces of advice made equal are still unconstrained. This holds for every hint, used
    // or not: asking for advice and not constraining it is a bug.
    if let Some(output) = roots.iter().position(|&r| !read[r] && constraining[r] == 0) {
        return Err(BuildError::UnconstrainedHintOutput {
            kind: hint.kind,
            output,
            scope: state.scope_path(state.node_scope(hint.first_output)),
        });
    }
    if remove_dead_ops && !roots.iter().any(|&r| needed[r]) {
        return Ok(());
    }
    for &o in &outputs {
        node_live[o] = true;
    }
    for &input in &state.builder.hint_calls[call].inputs.clone() {
        let root = state.uf.find(input).index();
        read[root] = true;
        needed[root] = true;
    }
    Ok(())
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
