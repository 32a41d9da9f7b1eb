//! The quickstart: builds the `37 · x − 111 = 0` and Fibonacci circuits, prints their IR,
//! statistics and traces, then proves and verifies both and prints what the proofs cost.
//!
//! Run with `cargo run --release --example quickstart`.

use std::error::Error;
use std::time::Instant;

use fixpoint_circuit::Circuit;
use fixpoint_circuit_prover::{
    FriSettings, KoalaBearExt as F, ProverConfig, prove_with_report, setup, verify,
};
use fixpoint_tests::{fibonacci, thirty_seven_x};
use p3_field::PrimeCharacteristicRing;

/// Runs, proves and verifies `circuit` on `publics`, printing the traces and the report.
fn run_and_prove(circuit: &Circuit<F>, publics: &[F]) -> Result<(), Box<dyn Error>> {
    print!("{circuit}\n{}\n", circuit.stats());
    let mut runner = circuit.runner();
    runner.set_public_inputs(publics)?;
    let traces = runner.run()?;
    print!("{traces}");
    println!("circuit id: {}\n", circuit.id());

    let config = ProverConfig::koala_bear(FriSettings::DEFAULT);
    let start = Instant::now();
    let (pk, vk) = setup(circuit, &config)?;
    let setup_time = start.elapsed();
    let (proof, report) = prove_with_report(&pk, &traces)?;
    let start = Instant::now();
    verify(&vk, publics, &proof)?;
    println!("setup: {setup_time:.2?}, verify: {:.2?}", start.elapsed());
    print!("{report}");
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    println!("# 37 · x − 111 = 0, x = 3\n");
    run_and_prove(&thirty_seven_x::<F>()?, &[F::from_u32(3)])?;

    println!("\n# Fibonacci: F(0) = 0, F(1) = 1, F(10) = 55\n");
    let circuit = fibonacci::<F>(10)?;
    run_and_prove(&circuit, &[F::ZERO, F::ONE, F::from_u32(55)])?;

    println!("\n# A wrong claim is rejected by the runner: F(10) = 56\n");
    let mut runner = circuit.runner();
    runner.set_public_inputs(&[F::ZERO, F::ONE, F::from_u32(56)])?;
    match runner.run() {
        Err(err) => println!("error: {err}"),
        Ok(_) => return Err("the runner accepted F(10) = 56".into()),
    }
    Ok(())
}
