//! Op emission and witness-slot allocation.
//!
//! Emission order: the `Const` ops (classes ordered by their first node), then the
//! `Public` ops (by position), then the computed ops in creation order. A computed node's
//! operands precede it, and every earlier node's class is defined by the time it has run,
//! so each op has at most one undefined slot: its own result. Slots are numbered in order
//! of first definition, so the numbering is deterministic.

use p3_field::Field;

use super::State;
use super::dce::Liveness;
use crate::arena::{Expr, ExprId};
use crate::ir::{Circuit, DebugInfo, Op, ScopeId, WitnessId};

/// The slot marker of a class that has not been allocated yet.
const UNALLOCATED: u32 = u32::MAX;

/// The ops emitted so far, their scopes, and the slot of every class allocated so far.
struct Emitter<F> {
    slot_of_root: Vec<u32>,
    next_slot: u32,
    ops: Vec<Op<F>>,
    op_scopes: Vec<ScopeId>,
}

impl<F> Emitter<F> {
    /// An emitter for `n` nodes with room for the live ops and a few more.
    fn new(n: usize, liveness: &Liveness) -> Self {
        let live_ops = liveness.node_live.iter().filter(|l| **l).count();
        Emitter {
            slot_of_root: vec![UNALLOCATED; n],
            next_slot: 0,
            ops: Vec::with_capacity(live_ops + 16),
            op_scopes: Vec::with_capacity(live_ops + 16),
        }
    }

    /// The slot of class `root`, allocating it on first use.
    #[inline]
    fn slot(&mut self, root: ExprId) -> WitnessId {
        let slot = &mut self.slot_of_root[root.index()];
        if *slot == UNALLOCATED {
            *slot = self.next_slot;
            self.next_slot += 1;
        }
        WitnessId(*slot)
    }

    /// The slots of classes `roots`, in order, allocating each on first use.
    fn slots(&mut self, roots: Vec<ExprId>) -> Vec<WitnessId> {
        roots.into_iter().map(|r| self.slot(r)).collect()
    }

    /// Appends `op`, attributed to `scope`.
    #[inline]
    fn push(&mut self, op: Op<F>, scope: ScopeId) {
        self.ops.push(op);
        self.op_scopes.push(scope);
    }
}

/// Lowers the live nodes of `state` to a circuit: the `Const` ops, then the `Public` ops,
/// then the computed ops, each slot numbered at its first definition (see the module doc).
pub(crate) fn emit<F: Field>(state: &mut State<'_, F>, liveness: &Liveness) -> Circuit<F> {
    let n = state.role.len();
    let mut e = Emitter::new(n, liveness);
    emit_consts(&mut e, state, liveness, n);
    emit_publics(&mut e, state, liveness, n);
    emit_computed(&mut e, state, liveness, n);
    let target_slots = target_slots(&e, state, n);
    Circuit {
        ops: e.ops,
        witness_count: e.next_slot,
        public_count: state.arena.public_count,
        debug: DebugInfo {
            scopes: state.arena.scopes.paths.clone(),
            op_scopes: e.op_scopes,
            target_slots,
        },
    }
}

/// Emits one `Const` op per live constant class, classes ordered by their first node.
fn emit_consts<F: Field>(
    e: &mut Emitter<F>,
    state: &mut State<'_, F>,
    liveness: &Liveness,
    n: usize,
) {
    for i in 0..n {
        let node = ExprId(i as u32);
        let root = state.uf.find(node);
        if liveness.const_live[root.index()] && e.slot_of_root[root.index()] == UNALLOCATED {
            let fact = state
                .const_of(node)
                .expect("a live constant class holds a constant");
            let out = e.slot(root);
            e.push(
                Op::Const {
                    out,
                    val: fact.value,
                },
                state.node_scope(fact.origin),
            );
        }
    }
}

/// Emits one `Public` op per live public input node, by node order.
fn emit_publics<F: Field>(
    e: &mut Emitter<F>,
    state: &mut State<'_, F>,
    liveness: &Liveness,
    n: usize,
) {
    for i in 0..n {
        if let (Expr::Public(pos), true) = (state.arena.exprs[i], liveness.node_live[i]) {
            let node = ExprId(i as u32);
            let out = e.slot(state.uf.find(node));
            e.push(Op::Public { out, pos }, state.node_scope(node));
        }
    }
}

/// Emits the live computed nodes in creation order: non-primitive calls, hints (at their
/// first output) and arithmetic; the other leaves emit nothing here.
fn emit_computed<F: Field>(
    e: &mut Emitter<F>,
    state: &mut State<'_, F>,
    liveness: &Liveness,
    n: usize,
) {
    for i in 0..n {
        if !liveness.node_live[i] {
            continue;
        }
        let node = ExprId(i as u32);
        match state.expr(node) {
            Expr::Npo { call } => emit_npo(e, state, node, call),
            // The whole hint is emitted at its first output: its inputs precede it.
            Expr::HintOutput { call, index: 0 } => emit_hint(e, state, node, call),
            expr => emit_arithmetic(e, state, node, expr),
        }
    }
}

/// Emits the `Npo` op of call `call`, recorded at `node`: its inputs' slots, then its
/// outputs'.
fn emit_npo<F: Field>(e: &mut Emitter<F>, state: &mut State<'_, F>, node: ExprId, call: u32) {
    let record = &state.arena.npo_calls[call as usize];
    let first = record.marker.index() + 1;
    let input_roots: Vec<ExprId> = record.inputs.iter().map(|&t| state.uf.find(t)).collect();
    let output_roots: Vec<ExprId> = (first..first + record.outputs as usize)
        .map(|o| state.uf.find(ExprId(o as u32)))
        .collect();
    let (kind, private_len) = (record.kind, record.private_len);
    let inputs = e.slots(input_roots);
    let outputs = e.slots(output_roots);
    e.push(
        Op::Npo {
            kind,
            call: crate::ir::NpoCallId(call),
            inputs,
            outputs,
            private_len,
        },
        state.node_scope(node),
    );
}

/// Emits the `Hint` op of hint `call`, whose first output is `node`: its inputs' slots,
/// then its outputs'.
fn emit_hint<F: Field>(e: &mut Emitter<F>, state: &mut State<'_, F>, node: ExprId, call: u32) {
    let hint = &state.arena.hint_calls[call as usize];
    let first = hint.first_output.index();
    let input_roots: Vec<ExprId> = hint.inputs.iter().map(|&t| state.uf.find(t)).collect();
    let output_roots: Vec<ExprId> = (first..first + hint.outputs as usize)
        .map(|o| state.uf.find(ExprId(o as u32)))
        .collect();
    let inputs = e.slots(input_roots);
    let outputs = e.slots(output_roots);
    e.push(
        Op::Hint {
            kind: hint.kind,
            inputs,
            outputs,
        },
        state.node_scope(node),
    );
}

/// Emits the `Add` or `Mul` op of arithmetic node `node` (a `Sub` or `Div` as the `Add` or
/// `Mul` it inverts); a node without operands emits nothing.
fn emit_arithmetic<F: Field>(
    e: &mut Emitter<F>,
    state: &mut State<'_, F>,
    node: ExprId,
    expr: Expr<F>,
) {
    let Some((a, b)) = expr.operands() else {
        return;
    };
    let (ra, rb, rn) = (state.uf.find(a), state.uf.find(b), state.uf.find(node));
    let (sa, sb) = (e.slot(ra), e.slot(rb));
    let sn = e.slot(rn);
    let op = match expr {
        Expr::Add(..) => Op::Add {
            a: sa,
            b: sb,
            out: sn,
        },
        // a − b = n  ⇔  b + n = a
        Expr::Sub(..) => Op::Add {
            a: sb,
            b: sn,
            out: sa,
        },
        Expr::Mul(..) => Op::Mul {
            a: sa,
            b: sb,
            out: sn,
        },
        // a / b = n  ⇔  b · n = a
        Expr::Div(..) => Op::Mul {
            a: sb,
            b: sn,
            out: sa,
        },
        Expr::Const(_)
        | Expr::Public(_)
        | Expr::HintOutput { .. }
        | Expr::Npo { .. }
        | Expr::NpoOutput { .. } => unreachable!("operands() is None for leaves"),
    };
    e.push(op, state.node_scope(node));
}

/// The slot of each of the `n` nodes' classes, `None` for a class that was never allocated.
fn target_slots<F: Field>(
    e: &Emitter<F>,
    state: &mut State<'_, F>,
    n: usize,
) -> Vec<Option<WitnessId>> {
    (0..n)
        .map(|i| {
            let slot = e.slot_of_root[state.uf.find(ExprId(i as u32)).index()];
            (slot != UNALLOCATED).then_some(WitnessId(slot))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use p3_field::PrimeCharacteristicRing;
    use p3_koala_bear::KoalaBear as F;

    use crate::{CircuitBuilder, LowerOptions, Op, WitnessId};

    #[test]
    fn slots_follow_first_definition_and_sub_is_an_add() {
        let mut b = CircuitBuilder::<F>::new();
        let x = b.public_input();
        let c = b.define_const(F::TWO);
        let d = b.sub(x, c);
        b.expose(d);
        let circuit = b.build_with(&LowerOptions::none()).unwrap();
        let w = WitnessId;
        assert_eq!(
            circuit.ops,
            vec![
                Op::Const {
                    out: w(0),
                    val: F::TWO
                },
                Op::Public { out: w(1), pos: 0 },
                Op::Add {
                    a: w(0),
                    b: w(2),
                    out: w(1)
                },
            ]
        );
        assert_eq!(circuit.witness_count, 3);
    }

    #[test]
    fn div_is_a_mul_solved_for_its_second_factor() {
        let mut b = CircuitBuilder::<F>::new();
        let x = b.public_input();
        let y = b.public_input();
        let q = b.div(x, y);
        b.expose(q);
        let circuit = b.build().unwrap();
        assert_eq!(
            circuit.ops[2],
            Op::Mul {
                a: WitnessId(1),
                b: WitnessId(2),
                out: WitnessId(0)
            }
        );
    }
}
