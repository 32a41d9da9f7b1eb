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

#[test]
fn private_groups_are_filled_on_their_own_and_checked() {
    // Two knowledge-of-root gadgets, each its own group of one private input.
    let mut b = CircuitBuilder::<E>::new();
    let gadget = |b: &mut CircuitBuilder<E>| {
        let y = b.public_input();
        let (group, _) = b.private_group(|b| {
            let x = b.private_input();
            let square = b.square(x);
            b.connect(square, y);
        });
        group
    };
    let (first, second) = (gadget(&mut b), gadget(&mut b));
    let circuit = b.build().unwrap();
    assert_eq!(
        (first.first, first.len, second.first, second.len),
        (0, 1, 1, 1)
    );

    let mut runner = circuit.runner();
    runner
        .set_public_inputs(&[E::from_u32(49), E::from_u32(9)])
        .unwrap();
    // Too many values for a group, or a group past the circuit's inputs: typed, not a panic.
    assert_eq!(
        runner.set_private_group(&first, &[E::ONE, E::ONE]),
        Err(RunError::PrivateGroupSize {
            first: 0,
            len: 1,
            got: 2,
            count: 2
        })
    );
    let past = fixpoint_circuit::PrivateGroup { first: 2, len: 1 };
    assert!(matches!(
        runner.set_private_group(&past, &[E::ONE]),
        Err(RunError::PrivateGroupSize { first: 2, .. })
    ));
    // One group given: the other's input is named as missing.
    runner
        .set_private_group(&second, &[E::from_u32(3)])
        .unwrap();
    assert_eq!(
        runner.run().map(|_| ()),
        Err(RunError::PrivateInputNotSet { index: 0 })
    );
    runner.set_private_group(&first, &[E::from_u32(7)]).unwrap();
    runner.run().unwrap();
    // A wrong value in one group fails that gadget's constraint.
    runner.set_private_group(&first, &[E::from_u32(6)]).unwrap();
    assert!(matches!(
        runner.run(),
        Err(RunError::WitnessConflict { .. })
    ));
}
