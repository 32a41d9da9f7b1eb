//! End-to-end tests, snapshots and the book's doctests for fixpoint.
//!
//! The library part holds the example circuits that tests, snapshots and the quickstart
//! example share, so each is written once. The book's chapters are included below as doc
//! comments: `cargo test` compiles and runs every Rust block in them, so the book cannot
//! drift from the code.

#![warn(missing_docs)]

pub mod airs;
pub mod hashed_row;
pub mod segments;

use fixpoint_circuit::{BuildError, Circuit, CircuitBuilder, Target, circuit};
use p3_field::Field;

/// FRI settings small enough for recursion tests to fit the CI budget: blowup 2, two
/// queries, no grinding, so 2 conjectured bits. Tests that check a result with
/// [`VerifyOptions`](fixpoint_circuit_prover::VerifyOptions) pass
/// [`VerifyOptions::ANY_SECURITY`](fixpoint_circuit_prover::VerifyOptions::ANY_SECURITY).
pub const TINY_FRI: fixpoint_circuit_prover::FriSettings = fixpoint_circuit_prover::FriSettings {
    log_blowup: 1,
    num_queries: 2,
    query_pow_bits: 0,
    commit_pow_bits: 0,
    max_log_arity: 1,
    log_final_poly_len: 0,
    batch_pow_bits: 0,
    cap_height: 0,
};

/// `37 · x − 111 = 0` with `x` the one public input (satisfied by `x = 3`), written with
/// [`circuit!`]; the book's first chapter writes the same circuit with builder calls.
///
/// ```
/// use p3_field::PrimeCharacteristicRing;
/// use p3_koala_bear::KoalaBear as F;
///
/// let circuit = fixpoint_tests::thirty_seven_x::<F>()?;
/// let mut runner = circuit.runner();
/// runner.set_public_inputs(&[F::from_u32(3)])?;
/// runner.run()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn thirty_seven_x<F: Field>() -> Result<Circuit<F>, BuildError<F>> {
    let mut b = CircuitBuilder::<F>::new();
    let x = b.public_input();
    circuit!(b, {
        37 * x - 111 == 0;
    });
    b.build()
}

/// Records the Fibonacci recurrence: public inputs `a, b, expected`; constrains the
/// `n`-th term (`F(0) = a`, `F(1) = b`) to equal `expected`. Returns the terms.
pub fn fibonacci_into<F: Field>(b: &mut CircuitBuilder<F>, n: usize) -> Vec<Target> {
    let first = b.public_input();
    let second = b.public_input();
    let expected = b.public_input();
    let mut terms = vec![first, second];
    b.scope("fib", |b| {
        for i in 2..=n.max(1) {
            let next = circuit!(b, terms[i - 2] + terms[i - 1]);
            terms.push(next);
        }
    });
    b.connect(terms[n], expected);
    terms
}

/// The Fibonacci circuit of [`fibonacci_into`], lowered.
///
/// ```
/// use p3_field::PrimeCharacteristicRing;
/// use p3_koala_bear::KoalaBear as F;
///
/// let circuit = fixpoint_tests::fibonacci::<F>(10)?;
/// let mut runner = circuit.runner();
/// runner.set_public_inputs(&[F::ZERO, F::ONE, F::from_u32(55)])?;
/// runner.run()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn fibonacci<F: Field>(n: usize) -> Result<Circuit<F>, BuildError<F>> {
    let mut b = CircuitBuilder::<F>::new();
    fibonacci_into(&mut b, n);
    b.build()
}

/// Whether a run was refused for the reason a soundness test asserts: a constraint under
/// the builder scope `scope_prefix` (such as `"batch-stark/terminal sum"`) does not hold.
/// A run that fails for any other reason (a missing input, an unset slot) does not count.
///
/// ```
/// use fixpoint_circuit::CircuitBuilder;
/// use p3_koala_bear::KoalaBear as F;
/// use p3_field::PrimeCharacteristicRing;
///
/// let mut b = CircuitBuilder::<F>::new();
/// let x = b.public_input();
/// b.scope("check", |b| {
///     let one = b.one();
///     let sum = b.add(x, one);
///     b.assert_zero(sum);
/// });
/// let circuit = b.build().unwrap();
/// let mut runner = circuit.runner();
/// runner.set_public_inputs(&[F::ONE]).unwrap();
/// let err = runner.run().unwrap_err();
/// assert!(fixpoint_tests::violates(&err, "check"));
/// assert!(!fixpoint_tests::violates(&err, "other"));
/// ```
pub fn violates<F: Field>(err: &fixpoint_circuit::RunError<F>, scope_prefix: &str) -> bool {
    err.violated_scope()
        .is_some_and(|scope| scope.starts_with(scope_prefix))
}

/// For malicious-prover tests on a Witness-table bus
/// ([`BusLayout::WitnessTable`](fixpoint_circuit_prover::BusLayout::WitnessTable)): adds
/// `delta` to witness slot `slot` consistently in the Witness table and in every
/// Public-table row that reads it, so that only the constraint under test (e.g. an NPO
/// row's body) can catch the forgery. On a virtual bus the Witness table holds nothing and
/// this changes only the Public rows: a test that also changes the slot's provider row
/// (an NPO row's output) forges it consistently there too.
pub fn forge_slot<F: Field>(
    traces: &mut fixpoint_circuit::Traces<F>,
    slot: fixpoint_circuit::WitnessId,
    delta: F,
) {
    traces.witness.values[slot.index()] += delta;
    for row in &mut traces.public.rows {
        if row.out == slot {
            row.val += delta;
        }
    }
}

/// Declares one `#[test]` per generic test function `name::<V>()` on each field family: a
/// module `koala_bear` with `V = KoalaBear` and one `baby_bear` with `V = BabyBear`, each
/// test calling `super::name::<V>()`. The calling crate must depend on
/// `fixpoint_circuit_prover`.
///
/// ```text
/// fn proves<V: fixpoint_circuit_prover::FieldFamily>() { /* ... */ }
/// fixpoint_tests::on_both_fields!(proves);
/// ```
#[macro_export]
macro_rules! on_both_fields {
    ($($name:ident),* $(,)?) => {
        mod koala_bear {
            use fixpoint_circuit_prover::KoalaBear as V;
            $(#[test] fn $name() { super::$name::<V>(); })*
        }
        mod baby_bear {
            use fixpoint_circuit_prover::BabyBear as V;
            $(#[test] fn $name() { super::$name::<V>(); })*
        }
    };
}

/// The book's chapter *The Execution IR*; its code blocks run as doctests.
#[doc = include_str!("../../book/src/execution-ir.md")]
pub mod book_execution_ir {}

/// Checks the book against the code: the book's printed outputs are fenced ```` ```text ````
/// blocks preceded by a marker line `<!-- output: NAME -->`; the chapter's code calls this
/// with what the code really prints.
pub mod book {
    const CHAPTERS: &[(&str, &str)] = &[
        (
            "execution-ir.md",
            include_str!("../../book/src/execution-ir.md"),
        ),
        (
            "tables-and-bus.md",
            include_str!("../../book/src/tables-and-bus.md"),
        ),
        ("macros.md", include_str!("../../book/src/macros.md")),
        (
            "non-primitive-ops.md",
            include_str!("../../book/src/non-primitive-ops.md"),
        ),
        (
            "fri-in-a-circuit.md",
            include_str!("../../book/src/fri-in-a-circuit.md"),
        ),
        ("recursion.md", include_str!("../../book/src/recursion.md")),
        (
            "aggregation.md",
            include_str!("../../book/src/aggregation.md"),
        ),
    ];

    /// The text block marked `<!-- output: name -->` in the book, if there is one.
    pub fn output_block(name: &str) -> Option<String> {
        let marker = format!("<!-- output: {name} -->");
        CHAPTERS.iter().find_map(|(_, text)| {
            let rest = &text[text.find(&marker)? + marker.len()..];
            let rest = &rest[rest.find("```text\n")? + "```text\n".len()..];
            Some(rest[..rest.find("```")?].to_owned())
        })
    }

    /// Panics unless the book's block `name` is exactly `printed` (trailing newlines aside).
    pub fn check_output(name: &str, printed: &str) {
        let Some(block) = output_block(name) else {
            panic!("the book has no block marked `<!-- output: {name} -->`");
        };
        assert_eq!(
            block.trim_end(),
            printed.trim_end(),
            "the book's block `{name}` differs from what the code prints"
        );
    }
}

/// The book's chapter *Tables and the LogUp bus*; its code blocks run as doctests.
#[doc = include_str!("../../book/src/tables-and-bus.md")]
pub mod book_tables_and_bus {}

/// The book's chapter *Writing circuits with macros*; its code blocks run as doctests.
#[doc = include_str!("../../book/src/macros.md")]
pub mod book_macros {}

/// The book's chapter *Non-primitive operations*; its code blocks run as doctests.
#[doc = include_str!("../../book/src/non-primitive-ops.md")]
pub mod book_non_primitive_ops {}

/// The book's chapter *Verifying FRI in a circuit*; its code blocks run as doctests.
#[doc = include_str!("../../book/src/fri-in-a-circuit.md")]
pub mod book_fri_in_a_circuit {}

/// The book's chapter *Recursion to a fixed point*; its code blocks run as doctests.
#[doc = include_str!("../../book/src/recursion.md")]
pub mod book_recursion {}

/// The book's chapter *Aggregation and segments*; its code blocks run as doctests.
#[doc = include_str!("../../book/src/aggregation.md")]
pub mod book_aggregation {}

/// The README's ten-line example, compiled and run by `cargo test`.
#[doc = include_str!("../../README.md")]
pub mod readme {}
