//! Verifier circuits of fixpoint's own proofs: one recursion layer. A circuit is proved by
//! `fixpoint-circuit-prover`, its proof verified inside a second circuit built from the
//! verifying key alone, and the second circuit proved and verified.

use fixpoint_circuit::{Circuit, CircuitBuilder, RunError, Traces};
use fixpoint_circuit_prover::poseidon2::Table;
use fixpoint_circuit_prover::{
    Ext, FieldFamily, FriSettings, ProverConfig, SetupOptions, Stark, prove, setup, setup_with,
    verify,
};
use fixpoint_recursion::batch_stark::{BatchStarkVerifier, KeyBinding};
use fixpoint_recursion::components::{Component, ComponentCells, ComponentCounts};
use fixpoint_recursion::fixpoint::{self, FixpointShape, FixpointWitness};
use fixpoint_tests::violates;
use p3_field::PrimeCharacteristicRing;

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

/// The verifier circuit of `vk`'s proofs, with the inner public inputs as its own.
fn verifier<V: FieldFamily, K: fixpoint::FixpointKey<V>>(
    vk: &K,
) -> (
    Circuit<Ext<V>>,
    BatchStarkVerifier,
    FixpointShape<V, Ext<V>>,
) {
    let shape = FixpointShape::new(vk, KeyBinding::Pinned).unwrap();
    let mut b = CircuitBuilder::<Ext<V>>::new();
    let publics = b.public_inputs(shape.public_count);
    let (verifier, _) = fixpoint::verify_circuit(&mut b, &shape, &publics).unwrap();
    (b.build().unwrap(), verifier, shape)
}

fn run<V: FieldFamily>(
    circuit: &Circuit<Ext<V>>,
    verifier: &BatchStarkVerifier,
    witness: &FixpointWitness<V>,
    publics: &[Ext<V>],
) -> Result<Traces<Ext<V>>, RunError<Ext<V>>> {
    let mut runner = circuit.runner();
    fixpoint_circuit_prover::poseidon2::register_executors(&mut runner);
    runner.set_public_inputs(publics)?;
    witness
        .fill(verifier, &mut runner)
        .expect("the witness fits the verifier circuit");
    runner.run()
}

fn prove_outer<V: FieldFamily>(
    circuit: &Circuit<Ext<V>>,
    traces: &Traces<Ext<V>>,
    publics: &[Ext<V>],
) -> Result<fixpoint_circuit_prover::report::ProofReport, Box<dyn std::error::Error>> {
    let config = ProverConfig::<Stark<V>>::new(SETTINGS);
    let (pk, vk) = setup_with(
        circuit,
        &config,
        &SetupOptions::new().with_npos(&Table::ALL),
    )?;
    let (proof, report) = fixpoint_circuit_prover::prove_with_report(&pk, traces)?;
    verify(&vk, publics, &proof)?;
    Ok(report)
}

/// Proves `inner` on `publics` with fixpoint's prover and checks the proof.
fn prove_inner<V: FieldFamily>(
    inner: &Circuit<Ext<V>>,
    publics: &[Ext<V>],
) -> (
    fixpoint_circuit_prover::VerifyingKey<Stark<V>>,
    fixpoint_circuit_prover::Proof<Stark<V>>,
) {
    let (pk, vk) = setup(inner, &ProverConfig::<Stark<V>>::new(SETTINGS)).unwrap();
    let mut runner = inner.runner();
    runner.set_public_inputs(publics).unwrap();
    let proof = prove(&pk, &runner.run().unwrap()).unwrap();
    verify(&vk, publics, &proof).unwrap();
    (vk, proof)
}

/// A random circuit of `ops` additions and multiplications over 4 public
/// inputs and the constants `constants..constants + 4`, every value kept alive.
fn random_circuit<V: FieldFamily>(ops: usize, seed: u64, constants: u32) -> Circuit<Ext<V>> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
    let mut b = CircuitBuilder::<Ext<V>>::new();
    let mut values = b.public_inputs(4);
    for c in 0..4 {
        values.push(b.define_const(Ext::<V>::from_u32(c + constants)));
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

fn a_proof_of_a_large_random_circuit_is_verified_in_a_circuit_that_proves<V: FieldFamily>() {
    let inner = random_circuit::<V>(3000, 7, 2);
    let publics: Vec<Ext<V>> = (1..=4).map(Ext::<V>::from_u32).collect();
    let (vk, proof) = prove_inner::<V>(&inner, &publics);

    let (circuit, verifier, shape) = verifier::<V, _>(&vk);
    let witness = FixpointWitness::from_proof(&shape, &V::permutation(), &proof, &publics).unwrap();
    let traces = run::<V>(&circuit, &verifier, &witness, &publics).unwrap();
    prove_outer::<V>(&circuit, &traces, &publics).unwrap();
    // A proof under another key of the same shape (other constants) is refused
    // by the pinned key: p3's own verifier rejects it too.
    let (_, other_proof) = prove_inner::<V>(&random_circuit::<V>(3000, 7, 3), &publics);
    let err = FixpointWitness::from_proof(&shape, &V::permutation(), &other_proof, &publics)
        .map(|_| ())
        .unwrap_err();
    assert!(
        matches!(
            err,
            fixpoint_recursion::fixpoint::FixpointError::Witness(
                fixpoint_recursion::uni_stark::WitnessError::Native(_)
            )
        ),
        "{err}"
    );
}

fn a_proof_of_37x_is_verified_in_a_circuit_that_proves<V: FieldFamily>() -> String {
    let inner = fixpoint_tests::thirty_seven_x::<Ext<V>>().unwrap();
    let publics = [Ext::<V>::from_u32(3)];
    let (vk, proof) = prove_inner::<V>(&inner, &publics);

    let (circuit, verifier, shape) = verifier::<V, _>(&vk);
    let witness = FixpointWitness::from_proof(&shape, &V::permutation(), &proof, &publics).unwrap();
    let traces = run::<V>(&circuit, &verifier, &witness, &publics).unwrap();
    let report = prove_outer::<V>(&circuit, &traces, &publics).unwrap();
    // Every cell of the proof is attributed once: to a component, or to the tables
    // without entries.
    let cells = ComponentCells::of(&circuit, &report);
    let attributed: f64 = cells.cells.values().sum();
    assert!(
        (attributed + cells.overhead as f64 - report.trace_area() as f64).abs() < 1e-3,
        "{cells}"
    );
    assert!(cells.cells[&Component::InputMerkle] > 0.0, "{cells}");
    assert!(cells.cells[&Component::CommitMerkle] > 0.0, "{cells}");
    assert!(cells.cells[&Component::IndexBits] > 0.0, "{cells}");
    assert!(cells.cells[&Component::Lookups] > 0.0, "{cells}");

    // Another statement: the outer circuit rejects it.
    let err = run::<V>(&circuit, &verifier, &witness, &[Ext::<V>::from_u32(4)]).unwrap_err();
    assert!(violates(&err, "batch-stark/"), "{err}");
    let counts = ComponentCounts::of(&circuit.stats()).to_string();

    // A tampered opened value or quotient chunk: p3 rejects the proof, and so
    // does the witness (it replays p3's FRI verifier).
    for tamper in 0..2 {
        let mut bad = fixpoint_circuit_prover::Proof::from_bytes(&proof.to_bytes()).unwrap();
        let opened = &mut bad.inner.opened_values.instances[3].base_opened_values;
        if tamper == 0 {
            opened.trace_local[0] += Ext::<V>::ONE;
        } else {
            opened.quotient_chunks[0][0] += Ext::<V>::ONE;
        }
        assert!(verify(&vk, &publics, &bad).is_err());
        let err = FixpointWitness::from_proof(&shape, &V::permutation(), &bad, &publics)
            .map(|_| ())
            .unwrap_err();
        assert!(
            matches!(
                err,
                fixpoint_recursion::fixpoint::FixpointError::Witness(
                    fixpoint_recursion::uni_stark::WitnessError::Native(_)
                )
            ),
            "{err}"
        );
    }
    counts
}

fn a_malicious_inner_prover_whose_bus_does_not_balance_fails_the_terminal_sum<V: FieldFamily>() {
    // The inner prover claims 37·4 = 111: x's slot is 4 in the Witness and
    // Public tables, while the Mul row still reads 3. Only the bus can tell.
    let inner = fixpoint_tests::thirty_seven_x::<Ext<V>>().unwrap();
    let config = ProverConfig::<Stark<V>>::new(SETTINGS);
    let (pk, vk) = setup(&inner, &config).unwrap();
    let mut runner = inner.runner();
    runner.set_public_inputs(&[Ext::<V>::from_u32(3)]).unwrap();
    let mut traces = runner.run().unwrap();
    let x = inner
        .ops
        .iter()
        .find_map(|op| match op {
            fixpoint_circuit::Op::Public { out, .. } => Some(*out),
            _ => None,
        })
        .unwrap();
    fixpoint_tests::forge_slot(&mut traces, x, Ext::<V>::ONE);
    let forged = [Ext::<V>::from_u32(4)];
    let proof = prove(&pk, &traces).unwrap();
    let err = verify(&vk, &forged, &proof).unwrap_err();
    assert_eq!(
        err.rejection(),
        Some(fixpoint_circuit_prover::Rejection::LookupSum),
        "{err}"
    );

    // Every opening checks out; the verifier circuit stops at the terminal sum.
    let (circuit, verifier, shape) = verifier::<V, _>(&vk);
    let witness = FixpointWitness::from_proof(&shape, &V::permutation(), &proof, &forged).unwrap();
    let err = run::<V>(&circuit, &verifier, &witness, &forged).unwrap_err();
    assert!(violates(&err, "batch-stark/terminal sum"), "{err}");
}

mod koala_bear {
    use fixpoint_circuit_prover::KoalaBear as V;

    #[test]
    fn a_proof_of_37x_is_verified_in_a_circuit_that_proves() {
        let counts = super::a_proof_of_37x_is_verified_in_a_circuit_that_proves::<V>();
        insta::assert_snapshot!("fixpoint_verifier_ops_koala_bear", counts);
    }

    #[test]
    fn a_proof_of_a_large_random_circuit_is_verified_in_a_circuit_that_proves() {
        super::a_proof_of_a_large_random_circuit_is_verified_in_a_circuit_that_proves::<V>();
    }

    #[test]
    fn a_malicious_inner_prover_whose_bus_does_not_balance_fails_the_terminal_sum() {
        super::a_malicious_inner_prover_whose_bus_does_not_balance_fails_the_terminal_sum::<V>();
    }
}

mod baby_bear {
    use fixpoint_circuit_prover::BabyBear as V;

    #[test]
    fn a_proof_of_37x_is_verified_in_a_circuit_that_proves() {
        let counts = super::a_proof_of_37x_is_verified_in_a_circuit_that_proves::<V>();
        insta::assert_snapshot!("fixpoint_verifier_ops_baby_bear", counts);
    }

    #[test]
    fn a_proof_of_a_large_random_circuit_is_verified_in_a_circuit_that_proves() {
        super::a_proof_of_a_large_random_circuit_is_verified_in_a_circuit_that_proves::<V>();
    }

    #[test]
    fn a_malicious_inner_prover_whose_bus_does_not_balance_fails_the_terminal_sum() {
        super::a_malicious_inner_prover_whose_bus_does_not_balance_fails_the_terminal_sum::<V>();
    }
}
