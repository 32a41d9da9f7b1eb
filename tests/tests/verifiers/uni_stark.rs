//! The uni-stark verifier circuit against p3-uni-stark itself: proofs of AIRs written here
//! (public values and transitions, preprocessed columns, periodic columns) are verified
//! natively, then by the circuit, which is proved and verified; tampered proofs are
//! rejected by the check that failed.

use fixpoint_circuit::{Circuit, CircuitBuilder, Traces};
use fixpoint_circuit_prover::{FriSettings, ProverConfig, SetupOptions, prove, setup_with, verify};
use fixpoint_recursion::components::ComponentCounts;
use fixpoint_recursion::pcs::FriConfig;
use fixpoint_recursion::uni_stark::{
    self, PreprocessedKey, UniStarkShape, UniStarkVerifier, UniStarkWitness, WitnessError,
};
use fixpoint_tests::airs::{Fibonacci, fibonacci_trace, periodic_air, preprocessed_air};
use p3_field::PrimeCharacteristicRing;

macro_rules! uni_stark_tests {
    ($module:ident, $val:ty, $perm:ty, $native:path, $config:ident, $table:ty) => {
        mod $module {
            use super::*;

            type V = $val;
            type E = p3_field::extension::BinomialExtensionField<V, 4>;
            type Config = fixpoint_circuit_prover::config::StarkCfg<V, $perm>;
            type Proof = uni_stark::NativeProof<V, $perm>;

            fn config(fri: &FriConfig) -> Config {
                config_with_ood_pow(fri, 0)
            }

            fn config_with_ood_pow(fri: &FriConfig, ood_pow_bits: usize) -> Config {
                let perm = $native();
                let (params, mmcs) = uni_stark::native_pcs::<V, E, _>(fri, &perm);
                let pcs = p3_fri::TwoAdicFriPcs::new(Default::default(), mmcs, params);
                p3_uni_stark::StarkConfig::new(pcs, p3_challenger::DuplexChallenger::new(perm))
                    .with_ood_proof_of_work_bits(ood_pow_bits)
            }

            fn fri(
                log_blowup: usize,
                max_log_arity: usize,
                log_final_poly_len: usize,
            ) -> FriConfig {
                FriConfig {
                    log_blowup,
                    log_final_poly_len,
                    max_log_arity,
                    num_queries: 3,
                    batch_pow_bits: 1,
                    commit_pow_bits: 1,
                    query_pow_bits: 2,
                    cap_height: 0,
                }
            }

            /// A proof that p3 accepts, the shape and the circuit that verifies it.
            struct Case {
                shape: UniStarkShape<V, E>,
                proof: Proof,
                publics: Vec<V>,
                circuit: Circuit<E>,
                verifier: UniStarkVerifier,
            }

            fn build(shape: &UniStarkShape<V, E>) -> (Circuit<E>, UniStarkVerifier) {
                let mut b = CircuitBuilder::<E>::new();
                let (verifier, _) = uni_stark::verify_circuit(&mut b, shape).unwrap();
                (b.build().unwrap(), verifier)
            }

            fn fibonacci(fri: FriConfig, rows: usize) -> Case {
                fibonacci_with_ood_pow(fri, rows, 0)
            }

            fn fibonacci_with_ood_pow(fri: FriConfig, rows: usize, ood_pow_bits: usize) -> Case {
                let config = config_with_ood_pow(&fri, ood_pow_bits);
                let (trace, publics) = fibonacci_trace::<V>(rows);
                let proof =
                    p3_uni_stark::prove(&config, &Fibonacci::STANDARD, trace, &publics).unwrap();
                p3_uni_stark::verify(&config, &Fibonacci::STANDARD, &proof, &publics)
                    .expect("p3 accepts its own proof");
                let shape = UniStarkShape::new(
                    &Fibonacci::STANDARD,
                    fri,
                    ood_pow_bits,
                    proof.degree_bits,
                    None,
                )
                .unwrap();
                let (circuit, verifier) = build(&shape);
                Case {
                    shape,
                    proof,
                    publics,
                    circuit,
                    verifier,
                }
            }

            fn preprocessed(fri: FriConfig, rows: usize) -> Case {
                let config = config(&fri);
                let (air, trace) = preprocessed_air::<V>(rows, 0);
                let log_rows = rows.trailing_zeros() as usize;
                let (prep_pk, prep_vk) = p3_uni_stark::setup_preprocessed(&config, &air, log_rows)
                    .unwrap()
                    .unwrap();
                let proof = p3_uni_stark::prove_with_preprocessed(
                    &config,
                    &air,
                    trace,
                    &[],
                    Some(&prep_pk),
                )
                .unwrap();
                p3_uni_stark::verify_with_preprocessed(&config, &air, &proof, &[], Some(&prep_vk))
                    .expect("p3 accepts its own proof");
                let key = PreprocessedKey {
                    commitment: prep_vk.commitment.clone(),
                    width: prep_vk.width,
                };
                let shape = UniStarkShape::new(&air, fri, 0, proof.degree_bits, Some(key)).unwrap();
                let (circuit, verifier) = build(&shape);
                Case {
                    shape,
                    proof,
                    publics: Vec::new(),
                    circuit,
                    verifier,
                }
            }

            fn periodic(fri: FriConfig, rows: usize) -> Case {
                let config = config(&fri);
                let (air, trace) = periodic_air::<V>(rows);
                let proof = p3_uni_stark::prove(&config, &air, trace, &[]).unwrap();
                p3_uni_stark::verify(&config, &air, &proof, &[]).expect("p3 accepts its own proof");
                let shape = UniStarkShape::new(&air, fri, 0, proof.degree_bits, None).unwrap();
                let (circuit, verifier) = build(&shape);
                Case {
                    shape,
                    proof,
                    publics: Vec::new(),
                    circuit,
                    verifier,
                }
            }

            fn witness(
                case: &Case,
                proof: &Proof,
                publics: &[V],
            ) -> Result<UniStarkWitness<V, E>, WitnessError> {
                UniStarkWitness::from_proof(&case.shape, &$native(), proof, publics)
            }

            fn run(case: &Case, witness: &UniStarkWitness<V, E>) -> Result<Traces<E>, String> {
                let mut runner = case.circuit.runner();
                fixpoint_circuit_prover::poseidon2::$module::register_executors(&mut runner);
                witness
                    .fill(&case.verifier, &mut runner)
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

            fn cases() -> Vec<(&'static str, Case)> {
                vec![
                    ("fibonacci, arity 2", fibonacci(fri(1, 1, 0), 1 << 5)),
                    (
                        "fibonacci, OOD PoW 2",
                        fibonacci_with_ood_pow(fri(1, 1, 0), 1 << 5, 2),
                    ),
                    (
                        "fibonacci, arity 4, final poly 4",
                        fibonacci(fri(2, 2, 2), 1 << 6),
                    ),
                    ("preprocessed", preprocessed(fri(2, 1, 0), 1 << 4)),
                    ("periodic", periodic(fri(3, 2, 1), 1 << 4)),
                ]
            }

            #[test]
            fn p3_proofs_are_accepted_and_the_verifier_proves() {
                for (name, case) in cases() {
                    let w = witness(&case, &case.proof, &case.publics).unwrap();
                    let traces = run(&case, &w).unwrap_or_else(|e| panic!("{name}: {e}"));
                    prove_and_verify(&case, &traces, &w.publics)
                        .unwrap_or_else(|e| panic!("{name}: {e}"));
                }
            }

            #[test]
            fn the_circuit_transcript_is_the_native_verifiers() {
                for (name, case) in cases() {
                    let mut b = CircuitBuilder::<E>::new();
                    let (verifier, challenger) =
                        uni_stark::verify_circuit(&mut b, &case.shape).unwrap();
                    let circuit = b.build().unwrap();
                    let w = witness(&case, &case.proof, &case.publics).unwrap();
                    let mut runner = circuit.runner();
                    fixpoint_circuit_prover::poseidon2::$module::register_executors(&mut runner);
                    w.fill(&verifier, &mut runner).unwrap();
                    let traces = runner.run().unwrap();
                    assert!(w.transcript.len() > 100);
                    if let Err(d) = fixpoint_recursion::transcript::compare(
                        &w.transcript,
                        &circuit,
                        &traces,
                        challenger.transcript(),
                    ) {
                        panic!("{name}: {d}");
                    }
                }
            }

            #[test]
            fn two_proofs_of_one_shape_give_one_circuit() {
                let a = fibonacci(fri(1, 1, 0), 1 << 5);
                let b = fibonacci(fri(1, 1, 0), 1 << 5);
                assert_eq!(a.circuit.id(), b.circuit.id());
                // A different FRI shape is a different circuit.
                let c = fibonacci(fri(1, 2, 0), 1 << 5);
                assert_ne!(a.circuit.id(), c.circuit.id());
            }

            #[test]
            fn a_wrong_public_value_is_rejected() {
                let case = fibonacci(fri(1, 1, 0), 1 << 5);
                let mut publics = case.publics.clone();
                publics[2] += V::ONE;
                // Natively too.
                assert!(
                    p3_uni_stark::verify(
                        &config(&case.shape.fri),
                        &Fibonacci::STANDARD,
                        &case.proof,
                        &publics
                    )
                    .is_err()
                );
                // The transcript moves with the public value, so p3's FRI verifier (which
                // the witness replays) already fails: fill with the honest witness and
                // swap the public input instead.
                let mut w = witness(&case, &case.proof, &case.publics).unwrap();
                w.publics[2] += E::ONE;
                let err = run(&case, &w).unwrap_err();
                assert!(err.contains("uni-stark"), "{err}");
            }

            /// The position of the first quotient coordinate among the private inputs: after
            /// the two caps (2 slots each) and the trace and preprocessed openings.
            fn quotient_position(case: &Case) -> usize {
                let c = &case.shape.constraints;
                let (main, prep) = (c.layout.main_width, c.layout.preprocessed_width);
                4 + main * (1 + c.main_next as usize) + prep * (1 + c.preprocessed_next as usize)
            }

            #[test]
            fn a_tampered_opened_value_or_quotient_chunk_is_rejected_on_every_source() {
                for (name, case) in cases() {
                    let honest = witness(&case, &case.proof, &case.publics).unwrap();
                    let opened = &case.proof.opened_values;
                    assert_eq!(honest.privates[4], opened.trace_local[0]);
                    assert_eq!(
                        honest.privates[quotient_position(&case)],
                        opened.quotient_chunks[0][0]
                    );
                    for position in [4, quotient_position(&case)] {
                        let mut w = witness(&case, &case.proof, &case.publics).unwrap();
                        w.privates[position] += E::ONE;
                        let err = run(&case, &w).unwrap_err();
                        assert!(err.contains("uni-stark/"), "{name}: {err}");
                    }
                }
            }

            #[test]
            fn a_tampered_quotient_chunk_in_the_proof_is_refused_with_p3() {
                for (name, mut case) in cases() {
                    case.proof.opened_values.quotient_chunks[0][0] += E::ONE;
                    let err = witness(&case, &case.proof, &case.publics)
                        .map(|_| ())
                        .unwrap_err();
                    assert!(matches!(err, WitnessError::Native(_)), "{name}: {err}");
                }
                // p3 itself rejects it.
                let mut case = fibonacci(fri(1, 1, 0), 1 << 5);
                case.proof.opened_values.quotient_chunks[0][0] += E::ONE;
                let config = config(&case.shape.fri);
                assert!(
                    p3_uni_stark::verify(&config, &Fibonacci::STANDARD, &case.proof, &case.publics)
                        .is_err()
                );
            }

            #[test]
            fn a_proof_of_another_shape_is_a_typed_error() {
                let case = fibonacci(fri(1, 1, 0), 1 << 5);
                let other = fibonacci(fri(1, 1, 0), 1 << 6);
                let err = witness(&case, &other.proof, &other.publics)
                    .map(|_| ())
                    .unwrap_err();
                assert!(
                    matches!(
                        err,
                        WitnessError::Shape(fixpoint_recursion::pcs::ProofShapeError::Length {
                            what: "degree bits",
                            expected: 5,
                            got: 6
                        })
                    ),
                    "{err}"
                );
                let err = witness(&case, &case.proof, &case.publics[..2])
                    .map(|_| ())
                    .unwrap_err();
                assert!(matches!(err, WitnessError::Shape(_)), "{err}");
            }

            #[test]
            fn op_counts_by_component() {
                for (name, case) in cases() {
                    let counts = ComponentCounts::of(&case.circuit.stats());
                    insta::assert_snapshot!(
                        format!(
                            "uni_stark_ops_{}_{}",
                            stringify!($module),
                            name.replace([',', ' '], "_")
                        ),
                        counts.to_string()
                    );
                }
            }

            /// Fibonacci with `y' = 2x + y`: the same shape, other constants.
            fn other_constants(fri: FriConfig, rows: usize) -> Case {
                let air = Fibonacci { k: 2 };
                let shape =
                    UniStarkShape::new(&air, fri, 0, rows.trailing_zeros() as usize, None).unwrap();
                let (circuit, verifier) = build(&shape);
                let (_, publics) = fibonacci_trace::<V>(rows);
                let proof = fibonacci(fri, rows).proof;
                Case {
                    shape,
                    proof,
                    publics,
                    circuit,
                    verifier,
                }
            }

            #[test]
            fn a_proof_under_other_constants_fails_the_quotient_identity() {
                let honest = fibonacci(fri(1, 1, 0), 1 << 5);
                let other = other_constants(fri(1, 1, 0), 1 << 5);
                assert_ne!(honest.circuit.id(), other.circuit.id());
                // Same shape, same transcript: every opening checks out, only the
                // constraints at ζ do not.
                let w = witness(&honest, &honest.proof, &honest.publics).unwrap();
                let err = run(&other, &w).unwrap_err();
                assert!(err.contains("constraints at ζ/quotient identity"), "{err}");
            }

            #[test]
            fn a_proof_under_another_preprocessed_key_is_rejected() {
                let case = preprocessed(fri(2, 1, 0), 1 << 4);
                let config = config(&case.shape.fri);
                let (air, trace) = preprocessed_air::<V>(1 << 4, 1);
                let (prep_pk, prep_vk) = p3_uni_stark::setup_preprocessed(&config, &air, 4)
                    .unwrap()
                    .unwrap();
                assert_ne!(
                    prep_vk.commitment,
                    case.shape.preprocessed.as_ref().unwrap().commitment
                );
                let proof = p3_uni_stark::prove_with_preprocessed(
                    &config,
                    &air,
                    trace,
                    &[],
                    Some(&prep_pk),
                )
                .unwrap();
                // The witness of the pinned key cannot be made from it: p3 rejects it too.
                let err = witness(&case, &proof, &[]).map(|_| ()).unwrap_err();
                assert!(matches!(err, WitnessError::Native(_)), "{err}");
                // Its own key's witness does not run on the pinned key's circuit.
                let key = PreprocessedKey {
                    commitment: prep_vk.commitment.clone(),
                    width: 2,
                };
                let own = UniStarkShape::new(&air, case.shape.fri, 0, 4, Some(key)).unwrap();
                let w = UniStarkWitness::from_proof(&own, &$native(), &proof, &[]).unwrap();
                let err = run(&case, &w).unwrap_err();
                assert!(err.contains("uni-stark/pcs"), "{err}");
            }

            /// Proves `traces` of `case`'s circuit after adding 1 to `target`'s slot in
            /// the Witness and Public tables, then verifies against `publics`.
            fn forged(case: &Case, target: fixpoint_circuit::Target, publics: &[E]) -> String {
                let w = witness(case, &case.proof, &case.publics).unwrap();
                let mut traces = run(case, &w).unwrap();
                let slot = case.circuit.witness_of(target).unwrap();
                fixpoint_tests::forge_slot(&mut traces, slot, E::ONE);
                prove_and_verify(case, &traces, publics).unwrap_err()
            }

            #[test]
            fn a_malicious_prover_cannot_claim_another_public_value() {
                let case = fibonacci(fri(1, 1, 0), 1 << 5);
                let w = witness(&case, &case.proof, &case.publics).unwrap();
                let mut publics = w.publics.clone();
                publics[2] += E::ONE;
                let err = forged(&case, case.verifier.inputs.public_values[2], &publics);
                assert!(err.contains("the bus does not balance"), "{err}");
            }

            #[test]
            fn a_malicious_prover_cannot_tamper_a_quotient_chunk() {
                let case = fibonacci(fri(1, 1, 0), 1 << 5);
                let w = witness(&case, &case.proof, &case.publics).unwrap();
                let err = forged(
                    &case,
                    case.verifier.inputs.quotient_chunks[0][0],
                    &w.publics,
                );
                assert!(err.contains("the bus does not balance"), "{err}");
            }
        }
    };
}

uni_stark_tests!(
    koala_bear,
    p3_koala_bear::KoalaBear,
    p3_koala_bear::Poseidon2KoalaBear<16>,
    p3_koala_bear::default_koalabear_poseidon2_16,
    koala_bear,
    fixpoint_circuit_prover::poseidon2::koala_bear::Table
);
uni_stark_tests!(
    baby_bear,
    p3_baby_bear::BabyBear,
    p3_baby_bear::Poseidon2BabyBear<16>,
    p3_baby_bear::default_babybear_poseidon2_16,
    baby_bear,
    fixpoint_circuit_prover::poseidon2::baby_bear::Table
);

/// A uni-stark proof of p3's own Poseidon2 AIR (KoalaBear: S-box x³, 4+4 full rounds, 20
/// partial), verified by the circuit, which is proved and verified.
#[test]
fn a_proof_of_p3_poseidon2_air_is_verified() {
    use p3_koala_bear::{
        GenericPoseidon2LinearLayersKoalaBear as Layers, KOALABEAR_POSEIDON2_RC_16_EXTERNAL_FINAL,
        KOALABEAR_POSEIDON2_RC_16_EXTERNAL_INITIAL, KOALABEAR_POSEIDON2_RC_16_INTERNAL,
        KoalaBear as V,
    };
    use p3_poseidon2_air::{Poseidon2Air, RoundConstants, generate_trace_rows};
    type E = p3_field::extension::BinomialExtensionField<V, 4>;
    type Air = Poseidon2Air<V, Layers, 16, 3, 0, 4, 20>;

    let fri = FriConfig {
        log_blowup: 2,
        log_final_poly_len: 0,
        max_log_arity: 2,
        num_queries: 3,
        batch_pow_bits: 0,
        commit_pow_bits: 0,
        query_pow_bits: 1,
        cap_height: 0,
    };
    let perm = p3_koala_bear::default_koalabear_poseidon2_16();
    let (params, mmcs) = uni_stark::native_pcs::<V, E, _>(&fri, &perm);
    let pcs = p3_fri::TwoAdicFriPcs::new(Default::default(), mmcs, params);
    let config =
        p3_uni_stark::StarkConfig::new(pcs, p3_challenger::DuplexChallenger::new(perm.clone()));

    let constants = RoundConstants::new(
        KOALABEAR_POSEIDON2_RC_16_EXTERNAL_INITIAL,
        KOALABEAR_POSEIDON2_RC_16_INTERNAL,
        KOALABEAR_POSEIDON2_RC_16_EXTERNAL_FINAL,
    );
    let air = Air::new(constants.clone());
    let inputs: Vec<[V; 16]> = (0..8u32)
        .map(|i| std::array::from_fn(|j| V::from_u32(16 * i + j as u32)))
        .collect();
    let trace = generate_trace_rows::<V, Layers, 16, 3, 0, 4, 20>(inputs, &constants, 0);
    let proof = p3_uni_stark::prove(&config, &air, trace, &[]).unwrap();
    p3_uni_stark::verify(&config, &air, &proof, &[]).expect("p3 accepts its own proof");

    let shape = UniStarkShape::new(&air, fri, 0, proof.degree_bits, None).unwrap();
    let mut b = CircuitBuilder::<E>::new();
    let (verifier, _) = uni_stark::verify_circuit(&mut b, &shape).unwrap();
    let circuit = b.build().unwrap();
    let w = UniStarkWitness::from_proof(&shape, &perm, &proof, &[]).unwrap();
    let mut runner = circuit.runner();
    fixpoint_circuit_prover::poseidon2::koala_bear::register_executors(&mut runner);
    w.fill(&verifier, &mut runner).unwrap();
    let traces = runner.run().unwrap();
    let config = ProverConfig::koala_bear(FriSettings::TEST);
    let (pk, vk) = setup_with(
        &circuit,
        &config,
        &SetupOptions::new().with_npos(&fixpoint_circuit_prover::poseidon2::koala_bear::Table::ALL),
    )
    .unwrap();
    verify(&vk, &w.publics, &prove(&pk, &traces).unwrap()).unwrap();
    // A tampered opened value is rejected by the verifier circuit.
    let mut tampered = w.clone();
    tampered.privates[4] += E::ONE;
    let mut runner = circuit.runner();
    fixpoint_circuit_prover::poseidon2::koala_bear::register_executors(&mut runner);
    tampered.fill(&verifier, &mut runner).unwrap();
    let err = runner.run().unwrap_err().to_string();
    assert!(err.contains("uni-stark/"), "{err}");
    insta::assert_snapshot!(
        "uni_stark_ops_poseidon2_air",
        ComponentCounts::of(&circuit.stats()).to_string()
    );
}
