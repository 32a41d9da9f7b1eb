//! `circuit!` produces exactly the IR of the equivalent hand-written builder calls (same
//! content hash), and `#[derive(CircuitIo)]` allocates and flattens in one order.

use fixpoint_circuit::{
    Circuit, CircuitBuilder, CircuitIo, IoError, SetIoError, Target, VecLengths, circuit,
};
use fixpoint_circuit_prover::{FriSettings, KoalaBearExt, ProverConfig, prove, setup, verify};
use p3_field::PrimeCharacteristicRing;
use p3_koala_bear::KoalaBear as F;
use proptest::prelude::*;

/// Builds the same circuit twice and checks the IR, the dump and the content hash agree.
fn same_ir(by_macro: Circuit<F>, by_hand: Circuit<F>) -> Circuit<F> {
    assert_eq!(by_macro.to_string(), by_hand.to_string());
    assert_eq!(by_macro.id(), by_hand.id());
    by_macro
}

#[test]
fn thirty_seven_x_by_macro_equals_by_hand() {
    let by_macro = {
        let mut b = CircuitBuilder::<F>::new();
        let x = b.public_input();
        circuit!(b, {
            37 * x - 111 == 0;
        });
        b.build().unwrap()
    };
    let by_hand = {
        let mut b = CircuitBuilder::<F>::new();
        let x = b.public_input();
        let c37 = b.define_const(F::from_u32(37));
        let prod = b.mul(c37, x);
        let c111 = b.define_const(F::from_u32(111));
        let diff = b.sub(prod, c111);
        b.assert_zero(diff);
        b.build().unwrap()
    };
    let circuit = same_ir(by_macro, by_hand);
    insta::assert_snapshot!("macro_thirty_seven_x", circuit.to_string());
}

#[test]
fn fibonacci_loop_by_macro_equals_by_hand() {
    let by_macro = {
        let mut b = CircuitBuilder::<F>::new();
        let (mut x, mut y, expected) = (b.public_input(), b.public_input(), b.public_input());
        circuit!(b, {
            for _ in 0..9 {
                let next = x + y;
                x = y;
                y = next;
            }
            y == expected;
        });
        b.build().unwrap()
    };
    let by_hand = fixpoint_tests::fibonacci::<F>(10).unwrap();
    // Scopes differ (the hand-written one names its loop) but the program is the same.
    assert_eq!(by_macro.ops, by_hand.ops);
    assert_eq!(by_macro.id(), by_hand.id());
    insta::assert_snapshot!("macro_fibonacci_10", by_macro.to_string());
}

#[test]
fn polynomial_program_in_one_line() {
    // a0³ + 2·a1² − 3·a0 + 2 − b = 0
    let by_macro = {
        let mut b = CircuitBuilder::<F>::new();
        let (a0, a1, out) = (b.public_input(), b.public_input(), b.public_input());
        circuit!(b, {
            a0.pow(3) + 2 * a1.pow(2) - 3 * a0 + 2 - out == 0;
        });
        b.build().unwrap()
    };
    let by_hand = {
        let mut b = CircuitBuilder::<F>::new();
        let (a0, a1, out) = (b.public_input(), b.public_input(), b.public_input());
        let cube = b.exp_u64(a0, 3);
        let two = b.const_u64(2);
        let sq = b.exp_u64(a1, 2);
        let t1 = b.mul(two, sq);
        let s1 = b.add(cube, t1);
        let three = b.const_u64(3);
        let t2 = b.mul(three, a0);
        let s2 = b.sub(s1, t2);
        let two_again = b.const_u64(2);
        let s3 = b.add(s2, two_again);
        let s4 = b.sub(s3, out);
        let zero = b.const_u64(0);
        b.assert_eq(s4, zero);
        b.build().unwrap()
    };
    let circuit = same_ir(by_macro, by_hand);
    insta::assert_snapshot!("macro_polynomial", circuit.to_string());
    let mut runner = circuit.runner();
    let (a0, a1) = (F::from_u32(5), F::from_u32(7));
    let out = a0 * a0 * a0 + F::TWO * a1 * a1 - F::from_u32(3) * a0 + F::TWO;
    runner.set_public_inputs(&[a0, a1, out]).unwrap();
    runner.run().unwrap();
}

#[test]
fn gadgets_and_constraint_macros_by_macro_equal_by_hand() {
    let by_macro = {
        let mut b = CircuitBuilder::<F>::new();
        let (c, x, y) = (b.public_input(), b.public_input(), b.public_input());
        circuit!(b, {
            assert_bool!(c);
            let picked = select(c, x.square(), -y / x);
            let z = exp(picked, 5) * const { F::from_u32(9) } + x.inv();
            assert_nonzero!(y);
            assert_eq!(z, (x + 1) * (y - 2));
        });
        b.build().unwrap()
    };
    let by_hand = {
        let mut b = CircuitBuilder::<F>::new();
        let (c, x, y) = (b.public_input(), b.public_input(), b.public_input());
        b.assert_bool(c);
        let sq = b.square(x);
        let ny = b.neg(y);
        let q = b.div(ny, x);
        let picked = b.select(c, sq, q);
        let p5 = b.exp_u64(picked, 5);
        let nine = b.define_const(F::from_u32(9));
        let t = b.mul(p5, nine);
        let xi = b.inv(x);
        let z = b.add(t, xi);
        b.assert_nonzero(y);
        let one = b.const_u64(1);
        let l = b.add(x, one);
        let two = b.const_u64(2);
        let r = b.sub(y, two);
        let rhs = b.mul(l, r);
        b.assert_eq(z, rhs);
        b.build().unwrap()
    };
    same_ir(by_macro, by_hand);
}

#[test]
fn an_expression_body_returns_its_target() {
    let mut b = CircuitBuilder::<F>::new();
    let x = b.public_input();
    let y = circuit!(b, (x + 1) * x);
    b.expose(y);
    let circuit = b.build().unwrap();
    let mut runner = circuit.runner();
    runner.set_public_inputs(&[F::from_u32(4)]).unwrap();
    let traces = runner.run().unwrap();
    assert_eq!(
        traces.witness.get(circuit.witness_of(y).unwrap()),
        Some(F::from_u32(20))
    );
}

#[derive(CircuitIo)]
struct Point {
    x: Target,
    y: Target,
}

#[derive(CircuitIo)]
struct Claim {
    start: Point,
    coeffs: [Target; 3],
    history: Vec<Target>,
    path: Vec<Point>,
    end: Target,
}

fn claim_lengths(history: usize, path: usize) -> ClaimLengths {
    ClaimLengths {
        history: VecLengths::of(history),
        path: VecLengths::of(path),
        ..Default::default()
    }
}

fn claim_values(seed: u32, history: usize, path: usize) -> ClaimValues<F> {
    let mut next = seed;
    let mut v = move || {
        next = next.wrapping_mul(1_103_515_245).wrapping_add(12_345) >> 1;
        F::from_u32(next)
    };
    ClaimValues {
        start: PointValues { x: v(), y: v() },
        coeffs: [v(), v(), v()],
        history: (0..history).map(|_| v()).collect(),
        path: (0..path).map(|_| PointValues { x: v(), y: v() }).collect(),
        end: v(),
    }
}

proptest! {
    #[test]
    fn allocation_order_equals_flattening_order(seed in any::<u32>(), history in 0usize..5, path in 0usize..4) {
        let mut b = CircuitBuilder::<F>::new();
        let claim = Claim::allocate(&mut b, &claim_lengths(history, path));
        let targets = claim.targets();
        // Allocation order is creation order: the targets come out strictly increasing.
        prop_assert!(targets.windows(2).all(|w| w[0].index() < w[1].index()));
        prop_assert_eq!(targets.len(), b.public_count());
        for &t in &targets {
            b.expose(t);
        }
        let circuit = b.build().unwrap();
        let values = claim_values(seed, history, path);
        let flat = claim.flatten(&values).unwrap();
        let mut runner = circuit.runner();
        runner.set_public_io(&claim, &values).unwrap();
        let traces = runner.run().unwrap();
        // The k-th allocated target holds the k-th flattened value.
        for (k, t) in targets.iter().enumerate() {
            prop_assert_eq!(traces.witness.get(circuit.witness_of(*t).unwrap()), Some(flat[k]));
        }
        // Spot-check the nesting by name.
        prop_assert_eq!(traces.witness.get(circuit.witness_of(claim.start.y).unwrap()), Some(values.start.y));
        if let (Some(p), Some(pv)) = (claim.path.last(), values.path.last()) {
            prop_assert_eq!(traces.witness.get(circuit.witness_of(p.x).unwrap()), Some(pv.x));
        }
    }
}

#[test]
fn a_wrong_vec_length_is_a_typed_error() {
    let mut b = CircuitBuilder::<F>::new();
    let claim = Claim::allocate(&mut b, &claim_lengths(2, 1));
    let circuit = b.build().unwrap();
    let mut runner = circuit.runner();
    let values = claim_values(1, 3, 1);
    assert_eq!(
        runner.set_public_io(&claim, &values),
        Err(SetIoError::Io(IoError::LengthMismatch {
            field: "history".into(),
            expected: 2,
            got: 3
        }))
    );
    let values = claim_values(1, 2, 0);
    assert!(matches!(
        runner.set_public_io(&claim, &values),
        Err(SetIoError::Io(IoError::LengthMismatch { ref field, .. })) if field == "path"
    ));
}

#[test]
fn typed_inputs_must_cover_every_public_input() {
    let mut b = CircuitBuilder::<F>::new();
    b.public_input(); // an input outside the struct
    let point = Point::allocate(&mut b, &PointLengths::default());
    let circuit = b.build().unwrap();
    let mut runner = circuit.runner();
    let err = runner.set_public_io(
        &point,
        &PointValues {
            x: F::ONE,
            y: F::TWO,
        },
    );
    assert_eq!(
        err,
        Err(SetIoError::Io(IoError::PublicCount {
            expected: 3,
            got: 2
        }))
    );
}

#[test]
fn a_circuit_with_derived_inputs_runs_and_proves() {
    type E = KoalaBearExt;
    let mut b = CircuitBuilder::<E>::new();
    let claim = Claim::allocate(&mut b, &claim_lengths(2, 2));
    let Claim {
        start,
        coeffs,
        history,
        path,
        end,
    } = &claim;
    let (start, coeffs, history, path, end) = (start, *coeffs, history.clone(), path, *end);
    circuit!(b, {
        // end = c0·x + c1·y + c2 + Σ history + Σ path.x·path.y
        let mut acc = coeffs[0] * start.x + coeffs[1] * start.y + coeffs[2];
        for h in &history {
            acc = acc + *h;
        }
        for p in path {
            acc = acc + p.x * p.y;
        }
        acc == end;
    });
    let circuit = b.build().unwrap();
    let v = |n: u32| E::from_u32(n);
    let mut values = ClaimValues {
        start: PointValues { x: v(2), y: v(3) },
        coeffs: [v(5), v(7), v(11)],
        history: vec![v(1), v(2)],
        path: vec![
            PointValues { x: v(3), y: v(4) },
            PointValues { x: v(5), y: v(6) },
        ],
        end: v(0),
    };
    values.end = v(10 + 21 + 11 + 3 + 12 + 30);
    let mut runner = circuit.runner();
    runner.set_public_io(&claim, &values).unwrap();
    let traces = runner.run().unwrap();
    let (pk, vk) = setup(&circuit, &ProverConfig::koala_bear(FriSettings::TEST)).unwrap();
    let proof = prove(&pk, &traces).unwrap();
    let publics = claim.flatten(&values).unwrap();
    verify(&vk, &publics, &proof).unwrap();
}

#[derive(CircuitIo)]
struct Opening {
    row: Vec<Target>,
    next: Option<Vec<Target>>,
    terminal: Option<Target>,
    chunks: Vec<Point>,
}

fn opening_lengths(next: bool, chunks: usize) -> OpeningLengths {
    OpeningLengths {
        row: VecLengths::of(3),
        next: next.then(|| VecLengths::of(3)),
        terminal: Some(()),
        chunks: VecLengths::of(chunks),
    }
}

fn opening_values(next: bool, chunks: usize) -> OpeningValues<F> {
    let v = |k: u32| F::from_u32(k + 1);
    OpeningValues {
        row: vec![v(0), v(1), v(2)],
        next: next.then(|| vec![v(3), v(4), v(5)]),
        terminal: Some(v(6)),
        chunks: (0..chunks as u32)
            .map(|c| PointValues {
                x: v(7 + 2 * c),
                y: v(8 + 2 * c),
            })
            .collect(),
    }
}

#[test]
fn private_inputs_are_allocated_and_assigned_from_their_lengths() {
    for (next, chunks) in [(true, 2), (false, 1), (false, 0)] {
        let lengths = opening_lengths(next, chunks);
        let mut b = CircuitBuilder::<F>::new();
        let (group, opening) = b.private_group(|b| Opening::allocate_private(b, &lengths));
        assert_eq!(b.public_count(), 0);
        let targets = opening.targets();
        assert_eq!(targets.len(), 4 + 3 * usize::from(next) + 2 * chunks);
        let values = opening_values(next, chunks);
        // Assigned from the lengths alone, the values are in allocation order: the same
        // vector as flattening against the targets.
        let flat = Opening::flatten_shaped(&values, &lengths).unwrap();
        // The lint wants every private input constrained: their product is pinned.
        let product = targets[1..]
            .iter()
            .fold(targets[0], |acc, &t| b.mul(acc, t));
        let expected = b.define_const(flat.iter().copied().product());
        b.assert_eq(product, expected);
        let circuit = b.build().unwrap();
        assert_eq!(flat, opening.flatten(&values).unwrap());
        let mut runner = circuit.runner();
        runner.set_public_inputs(&[]).unwrap();
        runner.set_private_group(&group, &flat).unwrap();
        let traces = runner.run().unwrap();
        for (t, value) in targets.iter().zip(&flat) {
            assert_eq!(
                traces.witness.get(circuit.witness_of(*t).unwrap()),
                Some(*value)
            );
        }
    }
}

#[test]
fn values_of_another_shape_are_typed_errors() {
    let lengths = opening_lengths(true, 2);
    // An optional piece missing from the values.
    assert_eq!(
        Opening::flatten_shaped(&opening_values(false, 2), &lengths),
        Err(IoError::PresenceMismatch {
            field: "next".into(),
            expected: true,
            got: false
        })
    );
    // One present that the shape has not.
    let mut values = opening_values(true, 2);
    let absent = OpeningLengths {
        terminal: None,
        ..lengths.clone()
    };
    assert_eq!(
        Opening::flatten_shaped(&values, &absent),
        Err(IoError::PresenceMismatch {
            field: "terminal".into(),
            expected: false,
            got: true
        })
    );
    // A Vec of another length, named by its path.
    values.next.as_mut().unwrap().pop();
    assert_eq!(
        Opening::flatten_shaped(&values, &lengths),
        Err(IoError::LengthMismatch {
            field: "next".into(),
            expected: 3,
            got: 2
        })
    );
    assert_eq!(
        Opening::flatten_shaped(&opening_values(true, 3), &lengths),
        Err(IoError::LengthMismatch {
            field: "chunks".into(),
            expected: 2,
            got: 3
        })
    );
}
