//! Merkle paths of depth 20 in a circuit: ops, rows per path and the bus's share of the
//! trace, then the prove time of 64 paths (KoalaBear, default 104-bit FRI settings).
//!
//! `cargo bench -p fixpoint-circuit-prover --bench merkle`

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use fixpoint_circuit::{Circuit, CircuitBuilder, Traces};
use fixpoint_circuit_prover::merkle::{self, MatrixShape, MerkleShape};
use fixpoint_circuit_prover::poseidon2::{self, Table};
use fixpoint_circuit_prover::{
    FriSettings, KoalaBearExt as E, ProverConfig, SetupOptions, prove_with_report, setup_with,
};
use p3_commit::Mmcs;
use p3_field::{Field, PrimeCharacteristicRing};
use p3_koala_bear::{KoalaBear as V, Poseidon2KoalaBear, default_koalabear_poseidon2_16};
use p3_matrix::dense::RowMajorMatrix;
use p3_merkle_tree::MerkleTreeMmcs;
use p3_symmetric::{PaddingFreeSponge, TruncatedPermutation};

const DEPTH: usize = 20;
const WIDTH: usize = 8;
const PATHS: usize = 64;

type Perm = Poseidon2KoalaBear<16>;
type P3Mmcs = MerkleTreeMmcs<
    <V as Field>::Packing,
    <V as Field>::Packing,
    PaddingFreeSponge<Perm, 16, 8, 8>,
    TruncatedPermutation<Perm, 2, 8, 16>,
    2,
    8,
>;

/// `PATHS` openings of one depth-20 tree, verified in one circuit (all inputs public).
fn paths() -> (Circuit<E>, Traces<E>) {
    let shape = MerkleShape {
        matrices: vec![MatrixShape {
            height: 1 << DEPTH,
            width: WIDTH,
        }],
        cap_height: 0,
    };
    let perm = default_koalabear_poseidon2_16();
    let mmcs = P3Mmcs::new(
        PaddingFreeSponge::new(perm.clone()),
        TruncatedPermutation::new(perm),
        0,
    );
    let values = (0..(WIDTH << DEPTH) as u32).map(V::from_u32).collect();
    let (cap, data) = mmcs.commit(vec![RowMajorMatrix::new(values, WIDTH)]);

    let mut b = CircuitBuilder::<E>::new();
    let root = merkle::public_digest(&mut b);
    let mut calls = Vec::new();
    for _ in 0..PATHS {
        let index = b.public_input();
        let row = b.public_inputs(WIDTH);
        let path = merkle::verify_batch(&mut b, &shape, &[root], index, &[row]).expect("shape");
        calls.push(path);
    }
    let circuit = b.build().expect("builds");

    let mut publics = poseidon2::pack_values::<E>(&cap.roots()[0]);
    let mut runner = circuit.runner();
    poseidon2::register_executors(&mut runner);
    for (i, path) in calls.iter().enumerate() {
        let index = (i * 16_381 + 7) % (1 << DEPTH);
        let opening = mmcs.open_batch(index, &data);
        publics.push(E::from_usize(index));
        publics.extend(opening.opened_values[0].iter().map(|&v| E::from(v)));
        path.set_siblings(&mut runner, &opening.opening_proof)
            .expect("siblings");
    }
    runner.set_public_inputs(&publics).expect("count");
    let traces = runner.run().expect("runs");
    drop(runner);
    (circuit, traces)
}

fn bench(c: &mut Criterion) {
    let (circuit, traces) = paths();
    let config = ProverConfig::koala_bear(FriSettings::DEFAULT);
    let (pk, _) = setup_with(
        &circuit,
        &config,
        &SetupOptions::new().with_npos(&Table::ALL),
    )
    .expect("setup");
    let (_, report) = prove_with_report(&pk, &traces).expect("prove");
    println!("--- {PATHS} Merkle paths of depth {DEPTH}, leaves of {WIDTH} values");
    print!("{}", circuit.stats());
    print!("{report}");
    for t in &report.tables {
        if t.entries > 0 {
            println!(
                "{:<8} {:>8.2} entries per path",
                t.name,
                t.entries as f64 / PATHS as f64
            );
        }
    }

    let mut group = c.benchmark_group("merkle");
    group.sample_size(10);
    group.bench_function(BenchmarkId::new("prove_depth_20", PATHS), |b| {
        b.iter(|| prove_with_report(&pk, &traces).expect("prove"))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
