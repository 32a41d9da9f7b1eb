//! The hint lint: every hint output must be *constrained*, not merely read.
//!
//! A class is constrained when the proof pins its value: it holds a constant or a public
//! input, two ops with rows define it (one checks the other), or an op whose own result is
//! constrained reads it (`y = h + x` with `y` constrained pins `h`). Hints constrain
//! nothing, and neither does exposing a value. The analysis runs to a fixpoint over the
//! ops that survive lowering — a dead op's result is never constrained, so the verdict does
//! not depend on which passes ran — and then checks every hint, used or not.

use p3_field::Field;

use super::dce::Liveness;
use super::{BuildError, State};
use crate::builder::{Expr, ExprId};

pub(crate) fn check_hints<F: Field>(
    state: &mut State<'_, F>,
    liveness: &Liveness,
) -> Result<(), BuildError<F>> {
    if state.builder.hint_calls.is_empty() {
        return Ok(());
    }
    let n = state.role.len();
    let mut row_definers = vec![0u32; n];
    let mut constrained = vec![false; n];
    for i in 0..n {
        let node = ExprId(i as u32);
        let root = state.uf.find(node).index();
        if state.const_of(node).is_some() {
            constrained[root] = true;
        }
        if !liveness.node_live[i] {
            continue;
        }
        match state.expr(node) {
            Expr::Public(_) => constrained[root] = true,
            Expr::HintOutput { .. } | Expr::Const(_) => {}
            // A non-primitive op's table reads its inputs: treat them as constrained (its
            // outputs count as row definers below).
            Expr::Npo { call } => {
                for input in &state.builder.npo_calls[call as usize].inputs {
                    let input_root = state.uf.find(*input).index();
                    constrained[input_root] = true;
                }
            }
            _ => row_definers[root] += 1,
        }
    }
    for r in 0..n {
        // With a constant or a public in the class, one row definer is already a check.
        if row_definers[r] >= 2 {
            constrained[r] = true;
        }
    }
    // An op whose result is constrained constrains its operands; iterate to a fixpoint.
    loop {
        let mut changed = false;
        for i in (0..n).rev() {
            if !liveness.node_live[i] {
                continue;
            }
            let node = ExprId(i as u32);
            let Some((a, b)) = state.expr(node).operands() else {
                continue;
            };
            let out_root = state.uf.find(node).index();
            if !constrained[out_root] {
                continue;
            }
            for operand in [a, b] {
                let root = state.uf.find(operand).index();
                if !constrained[root] {
                    constrained[root] = true;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    for hint in &state.builder.hint_calls {
        let first = hint.first_output.index();
        for output in 0..hint.outputs as usize {
            let root = state.uf.find(ExprId((first + output) as u32)).index();
            if !constrained[root] {
                return Err(BuildError::UnconstrainedHintOutput {
                    kind: hint.kind,
                    output,
                    scope: state.scope_path(state.node_scope(hint.first_output)),
                });
            }
        }
    }
    Ok(())
}
