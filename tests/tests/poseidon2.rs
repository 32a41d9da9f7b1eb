//! The Poseidon2 permutation as a non-primitive op: the circuit's outputs equal p3's native
//! permutation with the default constants, the table proves it on both fields, and a wrong
//! output is rejected.

use fixpoint_circuit::{Circuit, CircuitBuilder, Target, Traces};
use fixpoint_circuit_prover::poseidon2::{self, POSEIDON2_16, WIDTH};
use fixpoint_circuit_prover::{
    FriSettings, Keys, ProverConfig, SetupOptions, prove, setup_with, verify,
};
use p3_field::{BasedVectorSpace, PrimeCharacteristicRing};
use p3_symmetric::Permutation;

macro_rules! poseidon2_tests {
    ($module:ident, $ext:ty, $val:ty, $native:path, $config:ident, $stark:ty) => {
        mod $module {
            use super::*;

            type E = $ext;

            /// Two chained permutations; public inputs are the state and both outputs.
            fn circuit() -> Circuit<E> {
                let mut b = CircuitBuilder::<E>::new();
                let state: [_; WIDTH] = std::array::from_fn(|_| b.public_input());
                let once = poseidon2::permute(&mut b, &state);
                let twice = poseidon2::permute(&mut b, &once);
                publish(&mut b, once.iter().chain(&twice));
                b.build().unwrap()
            }

            fn native_publics() -> Vec<E> {
                let perm = $native();
                let input: [$val; WIDTH] =
                    std::array::from_fn(|i| <$val>::from_u32(7 * i as u32 + 1));
                let once = perm.permute(input);
                let twice = perm.permute(once);
                input
                    .iter()
                    .chain(&once)
                    .chain(&twice)
                    .map(|&v| E::from(v))
                    .collect()
            }

            /// Connects each target to a new public input.
            fn publish<'a>(
                b: &mut CircuitBuilder<E>,
                targets: impl IntoIterator<Item = &'a Target>,
            ) {
                for &t in targets {
                    let public = b.public_input();
                    b.connect(t, public);
                }
            }

            fn keys(circuit: &Circuit<E>) -> Keys<$stark, poseidon2::$module::Table> {
                let config = ProverConfig::$config(FriSettings::TEST);
                setup_with(
                    circuit,
                    &config,
                    &SetupOptions::new().with_npos(&poseidon2::$module::Table::ALL),
                )
                .unwrap()
            }

            fn run(circuit: &Circuit<E>, publics: &[E]) -> Result<Traces<E>, String> {
                let mut runner = circuit.runner();
                poseidon2::$module::register_executors(&mut runner);
                runner
                    .set_public_inputs(publics)
                    .map_err(|e| e.to_string())?;
                runner.run().map_err(|e| e.to_string())
            }

            #[test]
            fn permutation_matches_p3_and_proves() {
                let circuit = circuit();
                let publics = native_publics();
                let traces = run(&circuit, &publics).unwrap();
                let (pk, vk) = keys(&circuit);
                let proof = prove(&pk, &traces).unwrap();
                verify(&vk, &publics, &proof).unwrap();

                // A wrong claimed output is refused by the runner and by the verifier.
                let mut wrong = publics.clone();
                wrong[WIDTH + 3] += E::ONE;
                assert!(run(&circuit, &wrong).is_err());
                assert!(verify(&vk, &wrong, &proof).is_err());
            }

            #[test]
            fn sponge_and_compression_match_p3() {
                use p3_symmetric::{
                    CryptographicHasher, PaddingFreeSponge, PseudoCompressionFunction,
                    TruncatedPermutation,
                };
                let perm = $native();
                let sponge = PaddingFreeSponge::<_, 16, 8, 8>::new(perm.clone());
                let truncated = TruncatedPermutation::<_, 2, 8, 16>::new(perm);
                for len in [0usize, 5, 8, 13, 16] {
                    let values: Vec<$val> = (0..len as u32)
                        .map(|i| <$val>::from_u32(3 * i + 2))
                        .collect();
                    let digest: [$val; 8] = sponge.hash_iter(values.iter().copied());
                    let mut b = CircuitBuilder::<E>::new();
                    let inputs = b.public_inputs(len);
                    let out = poseidon2::hash_pad_free(&mut b, &inputs);
                    publish(&mut b, &out);
                    let circuit = b.build().unwrap();
                    let publics: Vec<E> =
                        values.iter().chain(&digest).map(|&v| E::from(v)).collect();
                    run(&circuit, &publics).unwrap_or_else(|e| panic!("length {len}: {e}"));
                }
                let left: [$val; 8] = std::array::from_fn(|i| <$val>::from_u32(i as u32));
                let right: [$val; 8] = std::array::from_fn(|i| <$val>::from_u32(100 + i as u32));
                let expected = truncated.compress([left, right]);
                let mut b = CircuitBuilder::<E>::new();
                let l: [_; 8] = std::array::from_fn(|_| b.public_input());
                let r: [_; 8] = std::array::from_fn(|_| b.public_input());
                let out = poseidon2::compress(&mut b, &l, &r);
                publish(&mut b, &out);
                let circuit = b.build().unwrap();
                let publics: Vec<E> = left
                    .iter()
                    .chain(&right)
                    .chain(&expected)
                    .map(|&v| E::from(v))
                    .collect();
                let traces = run(&circuit, &publics).unwrap();
                let (pk, vk) = keys(&circuit);
                verify(&vk, &publics, &prove(&pk, &traces).unwrap()).unwrap();
            }

            /// A circuit of packed ops: `permute_packed`, `hash_pad_free_packed`,
            /// `hash_slots_packed`, `compress_packed`, `pack` and `unpack`, all outputs
            /// published; and the native values of its public inputs.
            fn packed_circuit(len: usize) -> (Circuit<E>, Vec<E>) {
                use p3_symmetric::{
                    CryptographicHasher, PaddingFreeSponge, PseudoCompressionFunction,
                    TruncatedPermutation,
                };
                let perm = $native();
                let sponge = PaddingFreeSponge::<_, 16, 8, 8>::new(perm.clone());
                let truncated = TruncatedPermutation::<_, 2, 8, 16>::new(perm.clone());
                let pack = |lanes: &[$val]| poseidon2::pack_values::<E>(lanes);
                let values: Vec<$val> = (0..len as u32)
                    .map(|i| <$val>::from_u32(3 * i + 2))
                    .collect();
                let state: [$val; WIDTH] =
                    std::array::from_fn(|i| <$val>::from_u32(7 * i as u32 + 1));
                let slots: Vec<E> = pack(&values[..len / 4 * 4]);
                let slot_lanes: Vec<$val> = values[..len / 4 * 4].to_vec();

                let mut b = CircuitBuilder::<E>::new();
                let mut publics = Vec::new();
                // permute_packed
                let s: [_; 4] = std::array::from_fn(|_| b.public_input());
                let out = poseidon2::permute_packed(&mut b, &s);
                publish(&mut b, &out);
                publics.extend(pack(&state));
                publics.extend(pack(&perm.permute(state)));
                // hash_pad_free_packed of base values, one per slot
                let inputs = b.public_inputs(len);
                let digest = poseidon2::hash_pad_free_packed(&mut b, &inputs);
                publish(&mut b, &digest);
                publics.extend(values.iter().map(|&v| E::from(v)));
                publics.extend(pack(&sponge.hash_iter(values.iter().copied())));
                // hash_slots_packed of extension values
                let packed_inputs = b.public_inputs(slots.len());
                let digest = poseidon2::hash_slots_packed(&mut b, &packed_inputs);
                publish(&mut b, &digest);
                publics.extend(&slots);
                publics.extend(pack(&sponge.hash_iter(slot_lanes.iter().copied())));
                // compress_packed
                let l: [_; 2] = std::array::from_fn(|_| b.public_input());
                let r: [_; 2] = std::array::from_fn(|_| b.public_input());
                let out = poseidon2::compress_packed(&mut b, &l, &r);
                publish(&mut b, &out);
                let left: [$val; 8] = std::array::from_fn(|i| state[i]);
                let right: [$val; 8] = std::array::from_fn(|i| state[8 + i]);
                publics.extend(pack(&left));
                publics.extend(pack(&right));
                publics.extend(pack(&truncated.compress([left, right])));
                // unpack then pack back
                let slot = b.public_input();
                let lanes = poseidon2::unpack(&mut b, slot);
                publish(&mut b, &lanes);
                let again = poseidon2::pack(&mut b, &lanes);
                b.connect(again, slot);
                publics.extend(pack(&state[..4]));
                publics.extend(state[..4].iter().map(|&v| E::from(v)));
                (b.build().unwrap(), publics)
            }

            #[test]
            fn packed_ops_match_p3_and_prove() {
                for len in [0usize, 3, 4, 5, 8, 13, 16, 17] {
                    let (circuit, publics) = packed_circuit(len);
                    run(&circuit, &publics).unwrap_or_else(|e| panic!("length {len}: {e}"));
                }
                let (circuit, publics) = packed_circuit(13);
                let traces = run(&circuit, &publics).unwrap();
                let (pk, vk) = keys(&circuit);
                verify(&vk, &publics, &prove(&pk, &traces).unwrap()).unwrap();
            }

            #[test]
            fn pack_refuses_an_extension_value() {
                let mut b = CircuitBuilder::<E>::new();
                let lanes: [_; 4] = std::array::from_fn(|_| b.public_input());
                let slot = poseidon2::pack(&mut b, &lanes);
                b.expose(slot);
                let circuit = b.build().unwrap();
                let mut publics = vec![E::ONE; 4];
                publics[2] = E::from_basis_coefficients_fn(|k| <$val>::from_u32(k as u32));
                let mut runner = circuit.runner();
                poseidon2::$module::register_executors(&mut runner);
                runner.set_public_inputs(&publics).unwrap();
                let err = runner.run().map(|_| ()).unwrap_err();
                assert!(
                    matches!(&err, fixpoint_circuit::RunError::NpoFailed { kind, source, .. }
                        if *kind == poseidon2::PACK && source.to_string().contains("more than 1 lane")),
                    "{err}"
                );
            }

            #[test]
            fn a_malicious_prover_cannot_unpack_to_other_lanes() {
                // unpack(slot) = lanes, all public; the prover claims lane 1 + 1.
                let mut b = CircuitBuilder::<E>::new();
                let slot = b.public_input();
                let lanes = poseidon2::unpack(&mut b, slot);
                publish(&mut b, &lanes);
                let circuit = b.build().unwrap();
                let coords: Vec<$val> = (0..4).map(|k| <$val>::from_u32(10 + k)).collect();
                let mut publics = poseidon2::pack_values::<E>(&coords);
                publics.extend(coords.iter().map(|&v| E::from(v)));
                let (pk, vk) = keys(&circuit);
                let mut traces = run(&circuit, &publics).unwrap();
                verify(&vk, &publics, &prove(&pk, &traces).unwrap()).unwrap();

                let fixpoint_circuit::Op::Npo { outputs, .. } = circuit
                    .ops
                    .iter()
                    .find(|op| matches!(op, fixpoint_circuit::Op::Npo { .. }))
                    .unwrap()
                else {
                    unreachable!()
                };
                let lane = outputs[1];
                traces.npo[0].outputs[1] += E::ONE;
                fixpoint_tests::forge_slot(&mut traces, lane, E::ONE);
                let mut forged = publics.clone();
                forged[2] += E::ONE;
                let err = verify(&vk, &forged, &prove(&pk, &traces).unwrap()).unwrap_err();
                assert!(err.to_string().contains("OodEvaluationMismatch"), "{err}");
            }

            #[test]
            fn an_extension_value_at_a_base_port_is_a_prove_error() {
                let circuit = circuit();
                let (pk, _) = keys(&circuit);
                let mut traces = run(&circuit, &native_publics()).unwrap();
                traces.npo[1].inputs[3] =
                    E::from_basis_coefficients_fn(|k| <$val>::from_u32(k as u32 + 1));
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

            #[test]
            fn a_forged_permutation_output_is_rejected() {
                let circuit = circuit();
                let publics = native_publics();
                let (pk, vk) = keys(&circuit);
                // Claim a different output for the second permutation, consistently in
                // the NPO row, the Witness table and the public inputs.
                let mut traces = run(&circuit, &publics).unwrap();
                let mut forged = publics.clone();
                forged[2 * WIDTH] += E::ONE;
                traces.npo[1].outputs[0] += E::ONE;
                let slot = match &circuit
                    .ops
                    .iter()
                    .filter(|op| matches!(op, fixpoint_circuit::Op::Npo { .. }))
                    .nth(1)
                {
                    Some(fixpoint_circuit::Op::Npo { outputs, .. }) => outputs[0],
                    _ => unreachable!(),
                };
                fixpoint_tests::forge_slot(&mut traces, slot, E::ONE);
                let proof = prove(&pk, &traces).unwrap();
                let err = verify(&vk, &forged, &proof).unwrap_err();
                assert!(err.to_string().contains("OodEvaluationMismatch"), "{err}");
            }
        }
    };
}

poseidon2_tests!(
    koala_bear,
    fixpoint_circuit_prover::KoalaBearExt,
    p3_koala_bear::KoalaBear,
    p3_koala_bear::default_koalabear_poseidon2_16,
    koala_bear,
    fixpoint_circuit_prover::KoalaBearStark
);
poseidon2_tests!(
    baby_bear,
    fixpoint_circuit_prover::BabyBearExt,
    p3_baby_bear::BabyBear,
    p3_baby_bear::default_babybear_poseidon2_16,
    baby_bear,
    fixpoint_circuit_prover::BabyBearStark
);
