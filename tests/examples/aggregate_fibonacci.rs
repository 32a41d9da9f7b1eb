//! Aggregation: a Fibonacci run of `--n` steps split into `--segments` segment proofs,
//! proved in parallel, then combined `--arity` at a time, level by level, until one proof
//! remains: the root, under the tree's node key, whose statement is
//! `(initial state, final state, total steps)`.
//!
//! ```text
//! cargo run --release --example aggregate_fibonacci -- --n 1048576 --segments 16 --arity 4
//! cargo run --release --example aggregate_fibonacci -- --segments 4 --out tree   # then: fixpoint verify-tree --bundle tree
//! ```
//!
//! Each segment's statement is a `Segment` (`fixpoint_tests::segments`): its pre-state,
//! post-state and step count. A node checks that its children chain (each one's post-state
//! the next one's pre-state) and that their keys are in the allow-list. When `--n` is not a
//! multiple of `--segments`, the last segment is longer and has a base key of its own: the
//! tree then aggregates proofs under two keys.
//!
//! The run prints the node key's fixed-point search, a table per tree level (nodes, prove
//! time per node, cells, proof size, peak memory) and the total wall time, against proving
//! the whole run as one circuit (`--whole`, on by default up to 2^21 steps).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use fixpoint_circuit_prover::{
    BabyBear, Ext, FieldFamily, FriSettings, KoalaBear, Proof, ProverConfig, Stark, VerifyOptions,
    VerifyingKey, prove, setup, verify,
};
use fixpoint_recursion::tree::{self, Leaf, LevelReport, TreeBundle, TreeOptions};
use fixpoint_tests::segments::{SegmentLengths, chain, segment_circuit, segment_from};
use p3_field::{BasedVectorSpace, PrimeCharacteristicRing};
use p3_maybe_rayon::prelude::*;

const USAGE: &str = "usage: aggregate_fibonacci [--field koala-bear|baby-bear] [--n STEPS] \
[--segments S] [--arity K] [--allow-depth D] [--log-blowup B] [--num-queries Q] [--max-log-arity A] \
[--log-final-poly-len F] [--query-pow-bits P] [--whole | --no-whole] [--out DIR] [--shrink] [--shrink-log-blowup B] [--shrink-queries Q] [--shrink-pow P] [--shrink-arity A] [--shrink-final-poly F]";

/// The command line.
struct Args {
    field: String,
    n: usize,
    segments: usize,
    arity: usize,
    allow_depth: usize,
    fri: FriSettings,
    /// Whether to prove the whole run as one circuit too, for comparison.
    whole: Option<bool>,
    out: Option<std::path::PathBuf>,
    /// The shrink layer's settings, when one is asked for.
    shrink: Option<FriSettings>,
}

fn parse() -> Result<Args, String> {
    let mut args = Args {
        field: "koala-bear".into(),
        n: 1 << 16,
        segments: 4,
        arity: 2,
        allow_depth: 3,
        fri: FriSettings::RECURSION,
        whole: None,
        out: None,
        shrink: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--help" | "-h" => return Err(USAGE.into()),
            "--whole" => {
                args.whole = Some(true);
                continue;
            }
            "--no-whole" => {
                args.whole = Some(false);
                continue;
            }
            "--shrink" => {
                args.shrink.get_or_insert(tree::SHRINK_124);
                continue;
            }
            _ => {}
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
            "--segments" => args.segments = number()?,
            "--arity" => args.arity = number()?,
            "--allow-depth" => args.allow_depth = number()?,
            "--log-blowup" => args.fri.log_blowup = number()?,
            "--num-queries" => args.fri.num_queries = number()?,
            "--max-log-arity" => args.fri.max_log_arity = number()?,
            "--log-final-poly-len" => args.fri.log_final_poly_len = number()?,
            "--query-pow-bits" => args.fri.query_pow_bits = number()?,
            "--out" => args.out = Some(value.into()),
            "--shrink-log-blowup" => {
                args.shrink.get_or_insert(tree::SHRINK_124).log_blowup = number()?
            }
            "--shrink-queries" => {
                args.shrink.get_or_insert(tree::SHRINK_124).num_queries = number()?
            }
            "--shrink-pow" => {
                args.shrink.get_or_insert(tree::SHRINK_124).query_pow_bits = number()?
            }
            "--shrink-arity" => {
                args.shrink.get_or_insert(tree::SHRINK_124).max_log_arity = number()?
            }
            "--shrink-final-poly" => {
                args.shrink
                    .get_or_insert(tree::SHRINK_124)
                    .log_final_poly_len = number()?
            }
            _ => return Err(format!("unknown flag {flag}\n{USAGE}")),
        }
    }
    args.fri.validate().map_err(|e| format!("{e}\n{USAGE}"))?;
    if let Some(shrink) = &args.shrink {
        shrink
            .validate()
            .map_err(|e| format!("the shrink settings: {e}\n{USAGE}"))?;
    }
    if args.segments == 0 || args.n < args.segments {
        return Err(format!(
            "--segments must be at least 1 and at most --n\n{USAGE}"
        ));
    }
    tree::tree_depth::<KoalaBear>(args.segments, args.arity)
        .map_err(|e| format!("{e}\n{USAGE}"))?;
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

/// The median of `times`.
fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

/// One segment's proof.
struct SegmentProof<V: FieldFamily> {
    /// The segment's position in the run.
    index: usize,
    proof: Proof<Stark<V>>,
    publics: Vec<Ext<V>>,
}

/// A base key and the proofs of its segments.
struct BaseProofs<V: FieldFamily> {
    vk: VerifyingKey<Stark<V>>,
    proofs: Vec<SegmentProof<V>>,
}

/// Proves the segments of `steps` steps at `indices` (their statements in `statements`).
fn prove_segments<V: FieldFamily>(
    steps: usize,
    indices: &[usize],
    statements: &[Vec<Ext<V>>],
    fri: FriSettings,
) -> Result<BaseProofs<V>, String> {
    let circuit = segment_circuit::<Ext<V>>(steps).map_err(|e| e.to_string())?;
    let (pk, vk) =
        setup(&circuit, &ProverConfig::<Stark<V>>::new(fri)).map_err(|e| e.to_string())?;
    let proofs = indices
        .par_iter()
        .map(|&i| {
            let mut runner = circuit.runner();
            runner
                .set_public_inputs(&statements[i])
                .map_err(|e| e.to_string())?;
            let traces = runner.run().map_err(|e| e.to_string())?;
            let proof = prove(&pk, &traces).map_err(|e| e.to_string())?;
            verify(&vk, &statements[i], &proof).map_err(|e| e.to_string())?;
            Ok(SegmentProof {
                index: i,
                proof,
                publics: statements[i].clone(),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(BaseProofs { vk, proofs })
}

fn run_field<V: FieldFamily>(args: &Args) -> Result<(), String>
where
    Ext<V>: fixpoint_circuit::CircuitField<PrimeSubfield = V>,
{
    println!(
        "fixpoint aggregation on {} — {} steps in {} segments, arity {}, {} conjectured bits (log_blowup {}, {} queries, query PoW {})",
        V::FIELD,
        args.n,
        args.segments,
        args.arity,
        args.fri.conjectured_security_bits(),
        args.fri.log_blowup,
        args.fri.num_queries,
        args.fri.query_pow_bits,
    );
    let total = Instant::now();
    // The segments: all of `n / segments` steps but the last, which takes the remainder too.
    let base_steps = args.n / args.segments;
    let last_steps = args.n - base_steps * (args.segments - 1);
    let mut statements = Vec::with_capacity(args.segments);
    let mut pre = [Ext::<V>::ZERO, Ext::<V>::ONE];
    for i in 0..args.segments {
        let steps = if i + 1 == args.segments {
            last_steps
        } else {
            base_steps
        };
        let values = segment_from(pre, steps);
        pre = [values[2], values[3]];
        statements.push(values);
    }
    let start = Instant::now();
    let mut groups = vec![(base_steps, (0..args.segments - 1).collect::<Vec<_>>())];
    if last_steps == base_steps {
        groups[0].1.push(args.segments - 1);
    } else {
        groups.push((last_steps, vec![args.segments - 1]));
    }
    groups.retain(|(_, indices)| !indices.is_empty());
    let bases: Vec<BaseProofs<V>> = groups
        .iter()
        .map(|(steps, indices)| prove_segments::<V>(*steps, indices, &statements, args.fri))
        .collect::<Result<_, _>>()?;
    println!(
        "segments: {} base proofs under {} key(s), proved in parallel in {:.2?} (peak {:.0} MB)",
        args.segments,
        bases.len(),
        start.elapsed(),
        peak_mb()
    );

    // The tree's keys: the lifts and the node key at its fixed point.
    let start = Instant::now();
    let options = TreeOptions {
        arity: args.arity,
        allow_depth: args.allow_depth,
        settings: args.fri,
    };
    let vks: Vec<&VerifyingKey<Stark<V>>> = bases.iter().map(|b| &b.vk).collect();
    let mut leaf_keys = vec![0; args.segments];
    if bases.len() == 2 {
        leaf_keys[args.segments - 1] = 1;
    }
    let groups = tree::groups_of(&leaf_keys, args.arity);
    let mut round = 0;
    let setup = tree::tree_setup(
        &vks,
        &groups,
        &SegmentLengths::default(),
        &chain::<V>(),
        options,
        |r| {
            round += 1;
            println!(
                "  setup round {round}: node circuit {}…, key {}…, set up in {:.2?}",
                &r.circuit_id.to_string()[..12],
                hex(&r.vk_hash),
                r.setup
            );
        },
    )
    .map_err(|e| fixpoint_circuit_prover::error::ErrorChain(&e).to_string())?;
    println!(
        "tree setup: the node key repeats from round {} ({:.2?}); allow-list of {} keys, depth {}",
        setup.rounds.len(),
        start.elapsed(),
        setup.allow_list.leaves.len(),
        setup.allow_list.depth
    );

    // The tree.
    let mut by_segment: Vec<Option<Leaf<'_, V>>> = (0..args.segments).map(|_| None).collect();
    for (b, base) in bases.iter().enumerate() {
        for p in &base.proofs {
            by_segment[p.index] = Some(Leaf {
                base: b,
                proof: &p.proof,
                publics: &p.publics,
            });
        }
    }
    let leaves: Vec<Leaf<'_, V>> = by_segment
        .into_iter()
        .map(|leaf| leaf.expect("every segment is proved"))
        .collect();
    let mut rows: Vec<(LevelReport, f64)> = Vec::new();
    let proved = tree::prove_tree(&setup, &leaves, |level| {
        println!(
            "  level {} ({}): {} proof(s) in {:.2?}",
            level.level,
            if level.level == 1 {
                "base nodes"
            } else {
                "nodes"
            },
            level.nodes,
            level.wall
        );
        rows.push((level.clone(), peak_mb()));
    })
    .map_err(|e| fixpoint_circuit_prover::error::ErrorChain(&e).to_string())?;
    let wall = total.elapsed();

    println!();
    println!(
        "level | kind  | nodes | prove / node | run / node | level wall | cells      | proof KB | peak MB"
    );
    for (r, peak) in &rows {
        println!(
            "{:>5} | {:<5} | {:>5} | {:>12.2?} | {:>10.2?} | {:>10.2?} | {:>10} | {:>8.1} | {:>7.0}",
            r.level,
            if r.level == 1 { "base" } else { "node" },
            r.nodes,
            median(&r.prove),
            median(&r.run),
            r.wall,
            r.cells,
            r.proof_bytes as f64 / 1024.0,
            peak
        );
    }
    println!();
    let root_statement: Vec<u64> = proved.publics[..5]
        .iter()
        .map(|x| x.as_basis_coefficients_slice()[0].as_canonical_u64())
        .collect();
    println!(
        "root: ({}, {}) → ({}, {}) over {} steps; {} bytes; total wall {:.2?} (setup included)",
        root_statement[0],
        root_statement[1],
        root_statement[2],
        root_statement[3],
        root_statement[4],
        proved.proof.to_bytes().len(),
        wall
    );

    // The root, checked as a third party would.
    let trusted = setup.trusted().map_err(|e| e.to_string())?;
    // A tree of one level ends on a base node's key, of two or more on the node key.
    let root_vk = &proved.vk;
    tree::verify_tree(
        &trusted,
        &proved.publics[..5],
        root_vk,
        &proved.publics,
        &proved.proof,
        &VerifyOptions::ANY_SECURITY,
    )
    .map_err(|e| e.to_string())?;
    println!(
        "verified with the trusted allow-list root and the key {}…",
        hex(&root_vk.hash())
    );

    if let Some(settings) = args.shrink {
        let start = Instant::now();
        let shrink = tree::shrink_setup(&setup, settings)
            .map_err(|e| fixpoint_circuit_prover::error::ErrorChain(&e).to_string())?;
        let setup_time = start.elapsed();
        let start = Instant::now();
        let shrunk = tree::prove_shrink(&shrink, &proved)
            .map_err(|e| fixpoint_circuit_prover::error::ErrorChain(&e).to_string())?;
        let prove_time = start.elapsed();
        let trusted = shrink.trusted(&setup).map_err(|e| e.to_string())?;
        tree::verify_shrunk(
            &trusted,
            &proved.publics[..5],
            &shrink.pk.vk,
            &shrunk.publics,
            &shrunk.proof,
            &VerifyOptions::ANY_SECURITY,
        )
        .map_err(|e| e.to_string())?;
        println!(
            "shrink layer: {} conjectured bits (log_blowup {}, {} queries, query PoW {}, max_log_arity {}, final poly {}): {} bytes, {} cells, set up in {:.2?}, proved in {:.2?} (peak {:.0} MB); verified",
            settings.conjectured_security_bits(),
            settings.log_blowup,
            settings.num_queries,
            settings.query_pow_bits,
            settings.max_log_arity,
            1 << settings.log_final_poly_len,
            shrunk.proof.to_bytes().len(),
            shrunk.report.trace_area(),
            setup_time,
            prove_time,
            peak_mb()
        );
    }

    if args.whole.unwrap_or(args.n <= 1 << 21) {
        let start = Instant::now();
        let whole = prove_segments::<V>(
            args.n,
            &[0],
            &[segment_from([Ext::<V>::ZERO, Ext::<V>::ONE], args.n)],
            args.fri,
        )?;
        drop(whole);
        println!(
            "the whole run as one circuit: set up and proved in {:.2?}, against {:.2?} for the tree (peak {:.0} MB)",
            start.elapsed(),
            wall,
            peak_mb()
        );
    }

    if let Some(dir) = &args.out {
        let bundle = TreeBundle::<V> {
            vk: proved.vk.clone(),
            proof: proved.proof,
            publics: proved.publics,
            trusted,
        };
        bundle.write(dir).map_err(|e| e.to_string())?;
        println!(
            "wrote the bundle to {}; check it with: fixpoint verify-tree --bundle {}",
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
