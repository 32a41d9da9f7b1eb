//! The transcript of `TwoAdicFriPcs::verify` in a circuit, against p3 itself: for each
//! shape, commit random matrices natively, open them, verify natively on a recording
//! challenger, then build the circuit from the shape alone, run it on the proof and compare
//! the two transcripts lane by lane.

mod common;

use common::*;
use fixpoint_circuit::{Circuit, CircuitBuilder, RunError};
use fixpoint_circuit_prover::poseidon2::Table;
use fixpoint_circuit_prover::{
    Ext, FieldFamily, FriSettings, ProverConfig, SetupOptions, Stark, prove, setup_with, verify,
};
use fixpoint_recursion::CircuitChallenger;
use fixpoint_recursion::fri;
use fixpoint_recursion::pcs::{self, PcsInputs, PcsShape, ProofShapeError};
use fixpoint_recursion::transcript;
use p3_commit::Pcs;
use p3_field::{BasedVectorSpace, PrimeCharacteristicRing};

/// 1–3 commitments, several heights (1 to 2^8) and widths, 1–2 points, blowup 1–3, each PoW on and
/// off, final polynomial of 1, 4 and 32 coefficients, cap heights 0 and 2, arity 2 and 4.
fn shapes() -> Vec<PcsShape> {
    vec![
        // A height-1 matrix (a constant): its reduced opening at height `log_blowup` must
        // be zero.
        PcsShape {
            fri: fri(1, 1, 0, [0, 0, 0], 0),
            commitments: vec![batch(&[(5, 3, 1)]), batch(&[(0, 2, 1)])],
        },
        PcsShape {
            fri: fri(2, 2, 0, [1, 1, 2], 2),
            commitments: vec![batch(&[(6, 2, 2), (4, 5, 1)]), batch(&[(5, 1, 1)])],
        },
        PcsShape {
            fri: fri(3, 1, 2, [2, 0, 1], 0),
            commitments: vec![
                batch(&[(7, 1, 1)]),
                batch(&[(6, 3, 2), (6, 2, 1)]),
                batch(&[(5, 4, 1), (3, 2, 2)]),
            ],
        },
        PcsShape {
            fri: fri(2, 2, 5, [0, 2, 0], 2),
            commitments: vec![batch(&[(8, 2, 1), (6, 1, 2)])],
        },
    ]
}

struct Built<V: FieldFamily> {
    circuit: Circuit<Ext<V>>,
    challenger: CircuitChallenger<Ext<V>>,
}

fn build<V: FieldFamily>(shape: &PcsShape) -> Built<V> {
    let mut b = CircuitBuilder::<Ext<V>>::new();
    let mut challenger = CircuitChallenger::new(&mut b);
    let inputs = PcsInputs::allocate(&mut b, shape);
    pcs::verify_transcript(&mut b, &mut challenger, shape, &inputs).unwrap();
    Built {
        circuit: b.build().unwrap(),
        challenger,
    }
}

fn the_transcript_matches_p3_on_every_shape<V: FieldFamily>() {
    for (s, shape) in shapes().iter().enumerate() {
        let (claims, proof, native) = native::<V>(shape, s as u64);
        let built = build::<V>(shape);
        let inputs = pcs::inputs(shape, &claims, &proof).unwrap();
        let traces = run::<V>(&built.circuit, &inputs).unwrap_or_else(|e| panic!("shape {s}: {e}"));
        if let Err(d) = transcript::compare(
            &native.events,
            &built.circuit,
            &traces,
            built.challenger.transcript(),
        ) {
            panic!("shape {s}: {d}");
        }
    }
}

fn the_circuit_hashes_what_p3_hashes_plus_the_nodes_p3_shares<V: FieldFamily>() {
    // p3's pruned multiproof computes a node that several queries share once;
    // the circuit, fixed before the indices are drawn, hashes one path per
    // query. Everything else must cost exactly what it costs natively.
    let mut shapes_that_share = 0;
    for (s, shape) in all_shapes().iter().enumerate() {
        let (_, proof, _, openings) = native_with_openings::<V>(shape, s as u64);
        let perm = counting::<V>();
        let (pcs, params, val_mmcs) = native_parts_with::<V>(&shape.fri, perm.clone());
        pcs.verify(
            openings.clone(),
            &proof,
            &mut Challenger::<V>::new(perm.clone()),
        )
        .unwrap();
        let native = perm.count();
        let witness = query_witness::<V>(&params, &val_mmcs, &openings, &proof);
        let merkle = fri::MerkleSharing::of(shape, &witness).total();
        let (circuit, paths) = build_full::<V>(shape);
        // Each shared tree saves `top` steps per query and costs its rows.
        let queries = shape.fri.num_queries;
        let saved: usize = paths
            .trees
            .iter()
            .flatten()
            .map(|t| queries * t.top() - t.rows())
            .sum();
        let permutations = circuit
            .ops
            .iter()
            .filter(|op| {
                matches!(op, fixpoint_circuit::Op::Npo { kind, .. }
                    if *kind == fixpoint_circuit_prover::poseidon2::POSEIDON2_16
                        || *kind == fixpoint_circuit_prover::poseidon2::POSEIDON2_16_PACKED
                        || *kind == fixpoint_circuit_prover::poseidon2::MERKLE_STEP
                        || *kind == fixpoint_circuit_prover::poseidon2::MERKLE_SHARED)
            })
            .count();
        assert_eq!(
            permutations + saved,
            native + merkle.per_query - merkle.shared,
            "shape {s}: {shape:?}"
        );
        assert!(merkle.shared <= merkle.bound && merkle.bound <= merkle.per_query);
        shapes_that_share += usize::from(merkle.shared < merkle.per_query);
    }
    // The identity is not the trivial one: queries do share nodes.
    assert!(shapes_that_share > 0);
}

/// Every shape, and each again with binary folding.
fn all_shapes() -> Vec<PcsShape> {
    let binary = shapes().into_iter().map(|mut shape| {
        shape.fri.max_log_arity = 1;
        shape
    });
    shapes().into_iter().chain(binary).collect()
}

fn the_whole_verifier_accepts_p3_proofs_and_proves<V: FieldFamily>() {
    for (s, shape) in all_shapes().iter().enumerate() {
        let (circuit, paths) = build_full::<V>(shape);
        let run = full_run::<V>(shape, 10 + s as u64);
        let traces =
            run_full::<V>(&circuit, &paths, &run).unwrap_or_else(|e| panic!("shape {s}: {e}"));
        prove_and_verify::<V>(&circuit, &traces, &run.inputs.publics)
            .unwrap_or_else(|e| panic!("shape {s}: {e}"));
        // Another proof of the same shape runs on the same circuit.
        let other = full_run::<V>(shape, 100 + s as u64);
        assert_ne!(other.inputs, run.inputs);
        run_full::<V>(&circuit, &paths, &other)
            .unwrap_or_else(|e| panic!("shape {s}, second proof: {e}"));
        let (again, _) = build_full::<V>(shape);
        assert_eq!(again.id(), circuit.id());
    }
}

fn a_malicious_prover_cannot_flip_a_merkle_direction_or_move_a_query<V: FieldFamily>() {
    use fixpoint_circuit_prover::poseidon2::{MERKLE_SHARED, MERKLE_STEP, PACK};
    use p3_symmetric::Permutation;
    let shape = &shapes()[0];
    let (circuit, paths) = build_full::<V>(shape);
    let run = full_run::<V>(shape, 31);
    let honest = run_full::<V>(&circuit, &paths, &run).unwrap();
    prove_and_verify::<V>(&circuit, &honest, &run.inputs.publics).unwrap();

    // 1. The first Merkle level of query 0 hashes in the other order: the row
    //    is a valid compression of the swapped pair, its bit flipped.
    let mut traces = honest.clone();
    // The first ordinary level (a shared tree's rows, first in op order, read or
    // provide nodes).
    let step = traces
        .npo
        .iter_mut()
        .find(|r| {
            r.kind == MERKLE_STEP
                || (r.kind == MERKLE_SHARED
                    && r.inputs[5] == Ext::<V>::ZERO
                    && r.inputs[6] == Ext::<V>::ZERO)
        })
        .unwrap();
    let lanes = |slots: &[Ext<V>]| -> Vec<V> {
        slots
            .iter()
            .flat_map(|s| s.as_basis_coefficients_slice().to_vec())
            .collect()
    };
    let (digest, sibling) = (lanes(&step.inputs[..2]), lanes(&step.private[..2]));
    let flipped = step.inputs[2] == Ext::<V>::ZERO;
    let (left, right) = if flipped {
        (&sibling, &digest)
    } else {
        (&digest, &sibling)
    };
    let state: [V; 16] = std::array::from_fn(|i| if i < 8 { left[i] } else { right[i - 8] });
    let out = counting::<V>().permute(state);
    step.inputs[2] = if flipped {
        Ext::<V>::ONE
    } else {
        Ext::<V>::ZERO
    };
    step.outputs = fixpoint_circuit_prover::poseidon2::pack_values::<Ext<V>>(&out[..8]);
    let err = prove_and_verify::<V>(&circuit, &traces, &run.inputs.publics).unwrap_err();
    assert_eq!(
        err.rejection(),
        Some(fixpoint_circuit_prover::Rejection::LookupSum),
        "{err}"
    );

    // 2. A query index taken from other lanes than the transcript sampled: the
    //    PACK row that unpacks a query sample (its lanes are a `BaseCoeffs` hint's
    //    outputs) claims a different lane.
    use fixpoint_circuit::{HintKind, Op};
    let coordinates: std::collections::HashSet<_> = circuit
        .ops
        .iter()
        .filter_map(|op| match op {
            Op::Hint {
                kind: HintKind::BaseCoeffs,
                outputs,
                ..
            } => Some(outputs.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    let unpacks = |op: fixpoint_circuit::OpId| {
        matches!(&circuit.ops[op.index()], Op::Npo { kind, inputs, .. }
            if *kind == PACK && coordinates.contains(&inputs[0]))
    };
    let mut traces = honest;
    let unpack = traces.npo.iter_mut().rfind(|r| unpacks(r.op)).unwrap();
    unpack.inputs[0] += Ext::<V>::ONE;
    let err = prove_and_verify::<V>(&circuit, &traces, &run.inputs.publics).unwrap_err();
    assert_eq!(
        err.rejection(),
        Some(fixpoint_circuit_prover::Rejection::OodEvaluation),
        "{err}"
    );
}

fn an_opening_point_on_the_query_coset_is_rejected<V: FieldFamily>() {
    let shape = &shapes()[0];
    let (circuit, paths) = build_full::<V>(shape);
    let mut run = full_run::<V>(shape, 41);
    // x of query 0 for the first matrix: g·ω_h^{bitrev_h(i >> (H − h))}.
    let h_max = shape.log_max_height();
    let h = shape.commitments[0][0].log_height + shape.fri.log_blowup;
    let reduced = run.witness.indices[0] >> (h_max - h);
    let reversed = (0..h).fold(0, |acc, t| acc | (((reduced >> t) & 1) << (h - 1 - t)));
    let x = V::GENERATOR * V::two_adic_generator(h).exp_u64(reversed as u64);
    // The point is the first input after the caps; points are not absorbed by
    // the PCS transcript, so the query indices stay.
    let caps: usize = shape.batch_cap_roots().iter().sum::<usize>() * 2;
    run.inputs.publics[caps] = Ext::<V>::from(x);
    let err = run_full::<V>(&circuit, &paths, &run).unwrap_err();
    // x = z: the quotient (p(x) − p(z)) / (x − z) divides by zero.
    assert!(
        matches!(&err, RunError::DivisionByZero { scope, .. }
            if scope.starts_with("fri_queries/query0/reduced_openings")),
        "{err}"
    );
}

fn op_counts_by_component<V: FieldFamily>() -> String {
    let arity_4 = &shapes()[1];
    let mut arity_2 = arity_4.clone();
    arity_2.fri.max_log_arity = 1;
    let mut report = String::new();
    for (name, shape) in [("max_log_arity 2", arity_4), ("max_log_arity 1", &arity_2)] {
        let (circuit, _) = build_full::<V>(shape);
        let stats = circuit.stats();
        report += &format!(
            "--- {name}: rounds {:?}, {} witness slots\n{}",
            shape.log_arities(),
            stats.witness_count,
            fixpoint_recursion::components::ComponentCounts::of(&stats)
        );
    }
    report
}

fn tampered_proofs_are_rejected_by_the_check_that_failed<V: FieldFamily>() {
    // No PoW: the first check a tampered value meets is the one named.
    let shape = &shapes()[0];
    let (circuit, paths) = build_full::<V>(shape);
    let honest = full_run::<V>(shape, 21);
    run_full::<V>(&circuit, &paths, &honest).unwrap();
    // Offsets of the inputs, in allocation order: the statement is public
    // (caps, points, claimed values), the rest private.
    let caps: usize = shape.batch_cap_roots().iter().sum::<usize>() * 2;
    let points: usize = shape.commitments.iter().flatten().map(|m| m.points).sum();
    let rounds = shape.log_arities().len();
    let round_caps: usize = shape.round_cap_roots().iter().sum::<usize>() * 2;
    let final_poly = 1 + round_caps + rounds;
    let pcs_private = final_poly + (1 << shape.fri.log_final_poly_len) + 1;
    let rows: usize = shape
        .commitments
        .iter()
        .flatten()
        .map(|m| m.width)
        .sum::<usize>()
        * shape.fri.num_queries;
    let (public, private) = (true, false);
    // A commitment: every root of the first batch's cap (the queries may
    // select any of them).
    let first_cap = 0..2 * shape.batch_cap_roots()[0];
    let cases = [
        (
            "an opened row value",
            private,
            pcs_private..pcs_private + 1,
            "fri_queries/query0/batch0/merkle",
        ),
        // Claims and the final polynomial are absorbed before the query
        // indices: changing one moves every index, so query 0's first Merkle
        // check is the first to fail.
        (
            "a claimed value",
            public,
            caps + points..caps + points + 1,
            "fri_queries/query0/batch0/merkle",
        ),
        // The first batch's shared tree (built before the queries) computes the
        // committed root from the proof's nodes.
        (
            "a commitment",
            public,
            first_cap,
            "fri_queries/batch0/merkle/shared_tree",
        ),
        (
            "a commit-phase sibling",
            private,
            pcs_private + rows..pcs_private + rows + 1,
            "fri_queries/query0/fold0/merkle",
        ),
        (
            "a final-polynomial coefficient",
            private,
            final_poly..final_poly + 1,
            "fri_queries/query0/batch0/merkle",
        ),
    ];
    for (what, is_public, positions, scope) in cases {
        let mut tampered = FullRun {
            inputs: honest.inputs.clone(),
            witness: honest.witness.clone(),
        };
        let values = if is_public {
            &mut tampered.inputs.publics
        } else {
            &mut tampered.inputs.privates
        };
        for position in positions {
            values[position] += Ext::<V>::ONE;
        }
        match first_failure::<V>(&circuit, &paths, &tampered) {
            None => panic!("{what}: accepted"),
            // A Merkle check of query 0: its path's own (a tree that climbs to its
            // root), or the node it reads at a shared tree's top (the node bus).
            Some(err) => match scope.strip_suffix("/merkle") {
                Some(_) => assert!(
                    err.starts_with("node bus: ")
                        || (err.contains("fri_queries/query0/") && err.contains("/merkle`")),
                    "{what}: {err}"
                ),
                None => assert!(err.contains(scope), "{what}: {err}"),
            },
        }
    }
    // A changed Merkle sibling of an input path.
    let mut tampered = FullRun {
        inputs: honest.inputs.clone(),
        witness: honest.witness.clone(),
    };
    // Its path reads another node at the shared top: only the node bus sees it.
    tampered.witness.input_siblings[0][0][0][0] += V::ONE;
    let err = first_failure::<V>(&circuit, &paths, &tampered).unwrap();
    assert!(err.starts_with("node bus: "), "{err}");
}

fn two_proofs_of_one_shape_give_one_circuit_and_it_proves<V: FieldFamily>() {
    let shape = &shapes()[1];
    let (first, second) = (build::<V>(shape), build::<V>(shape));
    assert_eq!(first.circuit.id(), second.circuit.id());
    let (claims, proof, _) = native::<V>(shape, 7);
    let inputs = pcs::inputs(shape, &claims, &proof).unwrap();
    let traces = run::<V>(&first.circuit, &inputs).unwrap();
    let config = ProverConfig::<Stark<V>>::new(FriSettings::TEST);
    let (pk, vk) = setup_with(
        &first.circuit,
        &config,
        &SetupOptions::new().with_npos(&Table::ALL),
    )
    .unwrap();
    verify(&vk, &inputs.publics, &prove(&pk, &traces).unwrap()).unwrap();
}

fn a_wrong_pow_witness_is_rejected_by_the_check_that_failed<V: FieldFamily>() {
    // Shape 1 grinds 1 bit (batch), 1 bit per round and 2 bits (query).
    let shape = &shapes()[1];
    let (claims, mut proof, _) = native::<V>(shape, 3);
    let built = build::<V>(shape);
    let honest = proof.query_pow_witness;
    let mut rejected = 0;
    for k in 1..=8u32 {
        proof.query_pow_witness = honest + V::from_u32(k);
        let inputs = pcs::inputs(shape, &claims, &proof).unwrap();
        if let Err(e) = run::<V>(&built.circuit, &inputs) {
            assert!(violates(&e, "pcs/fri/queries"), "{e}");
            rejected += 1;
        }
    }
    // Each wrong witness passes 2 bits with probability 1/4.
    assert!(
        rejected >= 4,
        "only {rejected} of 8 wrong witnesses rejected"
    );
}

fn proofs_of_another_shape_are_typed_errors<V: FieldFamily>() {
    let shape = &shapes()[1];
    let (claims, proof, _) = native::<V>(shape, 5);
    let mut other = shape.clone();
    other.fri.log_final_poly_len = 1;
    assert!(matches!(
        pcs::inputs(&other, &claims, &proof),
        Err(ProofShapeError::Length {
            what: "final polynomial coefficients",
            ..
        })
    ));
    assert!(matches!(
        pcs::inputs(shape, &claims[..1], &proof),
        Err(ProofShapeError::Length {
            what: "committed batches",
            ..
        })
    ));
    let mut fewer = claims.clone();
    fewer[0].1[0].pop();
    assert!(matches!(
        pcs::inputs(shape, &fewer, &proof),
        Err(ProofShapeError::Length {
            what: "opening points of a matrix",
            ..
        })
    ));
    // A nonzero witness where a phase grinds 0 bits.
    let shape0 = &shapes()[0];
    let (claims, mut proof, _) = native::<V>(shape0, 5);
    proof.query_pow_witness = V::ONE;
    assert_eq!(
        pcs::inputs(shape0, &claims, &proof),
        Err(ProofShapeError::NonCanonicalPow { phase: "query" })
    );
}

mod koala_bear {
    use fixpoint_circuit_prover::KoalaBear as V;

    #[test]
    fn op_counts_by_component() {
        let report = super::op_counts_by_component::<V>();
        insta::assert_snapshot!("op_counts_koala_bear", report);
    }

    #[test]
    fn the_transcript_matches_p3_on_every_shape() {
        super::the_transcript_matches_p3_on_every_shape::<V>();
    }

    #[test]
    fn the_circuit_hashes_what_p3_hashes_plus_the_nodes_p3_shares() {
        super::the_circuit_hashes_what_p3_hashes_plus_the_nodes_p3_shares::<V>();
    }

    #[test]
    fn the_whole_verifier_accepts_p3_proofs_and_proves() {
        super::the_whole_verifier_accepts_p3_proofs_and_proves::<V>();
    }

    #[test]
    fn a_malicious_prover_cannot_flip_a_merkle_direction_or_move_a_query() {
        super::a_malicious_prover_cannot_flip_a_merkle_direction_or_move_a_query::<V>();
    }

    #[test]
    fn an_opening_point_on_the_query_coset_is_rejected() {
        super::an_opening_point_on_the_query_coset_is_rejected::<V>();
    }

    #[test]
    fn tampered_proofs_are_rejected_by_the_check_that_failed() {
        super::tampered_proofs_are_rejected_by_the_check_that_failed::<V>();
    }

    #[test]
    fn two_proofs_of_one_shape_give_one_circuit_and_it_proves() {
        super::two_proofs_of_one_shape_give_one_circuit_and_it_proves::<V>();
    }

    #[test]
    fn a_wrong_pow_witness_is_rejected_by_the_check_that_failed() {
        super::a_wrong_pow_witness_is_rejected_by_the_check_that_failed::<V>();
    }

    #[test]
    fn proofs_of_another_shape_are_typed_errors() {
        super::proofs_of_another_shape_are_typed_errors::<V>();
    }
}

mod baby_bear {
    use fixpoint_circuit_prover::BabyBear as V;

    #[test]
    fn op_counts_by_component() {
        let report = super::op_counts_by_component::<V>();
        insta::assert_snapshot!("op_counts_baby_bear", report);
    }

    #[test]
    fn the_transcript_matches_p3_on_every_shape() {
        super::the_transcript_matches_p3_on_every_shape::<V>();
    }

    #[test]
    fn the_circuit_hashes_what_p3_hashes_plus_the_nodes_p3_shares() {
        super::the_circuit_hashes_what_p3_hashes_plus_the_nodes_p3_shares::<V>();
    }

    #[test]
    fn the_whole_verifier_accepts_p3_proofs_and_proves() {
        super::the_whole_verifier_accepts_p3_proofs_and_proves::<V>();
    }

    #[test]
    fn a_malicious_prover_cannot_flip_a_merkle_direction_or_move_a_query() {
        super::a_malicious_prover_cannot_flip_a_merkle_direction_or_move_a_query::<V>();
    }

    #[test]
    fn an_opening_point_on_the_query_coset_is_rejected() {
        super::an_opening_point_on_the_query_coset_is_rejected::<V>();
    }

    #[test]
    fn tampered_proofs_are_rejected_by_the_check_that_failed() {
        super::tampered_proofs_are_rejected_by_the_check_that_failed::<V>();
    }

    #[test]
    fn two_proofs_of_one_shape_give_one_circuit_and_it_proves() {
        super::two_proofs_of_one_shape_give_one_circuit_and_it_proves::<V>();
    }

    #[test]
    fn a_wrong_pow_witness_is_rejected_by_the_check_that_failed() {
        super::a_wrong_pow_witness_is_rejected_by_the_check_that_failed::<V>();
    }

    #[test]
    fn proofs_of_another_shape_are_typed_errors() {
        super::proofs_of_another_shape_are_typed_errors::<V>();
    }
}

#[test]
fn shapes_p3_refuses_are_refused() {
    let mut shape = shapes()[0].clone();
    shape.fri.num_queries = 0;
    assert!(matches!(
        shape.validate::<p3_koala_bear::KoalaBear>(),
        Err(ProofShapeError::InvalidShape(_))
    ));
    let shape = PcsShape {
        fri: fri(2, 1, 0, [0, 0, 0], 0),
        commitments: vec![vec![]],
    };
    assert!(matches!(
        shape.validate::<p3_koala_bear::KoalaBear>(),
        Err(ProofShapeError::InvalidShape("nothing is committed"))
    ));
    // A matrix below the final height would never be folded in: its claims would be bound
    // to nothing but its Merkle row.
    let mut shape = shapes()[2].clone();
    shape.commitments[2][1].log_height = shape.fri.log_final_poly_len;
    assert_eq!(
        shape.validate::<p3_koala_bear::KoalaBear>(),
        Err(ProofShapeError::InvalidShape(
            "a matrix no taller than the final polynomial"
        ))
    );
    let mut b = CircuitBuilder::<fixpoint_circuit_prover::KoalaBearExt>::new();
    let mut challenger = CircuitChallenger::new(&mut b);
    let inputs = PcsInputs::allocate(&mut b, &shape);
    assert!(pcs::verify_transcript(&mut b, &mut challenger, &shape, &inputs).is_err());
    // Targets built by hand with a missing coefficient are refused, not silently skipped.
    let shape = shapes()[2].clone();
    let mut inputs = PcsInputs::allocate(&mut b, &shape);
    inputs.final_poly.pop();
    assert_eq!(
        pcs::verify_transcript(&mut b, &mut challenger, &shape, &inputs).unwrap_err(),
        ProofShapeError::Length {
            what: "final polynomial coefficients",
            expected: 4,
            got: 3
        }
    );
}
