//! The quickstart: builds the `37 · x − 111 = 0` and Fibonacci circuits, prints their IR,
//! statistics and traces.
//!
//! Run with `cargo run --release --example quickstart`.

use std::error::Error;

use fixpoint_tests::{fibonacci, thirty_seven_x};
use p3_field::PrimeCharacteristicRing;
use p3_koala_bear::KoalaBear as F;

fn main() -> Result<(), Box<dyn Error>> {
    println!("# 37 · x − 111 = 0, x = 3\n");
    let circuit = thirty_seven_x::<F>()?;
    print!("{circuit}\n{}\n", circuit.stats());
    let mut runner = circuit.runner();
    runner.set_public_inputs(&[F::from_u32(3)])?;
    print!("{}", runner.run()?);
    println!("circuit id: {}", circuit.id());

    println!("\n# Fibonacci: F(0) = 0, F(1) = 1, F(10) = 55\n");
    let circuit = fibonacci::<F>(10)?;
    print!("{circuit}\n{}\n", circuit.stats());
    let mut runner = circuit.runner();
    runner.set_public_inputs(&[F::ZERO, F::ONE, F::from_u32(55)])?;
    print!("{}", runner.run()?);
    println!("circuit id: {}", circuit.id());

    println!("\n# A wrong claim is rejected: F(10) = 56\n");
    runner.set_public_inputs(&[F::ZERO, F::ONE, F::from_u32(56)])?;
    match runner.run() {
        Err(err) => println!("error: {err}"),
        Ok(_) => return Err("the runner accepted F(10) = 56".into()),
    }
    Ok(())
}
