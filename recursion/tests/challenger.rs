//! The in-circuit challenger against p3's `DuplexChallenger`: random scripts of observe,
//! observe-const, observe-extension, sample, sample-extension, sample-bits and grind give
//! the same values on both fields, and the same shadow transcript.

use fixpoint_circuit::{Circuit, CircuitBuilder, Target, Traces};
use fixpoint_circuit_prover::poseidon2::Table;
use fixpoint_circuit_prover::{
    Ext, FieldFamily, FriSettings, ProverConfig, SetupOptions, Stark, prove, setup_with, verify,
};
use fixpoint_recursion::transcript::{self, RecordingChallenger};
use fixpoint_recursion::{ChallengerError, CircuitChallenger};
use p3_challenger::{CanObserve, CanSample, CanSampleBits, FieldChallenger, GrindingChallenger};
use p3_field::{BasedVectorSpace, PrimeCharacteristicRing};
use proptest::prelude::*;

/// One step of a transcript script.
#[derive(Clone, Debug)]
enum Step {
    Observe(Vec<u64>),
    ObserveConst(u64),
    ObserveExt([u64; 4]),
    Sample,
    SampleExt,
    SampleBits(usize),
    Grind(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        prop::collection::vec(any::<u64>(), 1..20).prop_map(Step::Observe),
        any::<u64>().prop_map(Step::ObserveConst),
        any::<[u64; 4]>().prop_map(Step::ObserveExt),
        Just(Step::Sample),
        Just(Step::SampleExt),
        (0usize..=30).prop_map(Step::SampleBits),
        (0usize..=6).prop_map(Step::Grind),
    ]
}

/// A script that uses every step, with buffers left partly full and emptied.
fn every_step() -> Vec<Step> {
    vec![
        Step::ObserveConst(9),
        Step::Observe(vec![1, 2, 3]),
        Step::SampleExt,
        Step::ObserveExt([5, 6, 7, 8]),
        Step::Observe(vec![4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4]),
        Step::Sample,
        Step::SampleBits(20),
        Step::Grind(3),
        Step::Grind(0),
        Step::Sample,
        Step::Sample,
        Step::SampleExt,
        Step::SampleExt,
    ]
}

/// What a step sampled, in the circuit.
enum Sampled {
    One(Target),
    Bits(Vec<Target>),
}

/// p3's challenger over family `V`, recording its transcript.
type Native<V> = RecordingChallenger<
    p3_challenger::DuplexChallenger<V, <V as FieldFamily>::Permutation, 16, 8>,
    V,
>;

/// The script on both challengers: the circuit, its public inputs, what it
/// sampled, the native samples, and the native transcript.
struct Replay<V: FieldFamily> {
    circuit: Circuit<Ext<V>>,
    challenger: CircuitChallenger<Ext<V>>,
    publics: Vec<Ext<V>>,
    sampled: Vec<Sampled>,
    expected: Vec<Ext<V>>,
    native: Native<V>,
}

fn replay<V: FieldFamily>(script: &[Step]) -> Replay<V> {
    let mut native = Native::<V>::new(p3_challenger::DuplexChallenger::new(V::permutation()));
    let mut b = CircuitBuilder::<Ext<V>>::new();
    let mut challenger = CircuitChallenger::new(&mut b);
    let (mut publics, mut sampled, mut expected) = (vec![], vec![], vec![]);
    for (i, step) in script.iter().enumerate() {
        b.push_scope(&format!("step{i}"));
        match step {
            Step::Observe(values) => {
                for &v in values {
                    let v = V::from_u64(v);
                    native.observe(v);
                    let t = b.public_input();
                    publics.push(Ext::<V>::from(v));
                    challenger.observe(&mut b, t);
                }
            }
            Step::ObserveConst(v) => {
                let v = V::from_u64(*v);
                native.observe(v);
                challenger.observe_const(&mut b, v);
            }
            Step::ObserveExt(coeffs) => {
                let e = Ext::<V>::from_basis_coefficients_fn(|k| V::from_u64(coeffs[k]));
                native.observe_algebra_element(e);
                let t = b.public_input();
                publics.push(e);
                challenger.observe_ext(&mut b, t);
            }
            Step::Sample => {
                let v: V = native.sample();
                expected.push(Ext::<V>::from(v));
                sampled.push(Sampled::One(challenger.sample(&mut b)));
            }
            Step::SampleExt => {
                expected.push(native.sample_algebra_element::<Ext<V>>());
                sampled.push(Sampled::One(challenger.sample_ext(&mut b)));
            }
            Step::SampleBits(bits) => {
                expected.push(Ext::<V>::from_usize(native.sample_bits(*bits)));
                let out = challenger.sample_bits(&mut b, *bits).unwrap();
                sampled.push(Sampled::Bits(out));
            }
            Step::Grind(bits) => {
                let witness = native.grind(*bits);
                let t = b.public_input();
                publics.push(Ext::<V>::from(witness));
                challenger.check_witness(&mut b, *bits, t).unwrap();
            }
        }
        b.pop_scope();
    }
    let circuit = b.build().expect("the challenger circuit builds");
    Replay {
        circuit,
        challenger,
        publics,
        sampled,
        expected,
        native,
    }
}

fn run<V: FieldFamily>(
    circuit: &Circuit<Ext<V>>,
    publics: &[Ext<V>],
) -> Result<Traces<Ext<V>>, String> {
    let mut runner = circuit.runner();
    fixpoint_circuit_prover::poseidon2::register_executors(&mut runner);
    runner
        .set_public_inputs(publics)
        .map_err(|e| e.to_string())?;
    runner.run().map_err(|e| e.to_string())
}

/// Runs the replay and checks every sample and the shadow transcript.
fn check<V: FieldFamily>(script: &[Step]) -> Result<(), TestCaseError> {
    let r = replay::<V>(script);
    let traces = run::<V>(&r.circuit, &r.publics).map_err(TestCaseError::fail)?;
    let value = |t: Target| {
        let id = r.circuit.witness_of(t).expect("sampled targets have slots");
        traces.witness.get(id).unwrap()
    };
    for (i, (out, expected)) in r.sampled.iter().zip(&r.expected).enumerate() {
        let got = match out {
            Sampled::One(t) => value(*t),
            Sampled::Bits(bits) => bits
                .iter()
                .rev()
                .fold(Ext::<V>::ZERO, |acc, &bit| acc.double() + value(bit)),
        };
        prop_assert_eq!(got, *expected, "sample {}", i);
    }
    if let Err(d) = transcript::compare(
        &r.native.events,
        &r.circuit,
        &traces,
        r.challenger.transcript(),
    ) {
        return Err(TestCaseError::fail(d.to_string()));
    }
    Ok(())
}

fn every_step_matches_p3_and_proves<V: FieldFamily>() {
    check::<V>(&every_step()).unwrap();
    let r = replay::<V>(&every_step());
    let traces = run::<V>(&r.circuit, &r.publics).unwrap();
    let config = ProverConfig::<Stark<V>>::new(FriSettings::TEST);
    let tables = Table::ALL;
    let (pk, vk) =
        setup_with(&r.circuit, &config, &SetupOptions::new().with_npos(&tables)).unwrap();
    verify(&vk, &r.publics, &prove(&pk, &traces).unwrap()).unwrap();
}

fn pow_witnesses_are_checked<V: FieldFamily>() {
    // A witness that p3 rejects for 6 bits is rejected by the circuit.
    let r = replay::<V>(&[Step::Observe(vec![1]), Step::Grind(6)]);
    let p3_accepts = |witness: V| {
        let mut c =
            p3_challenger::DuplexChallenger::<V, V::Permutation, 16, 8>::new(V::permutation());
        c.observe(V::ONE);
        c.check_witness(6, witness)
    };
    let mut publics = r.publics.clone();
    run::<V>(&r.circuit, &publics).unwrap();
    let honest: V = BasedVectorSpace::<V>::as_basis_coefficients_slice(&publics[1])[0];
    let wrong = (1..)
        .map(|k| honest + V::from_u32(k))
        .find(|&w| !p3_accepts(w));
    publics[1] = Ext::<V>::from(wrong.unwrap());
    assert!(run::<V>(&r.circuit, &publics).is_err());
    // A 0-bit grind absorbs nothing, and its witness must be 0.
    let r = replay::<V>(&[Step::Grind(0), Step::Sample]);
    assert_eq!(r.native.events.len(), 1); // just the sample
    let mut publics = r.publics.clone();
    run::<V>(&r.circuit, &publics).unwrap();
    publics[0] = Ext::<V>::ONE;
    assert!(run::<V>(&r.circuit, &publics).is_err());
}

mod koala_bear {
    use fixpoint_circuit_prover::KoalaBear as V;

    #[test]
    fn every_step_matches_p3_and_proves() {
        super::every_step_matches_p3_and_proves::<V>();
    }

    #[test]
    fn pow_witnesses_are_checked() {
        super::pow_witnesses_are_checked::<V>();
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
        #[test]
        fn random_scripts_match_p3(
            script in proptest::collection::vec(super::step(), 1..24)
        ) {
            super::check::<V>(&script)?;
        }
    }
}

mod baby_bear {
    use fixpoint_circuit_prover::BabyBear as V;

    #[test]
    fn every_step_matches_p3_and_proves() {
        super::every_step_matches_p3_and_proves::<V>();
    }

    #[test]
    fn pow_witnesses_are_checked() {
        super::pow_witnesses_are_checked::<V>();
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
        #[test]
        fn random_scripts_match_p3(
            script in proptest::collection::vec(super::step(), 1..24)
        ) {
            super::check::<V>(&script)?;
        }
    }
}

#[test]
fn sample_bits_refuses_more_bits_than_the_field_gives() {
    use fixpoint_circuit_prover::KoalaBearExt as E;
    let mut b = CircuitBuilder::<E>::new();
    let mut challenger = CircuitChallenger::new(&mut b);
    assert_eq!(
        challenger.sample_bits(&mut b, 31),
        Err(ChallengerError::TooManyBits {
            bits: 31,
            field_bits: 31
        })
    );
    assert_eq!(challenger.sample_bits(&mut b, 30).unwrap().len(), 30);
}

#[test]
fn the_shadow_transcript_reports_the_first_divergence() {
    use fixpoint_circuit_prover::KoalaBearExt as E;
    use p3_koala_bear::{KoalaBear as V, default_koalabear_poseidon2_16};

    // The native verifier observes 7, 8, 9 and samples; the circuit observes 7, 8 and a
    // public input holding 10, in a scope named like the code that emitted it.
    let mut native = RecordingChallenger::new(p3_challenger::DuplexChallenger::<V, _, 16, 8>::new(
        default_koalabear_poseidon2_16(),
    ));
    for v in [7, 8, 9] {
        native.observe(V::from_u32(v));
    }
    let _: V = native.sample();

    let mut b = CircuitBuilder::<E>::new();
    let mut challenger = CircuitChallenger::new(&mut b);
    let commitment = b.public_input();
    b.scope("stark/observe_commitments", |b| {
        challenger.observe_const(b, V::from_u32(7));
        challenger.observe_const(b, V::from_u32(8));
        challenger.observe(b, commitment);
    });
    let alpha = b.scope("stark/alpha", |b| challenger.sample(b));
    b.expose(alpha);
    let circuit = b.build().unwrap();
    assert_eq!(circuit.public_count, 1);
    let mut runner = circuit.runner();
    fixpoint_circuit_prover::poseidon2::register_executors(&mut runner);
    runner.set_public_inputs(&[E::from_u32(10)]).unwrap();
    let traces = runner.run().unwrap();
    let divergence =
        transcript::compare(&native.events, &circuit, &traces, challenger.transcript())
            .unwrap_err();
    assert_eq!(divergence.position, 2);
    insta::assert_snapshot!("divergence", divergence.to_string());
}
