//! Recursion to a fixed point: prove a Fibonacci circuit of `--n` steps, then run recursion
//! layers, each a circuit that verifies the previous proof, and report what every layer
//! cost. From the layer whose circuit equals its predecessor's, the setup is reused. By
//! default the run stops at that layer (at most `--max-layers`, 12); `--layers L` runs
//! exactly `L` layers.
//!
//! ```text
//! cargo run --release --example recursive_fibonacci -- --n 10000 --layers 4
//! cargo run --release --example recursive_fibonacci -- --field baby-bear --max-log-arity 1 --log-final-poly-len 0
//! cargo run --release --example recursive_fibonacci -- --out result   # then: fixpoint verify-recursion --bundle result
//! ```
//!
//! With `--report`, the last layer's breakdown follows the per-layer table: cells per table
//! (preprocessed, main, LogUp, fill), the totals with and without LogUp, and the layer
//! circuit's ops per verifier component.
//!
//! Every layer proves on a virtual-witness bus (the defining ops provide the slots, and a
//! hint's outputs their first readers; see `fixpoint_circuit_prover::plan`), the default;
//! `--bus witness-table` proves them with a Witness table that provides every slot.
//!
//! With `--out DIR`, the result is written as a bundle (the final key, the proof, the
//! public inputs and the trusted key set, one file each) that the `fixpoint` command
//! verifies; `--save-circuit FILE` writes the base circuit for `fixpoint inspect`.

use std::process::ExitCode;
use std::time::Instant;

use fixpoint_circuit_prover::error::ErrorChain;

use fixpoint_circuit_prover::{
    BabyBear, BusLayout, Ext, FieldFamily, FriSettings, KoalaBear, ProverConfig, SetupOptions,
    Stark, prove, setup_with, verify,
};
use p3_field::PrimeCharacteristicRing;

const USAGE: &str = "usage: recursive_fibonacci [--field koala-bear|baby-bear] [--n STEPS] \
[--layers L | --max-layers M] [--log-blowup B] [--num-queries Q] [--max-log-arity A] [--log-final-poly-len F] \
[--query-pow-bits P] [--bus witness-table|virtual] [--report] [--out DIR] [--save-circuit FILE]";

/// The command line.
struct Args {
    field: String,
    n: usize,
    /// Exactly this many layers; `None` runs to the fixed point (at most `max_layers`).
    layers: Option<usize>,
    max_layers: usize,
    fri: FriSettings,
    /// Who provides the slots on the bus, for the base proof and (so) every layer.
    bus: BusLayout,
    report: bool,
    out: Option<std::path::PathBuf>,
    save_circuit: Option<std::path::PathBuf>,
}

fn parse() -> Result<Args, String> {
    let mut args = Args {
        field: "koala-bear".into(),
        n: 10_000,
        layers: None,
        max_layers: 12,
        fri: FriSettings::RECURSION,
        report: false,
        out: None,
        save_circuit: None,
        bus: BusLayout::Virtual,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            return Err(USAGE.into());
        }
        if flag == "--report" {
            args.report = true;
            continue;
        }
        let value = it
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let number = || {
            value
                .parse::<usize>()
                .map_err(|_| format!("{flag}: `{value}` is not a number\n{USAGE}"))
        };
        match flag.as_str() {
            "--field" => match value.as_str() {
                "koala-bear" | "baby-bear" => args.field = value.clone(),
                _ => return Err(format!("--field: `{value}` is not koala-bear or baby-bear")),
            },
            "--n" => args.n = number()?,
            "--layers" => args.layers = Some(number()?),
            "--max-layers" => args.max_layers = number()?,
            "--log-blowup" => args.fri.log_blowup = number()?,
            "--num-queries" => args.fri.num_queries = number()?,
            "--max-log-arity" => args.fri.max_log_arity = number()?,
            "--log-final-poly-len" => args.fri.log_final_poly_len = number()?,
            "--query-pow-bits" => args.fri.query_pow_bits = number()?,
            "--out" => args.out = Some(value.into()),
            "--save-circuit" => args.save_circuit = Some(value.into()),
            "--bus" => {
                args.bus = match value.as_str() {
                    "witness-table" => BusLayout::WitnessTable,
                    "virtual" => BusLayout::Virtual,
                    _ => return Err(format!("--bus: `{value}` is not witness-table or virtual")),
                }
            }
            _ => return Err(format!("unknown flag {flag}\n{USAGE}")),
        }
    }
    args.fri.validate().map_err(|e| format!("{e}\n{USAGE}"))?;
    if args.n < 2 || args.layers == Some(0) || args.max_layers == 0 {
        return Err(format!(
            "--n must be at least 2, and --layers and --max-layers at least 1\n{USAGE}"
        ));
    }
    Ok(args)
}

/// The process's peak resident memory so far, in MB (Linux; 0 elsewhere).
fn peak_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// A table's short name for the per-layer table.
fn table_name(name: &str) -> &str {
    match name {
        "npo#1" => "P2",
        "npo#2" => "Merkle",
        "npo#3" => "P2x4",
        "npo#4" => "Pack",
        "npo#6" => "Horner",
        other => other,
    }
}

/// The last layer's breakdown (`--report`): its proof report (cells per table, fill, the
/// totals with and without LogUp), its ops per verifier component and, at the fixed point,
/// its cells per verifier component.
fn print_breakdown<V: FieldFamily>(outcome: &fixpoint_recursion::layers::Outcome<V>) {
    use fixpoint_recursion::components::{ComponentCells, ComponentCounts};
    let Some(last) = outcome.reports.last() else {
        return;
    };
    println!();
    println!("=== BREAKDOWN of layer {} ===", last.layer);
    print!("{}", last.proof);
    println!("ops per verifier component:");
    print!("{}", ComponentCounts::of(&last.stats));
    // At the fixed point the next layer's circuit is the last layer's: rebuild it for its
    // ops' scopes.
    match fixpoint_recursion::layers::layer_circuit(&outcome.vk, true) {
        Ok(layer) if layer.circuit.id() == last.circuit_id => {
            println!("cells per verifier component:");
            print!("{}", ComponentCells::of(&layer.circuit, &last.proof));
            println!(
                "{} of {} Mul ops are products read once, as a summand (what a fused mul-add would absorb)",
                layer.circuit.mul_add_candidates(),
                last.stats.ops.muls,
            );
        }
        _ => println!("(cells per component need a fixed point: run more --layers)"),
    }
}

/// The run over field family `V`.
fn run_field<V: FieldFamily>(args: &Args) -> Result<(), String> {
    use fixpoint_circuit_prover::VerifyOptions;
    use fixpoint_circuit_prover::files::{self, FieldTag, FileKind};
    use fixpoint_recursion::layers::{
        LayerReport, recurse, recurse_to_fixed_point, verify_recursion,
    };

    let config = ProverConfig::<Stark<V>>::new(args.fri);
    println!(
        "fixpoint recursion on {} — {} conjectured bits (log_blowup {}, {} queries, query PoW {}, max_log_arity {}, final poly {})",
        config.field,
        args.fri.conjectured_security_bits(),
        args.fri.log_blowup,
        args.fri.num_queries,
        args.fri.query_pow_bits,
        args.fri.max_log_arity,
        1 << args.fri.log_final_poly_len,
    );

    // Layer 0: Fibonacci, written with the builder.
    let start = Instant::now();
    let base = fixpoint_tests::fibonacci::<Ext<V>>(args.n).map_err(|e| e.to_string())?;
    if let Some(path) = &args.save_circuit {
        let field = FieldTag::from_name(config.field).ok_or("unknown field")?;
        let bytes = files::encode_file(field, FileKind::Circuit, &base);
        std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("wrote the base circuit to {}", path.display());
    }
    let (mut x, mut y) = (V::ZERO, V::ONE);
    for _ in 0..args.n {
        (x, y) = (y, x + y);
    }
    let publics = [Ext::<V>::ZERO, Ext::<V>::ONE, Ext::<V>::from(x)];
    let options = SetupOptions::new().with_bus(args.bus);
    let (pk, vk) = setup_with(&base, &config, &options).map_err(|e| e.to_string())?;
    let mut runner = base.runner();
    runner
        .set_public_inputs(&publics)
        .map_err(|e| e.to_string())?;
    let traces = runner.run().map_err(|e| e.to_string())?;
    let proof = prove(&pk, &traces).map_err(|e| e.to_string())?;
    verify(&vk, &publics, &proof).map_err(|e| e.to_string())?;
    println!(
        "layer 0: Fibonacci of {} steps (F({}) = {}), {} ops, proved and verified in {:.2?}",
        args.n,
        args.n,
        x.as_canonical_u64(),
        base.ops.len(),
        start.elapsed()
    );

    let total = Instant::now();
    let mut rows: Vec<(LayerReport, f64)> = Vec::new();
    let planned = match args.layers {
        Some(layers) => format!("{layers}"),
        None => format!("fixed point, at most {}", args.max_layers),
    };
    let on_layer = |r: &LayerReport| {
        let peak = peak_mb();
        println!(
            "  [{}/{}] layer {} proved in {:.2?} ({:.1?} since the base){}",
            r.layer,
            planned,
            r.layer,
            r.prove,
            total.elapsed(),
            if r.fixed_point { ", setup reused" } else { "" }
        );
        rows.push((r.clone(), peak));
    };
    let outcome = match args.layers {
        Some(layers) => recurse(&vk, &proof, &publics, args.fri, layers, on_layer),
        None => recurse_to_fixed_point(&vk, &proof, &publics, args.fri, args.max_layers, on_layer),
    }
    .map_err(|e| ErrorChain(&e).to_string())?;

    println!();
    println!(
        "layer |   add |   mul |   npo |  hint | witness | rows per table                                                                                   | trace area | build  | run    | setup  | prove  | verify | proof KB | peak MB | bits"
    );
    for (r, peak) in &rows {
        let ops = &r.stats.ops;
        let tables: Vec<String> = r
            .proof
            .tables
            .iter()
            .map(|t| format!("{}:{}", table_name(&t.name), t.height))
            .collect();
        println!(
            "{:>5} | {:>5} | {:>5} | {:>5} | {:>5} | {:>7} | {:<96} | {:>10} | {:>6.2?} | {:>6.2?} | {:>6.2?} | {:>6.2?} | {:>6.2?} | {:>8.1} | {:>7.0} | {:>4}",
            r.layer,
            ops.adds,
            ops.muls,
            ops.npos,
            ops.hints,
            r.stats.witness_count,
            tables.join(" "),
            r.proof.trace_area(),
            r.build,
            r.run,
            r.setup,
            r.prove,
            r.verify,
            r.proof.proof_bytes as f64 / 1024.0,
            peak,
            r.proof.security_bits
        );
    }
    println!();
    match outcome.fixed_point_at {
        Some(layer) => println!(
            "FIXED POINT reached at layer {layer}: its circuit (id {}) and verifying key equal layer {}'s; every later layer reuses that setup.",
            hex(&outcome.reports[layer - 1].circuit_id.0),
            layer - 1
        ),
        None => println!(
            "no fixed point within {} layers: run more layers (--layers, --max-layers) to reach it.",
            outcome.reports.len()
        ),
    }
    if args.report {
        print_breakdown(&outcome);
    }
    // Check the result as a third party would: with the trusted key set only.
    let Some(bundle) = outcome.bundle() else {
        return match &args.out {
            Some(dir) => Err(format!(
                "no bundle written to {}: a trusted key set exists from the fixed point on (run more --layers or --max-layers)",
                dir.display()
            )),
            None => Ok(()),
        };
    };
    let bits = bundle.vk.fri.conjectured_security_bits();
    let options = VerifyOptions::default()
        .with_min_conjectured_bits(VerifyOptions::default().min_conjectured_bits.min(bits));
    verify_recursion(
        &bundle.trusted,
        &publics,
        &bundle.vk,
        &bundle.publics,
        &bundle.proof,
        &options,
    )
    .map_err(|e| ErrorChain(&e).to_string())?;
    println!(
        "the last proof (depth {}) verifies with only the trusted key set: the base key, {} key(s) below the fixed point and the fixed-point key {}.",
        outcome.reports.len(),
        bundle.trusted.below_fixed_point.len(),
        hex(&bundle.trusted.fixed_point)
    );
    if bits < VerifyOptions::default().min_conjectured_bits {
        println!(
            "note: {bits} conjectured bits is below the `fixpoint` command's default minimum of {}; pass --min-bits {bits} to verify this bundle.",
            VerifyOptions::default().min_conjectured_bits
        );
    }
    if let Some(dir) = &args.out {
        bundle.write(dir).map_err(|e| e.to_string())?;
        println!(
            "wrote the bundle to {}; check it with: fixpoint verify-recursion --bundle {}",
            dir.display(),
            dir.display()
        );
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let result = if args.field == "koala-bear" {
        run_field::<KoalaBear>(&args)
    } else {
        run_field::<BabyBear>(&args)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
