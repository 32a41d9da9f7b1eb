//! A private row, hashed by the packed sponge and summed by Horner steps, both published:
//! the workload of the Horner and virtual-bus tests, and its inputs computed natively (p3's
//! sponge, the plain sum), so the circuit is checked against an independent computation.

use fixpoint_circuit::{Circuit, CircuitBuilder};
use fixpoint_circuit_prover::merkle::PackedRow;
use fixpoint_circuit_prover::{Ext, FieldFamily, horner, poseidon2};
use p3_field::{BasedVectorSpace, PrimeCharacteristicRing};
use p3_symmetric::{CryptographicHasher, PaddingFreeSponge};

/// Public `acc` and `α`, then a private row of `len` values packed in slots; publishes the
/// row's digest (p3's sponge over the values) and `acc·α^len + Σ_j α^j·v_j`.
///
/// ```
/// use fixpoint_circuit_prover::{KoalaBear, poseidon2};
/// use p3_field::PrimeCharacteristicRing;
///
/// let circuit = fixpoint_tests::hashed_row::circuit::<KoalaBear>(8);
/// let values: Vec<KoalaBear> = (0..8).map(KoalaBear::from_u32).collect();
/// let (publics, privates) = fixpoint_tests::hashed_row::inputs(&values, 7, 2);
/// let mut runner = circuit.runner();
/// poseidon2::register_executors(&mut runner);
/// runner.set_public_inputs(&publics)?;
/// runner.set_private_inputs(&privates)?;
/// runner.run()?; // every published value is the native one
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn circuit<V: FieldFamily>(len: usize) -> Circuit<Ext<V>> {
    let mut b = CircuitBuilder::<Ext<V>>::new();
    let (acc, alpha) = (b.public_input(), b.public_input());
    let row = PackedRow::private(&mut b, len);
    let digest = poseidon2::hash_packed_row(&mut b, &row.slots, &row.tail);
    let sum = horner::sum_packed(&mut b, Some(acc), alpha, &row.slots);
    for &t in digest.iter().chain([&sum]) {
        let public = b.public_input();
        b.connect(t, public);
    }
    b.build().expect("the hashed row builds")
}

/// The public inputs of [`circuit`] over `values` (`acc, α`, the packed digest, the sum)
/// and its private inputs (the packed values), computed natively. `acc` and `α` are the
/// extension elements whose k-th coefficients are `acc_seed + k` and `α_seed·k + 2`.
pub fn inputs<V: FieldFamily>(
    values: &[V],
    acc_seed: u32,
    alpha_seed: u32,
) -> (Vec<Ext<V>>, Vec<Ext<V>>) {
    let acc = Ext::<V>::from_basis_coefficients_fn(|k| V::from_u32(acc_seed + k as u32));
    let alpha = Ext::<V>::from_basis_coefficients_fn(|k| V::from_u32(alpha_seed * k as u32 + 2));
    let sponge = PaddingFreeSponge::<_, 16, 8, 8>::new(V::permutation());
    let digest: [V; 8] = sponge.hash_iter(values.iter().copied());
    let sum = acc * alpha.exp_u64(values.len() as u64)
        + values
            .iter()
            .enumerate()
            .map(|(j, &x)| alpha.exp_u64(j as u64) * x)
            .sum::<Ext<V>>();
    let mut publics = vec![acc, alpha];
    publics.extend(poseidon2::pack_values::<Ext<V>>(&digest));
    publics.push(sum);
    (publics, poseidon2::pack_values::<Ext<V>>(values))
}
