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
    assert!(matches!(
        runner.run(),
        Err(RunError::NpoOutputCount {
            expected: 1,
            got: 0,
            ..
        })
    ));
    runner.register_npo(SUM_WITH_SECRET, |_, _| Err("no sum today".into()));
    let failed = runner.run().unwrap_err();
    assert!(
        matches!(&failed, RunError::NpoFailed { source, .. } if source.to_string() == "no sum today")
    );
}

#[test]
fn hint_advice_fed_only_to_an_npo_is_read_but_not_determined() {
    // The NPO's table reads the advice, so the read check passes; but NPOs run forward
    // only (their inputs are never solved from their outputs), so nothing determines it —
    // whether the output is only exposed or even pinned to a public input.
    for pinned in [false, true] {
        let mut b = CircuitBuilder::<F>::new();
        let x = b.public_input();
        let advice = b.hint(HintKind::Inverse, &[x], 1)[0];
        let call = b.npo(POW7, &[advice], 1, 0);
        if pinned {
            let y = b.public_input();
            b.connect(call.outputs[0], y);
        } else {
            b.expose(call.outputs[0]);
        }
        assert!(matches!(
            b.build(),
            Err(BuildError::UndeterminedHintOutput {
                kind: HintKind::Inverse,
                output: 0,
                ..
            })
        ));
    }
    // Forward, an NPO of known inputs has known outputs: they determine the advice.
    let mut b = CircuitBuilder::<F>::new();
    let x = b.public_input();
    let call = b.npo(POW7, &[x], 1, 0);
    let advice = b.hint(HintKind::User(1), &[x], 1)[0];
    let sum = b.add(advice, call.outputs[0]);
    b.connect(sum, x);
    assert!(b.build().is_ok());
    // Without the NPO the same advice is refused, by the read check.
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

mod user_table {
    //! A user's own NPO, proved through the public API only: `y = x^7` over the degree-4
    //! extension, with `x², x³, x⁶` in extra columns so every constraint has degree 2.

    use fixpoint_circuit::{CircuitBuilder, NpoKind, Traces};
    use fixpoint_circuit_prover::air::ext_mul;
    use fixpoint_circuit_prover::{
        D, FriSettings, KoalaBearExt as E, NpoTable, ProverConfig, Rejection, SetupOptions,
        VerifyError, prove, setup_with, verify,
    };
    use p3_field::extension::BinomiallyExtendable;
    use p3_field::{BasedVectorSpace, Field, PrimeCharacteristicRing};
    use p3_koala_bear::KoalaBear as V;
    use p3_lookup::InteractionBuilder;

    const POW7: NpoKind = NpoKind(2000);

    /// The table; `output_alias: Some(offset)` keeps `x^7` in a fourth extra column
    /// group and reads the output port from the extra columns at `offset`
    /// ([`NpoTable::port_alias`]) instead of giving it columns of its own.
    #[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
    struct Pow7 {
        output_alias: Option<usize>,
    }

    const OWN: Pow7 = Pow7 { output_alias: None };
    const ALIASED: Pow7 = Pow7 {
        output_alias: Some(3 * D),
    };

    fn ext(coords: &[V]) -> E {
        E::from_basis_coefficients_slice(coords).expect("D coordinates")
    }

    impl NpoTable<V> for Pow7 {
        fn kind(&self) -> NpoKind {
            POW7
        }
        fn num_inputs(&self) -> usize {
            1
        }
        fn num_outputs(&self) -> usize {
            1
        }
        fn port_alias(&self, port: usize) -> Option<usize> {
            self.output_alias.filter(|_| port == 1)
        }
        fn extra_columns(&self) -> usize {
            if self.output_alias.is_some() {
                4 * D
            } else {
                3 * D
            }
        }
        fn fill_extra(&self, inputs: &[&[V]], _: &[&[V]], _: &[&[V]], extra: &mut [V]) {
            let x = ext(inputs[0]);
            let (x2, x3) = (x * x, x * x * x);
            let powers = [x2, x3, x3 * x3, x3 * x3 * x];
            for (chunk, value) in extra.chunks_mut(D).zip(powers) {
                chunk.copy_from_slice(value.as_basis_coefficients_slice());
            }
        }
        fn eval<AB: InteractionBuilder<F = V>>(
            &self,
            builder: &mut AB,
            _active: AB::Expr,
            inputs: &[&[AB::Expr]],
            outputs: &[&[AB::Expr]],
            extra: &[AB::Expr],
        ) {
            // All-zero padding rows satisfy these (0^k = 0): no selector needed.
            let w = AB::Expr::from(<V as BinomiallyExtendable<D>>::W);
            let (x, y) = (inputs[0], outputs[0]);
            let (x2, x3, x6) = (&extra[..D], &extra[D..2 * D], &extra[2 * D..3 * D]);
            let checks = [
                (x2, ext_mul(x, x, w.clone())),
                (x3, ext_mul(x2, x, w.clone())),
                (x6, ext_mul(x3, x3, w.clone())),
                (y, ext_mul(x6, x, w)),
            ];
            for (lhs, rhs) in checks {
                for (l, r) in lhs.iter().zip(rhs) {
                    builder.assert_eq(l.clone(), r);
                }
            }
        }
    }

    fn circuit_and_traces(
        x: E,
        claimed: E,
    ) -> (fixpoint_circuit::Circuit<E>, Result<Traces<E>, String>) {
        let mut b = CircuitBuilder::<E>::new();
        let input = b.public_input();
        let output = b.public_input();
        let call = b.npo(POW7, &[input], 1, 0);
        b.connect(call.outputs[0], output);
        let again = b.npo(POW7, &[output], 1, 0); // a second call, read by nothing
        let _ = again;
        let circuit = b.build().unwrap();
        let traces = {
            let mut runner = circuit.runner();
            runner.register_npo(POW7, |inputs, _| Ok(vec![inputs[0].exp_u64(7)]));
            runner.set_public_inputs(&[x, claimed]).unwrap();
            runner.run().map_err(|e| e.to_string())
        };
        (circuit, traces)
    }

    /// `traces` with the unread second call's output off by one, in its row and in the
    /// Witness table alike: only the table's body can refuse it.
    fn wrong_unread_output(
        circuit: &fixpoint_circuit::Circuit<E>,
        mut traces: Traces<E>,
    ) -> Traces<E> {
        let slot = circuit.ops.iter().rev().find_map(|op| match op {
            fixpoint_circuit::Op::Npo { outputs, .. } => Some(outputs[0]),
            _ => None,
        });
        traces.npo[1].outputs[0] += E::ONE;
        traces.witness.values[slot.expect("an NPO call").index()] += E::ONE;
        traces
    }

    #[test]
    fn a_user_npo_proves_and_verifies_through_the_public_api() {
        let x = E::GENERATOR;
        let y = x.exp_u64(7);
        let (circuit, traces) = circuit_and_traces(x, y);
        let config = ProverConfig::koala_bear(FriSettings::TEST);
        let (pk, vk) =
            setup_with(&circuit, &config, &SetupOptions::new().with_npos(&[OWN])).unwrap();
        let proof = prove(&pk, &traces.unwrap()).unwrap();
        verify(&vk, &[x, y], &proof).unwrap();
        assert!(verify(&vk, &[x, y + E::ONE], &proof).is_err());
        // The key round-trips with its NPO table.
        let back =
            fixpoint_circuit_prover::VerifyingKey::<_, Pow7>::from_bytes(&vk.to_bytes()).unwrap();
        verify(&back, &[x, y], &proof).unwrap();
    }

    #[test]
    fn a_malicious_npo_row_is_rejected() {
        let x = E::GENERATOR;
        let y = x.exp_u64(7);
        let (circuit, traces) = circuit_and_traces(x, y);
        let config = ProverConfig::koala_bear(FriSettings::TEST);
        let (pk, vk) =
            setup_with(&circuit, &config, &SetupOptions::new().with_npos(&[OWN])).unwrap();

        // The NPO row is a valid x ↦ x^7 for another x than the Witness table holds: the
        // body holds, the bus does not balance.
        let mut bad = traces.clone().unwrap();
        let other = bad.npo[1].inputs[0] + E::ONE;
        bad.npo[1].inputs[0] = other;
        bad.npo[1].outputs[0] = other.exp_u64(7);
        let err = verify(&vk, &[x, y], &prove(&pk, &bad).unwrap()).unwrap_err();
        assert!(
            matches!(
                err,
                VerifyError::Rejected {
                    reason: Rejection::LookupSum,
                    ..
                }
            ),
            "{err}"
        );

        // Witness and row agree on a wrong x^7 (for the unread second call): the body.
        let bad = wrong_unread_output(&circuit, traces.unwrap());
        let err = verify(&vk, &[x, y], &prove(&pk, &bad).unwrap()).unwrap_err();
        assert!(
            matches!(
                err,
                VerifyError::Rejected {
                    reason: Rejection::OodEvaluation,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn setup_checks_the_tables_against_the_circuit() {
        let (circuit, _) = circuit_and_traces(E::ONE, E::ONE);
        let config = ProverConfig::koala_bear(FriSettings::TEST);
        assert!(matches!(
            setup_with(
                &circuit,
                &config,
                &SetupOptions::new().with_npos(&[OWN, OWN])
            ),
            Err(fixpoint_circuit_prover::SetupError::DuplicateNpoTable { kind: POW7 })
        ));
        assert!(matches!(
            setup_with(
                &circuit,
                &config,
                &SetupOptions::new().with_npos::<Pow7>(&[])
            ),
            Err(fixpoint_circuit_prover::SetupError::UnsupportedNpo { kind: POW7 })
        ));
        // An alias past the extra columns.
        let past = Pow7 {
            output_alias: Some(3 * D + 1),
        };
        let Err(err) = setup_with(&circuit, &config, &SetupOptions::new().with_npos(&[past]))
        else {
            panic!("an alias past the extra columns was accepted");
        };
        assert!(
            matches!(
                &err,
                fixpoint_circuit_prover::SetupError::NpoPortAlias { kind: POW7, port: 1, columns, extra: 16 }
                    if *columns == (3 * D + 1..4 * D + 1)
            ),
            "{err}"
        );
    }

    #[test]
    fn an_aliased_output_port_is_read_from_the_extra_columns() {
        let x = E::GENERATOR;
        let y = x.exp_u64(7);
        let (circuit, traces) = circuit_and_traces(x, y);
        let config = ProverConfig::koala_bear(FriSettings::TEST);
        let (pk, vk) = setup_with(
            &circuit,
            &config,
            &SetupOptions::new().with_npos(&[ALIASED]),
        )
        .unwrap();
        let (_, own_report) = {
            let (pk, _) =
                setup_with(&circuit, &config, &SetupOptions::new().with_npos(&[OWN])).unwrap();
            fixpoint_circuit_prover::prove_with_report(&pk, traces.as_ref().unwrap()).unwrap()
        };
        let (proof, report) =
            fixpoint_circuit_prover::prove_with_report(&pk, traces.as_ref().unwrap()).unwrap();
        verify(&vk, &[x, y], &proof).unwrap();
        // A key is data: one whose table aliases past its columns is refused, not indexed.
        let mut forged = vk.clone();
        forged.npo_tables[0] = Pow7 {
            output_alias: Some(3 * D + 1),
        };
        let err = verify(&forged, &[x, y], &proof).unwrap_err();
        assert!(
            matches!(err, fixpoint_circuit_prover::VerifyError::InvalidKey(_)),
            "{err}"
        );
        // The output's columns: 2 ports + 3 powers own, 1 port + 4 powers aliased.
        let columns = |r: &fixpoint_circuit_prover::ProofReport| {
            r.tables
                .iter()
                .find(|t| t.name == POW7.to_string())
                .map(|t| t.main_columns)
        };
        assert_eq!(columns(&own_report), Some(5 * D));
        assert_eq!(columns(&report), Some(5 * D));

        // The Witness table and the row agree on a wrong x^7 for the unread call: the
        // aliased port carries it into x^7's own column, where the body refuses it.
        let bad = wrong_unread_output(&circuit, traces.unwrap());
        let err = verify(&vk, &[x, y], &prove(&pk, &bad).unwrap()).unwrap_err();
        assert!(
            matches!(
                err,
                VerifyError::Rejected {
                    reason: Rejection::OodEvaluation,
                    ..
                }
            ),
            "{err}"
        );
    }
}
