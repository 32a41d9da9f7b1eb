//! Horner steps over packed slots: four base values absorbed into an extension
//! accumulator per row, for the reduced openings of a FRI query.
//!
//! A [`HORNER`] call reads an accumulator `acc`, a challenge `α` and a packed slot `s`
//! (four base values as its coordinates, the lanes a Poseidon2 sponge absorbs) and
//! defines
//!
//! ```text
//! out = acc·α⁴ + s₀ + s₁·α + s₂·α² + s₃·α³
//! ```
//!
//! Chaining calls from a row's last slot down to its first gives `Σ_j α^j·v_j` over the
//! row's values `v`, one row per four values, where primitive ops pay a `Mul` and an `Add`
//! per value. The chain runs through the bus: each call's output is the next call's
//! accumulator slot, so a row that breaks the chain reads a value the Witness table does
//! not hold. The slot is read whole (an extension port), so the coordinates the step
//! weights are the lanes the hash absorbed, and each is a base value by construction.
//!
//! The table's row is the four ports and one extension column `u` that keeps the
//! constraints at degree 3:
//!
//! ```text
//! u   = acc·α² + s₃·α + s₂
//! out = u·α² + s₁·α + s₀
//! ```

use fixpoint_circuit::{CircuitBuilder, Target};
use p3_field::{BasedVectorSpace, Field, PrimeCharacteristicRing};

use crate::config::D;
use crate::tables::common::ext_mul;

/// The kind id of one Horner step over a packed slot ([`step`]).
pub const HORNER: fixpoint_circuit::NpoKind = fixpoint_circuit::NpoKind(6);

/// Ports of a [`HORNER`] call: `acc`, `α` and the slot in, `out` out.
pub const INPUTS: usize = 3;

/// Extension columns of the body beyond the ports: `u`.
pub const EXTRA_COLUMNS: usize = D;

/// One Horner step: `acc·α⁴ + Σ_k slot_k·α^k` over the slot's four coordinates.
///
/// ```
/// use fixpoint_circuit::CircuitBuilder;
/// use fixpoint_circuit_prover::KoalaBearExt as F;
/// use fixpoint_circuit_prover::horner;
///
/// let mut b = CircuitBuilder::<F>::new();
/// let (acc, alpha, slot) = (b.public_input(), b.public_input(), b.public_input());
/// let out = horner::step(&mut b, acc, alpha, slot);
/// b.expose(out);
/// assert!(b.build().is_ok());
/// ```
pub fn step<F: Field>(
    builder: &mut CircuitBuilder<F>,
    acc: Target,
    alpha: Target,
    slot: Target,
) -> Target {
    builder.npo(HORNER, &[acc, alpha, slot], 1, 0).outputs[0]
}

/// `init·α^(4n) + Σ_j α^j·v_j` over the `4n` coordinates `v` of `slots` (slot `i` holds
/// `v_{4i} … v_{4i+3}`): one [`step`] per slot, the last slot first.
pub fn sum_packed<F: Field>(
    builder: &mut CircuitBuilder<F>,
    init: Target,
    alpha: Target,
    slots: &[Target],
) -> Target {
    slots
        .iter()
        .rev()
        .fold(init, |acc, &slot| step(builder, acc, alpha, slot))
}

/// `high·α² + c₁·α + c₀` over coordinates: each half of a step (see the module docs).
fn half<E: PrimeCharacteristicRing + Clone>(
    high: &[E],
    alpha: &[E],
    square: &[E],
    c1: &E,
    c0: &E,
    w: E,
) -> [E; D] {
    let mut value = ext_mul(high, square, w);
    for (v, a) in value.iter_mut().zip(alpha) {
        *v += a.clone() * c1.clone();
    }
    value[0] += c0.clone();
    value
}

/// The step's value natively, over coordinates (`w` is the extension's `X^D`): `(u, out)`.
pub(crate) fn evaluate<V: Field>(acc: &[V], alpha: &[V], slot: &[V], w: V) -> ([V; D], [V; D]) {
    let square = ext_mul(alpha, alpha, w);
    let u = half(acc, alpha, &square, &slot[3], &slot[2], w);
    let out = half(&u, alpha, &square, &slot[1], &slot[0], w);
    (u, out)
}

/// The step on extension values: the runner's semantics.
pub(crate) fn evaluate_ext<V: Field, E: BasedVectorSpace<V> + Copy>(
    acc: E,
    alpha: E,
    slot: E,
    w: V,
) -> E {
    let (_, out) = evaluate(
        acc.as_basis_coefficients_slice(),
        alpha.as_basis_coefficients_slice(),
        slot.as_basis_coefficients_slice(),
        w,
    );
    E::from_basis_coefficients_fn(|k| out[k])
}

/// The body's constraints (see the module docs): `u` and `out` from `acc`, `α` and the
/// slot's coordinates, each of degree 3. They hold on padding rows, where every column is
/// zero.
pub(crate) fn constraints<E: PrimeCharacteristicRing + Clone>(
    acc: &[E],
    alpha: &[E],
    slot: &[E],
    u: &[E],
    out: &[E],
    w: E,
) -> Vec<E> {
    let square = ext_mul(alpha, alpha, w.clone());
    let expected_u = half(acc, alpha, &square, &slot[3], &slot[2], w.clone());
    let expected_out = half(u, alpha, &square, &slot[1], &slot[0], w);
    let differences = |target: &[E], expected: [E; D]| {
        target
            .iter()
            .zip(expected)
            .map(|(t, e)| t.clone() - e)
            .collect::<Vec<E>>()
    };
    let mut all = differences(u, expected_u);
    all.extend(differences(out, expected_out));
    all
}

#[cfg(test)]
mod tests {
    use p3_field::extension::BinomialExtensionField;
    use p3_field::{BasedVectorSpace, PrimeCharacteristicRing};
    use p3_koala_bear::KoalaBear as V;

    type E = BinomialExtensionField<V, 4>;

    fn ext(seed: u32) -> E {
        E::from_basis_coefficients_fn(|k| V::from_u32(seed * 7 + k as u32 * 13 + 1))
    }

    #[test]
    fn a_step_is_the_accumulator_times_alpha_to_the_fourth_plus_the_slot_at_alpha() {
        use p3_field::extension::BinomiallyExtendable;
        let (acc, alpha, slot) = (ext(1), ext(2), ext(3));
        let lanes: &[V] = BasedVectorSpace::<V>::as_basis_coefficients_slice(&slot);
        let expected = acc * alpha.exp_u64(4)
            + (0..4)
                .map(|k| alpha.exp_u64(k as u64) * lanes[k])
                .sum::<E>();
        let w = <V as BinomiallyExtendable<4>>::W;
        assert_eq!(super::evaluate_ext::<V, E>(acc, alpha, slot, w), expected);
    }

    #[test]
    fn the_constraints_vanish_on_the_native_step_and_not_on_another_output() {
        use p3_field::extension::BinomiallyExtendable;
        let w = <V as BinomiallyExtendable<4>>::W;
        let (acc, alpha, slot) = (ext(4), ext(5), ext(6));
        let c =
            |e: &E| -> Vec<V> { BasedVectorSpace::<V>::as_basis_coefficients_slice(e).to_vec() };
        let (u, out) = super::evaluate(&c(&acc), &c(&alpha), &c(&slot), w);
        let zero = super::constraints(&c(&acc), &c(&alpha), &c(&slot), &u, &out, w);
        assert!(zero.iter().all(|v| *v == V::ZERO));
        let mut wrong = out;
        wrong[2] += V::ONE;
        let fails = super::constraints(&c(&acc), &c(&alpha), &c(&slot), &u, &wrong, w);
        assert_eq!(fails.iter().filter(|v| **v != V::ZERO).count(), 1);
    }
}
