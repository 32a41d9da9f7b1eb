//! The PCS/FRI verifier circuit on a realistic shape: KoalaBear D4, matrices up to 2^16
//! rows, log_blowup 2, 54 queries, query PoW 15 (about 123 conjectured bits), folding
//! arity 2 and 4. Reports Poseidon2 permutations in the circuit against the native
//! verifier's (counted by a wrapping permutation), ops per component and per query, witness
//! slots, rows per table and trace area; times build, run (criterion) and one prove.
//!
//! `cargo bench -p fixpoint-recursion --bench fri`

use std::time::Instant;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use fixpoint_circuit::{Circuit, CircuitBuilder, Op};
use fixpoint_circuit_prover::poseidon2::{self, Table};
use fixpoint_circuit_prover::{
    FriSettings, KoalaBearExt as E, ProverConfig, SetupOptions, prove_with_report, setup_with,
};
use fixpoint_recursion::CircuitChallenger;
use fixpoint_recursion::components::ComponentCounts;
use fixpoint_recursion::counting::CountingPermutation;
use fixpoint_recursion::fri::{
    self, MerkleSharing, QueryInputs, QueryPaths, QueryWitness, TreeCost,
};
use fixpoint_recursion::pcs::{self, MatrixClaim, PcsInputs, PcsShape};
use p3_challenger::DuplexChallenger;
use p3_commit::{CommitmentOpening, Pcs};
use p3_field::{BasedVectorSpace, PrimeCharacteristicRing};
use p3_koala_bear::{KoalaBear as V, Poseidon2KoalaBear, default_koalabear_poseidon2_16};
use p3_matrix::dense::RowMajorMatrix;

type Counting = CountingPermutation<Poseidon2KoalaBear<16>, V>;

type ValMmcs = fri::native::ValMmcs<V, Counting>;
type ChallengeMmcs = fri::native::ChallengeMmcs<V, E, Counting>;
type NativePcs = p3_fri::TwoAdicFriPcs<V, p3_dft::Radix2DitParallel<V>, ValMmcs, ChallengeMmcs>;
type Challenger = DuplexChallenger<V, Counting, 16, 8>;

fn shape(max_log_arity: usize) -> PcsShape {
    let claim = |log_height, width| MatrixClaim {
        log_height,
        width,
        points: 1,
    };
    PcsShape {
        fri: FriSettings {
            log_blowup: 2,
            log_final_poly_len: 0,
            max_log_arity,
            num_queries: 54,
            batch_pow_bits: 0,
            commit_pow_bits: 0,
            query_pow_bits: 15,
            cap_height: 0,
        },
        // A trace batch (two heights) and a quotient batch, up to 2^16 rows.
        commitments: vec![vec![claim(16, 8), claim(14, 4)], vec![claim(16, 4)]],
    }
}

struct Native {
    inputs: pcs::InputValues<E>,
    witness: QueryWitness<V, E>,
    native_permutations: usize,
}

fn native(shape: &PcsShape, perm: &Counting) -> Native {
    let val_mmcs = ValMmcs::new(
        p3_symmetric::PaddingFreeSponge::new(perm.clone()),
        p3_symmetric::TruncatedPermutation::new(perm.clone()),
        shape.fri.cap_height,
    );
    let params = shape
        .fri
        .fri_parameters(ChallengeMmcs::new(val_mmcs.clone()));
    let pcs = NativePcs::new(Default::default(), val_mmcs.clone(), params.clone());
    let mut committed = Vec::new();
    for (b, batch) in shape.commitments.iter().enumerate() {
        let evaluations: Vec<_> = batch
            .iter()
            .map(|m| {
                let height = 1 << m.log_height;
                let values = (0..height * m.width)
                    .map(|i| V::from_usize(i * 7 + b + 1))
                    .collect();
                let domain =
                    <NativePcs as Pcs<E, Challenger>>::natural_domain_for_degree(&pcs, height);
                (domain, RowMajorMatrix::new(values, m.width))
            })
            .collect();
        let domains: Vec<_> = evaluations.iter().map(|(d, _)| *d).collect();
        let (cap, data) = <NativePcs as Pcs<E, Challenger>>::commit(&pcs, evaluations).unwrap();
        let points: Vec<Vec<E>> = batch
            .iter()
            .enumerate()
            .map(|(i, _)| {
                vec![E::from_basis_coefficients_fn(|k| {
                    V::from_usize(1000 * b + 10 * i + k + 3)
                })]
            })
            .collect();
        committed.push((cap, data, domains, points));
    }
    let requests = committed
        .iter()
        .map(|(_, data, _, points)| (data, points.clone()).into())
        .collect();
    let (opened, proof) = pcs
        .open(requests, &mut Challenger::new(perm.clone()))
        .unwrap();
    let openings: fri::native::Claims<V, E> = committed
        .iter()
        .zip(&opened)
        .map(|((cap, _, domains, points), values)| {
            let matrices = domains
                .iter()
                .zip(points.iter().zip(values))
                .map(|(&d, (zs, vs))| (d, zs.iter().copied().zip(vs.iter().cloned()).collect()))
                .collect();
            CommitmentOpening::from((cap.clone(), matrices))
        })
        .collect();
    let claims: Vec<_> = openings
        .iter()
        .map(|o| {
            let matrices = o
                .matrices
                .iter()
                .map(|m| {
                    m.points
                        .iter()
                        .map(|p| (p.point, p.values.clone()))
                        .collect()
                })
                .collect();
            (o.commitment.clone(), matrices)
        })
        .collect();

    // The native verifier's permutations.
    perm.reset();
    pcs.verify(openings.clone(), &proof, &mut Challenger::new(perm.clone()))
        .expect("p3 accepts");
    let native_permutations = perm.count();

    let witness = fri::query_witness(
        perm,
        &params,
        &val_mmcs,
        &openings,
        &proof,
        &mut Challenger::new(perm.clone()),
    )
    .unwrap();
    let mut inputs = pcs::inputs(shape, &claims, &proof).unwrap();
    inputs.privates.extend(witness.privates.iter().copied());
    Native {
        inputs,
        witness,
        native_permutations,
    }
}

/// Prints the Merkle permutations of every tree (one path per query, each distinct node
/// once, the fixed-shape bound) and returns the totals.
fn report_merkle_sharing(shape: &PcsShape, witness: &QueryWitness<V, E>) -> TreeCost {
    let sharing = MerkleSharing::of(shape, witness);
    println!("Merkle permutations per tree (per query / shared natively / fixed-shape bound)");
    for (tree, t) in sharing.trees.iter().enumerate() {
        println!(
            "  tree {tree:>2} depth {:>2}: {:>5} / {:>5} / {:>5}",
            t.depth, t.per_query, t.shared, t.bound
        );
    }
    let total = sharing.total();
    println!(
        "  all trees: {:>5} / {:>5} / {:>5}",
        total.per_query, total.shared, total.bound
    );
    total
}

fn build(shape: &PcsShape) -> (Circuit<E>, QueryPaths) {
    let mut b = CircuitBuilder::<E>::new();
    let mut challenger = CircuitChallenger::new(&mut b);
    let inputs = PcsInputs::allocate(&mut b, shape);
    let challenges = pcs::verify_transcript(&mut b, &mut challenger, shape, &inputs).unwrap();
    let queries = QueryInputs::allocate(&mut b, shape);
    let paths = fri::verify_queries(&mut b, shape, &inputs, &challenges, &queries).unwrap();
    (b.build().unwrap(), paths)
}

fn run(circuit: &Circuit<E>, paths: &QueryPaths, native: &Native) -> fixpoint_circuit::Traces<E> {
    let mut runner = circuit.runner();
    poseidon2::register_executors(&mut runner);
    paths.set_witness(&mut runner, &native.witness).unwrap();
    runner.set_public_inputs(&native.inputs.publics).unwrap();
    runner.set_private_inputs(&native.inputs.privates).unwrap();
    runner.run().unwrap()
}

fn bench(c: &mut Criterion) {
    let perm = Counting::new(default_koalabear_poseidon2_16());
    let mut group = c.benchmark_group("fri_verifier");
    group.sample_size(10);
    for max_log_arity in [1, 2] {
        let shape = shape(max_log_arity);
        let native = native(&shape, &perm);
        let start = Instant::now();
        let (circuit, paths) = build(&shape);
        let build_time = start.elapsed();
        let start = Instant::now();
        let traces = run(&circuit, &paths, &native);
        let run_time = start.elapsed();
        let stats = circuit.stats();
        let permutations = circuit
            .ops
            .iter()
            .filter(|op| {
                matches!(op, Op::Npo { kind, .. }
                    if *kind == poseidon2::POSEIDON2_16_PACKED
                        || *kind == poseidon2::MERKLE_STEP
                        || *kind == poseidon2::POSEIDON2_16)
            })
            .count();
        println!(
            "=== max_log_arity {max_log_arity}: rounds {:?}",
            shape.log_arities()
        );
        println!(
            "Poseidon2 permutations: circuit {permutations}, native verifier {}",
            native.native_permutations
        );
        let TreeCost {
            per_query,
            shared,
            bound,
            ..
        } = report_merkle_sharing(&shape, &native.witness);
        println!(
            "circuit - native = {}; Merkle per query - shared = {}; \
             a fixed-shape circuit needs at least {} (native + {})",
            permutations as isize - native.native_permutations as isize,
            per_query - shared,
            permutations - (per_query - bound),
            bound - shared,
        );
        println!("{}, {} witness slots", stats.ops, stats.witness_count);
        print!("{}", ComponentCounts::of(&stats));
        println!(
            "Add+Mul ops per query: {:.0}",
            (stats.ops.adds + stats.ops.muls) as f64 / shape.fri.num_queries as f64
        );
        println!("build {build_time:.2?}, run {run_time:.2?}");
        let config = ProverConfig::koala_bear(FriSettings::DEFAULT);
        let (pk, _) = setup_with(
            &circuit,
            &config,
            &SetupOptions::new().with_npos(&Table::ALL),
        )
        .unwrap();
        let (_, report) = prove_with_report(&pk, &traces).unwrap();
        print!("{report}");

        group.bench_function(BenchmarkId::new("build", max_log_arity), |b| {
            b.iter(|| build(&shape))
        });
        group.bench_function(BenchmarkId::new("run", max_log_arity), |b| {
            b.iter(|| run(&circuit, &paths, &native))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
