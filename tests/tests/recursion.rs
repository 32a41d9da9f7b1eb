//! Recursion to a fixed point: a Fibonacci proof, then layers that each verify the previous
//! layer's proof, until two consecutive layers have the same circuit and the same key.

use fixpoint_circuit_prover::{FriSettings, ProverConfig, prove, setup};
use p3_field::PrimeCharacteristicRing;

/// Small FRI parameters, so that the layers fit the CI budget.
const SMALL: FriSettings = FriSettings {
    log_blowup: 1,
    num_queries: 2,
    query_pow_bits: 0,
    commit_pow_bits: 0,
    max_log_arity: 1,
    log_final_poly_len: 0,
};

macro_rules! recursion_tests {
    ($module:ident, $val:ty) => {
        mod $module {
            use fixpoint_recursion::layers::$module::recurse;

            use super::*;

            type E = p3_field::extension::BinomialExtensionField<$val, 4>;

            #[test]
            fn the_layers_reach_a_fixed_point_and_the_chain_verifies() {
                let base = fixpoint_tests::fibonacci::<E>(20).unwrap();
                let (pk, vk) = setup(&base, &ProverConfig::$module(SMALL)).unwrap();
                let publics = [E::ZERO, E::ONE, E::from_u32(6765)];
                let mut runner = base.runner();
                runner.set_public_inputs(&publics).unwrap();
                let proof = prove(&pk, &runner.run().unwrap()).unwrap();

                let outcome = recurse(&vk, &proof, &publics, SMALL, 5, |_| {}).unwrap();
                let at = outcome
                    .fixed_point_at
                    .expect("a fixed point within 5 layers");
                let reports = &outcome.reports;
                assert!(at >= 2);
                // From the fixed point on, one circuit and one key.
                for pair in reports[at - 2..].windows(2) {
                    assert_eq!(pair[0].circuit_id, pair[1].circuit_id);
                    assert_eq!(pair[0].vk_hash, pair[1].vk_hash);
                }
                // Before it, the circuit changed.
                assert_ne!(reports[0].circuit_id, reports[1].circuit_id);
                // The statement is forwarded, and the chain names every key.
                assert_eq!(&outcome.publics[..3], &publics);
                outcome.verify_chain(&outcome.keys).unwrap();
                // A verifier trusting other keys rejects the chain.
                let mut other = outcome.keys.clone();
                other.swap(0, 1);
                assert!(outcome.verify_chain(&other).is_err());
                assert!(outcome.verify_chain(&outcome.keys[1..]).is_err());
            }
        }
    };
}

recursion_tests!(koala_bear, p3_koala_bear::KoalaBear);
recursion_tests!(baby_bear, p3_baby_bear::BabyBear);
