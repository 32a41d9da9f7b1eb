//! IR and trace dumps pinned as reviewed `insta` snapshots: a change in lowering or
//! printing shows up as a readable diff.

use fixpoint_circuit::{CircuitBuilder, LowerOptions};
use fixpoint_tests::{fibonacci, thirty_seven_x};
use p3_field::PrimeCharacteristicRing;
use p3_koala_bear::KoalaBear as F;

#[test]
fn thirty_seven_x_ir_and_traces() {
    let circuit = thirty_seven_x::<F>().unwrap();
    insta::assert_snapshot!("thirty_seven_x_ir", circuit.to_string());
    let mut runner = circuit.runner();
    runner.set_public_inputs(&[F::from_u32(3)]).unwrap();
    insta::assert_snapshot!("thirty_seven_x_traces", runner.run().unwrap().to_string());
}

#[test]
fn fibonacci_10_ir_and_traces() {
    let circuit = fibonacci::<F>(10).unwrap();
    insta::assert_snapshot!("fibonacci_10_ir", format!("{circuit:#}"));
    let mut runner = circuit.runner();
    runner
        .set_public_inputs(&[F::ZERO, F::ONE, F::from_u32(55)])
        .unwrap();
    insta::assert_snapshot!("fibonacci_10_traces", runner.run().unwrap().to_string());
}

/// A circuit full of redundancy: a constant expression, identities, a repeated product
/// with its operands swapped, an unused value and an asserted difference.
fn redundant() -> CircuitBuilder<F> {
    let mut b = CircuitBuilder::<F>::new();
    let x = b.public_input();
    let y = b.public_input();
    let z = b.public_input();
    let two = b.define_const(F::TWO);
    let three = b.define_const(F::from_u32(3));
    let six = b.mul(two, three); // folds to 6
    let zero = b.zero();
    let x0 = b.add(x, zero); // x + 0 = x
    let one = b.one();
    let y1 = b.mul(y, one); // y · 1 = y
    let xy = b.mul(x0, y1);
    let yx = b.mul(y, x); // the same product: CSE
    let sum = b.add(xy, yx);
    let scaled = b.mul(sum, six);
    let unused = b.mul(scaled, scaled); // nothing reads it: removed
    let _ = unused;
    let diff = b.sub(scaled, z);
    b.assert_zero(diff); // becomes connect(scaled, z)
    b
}

#[test]
fn folding_and_cse_before_and_after() {
    let b = redundant();
    let before = b.build_with(&LowerOptions::none()).unwrap();
    let after = b.build().unwrap();
    insta::assert_snapshot!("redundant_before", before.to_string());
    insta::assert_snapshot!("redundant_after", after.to_string());
    assert!(after.ops.len() < before.ops.len());
    // Both accept the same inputs: 6 · (x·y + y·x) = z.
    let (x, y) = (F::from_u32(5), F::from_u32(7));
    let z = F::from_u32(6) * (x * y + y * x);
    for circuit in [&before, &after] {
        let mut runner = circuit.runner();
        runner.set_public_inputs(&[x, y, z]).unwrap();
        runner.run().unwrap();
    }
}

#[test]
fn dot_of_a_small_circuit() {
    let circuit = thirty_seven_x::<F>().unwrap();
    insta::assert_snapshot!("thirty_seven_x_dot", circuit.to_dot().unwrap());
}

/// The book shows a compile error; it must be the one the compiler really prints (the
/// trybuild case checks that).
#[test]
fn the_books_macro_error_is_the_compile_fail_tests_error() {
    fixpoint_tests::book::check_output(
        "xor-error",
        include_str!("../../macros/tests/ui/xor_power.stderr"),
    );
}
