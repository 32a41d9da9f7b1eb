//! Verifier circuits of fixpoint's own proofs: one recursion layer. A circuit is proved by
//! `fixpoint-circuit-prover`, its proof verified inside a second circuit built from the
//! verifying key alone, and the second circuit proved and verified.

use fixpoint_circuit::{Circuit, CircuitBuilder, Traces};
use fixpoint_circuit_prover::{
    FriSettings, ProverConfig, SetupOptions, prove, setup, setup_with, verify,
};
use fixpoint_recursion::batch_stark::{BatchStarkVerifier, KeyBinding};
use fixpoint_recursion::components::ComponentCounts;
use fixpoint_recursion::fixpoint::{self, FixpointShape, FixpointWitness};
use p3_field::PrimeCharacteristicRing;

macro_rules! fixpoint_verifier_tests {
    ($module:ident, $val:ty, $native:path, $config:ident, $table:ty, $stark:ident) => {
        mod $module {
            use super::*;

            type V = $val;
            type E = p3_field::extension::BinomialExtensionField<V, 4>;

            const SETTINGS: FriSettings = FriSettings {
                log_blowup: 1,
                num_queries: 3,
                query_pow_bits: 1,
                commit_pow_bits: 0,
                max_log_arity: 2,
                log_final_poly_len: 1,
            };

            /// The verifier circuit of `vk`'s proofs, with the inner public inputs as its own.
            fn verifier<K: fixpoint::FixpointKey<V>>(
                vk: &K,
            ) -> (Circuit<E>, BatchStarkVerifier, FixpointShape<V, E>) {
                let shape = FixpointShape::new(vk, KeyBinding::Pinned).unwrap();
                let mut b = CircuitBuilder::<E>::new();
                let publics = b.public_inputs(shape.public_count);
                let (verifier, _) = fixpoint::verify_circuit(&mut b, &shape, &publics).unwrap();
                (b.build().unwrap(), verifier, shape)
            }

            fn run(
                circuit: &Circuit<E>,
                verifier: &BatchStarkVerifier,
                witness: &FixpointWitness<V>,
                publics: &[E],
            ) -> Result<Traces<E>, String> {
                let mut runner = circuit.runner();
                fixpoint_circuit_prover::poseidon2::$module::register_executors(&mut runner);
                runner
                    .set_public_inputs(publics)
                    .map_err(|e| e.to_string())?;
                witness
                    .fill(verifier, &mut runner)
                    .map_err(|e| e.to_string())?;
                runner.run().map_err(|e| e.to_string())
            }

            fn prove_outer(
                circuit: &Circuit<E>,
                traces: &Traces<E>,
                publics: &[E],
            ) -> Result<(), String> {
                let config = ProverConfig::$config(SETTINGS);
                let (pk, vk) = setup_with(
                    circuit,
                    &config,
                    &SetupOptions::new().with_npos(&<$table>::ALL),
                )
                .map_err(|e| e.to_string())?;
                let proof = prove(&pk, traces).map_err(|e| e.to_string())?;
                verify(&vk, publics, &proof).map_err(|e| e.to_string())
            }

            /// Proves `inner` on `publics` with fixpoint's prover and checks the proof.
            fn prove_inner(
                inner: &Circuit<E>,
                publics: &[E],
            ) -> (
                fixpoint_circuit_prover::VerifyingKey<fixpoint_circuit_prover::$stark>,
                fixpoint_circuit_prover::Proof<fixpoint_circuit_prover::$stark>,
            ) {
                let (pk, vk) = setup(inner, &ProverConfig::$config(SETTINGS)).unwrap();
                let mut runner = inner.runner();
                runner.set_public_inputs(publics).unwrap();
                let proof = prove(&pk, &runner.run().unwrap()).unwrap();
                verify(&vk, publics, &proof).unwrap();
                (vk, proof)
            }

            /// A random circuit of `ops` additions and multiplications over 4 public
            /// inputs and the constants `constants..constants + 4`, every value kept alive.
            fn random_circuit(ops: usize, seed: u64, constants: u32) -> Circuit<E> {
                use rand::{Rng, SeedableRng};
                let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
                let mut b = CircuitBuilder::<E>::new();
                let mut values = b.public_inputs(4);
                for c in 0..4 {
                    values.push(b.define_const(E::from_u32(c + constants)));
                }
                for _ in 0..ops {
                    let x = values[rng.random_range(0..values.len())];
                    let y = values[rng.random_range(0..values.len())];
                    let z = if rng.random_bool(0.5) {
                        b.add(x, y)
                    } else {
                        b.mul(x, y)
                    };
                    values.push(z);
                }
                for &v in &values[8..] {
                    b.expose(v);
                }
                b.build().unwrap()
            }

            #[test]
            fn a_proof_of_a_large_random_circuit_is_verified_in_a_circuit_that_proves() {
                let inner = random_circuit(3000, 7, 2);
                let publics: Vec<E> = (1..=4).map(E::from_u32).collect();
                let (vk, proof) = prove_inner(&inner, &publics);

                let (circuit, verifier, shape) = verifier(&vk);
                let witness =
                    FixpointWitness::from_proof(&shape, &$native(), &proof, &publics).unwrap();
                let traces = run(&circuit, &verifier, &witness, &publics).unwrap();
                prove_outer(&circuit, &traces, &publics).unwrap();
                // A proof under another key of the same shape (other constants) is refused
                // by the pinned key: p3's own verifier rejects it too.
                let (_, other_proof) = prove_inner(&random_circuit(3000, 7, 3), &publics);
                let err = FixpointWitness::from_proof(&shape, &$native(), &other_proof, &publics)
                    .map(|_| ())
                    .unwrap_err();
                assert!(err.to_string().contains("p3"), "{err}");
            }

            #[test]
            fn a_proof_of_37x_is_verified_in_a_circuit_that_proves() {
                let inner = fixpoint_tests::thirty_seven_x::<E>().unwrap();
                let publics = [E::from_u32(3)];
                let (vk, proof) = prove_inner(&inner, &publics);

                let (circuit, verifier, shape) = verifier(&vk);
                let witness =
                    FixpointWitness::from_proof(&shape, &$native(), &proof, &publics).unwrap();
                let traces = run(&circuit, &verifier, &witness, &publics).unwrap();
                prove_outer(&circuit, &traces, &publics).unwrap();

                // Another statement: the outer circuit rejects it.
                let err = run(&circuit, &verifier, &witness, &[E::from_u32(4)]).unwrap_err();
                assert!(err.contains("batch-stark/"), "{err}");
                insta::assert_snapshot!(
                    format!("fixpoint_verifier_ops_{}", stringify!($module)),
                    ComponentCounts::of(&circuit.stats()).to_string()
                );

                // A tampered opened value or quotient chunk: p3 rejects the proof, and so
                // does the witness (it replays p3's FRI verifier).
                for tamper in 0..2 {
                    let mut bad =
                        fixpoint_circuit_prover::Proof::from_bytes(&proof.to_bytes()).unwrap();
                    let opened = &mut bad.inner.opened_values.instances[3].base_opened_values;
                    if tamper == 0 {
                        opened.trace_local[0] += E::ONE;
                    } else {
                        opened.quotient_chunks[0][0] += E::ONE;
                    }
                    assert!(verify(&vk, &publics, &bad).is_err());
                    let err = FixpointWitness::from_proof(&shape, &$native(), &bad, &publics)
                        .map(|_| ())
                        .unwrap_err();
                    assert!(err.to_string().contains("p3"), "{err}");
                }
            }

            #[test]
            fn a_malicious_inner_prover_whose_bus_does_not_balance_fails_the_terminal_sum() {
                // The inner prover claims 37·4 = 111: x's slot is 4 in the Witness and
                // Public tables, while the Mul row still reads 3. Only the bus can tell.
                let inner = fixpoint_tests::thirty_seven_x::<E>().unwrap();
                let config = ProverConfig::$config(SETTINGS);
                let (pk, vk) = setup(&inner, &config).unwrap();
                let mut runner = inner.runner();
                runner.set_public_inputs(&[E::from_u32(3)]).unwrap();
                let mut traces = runner.run().unwrap();
                let x = inner
                    .ops
                    .iter()
                    .find_map(|op| match op {
                        fixpoint_circuit::Op::Public { out, .. } => Some(*out),
                        _ => None,
                    })
                    .unwrap();
                fixpoint_tests::forge_slot(&mut traces, x, E::ONE);
                let forged = [E::from_u32(4)];
                let proof = prove(&pk, &traces).unwrap();
                let err = verify(&vk, &forged, &proof).unwrap_err();
                assert!(err.to_string().contains("the bus does not balance"), "{err}");

                // Every opening checks out; the verifier circuit stops at the terminal sum.
                let (circuit, verifier, shape) = verifier(&vk);
                let witness =
                    FixpointWitness::from_proof(&shape, &$native(), &proof, &forged).unwrap();
                let err = run(&circuit, &verifier, &witness, &forged).unwrap_err();
                assert!(err.contains("batch-stark/terminal sum"), "{err}");
            }
        }
    };
}

fixpoint_verifier_tests!(
    koala_bear,
    p3_koala_bear::KoalaBear,
    p3_koala_bear::default_koalabear_poseidon2_16,
    koala_bear,
    fixpoint_circuit_prover::poseidon2::koala_bear::Table,
    KoalaBearStark
);
fixpoint_verifier_tests!(
    baby_bear,
    p3_baby_bear::BabyBear,
    p3_baby_bear::default_babybear_poseidon2_16,
    baby_bear,
    fixpoint_circuit_prover::poseidon2::baby_bear::Table,
    BabyBearStark
);
