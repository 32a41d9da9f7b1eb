//! The uni-stark verifier circuit against p3-uni-stark itself: proofs of AIRs written here
//! (public values and transitions, preprocessed columns, periodic columns) are verified
//! natively, then by the circuit, which is proved and verified; tampered proofs are
//! rejected by the check that failed.

use fixpoint_circuit::{Circuit, CircuitBuilder, RunError, Traces};
use fixpoint_circuit_prover::BusLayout;
use fixpoint_circuit_prover::poseidon2::Table;
use fixpoint_circuit_prover::{
    Ext, FieldFamily, FriSettings, ProverConfig, SetupOptions, Stark, prove, setup_with, verify,
};
use fixpoint_recursion::components::ComponentCounts;
use fixpoint_recursion::uni_stark::{
    self, PreprocessedKey, UniStarkShape, UniStarkVerifier, UniStarkWitness, WitnessError,
};
use fixpoint_tests::airs::{Fibonacci, fibonacci_trace, periodic_air, preprocessed_air};
use fixpoint_tests::violates;
use p3_field::PrimeCharacteristicRing;

type Proof<V> = uni_stark::NativeProof<V, <V as FieldFamily>::Permutation>;

fn config<V: FieldFamily>(fri: &FriSettings) -> Stark<V> {
    config_with_ood_pow::<V>(fri, 0)
}

fn config_with_ood_pow<V: FieldFamily>(fri: &FriSettings, ood_pow_bits: usize) -> Stark<V> {
    let perm = V::permutation();
    let (params, mmcs) = uni_stark::native_pcs::<V, Ext<V>, _>(fri, &perm);
    let pcs = p3_fri::TwoAdicFriPcs::new(Default::default(), mmcs, params);
    p3_uni_stark::StarkConfig::new(pcs, p3_challenger::DuplexChallenger::new(perm))
        .with_ood_proof_of_work_bits(ood_pow_bits)
}

fn fri(log_blowup: usize, max_log_arity: usize, log_final_poly_len: usize) -> FriSettings {
    FriSettings {
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
struct Case<V: FieldFamily> {
    shape: UniStarkShape<V, Ext<V>>,
    proof: Proof<V>,
    publics: Vec<V>,
    circuit: Circuit<Ext<V>>,
    verifier: UniStarkVerifier,
}

fn build<V: FieldFamily>(shape: &UniStarkShape<V, Ext<V>>) -> (Circuit<Ext<V>>, UniStarkVerifier) {
    let mut b = CircuitBuilder::<Ext<V>>::new();
    let (verifier, _) = uni_stark::verify_circuit(&mut b, shape).unwrap();
    (b.build().unwrap(), verifier)
}

fn fibonacci<V: FieldFamily>(fri: FriSettings, rows: usize) -> Case<V> {
    fibonacci_with_ood_pow::<V>(fri, rows, 0)
}

fn fibonacci_with_ood_pow<V: FieldFamily>(
    fri: FriSettings,
    rows: usize,
    ood_pow_bits: usize,
) -> Case<V> {
    let config = config_with_ood_pow::<V>(&fri, ood_pow_bits);
    let (trace, publics) = fibonacci_trace::<V>(rows);
    let proof = p3_uni_stark::prove(&config, &Fibonacci::STANDARD, trace, &publics).unwrap();
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
    let (circuit, verifier) = build::<V>(&shape);
    Case {
        shape,
        proof,
        publics,
        circuit,
        verifier,
    }
}

fn preprocessed<V: FieldFamily>(fri: FriSettings, rows: usize) -> Case<V> {
    let config = config::<V>(&fri);
    let (air, trace) = preprocessed_air::<V>(rows, 0);
    let log_rows = rows.trailing_zeros() as usize;
    let (prep_pk, prep_vk) = p3_uni_stark::setup_preprocessed(&config, &air, log_rows)
        .unwrap()
        .unwrap();
    let proof =
        p3_uni_stark::prove_with_preprocessed(&config, &air, trace, &[], Some(&prep_pk)).unwrap();
    p3_uni_stark::verify_with_preprocessed(&config, &air, &proof, &[], Some(&prep_vk))
        .expect("p3 accepts its own proof");
    let key = PreprocessedKey {
        commitment: prep_vk.commitment.clone(),
        width: prep_vk.width,
    };
    let shape = UniStarkShape::new(&air, fri, 0, proof.degree_bits, Some(key)).unwrap();
    let (circuit, verifier) = build::<V>(&shape);
    Case {
        shape,
        proof,
        publics: Vec::new(),
        circuit,
        verifier,
    }
}

fn periodic<V: FieldFamily>(fri: FriSettings, rows: usize) -> Case<V> {
    let config = config::<V>(&fri);
    let (air, trace) = periodic_air::<V>(rows);
    let proof = p3_uni_stark::prove(&config, &air, trace, &[]).unwrap();
    p3_uni_stark::verify(&config, &air, &proof, &[]).expect("p3 accepts its own proof");
    let shape = UniStarkShape::new(&air, fri, 0, proof.degree_bits, None).unwrap();
    let (circuit, verifier) = build::<V>(&shape);
    Case {
        shape,
        proof,
        publics: Vec::new(),
        circuit,
        verifier,
    }
}

fn witness<V: FieldFamily>(
    case: &Case<V>,
    proof: &Proof<V>,
    publics: &[V],
) -> Result<UniStarkWitness<V, Ext<V>>, WitnessError> {
    UniStarkWitness::from_proof(&case.shape, &V::permutation(), proof, publics)
}

fn run<V: FieldFamily>(
    case: &Case<V>,
    witness: &UniStarkWitness<V, Ext<V>>,
) -> Result<Traces<Ext<V>>, RunError<Ext<V>>> {
    let mut runner = case.circuit.runner();
    fixpoint_circuit_prover::poseidon2::register_executors(&mut runner);
    witness
        .fill(&case.verifier, &mut runner)
        .expect("the witness fits the verifier circuit");
    runner.run()
}

fn prove_and_verify<V: FieldFamily>(
    case: &Case<V>,
    traces: &Traces<Ext<V>>,
    publics: &[Ext<V>],
) -> Result<(), fixpoint_circuit_prover::VerifyError> {
    prove_and_verify_on::<V>(case, traces, publics, BusLayout::default())
}

/// [`prove_and_verify`] on a `bus` bus: a forgery of the Witness table
/// ([`fixpoint_tests::forge_slot`]) needs a Witness-table bus.
fn prove_and_verify_on<V: FieldFamily>(
    case: &Case<V>,
    traces: &Traces<Ext<V>>,
    publics: &[Ext<V>],
    bus: BusLayout,
) -> Result<(), fixpoint_circuit_prover::VerifyError> {
    let config = ProverConfig::<Stark<V>>::new(FriSettings::TEST);
    let options = SetupOptions::new().with_npos(&Table::ALL).with_bus(bus);
    let (pk, vk) = setup_with(&case.circuit, &config, &options).unwrap();
    // p3 proves whatever traces it is given: only the verifier judges them.
    let proof = prove(&pk, traces).unwrap();
    verify(&vk, publics, &proof)
}

fn cases<V: FieldFamily>() -> Vec<(&'static str, Case<V>)> {
    vec![
        ("fibonacci, arity 2", fibonacci::<V>(fri(1, 1, 0), 1 << 5)),
        (
            "fibonacci, OOD PoW 2",
            fibonacci_with_ood_pow::<V>(fri(1, 1, 0), 1 << 5, 2),
        ),
        (
            "fibonacci, arity 4, final poly 4",
            fibonacci::<V>(fri(2, 2, 2), 1 << 6),
        ),
        ("preprocessed", preprocessed::<V>(fri(2, 1, 0), 1 << 4)),
        ("periodic", periodic::<V>(fri(3, 2, 1), 1 << 4)),
    ]
}

fn p3_proofs_are_accepted_and_the_verifier_proves<V: FieldFamily>() {
    for (name, case) in cases::<V>() {
        let w = witness::<V>(&case, &case.proof, &case.publics).unwrap();
        let traces = run::<V>(&case, &w).unwrap_or_else(|e| panic!("{name}: {e}"));
        prove_and_verify::<V>(&case, &traces, &w.publics).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

fn the_circuit_transcript_is_the_native_verifiers<V: FieldFamily>() {
    for (name, case) in cases::<V>() {
        let mut b = CircuitBuilder::<Ext<V>>::new();
        let (verifier, challenger) = uni_stark::verify_circuit(&mut b, &case.shape).unwrap();
        let circuit = b.build().unwrap();
        let w = witness::<V>(&case, &case.proof, &case.publics).unwrap();
        let mut runner = circuit.runner();
        fixpoint_circuit_prover::poseidon2::register_executors(&mut runner);
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

fn two_proofs_of_one_shape_give_one_circuit<V: FieldFamily>() {
    let a = fibonacci::<V>(fri(1, 1, 0), 1 << 5);
    let b = fibonacci::<V>(fri(1, 1, 0), 1 << 5);
    assert_eq!(a.circuit.id(), b.circuit.id());
    // A different FRI shape is a different circuit.
    let c = fibonacci::<V>(fri(1, 2, 0), 1 << 5);
    assert_ne!(a.circuit.id(), c.circuit.id());
}

fn a_wrong_public_value_is_rejected<V: FieldFamily>() {
    let case = fibonacci::<V>(fri(1, 1, 0), 1 << 5);
    let mut publics = case.publics.clone();
    publics[2] += V::ONE;
    // Natively too.
    assert!(
        p3_uni_stark::verify(
            &config::<V>(&case.shape.fri),
            &Fibonacci::STANDARD,
            &case.proof,
            &publics
        )
        .is_err()
    );
    // The transcript moves with the public value, so p3's FRI verifier (which
    // the witness replays) already fails: fill with the honest witness and
    // swap the public input instead.
    let mut w = witness::<V>(&case, &case.proof, &case.publics).unwrap();
    w.publics[2] += Ext::<V>::ONE;
    let err = run::<V>(&case, &w).unwrap_err();
    assert!(violates(&err, "uni-stark"), "{err}");
}

/// The position of the first quotient coordinate among the private inputs: after
/// the two caps (2 slots each) and the trace and preprocessed openings.
fn quotient_position<V: FieldFamily>(case: &Case<V>) -> usize {
    let c = &case.shape.constraints;
    let (main, prep) = (c.layout.main_width, c.layout.preprocessed_width);
    4 + main * (1 + c.main_next as usize) + prep * (1 + c.preprocessed_next as usize)
}

fn a_tampered_opened_value_or_quotient_chunk_is_rejected_on_every_source<V: FieldFamily>() {
    for (name, case) in cases::<V>() {
        let honest = witness::<V>(&case, &case.proof, &case.publics).unwrap();
        let opened = &case.proof.opened_values;
        assert_eq!(honest.privates[4], opened.trace_local[0]);
        assert_eq!(
            honest.privates[quotient_position::<V>(&case)],
            opened.quotient_chunks[0][0]
        );
        for position in [4, quotient_position::<V>(&case)] {
            let mut w = witness::<V>(&case, &case.proof, &case.publics).unwrap();
            w.privates[position] += Ext::<V>::ONE;
            let err = run::<V>(&case, &w).unwrap_err();
            assert!(violates(&err, "uni-stark/"), "{name}: {err}");
        }
    }
}

fn a_tampered_quotient_chunk_in_the_proof_is_refused_with_p3<V: FieldFamily>() {
    for (name, mut case) in cases::<V>() {
        case.proof.opened_values.quotient_chunks[0][0] += Ext::<V>::ONE;
        let err = witness::<V>(&case, &case.proof, &case.publics)
            .map(|_| ())
            .unwrap_err();
        assert!(matches!(err, WitnessError::Native(_)), "{name}: {err}");
    }
    // p3 itself rejects it.
    let mut case = fibonacci::<V>(fri(1, 1, 0), 1 << 5);
    case.proof.opened_values.quotient_chunks[0][0] += Ext::<V>::ONE;
    let config = config::<V>(&case.shape.fri);
    assert!(
        p3_uni_stark::verify(&config, &Fibonacci::STANDARD, &case.proof, &case.publics).is_err()
    );
}

fn a_proof_of_another_shape_is_a_typed_error<V: FieldFamily>() {
    let case = fibonacci::<V>(fri(1, 1, 0), 1 << 5);
    let other = fibonacci::<V>(fri(1, 1, 0), 1 << 6);
    let err = witness::<V>(&case, &other.proof, &other.publics)
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
    let err = witness::<V>(&case, &case.proof, &case.publics[..2])
        .map(|_| ())
        .unwrap_err();
    assert!(matches!(err, WitnessError::Shape(_)), "{err}");
}

fn op_counts_by_component<V: FieldFamily>() -> Vec<(&'static str, ComponentCounts)> {
    cases::<V>()
        .into_iter()
        .map(|(name, case)| (name, ComponentCounts::of(&case.circuit.stats())))
        .collect()
}

/// Fibonacci with `y' = 2x + y`: the same shape, other constants.
fn other_constants<V: FieldFamily>(fri: FriSettings, rows: usize) -> Case<V> {
    let air = Fibonacci { k: 2 };
    let shape = UniStarkShape::new(&air, fri, 0, rows.trailing_zeros() as usize, None).unwrap();
    let (circuit, verifier) = build::<V>(&shape);
    let (_, publics) = fibonacci_trace::<V>(rows);
    let proof = fibonacci::<V>(fri, rows).proof;
    Case {
        shape,
        proof,
        publics,
        circuit,
        verifier,
    }
}

fn a_proof_under_other_constants_fails_the_quotient_identity<V: FieldFamily>() {
    let honest = fibonacci::<V>(fri(1, 1, 0), 1 << 5);
    let other = other_constants::<V>(fri(1, 1, 0), 1 << 5);
    assert_ne!(honest.circuit.id(), other.circuit.id());
    // Same shape, same transcript: every opening checks out, only the
    // constraints at ζ do not.
    let w = witness::<V>(&honest, &honest.proof, &honest.publics).unwrap();
    let err = run::<V>(&other, &w).unwrap_err();
    assert!(
        violates(&err, "uni-stark/constraints at ζ/quotient identity"),
        "{err}"
    );
}

fn a_proof_under_another_preprocessed_key_is_rejected<V: FieldFamily>() {
    let case = preprocessed::<V>(fri(2, 1, 0), 1 << 4);
    let config = config::<V>(&case.shape.fri);
    let (air, trace) = preprocessed_air::<V>(1 << 4, 1);
    let (prep_pk, prep_vk) = p3_uni_stark::setup_preprocessed(&config, &air, 4)
        .unwrap()
        .unwrap();
    assert_ne!(
        prep_vk.commitment,
        case.shape.preprocessed.as_ref().unwrap().commitment
    );
    let proof =
        p3_uni_stark::prove_with_preprocessed(&config, &air, trace, &[], Some(&prep_pk)).unwrap();
    // The witness of the pinned key cannot be made from it: p3 rejects it too.
    let err = witness::<V>(&case, &proof, &[]).map(|_| ()).unwrap_err();
    assert!(matches!(err, WitnessError::Native(_)), "{err}");
    // Its own key's witness does not run on the pinned key's circuit.
    let key = PreprocessedKey {
        commitment: prep_vk.commitment.clone(),
        width: 2,
    };
    let own = UniStarkShape::new(&air, case.shape.fri, 0, 4, Some(key)).unwrap();
    let w = UniStarkWitness::from_proof(&own, &V::permutation(), &proof, &[]).unwrap();
    let err = run::<V>(&case, &w).unwrap_err();
    assert!(violates(&err, "uni-stark/pcs"), "{err}");
}

/// Proves `traces` of `case`'s circuit after adding 1 to `target`'s slot in
/// the Witness and Public tables, then verifies against `publics`.
fn forged<V: FieldFamily>(
    case: &Case<V>,
    target: fixpoint_circuit::Target,
    publics: &[Ext<V>],
) -> fixpoint_circuit_prover::VerifyError {
    let w = witness::<V>(case, &case.proof, &case.publics).unwrap();
    let mut traces = run::<V>(case, &w).unwrap();
    let slot = case.circuit.witness_of(target).unwrap();
    fixpoint_tests::forge_slot(&mut traces, slot, Ext::<V>::ONE);
    prove_and_verify_on::<V>(case, &traces, publics, BusLayout::WitnessTable).unwrap_err()
}

fn a_malicious_prover_cannot_claim_another_public_value<V: FieldFamily>() {
    let case = fibonacci::<V>(fri(1, 1, 0), 1 << 5);
    let w = witness::<V>(&case, &case.proof, &case.publics).unwrap();
    let mut publics = w.publics.clone();
    publics[2] += Ext::<V>::ONE;
    let err = forged::<V>(&case, case.verifier.inputs.public_values[2], &publics);
    assert_eq!(
        err.rejection(),
        Some(fixpoint_circuit_prover::Rejection::LookupSum),
        "{err}"
    );
}

fn a_malicious_prover_cannot_tamper_a_quotient_chunk<V: FieldFamily>() {
    let case = fibonacci::<V>(fri(1, 1, 0), 1 << 5);
    let w = witness::<V>(&case, &case.proof, &case.publics).unwrap();
    let err = forged::<V>(
        &case,
        case.verifier.inputs.quotient_chunks[0][0],
        &w.publics,
    );
    assert_eq!(
        err.rejection(),
        Some(fixpoint_circuit_prover::Rejection::LookupSum),
        "{err}"
    );
}

mod koala_bear {
    use fixpoint_circuit_prover::KoalaBear as V;

    #[test]
    fn op_counts_by_component() {
        for (name, counts) in super::op_counts_by_component::<V>() {
            insta::assert_snapshot!(
                format!("uni_stark_ops_koala_bear_{}", name.replace([',', ' '], "_")),
                counts.to_string()
            );
        }
    }

    #[test]
    fn p3_proofs_are_accepted_and_the_verifier_proves() {
        super::p3_proofs_are_accepted_and_the_verifier_proves::<V>();
    }

    #[test]
    fn the_circuit_transcript_is_the_native_verifiers() {
        super::the_circuit_transcript_is_the_native_verifiers::<V>();
    }

    #[test]
    fn two_proofs_of_one_shape_give_one_circuit() {
        super::two_proofs_of_one_shape_give_one_circuit::<V>();
    }

    #[test]
    fn a_wrong_public_value_is_rejected() {
        super::a_wrong_public_value_is_rejected::<V>();
    }

    #[test]
    fn a_tampered_opened_value_or_quotient_chunk_is_rejected_on_every_source() {
        super::a_tampered_opened_value_or_quotient_chunk_is_rejected_on_every_source::<V>();
    }

    #[test]
    fn a_tampered_quotient_chunk_in_the_proof_is_refused_with_p3() {
        super::a_tampered_quotient_chunk_in_the_proof_is_refused_with_p3::<V>();
    }

    #[test]
    fn a_proof_of_another_shape_is_a_typed_error() {
        super::a_proof_of_another_shape_is_a_typed_error::<V>();
    }

    #[test]
    fn a_proof_under_other_constants_fails_the_quotient_identity() {
        super::a_proof_under_other_constants_fails_the_quotient_identity::<V>();
    }

    #[test]
    fn a_proof_under_another_preprocessed_key_is_rejected() {
        super::a_proof_under_another_preprocessed_key_is_rejected::<V>();
    }

    #[test]
    fn a_malicious_prover_cannot_claim_another_public_value() {
        super::a_malicious_prover_cannot_claim_another_public_value::<V>();
    }

    #[test]
    fn a_malicious_prover_cannot_tamper_a_quotient_chunk() {
        super::a_malicious_prover_cannot_tamper_a_quotient_chunk::<V>();
    }
}

mod baby_bear {
    use fixpoint_circuit_prover::BabyBear as V;

    #[test]
    fn op_counts_by_component() {
        for (name, counts) in super::op_counts_by_component::<V>() {
            insta::assert_snapshot!(
                format!("uni_stark_ops_baby_bear_{}", name.replace([',', ' '], "_")),
                counts.to_string()
            );
        }
    }

    #[test]
    fn p3_proofs_are_accepted_and_the_verifier_proves() {
        super::p3_proofs_are_accepted_and_the_verifier_proves::<V>();
    }

    #[test]
    fn the_circuit_transcript_is_the_native_verifiers() {
        super::the_circuit_transcript_is_the_native_verifiers::<V>();
    }

    #[test]
    fn two_proofs_of_one_shape_give_one_circuit() {
        super::two_proofs_of_one_shape_give_one_circuit::<V>();
    }

    #[test]
    fn a_wrong_public_value_is_rejected() {
        super::a_wrong_public_value_is_rejected::<V>();
    }

    #[test]
    fn a_tampered_opened_value_or_quotient_chunk_is_rejected_on_every_source() {
        super::a_tampered_opened_value_or_quotient_chunk_is_rejected_on_every_source::<V>();
    }

    #[test]
    fn a_tampered_quotient_chunk_in_the_proof_is_refused_with_p3() {
        super::a_tampered_quotient_chunk_in_the_proof_is_refused_with_p3::<V>();
    }

    #[test]
    fn a_proof_of_another_shape_is_a_typed_error() {
        super::a_proof_of_another_shape_is_a_typed_error::<V>();
    }

    #[test]
    fn a_proof_under_other_constants_fails_the_quotient_identity() {
        super::a_proof_under_other_constants_fails_the_quotient_identity::<V>();
    }

    #[test]
    fn a_proof_under_another_preprocessed_key_is_rejected() {
        super::a_proof_under_another_preprocessed_key_is_rejected::<V>();
    }

    #[test]
    fn a_malicious_prover_cannot_claim_another_public_value() {
        super::a_malicious_prover_cannot_claim_another_public_value::<V>();
    }

    #[test]
    fn a_malicious_prover_cannot_tamper_a_quotient_chunk() {
        super::a_malicious_prover_cannot_tamper_a_quotient_chunk::<V>();
    }
}

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

    let fri = FriSettings {
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
    fixpoint_circuit_prover::poseidon2::register_executors(&mut runner);
    w.fill(&verifier, &mut runner).unwrap();
    let traces = runner.run().unwrap();
    let config = ProverConfig::koala_bear(FriSettings::TEST);
    let options = SetupOptions::new().with_npos(&fixpoint_circuit_prover::poseidon2::Table::ALL);
    let (pk, vk) = setup_with(&circuit, &config, &options).unwrap();
    verify(&vk, &w.publics, &prove(&pk, &traces).unwrap()).unwrap();
    // A tampered opened value is rejected by the verifier circuit.
    let mut tampered = w.clone();
    tampered.privates[4] += E::ONE;
    let mut runner = circuit.runner();
    fixpoint_circuit_prover::poseidon2::register_executors(&mut runner);
    tampered.fill(&verifier, &mut runner).unwrap();
    let err = runner.run().unwrap_err();
    assert!(violates(&err, "uni-stark/"), "{err}");
    insta::assert_snapshot!(
        "uni_stark_ops_poseidon2_air",
        ComponentCounts::of(&circuit.stats()).to_string()
    );
}
