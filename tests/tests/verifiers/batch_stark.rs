//! The batch-stark verifier circuit against p3-batch-stark itself: three AIRs on two LogUp
//! buses with preprocessed columns are proved natively and verified natively, then by the
//! circuit, which is proved and verified; bad proofs are rejected by the check that failed.

use fixpoint_circuit::{Circuit, CircuitBuilder, RunError, Traces};
use fixpoint_circuit_prover::BusLayout;
use fixpoint_circuit_prover::poseidon2::Table;
use fixpoint_circuit_prover::{
    Ext, FieldFamily, FriSettings, ProverConfig, SetupOptions, Stark, prove, setup_with, verify,
};
use fixpoint_recursion::batch_stark::{
    self, BatchPreprocessed, BatchStarkShape, BatchStarkVerifier, BatchStarkWitness,
};
use fixpoint_recursion::components::ComponentCounts;
use fixpoint_recursion::uni_stark::{self, WitnessError};
use fixpoint_tests::airs::{LookupAir, lookup_airs};
use fixpoint_tests::violates;
use p3_batch_stark::{ProverData, StarkInstance};
use p3_field::PrimeCharacteristicRing;

type Proof<V> = batch_stark::NativeProof<V, <V as FieldFamily>::Permutation>;
type Common<V> = batch_stark::NativeCommon<V, <V as FieldFamily>::Permutation>;

/// FRI and PoW parameters of one case.
#[derive(Clone, Copy)]
struct Params {
    fri: FriSettings,
    lookup_pow: usize,
    ood_pow: usize,
}

fn params(max_log_arity: usize, pow: usize) -> Params {
    Params {
        fri: FriSettings {
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

fn config<V: FieldFamily>(p: &Params) -> Stark<V> {
    let perm = V::permutation();
    let (fri, mmcs) = uni_stark::native_pcs::<V, Ext<V>, _>(&p.fri, &perm);
    let pcs = p3_fri::TwoAdicFriPcs::new(Default::default(), mmcs, fri);
    p3_uni_stark::StarkConfig::new(pcs, p3_challenger::DuplexChallenger::new(perm))
        .with_lookup_proof_of_work_bits(p.lookup_pow)
        .with_ood_proof_of_work_bits(p.ood_pow)
}

/// A batch proof, the shape and the circuit that verifies it.
struct Case<V: FieldFamily> {
    params: Params,
    airs: Vec<LookupAir>,
    common: Common<V>,
    proof: Proof<V>,
    publics: Vec<Vec<V>>,
    shape: BatchStarkShape<V, Ext<V>>,
    circuit: Circuit<Ext<V>>,
    verifier: BatchStarkVerifier,
}

fn prove_native<V: FieldFamily>(
    p: &Params,
    unbalance: bool,
    start: usize,
) -> (Vec<LookupAir>, Common<V>, Proof<V>, Vec<Vec<V>>) {
    prove_lookup_airs::<V>(p, 3, 4, start, unbalance)
}

/// Proves [`lookup_airs`] (tables of `2^log_table` rows, a reader of
/// `2^log_reads`) with p3-batch-stark.
fn prove_lookup_airs<V: FieldFamily>(
    p: &Params,
    log_table: usize,
    log_reads: usize,
    start: usize,
    unbalance: bool,
) -> (Vec<LookupAir>, Common<V>, Proof<V>, Vec<Vec<V>>) {
    let config = config::<V>(p);
    let (airs, traces, publics) = lookup_airs::<V>(log_table, log_reads, 11, start, unbalance);
    let instances: Vec<StarkInstance<'_, Stark<V>, LookupAir>> = airs
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

fn shape_of<V: FieldFamily>(
    p: &Params,
    airs: &[LookupAir],
    common: &Common<V>,
    proof: &Proof<V>,
) -> BatchStarkShape<V, Ext<V>> {
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

fn build<V: FieldFamily>(
    shape: &BatchStarkShape<V, Ext<V>>,
) -> (Circuit<Ext<V>>, BatchStarkVerifier) {
    let mut b = CircuitBuilder::<Ext<V>>::new();
    let publics = shape.public_inputs(&mut b);
    let (verifier, _) = batch_stark::verify_circuit(&mut b, shape, publics).unwrap();
    (b.build().unwrap(), verifier)
}

fn case<V: FieldFamily>(p: Params) -> Case<V> {
    let (airs, common, proof, publics) = prove_native::<V>(&p, false, 3);
    p3_batch_stark::verify_batch(&config::<V>(&p), &airs, &proof, &publics, &common)
        .expect("p3 accepts its own proof");
    let shape = shape_of::<V>(&p, &airs, &common, &proof);
    let (circuit, verifier) = build::<V>(&shape);
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

fn witness<V: FieldFamily>(
    case: &Case<V>,
    proof: &Proof<V>,
    publics: &[Vec<V>],
) -> Result<BatchStarkWitness<V, Ext<V>>, WitnessError> {
    BatchStarkWitness::from_proof(&case.shape, &V::permutation(), proof, publics)
}

fn publics_of<V: FieldFamily>(w: &BatchStarkWitness<V, Ext<V>>) -> Vec<Ext<V>> {
    w.public_values.iter().map(|&v| Ext::<V>::from(v)).collect()
}

fn run<V: FieldFamily>(
    case: &Case<V>,
    w: &BatchStarkWitness<V, Ext<V>>,
    publics: &[Ext<V>],
) -> Result<Traces<Ext<V>>, RunError<Ext<V>>> {
    let mut runner = case.circuit.runner();
    fixpoint_circuit_prover::poseidon2::register_executors(&mut runner);
    runner.set_public_inputs(publics)?;
    w.fill(&case.verifier, &mut runner)
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

fn p3_batch_proofs_are_accepted_and_the_verifier_proves<V: FieldFamily>() {
    for (name, p) in [
        ("arity 2, no PoW", params(1, 0)),
        ("arity 4, PoW 1", params(2, 1)),
    ] {
        let case = case::<V>(p);
        let w = witness::<V>(&case, &case.proof, &case.publics).unwrap();
        let publics = publics_of::<V>(&w);
        let traces = run::<V>(&case, &w, &publics).unwrap_or_else(|e| panic!("{name}: {e}"));
        prove_and_verify::<V>(&case, &traces, &publics).unwrap_or_else(|e| panic!("{name}: {e}"));
        // Another proof of the same shape runs on the same circuit.
        let (airs, common, proof, publics) = prove_native::<V>(&case.params, false, 5);
        let other = shape_of::<V>(&case.params, &airs, &common, &proof);
        assert_eq!(build::<V>(&other).0.id(), case.circuit.id());
        let w = witness::<V>(&case, &proof, &publics).unwrap();
        run::<V>(&case, &w, &publics_of::<V>(&w))
            .unwrap_or_else(|e| panic!("{name}, second proof: {e}"));
    }
}

fn the_circuit_transcript_is_the_native_verifiers<V: FieldFamily>() {
    let case = case::<V>(params(2, 1));
    let mut b = CircuitBuilder::<Ext<V>>::new();
    let publics = case.shape.public_inputs(&mut b);
    let (verifier, challenger) = batch_stark::verify_circuit(&mut b, &case.shape, publics).unwrap();
    let circuit = b.build().unwrap();
    let w = witness::<V>(&case, &case.proof, &case.publics).unwrap();
    let mut runner = circuit.runner();
    fixpoint_circuit_prover::poseidon2::register_executors(&mut runner);
    runner.set_public_inputs(&publics_of::<V>(&w)).unwrap();
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

fn op_counts_by_component<V: FieldFamily>() -> ComponentCounts {
    let case = case::<V>(params(1, 0));
    ComponentCounts::of(&case.circuit.stats())
}

fn a_wrong_public_value_is_rejected<V: FieldFamily>() {
    let case = case::<V>(params(1, 0));
    let mut publics = case.publics.clone();
    publics[2][0] += V::ONE;
    assert!(
        p3_batch_stark::verify_batch(
            &config::<V>(&case.params),
            &case.airs,
            &case.proof,
            &publics,
            &case.common
        )
        .is_err()
    );
    let w = witness::<V>(&case, &case.proof, &case.publics).unwrap();
    let mut forged = publics_of::<V>(&w);
    forged[0] += Ext::<V>::ONE;
    let err = run::<V>(&case, &w, &forged).unwrap_err();
    assert!(violates(&err, "batch-stark/"), "{err}");
}

fn a_tampered_opened_value_or_quotient_chunk_is_rejected<V: FieldFamily>() {
    let case = case::<V>(params(1, 0));
    let w = witness::<V>(&case, &case.proof, &case.publics).unwrap();
    let publics = publics_of::<V>(&w);
    for target in [
        case.verifier.inputs.instances[2].trace_local[0],
        case.verifier.inputs.instances[0].quotient_chunks[0][1],
        case.verifier.inputs.instances[1].permutation_next[3],
    ] {
        // The slot's index among the private inputs: find it by value.
        let mut traces_ok = run::<V>(&case, &w, &publics).unwrap();
        let slot = case.circuit.witness_of(target).unwrap();
        fixpoint_tests::forge_slot(&mut traces_ok, slot, Ext::<V>::ONE);
        let err = prove_and_verify_on::<V>(&case, &traces_ok, &publics, BusLayout::WitnessTable)
            .unwrap_err();
        assert_eq!(
            err.rejection(),
            Some(fixpoint_circuit_prover::Rejection::LookupSum),
            "{err}"
        );
    }
}

fn an_unbalanced_bus_fails_the_terminal_sum<V: FieldFamily>() {
    let p = params(1, 0);
    let honest = case::<V>(p);
    // A malicious inner prover: the ROM provides index 0 once more than it is read.
    let (airs, common, proof, publics) = prove_native::<V>(&p, true, 3);
    assert!(
        p3_batch_stark::verify_batch(&config::<V>(&p), &airs, &proof, &publics, &common).is_err()
    );
    // Same keys, same shape: the openings all check out, the terminals do not sum
    // to zero.
    let w = witness::<V>(&honest, &proof, &publics).unwrap();
    let err = run::<V>(&honest, &w, &publics_of::<V>(&w)).unwrap_err();
    assert!(violates(&err, "batch-stark/terminal sum"), "{err}");
}

fn a_proof_under_another_preprocessed_commitment_is_rejected<V: FieldFamily>() {
    let p = params(1, 0);
    let honest = case::<V>(p);
    let mut pinned = honest.shape.clone();
    // Another key: the ROM of a table one row taller has another commitment; pin
    // that commitment instead of the honest one.
    let (_, other_common, _, _) = prove_lookup_airs::<V>(&p, 4, 4, 3, false);
    let other = BatchPreprocessed::from_common(&other_common).unwrap().0;
    pinned.preprocessed.as_mut().unwrap().commitment = other.commitment;
    let (circuit, verifier) = build::<V>(&pinned);
    assert_ne!(circuit.id(), honest.circuit.id());
    let w = witness::<V>(&honest, &honest.proof, &honest.publics).unwrap();
    let case = Case {
        circuit,
        verifier,
        ..honest
    };
    let err = run::<V>(&case, &w, &publics_of::<V>(&w)).unwrap_err();
    assert!(violates(&err, "batch-stark/"), "{err}");
}

fn a_proof_of_another_shape_is_a_typed_error<V: FieldFamily>() {
    let case = case::<V>(params(1, 0));
    let err = witness::<V>(&case, &case.proof, &case.publics[..2])
        .map(|_| ())
        .unwrap_err();
    assert!(matches!(err, WitnessError::Shape(_)), "{err}");
    let other = case_with_reads::<V>(params(1, 0), 5);
    let err = witness::<V>(&case, &other.proof, &other.publics)
        .map(|_| ())
        .unwrap_err();
    assert!(matches!(err, WitnessError::Shape(_)), "{err}");
}

/// A case whose reader has `2^log_reads` rows.
fn case_with_reads<V: FieldFamily>(p: Params, log_reads: usize) -> Case<V> {
    let (airs, common, proof, publics) = prove_lookup_airs::<V>(&p, 3, log_reads, 3, false);
    let shape = shape_of::<V>(&p, &airs, &common, &proof);
    let (circuit, verifier) = build::<V>(&shape);
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

mod koala_bear {
    use fixpoint_circuit_prover::KoalaBear as V;

    #[test]
    fn op_counts_by_component() {
        let counts = super::op_counts_by_component::<V>();
        insta::assert_snapshot!("batch_stark_ops_koala_bear", counts.to_string());
    }

    #[test]
    fn p3_batch_proofs_are_accepted_and_the_verifier_proves() {
        super::p3_batch_proofs_are_accepted_and_the_verifier_proves::<V>();
    }

    #[test]
    fn the_circuit_transcript_is_the_native_verifiers() {
        super::the_circuit_transcript_is_the_native_verifiers::<V>();
    }

    #[test]
    fn a_wrong_public_value_is_rejected() {
        super::a_wrong_public_value_is_rejected::<V>();
    }

    #[test]
    fn a_tampered_opened_value_or_quotient_chunk_is_rejected() {
        super::a_tampered_opened_value_or_quotient_chunk_is_rejected::<V>();
    }

    #[test]
    fn an_unbalanced_bus_fails_the_terminal_sum() {
        super::an_unbalanced_bus_fails_the_terminal_sum::<V>();
    }

    #[test]
    fn a_proof_under_another_preprocessed_commitment_is_rejected() {
        super::a_proof_under_another_preprocessed_commitment_is_rejected::<V>();
    }

    #[test]
    fn a_proof_of_another_shape_is_a_typed_error() {
        super::a_proof_of_another_shape_is_a_typed_error::<V>();
    }
}

mod baby_bear {
    use fixpoint_circuit_prover::BabyBear as V;

    #[test]
    fn op_counts_by_component() {
        let counts = super::op_counts_by_component::<V>();
        insta::assert_snapshot!("batch_stark_ops_baby_bear", counts.to_string());
    }

    #[test]
    fn p3_batch_proofs_are_accepted_and_the_verifier_proves() {
        super::p3_batch_proofs_are_accepted_and_the_verifier_proves::<V>();
    }

    #[test]
    fn the_circuit_transcript_is_the_native_verifiers() {
        super::the_circuit_transcript_is_the_native_verifiers::<V>();
    }

    #[test]
    fn a_wrong_public_value_is_rejected() {
        super::a_wrong_public_value_is_rejected::<V>();
    }

    #[test]
    fn a_tampered_opened_value_or_quotient_chunk_is_rejected() {
        super::a_tampered_opened_value_or_quotient_chunk_is_rejected::<V>();
    }

    #[test]
    fn an_unbalanced_bus_fails_the_terminal_sum() {
        super::an_unbalanced_bus_fails_the_terminal_sum::<V>();
    }

    #[test]
    fn a_proof_under_another_preprocessed_commitment_is_rejected() {
        super::a_proof_under_another_preprocessed_commitment_is_rejected::<V>();
    }

    #[test]
    fn a_proof_of_another_shape_is_a_typed_error() {
        super::a_proof_of_another_shape_is_a_typed_error::<V>();
    }
}
