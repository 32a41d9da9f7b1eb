//! Every workload on both buses (issue 16): a Witness table that provides every slot, or a
//! virtual witness whose defining ops provide them ([`BusLayout`]). For each workload and
//! bus it prints the proof report (cells per table, LogUp included) and benches `prove`.
//! KoalaBear, default 104-bit FRI settings.
//!
//! ```sh
//! RUSTFLAGS="-C target-cpu=native" cargo bench -p fixpoint-tests --bench bus \
//!   --features fixpoint-circuit-prover/parallel
//! ```
//!
//! The workloads:
//! - `fibonacci`: 2^14 additions (the prover bench's workload);
//! - `poseidon2 chain`: 2^12 packed permutations, each output the next input;
//! - `uni-stark verifier`: the circuit that verifies a p3-uni-stark proof of the Fibonacci
//!   AIR (2^10 rows) under the default FRI settings: challenger, FRI, Merkle paths,
//!   constraints;
//! - `hashed row`: 2^12 private values, hashed by the packed sponge and summed by Horner.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use fixpoint_circuit::{Circuit, CircuitBuilder, Traces};
use fixpoint_circuit_prover::poseidon2::{self, PACKED_WIDTH, Table, WIDTH};
use fixpoint_circuit_prover::{
    BusLayout, FriSettings, KoalaBear, KoalaBearExt as E, KoalaBearStark, ProverConfig, ProvingKey,
    SetupOptions, prove, prove_with_report, setup_with,
};
use fixpoint_recursion::uni_stark::{self, UniStarkShape, UniStarkWitness};
use fixpoint_tests::airs::{Fibonacci, fibonacci_trace};
use p3_field::PrimeCharacteristicRing;

/// A circuit with the traces of one honest run.
struct Workload {
    name: &'static str,
    circuit: Circuit<E>,
    traces: Traces<E>,
}

fn runner_traces(circuit: &Circuit<E>, publics: &[E], privates: &[E]) -> Traces<E> {
    let mut runner = circuit.runner();
    poseidon2::register_executors(&mut runner);
    runner.set_public_inputs(publics).expect("public inputs");
    runner.set_private_inputs(privates).expect("private inputs");
    runner.run().expect("runs")
}

fn fibonacci(n: usize) -> Workload {
    let mut b = CircuitBuilder::<E>::new();
    let (mut x, mut y) = (b.public_input(), b.public_input());
    let (mut xv, mut yv) = (E::ZERO, E::ONE);
    for _ in 0..n {
        (x, y) = (y, b.add(x, y));
        (xv, yv) = (yv, xv + yv);
    }
    let expected = b.public_input();
    b.connect(y, expected);
    let circuit = b.build().expect("builds");
    let traces = runner_traces(&circuit, &[E::ZERO, E::ONE, yv], &[]);
    Workload {
        name: "fibonacci",
        circuit,
        traces,
    }
}

fn poseidon2_chain(n: usize) -> Workload {
    let mut b = CircuitBuilder::<E>::new();
    let mut state: [_; PACKED_WIDTH] = std::array::from_fn(|_| b.public_input());
    for _ in 0..n {
        state = poseidon2::permute_packed(&mut b, &state);
    }
    state.into_iter().for_each(|t| b.expose(t));
    let circuit = b.build().expect("builds");
    let lanes: Vec<KoalaBear> = (0..WIDTH as u32).map(KoalaBear::from_u32).collect();
    let traces = runner_traces(&circuit, &poseidon2::pack_values::<E>(&lanes), &[]);
    Workload {
        name: "poseidon2 chain",
        circuit,
        traces,
    }
}

fn uni_stark_verifier(rows: usize) -> Workload {
    let fri = FriSettings::DEFAULT;
    let perm = <KoalaBear as fixpoint_circuit_prover::FieldFamily>::permutation();
    let (params, mmcs) = uni_stark::native_pcs::<KoalaBear, E, _>(&fri, &perm);
    let pcs = p3_fri::TwoAdicFriPcs::new(Default::default(), mmcs, params);
    let config = p3_uni_stark::StarkConfig::new(pcs, p3_challenger::DuplexChallenger::new(perm));
    let (trace, publics) = fibonacci_trace::<KoalaBear>(rows);
    let proof = p3_uni_stark::prove(&config, &Fibonacci::STANDARD, trace, &publics).expect("p3");
    let shape = UniStarkShape::new(&Fibonacci::STANDARD, fri, 0, proof.degree_bits, None)
        .expect("the shape");
    let mut b = CircuitBuilder::<E>::new();
    let (verifier, _) = uni_stark::verify_circuit(&mut b, &shape).expect("the verifier");
    let circuit = b.build().expect("builds");
    let perm = <KoalaBear as fixpoint_circuit_prover::FieldFamily>::permutation();
    let witness = UniStarkWitness::from_proof(&shape, &perm, &proof, &publics).expect("witness");
    let traces = {
        let mut runner = circuit.runner();
        poseidon2::register_executors(&mut runner);
        witness.fill(&verifier, &mut runner).expect("fits");
        runner.run().expect("runs")
    };
    Workload {
        name: "uni-stark verifier",
        circuit,
        traces,
    }
}

fn hashed_row(len: usize) -> Workload {
    let circuit = fixpoint_tests::hashed_row::circuit::<KoalaBear>(len);
    let values: Vec<KoalaBear> = (0..len as u32).map(KoalaBear::from_u32).collect();
    let (publics, privates) = fixpoint_tests::hashed_row::inputs(&values, 3, 5);
    let traces = runner_traces(&circuit, &publics, &privates);
    Workload {
        name: "hashed row",
        circuit,
        traces,
    }
}

fn proving_key(circuit: &Circuit<E>, bus: BusLayout) -> ProvingKey<KoalaBearStark, Table> {
    let config = ProverConfig::koala_bear(FriSettings::DEFAULT);
    let options = SetupOptions::new().with_npos(&Table::ALL).with_bus(bus);
    setup_with(circuit, &config, &options).expect("setup").0
}

fn bench(c: &mut Criterion) {
    let workloads = [
        fibonacci(1 << 14),
        poseidon2_chain(1 << 12),
        uni_stark_verifier(1 << 10),
        hashed_row(1 << 12),
    ];
    let buses = [BusLayout::WitnessTable, BusLayout::Virtual];
    println!(
        "{:<20} {:>16} {:>16} {:>8}",
        "workload", "witness table", "virtual", "ratio"
    );
    let mut keys = Vec::new();
    for w in &workloads {
        let mut cells = Vec::new();
        for bus in buses {
            let pk = proving_key(&w.circuit, bus);
            let (_, report) = prove_with_report(&pk, &w.traces).expect("prove");
            println!("--- {} on a {bus} bus", w.name);
            print!("{report}");
            cells.push(report.tables.iter().map(|t| t.cells()).sum::<usize>());
            keys.push((w, bus, pk));
        }
        println!(
            "{:<20} {:>16} {:>16} {:>8.3}",
            w.name,
            cells[0],
            cells[1],
            cells[1] as f64 / cells[0] as f64
        );
    }
    let mut group = c.benchmark_group("bus");
    group.sample_size(10);
    for (w, bus, pk) in &keys {
        let id = BenchmarkId::new(w.name, bus.to_string());
        group.bench_function(id, |b| b.iter(|| prove(pk, &w.traces).expect("prove")));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
