//! End-to-end proving: honest executions verify, on both fields; a malicious prover that
//! builds traces by hand is rejected by `verify` (ARCHITECTURE §3, invariants 1–4 and 7).

/// Decoded keys and proofs: errors, never panics (it shares this binary's prover code).
#[path = "prover/keys.rs"]
mod keys;

use fixpoint_circuit::{Circuit, CircuitBuilder, Traces};
use fixpoint_circuit_prover::{
    BabyBearStark, CircuitStark, CostModel, FriSettings, KeyError, KoalaBearStark, LOOKUP_BUDGET,
    Lanes, Proof, ProverConfig, ProvingKey, Rejection, SetupOptions, VerifyError, VerifyingKey,
    prove, prove_with_report, setup, setup_with, verify,
};
use fixpoint_tests::{fibonacci, thirty_seven_x};
use p3_field::{Field, PrimeCharacteristicRing};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

fn run<F: fixpoint_circuit::CircuitField>(circuit: &Circuit<F>, publics: &[F]) -> Traces<F> {
    let mut runner = circuit.runner();
    runner.set_public_inputs(publics).unwrap();
    runner.run().unwrap()
}

fn keys<SC: CircuitStark>(circuit: &Circuit<SC::Challenge>) -> (ProvingKey<SC>, VerifyingKey<SC>) {
    setup(circuit, &SC::config(FriSettings::TEST)).unwrap()
}

/// The keys on a Witness-table bus, whose Witness trace the malicious cases below edit
/// (`tests/tests/virtual_bus.rs` has the virtual bus's).
fn witness_table_keys<SC: CircuitStark>(
    circuit: &Circuit<SC::Challenge>,
) -> (ProvingKey<SC>, VerifyingKey<SC>) {
    let options = SetupOptions::new().with_bus(fixpoint_circuit_prover::BusLayout::WitnessTable);
    setup_with(circuit, &SC::config(FriSettings::TEST), &options).unwrap()
}

/// Proves `circuit` on `publics` and checks the proof verifies; returns the pieces.
fn honest<SC: CircuitStark>(
    circuit: &Circuit<SC::Challenge>,
    publics: &[SC::Challenge],
) -> (ProvingKey<SC>, VerifyingKey<SC>, Proof<SC>) {
    let (pk, vk) = keys::<SC>(circuit);
    let proof = prove(&pk, &run(circuit, publics)).unwrap();
    verify(&vk, publics, &proof).unwrap();
    (pk, vk, proof)
}

fn fib_value<F: Field>(n: usize) -> F {
    let (mut a, mut b) = (F::ZERO, F::ONE);
    for _ in 0..n {
        (a, b) = (b, a + b);
    }
    a
}

fn honest_cases<SC: CircuitStark>() {
    type F<SC> = <SC as p3_uni_stark::StarkGenericConfig>::Challenge;
    honest::<SC>(&thirty_seven_x::<F<SC>>().unwrap(), &[F::<SC>::from_u32(3)]);
    for n in [1, 2, 10, 100, 1000] {
        let publics = [F::<SC>::ZERO, F::<SC>::ONE, fib_value(n)];
        honest::<SC>(&fibonacci::<F<SC>>(n).unwrap(), &publics);
    }
    // Many values asserted zero (all sharing the zero constant's slot).
    let mut b = CircuitBuilder::<F<SC>>::new();
    let mut publics = Vec::new();
    for i in 0..64u32 {
        let x = b.public_input();
        let s = b.public_input();
        let square = b.square(x);
        let diff = b.sub(square, s);
        let zero = b.zero();
        let diff_plus = b.add(diff, zero);
        b.assert_zero(diff_plus);
        let v = F::<SC>::from_u32(i + 2);
        publics.extend([v, v * v]);
    }
    honest::<SC>(&b.build().unwrap(), &publics);
    // The smallest circuit: one op.
    let mut b = CircuitBuilder::<F<SC>>::new();
    b.public_input();
    honest::<SC>(&b.build().unwrap(), &[F::<SC>::from_u32(7)]);
    // Genuine extension-field values through Mul and a division.
    let mut b = CircuitBuilder::<F<SC>>::new();
    let x = b.public_input();
    let y = b.public_input();
    let q = b.div(x, y);
    let out = b.public_input();
    b.connect(q, out);
    let (x, y) = (
        F::<SC>::GENERATOR,
        F::<SC>::GENERATOR.square() + F::<SC>::ONE,
    );
    honest::<SC>(&b.build().unwrap(), &[x, y, x / y]);
}

#[test]
fn honest_proofs_verify_koala_bear() {
    honest_cases::<KoalaBearStark>();
}

#[test]
fn honest_proofs_verify_baby_bear() {
    honest_cases::<BabyBearStark>();
}

#[test]
fn one_lane_and_automatic_lanes_both_verify() {
    type F = fixpoint_circuit_prover::KoalaBearExt;
    let circuit = fibonacci::<F>(200).unwrap();
    let publics = [F::ZERO, F::ONE, fib_value(200)];
    let config = ProverConfig::koala_bear(FriSettings::TEST);
    for lanes in [Lanes::uniform(1), Lanes::default(), Lanes::uniform(3)] {
        let (pk, vk) =
            setup_with(&circuit, &config, &SetupOptions::new().with_lanes(lanes)).unwrap();
        let proof = prove(&pk, &run(&circuit, &publics)).unwrap();
        verify(&vk, &publics, &proof).unwrap();
    }
}

/// The cost model that chooses the lanes counts every table's LogUp columns as p3 packs them
/// (two interactions per column at [`LOOKUP_BUDGET`] 3), for any lanes.
#[test]
fn the_cost_model_counts_the_lookup_columns_p3_commits() {
    type F = fixpoint_circuit_prover::KoalaBearExt;
    let circuit = fibonacci::<F>(200).unwrap();
    let publics = [F::ZERO, F::ONE, fib_value(200)];
    let config = ProverConfig::koala_bear(FriSettings::TEST);
    let model = CostModel::default();
    assert_eq!(LOOKUP_BUDGET, 3);
    for lanes in [
        Lanes::uniform(1),
        Lanes::uniform(2),
        Lanes::uniform(5),
        Lanes::default(),
    ] {
        let (pk, vk) =
            setup_with(&circuit, &config, &SetupOptions::new().with_lanes(lanes)).unwrap();
        let (proof, report) = prove_with_report(&pk, &run(&circuit, &publics)).unwrap();
        verify(&vk, &publics, &proof).unwrap();
        let proved = vk.layout.instances();
        let shapes = proved.iter().map(|&kind| vk.layout.table(kind));
        assert_eq!(report.tables.len(), proved.len(), "no NPO table here");
        for (shape, table) in shapes.zip(&report.tables) {
            assert_eq!(table.name, shape.kind.name());
            assert_eq!(
                table.bus_columns,
                model.bus_columns(shape.kind, shape.lanes),
                "{} with {} lanes",
                table.name,
                shape.lanes
            );
            assert_eq!(
                table.preprocessed_columns + table.main_columns + table.bus_columns,
                model.columns(shape.kind, shape.bus, shape.lanes)
            );
        }
    }
}

/// The malicious prover: honest keys, hand-edited traces.
fn malicious<SC: CircuitStark>(
    circuit: &Circuit<SC::Challenge>,
    publics: &[SC::Challenge],
    edit: impl FnOnce(&mut Traces<SC::Challenge>),
) -> Result<(), VerifyError> {
    let (pk, vk) = witness_table_keys::<SC>(circuit);
    let mut traces = run(circuit, publics);
    edit(&mut traces);
    // p3 proves whatever traces it is given: only the verifier judges them.
    let proof = prove(&pk, &traces).unwrap();
    verify(&vk, publics, &proof)
}

/// The verifier rejected, for the expected reason (the AIR's constraints or the bus).
fn assert_rejected(result: Result<(), VerifyError>, reason: Rejection) {
    match result {
        Ok(()) => panic!("a malicious proof was accepted (expected {reason:?})"),
        Err(VerifyError::Rejected { reason: got, .. }) => {
            assert_eq!(got, reason, "rejected, but not for {reason:?}")
        }
        Err(other) => panic!("rejected, but not by p3 for {reason:?}: {other}"),
    }
}

fn soundness_cases<SC: CircuitStark>() {
    type F<SC> = <SC as p3_uni_stark::StarkGenericConfig>::Challenge;
    let fib = fibonacci::<F<SC>>(20).unwrap();
    let fib_publics = [F::<SC>::ZERO, F::<SC>::ONE, fib_value(20)];
    let x37 = thirty_seven_x::<F<SC>>().unwrap();
    let x37_publics = [F::<SC>::from_u32(3)];

    // The harness itself is honest when it edits nothing.
    assert_eq!(malicious::<SC>(&fib, &fib_publics, |_| {}), Ok(()));

    // 1. An Add row whose values break out = a + b, with the Witness table changed to
    //    match so the bus still balances: the AIR constraint rejects it.
    let err = malicious::<SC>(&fib, &fib_publics, |t| {
        let row = &mut t.add.rows[5];
        row.out_val += F::<SC>::ONE;
        t.witness.values[row.out.index()] = row.out_val;
        // Every later port reading that slot must agree too, or the bus catches it first.
        let (slot, value) = (row.out, row.out_val);
        for r in &mut t.add.rows[6..] {
            if r.a == slot {
                r.a_val = value;
            }
            if r.b == slot {
                r.b_val = value;
            }
        }
    });
    assert_rejected(err, Rejection::OodEvaluation);
    // … and a Mul row (37 · 3 claimed to be 112, with 112 everywhere the slot is read).
    let err = malicious::<SC>(&x37, &x37_publics, |t| {
        let row = &mut t.mul.rows[0];
        row.b_val = F::<SC>::from_u32(4);
        t.witness.values[row.b.index()] = row.b_val;
    });
    assert_rejected(err, Rejection::OodEvaluation);

    // 2. A port whose value differs from the Witness table's: the bus does not balance.
    let err = malicious::<SC>(&fib, &fib_publics, |t| {
        t.add.rows[3].a_val += F::<SC>::ONE;
        let row = t.add.rows[3];
        t.add.rows[3].out_val = row.a_val + row.b_val;
    });
    assert_rejected(err, Rejection::LookupSum);
    let err = malicious::<SC>(&x37, &x37_publics, |t| {
        t.witness.values[0] += F::<SC>::ONE;
    });
    assert_rejected(err, Rejection::LookupSum);

    // 3. A proof made with another constant (same shape) fails against the original key.
    let (_, vk) = keys::<SC>(&x37);
    let mut b = CircuitBuilder::<F<SC>>::new();
    let x = b.public_input();
    let c74 = b.define_const(F::<SC>::from_u32(74));
    let c111 = b.define_const(F::<SC>::from_u32(111));
    let prod = b.mul(c74, x);
    b.assert_eq(prod, c111); // 74 · x = 111
    let other = b.build().unwrap();
    assert_eq!(other.ops.len(), x37.ops.len());
    let x = F::<SC>::from_u32(111) / F::<SC>::from_u32(74);
    let (_, other_vk, proof) = honest::<SC>(&other, &[x]);
    assert_eq!(
        other_vk.layout, vk.layout,
        "same shape, only the constant differs"
    );
    assert!(
        verify(&vk, &[x], &proof).is_err(),
        "a proof with another constant was accepted"
    );

    // 4. The right proof with other public inputs.
    let (_, vk, proof) = honest::<SC>(&fib, &fib_publics);
    let mut wrong = fib_publics;
    wrong[2] += F::<SC>::ONE;
    assert!(
        verify(&vk, &wrong, &proof).is_err(),
        "wrong public inputs were accepted"
    );
    assert!(verify(&vk, &fib_publics[..2], &proof).is_err());

    // 5. A proof of another circuit.
    let (_, other_vk, _) = honest::<SC>(
        &fibonacci::<F<SC>>(21).unwrap(),
        &[F::<SC>::ZERO, F::<SC>::ONE, fib_value(21)],
    );
    assert!(
        verify(&other_vk, &fib_publics, &proof).is_err(),
        "a proof of another circuit was accepted"
    );
}

#[test]
fn malicious_provers_are_rejected_koala_bear() {
    soundness_cases::<KoalaBearStark>();
}

#[test]
fn malicious_provers_are_rejected_baby_bear() {
    soundness_cases::<BabyBearStark>();
}

fn round_trip_and_mutations<SC: CircuitStark>()
where
    p3_batch_stark::config::Commitment<SC>: serde::Serialize + serde::de::DeserializeOwned,
{
    type F<SC> = <SC as p3_uni_stark::StarkGenericConfig>::Challenge;
    let circuit = fibonacci::<F<SC>>(30).unwrap();
    let publics = [F::<SC>::ZERO, F::<SC>::ONE, fib_value(30)];
    let (_, vk, proof) = honest::<SC>(&circuit, &publics);

    let vk_bytes = vk.to_bytes();
    let vk_back = VerifyingKey::<SC>::from_bytes(&vk_bytes).unwrap();
    assert_eq!(vk_back.hash(), vk.hash());
    let bytes = proof.to_bytes();
    let back = Proof::<SC>::from_bytes(&bytes).unwrap();
    assert_eq!(back.to_bytes(), bytes);
    verify(&vk_back, &publics, &back).unwrap();

    let mut rng = SmallRng::seed_from_u64(7);
    let mut decoded = 0;
    for _ in 0..1000 {
        let mut mutated = bytes.clone();
        for _ in 0..rng.random_range(1..4) {
            let i = rng.random_range(0..mutated.len());
            mutated[i] ^= 1 << rng.random_range(0..8);
        }
        if let Ok(proof) = Proof::<SC>::from_bytes(&mutated) {
            decoded += 1;
            assert!(
                verify(&vk, &publics, &proof).is_err(),
                "a mutated proof was accepted"
            );
        }
    }
    assert!(
        decoded > 100,
        "too few mutations decoded ({decoded}) to exercise the verifier"
    );
    assert!(VerifyingKey::<SC>::from_bytes(&vk_bytes[..vk_bytes.len() / 2]).is_err());
}

#[test]
fn keys_and_proofs_round_trip_and_mutated_bytes_are_rejected_without_panics_koala_bear() {
    round_trip_and_mutations::<KoalaBearStark>();
}

#[test]
fn keys_and_proofs_round_trip_and_mutated_bytes_are_rejected_without_panics_baby_bear() {
    round_trip_and_mutations::<BabyBearStark>();
}

#[test]
fn inconsistent_or_tampered_keys_are_errors_not_panics() {
    type F = fixpoint_circuit_prover::KoalaBearExt;
    let circuit = fibonacci::<F>(10).unwrap();
    let publics = [F::ZERO, F::ONE, fib_value(10)];
    let (_, vk, proof) = honest::<KoalaBearStark>(&circuit, &publics);

    let mut bad = vk.clone();
    bad.public_positions[0] = 7;
    assert!(matches!(
        verify(&bad, &publics, &proof),
        Err(fixpoint_circuit_prover::VerifyError::InvalidKey(_))
    ));

    let mut bad = vk.clone();
    bad.public_positions.pop();
    assert!(verify(&bad, &publics, &proof).is_err());

    // Another lane count: the tables (and so the bus and the commitment) no longer match.
    let mut bad = vk.clone();
    bad.layout.tables[3].lanes += 1;
    assert!(verify(&bad, &publics, &proof).is_err());

    // The Witness table, which a virtual bus does not prove, has one shape: any other is
    // refused before the proof is read.
    let mut bad = vk.clone();
    bad.layout.tables[0].log_height += 1;
    assert!(matches!(
        verify(&bad, &publics, &proof),
        Err(VerifyError::InvalidKey(KeyError::VirtualWitness {
            entries: 0,
            lanes: 1,
            log_height: 1
        }))
    ));
    let mut bad = vk.clone();
    bad.layout.tables[0].entries = 1;
    let err = verify(&bad, &publics, &proof).unwrap_err();
    let source = std::error::Error::source(&err).expect("the key's error");
    assert_eq!(
        source.to_string(),
        "the key's Witness table has 1 entries in 1 lane(s) of 2^0 rows \
         on a virtual bus, which proves no Witness table (expected none, 1 lane, 2^0 rows)"
    );

    verify(&vk, &publics, &proof).unwrap();
}

#[test]
fn settings_p3_cannot_prove_with_are_setup_errors() {
    use fixpoint_circuit_prover::{
        FriSettings, FriSettingsError, KoalaBearExt as E, ProverConfig, SetupError, setup,
    };
    let circuit = thirty_seven_x::<E>().unwrap();
    let bad = [
        (
            FriSettings {
                log_blowup: 0,
                ..FriSettings::TEST
            },
            FriSettingsError::NoBlowup,
        ),
        (
            FriSettings {
                max_log_arity: 0,
                ..FriSettings::TEST
            },
            FriSettingsError::NoFolding,
        ),
        (
            FriSettings {
                num_queries: 0,
                ..FriSettings::TEST
            },
            FriSettingsError::NoQueries,
        ),
        (
            FriSettings {
                query_pow_bits: 40,
                ..FriSettings::TEST
            },
            FriSettingsError::PowBits {
                query_pow_bits: 40,
                commit_pow_bits: FriSettings::TEST.commit_pow_bits,
            },
        ),
        (
            FriSettings {
                log_final_poly_len: 30,
                ..FriSettings::TEST
            },
            FriSettingsError::LdeTooTall {
                log_blowup: FriSettings::TEST.log_blowup,
                log_final_poly_len: 30,
            },
        ),
    ];
    for (settings, why) in bad {
        let err = setup(&circuit, &ProverConfig::koala_bear(settings))
            .map(|_| ())
            .unwrap_err();
        assert_eq!(err, SetupError::InvalidFriSettings(why), "{err}");
    }
}
