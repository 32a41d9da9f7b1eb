//! Every build and run error, provoked on purpose: each must be a typed error naming the
//! op, slot and scope — never a panic. Decoded verifying keys and proofs are in the
//! prover's tests (`prover/keys.rs`).

use fixpoint_circuit::{
    BuildError, Circuit, CircuitBuilder, IrError, LowerOptions, Op, OpId, OpKind, RunError,
    WitnessId,
};
use p3_field::PrimeCharacteristicRing;
use p3_koala_bear::KoalaBear as F;

fn w(i: u32) -> WitnessId {
    WitnessId(i)
}

fn raw(ops: Vec<Op<F>>, witness_count: u32, public_count: u32) -> Circuit<F> {
    Circuit {
        ops,
        witness_count,
        public_count,
        debug: Default::default(),
    }
}

#[test]
fn wrong_number_of_public_inputs_is_rejected() {
    let circuit = fixpoint_tests::thirty_seven_x::<F>().unwrap();
    let mut runner = circuit.runner();
    assert_eq!(
        runner.set_public_inputs(&[F::ONE, F::TWO]),
        Err(RunError::PublicInputCount {
            expected: 1,
            got: 2
        })
    );
}

#[test]
fn running_without_public_inputs_is_rejected() {
    let circuit = fixpoint_tests::thirty_seven_x::<F>().unwrap();
    assert_eq!(
        circuit.runner().run(),
        Err(RunError::PublicInputsNotSet { expected: 1 })
    );
}

#[test]
fn violated_op_names_op_slot_values_and_scope() {
    let mut b = CircuitBuilder::<F>::new();
    let x = b.public_input();
    let c37 = b.define_const(F::from_u32(37));
    let c111 = b.define_const(F::from_u32(111));
    b.scope("claim", |b| {
        let prod = b.mul(c37, x);
        b.connect(prod, c111);
    });
    let circuit = b.build().unwrap();
    let mut runner = circuit.runner();
    runner.set_public_inputs(&[F::from_u32(4)]).unwrap();
    let err = runner.run().unwrap_err();
    assert_eq!(
        err,
        RunError::WitnessConflict {
            op: OpId(3),
            kind: OpKind::Mul,
            slot: circuit.witness_of(c111).unwrap(),
            existing: F::from_u32(111),
            required: F::from_u32(148),
            scope: "claim".into(),
        }
    );
    let message = err.to_string();
    for part in ["op 3", "Mul", "claim", "111", "148"] {
        assert!(message.contains(part), "{message:?} lacks {part:?}");
    }
}

#[test]
fn division_by_a_zero_input_is_an_error() {
    let mut b = CircuitBuilder::<F>::new();
    let x = b.public_input();
    let inv = b.scope("invert", |b| b.inv(x));
    b.expose(inv);
    let circuit = b.build().unwrap();
    let mut runner = circuit.runner();
    runner.set_public_inputs(&[F::ZERO]).unwrap();
    assert_eq!(
        runner.run(),
        Err(RunError::DivisionByZero {
            op: OpId(2),
            slot: circuit.witness_of(inv).unwrap(),
            scope: "invert".into(),
        })
    );
}

#[test]
fn an_op_with_two_unknowns_reports_the_unset_slot() {
    let circuit = raw(
        vec![Op::Mul {
            a: w(0),
            b: w(1),
            out: w(2),
        }],
        3,
        0,
    );
    let mut runner = circuit.runner();
    runner.set_public_inputs(&[]).unwrap();
    assert_eq!(
        runner.run(),
        Err(RunError::UnsetSlot {
            op: OpId(0),
            kind: OpKind::Mul,
            slot: w(0),
            scope: String::new(),
        })
    );
}

#[test]
fn a_slot_no_op_defines_is_reported() {
    let circuit = raw(
        vec![Op::Const {
            out: w(0),
            val: F::ONE,
        }],
        2,
        0,
    );
    let mut runner = circuit.runner();
    runner.set_public_inputs(&[]).unwrap();
    assert_eq!(runner.run(), Err(RunError::SlotNeverDefined { slot: w(1) }));
}

#[test]
fn out_of_range_ids_are_errors_not_panics() {
    let circuit = raw(
        vec![Op::Const {
            out: w(9),
            val: F::ONE,
        }],
        1,
        0,
    );
    let mut runner = circuit.runner();
    runner.set_public_inputs(&[]).unwrap();
    assert!(matches!(
        runner.run(),
        Err(RunError::OutOfRange { op: OpId(0), .. })
    ));

    let circuit = raw(vec![Op::Public { out: w(0), pos: 3 }], 1, 1);
    let mut runner = circuit.runner();
    runner.set_public_inputs(&[F::ONE]).unwrap();
    assert!(matches!(
        runner.run(),
        Err(RunError::OutOfRange { op: OpId(0), .. })
    ));
}

#[test]
fn a_target_from_another_builder_is_rejected() {
    // Even one whose index exists in this builder too.
    let mut other = CircuitBuilder::<F>::new();
    let foreign = other.public_inputs(5)[0];
    let mut b = CircuitBuilder::<F>::new();
    let x = b.public_input();
    let y = b.scope("mix", |b| b.add(x, foreign));
    b.expose(y);
    assert_eq!(
        b.build().unwrap_err(),
        BuildError::UnknownTarget {
            target: foreign,
            scope: "mix".into()
        }
    );
}

#[test]
fn a_newer_target_of_a_clone_is_rejected() {
    let mut b = CircuitBuilder::<F>::new();
    let x = b.public_input();
    let mut clone = b.clone();
    let newer = clone.square(x);
    b.scope("use", |b| b.expose(newer));
    assert_eq!(
        b.build().unwrap_err(),
        BuildError::UnknownTarget {
            target: newer,
            scope: "use".into()
        }
    );
    // The clone itself is fine, and so is the original's target in the clone.
    clone.expose(newer);
    assert!(clone.build().is_ok());
}

#[test]
fn unbalanced_scopes_are_rejected() {
    let mut b = CircuitBuilder::<F>::new();
    b.push_scope("fri");
    b.push_scope("query");
    assert_eq!(
        b.build().unwrap_err(),
        BuildError::UnclosedScope {
            scope: "fri/query".into()
        }
    );
    let mut b = CircuitBuilder::<F>::new();
    b.pop_scope();
    assert_eq!(
        b.build().unwrap_err(),
        BuildError::UnmatchedPopScope { count: 1 }
    );
}

#[test]
fn conflicting_constants_and_constant_division_by_zero_are_build_errors() {
    let mut b = CircuitBuilder::<F>::new();
    let one = b.one();
    b.assert_zero(one);
    assert!(matches!(
        b.build().unwrap_err(),
        BuildError::ConflictingConstants { .. }
    ));
    // Without folding, the conflict is still found: it is a property of the classes.
    assert!(b.build_with(&LowerOptions::none()).is_err());

    let mut b = CircuitBuilder::<F>::new();
    let zero = b.zero();
    let inv = b.inv(zero);
    b.expose(inv);
    assert!(matches!(
        b.build().unwrap_err(),
        BuildError::DivisionByZero { .. }
    ));
}

/// Many values asserted zero share the zero constant's slot; that must not make the
/// ops that compute them read or write each other's values.
#[test]
fn two_hundred_independent_assert_zeros_all_hold() {
    for options in [LowerOptions::default(), LowerOptions::none()] {
        let mut b = CircuitBuilder::<F>::new();
        let mut inputs = Vec::new();
        for i in 0..200u32 {
            let x = b.public_input();
            let s = b.public_input();
            let square = b.square(x);
            let diff = b.sub(square, s);
            b.assert_zero(diff);
            let x_val = F::from_u32(i * 7 + 3);
            inputs.extend([x_val, x_val * x_val]);
        }
        let circuit = b.build_with(&options).unwrap();
        let mut runner = circuit.runner();
        runner.set_public_inputs(&inputs).unwrap();
        runner.run().unwrap();

        // And one wrong square among the 200 is caught.
        inputs[2 * 117 + 1] += F::ONE;
        runner.set_public_inputs(&inputs).unwrap();
        assert!(matches!(
            runner.run(),
            Err(RunError::WitnessConflict { .. })
        ));
    }
}

#[test]
fn ir_verifier_rejects_hand_broken_ir() {
    let cases: Vec<(Circuit<F>, IrError)> = vec![
        (
            raw(
                vec![Op::Const {
                    out: w(3),
                    val: F::ONE,
                }],
                1,
                0,
            ),
            IrError::WitnessOutOfRange {
                op: OpId(0),
                slot: w(3),
                witness_count: 1,
            },
        ),
        (
            raw(vec![Op::Public { out: w(0), pos: 2 }], 1, 1),
            IrError::PublicOutOfRange {
                op: OpId(0),
                pos: 2,
                public_count: 1,
            },
        ),
        (
            raw(vec![Op::Public { out: w(0), pos: 0 }], 1, 2),
            IrError::PublicInputUnused { pos: 1 },
        ),
        (
            raw(
                vec![
                    Op::Const {
                        out: w(0),
                        val: F::ONE,
                    },
                    Op::Add {
                        a: w(0),
                        b: w(1),
                        out: w(2),
                    },
                ],
                3,
                0,
            ),
            IrError::TooManyUnknowns {
                op: OpId(1),
                slot: w(1),
                unknown: 2,
            },
        ),
        (
            // x · x = 4 with x unknown: a square root, not solvable.
            raw(
                vec![
                    Op::Const {
                        out: w(0),
                        val: F::from_u32(4),
                    },
                    Op::Mul {
                        a: w(1),
                        b: w(1),
                        out: w(0),
                    },
                ],
                2,
                0,
            ),
            IrError::TooManyUnknowns {
                op: OpId(1),
                slot: w(1),
                unknown: 2,
            },
        ),
        (
            raw(
                vec![Op::Const {
                    out: w(0),
                    val: F::ONE,
                }],
                2,
                0,
            ),
            IrError::SlotNeverDefined { slot: w(1) },
        ),
        (
            // A hint reading a slot nothing defines.
            raw(
                vec![Op::Hint {
                    kind: fixpoint_circuit::HintKind::Inverse,
                    inputs: vec![w(0)],
                    outputs: vec![w(1)],
                }],
                2,
                0,
            ),
            IrError::InputUndefined {
                op: OpId(0),
                slot: w(0),
            },
        ),
    ];
    for (circuit, expected) in cases {
        assert_eq!(circuit.verify(), Err(expected));
    }

    let mut circuit = fixpoint_tests::thirty_seven_x::<F>().unwrap();
    assert!(circuit.verify().is_ok());
    circuit.debug.op_scopes.pop();
    assert!(matches!(circuit.verify(), Err(IrError::DebugInfo(_))));
}

#[test]
fn circuits_round_trip_through_serde() {
    let circuit = fixpoint_tests::fibonacci::<F>(10).unwrap();
    let bytes = postcard::to_allocvec(&circuit).unwrap();
    let back: Circuit<F> = postcard::from_bytes(&bytes).unwrap();
    assert_eq!(back, circuit);
    assert_eq!(back.id(), circuit.id());
    assert_ne!(
        circuit.id(),
        fixpoint_tests::fibonacci::<F>(11).unwrap().id()
    );
    // Truncated bytes are an error, not a panic.
    assert!(postcard::from_bytes::<Circuit<F>>(&bytes[..bytes.len() / 2]).is_err());
}
