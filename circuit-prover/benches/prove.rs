//! Setup, prove and verify for Fibonacci circuits of 2^10, 2^14 and 2^18 ops (KoalaBear,
//! default 104-bit FRI settings).
//!
//! `cargo bench -p fixpoint-circuit-prover --bench prove`
//!
//! Before timing, prints each circuit's report (table shapes, trace area, proof size, time
//! split) and the cost of the bus: the same circuit with one lane per table against the
//! automatic lanes, and the Witness table's share of the trace area. Set
//! `FIXPOINT_SKIP_REPORTS=1` to skip them (they prove every size twice).

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use fixpoint_circuit::{Circuit, CircuitBuilder, Traces};
use fixpoint_circuit_prover::{
    FriSettings, KoalaBearExt as F, KoalaBearStark, Lanes, ProverConfig, SetupOptions, prove,
    prove_with_report, setup, setup_with, verify,
};
use p3_field::PrimeCharacteristicRing;
use tracing::span;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

fn fibonacci(n: usize) -> (Circuit<F>, Traces<F>, Vec<F>) {
    let mut b = CircuitBuilder::<F>::with_capacity(n + 3);
    let (mut x, mut y) = (b.public_input(), b.public_input());
    let (mut xv, mut yv) = (F::ZERO, F::ONE);
    for _ in 0..n {
        (x, y) = (y, b.add(x, y));
        (xv, yv) = (yv, xv + yv);
    }
    let expected = b.public_input();
    b.connect(y, expected);
    let circuit = b.build().expect("builds");
    let publics = vec![F::ZERO, F::ONE, yv];
    let traces = {
        let mut runner = circuit.runner();
        runner.set_public_inputs(&publics).expect("count");
        runner.run().expect("runs")
    };
    (circuit, traces, publics)
}

/// Sums the time spent inside each tracing span, by span name (p3's prover names its
/// phases: trace commitment, quotient, opening, …). Nested spans are counted in their
/// parents too.
#[derive(Default)]
struct SpanTimes {
    totals: Mutex<HashMap<&'static str, Duration>>,
}

struct Entered(Instant);

impl<S> Layer<S> for SpanTimes
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_enter(&self, id: &span::Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().replace(Entered(Instant::now()));
        }
    }

    fn on_exit(&self, id: &span::Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            if let Some(Entered(start)) = span.extensions_mut().remove::<Entered>() {
                *self.totals.lock().unwrap().entry(span.name()).or_default() += start.elapsed();
            }
        }
    }
}

/// Proves once with span timing on and prints where the time went.
fn print_time_split(pk: &fixpoint_circuit_prover::ProvingKey<KoalaBearStark>, traces: &Traces<F>) {
    let times = Arc::new(SpanTimes::default());
    let subscriber = tracing_subscriber::registry().with(SharedLayer(times.clone()));
    tracing::subscriber::with_default(subscriber, || prove(pk, traces).expect("prove"));
    let mut totals: Vec<_> = times.totals.lock().unwrap().clone().into_iter().collect();
    totals.sort_by_key(|entry| std::cmp::Reverse(entry.1));
    println!("time split (span: total, nested spans included in their parents):");
    for (name, time) in totals.iter().take(12) {
        println!("  {name:<40} {time:>10.2?}");
    }
}

/// `Arc<SpanTimes>` as a layer, so the totals can be read after the subscriber is gone.
struct SharedLayer(Arc<SpanTimes>);

impl<S> Layer<S> for SharedLayer
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_enter(&self, id: &span::Id, ctx: Context<'_, S>) {
        self.0.on_enter(id, ctx)
    }
    fn on_exit(&self, id: &span::Id, ctx: Context<'_, S>) {
        self.0.on_exit(id, ctx)
    }
}

fn config() -> ProverConfig<KoalaBearStark> {
    ProverConfig::koala_bear(FriSettings::DEFAULT)
}

fn print_reports() {
    for log_n in [10, 14, 18] {
        let (circuit, traces, _) = fibonacci(1 << log_n);
        for (name, lanes) in [
            ("auto lanes", Lanes::default()),
            ("1 lane", Lanes::uniform(1)),
        ] {
            let (pk, _) = setup_with(&circuit, &config(), &SetupOptions::new().with_lanes(lanes))
                .expect("setup");
            let (_, report) = prove_with_report(&pk, &traces).expect("prove");
            let witness = &report.tables[0];
            let witness_area =
                witness.height * (witness.main_columns + witness.preprocessed_columns);
            println!("--- fibonacci 2^{log_n}, {name}");
            print!("{report}");
            println!(
                "witness table share of the area: {:.1}%",
                100.0 * witness_area as f64 / report.trace_area() as f64
            );
            if name == "auto lanes" {
                print_time_split(&pk, &traces);
            }
        }
    }
}

fn bench(c: &mut Criterion) {
    if std::env::var_os("FIXPOINT_SKIP_REPORTS").is_none() {
        print_reports();
    }
    let mut group = c.benchmark_group("fibonacci");
    group.sample_size(10);
    for log_n in [10, 14, 18] {
        let (circuit, traces, publics) = fibonacci(1 << log_n);
        let id = |phase: &str| BenchmarkId::new(phase, format!("2^{log_n}"));
        group.bench_function(id("setup"), |b| {
            b.iter(|| setup(&circuit, &config()).expect("setup"))
        });
        let (pk, vk) = setup(&circuit, &config()).expect("setup");
        group.bench_function(id("prove"), |b| {
            b.iter(|| prove(&pk, &traces).expect("prove"))
        });
        let proof = prove(&pk, &traces).expect("prove");
        group.bench_function(id("verify"), |b| {
            b.iter(|| verify(&vk, &publics, &proof).expect("verify"))
        });
        black_box(proof);
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
