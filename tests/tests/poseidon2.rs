//! The Poseidon2 permutation as a non-primitive op: the circuit's outputs equal p3's native
//! permutation with the default constants, the table proves it on both fields, and a wrong
//! output is rejected.

use fixpoint_circuit::{Circuit, CircuitBuilder, Target, Traces};
use fixpoint_circuit_prover::poseidon2::{self, POSEIDON2_16, WIDTH};
use fixpoint_circuit_prover::{
    Ext, FieldFamily, FriSettings, Keys, ProverConfig, SetupOptions, Stark, prove, setup_with,
    verify,
};
use p3_field::{BasedVectorSpace, PrimeCharacteristicRing};
use p3_symmetric::Permutation;

/// Two chained permutations; public inputs are the state and both outputs.
fn circuit<V: FieldFamily>() -> Circuit<Ext<V>> {
    let mut b = CircuitBuilder::<Ext<V>>::new();
    let state: [_; WIDTH] = std::array::from_fn(|_| b.public_input());
    let once = poseidon2::permute(&mut b, &state);
    let twice = poseidon2::permute(&mut b, &once);
    publish::<V>(&mut b, once.iter().chain(&twice));
    b.build().unwrap()
}

fn native_publics<V: FieldFamily>() -> Vec<Ext<V>> {
    let perm = V::permutation();
    let input: [V; WIDTH] = std::array::from_fn(|i| V::from_u32(7 * i as u32 + 1));
    let once = perm.permute(input);
    let twice = perm.permute(once);
    input
        .iter()
        .chain(&once)
        .chain(&twice)
        .map(|&v| Ext::<V>::from(v))
        .collect()
}

/// Connects each target to a new public input.
fn publish<'a, V: FieldFamily>(
    b: &mut CircuitBuilder<Ext<V>>,
    targets: impl IntoIterator<Item = &'a Target>,
) {
    for &t in targets {
        let public = b.public_input();
        b.connect(t, public);
    }
}

fn keys<V: FieldFamily>(circuit: &Circuit<Ext<V>>) -> Keys<Stark<V>, poseidon2::Table> {
    let config = ProverConfig::<Stark<V>>::new(FriSettings::TEST);
    setup_with(
        circuit,
        &config,
        &SetupOptions::new().with_npos(&poseidon2::Table::ALL),
    )
    .unwrap()
}

fn run<V: FieldFamily>(
    circuit: &Circuit<Ext<V>>,
    publics: &[Ext<V>],
) -> Result<Traces<Ext<V>>, String> {
    let mut runner = circuit.runner();
    poseidon2::register_executors(&mut runner);
    runner
        .set_public_inputs(publics)
        .map_err(|e| e.to_string())?;
    runner.run().map_err(|e| e.to_string())
}

fn permutation_matches_p3_and_proves<V: FieldFamily>() {
    let circuit = circuit::<V>();
    let publics = native_publics::<V>();
    let traces = run::<V>(&circuit, &publics).unwrap();
    let (pk, vk) = keys::<V>(&circuit);
    let proof = prove(&pk, &traces).unwrap();
    verify(&vk, &publics, &proof).unwrap();

    // A wrong claimed output is refused by the runner and by the verifier.
    let mut wrong = publics.clone();
    wrong[WIDTH + 3] += Ext::<V>::ONE;
    assert!(run::<V>(&circuit, &wrong).is_err());
    assert!(verify(&vk, &wrong, &proof).is_err());
}

/// The key carries tables for the called kinds only: given every Poseidon2 table, a circuit
/// of permutations gets one NPO table, and its proof one height per table it has. A kind
/// the circuit calls still needs its table.
fn only_the_called_kinds_have_tables<V: FieldFamily>() {
    use fixpoint_circuit_prover::{SetupError, ShapeFigure, TableKind, VerifyError};
    let circuit = circuit::<V>();
    let publics = native_publics::<V>();
    let (pk, vk) = keys::<V>(&circuit);
    assert_eq!(vk.npo_tables, [poseidon2::Table::Permutation]);
    let proof = prove(&pk, &run::<V>(&circuit, &publics).unwrap()).unwrap();
    // On the default (virtual) bus the batch proves no Witness table.
    let primitive = vk.layout.instances().len();
    assert_eq!(primitive, TableKind::ALL.len() - 1);
    assert_eq!(proof.inner.degree_bits.len(), primitive + 1);
    verify(&vk, &publics, &proof).unwrap();
    // A key that drops the called kind's table does not verify the proof.
    let mut dropped = vk.clone();
    dropped.npo_tables.clear();
    dropped.npo_log_heights.clear();
    assert_eq!(
        verify(&dropped, &publics, &proof),
        Err(VerifyError::Shape {
            what: "table heights",
            expected: ShapeFigure::Count(primitive),
            got: ShapeFigure::Count(primitive + 1),
        })
    );
    // Setup refuses a called kind without a table.
    let config = ProverConfig::<Stark<V>>::new(FriSettings::TEST);
    let others = [poseidon2::Table::MerkleStep, poseidon2::Table::Pack];
    assert_eq!(
        setup_with(&circuit, &config, &SetupOptions::new().with_npos(&others)).map(|_| ()),
        Err(SetupError::UnsupportedNpo { kind: POSEIDON2_16 })
    );
}

fn sponge_and_compression_match_p3<V: FieldFamily>() {
    use p3_symmetric::{
        CryptographicHasher, PaddingFreeSponge, PseudoCompressionFunction, TruncatedPermutation,
    };
    let perm = V::permutation();
    let sponge = PaddingFreeSponge::<_, 16, 8, 8>::new(perm.clone());
    let truncated = TruncatedPermutation::<_, 2, 8, 16>::new(perm);
    for len in [0usize, 5, 8, 13, 16] {
        let values: Vec<V> = (0..len as u32).map(|i| V::from_u32(3 * i + 2)).collect();
        let digest: [V; 8] = sponge.hash_iter(values.iter().copied());
        let mut b = CircuitBuilder::<Ext<V>>::new();
        let inputs = b.public_inputs(len);
        let out = poseidon2::hash_pad_free(&mut b, &inputs);
        publish::<V>(&mut b, &out);
        let circuit = b.build().unwrap();
        let publics: Vec<Ext<V>> = values
            .iter()
            .chain(&digest)
            .map(|&v| Ext::<V>::from(v))
            .collect();
        run::<V>(&circuit, &publics).unwrap_or_else(|e| panic!("length {len}: {e}"));
    }
    let left: [V; 8] = std::array::from_fn(|i| V::from_u32(i as u32));
    let right: [V; 8] = std::array::from_fn(|i| V::from_u32(100 + i as u32));
    let expected = truncated.compress([left, right]);
    let mut b = CircuitBuilder::<Ext<V>>::new();
    let l: [_; 8] = std::array::from_fn(|_| b.public_input());
    let r: [_; 8] = std::array::from_fn(|_| b.public_input());
    let out = poseidon2::compress(&mut b, &l, &r);
    publish::<V>(&mut b, &out);
    let circuit = b.build().unwrap();
    let publics: Vec<Ext<V>> = left
        .iter()
        .chain(&right)
        .chain(&expected)
        .map(|&v| Ext::<V>::from(v))
        .collect();
    let traces = run::<V>(&circuit, &publics).unwrap();
    let (pk, vk) = keys::<V>(&circuit);
    verify(&vk, &publics, &prove(&pk, &traces).unwrap()).unwrap();
}

/// A circuit of packed ops: `permute_packed`, `hash_pad_free_packed`,
/// `hash_slots_packed`, `compress_packed`, `pack` and `unpack`, all outputs
/// published; and the native values of its public inputs.
fn packed_circuit<V: FieldFamily>(len: usize) -> (Circuit<Ext<V>>, Vec<Ext<V>>) {
    use p3_symmetric::{
        CryptographicHasher, PaddingFreeSponge, PseudoCompressionFunction, TruncatedPermutation,
    };
    let perm = V::permutation();
    let sponge = PaddingFreeSponge::<_, 16, 8, 8>::new(perm.clone());
    let truncated = TruncatedPermutation::<_, 2, 8, 16>::new(perm.clone());
    let pack = |lanes: &[V]| poseidon2::pack_values::<Ext<V>>(lanes);
    let values: Vec<V> = (0..len as u32).map(|i| V::from_u32(3 * i + 2)).collect();
    let state: [V; WIDTH] = std::array::from_fn(|i| V::from_u32(7 * i as u32 + 1));
    let slots: Vec<Ext<V>> = pack(&values[..len / 4 * 4]);
    let slot_lanes: Vec<V> = values[..len / 4 * 4].to_vec();

    let mut b = CircuitBuilder::<Ext<V>>::new();
    let mut publics = Vec::new();
    // permute_packed
    let s: [_; 4] = std::array::from_fn(|_| b.public_input());
    let out = poseidon2::permute_packed(&mut b, &s);
    publish::<V>(&mut b, &out);
    publics.extend(pack(&state));
    publics.extend(pack(&perm.permute(state)));
    // hash_pad_free_packed of base values, one per slot
    let inputs = b.public_inputs(len);
    let digest = poseidon2::hash_pad_free_packed(&mut b, &inputs);
    publish::<V>(&mut b, &digest);
    publics.extend(values.iter().map(|&v| Ext::<V>::from(v)));
    publics.extend(pack(&sponge.hash_iter(values.iter().copied())));
    // hash_slots_packed of extension values
    let packed_inputs = b.public_inputs(slots.len());
    let digest = poseidon2::hash_slots_packed(&mut b, &packed_inputs);
    publish::<V>(&mut b, &digest);
    publics.extend(&slots);
    publics.extend(pack(&sponge.hash_iter(slot_lanes.iter().copied())));
    // compress_packed
    let l: [_; 2] = std::array::from_fn(|_| b.public_input());
    let r: [_; 2] = std::array::from_fn(|_| b.public_input());
    let out = poseidon2::compress_packed(&mut b, &l, &r);
    publish::<V>(&mut b, &out);
    let left: [V; 8] = std::array::from_fn(|i| state[i]);
    let right: [V; 8] = std::array::from_fn(|i| state[8 + i]);
    publics.extend(pack(&left));
    publics.extend(pack(&right));
    publics.extend(pack(&truncated.compress([left, right])));
    // unpack then pack back
    let slot = b.public_input();
    let lanes = poseidon2::unpack(&mut b, slot);
    publish::<V>(&mut b, &lanes);
    let again = poseidon2::pack(&mut b, &lanes);
    b.connect(again, slot);
    publics.extend(pack(&state[..4]));
    publics.extend(state[..4].iter().map(|&v| Ext::<V>::from(v)));
    (b.build().unwrap(), publics)
}

fn packed_ops_match_p3_and_prove<V: FieldFamily>() {
    for len in [0usize, 3, 4, 5, 8, 13, 16, 17] {
        let (circuit, publics) = packed_circuit::<V>(len);
        run::<V>(&circuit, &publics).unwrap_or_else(|e| panic!("length {len}: {e}"));
    }
    let (circuit, publics) = packed_circuit::<V>(13);
    let traces = run::<V>(&circuit, &publics).unwrap();
    let (pk, vk) = keys::<V>(&circuit);
    verify(&vk, &publics, &prove(&pk, &traces).unwrap()).unwrap();
}

/// `hash_packed_row` of `4·slots + tail` values equals p3's sponge of the values, for
/// rows whose tail falls in the first block, in a later one, or is absent; only a tail
/// costs PACK rows: one to pack it, and in a later block one more to unpack the lanes the
/// sponge keeps.
fn packed_rows_hash_as_p3<V: FieldFamily>() {
    use fixpoint_circuit_prover::merkle::PackedRow;
    use p3_symmetric::{CryptographicHasher, PaddingFreeSponge};
    let sponge = PaddingFreeSponge::<_, 16, 8, 8>::new(V::permutation());
    for len in [1usize, 3, 4, 7, 8, 12, 13, 17, 22, 24] {
        let values: Vec<V> = (0..len as u32).map(|i| V::from_u32(9 * i + 4)).collect();
        let digest: [V; 8] = sponge.hash_iter(values.iter().copied());
        let mut b = CircuitBuilder::<Ext<V>>::new();
        let row = PackedRow {
            slots: b.public_inputs(len / 4),
            tail: b.public_inputs(len % 4),
        };
        let out = poseidon2::hash_packed_row(&mut b, &row.slots, &row.tail);
        publish::<V>(&mut b, &out);
        let circuit = b.build().unwrap();
        let full = len / 4 * 4;
        let mut publics = poseidon2::pack_values::<Ext<V>>(&values[..full]);
        publics.extend(values[full..].iter().map(|&v| Ext::<V>::from(v)));
        publics.extend(poseidon2::pack_values::<Ext<V>>(&digest));
        let traces = run::<V>(&circuit, &publics).unwrap_or_else(|e| panic!("length {len}: {e}"));
        let packs = traces
            .npo
            .iter()
            .filter(|r| r.kind == poseidon2::PACK)
            .count();
        let tail = len % 4 != 0;
        let later_block = len / 4 >= poseidon2::PACKED_DIGEST;
        assert_eq!(
            packs,
            usize::from(tail) + usize::from(tail && later_block),
            "length {len}"
        );
    }
}

fn pack_refuses_an_extension_value<V: FieldFamily>() {
    let mut b = CircuitBuilder::<Ext<V>>::new();
    let lanes: [_; 4] = std::array::from_fn(|_| b.public_input());
    let slot = poseidon2::pack(&mut b, &lanes);
    b.expose(slot);
    let circuit = b.build().unwrap();
    let mut publics = vec![Ext::<V>::ONE; 4];
    publics[2] = Ext::<V>::from_basis_coefficients_fn(|k| V::from_u32(k as u32));
    let mut runner = circuit.runner();
    poseidon2::register_executors(&mut runner);
    runner.set_public_inputs(&publics).unwrap();
    let err = runner.run().map(|_| ()).unwrap_err();
    let fixpoint_circuit::RunError::NpoFailed { kind, source, .. } = &err else {
        panic!("expected the pack executor to refuse, got {err}");
    };
    assert_eq!(*kind, poseidon2::PACK);
    assert_eq!(
        source.inner().downcast_ref::<poseidon2::ExecError>(),
        Some(&poseidon2::ExecError::TooManyLanes {
            value: publics[2].to_string(),
            index: 2,
            lanes: 1
        })
    );
}

fn a_malicious_prover_cannot_unpack_to_other_lanes<V: FieldFamily>() {
    // unpack(slot) = lanes, all public; the prover claims lane 1 + 1. The lanes are advice
    // that a PACK row packs back into the slot.
    let mut b = CircuitBuilder::<Ext<V>>::new();
    let slot = b.public_input();
    let lanes = poseidon2::unpack(&mut b, slot);
    publish::<V>(&mut b, &lanes);
    let circuit = b.build().unwrap();
    let coords: Vec<V> = (0..4).map(|k| V::from_u32(10 + k)).collect();
    let mut publics = poseidon2::pack_values::<Ext<V>>(&coords);
    publics.extend(coords.iter().map(|&v| Ext::<V>::from(v)));
    let (pk, vk) = keys::<V>(&circuit);
    let mut traces = run::<V>(&circuit, &publics).unwrap();
    verify(&vk, &publics, &prove(&pk, &traces).unwrap()).unwrap();

    let fixpoint_circuit::Op::Npo { kind, inputs, .. } = circuit
        .ops
        .iter()
        .find(|op| matches!(op, fixpoint_circuit::Op::Npo { .. }))
        .unwrap()
    else {
        unreachable!()
    };
    assert_eq!(*kind, poseidon2::PACK);
    let lane = inputs[1];
    traces.npo[0].inputs[1] += Ext::<V>::ONE;
    fixpoint_tests::forge_slot(&mut traces, lane, Ext::<V>::ONE);
    let mut forged = publics.clone();
    forged[2] += Ext::<V>::ONE;
    let err = verify(&vk, &forged, &prove(&pk, &traces).unwrap()).unwrap_err();
    assert_eq!(
        err.rejection(),
        Some(fixpoint_circuit_prover::Rejection::OodEvaluation),
        "{err}"
    );
}

fn an_extension_value_at_a_base_port_is_a_prove_error<V: FieldFamily>() {
    let circuit = circuit::<V>();
    let (pk, _) = keys::<V>(&circuit);
    let mut traces = run::<V>(&circuit, &native_publics::<V>()).unwrap();
    traces.npo[1].inputs[3] = Ext::<V>::from_basis_coefficients_fn(|k| V::from_u32(k as u32 + 1));
    let Err(err) = prove(&pk, &traces) else {
        panic!("an extension value at a base port was proved");
    };
    assert_eq!(
        err,
        fixpoint_circuit_prover::ProveError::NotBase {
            kind: POSEIDON2_16.to_string(),
            op: traces.npo[1].op.0,
            port: 3
        }
    );
}

fn a_forged_permutation_output_is_rejected<V: FieldFamily>() {
    let circuit = circuit::<V>();
    let publics = native_publics::<V>();
    let (pk, vk) = keys::<V>(&circuit);
    // Claim a different output for the second permutation, consistently in
    // the NPO row, the Witness table and the public inputs.
    let mut traces = run::<V>(&circuit, &publics).unwrap();
    let mut forged = publics.clone();
    forged[2 * WIDTH] += Ext::<V>::ONE;
    traces.npo[1].outputs[0] += Ext::<V>::ONE;
    let slot = match &circuit
        .ops
        .iter()
        .filter(|op| matches!(op, fixpoint_circuit::Op::Npo { .. }))
        .nth(1)
    {
        Some(fixpoint_circuit::Op::Npo { outputs, .. }) => outputs[0],
        _ => unreachable!(),
    };
    fixpoint_tests::forge_slot(&mut traces, slot, Ext::<V>::ONE);
    let proof = prove(&pk, &traces).unwrap();
    let err = verify(&vk, &forged, &proof).unwrap_err();
    assert_eq!(
        err.rejection(),
        Some(fixpoint_circuit_prover::Rejection::OodEvaluation),
        "{err}"
    );
}

mod koala_bear {
    use fixpoint_circuit_prover::KoalaBear as V;

    #[test]
    fn permutation_matches_p3_and_proves() {
        super::permutation_matches_p3_and_proves::<V>();
    }

    #[test]
    fn only_the_called_kinds_have_tables() {
        super::only_the_called_kinds_have_tables::<V>();
    }

    #[test]
    fn sponge_and_compression_match_p3() {
        super::sponge_and_compression_match_p3::<V>();
    }

    #[test]
    fn packed_ops_match_p3_and_prove() {
        super::packed_ops_match_p3_and_prove::<V>();
    }

    #[test]
    fn packed_rows_hash_as_p3() {
        super::packed_rows_hash_as_p3::<V>();
    }

    #[test]
    fn pack_refuses_an_extension_value() {
        super::pack_refuses_an_extension_value::<V>();
    }

    #[test]
    fn a_malicious_prover_cannot_unpack_to_other_lanes() {
        super::a_malicious_prover_cannot_unpack_to_other_lanes::<V>();
    }

    #[test]
    fn an_extension_value_at_a_base_port_is_a_prove_error() {
        super::an_extension_value_at_a_base_port_is_a_prove_error::<V>();
    }

    #[test]
    fn a_forged_permutation_output_is_rejected() {
        super::a_forged_permutation_output_is_rejected::<V>();
    }
}

mod baby_bear {
    use fixpoint_circuit_prover::BabyBear as V;

    #[test]
    fn permutation_matches_p3_and_proves() {
        super::permutation_matches_p3_and_proves::<V>();
    }

    #[test]
    fn only_the_called_kinds_have_tables() {
        super::only_the_called_kinds_have_tables::<V>();
    }

    #[test]
    fn sponge_and_compression_match_p3() {
        super::sponge_and_compression_match_p3::<V>();
    }

    #[test]
    fn packed_ops_match_p3_and_prove() {
        super::packed_ops_match_p3_and_prove::<V>();
    }

    #[test]
    fn packed_rows_hash_as_p3() {
        super::packed_rows_hash_as_p3::<V>();
    }

    #[test]
    fn pack_refuses_an_extension_value() {
        super::pack_refuses_an_extension_value::<V>();
    }

    #[test]
    fn a_malicious_prover_cannot_unpack_to_other_lanes() {
        super::a_malicious_prover_cannot_unpack_to_other_lanes::<V>();
    }

    #[test]
    fn an_extension_value_at_a_base_port_is_a_prove_error() {
        super::an_extension_value_at_a_base_port_is_a_prove_error::<V>();
    }

    #[test]
    fn a_forged_permutation_output_is_rejected() {
        super::a_forged_permutation_output_is_rejected::<V>();
    }
}
