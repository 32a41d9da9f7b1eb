//! The batch-stark and uni-stark seeds equal what p3's own transcript drivers absorb, and
//! the circuit that absorbs them samples what p3's challenger samples next.

use fixpoint_circuit::CircuitBuilder;
use fixpoint_circuit_prover::{Ext, FieldFamily};
use fixpoint_recursion::transcript::{self, RecordingChallenger, TranscriptOp};
use fixpoint_recursion::{CircuitChallenger, seeds};
use p3_challenger::{DuplexChallenger, FieldChallenger};

type Cap<V> = p3_symmetric::MerkleCap<V, [V; 8]>;

/// p3's challenger over family `V`, recording what it absorbs and samples.
type Native<V> =
    RecordingChallenger<DuplexChallenger<V, <V as FieldFamily>::Permutation, 16, 8>, V>;

fn recorder<V: FieldFamily>() -> Native<V> {
    RecordingChallenger::new(DuplexChallenger::new(V::permutation()))
}

fn batch_shape() -> p3_batch_stark::BatchShape {
    p3_batch_stark::BatchShape {
        trace_widths: vec![3, 5, 1],
        public_value_counts: vec![1, 0, 2],
        preprocessed_widths: vec![2, 0, 0],
        has_preprocessed_commitment: true,
        num_lookup_instances: 2,
        lookup_pow_bits: 0,
        has_randomization_commitment: false,
        ood_pow_bits: 0,
    }
}

fn stark_shape() -> p3_uni_stark::StarkShape {
    p3_uni_stark::StarkShape {
        log_ext_degree: 10,
        log_degree: 10,
        main_width: 7,
        preprocessed_width: 2,
        num_public_values: 3,
        num_periodic_columns: 1,
        num_quotient_chunks: 2,
        opens_main_next_row: true,
        opens_preprocessed_next_row: false,
        has_randomization: false,
        ood_pow_bits: 0,
    }
}

/// Absorbs `seed` in the circuit, samples an extension element, and compares
/// the run with the native recorder (which absorbed the seed, then sampled).
fn circuit_matches<V: FieldFamily>(seed: &[V], mut native: Native<V>) {
    let _: Ext<V> = native.sample_algebra_element();
    let mut b = CircuitBuilder::<Ext<V>>::new();
    let mut challenger = CircuitChallenger::new(&mut b);
    seeds::observe(&mut b, &mut challenger, seed);
    let sample = challenger.sample_ext(&mut b);
    b.expose(sample);
    let circuit = b.build().unwrap();
    let mut runner = circuit.runner();
    fixpoint_circuit_prover::poseidon2::register_executors(&mut runner);
    runner.set_public_inputs(&[]).unwrap();
    let traces = runner.run().unwrap();
    if let Err(d) = transcript::compare(&native.events, &circuit, &traces, challenger.transcript())
    {
        panic!("{d}");
    }
}

fn the_batch_stark_seed_is_what_p3_absorbs<V: FieldFamily>() {
    let seed = seeds::batch_stark::<V, Ext<V>>(&batch_shape());
    let mut native = recorder::<V>();
    let mut driver = p3_batch_stark::BatchProverTranscript::<_, V, Ext<V>, Cap<V>>::new(
        &mut native,
        batch_shape(),
    );
    driver.abort();
    drop(driver);
    assert!(native.events.iter().all(|e| e.op == TranscriptOp::Observe));
    let absorbed: Vec<V> = native.events.iter().map(|e| e.value).collect();
    assert_eq!(absorbed, seed);
    circuit_matches(&seed, native);
}

fn the_uni_stark_seed_is_what_p3_absorbs<V: FieldFamily>() {
    let seed = seeds::uni_stark::<V, Ext<V>>(&stark_shape());
    let mut native = recorder::<V>();
    let mut driver =
        p3_uni_stark::StarkProverTranscript::<_, V, Ext<V>>::new(&mut native, stark_shape());
    driver.abort();
    drop(driver);
    let absorbed: Vec<V> = native.events.iter().map(|e| e.value).collect();
    assert_eq!(absorbed, seed);
    circuit_matches(&seed, native);
    // Another shape, another seed.
    let mut other = stark_shape();
    other.main_width += 1;
    assert_ne!(seeds::uni_stark::<V, Ext<V>>(&other), seed);
}

mod koala_bear {
    use fixpoint_circuit_prover::KoalaBear as V;

    #[test]
    fn the_batch_stark_seed_is_what_p3_absorbs() {
        super::the_batch_stark_seed_is_what_p3_absorbs::<V>();
    }

    #[test]
    fn the_uni_stark_seed_is_what_p3_absorbs() {
        super::the_uni_stark_seed_is_what_p3_absorbs::<V>();
    }
}

mod baby_bear {
    use fixpoint_circuit_prover::BabyBear as V;

    #[test]
    fn the_batch_stark_seed_is_what_p3_absorbs() {
        super::the_batch_stark_seed_is_what_p3_absorbs::<V>();
    }

    #[test]
    fn the_uni_stark_seed_is_what_p3_absorbs() {
        super::the_uni_stark_seed_is_what_p3_absorbs::<V>();
    }
}
