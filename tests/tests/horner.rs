//! Horner steps over packed slots (`horner::step`, four slots a row, the reduced openings'
//! fused rows): the
//! circuit's sum equals the native `Σ α^j·v_j` over the slots the Merkle hash absorbed,
//! the table proves it on both fields, and a malicious prover is rejected for the reason
//! asserted: a wrong accumulator by the step's constraints, a broken chain and a slot
//! other than the hashed one by the bus.

use fixpoint_circuit::{Circuit, Op, Traces, WitnessId};
use fixpoint_circuit_prover::horner::HORNER;
use fixpoint_circuit_prover::poseidon2;
use fixpoint_circuit_prover::{
    Ext, FieldFamily, FriSettings, ProverConfig, Rejection, SetupOptions, Stark, VerifyError,
    prove, setup_with, verify,
};
use p3_field::{BasedVectorSpace, PrimeCharacteristicRing};

/// Values per row: eight packed slots, two Horner rows of four.
const VALUES: usize = 32;

/// `acc` and `α` public, a row of [`VALUES`] private values packed in two slots; publishes
/// the row's digest (p3's sponge) and `acc·α³² + Σ_j α^j·v_j`.
fn circuit<V: FieldFamily>() -> Circuit<Ext<V>> {
    fixpoint_tests::hashed_row::circuit::<V>(VALUES)
}

/// One step natively: `acc·α¹⁶ + Σ_i α^i·v_i` over the coordinates `v` of the four slots.
fn step<V: FieldFamily>(acc: Ext<V>, alpha: Ext<V>, slots: &[Ext<V>]) -> Ext<V> {
    let lanes: Vec<V> = slots
        .iter()
        .flat_map(|s| BasedVectorSpace::<V>::as_basis_coefficients_slice(s).to_vec())
        .collect();
    acc * alpha.exp_u64(16)
        + lanes
            .iter()
            .enumerate()
            .map(|(i, &v)| alpha.exp_u64(i as u64) * v)
            .sum::<Ext<V>>()
}

/// The public inputs (acc, α, digest, sum) and the private slots, from the native sponge
/// and the native sum.
fn values<V: FieldFamily>() -> (Vec<Ext<V>>, Vec<Ext<V>>) {
    let v: Vec<V> = (0..VALUES as u32).map(|i| V::from_u32(5 * i + 3)).collect();
    fixpoint_tests::hashed_row::inputs(&v, 11, 29)
}

fn run<V: FieldFamily>(
    circuit: &Circuit<Ext<V>>,
    publics: &[Ext<V>],
    privates: &[Ext<V>],
) -> Result<Traces<Ext<V>>, String> {
    let mut runner = circuit.runner();
    poseidon2::register_executors(&mut runner);
    runner
        .set_public_inputs(publics)
        .map_err(|e| e.to_string())?;
    runner
        .set_private_inputs(privates)
        .map_err(|e| e.to_string())?;
    runner.run().map_err(|e| e.to_string())
}

/// Proves `traces` (whatever they hold: p3 proves any trace) and verifies with `publics`.
fn prove_and_verify<V: FieldFamily>(
    circuit: &Circuit<Ext<V>>,
    traces: &Traces<Ext<V>>,
    publics: &[Ext<V>],
) -> Result<(), VerifyError> {
    let config = ProverConfig::<Stark<V>>::new(FriSettings::TEST);
    let (pk, vk) = setup_with(
        circuit,
        &config,
        &SetupOptions::new().with_npos(&poseidon2::Table::ALL),
    )
    .unwrap();
    verify(&vk, publics, &prove(&pk, traces).unwrap())
}

/// The slots of every Horner call, in op order: (acc, α, four slots) in, out.
fn horner_slots<V: FieldFamily>(circuit: &Circuit<Ext<V>>) -> Vec<(Vec<WitnessId>, WitnessId)> {
    circuit
        .ops
        .iter()
        .filter_map(|op| match op {
            Op::Npo {
                kind,
                inputs,
                outputs,
                ..
            } if *kind == HORNER => Some((inputs.clone(), outputs[0])),
            _ => None,
        })
        .collect()
}

/// Gives the published sum a new value everywhere but in the Horner rows: its witness
/// slot, its Public row and the public inputs (the last one).
fn republish<V: FieldFamily>(
    traces: &mut Traces<Ext<V>>,
    publics: &mut [Ext<V>],
    slot: WitnessId,
    value: Ext<V>,
) {
    traces.witness.values[slot.index()] = value;
    for row in traces.public.rows.iter_mut().filter(|r| r.out == slot) {
        row.val = value;
    }
    *publics.last_mut().unwrap() = value;
}

fn the_sum_matches_the_native_one_and_proves<V: FieldFamily>() {
    let circuit = circuit::<V>();
    let (publics, privates) = values::<V>();
    let traces = run::<V>(&circuit, &publics, &privates).unwrap();
    // Two four-slot steps, four permutations and no PACK row: the slots are absorbed as
    // they are.
    let kinds: Vec<_> = traces.npo.iter().map(|r| r.kind).collect();
    assert_eq!(kinds.iter().filter(|&&k| k == HORNER).count(), 2);
    assert!(!kinds.contains(&poseidon2::PACK), "{kinds:?}");
    prove_and_verify::<V>(&circuit, &traces, &publics).unwrap();
    // Another claimed sum is refused by the runner.
    let mut wrong = publics.clone();
    *wrong.last_mut().unwrap() += Ext::<V>::ONE;
    assert!(run::<V>(&circuit, &wrong, &privates).is_err());
}

/// The last step outputs another accumulator, published consistently everywhere: every
/// bus message matches, and the step's own constraint refuses the row.
fn a_wrong_accumulator_is_rejected_by_the_constraints<V: FieldFamily>() {
    let circuit = circuit::<V>();
    let (mut publics, privates) = values::<V>();
    let mut traces = run::<V>(&circuit, &publics, &privates).unwrap();
    let (_, out) = *horner_slots::<V>(&circuit).last().unwrap();
    let forged = *publics.last().unwrap() + Ext::<V>::ONE;
    let row = traces.npo.iter_mut().rfind(|r| r.kind == HORNER).unwrap();
    row.outputs[0] = forged;
    republish::<V>(&mut traces, &mut publics, out, forged);
    let err = prove_and_verify::<V>(&circuit, &traces, &publics).unwrap_err();
    assert_eq!(err.rejection(), Some(Rejection::OodEvaluation), "{err}");
}

/// The second step starts from another accumulator than the first one's output, and is
/// otherwise a correct step: its accumulator port reads a value the Witness table does not
/// hold at that slot.
fn a_broken_chain_is_rejected_by_the_bus<V: FieldFamily>() {
    let circuit = circuit::<V>();
    let (mut publics, privates) = values::<V>();
    let mut traces = run::<V>(&circuit, &publics, &privates).unwrap();
    let (_, out) = *horner_slots::<V>(&circuit).last().unwrap();
    let row = traces.npo.iter_mut().rfind(|r| r.kind == HORNER).unwrap();
    row.inputs[0] += Ext::<V>::ONE;
    let forged = step::<V>(row.inputs[0], row.inputs[1], &row.inputs[2..]);
    row.outputs[0] = forged;
    republish::<V>(&mut traces, &mut publics, out, forged);
    let err = prove_and_verify::<V>(&circuit, &traces, &publics).unwrap_err();
    assert_eq!(err.rejection(), Some(Rejection::LookupSum), "{err}");
}

/// The first step weights another slot than the one the hash absorbed (one lane off),
/// and the chain carries that sum on consistently: the slot port reads a value the
/// Witness table, and so the hash, does not hold.
fn another_slot_than_the_hashed_one_is_rejected_by_the_bus<V: FieldFamily>() {
    let circuit = circuit::<V>();
    let (mut publics, privates) = values::<V>();
    let mut traces = run::<V>(&circuit, &publics, &privates).unwrap();
    let calls = horner_slots::<V>(&circuit);
    let (first_out, last_out) = (calls[0].1, calls[1].1);
    let lane = Ext::<V>::from_basis_coefficients_fn(|k| V::from_bool(k == 2));
    let mut rows = traces.npo.iter_mut().filter(|r| r.kind == HORNER);
    let (first, second) = (rows.next().unwrap(), rows.next().unwrap());
    first.inputs[2] += lane;
    first.outputs[0] = step::<V>(first.inputs[0], first.inputs[1], &first.inputs[2..]);
    second.inputs[0] = first.outputs[0];
    second.outputs[0] = step::<V>(second.inputs[0], second.inputs[1], &second.inputs[2..]);
    let (carried, forged) = (first.outputs[0], second.outputs[0]);
    traces.witness.values[first_out.index()] = carried;
    republish::<V>(&mut traces, &mut publics, last_out, forged);
    let err = prove_and_verify::<V>(&circuit, &traces, &publics).unwrap_err();
    assert_eq!(err.rejection(), Some(Rejection::LookupSum), "{err}");
}

/// A circuit's public or private inputs.
type Inputs<V> = Vec<Ext<V>>;

/// `α` public and six private slots, two rows of which the top one is padded with two zero
/// slots; publishes `Σ_i α^(4i)·s_i(α)`. Returns the circuit and its public and private
/// inputs.
fn padded<V: FieldFamily>() -> (Circuit<Ext<V>>, Inputs<V>, Inputs<V>) {
    let mut b = fixpoint_circuit::CircuitBuilder::<Ext<V>>::new();
    let alpha = b.public_input();
    let slots = b.private_inputs(6);
    let sum = fixpoint_circuit_prover::horner::sum_packed(&mut b, None, alpha, &slots);
    let public = b.public_input();
    b.connect(sum, public);
    let circuit = b.build().unwrap();
    let alpha = Ext::<V>::from_basis_coefficients_fn(|k| V::from_u32(3 * k as u32 + 5));
    let privates: Vec<Ext<V>> = (0..6u32)
        .map(|i| Ext::<V>::from_basis_coefficients_fn(|k| V::from_u32(7 * i + k as u32 + 1)))
        .collect();
    let sum = step::<V>(
        step::<V>(
            Ext::<V>::ZERO,
            alpha,
            &[privates[4], privates[5], Ext::<V>::ZERO, Ext::<V>::ZERO],
        ),
        alpha,
        &privates[..4],
    );
    (circuit, vec![alpha, sum], privates)
}

/// A chain whose top row is padded proves the native sum; the padding slot holding another
/// value than zero, carried on consistently through the chain, reads a value the zero
/// constant's provider does not give.
fn a_padding_slot_that_is_not_zero_is_rejected_by_the_bus<V: FieldFamily>() {
    let (circuit, mut publics, privates) = padded::<V>();
    let mut traces = run::<V>(&circuit, &publics, &privates).unwrap();
    prove_and_verify::<V>(&circuit, &traces, &publics).unwrap();
    let calls = horner_slots::<V>(&circuit);
    assert_eq!(calls.len(), 2);
    let (first_out, last_out) = (calls[0].1, calls[1].1);
    let mut rows = traces.npo.iter_mut().filter(|r| r.kind == HORNER);
    let (first, second) = (rows.next().unwrap(), rows.next().unwrap());
    assert_eq!(
        first.inputs[2 + 3],
        Ext::<V>::ZERO,
        "the top row's last slot pads"
    );
    first.inputs[2 + 3] = Ext::<V>::ONE;
    first.outputs[0] = step::<V>(first.inputs[0], first.inputs[1], &first.inputs[2..]);
    second.inputs[0] = first.outputs[0];
    second.outputs[0] = step::<V>(second.inputs[0], second.inputs[1], &second.inputs[2..]);
    let (carried, forged) = (first.outputs[0], second.outputs[0]);
    traces.witness.values[first_out.index()] = carried;
    republish::<V>(&mut traces, &mut publics, last_out, forged);
    let err = prove_and_verify::<V>(&circuit, &traces, &publics).unwrap_err();
    assert_eq!(err.rejection(), Some(Rejection::LookupSum), "{err}");
}

fixpoint_tests::on_both_fields!(
    a_padding_slot_that_is_not_zero_is_rejected_by_the_bus,
    the_sum_matches_the_native_one_and_proves,
    a_wrong_accumulator_is_rejected_by_the_constraints,
    a_broken_chain_is_rejected_by_the_bus,
    another_slot_than_the_hashed_one_is_rejected_by_the_bus,
);
