//! The PCS verifier on matrices opened at one shared point, against p3: a STARK opens its
//! preprocessed and quotient matrices at one `ζ`, and the circuit then sums consecutive
//! matrices of one height at one point as one row ([`fri::verify_queries`]'s runs). The
//! circuit must accept exactly p3's proofs of such openings, prove, and refuse a claim at
//! another point.

mod common;

use common::*;
use fixpoint_circuit::RunError;
use fixpoint_circuit_prover::{Ext, FieldFamily};
use fixpoint_recursion::pcs::PcsShape;
use p3_field::PrimeCharacteristicRing;

/// Two batches at blowup 4, arity 4, no PoW: in the first, two matrices of height 2^6 at
/// `z` (one run) and one of 2^5 at `z` too (another height, so not in the run); in the
/// second, two of 2^6 at `w` (a run) and one at `z` and `w` (two points: never in a run).
fn shape() -> PcsShape {
    PcsShape {
        fri: fri(2, 2, 0, [0, 0, 0], 0),
        commitments: vec![
            batch(&[(6, 3, 1), (6, 5, 1), (5, 2, 1)]),
            batch(&[(6, 2, 1), (6, 4, 1), (6, 3, 2)]),
        ],
    }
}

/// `z` is id 0, `w` id 1.
fn shared() -> PointIds {
    vec![
        vec![vec![0], vec![0], vec![0]],
        vec![vec![1], vec![1], vec![0, 1]],
    ]
}

/// The public inputs that hold the points of id `id`: the caps come first, then the
/// points in (batch, matrix, point) order.
fn point_positions(shape: &PcsShape, ids: &PointIds, id: usize) -> Vec<usize> {
    let caps: usize = shape.batch_cap_roots().iter().sum::<usize>() * 2;
    ids.iter()
        .flatten()
        .flatten()
        .enumerate()
        .filter(|&(_, &i)| i == id)
        .map(|(position, _)| caps + position)
        .collect()
}

fn shared_points_are_summed_once_and_p3s_proofs_are_accepted_and_prove<V: FieldFamily>() {
    let shape = shape();
    let ids = shared();
    let (circuit, paths) = build_full_at::<V>(&shape, &ids);
    for seed in [1, 2] {
        let run = full_run_at::<V>(&shape, seed, &ids);
        let traces = run_full::<V>(&circuit, &paths, &run)
            .unwrap_or_else(|e| panic!("seed {seed}: p3's proof refused: {e}"));
        if seed == 1 {
            prove_and_verify::<V>(&circuit, &traces, &run.inputs.publics).unwrap();
        }
    }
}

/// The ops of the shape's verifier, by component, at shared and at distinct points. The
/// shared circuit saves twice: once per point it does not recompute (`x − z` and its
/// inverse) and once per run, whose matrices are one row sum; the snapshot pins both (with
/// runs off, ReducedOpenings at shared points has 51 more ops).
fn ops_at_shared_and_distinct_points<V: FieldFamily>() -> String {
    let shape = shape();
    let mut report = String::new();
    for (name, ids) in [("shared", shared()), ("distinct", distinct_points(&shape))] {
        let (circuit, _) = build_full_at::<V>(&shape, &ids);
        let stats = circuit.stats();
        report += &format!(
            "--- {name} points: {} ops\n{}",
            circuit.ops.len(),
            fixpoint_recursion::components::ComponentCounts::of(&stats)
        );
    }
    report
}

fn a_claim_at_another_point_is_rejected_by_the_folding<V: FieldFamily>() {
    let shape = shape();
    let ids = shared();
    let (circuit, paths) = build_full_at::<V>(&shape, &ids);
    let honest = full_run_at::<V>(&shape, 3, &ids);
    run_full::<V>(&circuit, &paths, &honest).unwrap();
    // Points are not absorbed by the PCS transcript, so the indices and every Merkle
    // check stay; the claimed values are no longer the matrices' values at the point, so
    // the reduced openings are wrong and query 0's folding does not match: the runner
    // sees it at the first round whose tree climbs to its root (the shared trees' reads
    // are the node bus's to check).
    for id in [0, 1] {
        let mut moved = FullRun {
            inputs: honest.inputs.clone(),
            witness: honest.witness.clone(),
        };
        for position in point_positions(&shape, &ids, id) {
            moved.inputs.publics[position] += Ext::<V>::ONE;
        }
        let err = run_full::<V>(&circuit, &paths, &moved).unwrap_err();
        assert!(
            violates(&err, "fri_queries/query0/fold"),
            "point {id}: {err}"
        );
    }
    // Moving one copy of a shared point only breaks the equality that makes them one.
    let mut split = FullRun {
        inputs: honest.inputs.clone(),
        witness: honest.witness.clone(),
    };
    let positions = point_positions(&shape, &ids, 0);
    split.inputs.publics[positions[1]] += Ext::<V>::ONE;
    let err = run_full::<V>(&circuit, &paths, &split).unwrap_err();
    assert!(matches!(err, RunError::WitnessConflict { .. }), "{err}");
}

mod koala_bear {
    use fixpoint_circuit_prover::KoalaBear as V;

    #[test]
    fn ops_at_shared_and_distinct_points() {
        let report = super::ops_at_shared_and_distinct_points::<V>();
        insta::assert_snapshot!("ops_koala_bear", report);
    }

    #[test]
    fn shared_points_are_summed_once_and_p3s_proofs_are_accepted_and_prove() {
        super::shared_points_are_summed_once_and_p3s_proofs_are_accepted_and_prove::<V>();
    }

    #[test]
    fn a_claim_at_another_point_is_rejected_by_the_folding() {
        super::a_claim_at_another_point_is_rejected_by_the_folding::<V>();
    }
}

mod baby_bear {
    use fixpoint_circuit_prover::BabyBear as V;

    #[test]
    fn ops_at_shared_and_distinct_points() {
        let report = super::ops_at_shared_and_distinct_points::<V>();
        insta::assert_snapshot!("ops_baby_bear", report);
    }

    #[test]
    fn shared_points_are_summed_once_and_p3s_proofs_are_accepted_and_prove() {
        super::shared_points_are_summed_once_and_p3s_proofs_are_accepted_and_prove::<V>();
    }

    #[test]
    fn a_claim_at_another_point_is_rejected_by_the_folding() {
        super::a_claim_at_another_point_is_rejected_by_the_folding::<V>();
    }
}
