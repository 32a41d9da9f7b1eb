//! Hints and the gadgets built on them: honest values pass, and advice that breaks the
//! gadget's constraints (a non-canonical decomposition, an out-of-range value, an
//! unconstrained output) is rejected.

use fixpoint_circuit::{
    BuildError, Circuit, CircuitBuilder, CircuitField, HintError, HintKind, LowerOptions, Op,
    RunError, max_range_bits,
};
use fixpoint_circuit_prover::{CircuitStark, FriSettings, KoalaBearExt, prove, setup, verify};
use p3_baby_bear::BabyBear;
use p3_field::{Field, PrimeCharacteristicRing, PrimeField64};
use p3_koala_bear::KoalaBear;

fn run<F: CircuitField>(circuit: &Circuit<F>, publics: &[F]) -> Result<(), RunError<F>> {
    let mut runner = circuit.runner();
    runner.set_public_inputs(publics)?;
    runner.run().map(|_| ())
}

/// Replaces every hint of `kind` by user hint 99, whose executor the caller supplies:
/// the malicious advice a prover could give.
fn with_user_hint<F: Clone>(circuit: &Circuit<F>, kind: HintKind) -> Circuit<F> {
    let mut evil = circuit.clone();
    for op in &mut evil.ops {
        if let Op::Hint { kind: k, .. } = op {
            if *k == kind {
                *k = HintKind::User(99);
            }
        }
    }
    evil
}

fn bits_of<F: Field>(value: u64, n: usize) -> Vec<F> {
    (0..n)
        .map(|i| F::from_bool((value >> i) & 1 == 1))
        .collect()
}

fn canonical_decomposition_cases<F: PrimeField64 + CircuitField>() {
    let p = F::ORDER_U64;
    let n = 64 - p.leading_zeros() as usize;
    let mut b = CircuitBuilder::<F>::new();
    let x = b.public_input();
    let bits = b.to_bits_canonical(x);
    assert_eq!(bits.len(), 31);
    let circuit = b.build().unwrap();
    // p − 1 is ones then zeros on both fields: the check costs one product per leading one
    // of p − 1 (7 on KoalaBear, 4 on BabyBear) plus one, beside the 31 booleanity squares.
    let leading_ones = ((p - 1) >> (p - 1).trailing_zeros()).count_ones() as usize;
    assert_eq!(circuit.stats().ops.muls, 31 + leading_ones + 1);
    for v in [0, 1, 5, p / 2, p - 1] {
        run(&circuit, &[F::from_u64(v)]).unwrap();
    }

    // x = 5 has a second 31-bit representation, 5 + p < 2^31: booleans and recomposition
    // accept it (it is 5 mod p); only the canonicity check rejects it.
    assert!(5 + p < 1 << n);
    let evil = with_user_hint(&circuit, HintKind::BitsLe { bits: n as u8 });
    // Every value with a second representation, down to the largest, `2^n − 1 − p`.
    for v in [0, 1, 5, (1 << n) - 1 - p] {
        let mut runner = evil.runner();
        runner.register_hint(99, move |_| Ok(bits_of(v + p, n)));
        runner.set_public_inputs(&[F::from_u64(v)]).unwrap();
        assert!(
            matches!(runner.run(), Err(RunError::WitnessConflict { .. })),
            "{v} + p accepted"
        );
    }
    // The same advice is accepted without the canonicity check (it is the check that
    // rejects, not the bits or the sum). Booleanity and recomposition pin no single bit
    // alone, so the loose bits are vouched for like the library's own.
    let mut b = CircuitBuilder::<F>::new();
    let x = b.public_input();
    let hinted = b.hint_vouched(HintKind::User(99), &[x], n);
    let mut acc = b.zero();
    for (i, &bit) in hinted.iter().enumerate() {
        b.assert_bool(bit);
        let weight = b.const_u64(1 << i);
        let term = b.mul(bit, weight);
        acc = b.add(acc, term);
    }
    b.connect(acc, x);
    let loose = b.build().unwrap();
    let mut runner = loose.runner();
    runner.register_hint(99, move |_| Ok(bits_of(5 + p, n)));
    runner.set_public_inputs(&[F::from_u64(5)]).unwrap();
    runner.run().unwrap();
}

#[test]
fn non_canonical_decomposition_is_rejected_koala_bear() {
    canonical_decomposition_cases::<KoalaBear>();
}

#[test]
fn non_canonical_decomposition_is_rejected_baby_bear() {
    canonical_decomposition_cases::<BabyBear>();
}

#[test]
fn range_checks_accept_in_range_and_reject_out_of_range() {
    type F = KoalaBear;
    assert_eq!(max_range_bits::<F>(), 30);
    let mut b = CircuitBuilder::<F>::new();
    let x = b.public_input();
    b.range_check(x, 8);
    let circuit = b.build().unwrap();
    run(&circuit, &[F::from_u32(255)]).unwrap();
    // The honest hint refuses 256…
    assert!(matches!(
        run(&circuit, &[F::from_u32(256)]),
        Err(RunError::HintFailed {
            source: HintError::TooWide {
                value: 256,
                bits: 8
            },
            ..
        })
    ));
    // …and advice of 8 bits (256 mod 2^8 = 0) fails the recomposition.
    let evil = with_user_hint(&circuit, HintKind::BitsLe { bits: 8 });
    let mut runner = evil.runner();
    runner.register_hint(99, |_| Ok(vec![F::ZERO; 8]));
    runner.set_public_inputs(&[F::from_u32(256)]).unwrap();
    assert!(matches!(
        runner.run(),
        Err(RunError::WitnessConflict { .. })
    ));
}

#[test]
fn lt_compares() {
    type F = KoalaBear;
    let mut b = CircuitBuilder::<F>::new();
    let (x, y) = (b.public_input(), b.public_input());
    let less = b.lt(x, y, 16);
    let expected = b.public_input();
    b.connect(less, expected);
    let circuit = b.build().unwrap();
    for (x, y) in [
        (0u32, 0u32),
        (3, 4),
        (4, 3),
        (65535, 0),
        (0, 65535),
        (1000, 1000),
    ] {
        let lt = F::from_bool(x < y);
        run(&circuit, &[F::from_u32(x), F::from_u32(y), lt]).unwrap();
        assert!(run(&circuit, &[F::from_u32(x), F::from_u32(y), F::ONE - lt]).is_err());
    }
}

#[test]
fn horner_and_powers_match_native_evaluation() {
    type F = KoalaBear;
    let mut b = CircuitBuilder::<F>::new();
    let x = b.public_input();
    let coeffs = b.public_inputs(4);
    let poly = b.horner(&coeffs, x);
    let power = b.exp_power_of_2(x, 5);
    let (p_out, e_out) = (b.public_input(), b.public_input());
    b.connect(poly, p_out);
    b.connect(power, e_out);
    let circuit = b.build().unwrap();
    let xv = F::from_u32(3);
    let cs = [5u32, 7, 11, 13].map(F::from_u32);
    let native = cs[0] + cs[1] * xv + cs[2] * xv * xv + cs[3] * xv * xv * xv;
    let mut publics = vec![xv];
    publics.extend(cs);
    publics.extend([native, xv.exp_u64(32)]);
    run(&circuit, &publics).unwrap();
}

#[test]
fn extension_coordinates_round_trip_and_are_bound() {
    type E = KoalaBearExt;
    let mut b = CircuitBuilder::<E>::new();
    let x = b.public_input();
    let coeffs = b.to_base_coeffs(x);
    let outs = b.public_inputs(4);
    for (c, o) in coeffs.iter().zip(&outs) {
        b.connect(*c, *o);
    }
    let circuit = b.build().unwrap();
    let value = E::GENERATOR.exp_u64(12345);
    let coords: Vec<E> =
        <E as p3_field::BasedVectorSpace<KoalaBear>>::as_basis_coefficients_slice(&value)
            .iter()
            .map(|&c| E::from(c))
            .collect();
    let mut publics = vec![value];
    publics.extend(&coords);
    run(&circuit, &publics).unwrap();
    // The coefficient slots are fixed by the public inputs, so the runner keeps those
    // values over the hint's advice: only the constraints can refuse a wrong coefficient.
    publics[1] += E::ONE;
    assert!(matches!(
        run(&circuit, &publics),
        Err(RunError::WitnessConflict { .. })
    ));
    // A non-base coefficient (with the others adjusted so the sum still matches) fails the
    // canonical decomposition that binds it to the base field.
    let x_basis = <E as p3_field::BasedVectorSpace<KoalaBear>>::ith_basis_element(1).unwrap();
    let mut forged = vec![value];
    forged.extend(&coords);
    forged[1] += x_basis; // c0 += X …
    forged[2] -= E::ONE; // … c1 −= 1: Σ cᵢ·Xⁱ is unchanged
    assert!(run(&circuit, &forged).is_err());
}

#[test]
fn unconstrained_hint_outputs_are_a_build_error() {
    type F = KoalaBear;
    let mut b = CircuitBuilder::<F>::new();
    let x = b.public_input();
    let outs = b.scope("advice", |b| b.hint(HintKind::User(1), &[x], 2));
    let checked = b.mul(outs[0], x);
    b.connect(checked, x);
    b.expose(outs[1]); // exposing is reading, not constraining
    assert_eq!(
        b.build().unwrap_err(),
        BuildError::UnconstrainedHintOutput {
            kind: HintKind::User(1),
            output: 1,
            scope: "advice".into()
        }
    );

    // Advice read only by another hint is still unconstrained.
    let mut b = CircuitBuilder::<F>::new();
    let x = b.public_input();
    let h = b.hint(HintKind::User(1), &[x], 1)[0];
    let g = b.hint(HintKind::User(2), &[h], 1)[0];
    let s = b.square(g);
    b.connect(s, x);
    assert!(matches!(
        b.build(),
        Err(BuildError::UnconstrainedHintOutput {
            kind: HintKind::User(1),
            ..
        })
    ));

    // Read by an op whose own result nothing constrains (only exposed): unconstrained,
    // whichever passes run.
    for options in [LowerOptions::default(), LowerOptions::none()] {
        let mut b = CircuitBuilder::<F>::new();
        let x = b.public_input();
        let h = b.hint(HintKind::User(1), &[x], 1)[0];
        let y = b.add(h, x);
        b.expose(y);
        assert!(matches!(
            b.build_with(&options),
            Err(BuildError::UnconstrainedHintOutput { .. })
        ));
    }

    // Two pieces of advice made equal are still unconstrained.
    let mut b = CircuitBuilder::<F>::new();
    let x = b.public_input();
    let first = b.hint(HintKind::User(1), &[x], 1)[0];
    let second = b.hint(HintKind::User(2), &[x], 1)[0];
    b.connect(first, second);
    assert!(matches!(
        b.build(),
        Err(BuildError::UnconstrainedHintOutput { .. })
    ));

    // Advice tied to a public input is constrained (the Public op reads the slot).
    let mut b = CircuitBuilder::<F>::new();
    let x = b.public_input();
    let y = b.public_input();
    let advice = b.hint(HintKind::User(1), &[x], 1)[0];
    b.connect(advice, y);
    assert!(b.build().is_ok());

    // A hint nobody uses at all is refused as well.
    let mut b = CircuitBuilder::<F>::new();
    let x = b.public_input();
    b.hint(HintKind::Inverse, &[x], 1);
    assert!(matches!(
        b.build(),
        Err(BuildError::UnconstrainedHintOutput { .. })
    ));
}

#[test]
fn hint_outputs_must_be_determined_one_unknown_at_a_time() {
    type F = KoalaBear;
    // h₁ + h₂ = x is read by a constraint, but (3, 7) and (4, 6) both fit x = 10.
    let mut b = CircuitBuilder::<F>::new();
    let x = b.public_input();
    let h1 = b.scope("advice", |b| b.hint(HintKind::User(1), &[x], 1)[0]);
    let h2 = b.hint(HintKind::User(2), &[x], 1)[0];
    let sum = b.add(h1, h2);
    b.connect(sum, x);
    let err = b.build().unwrap_err();
    assert_eq!(
        err,
        BuildError::UndeterminedHintOutput {
            kind: HintKind::User(1),
            output: 0,
            scope: "advice".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "output 0 of a User(1) hint (in scope `advice`) is determined by no constraint \
         (solving one unknown at a time)"
    );
    // Tying one summand to a public input determines the other.
    let y = b.public_input();
    b.connect(h2, y);
    let circuit = b.build().unwrap();
    let mut runner = circuit.runner();
    runner.register_hint(1, |xs| Ok(vec![xs[0] - F::from_u32(7)]));
    runner.register_hint(2, |_| Ok(vec![F::from_u32(7)]));
    runner
        .set_public_inputs(&[F::from_u32(10), F::from_u32(7)])
        .unwrap();
    runner.run().unwrap();

    // h · 2 = x: dividing by a nonzero constant determines h.
    let mut b = CircuitBuilder::<F>::new();
    let x = b.public_input();
    let h = b.hint(HintKind::User(1), &[x], 1)[0];
    let two = b.define_const(F::TWO);
    let doubled = b.mul(h, two);
    b.connect(doubled, x);
    let circuit = b.build().unwrap();
    let mut runner = circuit.runner();
    runner.register_hint(1, |xs| Ok(vec![xs[0] / F::TWO]));
    runner.set_public_inputs(&[F::from_u32(10)]).unwrap();
    runner.run().unwrap();

    // h · 0 = x says nothing about h. Folding removes the op, so nothing reads h at all;
    // without folding the op stays and reads h, but does not determine it.
    let zero_factor = |options: &LowerOptions| {
        let mut b = CircuitBuilder::<F>::new();
        let x = b.public_input();
        let h = b.hint(HintKind::User(1), &[x], 1)[0];
        let zero = b.zero();
        let product = b.mul(h, zero);
        b.connect(product, x);
        b.build_with(options)
    };
    assert!(matches!(
        zero_factor(&LowerOptions::default()),
        Err(BuildError::UnconstrainedHintOutput { .. })
    ));
    assert!(matches!(
        zero_factor(&LowerOptions::none()),
        Err(BuildError::UndeterminedHintOutput { .. })
    ));

    // h · h = x leaves ±h, and h + h = x is not solved either (one unknown, twice).
    for square in [true, false] {
        let mut b = CircuitBuilder::<F>::new();
        let x = b.public_input();
        let h = b.hint(HintKind::User(1), &[x], 1)[0];
        let twice = if square { b.mul(h, h) } else { b.add(h, h) };
        b.connect(twice, x);
        assert!(matches!(
            b.build(),
            Err(BuildError::UndeterminedHintOutput { .. })
        ));
    }

    // Vouched advice only needs to be read.
    let mut b = CircuitBuilder::<F>::new();
    let x = b.public_input();
    let h1 = b.hint_vouched(HintKind::User(1), &[x], 1)[0];
    let h2 = b.hint_vouched(HintKind::User(2), &[x], 1)[0];
    let sum = b.add(h1, h2);
    b.connect(sum, x);
    assert!(b.build().is_ok());
}

#[test]
fn advice_for_a_slot_already_fixed_is_not_checked_by_the_runner() {
    // root² = x with root tied to a public input: −√x is as valid as √x.
    type F = KoalaBear;
    let mut b = CircuitBuilder::<F>::new();
    let x = b.public_input();
    let claimed = b.public_input();
    let root = b.hint(HintKind::User(3), &[x], 1)[0];
    b.connect(root, claimed);
    let square = b.square(root);
    b.connect(square, x);
    let circuit = b.build().unwrap();
    let mut runner = circuit.runner();
    runner.register_hint(3, |xs| Ok(vec![xs[0].try_sqrt().unwrap()]));
    let r = F::from_u32(7);
    for claimed in [r, -r] {
        runner.set_public_inputs(&[r * r, claimed]).unwrap();
        runner.run().unwrap();
    }
}

#[test]
fn user_hint_errors_are_typed() {
    type F = KoalaBear;
    // A half of x, checked by `2 · y = x`, which determines `y` (a square root checked by
    // `y · y = x` would be refused by build: `−y` fits as well).
    let mut b = CircuitBuilder::<F>::new();
    let x = b.public_input();
    let y = b.hint(HintKind::User(5), &[x], 1)[0];
    let two = b.define_const(F::TWO);
    let doubled = b.mul(y, two);
    b.connect(doubled, x);
    let circuit = b.build().unwrap();
    assert!(matches!(
        run(&circuit, &[F::from_u32(4)]),
        Err(RunError::MissingHintExecutor { id: 5, .. })
    ));
    let mut runner = circuit.runner();
    runner.register_hint(5, |_| Ok(vec![F::ONE, F::TWO]));
    runner.set_public_inputs(&[F::from_u32(4)]).unwrap();
    assert!(matches!(
        runner.run(),
        Err(RunError::HintFailed {
            source: HintError::OutputCount {
                expected: 1,
                got: 2
            },
            ..
        })
    ));
    runner.register_hint(5, |_| Err("no half".into()));
    assert!(matches!(
        runner.run(),
        Err(RunError::HintFailed { source: HintError::Executor(e), .. }) if e.to_string() == "no half"
    ));
}

fn proves_with_gadgets<SC: CircuitStark>() {
    let mut b = CircuitBuilder::<SC::Challenge>::new();
    let x = b.public_input();
    b.to_bits_canonical(x);
    b.range_check(x, 20);
    let circuit = b.build().unwrap();
    assert!(circuit.stats().ops.hints == 2);
    let publics = [SC::Challenge::from_u32(123_456)];
    let traces = {
        let mut runner = circuit.runner();
        runner.set_public_inputs(&publics).unwrap();
        runner.run().unwrap()
    };
    let (pk, vk) = setup(&circuit, &SC::config(FriSettings::TEST)).unwrap();
    let proof = prove(&pk, &traces).unwrap();
    verify(&vk, &publics, &proof).unwrap();
    assert!(verify(&vk, &[SC::Challenge::from_u32(123_457)], &proof).is_err());
}

#[test]
fn circuits_with_hints_prove_on_both_fields() {
    proves_with_gadgets::<fixpoint_circuit_prover::KoalaBearStark>();
    proves_with_gadgets::<fixpoint_circuit_prover::BabyBearStark>();
}

/// A malicious prover's traces for `circuit`: the honest ones with the slots of `forced`
/// given other values, and every slot an Add or Mul op solves recomputed from them in op
/// order (as the runner would, but without its checks). An op that only checks keeps the
/// Witness table's values in its row, so the row breaks its own constraint.
fn forge<F: Field>(
    circuit: &Circuit<F>,
    honest: &fixpoint_circuit::Traces<F>,
    forced: &[(fixpoint_circuit::WitnessId, F)],
) -> fixpoint_circuit::Traces<F> {
    let mut traces = honest.clone();
    let w = &mut traces.witness.values;
    for &(slot, value) in forced {
        w[slot.index()] = value;
    }
    let mut defined = vec![false; w.len()];
    let (mut adds, mut muls) = (0, 0);
    for op in &circuit.ops {
        match op {
            Op::Const { out, .. } | Op::Public { out, .. } => defined[out.index()] = true,
            Op::Hint { outputs, .. } => outputs.iter().for_each(|o| defined[o.index()] = true),
            Op::Add { a, b, out } | Op::Mul { a, b, out } => {
                let add = matches!(op, Op::Add { .. });
                let (ia, ib, io) = (a.index(), b.index(), out.index());
                match (defined[ia], defined[ib], defined[io]) {
                    (true, true, false) => w[io] = if add { w[ia] + w[ib] } else { w[ia] * w[ib] },
                    (false, true, true) => w[ia] = if add { w[io] - w[ib] } else { w[io] / w[ib] },
                    (true, false, true) => w[ib] = if add { w[io] - w[ia] } else { w[io] / w[ia] },
                    _ => {}
                }
                for i in [ia, ib, io] {
                    defined[i] = true;
                }
                let row = if add {
                    adds += 1;
                    &mut traces.add.rows[adds - 1]
                } else {
                    muls += 1;
                    &mut traces.mul.rows[muls - 1]
                };
                (row.a_val, row.b_val, row.out_val) = (w[ia], w[ib], w[io]);
            }
            Op::Npo { .. } => panic!("forge: no NPO in these circuits"),
        }
    }
    traces
}

/// `to_bits_canonical` against a malicious prover, rejected by `verify` (the traces are
/// built by hand, so the runner's checks never run): the bits of `x + p` recompose to `x`
/// and are boolean, and only the canonicity product refuses them; bits that are not
/// boolean (`5 = 1 + 2·2`) recompose too, and the booleanity row refuses them. Honest
/// bits through the same forging verify, so the helper is not what fails.
#[test]
fn a_non_canonical_or_non_boolean_decomposition_is_rejected_by_verify() {
    use fixpoint_circuit_prover::{KoalaBearStark as SC, Rejection};
    type E = KoalaBearExt;
    let p = KoalaBear::ORDER_U64;
    let mut b = CircuitBuilder::<E>::new();
    let x = b.public_input();
    let bits = b.to_bits_canonical(x);
    let circuit = b.build().unwrap();
    let slots: Vec<_> = bits
        .iter()
        .map(|&t| circuit.debug.target_slots[t.index()].unwrap())
        .collect();
    let publics = [E::from_u64(5)];
    let honest = {
        let mut runner = circuit.runner();
        runner.set_public_inputs(&publics).unwrap();
        runner.run().unwrap()
    };
    let (pk, vk) = setup(&circuit, &<SC as CircuitStark>::config(FriSettings::TEST)).unwrap();
    let check = |forced: Vec<E>| {
        let forced: Vec<_> = slots.iter().copied().zip(forced).collect();
        let traces = forge(&circuit, &honest, &forced);
        verify(&vk, &publics, &prove(&pk, &traces).unwrap())
    };
    check(bits_of(5, 31)).unwrap();
    let err = check(bits_of(5 + p, 31)).unwrap_err();
    assert_eq!(err.rejection(), Some(Rejection::OodEvaluation), "{err}");
    let mut loose = bits_of::<E>(5, 31);
    (loose[1], loose[2]) = (E::from_u32(2), E::ZERO);
    let err = check(loose).unwrap_err();
    assert_eq!(err.rejection(), Some(Rejection::OodEvaluation), "{err}");
}
