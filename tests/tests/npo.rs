//! The non-primitive op interface, circuit side: NPOs are data in the IR, executed by
//! executors registered by kind, with private data per call and typed errors.

use fixpoint_circuit::{BuildError, CircuitBuilder, HintKind, NpoKind, Op, RunError};
use fixpoint_circuit_prover::{FriSettings, KoalaBearExt, ProverConfig, SetupError, setup};
use p3_field::PrimeCharacteristicRing;
use p3_koala_bear::KoalaBear as F;

const POW7: NpoKind = NpoKind(2000);
const SUM_WITH_SECRET: NpoKind = NpoKind(2001);

fn pow7_circuit() -> fixpoint_circuit::Circuit<F> {
    let mut b = CircuitBuilder::<F>::new();
    let x = b.public_input();
    let y = b.public_input();
    let call = b.scope("pow7", |b| b.npo(POW7, &[x], 1, 0));
    let unused = b.npo(POW7, &[y], 1, 0); // never removed: its table proves it
    assert_eq!(unused.id.0, 1);
    b.connect(call.outputs[0], y);
    b.build().unwrap()
}

#[test]
fn npos_are_data_in_the_ir_and_are_never_removed() {
    let circuit = pow7_circuit();
    let npos: Vec<_> = circuit
        .ops
        .iter()
        .filter(|op| matches!(op, Op::Npo { .. }))
        .collect();
    assert_eq!(npos.len(), 2);
    assert_eq!(circuit.stats().ops.npos, 2);
    insta::assert_snapshot!("npo_pow7_ir", format!("{circuit:#}"));
    // Plain data: serialises and keeps its id.
    let bytes = postcard::to_allocvec(&circuit).unwrap();
    let back: fixpoint_circuit::Circuit<F> = postcard::from_bytes(&bytes).unwrap();
    assert_eq!(back.id(), circuit.id());
}

#[test]
fn executors_run_npos_and_their_outputs_are_checked() {
    let circuit = pow7_circuit();
    let mut runner = circuit.runner();
    runner.register_npo(POW7, |inputs, _| Ok(vec![inputs[0].exp_u64(7)]));
    runner
        .set_public_inputs(&[F::TWO, F::from_u32(128)])
        .unwrap();
    let traces = runner.run().unwrap();
    assert_eq!(traces.npo.len(), 2);
    assert_eq!(traces.npo[0].outputs, vec![F::from_u32(128)]);
    // 2^7 ≠ 129: the output is connected to a public input, and an NPO is a constraint.
    runner
        .set_public_inputs(&[F::TWO, F::from_u32(129)])
        .unwrap();
    assert!(matches!(
        runner.run(),
        Err(RunError::WitnessConflict { .. })
    ));
}

#[test]
fn missing_executors_and_private_data_are_typed_errors() {
    let mut b = CircuitBuilder::<F>::new();
    let x = b.public_input();
    let call = b.npo(SUM_WITH_SECRET, &[x], 1, 2);
    b.expose(call.outputs[0]);
    let circuit = b.build().unwrap();

    let mut runner = circuit.runner();
    runner.set_public_inputs(&[F::ONE]).unwrap();
    assert!(matches!(
        runner.run(),
        Err(RunError::PrivateDataMissing { expected: 2, .. })
    ));
    runner.set_private_data(call.id, vec![F::ONE]);
    assert!(matches!(
        runner.run(),
        Err(RunError::PrivateDataSize {
            expected: 2,
            got: 1,
            ..
        })
    ));
    runner.set_private_data(call.id, vec![F::ONE, F::TWO]);
    assert!(matches!(
        runner.run(),
        Err(RunError::MissingNpoExecutor {
            kind: SUM_WITH_SECRET,
            ..
        })
    ));
    runner.register_npo(SUM_WITH_SECRET, |inputs, private| {
        Ok(vec![inputs[0] + private.iter().copied().sum::<F>()])
    });
    let traces = runner.run().unwrap();
    let out = circuit.witness_of(call.outputs[0]).unwrap();
    assert_eq!(traces.witness.get(out), Some(F::from_u32(4)));
    runner.register_npo(SUM_WITH_SECRET, |_, _| Ok(vec![]));
    assert!(matches!(runner.run(), Err(RunError::NpoFailed { .. })));
}

#[test]
fn hint_advice_fed_only_to_an_npo_counts_as_constrained() {
    let mut b = CircuitBuilder::<F>::new();
    let x = b.public_input();
    let advice = b.hint(HintKind::Inverse, &[x], 1)[0];
    let call = b.npo(POW7, &[advice], 1, 0);
    b.expose(call.outputs[0]);
    assert!(b.build().is_ok());
    // Without the NPO the same advice is refused.
    let mut b = CircuitBuilder::<F>::new();
    let x = b.public_input();
    b.hint(HintKind::Inverse, &[x], 1);
    assert!(matches!(
        b.build(),
        Err(BuildError::UnconstrainedHintOutput { .. })
    ));
}

#[test]
fn the_prover_refuses_npos_it_has_no_table_for() {
    let mut b = CircuitBuilder::<KoalaBearExt>::new();
    let x = b.public_input();
    let call = b.npo(POW7, &[x], 1, 0);
    b.expose(call.outputs[0]);
    let circuit = b.build().unwrap();
    let config = ProverConfig::koala_bear(FriSettings::TEST);
    assert!(matches!(
        setup(&circuit, &config),
        Err(SetupError::UnsupportedNpo { kind: POW7 })
    ));
}
