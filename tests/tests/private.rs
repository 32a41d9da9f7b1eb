//! Private inputs: advice the runner takes from `set_private_inputs`, in the Witness table
//! only, refused by `build` when nothing constrains it, and proved like any other slot.

use fixpoint_circuit::{BuildError, CircuitBuilder, RunError};
use fixpoint_circuit_prover::{FriSettings, KoalaBearExt as E, ProverConfig, prove, setup, verify};
use p3_field::PrimeCharacteristicRing;

/// Knows x with x³ + x = y (y public).
fn circuit() -> fixpoint_circuit::Circuit<E> {
    let mut b = CircuitBuilder::<E>::new();
    let y = b.public_input();
    let x = b.private_input();
    let cube = b.exp_u64(x, 3);
    let sum = b.add(cube, x);
    b.connect(sum, y);
    b.build().unwrap()
}

#[test]
fn private_inputs_prove_without_a_public_lane() {
    let circuit = circuit();
    assert_eq!((circuit.public_count, circuit.private_count()), (1, 1));
    let mut runner = circuit.runner();
    runner.set_public_inputs(&[E::from_u32(30)]).unwrap();
    runner.set_private_inputs(&[E::from_u32(3)]).unwrap();
    let traces = runner.run().unwrap();
    assert_eq!(traces.public.rows.len(), 1);
    let config = ProverConfig::koala_bear(FriSettings::TEST);
    let (pk, vk) = setup(&circuit, &config).unwrap();
    let proof = prove(&pk, &traces).unwrap();
    verify(&vk, &[E::from_u32(30)], &proof).unwrap();
    assert!(verify(&vk, &[E::from_u32(31)], &proof).is_err());
}

#[test]
fn private_inputs_have_typed_errors() {
    let circuit = circuit();
    let mut runner = circuit.runner();
    runner.set_public_inputs(&[E::from_u32(30)]).unwrap();
    assert_eq!(
        runner.run().unwrap_err(),
        RunError::PrivateInputsNotSet { expected: 1 }
    );
    assert_eq!(
        runner.set_private_inputs(&[E::ONE, E::ONE]).unwrap_err(),
        RunError::PrivateInputCount {
            expected: 1,
            got: 2
        }
    );
    // A wrong private input fails the constraint that reads it.
    runner.set_private_inputs(&[E::from_u32(4)]).unwrap();
    assert!(matches!(
        runner.run(),
        Err(RunError::WitnessConflict { .. })
    ));
    // A private input that nothing constrains is refused by build.
    let mut b = CircuitBuilder::<E>::new();
    let _unused = b.private_input();
    assert!(matches!(
        b.build(),
        Err(BuildError::UnconstrainedHintOutput { .. })
    ));
}
