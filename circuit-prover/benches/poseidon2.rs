//! Proving Poseidon2 permutations through the NPO table against proving
//! `p3-poseidon2-air` alone on the same number of permutations (KoalaBear, default
//! 104-bit FRI settings).
//!
//! `cargo bench -p fixpoint-circuit-prover --bench poseidon2`

use std::time::Instant;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use fixpoint_circuit::{Circuit, CircuitBuilder, Traces};
use fixpoint_circuit_prover::poseidon2::{self, PACKED_WIDTH, WIDTH};
use fixpoint_circuit_prover::{
    FriSettings, KoalaBearExt as E, KoalaBearStark, ProverConfig, ProvingKey, SetupOptions,
    prove_with_report, setup_with,
};
use p3_field::PrimeCharacteristicRing;
use p3_koala_bear::{
    GenericPoseidon2LinearLayersKoalaBear, KOALABEAR_POSEIDON2_RC_16_EXTERNAL_FINAL,
    KOALABEAR_POSEIDON2_RC_16_EXTERNAL_INITIAL, KOALABEAR_POSEIDON2_RC_16_INTERNAL, KoalaBear,
};
use p3_poseidon2_air::{Poseidon2Air, RoundConstants, generate_trace_rows};

type Air = Poseidon2Air<KoalaBear, GenericPoseidon2LinearLayersKoalaBear, WIDTH, 3, 0, 4, 20>;

/// The two lane layouts.
#[derive(Clone, Copy, Debug)]
enum Layout {
    /// One lane per slot (`POSEIDON2_16`).
    LanePerSlot,
    /// Four lanes per slot (`POSEIDON2_16_PACKED`).
    Packed,
}

/// A chain of `n` permutations: each output state is the next input.
fn chain(n: usize, layout: Layout) -> (Circuit<E>, Traces<E>) {
    let mut b = CircuitBuilder::<E>::new();
    let publics: Vec<E> = match layout {
        Layout::LanePerSlot => {
            let mut state: [_; WIDTH] = std::array::from_fn(|_| b.public_input());
            for _ in 0..n {
                state = poseidon2::permute(&mut b, &state);
            }
            state.into_iter().for_each(|t| b.expose(t));
            (0..WIDTH as u32).map(E::from_u32).collect()
        }
        Layout::Packed => {
            let mut state: [_; PACKED_WIDTH] = std::array::from_fn(|_| b.public_input());
            for _ in 0..n {
                state = poseidon2::permute_packed(&mut b, &state);
            }
            state.into_iter().for_each(|t| b.expose(t));
            let lanes: Vec<KoalaBear> = (0..WIDTH as u32).map(KoalaBear::from_u32).collect();
            poseidon2::pack_values::<E>(&lanes)
        }
    };
    let circuit = b.build().expect("builds");
    let traces = {
        let mut runner = circuit.runner();
        poseidon2::register_executors(&mut runner);
        runner.set_public_inputs(&publics).expect("count");
        runner.run().expect("runs")
    };
    (circuit, traces)
}

fn config() -> ProverConfig<KoalaBearStark> {
    ProverConfig::koala_bear(FriSettings::DEFAULT)
}

fn proving_key(circuit: &Circuit<E>) -> ProvingKey<KoalaBearStark, poseidon2::Table> {
    let tables = poseidon2::Table::ALL;
    setup_with(circuit, &config(), &SetupOptions::new().with_npos(&tables))
        .expect("setup")
        .0
}

fn standalone(n: usize) -> (Air, p3_matrix::dense::RowMajorMatrix<KoalaBear>) {
    let constants = RoundConstants::new(
        KOALABEAR_POSEIDON2_RC_16_EXTERNAL_INITIAL,
        KOALABEAR_POSEIDON2_RC_16_INTERNAL,
        KOALABEAR_POSEIDON2_RC_16_EXTERNAL_FINAL,
    );
    let inputs = (0..n)
        .map(|i| std::array::from_fn(|j| KoalaBear::from_usize(i * WIDTH + j)))
        .collect();
    let trace = generate_trace_rows::<
        KoalaBear,
        GenericPoseidon2LinearLayersKoalaBear,
        WIDTH,
        3,
        0,
        4,
        20,
    >(inputs, &constants, 0);
    (Air::new(constants), trace)
}

fn bench(c: &mut Criterion) {
    for log_n in [10, 12, 14] {
        let n = 1 << log_n;
        for layout in [Layout::LanePerSlot, Layout::Packed] {
            let (circuit, traces) = chain(n, layout);
            let pk = proving_key(&circuit);
            let (proof, report) = prove_with_report(&pk, &traces).expect("prove");
            let chunks: Vec<usize> = proof
                .inner
                .opened_values
                .instances
                .iter()
                .map(|i| i.base_opened_values.quotient_chunks.len())
                .collect();
            println!("quotient chunks per table: {chunks:?}");
            let npo = report
                .tables
                .iter()
                .find(|t| t.entries == n)
                .expect("the permutation table");
            println!("--- {n} permutations, {layout:?}");
            print!("{report}");
            println!(
                "per permutation: 1 row, {} main + {} preprocessed + {} LogUp columns",
                npo.main_columns, npo.preprocessed_columns, npo.bus_columns
            );
        }
        let (air, trace) = standalone(n);
        let start = Instant::now();
        let proof = p3_uni_stark::prove(&config().stark, &air, trace, &[]).expect("p3 proves");
        println!(
            "p3-poseidon2-air alone, {n} permutations: {:.2?}, {} quotient chunks",
            start.elapsed(),
            proof.opened_values.quotient_chunks.len()
        );
    }

    let mut group = c.benchmark_group("poseidon2");
    group.sample_size(10);
    let n = 1 << 10;
    for layout in [Layout::LanePerSlot, Layout::Packed] {
        let (circuit, traces) = chain(n, layout);
        let pk = proving_key(&circuit);
        let id = BenchmarkId::new(format!("npo_table_prove_{layout:?}"), "2^10");
        group.bench_function(id, |b| {
            b.iter(|| prove_with_report(&pk, &traces).expect("prove"))
        });
    }
    group.bench_function(BenchmarkId::new("p3_poseidon2_air_prove", "2^10"), |b| {
        b.iter_with_setup(
            || standalone(n),
            |(air, trace)| p3_uni_stark::prove(&config().stark, &air, trace, &[]),
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
