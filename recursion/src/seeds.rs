//! The domain-separator seeds of p3 0.8's STARK transcripts, computed natively from a shape
//! with p3's own shape types and absorbed in the circuit as constants.
//!
//! Every seed depends only on parameters and dimensions, never on proof values, so the
//! circuit stays a function of the shape. [`crate::pcs::PcsShape`] has the `p3-fri-pcs` and
//! `p3-fri` seeds; this module has those of `p3-batch-stark` and `p3-uni-stark`.

use fixpoint_circuit::{CircuitBuilder, CircuitField};
use p3_challenger::CanObserve;
use p3_field::{ExtensionField, PrimeField64};

use crate::CircuitChallenger;

/// Collects what a domain separator absorbs.
pub(crate) struct SeedCollector<F>(pub(crate) Vec<F>);

impl<F> CanObserve<F> for SeedCollector<F> {
    fn observe(&mut self, value: F) {
        self.0.push(value);
    }
}

/// The seed a `p3-batch-stark` transcript of this shape starts with.
///
/// ```
/// use p3_koala_bear::KoalaBear as V;
/// type E = p3_field::extension::BinomialExtensionField<V, 4>;
///
/// let shape = p3_batch_stark::BatchShape {
///     trace_widths: vec![3, 5],
///     public_value_counts: vec![1, 0],
///     preprocessed_widths: vec![2, 0],
///     has_preprocessed_commitment: true,
///     num_lookup_instances: 2,
///     lookup_pow_bits: 0,
///     has_randomization_commitment: false,
///     ood_pow_bits: 0,
/// };
/// let seed = fixpoint_recursion::seeds::batch_stark::<V, E>(&shape);
/// assert!(!seed.is_empty());
/// ```
pub fn batch_stark<F: PrimeField64, EF: ExtensionField<F>>(
    shape: &p3_batch_stark::BatchShape,
) -> Vec<F> {
    let mut seed = SeedCollector(Vec::new());
    shape.domain_separator::<F, EF>().seed(&mut seed);
    seed.0
}

/// The seed a `p3-uni-stark` transcript of this shape starts with.
pub fn uni_stark<F: PrimeField64, EF: ExtensionField<F>>(
    shape: &p3_uni_stark::StarkShape,
) -> Vec<F> {
    let mut seed = SeedCollector(Vec::new());
    shape.domain_separator::<F, EF>().seed(&mut seed);
    seed.0
}

/// Absorbs a seed as constants: free until the permutation that takes them.
pub fn observe<F: CircuitField>(
    builder: &mut CircuitBuilder<F>,
    challenger: &mut CircuitChallenger<F>,
    seed: &[F::PrimeSubfield],
) where
    F::PrimeSubfield: PrimeField64,
{
    builder.scope("seed", |b| {
        for &value in seed {
            challenger.observe_const(b, value);
        }
    });
}
