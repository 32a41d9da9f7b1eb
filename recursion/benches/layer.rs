//! One steady-state recursion layer: the verifier circuit of a fixed-point layer's proof.
//! Runs the layers to the fixed point once, then measures building the layer circuit from
//! the key, filling and running it on the last proof, and proving it. Prints the layer's
//! ops, its cells per table (preprocessed, main, LogUp, fill), the totals with and without
//! LogUp, and its ops per verifier component.
//!
//! The FRI settings are smaller than the security target (16 queries, blowup 2) so that the
//! bench finishes in minutes; `recursive_fibonacci` runs the full workload.
//!
//! `cargo bench -p fixpoint-recursion --bench layer`

use criterion::{Criterion, criterion_group, criterion_main};
use fixpoint_circuit::CircuitBuilder;
use fixpoint_circuit_prover::poseidon2::{Table, register_executors};
use fixpoint_circuit_prover::{
    FriSettings, KoalaBearExt as E, ProverConfig, SetupOptions, prove, prove_with_report, setup,
    setup_with,
};
use fixpoint_recursion::layers::{self, recurse};
use p3_field::PrimeCharacteristicRing;
use p3_koala_bear::default_koalabear_poseidon2_16;

const SETTINGS: FriSettings = FriSettings {
    log_blowup: 2,
    num_queries: 16,
    query_pow_bits: 8,
    commit_pow_bits: 0,
    max_log_arity: 2,
    log_final_poly_len: 3,
    batch_pow_bits: 0,
    cap_height: 0,
};

fn bench(c: &mut Criterion) {
    // Layer 0: 37·x = 111.
    let mut b = CircuitBuilder::<E>::new();
    let x = b.public_input();
    let c37 = b.define_const(E::from_u32(37));
    let c111 = b.define_const(E::from_u32(111));
    let prod = b.mul(c37, x);
    b.assert_eq(prod, c111);
    let base = b.build().unwrap();
    let config = ProverConfig::koala_bear(SETTINGS);
    let (pk, vk) = setup(&base, &config).unwrap();
    let publics = [E::from_u32(3)];
    let mut runner = base.runner();
    runner.set_public_inputs(&publics).unwrap();
    let proof = prove(&pk, &runner.run().unwrap()).unwrap();
    let outcome = recurse(&vk, &proof, &publics, SETTINGS, 6, |_| {}).unwrap();
    let at = outcome
        .fixed_point_at
        .expect("a fixed point within 6 layers");
    println!("fixed point at layer {at}");

    let perm = default_koalabear_poseidon2_16();
    let layer = layers::layer_circuit(&outcome.vk, true).unwrap();
    // The steady state's own shapes: the recursion's last key is this setup's floor.
    let (layer_pk, layer_vk) = setup_with(
        &layer.circuit,
        &config,
        &SetupOptions::new()
            .with_npos(&Table::ALL)
            .with_floor(outcome.vk.shape_floor()),
    )
    .unwrap();
    assert_eq!(layer_vk.hash(), outcome.vk.hash(), "the fixed point's key");
    let key = outcome.vk.preprocessed_commitment.clone();
    let witness = layer
        .witness(&perm, &outcome.proof, &outcome.publics, &key)
        .unwrap();
    let traces = {
        let mut runner = layer.circuit.runner();
        register_executors(&mut runner);
        layer.fill(&witness, &mut runner).unwrap();
        runner.run().unwrap()
    };
    let (_, report) = prove_with_report(&layer_pk, &traces).unwrap();
    let stats = layer.circuit.stats();
    println!("{}", stats.ops);
    println!("{report}");
    println!("ops per verifier component:");
    print!(
        "{}",
        fixpoint_recursion::components::ComponentCounts::of(&stats)
    );
    println!("cells per verifier component:");
    print!(
        "{}",
        fixpoint_recursion::components::ComponentCells::of(&layer.circuit, &report)
    );

    let mut group = c.benchmark_group("steady-state layer");
    group.sample_size(10);
    group.bench_function("build", |b| {
        b.iter(|| layers::layer_circuit(&outcome.vk, true).unwrap())
    });
    group.bench_function("witness and run", |b| {
        b.iter(|| {
            let witness = layer
                .witness(&perm, &outcome.proof, &outcome.publics, &key)
                .unwrap();
            let mut runner = layer.circuit.runner();
            register_executors(&mut runner);
            layer.fill(&witness, &mut runner).unwrap();
            runner.run().unwrap()
        })
    });
    group.bench_function("prove", |b| b.iter(|| prove(&layer_pk, &traces).unwrap()));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
