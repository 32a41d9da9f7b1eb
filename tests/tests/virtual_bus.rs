//! The virtual-witness bus (`BusLayout::Virtual`): the op that defines a slot provides it
//! (a private input or hint output its first reader), and the Witness table holds none. Every workload proves on it as on
//! the Witness-table bus, on both fields, and a malicious prover is rejected for the reason
//! asserted: a reader that consumes a value its provider did not provide, and a private
//! input read with two values, by the bus; a key whose tables disagree on the bus, when it
//! is checked.

use fixpoint_circuit::{Circuit, CircuitBuilder, Op, Traces};
use fixpoint_circuit_prover::{
    BusLayout, BusPlan, Ext, FieldFamily, FriSettings, KeyError, ProverConfig, Rejection,
    SetupOptions, Stark, TableKind, VerifyError, horner, merkle::PackedRow, poseidon2, prove,
    setup_with, verify,
};
use p3_field::PrimeCharacteristicRing;

fn options(bus: BusLayout) -> SetupOptions<'static, poseidon2::Table> {
    SetupOptions::new()
        .with_npos(&poseidon2::Table::ALL)
        .with_bus(bus)
}

/// Proves `traces` (whatever they hold: p3 proves any trace) on a `bus` bus and verifies
/// with `publics`.
fn prove_and_verify<V: FieldFamily>(
    circuit: &Circuit<Ext<V>>,
    traces: &Traces<Ext<V>>,
    publics: &[Ext<V>],
    bus: BusLayout,
) -> Result<(), VerifyError> {
    let config = ProverConfig::<Stark<V>>::new(FriSettings::TEST);
    let (pk, vk) = setup_with(circuit, &config, &options(bus)).unwrap();
    verify(&vk, publics, &prove(&pk, traces).unwrap())
}

fn run<V: FieldFamily>(
    circuit: &Circuit<Ext<V>>,
    publics: &[Ext<V>],
    privates: &[Ext<V>],
) -> Traces<Ext<V>> {
    let mut runner = circuit.runner();
    poseidon2::register_executors(&mut runner);
    runner.set_public_inputs(publics).unwrap();
    runner.set_private_inputs(privates).unwrap();
    runner.run().unwrap()
}

/// A private row of 8 values, hashed by p3's sponge and summed by Horner steps, both
/// published: private inputs (Witness lanes on a virtual bus), NPO outputs (providers) and
/// public checks.
fn hashing<V: FieldFamily>() -> Workload<V> {
    use p3_field::BasedVectorSpace;
    use p3_symmetric::{CryptographicHasher, PaddingFreeSponge};
    let mut b = CircuitBuilder::<Ext<V>>::new();
    let (acc, alpha) = (b.public_input(), b.public_input());
    let row = PackedRow::private(&mut b, 8);
    let digest = poseidon2::hash_packed_row(&mut b, &row.slots, &row.tail);
    let sum = horner::sum_packed(&mut b, acc, alpha, &row.slots);
    for &t in digest.iter().chain([&sum]) {
        let public = b.public_input();
        b.connect(t, public);
    }
    let circuit = b.build().unwrap();
    let v: Vec<V> = (0..8u32).map(|i| V::from_u32(3 * i + 1)).collect();
    let (acc, alpha) = (
        Ext::<V>::from_basis_coefficients_fn(|k| V::from_u32(7 + k as u32)),
        Ext::<V>::from_basis_coefficients_fn(|k| V::from_u32(5 * k as u32 + 2)),
    );
    let sponge = PaddingFreeSponge::<_, 16, 8, 8>::new(V::permutation());
    let digest: [V; 8] = sponge.hash_iter(v.iter().copied());
    let sum = acc * alpha.exp_u64(8)
        + v.iter()
            .enumerate()
            .map(|(j, &x)| alpha.exp_u64(j as u64) * x)
            .sum::<Ext<V>>();
    let mut publics = vec![acc, alpha];
    publics.extend(poseidon2::pack_values::<Ext<V>>(&digest));
    publics.push(sum);
    Workload {
        circuit,
        publics,
        privates: poseidon2::pack_values::<Ext<V>>(&v),
    }
}

/// A circuit with the inputs it runs on.
struct Workload<V: FieldFamily> {
    circuit: Circuit<Ext<V>>,
    publics: Vec<Ext<V>>,
    privates: Vec<Ext<V>>,
}

fn every_workload_proves_on_both_buses<V: FieldFamily>() {
    let fibonacci = fixpoint_tests::fibonacci::<Ext<V>>(50).unwrap();
    let mut runner = fibonacci.runner();
    let (mut x, mut y) = (Ext::<V>::ZERO, Ext::<V>::ONE);
    for _ in 0..50 {
        (x, y) = (y, x + y);
    }
    let fib_publics = [Ext::<V>::ZERO, Ext::<V>::ONE, x];
    runner.set_public_inputs(&fib_publics).unwrap();
    let fib_traces = runner.run().unwrap();
    let Workload {
        circuit: hashing,
        publics,
        privates,
    } = hashing::<V>();
    let hash_traces = run::<V>(&hashing, &publics, &privates);
    for bus in [BusLayout::WitnessTable, BusLayout::Virtual] {
        prove_and_verify::<V>(&fibonacci, &fib_traces, &fib_publics, bus).unwrap();
        prove_and_verify::<V>(&hashing, &hash_traces, &publics, bus).unwrap();
    }
    // On a virtual bus the Witness table holds no slot, the private inputs included.
    assert!(hashing.ops.iter().any(|op| matches!(op, Op::Hint { .. })));
    let config = ProverConfig::<Stark<V>>::new(FriSettings::TEST);
    let (_, vk) = setup_with(&hashing, &config, &options(BusLayout::Virtual)).unwrap();
    assert_eq!(vk.layout.table(TableKind::Witness).entries, 0);
}

/// `z = x·x + x` with `z` published. The Add row reads `x·x + 1` and `x − 1`: its own
/// constraint holds (`z` is unchanged), but neither value is the one its provider (the Mul
/// row, the Public row) sends.
fn a_reader_that_consumes_another_value_is_rejected_by_the_bus<V: FieldFamily>() {
    let mut b = CircuitBuilder::<Ext<V>>::new();
    let x = b.public_input();
    let y = b.square(x);
    let z = b.add(y, x);
    let public = b.public_input();
    b.connect(z, public);
    let circuit = b.build().unwrap();
    let publics = [Ext::<V>::from_u32(6), Ext::<V>::from_u32(42)];
    let mut traces = run::<V>(&circuit, &publics, &[]);
    prove_and_verify::<V>(&circuit, &traces, &publics, BusLayout::Virtual).unwrap();
    let row = &mut traces.add.rows[0];
    row.a_val += Ext::<V>::ONE;
    row.b_val -= Ext::<V>::ONE;
    let err = prove_and_verify::<V>(&circuit, &traces, &publics, BusLayout::Virtual).unwrap_err();
    assert_eq!(err.rejection(), Some(Rejection::LookupSum), "{err}");
}

/// A private input `w` with `w² = x`, also multiplied by `x` into a value nothing else
/// reads. The second Mul row reads `w + 1` (and outputs `(w + 1)·x`, so its own constraint
/// holds): the check `w² = x`, `w`'s first reader, provides it, and two readers see two
/// values.
fn a_private_input_read_with_two_values_is_rejected_by_the_bus<V: FieldFamily>() {
    let mut b = CircuitBuilder::<Ext<V>>::new();
    let x = b.public_input();
    let w = b.private_input();
    let square = b.square(w);
    b.connect(square, x);
    let unread = b.mul(w, x);
    b.expose(unread);
    let circuit = b.build().unwrap();
    let (publics, privates) = ([Ext::<V>::from_u32(9)], [Ext::<V>::from_u32(3)]);
    let mut traces = run::<V>(&circuit, &publics, &privates);
    let plan = BusPlan::with_layout(&circuit, BusLayout::Virtual);
    assert!(plan.witness_slots.is_empty());
    assert_eq!(plan.counts(fixpoint_circuit::OpId(2)), &[-2, 1, 1]); // the check provides w
    prove_and_verify::<V>(&circuit, &traces, &publics, BusLayout::Virtual).unwrap();
    let row = traces
        .mul
        .rows
        .iter_mut()
        .find(|r| r.out_val != publics[0])
        .unwrap();
    row.a_val += Ext::<V>::ONE;
    row.out_val = row.a_val * row.b_val;
    let err = prove_and_verify::<V>(&circuit, &traces, &publics, BusLayout::Virtual).unwrap_err();
    assert_eq!(err.rejection(), Some(Rejection::LookupSum), "{err}");
}

/// A key whose Add table is laid out for the other bus than the rest is refused before
/// anything is read from a proof; so is a proof from the other bus's key.
fn a_key_that_mixes_buses_is_refused<V: FieldFamily>() {
    let circuit = fixpoint_tests::thirty_seven_x::<Ext<V>>().unwrap();
    let config = ProverConfig::<Stark<V>>::new(FriSettings::TEST);
    let (pk, vk) = setup_with(&circuit, &config, &options(BusLayout::Virtual)).unwrap();
    let (_, witness_vk) = setup_with(&circuit, &config, &options(BusLayout::WitnessTable)).unwrap();
    let publics = [Ext::<V>::from_u32(3)];
    let mut runner = circuit.runner();
    runner.set_public_inputs(&publics).unwrap();
    let proof = prove(&pk, &runner.run().unwrap()).unwrap();
    verify(&vk, &publics, &proof).unwrap();
    assert_ne!(vk.hash(), witness_vk.hash());
    assert!(verify(&witness_vk, &publics, &proof).is_err());
    let mut mixed = vk.clone();
    mixed.layout.tables[TableKind::Add.instance()].bus = BusLayout::WitnessTable;
    let err = verify(&mixed, &publics, &proof).unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::InvalidKey(KeyError::MixedBus {
                table: "Add",
                bus: BusLayout::WitnessTable,
                first: BusLayout::Virtual
            })
        ),
        "{err}"
    );
}

fixpoint_tests::on_both_fields!(
    every_workload_proves_on_both_buses,
    a_reader_that_consumes_another_value_is_rejected_by_the_bus,
    a_private_input_read_with_two_values_is_rejected_by_the_bus,
    a_key_that_mixes_buses_is_refused,
);
