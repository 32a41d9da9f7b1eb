//! The virtual-witness bus (`BusLayout::Virtual`): the op that defines a slot provides it
//! (a private input or hint output its first reader), and the Witness table holds none. Every workload proves on it as on
//! the Witness-table bus, on both fields, and a malicious prover is rejected for the reason
//! asserted: a reader that consumes a value its provider did not provide, and a private
//! input read with two values, by the bus; a key whose tables disagree on the bus, when it
//! is checked; a forged key whose providers do not match the IR (a slot provided twice, a
//! provider whose count leaves a reader out), by a verifier that pins the key's hash.

use fixpoint_circuit::OpId;
use fixpoint_circuit::{Circuit, CircuitBuilder, Op, Traces};
use fixpoint_circuit_prover::{
    BusLayout, BusPlan, Ext, FieldFamily, FriSettings, KeyError, ProverConfig, Rejection,
    SetupOptions, Stark, TableKind, VerifyError, VerifyOptions, forge, keys::hex, poseidon2, prove,
    setup_with, verify, verify_with_options,
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
/// published: private inputs, NPO outputs (providers) and public checks.
fn hashing<V: FieldFamily>() -> Workload<V> {
    let v: Vec<V> = (0..8u32).map(|i| V::from_u32(3 * i + 1)).collect();
    let (publics, privates) = fixpoint_tests::hashed_row::inputs(&v, 7, 5);
    Workload {
        circuit: fixpoint_tests::hashed_row::circuit::<V>(8),
        publics,
        privates,
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

/// A private input `w` with `w² = x`, read three more times by ops whose outputs nothing
/// reads: `u = w·x` and `s = w + x`. The check's first port provides `w` to its three
/// other ports (`[-3, 1, 1]`, then 1 and 1).
fn three_readers<V: FieldFamily>() -> (Circuit<Ext<V>>, [OpId; 3]) {
    let mut b = CircuitBuilder::<Ext<V>>::new();
    let x = b.public_input();
    let w = b.private_input();
    let square = b.square(w);
    b.connect(square, x);
    let u = b.mul(w, x);
    let s = b.add(w, x);
    b.expose(u);
    b.expose(s);
    let circuit = b.build().unwrap();
    let find = |pick: &dyn Fn(&Op<Ext<V>>) -> bool| {
        let i = circuit.ops.iter().position(pick).unwrap();
        OpId(i as u32)
    };
    let check = find(&|op| matches!(op, Op::Mul { a, b, .. } if a == b));
    let product = find(&|op| matches!(op, Op::Mul { a, b, .. } if a != b));
    let sum = find(&|op| matches!(op, Op::Add { .. }));
    (circuit, [check, product, sum])
}

/// `u` and `s` read `w + 1` (their rows' own constraints hold: `u = (w + 1)·x`,
/// `s = (w + 1) + x`), while the check reads `w`.
fn with_w_plus_one_read_twice<V: FieldFamily>(traces: &mut Traces<Ext<V>>, x: Ext<V>) {
    let product = traces.mul.rows.iter_mut().find(|r| r.out_val != x).unwrap();
    product.a_val += Ext::<V>::ONE;
    product.out_val = product.a_val * product.b_val;
    let sum = &mut traces.add.rows[0];
    sum.a_val += Ext::<V>::ONE;
    sum.out_val = sum.a_val + sum.b_val;
}

/// A forged key, from `plan`, accepts `traces`, which the circuit's own key rejects by the
/// bus; a verifier that pins the circuit's key refuses the forged one before the proof.
fn a_forged_key_accepts_and_a_pinned_verifier_refuses<V: FieldFamily>(
    circuit: &Circuit<Ext<V>>,
    plan: BusPlan,
    traces: &Traces<Ext<V>>,
    publics: &[Ext<V>],
) {
    let config = ProverConfig::<Stark<V>>::new(FriSettings::TEST);
    let options = options(BusLayout::Virtual);
    let (pk, forged) = forge::setup_with_plan(circuit, &config, &options, plan).unwrap();
    let (honest_pk, honest) = setup_with(circuit, &config, &options).unwrap();
    // The forged key differs only in its preprocessed columns.
    assert_eq!(forged.layout, honest.layout);
    assert_ne!(forged.hash(), honest.hash());
    let err = verify(&honest, publics, &prove(&honest_pk, traces).unwrap()).unwrap_err();
    assert_eq!(err.rejection(), Some(Rejection::LookupSum), "{err}");
    // What the forgery buys: the false execution proves under the forged key...
    let proof = prove(&pk, traces).unwrap();
    verify(&forged, publics, &proof).unwrap();
    // ...and what refuses it: the circuit's key pinned by its hash.
    let pinned = VerifyOptions::ANY_SECURITY.with_pinned_key(honest.hash());
    let err = verify_with_options(&forged, publics, &proof, &pinned).unwrap_err();
    assert_eq!(
        err,
        VerifyError::InvalidKey(KeyError::NotPinned {
            hash: forged.hash(),
            pinned: honest.hash()
        }),
        "{err}"
    );
    let message = std::error::Error::source(&err).unwrap().to_string();
    assert_eq!(
        message,
        format!(
            "the key hashes to {}, not the pinned {}",
            hex(&forged.hash()),
            hex(&honest.hash())
        )
    );
}

/// A key in which `w` is provided twice: the check provides it to its own second port, `u`
/// provides it to `s`. Each provider's group balances with its own value.
fn a_key_that_provides_a_slot_twice_is_refused_by_its_pin<V: FieldFamily>() {
    let (circuit, [check, product, _]) = three_readers::<V>();
    let (publics, privates) = ([Ext::<V>::from_u32(9)], [Ext::<V>::from_u32(3)]);
    let mut plan = BusPlan::with_layout(&circuit, BusLayout::Virtual);
    assert_eq!(plan.counts(check), &[-3, 1, 1]);
    assert_eq!(plan.forge_count(check, 0, -1), Some(-3));
    assert_eq!(plan.forge_count(product, 0, -1), Some(1));
    let mut traces = run::<V>(&circuit, &publics, &privates);
    with_w_plus_one_read_twice::<V>(&mut traces, publics[0]);
    a_forged_key_accepts_and_a_pinned_verifier_refuses::<V>(&circuit, plan, &traces, &publics);
}

/// A key whose provider of `w` counts one reader fewer than the IR has, and whose two
/// other readers send nothing: `u` and `s` may read any value.
fn a_key_whose_provider_count_is_not_the_irs_is_refused_by_its_pin<V: FieldFamily>() {
    let (circuit, [check, product, sum]) = three_readers::<V>();
    let (publics, privates) = ([Ext::<V>::from_u32(9)], [Ext::<V>::from_u32(3)]);
    let mut plan = BusPlan::with_layout(&circuit, BusLayout::Virtual);
    assert_eq!(plan.forge_count(check, 0, -1), Some(-3));
    assert_eq!(plan.forge_count(product, 0, 0), Some(1));
    assert_eq!(plan.forge_count(sum, 0, 0), Some(1));
    assert_eq!(plan.forge_count(sum, 3, 0), None); // an Add has three ports
    let mut traces = run::<V>(&circuit, &publics, &privates);
    with_w_plus_one_read_twice::<V>(&mut traces, publics[0]);
    a_forged_key_accepts_and_a_pinned_verifier_refuses::<V>(&circuit, plan, &traces, &publics);
}

fixpoint_tests::on_both_fields!(
    every_workload_proves_on_both_buses,
    a_reader_that_consumes_another_value_is_rejected_by_the_bus,
    a_private_input_read_with_two_values_is_rejected_by_the_bus,
    a_key_that_mixes_buses_is_refused,
    a_key_that_provides_a_slot_twice_is_refused_by_its_pin,
    a_key_whose_provider_count_is_not_the_irs_is_refused_by_its_pin,
);
