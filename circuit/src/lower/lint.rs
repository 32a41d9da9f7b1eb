//! The hint lint: hint outputs must be *read* by a constraint and, for hints made with
//! `CircuitBuilder::hint`, *determined* by the constraints.
//!
//! Both analyses work on union-find classes and only on the ops that survive lowering, so
//! the verdict does not depend on which passes ran (a folded or dead op constrains
//! nothing). Every hint must pass the read check; then every [`HintCheck::Determined`] hint
//! must pass the determined check.
//!
//! # Read
//!
//! A class is *constrained* when the proof pins its value: it holds a constant or a public
//! input, two ops with rows define it (one checks the other), a non-primitive op reads it,
//! or an op whose own result is constrained reads it (`y = h + x` with `y` constrained pins
//! `h`). Hints constrain nothing, and neither does exposing a value. An output failing this
//! is a [`BuildError::UnconstrainedHintOutput`]. The check is lenient on purpose: it proves
//! that a constraint *reaches* the output, not that it fixes one value (`h₁ + h₂ = x`
//! passes).
//!
//! # Determined
//!
//! A class is *known* when it holds a constant or a public input, holds a private input
//! (the statement's existential witness), is an output of a non-primitive call all of
//! whose inputs are known, or is an output of a [`HintCheck::Vouched`] hint all of whose
//! inputs are known. Each live op is a relation `total = left ∘ right` (∘ is `+` or `·`;
//! `y = a − b` is `a = b + y` and `q = a / b` is `a = b · q`, as they are lowered), and
//! knowledge spreads one unknown at a time until nothing changes:
//!
//! - `left` and `right` known ⇒ `total` known;
//! - `total` and one operand known ⇒ the other operand known. For a product this divides
//!   by the known operand, so it is refused when that operand is the constant zero
//!   (`0 · h = y` says nothing about `h`).
//!
//! Every output of a determined hint must end known, else
//! [`BuildError::UndeterminedHintOutput`]. What this guarantees: once the known classes
//! have values, the live ops leave at most one value for each checked output, except in
//! the limits below. It is sufficient, not necessary: some pinned outputs are refused
//! (two equations in two unknowns, `h + h = y`), which is what `Vouched` is for.
//!
//! Limits, by design:
//!
//! - **A factor that is a variable which happens to be zero.** Solving `x · h = y` for `h`
//!   assumes the known `x` is nonzero; only the constant zero is recognised. A circuit
//!   that cares must rule `x = 0` out itself (e.g. `assert_nonzero`).
//! - **Non-primitive ops run forward only.** Their inputs are never solved from their
//!   outputs: a table may be many-to-one (a hash), so advice fed only to an NPO is
//!   undetermined even when the NPO's output is pinned.
//! - **Vouched hints are trusted.** Their outputs are not checked here (only read), and
//!   they become known from known inputs: the gadget that made them answers for them.
//! - **Squares are not roots.** `h · h = x` has the same unknown twice, so it never
//!   solves `h` (`±h` both fit).

use p3_field::Field;

use super::dce::Liveness;
use super::{BuildError, State};
use crate::arena::{Expr, ExprId, HintCall, HintCheck};

/// Runs the read check on every hint, then the determined check on the hints that ask for
/// it.
pub(crate) fn check_hints<F: Field>(
    state: &mut State<'_, F>,
    liveness: &Liveness,
) -> Result<(), BuildError<F>> {
    let arena = state.arena;
    let hints = &arena.hint_calls;
    if hints.is_empty() {
        return Ok(());
    }
    let constrained = constrained_classes(state, liveness);
    check_outputs(state, hints, &constrained, |kind, output, scope| {
        BuildError::UnconstrainedHintOutput {
            kind,
            output,
            scope,
        }
    })?;
    let determined: Vec<&HintCall> = hints
        .iter()
        .filter(|h| h.check == HintCheck::Determined)
        .collect();
    if determined.is_empty() {
        return Ok(());
    }
    let known = known_classes(state, liveness);
    check_outputs(state, determined, &known, |kind, output, scope| {
        BuildError::UndeterminedHintOutput {
            kind,
            output,
            scope,
        }
    })
}

/// The first output of `hints` whose class is not marked in `marked`, as `error` builds it.
fn check_outputs<'h, F: Field>(
    state: &mut State<'_, F>,
    hints: impl IntoIterator<Item = &'h HintCall>,
    marked: &[bool],
    error: impl Fn(crate::ir::HintKind, usize, String) -> BuildError<F>,
) -> Result<(), BuildError<F>> {
    for hint in hints {
        let first = hint.first_output.index();
        for output in 0..hint.outputs as usize {
            let root = state.uf.find(ExprId((first + output) as u32)).index();
            if !marked[root] {
                let scope = state.scope_path(state.node_scope(hint.first_output));
                return Err(error(hint.kind, output, scope));
            }
        }
    }
    Ok(())
}

/// The read analysis: which classes some constraint reaches, indexed by class root.
fn constrained_classes<F: Field>(state: &mut State<'_, F>, liveness: &Liveness) -> Vec<bool> {
    let n = state.role.len();
    let mut row_definers = vec![0u32; n];
    // Classes holding a non-primitive op's output, and classes holding a hint output.
    let (mut npo_defined, mut hinted) = (vec![false; n], vec![false; n]);
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
            Expr::HintOutput { .. } => hinted[root] = true,
            Expr::Const(_) => {}
            Expr::NpoOutput { .. } => {
                npo_defined[root] = true;
                row_definers[root] += 1;
            }
            // A non-primitive op's table reads its inputs: treat them as constrained (its
            // outputs count as row definers below).
            Expr::Npo { call } => {
                for input in &state.arena.npo_calls[call as usize].inputs {
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
        // A non-primitive op's row checks a hint output merged with its own output, as it
        // checks its inputs (an unpacking's `PACK` row packs advice into the slot it
        // came from). Nothing propagates from it: its outputs have no operands.
        if npo_defined[r] && hinted[r] {
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
    constrained
}

/// A live op as `total = left ∘ right` over class roots, with whether each operand may be
/// solved for (a product cannot be solved by dividing by the constant zero).
struct Relation {
    total: usize,
    left: usize,
    right: usize,
    /// `right` may be divided out (always, for a sum) to solve `left`.
    solve_left: bool,
    /// `left` may be divided out to solve `right`.
    solve_right: bool,
}

impl Relation {
    /// The relation of live node `node`, if it is an arithmetic op.
    fn of<F: Field>(state: &mut State<'_, F>, node: ExprId) -> Option<Self> {
        let (total, left, right, product) = match state.expr(node) {
            Expr::Add(a, b) => (node, a, b, false),
            Expr::Sub(a, b) => (a, b, node, false),
            Expr::Mul(a, b) => (node, a, b, true),
            Expr::Div(a, b) => (a, b, node, true),
            _ => return None,
        };
        let mut divisible =
            |factor: ExprId| !product || state.const_of(factor).is_none_or(|c| !c.value.is_zero());
        let (solve_left, solve_right) = (divisible(right), divisible(left));
        let mut root = |node: ExprId| state.uf.find(node).index();
        Some(Relation {
            total: root(total),
            left: root(left),
            right: root(right),
            solve_left,
            solve_right,
        })
    }

    /// The class this relation solves given `known`, if exactly that one is missing.
    fn solve(&self, known: &[bool]) -> Option<usize> {
        match (known[self.total], known[self.left], known[self.right]) {
            (false, true, true) => Some(self.total),
            (true, true, false) if self.solve_right => Some(self.right),
            (true, false, true) if self.solve_left => Some(self.left),
            _ => None,
        }
    }
}

/// A call whose outputs are known once all its inputs are (a non-primitive op, a vouched
/// hint), over class roots.
struct Forward {
    inputs: Vec<usize>,
    outputs: Vec<usize>,
}

/// What to look at again when a class becomes known.
#[derive(Clone, Copy)]
enum Watch {
    Relation(u32),
    Forward(u32),
}

/// The determined analysis: which classes are known, indexed by class root. A worklist
/// over classes: each class becomes known once and then revisits the relations and calls
/// that mention it, so the whole run is linear in the circuit's size.
fn known_classes<F: Field>(state: &mut State<'_, F>, liveness: &Liveness) -> Vec<bool> {
    let n = state.role.len();
    let relations: Vec<Relation> = (0..n)
        .filter(|&i| liveness.node_live[i])
        .filter_map(|i| Relation::of(state, ExprId(i as u32)))
        .collect();
    let forwards = forward_calls(state, liveness);
    let watchers = Watchers::new(n, &relations, &forwards);
    let mut pending: Vec<usize> = forwards.iter().map(|f| f.inputs.len()).collect();
    let mut known = Known {
        known: vec![false; n],
        queue: Vec::new(),
    };
    seed_known(state, liveness, &mut known);
    for forward in forwards.iter().filter(|f| f.inputs.is_empty()) {
        forward.outputs.iter().for_each(|&o| known.mark(o));
    }
    while let Some(class) = known.queue.pop() {
        for &watch in watchers.of(class) {
            match watch {
                Watch::Relation(r) => {
                    if let Some(solved) = relations[r as usize].solve(&known.known) {
                        known.mark(solved);
                    }
                }
                Watch::Forward(f) => {
                    pending[f as usize] -= 1;
                    if pending[f as usize] == 0 {
                        forwards[f as usize]
                            .outputs
                            .iter()
                            .for_each(|&o| known.mark(o));
                    }
                }
            }
        }
    }
    known.known
}

/// The known classes and those whose consequences are still to be drawn.
struct Known {
    known: Vec<bool>,
    queue: Vec<usize>,
}

impl Known {
    fn mark(&mut self, class: usize) {
        if !self.known[class] {
            self.known[class] = true;
            self.queue.push(class);
        }
    }
}

/// Marks the classes holding a constant or a live public input.
fn seed_known<F: Field>(state: &mut State<'_, F>, liveness: &Liveness, known: &mut Known) {
    for i in 0..state.role.len() {
        let node = ExprId(i as u32);
        let is_public = liveness.node_live[i] && matches!(state.expr(node), Expr::Public(_));
        if is_public || state.const_of(node).is_some() {
            let root = state.uf.find(node).index();
            known.mark(root);
        }
    }
}

/// The non-primitive calls and the live vouched hints (private inputs among them).
fn forward_calls<F: Field>(state: &mut State<'_, F>, liveness: &Liveness) -> Vec<Forward> {
    let arena = state.arena;
    let npos = arena.npo_calls.iter().map(|call| {
        let first = call.marker.index() + 1;
        (&call.inputs, first, call.outputs)
    });
    let vouched = arena
        .hint_calls
        .iter()
        .filter(|h| h.check == HintCheck::Vouched && h.outputs > 0)
        .filter(|h| liveness.node_live[h.first_output.index()])
        .map(|h| (&h.inputs, h.first_output.index(), h.outputs));
    npos.chain(vouched)
        .map(|(inputs, first, outputs)| Forward {
            inputs: inputs.iter().map(|&t| state.uf.find(t).index()).collect(),
            outputs: (first..first + outputs as usize)
                .map(|o| state.uf.find(ExprId(o as u32)).index())
                .collect(),
        })
        .collect()
}

/// For each class root, the relations and calls that mention it (a call once per input
/// occurrence, so that counting down its pending inputs is exact).
struct Watchers {
    start: Vec<usize>,
    items: Vec<Watch>,
}

impl Watchers {
    fn new(n: usize, relations: &[Relation], forwards: &[Forward]) -> Self {
        let mentions = || {
            let of_relations = relations.iter().enumerate().flat_map(|(r, rel)| {
                [rel.total, rel.left, rel.right].map(|c| (c, Watch::Relation(r as u32)))
            });
            let of_forwards = forwards.iter().enumerate().flat_map(|(f, call)| {
                call.inputs
                    .iter()
                    .map(move |&c| (c, Watch::Forward(f as u32)))
            });
            of_relations.chain(of_forwards)
        };
        let mut start = vec![0usize; n + 1];
        for (class, _) in mentions() {
            start[class + 1] += 1;
        }
        for c in 0..n {
            start[c + 1] += start[c];
        }
        let mut fill = start.clone();
        let mut items = vec![Watch::Forward(0); start[n]];
        for (class, watch) in mentions() {
            items[fill[class]] = watch;
            fill[class] += 1;
        }
        Watchers { start, items }
    }

    fn of(&self, class: usize) -> &[Watch] {
        &self.items[self.start[class]..self.start[class + 1]]
    }
}

#[cfg(test)]
mod tests {
    use p3_field::PrimeCharacteristicRing;
    use p3_koala_bear::KoalaBear as F;

    use crate::{BuildError, CircuitBuilder, HintKind, LowerOptions, Target};

    /// Builds `relate(b, x, h)` connected to the public `x`, with `h` a user hint, under
    /// every pass set; whether each build passes the determined check.
    fn determined(relate: impl Fn(&mut CircuitBuilder<F>, Target, Target) -> Target) -> bool {
        let verdicts: Vec<bool> = [LowerOptions::default(), LowerOptions::none()]
            .iter()
            .map(|options| {
                let mut b = CircuitBuilder::<F>::new();
                let x = b.public_input();
                let h = b.hint(HintKind::User(1), &[x], 1)[0];
                let y = relate(&mut b, x, h);
                b.connect(y, x);
                match b.build_with(options) {
                    Ok(_) => true,
                    Err(BuildError::UndeterminedHintOutput { .. }) => false,
                    Err(other) => panic!("unexpected {other}"),
                }
            })
            .collect();
        assert_eq!(
            verdicts[0], verdicts[1],
            "the verdict depends on the passes"
        );
        verdicts[0]
    }

    #[test]
    fn every_op_solves_each_of_its_unknowns() {
        let three = |b: &mut CircuitBuilder<F>| b.define_const(F::from_u32(3));
        // Each of the three places of a sum, difference, product and quotient.
        assert!(determined(|b, x, h| b.add(h, x)));
        assert!(determined(|b, x, h| b.sub(h, x)));
        assert!(determined(|b, x, h| b.sub(x, h)));
        assert!(determined(|b, x, h| b.mul(x, h)));
        assert!(determined(|b, _, h| {
            let c = three(b);
            b.div(h, c)
        }));
        assert!(determined(|b, _, h| {
            let c = three(b);
            b.div(c, h)
        }));
        // x = x · h: solving h divides by the variable x (the documented limit).
        assert!(determined(|b, x, h| b.mul(h, x)));
        // x = h / h: the same unknown twice.
        assert!(!determined(|b, _, h| b.div(h, h)));
    }

    #[test]
    fn private_inputs_and_vouched_hints_of_known_inputs_are_known() {
        // h + private = x.
        assert!(determined(|b, _, h| {
            let w = b.private_input();
            b.add(h, w)
        }));
        // h + v = x with v vouched from the public x.
        assert!(determined(|b, x, h| {
            let v = b.hint_vouched(HintKind::User(2), &[x], 1)[0];
            b.add(h, v)
        }));
        // h + v = x with v vouched from h itself: v is not known before h is.
        assert!(!determined(|b, _, h| {
            let v = b.hint_vouched(HintKind::User(2), &[h], 1)[0];
            b.add(h, v)
        }));
    }

    #[test]
    fn a_hint_merged_with_a_non_primitive_output_is_checked_by_its_row() {
        let unconstrained = |merge: bool| {
            let mut b = CircuitBuilder::<F>::new();
            let x = b.public_input();
            let w = b.private_input();
            let out = b.npo(crate::NpoKind(2000), &[x], 1, 0).outputs[0];
            if merge {
                b.connect(out, w);
            } else {
                b.expose(out);
            }
            matches!(
                b.build(),
                Err(BuildError::UnconstrainedHintOutput {
                    kind: HintKind::PrivateInput { index: 0 },
                    ..
                })
            )
        };
        assert!(!unconstrained(true));
        assert!(unconstrained(false));
    }

    #[test]
    fn knowledge_chains_through_solved_hints() {
        // g = h + 1 with g · 2 = x: g is solved first, then h from g.
        let mut b = CircuitBuilder::<F>::new();
        let x = b.public_input();
        let h = b.hint(HintKind::User(1), &[x], 1)[0];
        let one = b.one();
        let g = b.add(h, one);
        let two = b.define_const(F::TWO);
        let doubled = b.mul(g, two);
        b.connect(doubled, x);
        assert!(b.build().is_ok());
    }
}
