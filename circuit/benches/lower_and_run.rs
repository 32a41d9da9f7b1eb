//! Lowering and running throughput for circuits of 2^16 and 2^20 ops: a Fibonacci chain
//! (one long dependency chain of `Add`s) and a random DAG of add/sub/mul/div.
//!
//! `cargo bench -p fixpoint-circuit --bench lower_and_run`
//!
//! Before timing, the bench prints the peak heap bytes per op of building, lowering and
//! running each circuit (measured with a counting allocator).

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use fixpoint_circuit::{CircuitBuilder, Target};
use p3_field::PrimeCharacteristicRing;
use p3_koala_bear::KoalaBear as F;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// Counts live heap bytes and their peak.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to `System` unchanged; the counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Builds a circuit of `n` computed ops and returns its public inputs.
type Make = fn(usize) -> (CircuitBuilder<F>, Vec<F>);

fn fibonacci(n: usize) -> (CircuitBuilder<F>, Vec<F>) {
    let mut b = CircuitBuilder::with_capacity(n + 3);
    let (mut x, mut y) = (b.public_input(), b.public_input());
    let (mut xv, mut yv) = (F::ZERO, F::ONE);
    for _ in 0..n {
        let z = b.add(x, y);
        (x, y) = (y, z);
        (xv, yv) = (yv, xv + yv);
    }
    let expected = b.public_input();
    b.connect(y, expected);
    (b, vec![F::ZERO, F::ONE, yv])
}

fn random_dag(n: usize) -> (CircuitBuilder<F>, Vec<F>) {
    let mut rng = SmallRng::seed_from_u64(0x5eed);
    let mut b = CircuitBuilder::with_capacity(n + 64);
    let inputs: Vec<F> = (0..8)
        .map(|_| F::from_u32(rng.random_range(1..1 << 30)))
        .collect();
    let mut nodes: Vec<Target> = b.public_inputs(inputs.len());
    for _ in 0..n {
        // Mostly recent operands (like real circuits), sometimes anything earlier.
        let pick = |rng: &mut SmallRng| {
            let back = if rng.random_bool(0.8) {
                rng.random_range(1..=nodes.len().min(16))
            } else {
                rng.random_range(1..=nodes.len())
            };
            nodes[nodes.len() - back]
        };
        let (x, y) = (pick(&mut rng), pick(&mut rng));
        let t = match rng.random_range(0..8) {
            0..=2 => b.add(x, y),
            3 => b.sub(x, y),
            4..=6 => b.mul(x, y),
            _ => b.mul(x, x),
        };
        nodes.push(t);
    }
    for &t in nodes.iter().rev().take(64) {
        b.expose(t);
    }
    (b, inputs)
}

fn peak_bytes_per_op(name: &str, make: Make, n: usize) {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let (builder, inputs) = make(n);
    let circuit = builder.build().expect("bench circuit builds");
    let build_peak = PEAK.load(Ordering::Relaxed) - base;
    drop(builder);
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let mut runner = circuit.runner();
    runner.set_public_inputs(&inputs).expect("input count");
    let traces = runner.run().expect("bench circuit runs");
    let run_peak = PEAK.load(Ordering::Relaxed) - base;
    let ops = circuit.ops.len();
    println!(
        "{name}/{n}: {ops} ops after lowering; peak heap: build+lower {:.1} B/op, run {:.1} B/op",
        build_peak as f64 / n as f64,
        run_peak as f64 / ops as f64,
    );
    black_box(traces);
}

fn bench(c: &mut Criterion) {
    let circuits: [(&str, Make); 2] = [("fibonacci", fibonacci), ("random_dag", random_dag)];
    for log_n in [16, 20] {
        for (name, make) in circuits {
            peak_bytes_per_op(name, make, 1 << log_n);
        }
    }
    for (name, make) in circuits {
        let mut lower = c.benchmark_group(format!("lower/{name}"));
        lower.sample_size(10);
        for log_n in [16, 20] {
            let n = 1usize << log_n;
            let (builder, _) = make(n);
            lower.throughput(Throughput::Elements(n as u64));
            lower.bench_with_input(
                BenchmarkId::from_parameter(format!("2^{log_n}")),
                &builder,
                |bch, builder| bch.iter(|| builder.build().expect("builds")),
            );
        }
        lower.finish();

        let mut run = c.benchmark_group(format!("run/{name}"));
        run.sample_size(10);
        for log_n in [16, 20] {
            let (builder, inputs) = make(1 << log_n);
            let circuit = builder.build().expect("builds");
            let mut runner = circuit.runner();
            runner.set_public_inputs(&inputs).expect("input count");
            run.throughput(Throughput::Elements(circuit.ops.len() as u64));
            run.bench_function(BenchmarkId::from_parameter(format!("2^{log_n}")), |bch| {
                bch.iter(|| runner.run().expect("runs"))
            });
        }
        run.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
