//! Property tests over random expression DAGs: the runner agrees with direct evaluation in
//! the field, lowering passes never change a value, and CSE never adds ops.

use fixpoint_circuit::{Circuit, CircuitBuilder, CircuitField, LowerOptions, Target};
use p3_baby_bear::BabyBear;
use p3_field::Field;
use p3_field::extension::BinomialExtensionField;
use p3_koala_bear::KoalaBear;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Step {
    Add(usize, usize),
    Sub(usize, usize),
    Mul(usize, usize),
    Div(usize, usize),
    Neg(usize),
    Const(u32),
    /// Recompute node `i` another way (`(t + k) − k`) and connect the two.
    Reconnect(usize, u32),
}

fn small_or_any() -> impl Strategy<Value = u32> {
    prop_oneof![0u32..4, any::<u32>()]
}

fn step() -> impl Strategy<Value = Step> {
    let i = any::<prop::sample::Index>();
    prop_oneof![
        (i.clone(), any::<prop::sample::Index>())
            .prop_map(|(a, b)| Step::Add(a.index(usize::MAX), b.index(usize::MAX))),
        (i.clone(), any::<prop::sample::Index>())
            .prop_map(|(a, b)| Step::Sub(a.index(usize::MAX), b.index(usize::MAX))),
        (i.clone(), any::<prop::sample::Index>())
            .prop_map(|(a, b)| Step::Mul(a.index(usize::MAX), b.index(usize::MAX))),
        (i.clone(), any::<prop::sample::Index>())
            .prop_map(|(a, b)| Step::Div(a.index(usize::MAX), b.index(usize::MAX))),
        i.clone().prop_map(|a| Step::Neg(a.index(usize::MAX))),
        small_or_any().prop_map(Step::Const),
        (i, small_or_any()).prop_map(|(a, k)| Step::Reconnect(a.index(usize::MAX), k)),
    ]
}

/// A random circuit and, for every target, its value by direct evaluation.
struct Case<F> {
    builder: CircuitBuilder<F>,
    targets: Vec<(Target, F)>,
    publics: Vec<F>,
    /// Some division is `x / 0` with `x ≠ 0`: no quotient exists, the inputs must be rejected.
    unsatisfiable: bool,
    /// Some division is `0 / 0`: any quotient satisfies `0 · q = 0`. Whether the runner
    /// finds one depends on whether another op pins `q`, so acceptance is not asserted.
    indeterminate: bool,
}

/// Records `steps` over public inputs `inputs`. A division by a value that is zero is
/// skipped unless `keep_zero_divisions` (the quotient then evaluates to 0).
fn build_case<F: Field>(
    inputs: &[u32],
    steps: &[Step],
    outputs: usize,
    keep_zero_divisions: bool,
) -> Case<F> {
    let (mut unsatisfiable, mut indeterminate) = (false, false);
    let mut b = CircuitBuilder::<F>::new();
    let mut nodes: Vec<(Target, F)> = Vec::new();
    let mut publics = Vec::new();
    for (i, &v) in inputs.iter().enumerate() {
        // Scaled by a power of the field's generator: in an extension field the inputs are
        // genuine extension elements, not embedded base values.
        let value = F::from_u32(v) * F::GENERATOR.exp_u64(i as u64);
        nodes.push((b.public_input(), value));
        publics.push(value);
    }
    for step in steps {
        let pick = |i: usize| nodes[i % nodes.len()];
        let node = match *step {
            Step::Add(i, j) => {
                let ((x, xv), (y, yv)) = (pick(i), pick(j));
                (b.add(x, y), xv + yv)
            }
            Step::Sub(i, j) => {
                let ((x, xv), (y, yv)) = (pick(i), pick(j));
                (b.sub(x, y), xv - yv)
            }
            Step::Mul(i, j) => {
                let ((x, xv), (y, yv)) = (pick(i), pick(j));
                (b.mul(x, y), xv * yv)
            }
            Step::Div(i, j) => {
                let ((x, xv), (y, yv)) = (pick(i), pick(j));
                match yv.try_inverse() {
                    Some(inv) => (b.div(x, y), xv * inv),
                    None if keep_zero_divisions => {
                        unsatisfiable |= !xv.is_zero();
                        indeterminate |= xv.is_zero();
                        (b.div(x, y), F::ZERO)
                    }
                    None => continue,
                }
            }
            Step::Neg(i) => {
                let (x, xv) = pick(i);
                (b.neg(x), -xv)
            }
            Step::Const(v) => (b.define_const(F::from_u32(v)), F::from_u32(v)),
            Step::Reconnect(i, k) => {
                let (x, xv) = pick(i);
                let k = b.define_const(F::from_u32(k));
                let up = b.add(x, k);
                let again = b.sub(up, k);
                b.connect(again, x);
                (again, xv)
            }
        };
        nodes.push(node);
    }
    // Bind the last few values to public outputs, and expose every third node.
    for &(t, v) in nodes.iter().rev().take(outputs) {
        let out = b.public_input();
        b.connect(t, out);
        publics.push(v);
    }
    for &(t, _) in nodes.iter().step_by(3) {
        b.expose(t);
    }
    Case {
        builder: b,
        targets: nodes,
        publics,
        unsatisfiable,
        indeterminate,
    }
}

/// Runs `circuit` and checks every surviving target against direct evaluation.
fn check_values<F: CircuitField>(
    circuit: &Circuit<F>,
    case: &Case<F>,
) -> Result<Vec<Option<F>>, TestCaseError> {
    let mut runner = circuit.runner();
    runner.set_public_inputs(&case.publics).unwrap();
    let traces = runner
        .run()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut values = Vec::new();
    for &(t, expected) in &case.targets {
        let value = circuit
            .witness_of(t)
            .and_then(|slot| traces.witness.get(slot));
        if let Some(value) = value {
            prop_assert_eq!(value, expected, "target {}", t);
        }
        values.push(value);
    }
    Ok(values)
}

fn check_case<F: CircuitField>(
    inputs: &[u32],
    steps: &[Step],
    outputs: usize,
) -> Result<(), TestCaseError> {
    let case = build_case::<F>(inputs, steps, outputs, false);
    let optimised = case
        .builder
        .build()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let plain = case
        .builder
        .build_with(&LowerOptions::none())
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let on = check_values(&optimised, &case)?;
    let off = check_values(&plain, &case)?;
    // With every pass off, every target keeps a slot.
    prop_assert!(off.iter().all(Option::is_some));
    for (a, b) in on.iter().zip(&off) {
        if let (Some(a), Some(b)) = (a, b) {
            prop_assert_eq!(a, b);
        }
    }
    let without_cse = case
        .builder
        .build_with(&LowerOptions {
            cse: false,
            ..LowerOptions::default()
        })
        .unwrap();
    prop_assert!(optimised.ops.len() <= without_cse.ops.len());
    prop_assert!(optimised.ops.len() <= plain.ops.len());
    prop_assert!(optimised.verify().is_ok() && plain.verify().is_ok());
    Ok(())
}

/// Whether lowering with `options` then running accepts the case (a build error rejects).
fn accepts<F: CircuitField>(case: &Case<F>, options: &LowerOptions) -> bool {
    let Ok(circuit) = case.builder.build_with(options) else {
        return false;
    };
    let mut runner = circuit.runner();
    runner.set_public_inputs(&case.publics).unwrap();
    runner.run().is_ok()
}

/// Lowering never changes which inputs a circuit accepts, even when a division by zero
/// leaves a quotient that nothing reads.
fn check_acceptance<F: CircuitField>(
    inputs: &[u32],
    steps: &[Step],
    outputs: usize,
) -> Result<(), TestCaseError> {
    let case = build_case::<F>(inputs, steps, outputs, true);
    let (on, off) = (
        accepts(&case, &LowerOptions::default()),
        accepts(&case, &LowerOptions::none()),
    );
    if case.unsatisfiable {
        prop_assert!(
            !on && !off,
            "x / 0 with x ≠ 0 accepted (passes on: {on}, off: {off})"
        );
    } else if !case.indeterminate {
        prop_assert!(
            on && off,
            "valid inputs rejected (passes on: {on}, off: {off})"
        );
    }
    Ok(())
}

/// Both checks of one case.
fn check<F>(inputs: &[u32], steps: &[Step], outputs: usize) -> Result<(), TestCaseError>
where
    F: CircuitField,
{
    check_case::<F>(inputs, steps, outputs)?;
    check_acceptance::<F>(inputs, steps, outputs)
}

// One property test per field: both 31-bit fields and their degree-4 extensions.
proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_dags_koala_bear(
        inputs in prop::collection::vec(small_or_any(), 1..4),
        steps in prop::collection::vec(step(), 0..40),
        outputs in 0usize..4,
    ) {
        check::<KoalaBear>(&inputs, &steps, outputs)?;
    }

    #[test]
    fn random_dags_baby_bear(
        inputs in prop::collection::vec(small_or_any(), 1..4),
        steps in prop::collection::vec(step(), 0..40),
        outputs in 0usize..4,
    ) {
        check::<BabyBear>(&inputs, &steps, outputs)?;
    }

    #[test]
    fn random_dags_koala_bear_extension(
        inputs in prop::collection::vec(small_or_any(), 1..4),
        steps in prop::collection::vec(step(), 0..40),
        outputs in 0usize..4,
    ) {
        check::<BinomialExtensionField<KoalaBear, 4>>(&inputs, &steps, outputs)?;
    }

    #[test]
    fn random_dags_baby_bear_extension(
        inputs in prop::collection::vec(small_or_any(), 1..4),
        steps in prop::collection::vec(step(), 0..40),
        outputs in 0usize..4,
    ) {
        check::<BinomialExtensionField<BabyBear, 4>>(&inputs, &steps, outputs)?;
    }
}
