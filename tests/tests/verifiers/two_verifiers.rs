//! Two verifier circuits in one circuit: each verifier's private inputs are a group of its
//! own, so each is given its own proof's values, in any order, and neither needs to know
//! where the other's inputs sit.

use fixpoint_circuit::{Circuit, CircuitBuilder, RunError, Runner};
use fixpoint_circuit_prover::poseidon2::{Table, register_executors};
use fixpoint_circuit_prover::{
    FriSettings, KoalaBearStark, Proof, ProverConfig, SetupOptions, VerifyingKey, prove, setup,
    setup_with, verify,
};
use fixpoint_recursion::batch_stark::{BatchStarkVerifier, KeyBinding};
use fixpoint_recursion::fixpoint::{self, FixpointShape, FixpointWitness};
use p3_field::PrimeCharacteristicRing;
use p3_koala_bear::{KoalaBear as V, default_koalabear_poseidon2_16};

type E = p3_field::extension::BinomialExtensionField<V, 4>;

const SETTINGS: FriSettings = FriSettings {
    log_blowup: 1,
    num_queries: 3,
    query_pow_bits: 1,
    commit_pow_bits: 0,
    max_log_arity: 2,
    log_final_poly_len: 1,
    batch_pow_bits: 0,
    cap_height: 0,
};

/// Fibonacci's 10th term from `(a, b)`, proved: its key, the proof and the publics.
fn fibonacci_proof(
    inner: &Circuit<E>,
    a: u32,
    b: u32,
    term: u32,
) -> (VerifyingKey<KoalaBearStark>, Proof<KoalaBearStark>, Vec<E>) {
    let publics = vec![E::from_u32(a), E::from_u32(b), E::from_u32(term)];
    let (pk, vk) = setup(inner, &ProverConfig::koala_bear(SETTINGS)).unwrap();
    let mut runner = inner.runner();
    runner.set_public_inputs(&publics).unwrap();
    let proof = prove(&pk, &runner.run().unwrap()).unwrap();
    verify(&vk, &publics, &proof).unwrap();
    (vk, proof, publics)
}

/// One circuit verifying two proofs under `vk`, each statement its own public inputs.
fn two_verifiers(
    vk: &VerifyingKey<KoalaBearStark>,
) -> (Circuit<E>, FixpointShape<V, E>, [BatchStarkVerifier; 2]) {
    let shape = FixpointShape::new(vk, KeyBinding::Pinned).unwrap();
    let mut b = CircuitBuilder::<E>::new();
    let mut verifier = || {
        let publics = b.public_inputs(shape.public_count);
        fixpoint::verify_circuit(&mut b, &shape, &publics)
            .unwrap()
            .0
    };
    let verifiers = [verifier(), verifier()];
    (b.build().unwrap(), shape, verifiers)
}

fn runner_with_publics<'c>(circuit: &'c Circuit<E>, publics: &[&[E]]) -> Runner<'c, E> {
    let mut runner = circuit.runner();
    register_executors(&mut runner);
    runner.set_public_inputs(&publics.concat()).unwrap();
    runner
}

#[test]
fn two_verifiers_share_one_circuit_each_filled_from_its_own_proof() {
    let inner = fixpoint_tests::fibonacci::<E>(10).unwrap();
    let (vk, first, first_publics) = fibonacci_proof(&inner, 0, 1, 55);
    let (_, second, second_publics) = fibonacci_proof(&inner, 1, 1, 89);
    let (circuit, shape, [one, two]) = two_verifiers(&vk);

    // The groups are disjoint runs, in allocation order, and cover every private input.
    assert_eq!(one.privates.first, 0);
    assert_eq!(two.privates.first, one.privates.len);
    assert_eq!(
        (one.privates.len + two.privates.len) as usize,
        circuit.private_count()
    );

    let perm = default_koalabear_poseidon2_16();
    let first_witness = FixpointWitness::from_proof(&shape, &perm, &first, &first_publics).unwrap();
    let second_witness =
        FixpointWitness::from_proof(&shape, &perm, &second, &second_publics).unwrap();

    // Honest: each verifier gets its own proof, in either order.
    let all_publics = [first_publics.as_slice(), second_publics.as_slice()];
    let mut runner = runner_with_publics(&circuit, &all_publics);
    second_witness.fill(&two, &mut runner).unwrap();
    first_witness.fill(&one, &mut runner).unwrap();
    let traces = runner.run().unwrap();
    let config = ProverConfig::koala_bear(SETTINGS);
    let (pk, outer_vk) = setup_with(
        &circuit,
        &config,
        &SetupOptions::new().with_npos(&Table::ALL),
    )
    .unwrap();
    let proof = prove(&pk, &traces).unwrap();
    verify(&outer_vk, &all_publics.concat(), &proof).unwrap();

    // One verifier left unfilled: the runner names its first private input.
    let mut runner = runner_with_publics(&circuit, &all_publics);
    first_witness.fill(&one, &mut runner).unwrap();
    assert_eq!(
        runner.run().map(|_| ()),
        Err(RunError::PrivateInputNotSet {
            index: two.privates.first as usize
        })
    );

    // The proofs swapped between the verifiers: each verifier's transcript absorbs its own
    // statement, so the other proof's PoW witnesses and openings do not check.
    let mut runner = runner_with_publics(&circuit, &all_publics);
    second_witness.fill(&one, &mut runner).unwrap();
    first_witness.fill(&two, &mut runner).unwrap();
    let refused = runner.run().unwrap_err();
    assert!(
        matches!(&refused, RunError::WitnessConflict { scope, .. } if scope.starts_with("batch-stark/")),
        "{refused}"
    );
}
