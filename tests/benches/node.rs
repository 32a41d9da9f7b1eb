//! One steady-state combine node: the node circuit of a proof tree at its fixed point,
//! verifying two children of its own shape (two base nodes over Fibonacci segments).
//! Sets the tree up once, proves the base nodes, then measures filling and running the
//! node on them and proving it. Prints the node's cells per table.
//!
//! The FRI settings are smaller than the security target (16 queries, blowup 4) so that the
//! bench finishes in minutes; `aggregate_fibonacci` runs the full workload.
//!
//! `cargo bench -p fixpoint-tests --bench node`

use criterion::{Criterion, criterion_group, criterion_main};
use fixpoint_circuit_prover::poseidon2::register_executors;
use fixpoint_circuit_prover::{
    FriSettings, KoalaBear, KoalaBearExt as E, ProverConfig, prove, prove_with_report, setup,
};
use fixpoint_recursion::tree::{self, ChildInput, TreeOptions};
use fixpoint_tests::segments::{SegmentLengths, chain, chained_segments, segment_circuit};

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

/// Steps per segment.
const STEPS: usize = 1024;

fn bench(c: &mut Criterion) {
    let circuit = segment_circuit::<E>(STEPS).unwrap();
    let (pk, vk) = setup(&circuit, &ProverConfig::koala_bear(SETTINGS)).unwrap();
    let statements = chained_segments::<E>(4, STEPS);
    let proofs: Vec<_> = statements
        .iter()
        .map(|publics| {
            let mut runner = circuit.runner();
            runner.set_public_inputs(publics).unwrap();
            prove(&pk, &runner.run().unwrap()).unwrap()
        })
        .collect();
    let options = TreeOptions {
        arity: 2,
        allow_depth: 2,
        settings: SETTINGS,
    };
    let setup = tree::tree_setup(
        &[&vk],
        &[vec![0, 0]],
        &SegmentLengths::default(),
        &chain::<KoalaBear>(),
        options,
        |_| {},
    )
    .unwrap();
    let list = &setup.allow_list;
    let base = &setup.base_nodes[0];
    let lower: Vec<_> = [0, 2]
        .iter()
        .map(|&i| {
            let children: Vec<ChildInput<'_, KoalaBear>> = (i..i + 2)
                .map(|j| ChildInput {
                    key: &setup.bases[0],
                    proof: &proofs[j],
                    publics: &statements[j],
                })
                .collect();
            tree::prove_node(&base.circuit, &base.pk, list, &children).unwrap()
        })
        .collect();
    let children: Vec<ChildInput<'_, KoalaBear>> = lower
        .iter()
        .map(|p| ChildInput {
            key: &base.as_child,
            proof: &p.proof,
            publics: &p.publics,
        })
        .collect();
    let node = &setup.node;
    let witness = node.witness(list, &children).unwrap();
    let traces = {
        let mut runner = node.circuit.runner();
        register_executors(&mut runner);
        node.fill(&witness, list, &mut runner).unwrap();
        runner.run().unwrap()
    };
    let (_, report) = prove_with_report(&setup.node_pk, &traces).unwrap();
    println!("{}", node.circuit.stats().ops);
    println!("{report}");

    let mut group = c.benchmark_group("node");
    group.sample_size(10);
    group.bench_function("witness, fill and run (2 children)", |b| {
        b.iter(|| {
            let witness = node.witness(list, &children).unwrap();
            let mut runner = node.circuit.runner();
            register_executors(&mut runner);
            node.fill(&witness, list, &mut runner).unwrap();
            runner.run().unwrap()
        })
    });
    group.bench_function("prove (2 children)", |b| {
        b.iter(|| prove_with_report(&setup.node_pk, &traces).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
