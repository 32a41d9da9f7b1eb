//! Merkle-path verification against p3's own `MerkleTreeMmcs`: the circuit accepts p3's
//! openings (several heights, cap heights 0 and > 0) on both fields, proves them, and
//! rejects a wrong leaf, a wrong sibling, a different index and a wrong root — the last
//! also from a malicious prover.

use fixpoint_circuit::{Circuit, CircuitBuilder, Op, RunError, Traces};
use fixpoint_circuit_prover::merkle::{self, MatrixShape, MerkleError, MerklePath, MerkleShape};
use fixpoint_circuit_prover::poseidon2::{self, MERKLE_STEP};
use fixpoint_circuit_prover::{
    Ext, FieldFamily, FriSettings, Keys, ProverConfig, SetupOptions, Stark, prove, setup_with,
    verify,
};
use fixpoint_tests::violates;
use p3_commit::Mmcs;
use p3_field::{Field, PrimeCharacteristicRing};
use p3_matrix::Dimensions;
use p3_matrix::dense::RowMajorMatrix;
use p3_merkle_tree::MerkleTreeMmcs;
use p3_symmetric::{PaddingFreeSponge, TruncatedPermutation};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

fn shape(cap_height: usize, matrices: &[(usize, usize)]) -> MerkleShape {
    MerkleShape {
        matrices: matrices
            .iter()
            .map(|&(height, width)| MatrixShape { height, width })
            .collect(),
        cap_height,
    }
}

/// Shapes that exercise p3's rules: equal heights apart in commit order (the stable
/// sort), injections at several levels, a cap, and a cap taller than the tree.
fn shapes() -> Vec<MerkleShape> {
    vec![
        shape(0, &[(32, 5), (8, 1), (32, 3), (4, 17), (2, 2), (8, 8)]),
        shape(2, &[(16, 4), (8, 9), (4, 2)]),
        shape(7, &[(8, 2)]),
    ]
}

type Hash<V> = PaddingFreeSponge<<V as FieldFamily>::Permutation, 16, 8, 8>;
type Compress<V> = TruncatedPermutation<<V as FieldFamily>::Permutation, 2, 8, 16>;
/// p3's Merkle tree over family `V`, as the prover commits.
type P3Mmcs<V> =
    MerkleTreeMmcs<<V as Field>::Packing, <V as Field>::Packing, Hash<V>, Compress<V>, 2, 8>;

/// A native opening that p3's verifier accepted.
#[derive(Clone)]
struct Opening<V: FieldFamily> {
    shape: MerkleShape,
    mmcs: P3Mmcs<V>,
    cap: p3_symmetric::MerkleCap<V, [V; 8]>,
    index: usize,
    rows: Vec<Vec<V>>,
    siblings: Vec<[V; 8]>,
}

impl<V: FieldFamily> Opening<V> {
    fn new(shape: &MerkleShape, seed: u64) -> Self {
        let perm = V::permutation();
        let mmcs = P3Mmcs::<V>::new(
            Hash::<V>::new(perm.clone()),
            Compress::<V>::new(perm),
            shape.cap_height,
        );
        let mut rng = SmallRng::seed_from_u64(seed);
        let matrices: Vec<RowMajorMatrix<V>> = shape
            .matrices
            .iter()
            .map(|m| {
                let values = (0..m.height * m.width)
                    .map(|_| V::from_u64(rng.random()))
                    .collect();
                RowMajorMatrix::new(values, m.width)
            })
            .collect();
        let tallest = shape.matrices.iter().map(|m| m.height).max().unwrap();
        let index = rng.random_range(0..tallest);
        let (cap, data) = mmcs.commit(matrices);
        let opening = mmcs.open_batch(index, &data);
        let opening = Self {
            shape: shape.clone(),
            mmcs,
            cap,
            index,
            rows: opening.opened_values,
            siblings: opening.opening_proof,
        };
        opening.p3_verify().expect("p3 accepts its own opening");
        opening
    }

    /// p3's own verdict on this (possibly tampered) opening.
    fn p3_verify(&self) -> Result<(), p3_merkle_tree::MerkleTreeError> {
        let dims: Vec<Dimensions> = self
            .shape
            .matrices
            .iter()
            .map(|m| Dimensions {
                height: m.height,
                width: m.width,
            })
            .collect();
        let proof = p3_commit::BatchOpeningRef::new(&self.rows, &self.siblings);
        self.mmcs.verify_batch(&self.cap, &dims, self.index, proof)
    }

    /// The circuit's public inputs: the cap, the index, the rows.
    fn publics(&self) -> Vec<Ext<V>> {
        let cap = self
            .cap
            .roots()
            .iter()
            .flat_map(|r| poseidon2::pack_values::<Ext<V>>(r));
        let index = Ext::<V>::from_usize(self.index);
        let rows = self.rows.iter().flatten().map(|&v| Ext::<V>::from(v));
        cap.chain([index]).chain(rows).collect()
    }

    fn run(
        &self,
        circuit: &Circuit<Ext<V>>,
        path: &MerklePath,
    ) -> Result<Traces<Ext<V>>, RunError<Ext<V>>> {
        let mut runner = circuit.runner();
        poseidon2::register_executors(&mut runner);
        path.set_siblings(&mut runner, &self.siblings)
            .expect("the siblings fit the path");
        runner.set_public_inputs(&self.publics())?;
        runner.run()
    }
}

/// The verifier circuit of one shape: cap, index and rows are public inputs.
fn circuit<V: FieldFamily>(shape: &MerkleShape) -> (Circuit<Ext<V>>, MerklePath) {
    let mut b = CircuitBuilder::<Ext<V>>::new();
    let cap: Vec<_> = (0..shape.cap_roots().unwrap())
        .map(|_| merkle::public_digest(&mut b))
        .collect();
    let index = b.public_input();
    let rows: Vec<_> = shape
        .matrices
        .iter()
        .map(|m| b.public_inputs(m.width))
        .collect();
    let path = merkle::verify_batch(&mut b, shape, &cap, index, &rows).unwrap();
    (b.build().unwrap(), path)
}

fn keys<V: FieldFamily>(circuit: &Circuit<Ext<V>>) -> Keys<Stark<V>, poseidon2::Table> {
    let config = ProverConfig::<Stark<V>>::new(FriSettings::TEST);
    let tables = poseidon2::Table::ALL;
    setup_with(circuit, &config, &SetupOptions::new().with_npos(&tables)).unwrap()
}

/// The first opening of the first shape, its circuit, and the circuit's run.
fn honest<V: FieldFamily>() -> (Opening<V>, Circuit<Ext<V>>, MerklePath) {
    let shape = &shapes()[0];
    let (circuit, path) = circuit::<V>(shape);
    (Opening::<V>::new(shape, 1), circuit, path)
}

fn accepts_p3_openings_of_several_heights_and_caps_and_proves_them<V: FieldFamily>() {
    for (s, shape) in shapes().iter().enumerate() {
        let (circuit, path) = circuit::<V>(shape);
        assert_eq!(path.levels.len(), shape.levels().unwrap());
        for seed in 0..4 {
            let opening = Opening::<V>::new(shape, seed);
            opening
                .run(&circuit, &path)
                .unwrap_or_else(|e| panic!("shape {s}, seed {seed}: {e}"));
        }
        let opening = Opening::<V>::new(shape, 99);
        let traces = opening.run(&circuit, &path).unwrap();
        let (pk, vk) = keys::<V>(&circuit);
        let proof = prove(&pk, &traces).unwrap();
        verify(&vk, &opening.publics(), &proof).unwrap();
    }
}

fn rejects_a_wrong_leaf_value<V: FieldFamily>() {
    let (mut opening, circuit, path) = honest::<V>();
    opening.rows[3][5] += V::ONE; // the height-4 matrix, injected two levels up
    assert!(opening.p3_verify().is_err());
    let err = opening.run(&circuit, &path).unwrap_err();
    assert!(violates(&err, "merkle"), "{err}");
}

fn rejects_a_wrong_sibling<V: FieldFamily>() {
    let (mut opening, circuit, path) = honest::<V>();
    opening.siblings[2][7] += V::ONE;
    assert!(opening.p3_verify().is_err());
    let err = opening.run(&circuit, &path).unwrap_err();
    assert!(violates(&err, "merkle"), "{err}");
}

fn rejects_a_different_index_than_the_one_opened<V: FieldFamily>() {
    let (honest_opening, circuit, path) = honest::<V>();
    for other in [honest_opening.index ^ 1, honest_opening.index ^ 16] {
        let mut opening = honest_opening.clone();
        opening.index = other;
        assert!(opening.p3_verify().is_err());
        let err = opening.run(&circuit, &path).unwrap_err();
        assert!(violates(&err, "merkle"), "{err}");
    }
    // An index past the tallest height fails its range check.
    let mut opening = honest_opening;
    opening.index += 32;
    let mut runner = circuit.runner();
    poseidon2::register_executors(&mut runner);
    path.set_siblings(&mut runner, &opening.siblings).unwrap();
    runner.set_public_inputs(&opening.publics()).unwrap();
    let err = runner.run().map(|_| ()).unwrap_err();
    assert!(
        matches!(
            err,
            fixpoint_circuit::RunError::HintFailed {
                source: fixpoint_circuit::HintError::TooWide { bits: 5, .. },
                ..
            }
        ),
        "{err}"
    );
}

fn rejects_a_wrong_root<V: FieldFamily>() {
    for shape in &shapes()[..2] {
        let (circuit, path) = circuit::<V>(shape);
        let mut opening = Opening::<V>::new(shape, 5);
        let roots: Vec<[V; 8]> = opening.cap.roots().to_vec();
        // Change every root but the selected one: still accepted.
        let levels = shape.levels().unwrap();
        let selected = opening.index >> levels;
        let mut others = roots.clone();
        for (i, root) in others.iter_mut().enumerate() {
            if i != selected {
                root[0] += V::ONE;
            }
        }
        opening.cap = p3_symmetric::MerkleCap::new(others);
        opening.run(&circuit, &path).unwrap();
        // Change the selected one: rejected.
        let mut wrong = roots;
        wrong[selected][4] += V::ONE;
        opening.cap = p3_symmetric::MerkleCap::new(wrong);
        assert!(opening.p3_verify().is_err());
        assert!(opening.run(&circuit, &path).is_err());
    }
}

fn a_malicious_prover_cannot_claim_a_wrong_root<V: FieldFamily>() {
    // One matrix, cap 0: the last Merkle step's outputs are the public root.
    let shape = shape(0, &[(8, 3)]);
    let (circuit, path) = circuit::<V>(&shape);
    let opening = Opening::<V>::new(&shape, 3);
    let publics = opening.publics();
    let mut traces = opening.run(&circuit, &path).unwrap();
    let (pk, vk) = keys::<V>(&circuit);
    verify(&vk, &publics, &prove(&pk, &traces).unwrap()).unwrap();

    // Claim root[0] + 1 consistently: in the Merkle step's row, the Witness
    // table and the Public table. Only the permutation's columns disagree.
    let slot = circuit
        .ops
        .iter()
        .filter_map(|op| match op {
            Op::Npo { kind, outputs, .. } if *kind == MERKLE_STEP => Some(outputs[0]),
            _ => None,
        })
        .last()
        .unwrap();
    let mut forged = publics.clone();
    forged[0] += Ext::<V>::ONE;
    let step = traces
        .npo
        .iter_mut()
        .rfind(|r| r.kind == MERKLE_STEP)
        .unwrap();
    step.outputs[0] += Ext::<V>::ONE;
    fixpoint_tests::forge_slot(&mut traces, slot, Ext::<V>::ONE);
    let proof = prove(&pk, &traces).unwrap();
    let err = verify(&vk, &forged, &proof).unwrap_err();
    assert_eq!(
        err.rejection(),
        Some(fixpoint_circuit_prover::Rejection::OodEvaluation),
        "{err}"
    );
}

fn sibling_count_is_checked<V: FieldFamily>() {
    let (opening, circuit, path) = honest::<V>();
    let mut runner = circuit.runner();
    let err = path
        .set_siblings(&mut runner, &opening.siblings[1..])
        .unwrap_err();
    assert_eq!(
        err,
        MerkleError::SiblingCount {
            expected: 5,
            got: 4
        }
    );
}

mod koala_bear {
    use fixpoint_circuit_prover::KoalaBear as V;

    #[test]
    fn accepts_p3_openings_of_several_heights_and_caps_and_proves_them() {
        super::accepts_p3_openings_of_several_heights_and_caps_and_proves_them::<V>();
    }

    #[test]
    fn rejects_a_wrong_leaf_value() {
        super::rejects_a_wrong_leaf_value::<V>();
    }

    #[test]
    fn rejects_a_wrong_sibling() {
        super::rejects_a_wrong_sibling::<V>();
    }

    #[test]
    fn rejects_a_different_index_than_the_one_opened() {
        super::rejects_a_different_index_than_the_one_opened::<V>();
    }

    #[test]
    fn rejects_a_wrong_root() {
        super::rejects_a_wrong_root::<V>();
    }

    #[test]
    fn a_malicious_prover_cannot_claim_a_wrong_root() {
        super::a_malicious_prover_cannot_claim_a_wrong_root::<V>();
    }

    #[test]
    fn sibling_count_is_checked() {
        super::sibling_count_is_checked::<V>();
    }
}

mod baby_bear {
    use fixpoint_circuit_prover::BabyBear as V;

    #[test]
    fn accepts_p3_openings_of_several_heights_and_caps_and_proves_them() {
        super::accepts_p3_openings_of_several_heights_and_caps_and_proves_them::<V>();
    }

    #[test]
    fn rejects_a_wrong_leaf_value() {
        super::rejects_a_wrong_leaf_value::<V>();
    }

    #[test]
    fn rejects_a_wrong_sibling() {
        super::rejects_a_wrong_sibling::<V>();
    }

    #[test]
    fn rejects_a_different_index_than_the_one_opened() {
        super::rejects_a_different_index_than_the_one_opened::<V>();
    }

    #[test]
    fn rejects_a_wrong_root() {
        super::rejects_a_wrong_root::<V>();
    }

    #[test]
    fn a_malicious_prover_cannot_claim_a_wrong_root() {
        super::a_malicious_prover_cannot_claim_a_wrong_root::<V>();
    }

    #[test]
    fn sibling_count_is_checked() {
        super::sibling_count_is_checked::<V>();
    }
}

#[test]
fn shapes_it_cannot_verify_are_typed_errors() {
    use fixpoint_circuit_prover::KoalaBearExt as E;
    let mut b = CircuitBuilder::<E>::new();
    let index = b.public_input();
    let digest = merkle::public_digest(&mut b);
    let row = b.public_inputs(2);
    let mut check = |shape: MerkleShape, cap: usize, rows: Vec<Vec<_>>| {
        let cap = vec![digest; cap];
        merkle::verify_batch(&mut b, &shape, &cap, index, &rows).unwrap_err()
    };
    assert_eq!(check(shape(0, &[]), 1, vec![]), MerkleError::NoMatrices);
    assert_eq!(
        check(
            shape(0, &[(8, 2), (6, 2)]),
            1,
            vec![row.clone(), row.clone()]
        ),
        MerkleError::HeightNotPowerOfTwo {
            matrix: 1,
            height: 6
        }
    );
    assert_eq!(
        check(
            shape(2, &[(8, 2), (2, 2)]),
            4,
            vec![row.clone(), row.clone()]
        ),
        MerkleError::BelowCap {
            matrix: 1,
            height: 2,
            cap_layer: 4
        }
    );
    assert_eq!(
        check(shape(0, &[(1 << 31, 2)]), 1, vec![row.clone()]),
        MerkleError::TooTall {
            log_height: 31,
            max: fixpoint_circuit::max_range_bits::<E>()
        }
    );
    assert_eq!(
        check(shape(1, &[(8, 2)]), 1, vec![row.clone()]),
        MerkleError::CapSize {
            expected: 2,
            got: 1
        }
    );
    assert_eq!(
        check(shape(0, &[(8, 3)]), 1, vec![row.clone()]),
        MerkleError::RowWidth {
            matrix: 0,
            expected: 3,
            got: 2
        }
    );
}

#[test]
fn packed_rows_that_do_not_hold_the_shape_are_typed_errors() {
    use fixpoint_circuit_prover::KoalaBearExt as E;
    use fixpoint_circuit_prover::merkle::PackedRow;
    let mut b = CircuitBuilder::<E>::new();
    let bits = b.public_inputs(3);
    let cap = vec![merkle::public_digest(&mut b)];
    // Heights 8 (widths 3 + 6: nine values, two slots and one tail value) and 4.
    let shape = shape(0, &[(8, 3), (4, 5), (8, 6)]);
    let mut check = |rows: Vec<PackedRow>| {
        merkle::verify_batch_packed_bits(&mut b, &shape, &cap, &bits, &rows).unwrap_err()
    };
    let row = |b: &mut CircuitBuilder<E>, slots: usize, tail: usize| PackedRow {
        slots: b.public_inputs(slots),
        tail: b.public_inputs(tail),
    };
    let mut b2 = CircuitBuilder::<E>::new();
    let (nine, five) = (row(&mut b2, 2, 1), row(&mut b2, 1, 1));
    assert_eq!(
        check(vec![nine.clone()]),
        MerkleError::PackedRowCount {
            expected: 2,
            got: 1
        }
    );
    // Nine values as one slot and five tail values: the tail holds fewer than four.
    let wrong = PackedRow {
        slots: nine.slots[..1].to_vec(),
        tail: [nine.slots[1]; 5].to_vec(),
    };
    let err = check(vec![wrong, five.clone()]);
    assert_eq!(
        err,
        MerkleError::PackedRowLayout {
            height: 8,
            width: 9,
            slots: 1,
            tail: 5
        }
    );
    assert!(err.to_string().contains("expected 2 and 1"), "{err}");
    // The heights' order is tallest first.
    assert_eq!(
        check(vec![five, nine]),
        MerkleError::PackedRowLayout {
            height: 8,
            width: 9,
            slots: 1,
            tail: 1
        }
    );
}
