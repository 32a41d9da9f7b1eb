//! Horner steps over packed slots: [`SLOTS`] slots of four base values each absorbed into
//! an extension accumulator per row, for the reduced openings of a FRI query.
//!
//! A [`HORNER`] call reads an accumulator `acc`, a challenge `α` and [`SLOTS`] packed slots
//! `s₀ … s₃` (four base values each as its coordinates, the lanes a Poseidon2 sponge
//! absorbs) and defines
//!
//! ```text
//! out = acc·α¹⁶ + s₀(α) + α⁴·s₁(α) + α⁸·s₂(α) + α¹²·s₃(α),   s(α) = c₀ + c₁·α + c₂·α² + c₃·α³
//! ```
//!
//! Chaining calls from a row's last slots down to its first gives `Σ_j α^j·v_j` over the
//! row's values `v`, one row per sixteen values, where primitive ops pay a `Mul` and an
//! `Add` per value. The chain runs through the bus: each call's output is the next call's
//! accumulator slot, so a row that breaks the chain reads a value no provider gave. The
//! slots are read whole (extension ports), so the coordinates a step weights are the lanes
//! the hash absorbed, and each is a base value by construction.
//!
//! The row is the seven ports and four extension columns ([`HornerColumns`]) that keep the constraints at
//! degree 3: `α² = α·α` (degree 2), and the accumulators between the slots, highest slot
//! first (`a₀ = acc`, `a₄ = out`):
//!
//! ```text
//! a_{t+1} = a_t·α²·α² + c₀ + c₁·α + c₂·α² + c₃·α·α²    (the coordinates c of s_{3−t})
//! ```
//!
//! Four slots a row was measured against one: the steady recursion layer's 9,666 one-slot
//! rows (16,384 with padding, 41 columns) become 4,050 four-slot rows (4,096, 79 columns);
//! see the book's *FRI in a circuit* chapter.

use std::borrow::{Borrow, BorrowMut};

use fixpoint_circuit::{CircuitBuilder, Target};
use p3_air::AirBuilder;
use p3_field::extension::BinomiallyExtendable;
use p3_field::{BasedVectorSpace, Field, PrimeCharacteristicRing};

use crate::config::D;
use crate::tables::common::{ext_mul, lane_columns};

/// The kind id of one Horner step over [`SLOTS`] packed slots ([`step`]).
pub const HORNER: fixpoint_circuit::NpoKind = fixpoint_circuit::NpoKind(6);

/// Packed slots a [`HORNER`] row absorbs.
pub const SLOTS: usize = 4;

/// Inputs of a [`HORNER`] call: `acc`, `α` and the [`SLOTS`] slots; its one output is `out`.
pub const INPUTS: usize = 2 + SLOTS;

/// Outputs of a [`HORNER`] call: `out`.
pub const OUTPUTS: usize = 1;

/// The body's columns beyond the ports, in the row's order (a `[T]` of
/// [`EXTRA_COLUMNS`] borrows as it): `α²`, then the accumulators between the slots,
/// highest slot first. The accumulator before the first slot is the `acc` port and the one
/// after the last the `out` port, so they have no columns here.
///
/// ```
/// use std::borrow::Borrow;
/// use fixpoint_circuit_prover::horner::{EXTRA_COLUMNS, HornerColumns, SLOTS};
///
/// let row: Vec<u32> = (0..EXTRA_COLUMNS as u32).collect();
/// let cols: &HornerColumns<u32> = row.as_slice().borrow();
/// assert_eq!(cols.alpha_squared, [0, 1, 2, 3]);
/// assert_eq!(cols.between.len(), SLOTS - 1);
/// assert_eq!(cols.between[0], [4, 5, 6, 7]);
/// ```
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HornerColumns<T> {
    /// `α·α`, which keeps every absorption at degree 3.
    pub alpha_squared: [T; D],
    /// `a₁ … a₃`: the accumulator after each slot but the last (`a_t` after `s_{4−t}`).
    pub between: [[T; D]; SLOTS - 1],
}

lane_columns!(HornerColumns, EXTRA_COLUMNS);

/// One Horner step: `acc·α¹⁶ + Σ_j α^{4j}·slots_j(α)`, each slot weighted over its four
/// coordinates.
///
/// ```
/// use fixpoint_circuit::CircuitBuilder;
/// use fixpoint_circuit_prover::KoalaBearExt as F;
/// use fixpoint_circuit_prover::horner;
///
/// let mut b = CircuitBuilder::<F>::new();
/// let (acc, alpha) = (b.public_input(), b.public_input());
/// let slots = [b.public_input(), b.public_input(), b.public_input(), b.public_input()];
/// let out = horner::step(&mut b, acc, alpha, &slots);
/// b.expose(out);
/// assert!(b.build().is_ok());
/// ```
pub fn step<F: Field>(
    builder: &mut CircuitBuilder<F>,
    acc: Target,
    alpha: Target,
    slots: &[Target; SLOTS],
) -> Target {
    let mut inputs = vec![acc, alpha];
    inputs.extend_from_slice(slots);
    builder.npo(HORNER, &inputs, 1, 0).outputs[0]
}

/// `init·α^(4n) + Σ_i α^(4i)·slots_i(α)` over the `n` slots (slot `i` holds
/// `v_{4i} … v_{4i+3}`; no `init` is zero): one [`step`] per [`SLOTS`] slots, the last
/// ones first.
///
/// When `n` is not a multiple of [`SLOTS`], the highest row is padded with the zero slot.
/// A padding slot absorbed first multiplies the accumulator by `α⁴`, so the chain then
/// starts from zero, and an `init` is added by primitive ops (`α^(4n)` by `exp_u64`, a
/// `Mul` and an `Add`). A caller that has `α^(4n)` already passes `None` and adds it.
///
/// ```
/// use fixpoint_circuit::CircuitBuilder;
/// use fixpoint_circuit_prover::KoalaBearExt as F;
/// use fixpoint_circuit_prover::horner;
///
/// let mut b = CircuitBuilder::<F>::new();
/// let (init, alpha) = (b.public_input(), b.public_input());
/// let slots = b.public_inputs(8);
/// let sum = horner::sum_packed(&mut b, Some(init), alpha, &slots);
/// b.expose(sum);
/// let circuit = b.build()?;
/// assert_eq!(circuit.stats().ops.npos, 2); // two rows of four slots
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sum_packed<F: Field>(
    builder: &mut CircuitBuilder<F>,
    init: Option<Target>,
    alpha: Target,
    slots: &[Target],
) -> Target {
    let aligned = slots.len() % SLOTS == 0;
    let zero = builder.zero();
    let (mut acc, rest) = match init {
        Some(init) if aligned => (init, None),
        init => (zero, init),
    };
    for chunk in slots.chunks(SLOTS).rev() {
        let padded: [Target; SLOTS] =
            std::array::from_fn(|j| chunk.get(j).copied().unwrap_or(zero));
        acc = step(builder, acc, alpha, &padded);
    }
    let Some(init) = rest else {
        return acc;
    };
    let weight = builder.exp_u64(alpha, (D * slots.len()) as u64);
    let shifted = builder.mul(init, weight);
    builder.add(acc, shifted)
}

/// `a·α²·α² + c₀ + c₁·α + c₂·α² + c₃·α·α²` over coordinates: one slot absorbed into the
/// accumulator `a` (see the module docs).
fn absorb<E: PrimeCharacteristicRing + Clone>(
    a: &[E],
    alpha: &[E],
    square: &[E],
    slot: &[E],
    w: E,
) -> [E; D] {
    let mut value = ext_mul(&ext_mul(a, square, w.clone()), square, w.clone());
    let cube = ext_mul(alpha, square, w);
    for k in 0..D {
        value[k] += alpha[k].clone() * slot[1].clone()
            + square[k].clone() * slot[2].clone()
            + cube[k].clone() * slot[3].clone();
    }
    value[0] += slot[0].clone();
    value
}

/// The step's value natively, over coordinates (`w` is the extension's `X^D`): the body's
/// extra columns (`α²`, then the accumulators between the slots) and `out`.
pub(crate) fn evaluate<V: Field>(
    acc: &[V],
    alpha: &[V],
    slots: &[&[V]],
    w: V,
) -> ([V; EXTRA_COLUMNS], [V; D]) {
    let square = ext_mul(alpha, alpha, w);
    let mut extra = [V::ZERO; EXTRA_COLUMNS];
    let cols: &mut HornerColumns<V> = extra.as_mut_slice().borrow_mut();
    cols.alpha_squared = square;
    let mut a: [V; D] = std::array::from_fn(|k| acc[k]);
    for t in 0..SLOTS {
        a = absorb(&a, alpha, &square, slots[SLOTS - 1 - t], w);
        if let Some(between) = cols.between.get_mut(t) {
            *between = a;
        }
    }
    (extra, a)
}

/// The step on extension values: the runner's semantics.
pub(crate) fn evaluate_ext<V: Field, E: BasedVectorSpace<V> + Copy>(
    acc: E,
    alpha: E,
    slots: &[E],
    w: V,
) -> E {
    let slots: Vec<&[V]> = slots
        .iter()
        .map(|s| s.as_basis_coefficients_slice())
        .collect();
    let (_, out) = evaluate(
        acc.as_basis_coefficients_slice(),
        alpha.as_basis_coefficients_slice(),
        &slots,
        w,
    );
    E::from_basis_coefficients_fn(|k| out[k])
}

/// The body's constraints (see the module docs): `α²` from `α` (degree 2), then each
/// accumulator from the one before and its slot (degree 3), the last one being `out`. They
/// hold on padding rows, where every column is zero.
pub(crate) fn constraints<E: PrimeCharacteristicRing + Clone>(
    acc: &[E],
    alpha: &[E],
    slots: &[&[E]],
    extra: &[E],
    out: &[E],
    w: E,
) -> Vec<E> {
    let cols: &HornerColumns<E> = extra.borrow();
    let square = &cols.alpha_squared;
    let mut all: Vec<E> = ext_mul(alpha, alpha, w.clone())
        .into_iter()
        .zip(square)
        .map(|(e, s)| s.clone() - e)
        .collect();
    let mut a = acc;
    for t in 0..SLOTS {
        let next = cols
            .between
            .get(t)
            .map_or(out, |between| between.as_slice());
        let expected = absorb(a, alpha, square, slots[SLOTS - 1 - t], w.clone());
        all.extend(next.iter().zip(expected).map(|(n, e)| n.clone() - e));
        a = next;
    }
    all
}

/// Writes a row's body columns ([`HornerColumns`]) from its input ports' coordinates.
pub(crate) fn fill<V: Field + BinomiallyExtendable<D>>(inputs: &[&[V]], extra: &mut [V]) {
    let (columns, _) = evaluate(inputs[0], inputs[1], &inputs[2..], V::W);
    extra.copy_from_slice(&columns);
}

/// The row's constraints ([`constraints`]) on its ports and body columns.
pub(crate) fn eval<AB: AirBuilder>(
    builder: &mut AB,
    inputs: &[&[AB::Expr]],
    outputs: &[&[AB::Expr]],
    extra: &[AB::Expr],
) where
    AB::F: BinomiallyExtendable<D>,
{
    let w = AB::Expr::from(<AB::F as BinomiallyExtendable<D>>::W);
    let (acc, alpha, slots) = (inputs[0], inputs[1], &inputs[2..]);
    for c in constraints(acc, alpha, slots, extra, outputs[0], w) {
        builder.assert_zero(c);
    }
}

#[cfg(test)]
mod tests {
    use p3_field::extension::{BinomialExtensionField, BinomiallyExtendable};
    use p3_field::{BasedVectorSpace, PrimeCharacteristicRing};
    use p3_koala_bear::KoalaBear as V;

    use super::{D, SLOTS};

    type E = BinomialExtensionField<V, 4>;

    fn ext(seed: u32) -> E {
        E::from_basis_coefficients_fn(|k| V::from_u32(seed * 7 + k as u32 * 13 + 1))
    }

    fn coords(e: &E) -> Vec<V> {
        BasedVectorSpace::<V>::as_basis_coefficients_slice(e).to_vec()
    }

    #[test]
    fn a_step_is_the_accumulator_times_alpha_to_the_sixteenth_plus_the_slots_at_alpha() {
        let w = <V as BinomiallyExtendable<4>>::W;
        let (acc, alpha) = (ext(1), ext(2));
        let slots: Vec<E> = (0..SLOTS as u32).map(|j| ext(3 + j)).collect();
        let expected = acc * alpha.exp_u64(16)
            + (0..SLOTS * D)
                .map(|i| alpha.exp_u64(i as u64) * coords(&slots[i / D])[i % D])
                .sum::<E>();
        assert_eq!(super::evaluate_ext::<V, E>(acc, alpha, &slots, w), expected);
    }

    #[test]
    fn the_constraints_vanish_on_the_native_step_and_not_on_another_output() {
        let w = <V as BinomiallyExtendable<4>>::W;
        let (acc, alpha) = (coords(&ext(4)), coords(&ext(5)));
        let slots: Vec<Vec<V>> = (0..SLOTS as u32).map(|j| coords(&ext(6 + j))).collect();
        let slots: Vec<&[V]> = slots.iter().map(Vec::as_slice).collect();
        let (extra, out) = super::evaluate(&acc, &alpha, &slots, w);
        let zero = super::constraints(&acc, &alpha, &slots, &extra, &out, w);
        assert_eq!(zero.len(), D * (SLOTS + 1));
        assert!(zero.iter().all(|v| *v == V::ZERO));
        let mut wrong = out;
        wrong[2] += V::ONE;
        let fails = super::constraints(&acc, &alpha, &slots, &extra, &wrong, w);
        assert_eq!(fails.iter().filter(|v| **v != V::ZERO).count(), 1);
        // A wrong accumulator between the slots breaks its own constraint and the next.
        let mut forged = extra;
        forged[D + 1] += V::ONE;
        let fails = super::constraints(&acc, &alpha, &slots, &forged, &out, w);
        assert!(fails[D + 1] != V::ZERO, "{fails:?}");
        assert!(
            fails[2 * D..3 * D].iter().any(|v| *v != V::ZERO),
            "{fails:?}"
        );
    }
}
