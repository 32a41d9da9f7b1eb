//! The batch-stark verifier circuit against p3-batch-stark itself: three AIRs on two LogUp
//! buses with preprocessed columns are proved natively and verified natively, then by the
//! circuit, which is proved and verified; bad proofs are rejected by the check that failed.

use fixpoint_circuit::{Circuit, CircuitBuilder, Traces};
use fixpoint_circuit_prover::{FriSettings, ProverConfig, SetupOptions, prove, setup_with, verify};
use fixpoint_recursion::batch_stark::{
    self, BatchPreprocessed, BatchStarkShape, BatchStarkVerifier, BatchStarkWitness,
};
use fixpoint_recursion::components::ComponentCounts;
use fixpoint_recursion::pcs::FriConfig;
use fixpoint_recursion::uni_stark::{self, WitnessError};
use fixpoint_tests::airs::{LookupAir, lookup_airs};
use p3_batch_stark::{ProverData, StarkInstance};
use p3_field::PrimeCharacteristicRing;

macro_rules! batch_stark_tests {
    ($module:ident, $val:ty, $perm:ty, $native:path, $config:ident, $table:ty) => {
        mod $module {
            use super::*;

            type V = $val;
            type E = p3_field::extension::BinomialExtensionField<V, 4>;
            type Config = fixpoint_circuit_prover::config::StarkCfg<V, $perm>;
            type Proof = batch_stark::NativeProof<V, $perm>;
            type Common = batch_stark::NativeCommon<V, $perm>;

            /// FRI and PoW parameters of one case.
            #[derive(Clone, Copy)]
            struct Params {
                fri: FriConfig,
                lookup_pow: usize,
                ood_pow: usize,
            }

            fn params(max_log_arity: usize, pow: usize) -> Params {
                Params {
                    fri: FriConfig {
                        log_blowup: 1,
                        log_final_poly_len: 0,
                        max_log_arity,
                        num_queries: 3,
                        batch_pow_bits: pow,
                        commit_pow_bits: pow,
                        query_pow_bits: pow,
                        cap_height: 0,
                    },
                    lookup_pow: pow,
                    ood_pow: pow,
                }
            }

            fn config(p: &Params) -> Config {
                let perm = $native();
                let (fri, mmcs) = uni_stark::native_pcs::<V, E, _>(&p.fri, &perm);
                let pcs = p3_fri::TwoAdicFriPcs::new(Default::default(), mmcs, fri);
                p3_uni_stark::StarkConfig::new(pcs, p3_challenger::DuplexChallenger::new(perm))
                    .with_lookup_proof_of_work_bits(p.lookup_pow)
                    .with_ood_proof_of_work_bits(p.ood_pow)
            }

            /// A batch proof, the shape and the circuit that verifies it.
            struct Case {
                params: Params,
                airs: Vec<LookupAir>,
                common: Common,
                proof: Proof,
                publics: Vec<Vec<V>>,
                shape: BatchStarkShape<V, E>,
                circuit: Circuit<E>,
                verifier: BatchStarkVerifier,
            }

            fn prove_native(
                p: &Params,
                unbalance: bool,
                start: usize,
            ) -> (Vec<LookupAir>, Common, Proof, Vec<Vec<V>>) {
                prove_lookup_airs(p, 3, 4, start, unbalance)
            }

            /// Proves [`lookup_airs`] (tables of `2^log_table` rows, a reader of
            /// `2^log_reads`) with p3-batch-stark.
            fn prove_lookup_airs(
                p: &Params,
                log_table: usize,
                log_reads: usize,
                start: usize,
                unbalance: bool,
            ) -> (Vec<LookupAir>, Common, Proof, Vec<Vec<V>>) {
                let config = config(p);
                let (airs, traces, publics) =
                    lookup_airs::<V>(log_table, log_reads, 11, start, unbalance);
                let instances: Vec<StarkInstance<'_, Config, LookupAir>> = airs
                    .iter()
                    .zip(&traces)
                    .zip(&publics)
                    .map(|((air, trace), pv)| StarkInstance {
                        air,
                        trace,
                        public_values: pv.clone(),
                    })
                    .collect();
                let data = ProverData::from_instances(&config, &instances).unwrap();
                let proof = p3_batch_stark::prove_batch(&config, &instances, &data).unwrap();
                (airs, data.common, proof, publics)
            }

            fn shape_of(
                p: &Params,
                airs: &[LookupAir],
                common: &Common,
                proof: &Proof,
            ) -> BatchStarkShape<V, E> {
                BatchStarkShape::new(
                    airs,
                    &common.lookups,
                    BatchPreprocessed::from_common(common),
                    &proof.degree_bits,
                    p.fri,
                    p.lookup_pow,
                    p.ood_pow,
                )
                .unwrap()
            }

            fn build(shape: &BatchStarkShape<V, E>) -> (Circuit<E>, BatchStarkVerifier) {
                let mut b = CircuitBuilder::<E>::new();
                let publics = shape.public_inputs(&mut b);
                let (verifier, _) = batch_stark::verify_circuit(&mut b, shape, publics).unwrap();
                (b.build().unwrap(), verifier)
            }

            fn case(p: Params) -> Case {
                let (airs, common, proof, publics) = prove_native(&p, false, 3);
                p3_batch_stark::verify_batch(&config(&p), &airs, &proof, &publics, &common)
                    .expect("p3 accepts its own proof");
                let shape = shape_of(&p, &airs, &common, &proof);
                let (circuit, verifier) = build(&shape);
                Case {
                    params: p,
                    airs,
                    common,
                    proof,
                    publics,
                    shape,
                    circuit,
                    verifier,
                }
            }

            fn witness(
                case: &Case,
                proof: &Proof,
                publics: &[Vec<V>],
            ) -> Result<BatchStarkWitness<V, E>, WitnessError> {
                BatchStarkWitness::from_proof(&case.shape, &$native(), proof, publics)
            }

            fn publics_of(w: &BatchStarkWitness<V, E>) -> Vec<E> {
                w.public_values.iter().map(|&v| E::from(v)).collect()
            }

            fn run(
                case: &Case,
                w: &BatchStarkWitness<V, E>,
                publics: &[E],
            ) -> Result<Traces<E>, String> {
                let mut runner = case.circuit.runner();
                fixpoint_circuit_prover::poseidon2::$module::register_executors(&mut runner);
                runner
                    .set_public_inputs(publics)
                    .map_err(|e| e.to_string())?;
                w.fill(&case.verifier, &mut runner)
                    .map_err(|e| e.to_string())?;
                runner.run().map_err(|e| e.to_string())
            }

            fn prove_and_verify(
                case: &Case,
                traces: &Traces<E>,
                publics: &[E],
            ) -> Result<(), String> {
                let config = ProverConfig::$config(FriSettings::TEST);
                let (pk, vk) = setup_with(
                    &case.circuit,
                    &config,
                    &SetupOptions::new().with_npos(&<$table>::ALL),
                )
                .map_err(|e| e.to_string())?;
                let proof = prove(&pk, traces).map_err(|e| e.to_string())?;
                verify(&vk, publics, &proof).map_err(|e| e.to_string())
            }

            #[test]
            fn p3_batch_proofs_are_accepted_and_the_verifier_proves() {
                for (name, p) in [
                    ("arity 2, no PoW", params(1, 0)),
                    ("arity 4, PoW 1", params(2, 1)),
                ] {
                    let case = case(p);
                    let w = witness(&case, &case.proof, &case.publics).unwrap();
                    let publics = publics_of(&w);
                    let traces = run(&case, &w, &publics).unwrap_or_else(|e| panic!("{name}: {e}"));
                    prove_and_verify(&case, &traces, &publics)
                        .unwrap_or_else(|e| panic!("{name}: {e}"));
                    // Another proof of the same shape runs on the same circuit.
                    let (airs, common, proof, publics) = prove_native(&case.params, false, 5);
                    let other = shape_of(&case.params, &airs, &common, &proof);
                    assert_eq!(build(&other).0.id(), case.circuit.id());
                    let w = witness(&case, &proof, &publics).unwrap();
                    run(&case, &w, &publics_of(&w))
                        .unwrap_or_else(|e| panic!("{name}, second proof: {e}"));
                }
            }

            #[test]
            fn the_circuit_transcript_is_the_native_verifiers() {
                let case = case(params(2, 1));
                let mut b = CircuitBuilder::<E>::new();
                let publics = case.shape.public_inputs(&mut b);
                let (verifier, challenger) =
                    batch_stark::verify_circuit(&mut b, &case.shape, publics).unwrap();
                let circuit = b.build().unwrap();
                let w = witness(&case, &case.proof, &case.publics).unwrap();
                let mut runner = circuit.runner();
                fixpoint_circuit_prover::poseidon2::$module::register_executors(&mut runner);
                runner.set_public_inputs(&publics_of(&w)).unwrap();
                w.fill(&verifier, &mut runner).unwrap();
                let traces = runner.run().unwrap();
                if let Err(d) = fixpoint_recursion::transcript::compare(
                    &w.transcript,
                    &circuit,
                    &traces,
                    challenger.transcript(),
                ) {
                    panic!("{d}");
                }
            }

            #[test]
            fn op_counts_by_component() {
                let case = case(params(1, 0));
                let counts = ComponentCounts::of(&case.circuit.stats());
                insta::assert_snapshot!(
                    format!("batch_stark_ops_{}", stringify!($module)),
                    counts.to_string()
                );
            }

            #[test]
            fn a_wrong_public_value_is_rejected() {
                let case = case(params(1, 0));
                let mut publics = case.publics.clone();
                publics[2][0] += V::ONE;
                assert!(
                    p3_batch_stark::verify_batch(
                        &config(&case.params),
                        &case.airs,
                        &case.proof,
                        &publics,
                        &case.common
                    )
                    .is_err()
                );
                let w = witness(&case, &case.proof, &case.publics).unwrap();
                let mut forged = publics_of(&w);
                forged[0] += E::ONE;
                let err = run(&case, &w, &forged).unwrap_err();
                assert!(err.contains("batch-stark/"), "{err}");
            }

            #[test]
            fn a_tampered_opened_value_or_quotient_chunk_is_rejected() {
                let case = case(params(1, 0));
                let w = witness(&case, &case.proof, &case.publics).unwrap();
                let publics = publics_of(&w);
                for target in [
                    case.verifier.inputs.instances[2].trace_local[0],
                    case.verifier.inputs.instances[0].quotient_chunks[0][1],
                    case.verifier.inputs.instances[1].permutation_next[3],
                ] {
                    // The slot's index among the private inputs: find it by value.
                    let mut traces_ok = run(&case, &w, &publics).unwrap();
                    let slot = case.circuit.witness_of(target).unwrap();
                    fixpoint_tests::forge_slot(&mut traces_ok, slot, E::ONE);
                    let err = prove_and_verify(&case, &traces_ok, &publics).unwrap_err();
                    assert!(err.contains("the bus does not balance"), "{err}");
                }
            }

            #[test]
            fn an_unbalanced_bus_fails_the_terminal_sum() {
                let p = params(1, 0);
                let honest = case(p);
                // A malicious inner prover: the ROM provides index 0 once more than it is read.
                let (airs, common, proof, publics) = prove_native(&p, true, 3);
                assert!(
                    p3_batch_stark::verify_batch(&config(&p), &airs, &proof, &publics, &common)
                        .is_err()
                );
                // Same keys, same shape: the openings all check out, the terminals do not sum
                // to zero.
                let w = witness(&honest, &proof, &publics).unwrap();
                let err = run(&honest, &w, &publics_of(&w)).unwrap_err();
                assert!(err.contains("batch-stark/terminal sum"), "{err}");
            }

            #[test]
            fn a_proof_under_another_preprocessed_commitment_is_rejected() {
                let p = params(1, 0);
                let honest = case(p);
                let mut pinned = honest.shape.clone();
                // Another key: the ROM of a table one row taller has another commitment; pin
                // that commitment instead of the honest one.
                let (_, other_common, _, _) = prove_lookup_airs(&p, 4, 4, 3, false);
                let other = BatchPreprocessed::from_common(&other_common).unwrap().0;
                pinned.preprocessed.as_mut().unwrap().commitment = other.commitment;
                let (circuit, verifier) = build(&pinned);
                assert_ne!(circuit.id(), honest.circuit.id());
                let w = witness(&honest, &honest.proof, &honest.publics).unwrap();
                let case = Case {
                    circuit,
                    verifier,
                    ..honest
                };
                let err = run(&case, &w, &publics_of(&w)).unwrap_err();
                assert!(err.contains("batch-stark/"), "{err}");
            }

            #[test]
            fn a_proof_of_another_shape_is_a_typed_error() {
                let case = case(params(1, 0));
                let err = witness(&case, &case.proof, &case.publics[..2])
                    .map(|_| ())
                    .unwrap_err();
                assert!(matches!(err, WitnessError::Shape(_)), "{err}");
                let other = case_with_reads(params(1, 0), 5);
                let err = witness(&case, &other.proof, &other.publics)
                    .map(|_| ())
                    .unwrap_err();
                assert!(matches!(err, WitnessError::Shape(_)), "{err}");
            }

            /// A case whose reader has `2^log_reads` rows.
            fn case_with_reads(p: Params, log_reads: usize) -> Case {
                let (airs, common, proof, publics) = prove_lookup_airs(&p, 3, log_reads, 3, false);
                let shape = shape_of(&p, &airs, &common, &proof);
                let (circuit, verifier) = build(&shape);
                Case {
                    params: p,
                    airs,
                    common,
                    proof,
                    publics,
                    shape,
                    circuit,
                    verifier,
                }
            }
        }
    };
}

batch_stark_tests!(
    koala_bear,
    p3_koala_bear::KoalaBear,
    p3_koala_bear::Poseidon2KoalaBear<16>,
    p3_koala_bear::default_koalabear_poseidon2_16,
    koala_bear,
    fixpoint_circuit_prover::poseidon2::koala_bear::Table
);
batch_stark_tests!(
    baby_bear,
    p3_baby_bear::BabyBear,
    p3_baby_bear::Poseidon2BabyBear<16>,
    p3_baby_bear::default_babybear_poseidon2_16,
    baby_bear,
    fixpoint_circuit_prover::poseidon2::baby_bear::Table
);
