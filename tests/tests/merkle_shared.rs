//! Shared Merkle nodes (`merkle::shared`): queries into one p3 tree climb to a shared top
//! and read their node from a subtree computed once. The circuit accepts p3's openings
//! and proves them; a forged prover is rejected when a query reads a node the subtree did
//! not compute, when the subtree's root is not the commitment, and when a row the circuit
//! does not mark as a provider provides a node.

use fixpoint_circuit::{Circuit, CircuitBuilder, Op, Traces};
use fixpoint_circuit_prover::merkle::shared::{self, SharedTree, SharedWitnessError, TopOpening};
use fixpoint_circuit_prover::merkle::{self, MerkleError, MerklePath, Steps};
use fixpoint_circuit_prover::poseidon2::{self, MERKLE_SHARED, MERKLE_STEP};
use fixpoint_circuit_prover::{
    Ext, FieldFamily, FriSettings, Keys, ProverConfig, Rejection, SetupOptions, Stark, prove,
    setup_with, verify,
};
use p3_commit::Mmcs;
use p3_field::{BasedVectorSpace, Field, PrimeCharacteristicRing};
use p3_matrix::dense::RowMajorMatrix;
use p3_merkle_tree::MerkleTreeMmcs;
use p3_symmetric::{
    CryptographicHasher, PaddingFreeSponge, Permutation, PseudoCompressionFunction,
    TruncatedPermutation,
};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

type Hash<V> = PaddingFreeSponge<<V as FieldFamily>::Permutation, 16, 8, 8>;
type Compress<V> = TruncatedPermutation<<V as FieldFamily>::Permutation, 2, 8, 16>;
type P3Mmcs<V> =
    MerkleTreeMmcs<<V as Field>::Packing, <V as Field>::Packing, Hash<V>, Compress<V>, 2, 8>;

/// Depth of the tree (32 leaves), width of its rows, the shared top and the queries: two
/// repeats, two that part at depth 2, and one alone.
const DEPTH: usize = 5;
const WIDTH: usize = 3;
const TOP: usize = 3;
const INDICES: [usize; 6] = [3, 17, 18, 3, 30, 19];

/// A p3 tree and its openings at [`INDICES`].
struct Openings<V: FieldFamily> {
    root: [V; 8],
    rows: Vec<Vec<V>>,
    siblings: Vec<Vec<[V; 8]>>,
}

impl<V: FieldFamily> Openings<V> {
    fn new(seed: u64) -> Self {
        let perm = V::permutation();
        let mmcs = P3Mmcs::<V>::new(Hash::<V>::new(perm.clone()), Compress::<V>::new(perm), 0);
        let mut rng = SmallRng::seed_from_u64(seed);
        let values = (0..(1 << DEPTH) * WIDTH)
            .map(|_| V::from_u64(rng.random()))
            .collect();
        let (cap, data) = mmcs.commit(vec![RowMajorMatrix::new(values, WIDTH)]);
        let (mut rows, mut siblings) = (Vec::new(), Vec::new());
        for index in INDICES {
            let opening = mmcs.open_batch(index, &data);
            rows.push(opening.opened_values[0].clone());
            siblings.push(opening.opening_proof);
        }
        Openings {
            root: cap.roots()[0],
            rows,
            siblings,
        }
    }

    /// The root, then per query its index and row.
    fn publics(&self) -> Vec<Ext<V>> {
        let root = poseidon2::pack_values::<Ext<V>>(&self.root);
        let queries = INDICES.iter().zip(&self.rows).flat_map(|(&index, row)| {
            std::iter::once(Ext::<V>::from_usize(index)).chain(row.iter().map(|&v| v.into()))
        });
        root.into_iter().chain(queries).collect()
    }

    /// Each query's node at depth [`TOP`], climbed natively, and the siblings above it.
    fn tops(&self) -> Vec<TopOpening<V>> {
        let hash = Hash::<V>::new(V::permutation());
        let compress = Compress::<V>::new(V::permutation());
        INDICES
            .iter()
            .zip(&self.rows)
            .zip(&self.siblings)
            .map(|((&index, row), siblings)| {
                let mut node = hash.hash_iter(row.iter().copied());
                for (level, sibling) in siblings[..DEPTH - TOP].iter().enumerate() {
                    node = match (index >> level) & 1 {
                        0 => compress.compress([node, *sibling]),
                        _ => compress.compress([*sibling, node]),
                    };
                }
                TopOpening {
                    position: index >> (DEPTH - TOP),
                    node,
                    siblings: siblings[DEPTH - TOP..].to_vec(),
                }
            })
            .collect()
    }
}

/// The circuit: the root and every query's index and row are public; each query's path
/// climbs to depth [`TOP`] and reads its node from the shared tree.
fn circuit<V: FieldFamily>() -> (Circuit<Ext<V>>, SharedTree, Vec<MerklePath>) {
    let mut b = CircuitBuilder::<Ext<V>>::new();
    let root = merkle::public_digest(&mut b);
    let tree = shared::shared_tree(&mut b, 0, TOP, INDICES.len(), &root).unwrap();
    let mut paths = Vec::new();
    for _ in INDICES {
        let index = b.public_input();
        let row = b.public_inputs(WIDTH);
        let bits = b.to_bits(index, DEPTH);
        let leaf = poseidon2::hash_pad_free_packed(&mut b, &row);
        let position = shared::top_position(&mut b, &bits[DEPTH - TOP..]);
        let read = Steps::Read {
            tree: &tree,
            position,
        };
        paths.push(merkle::verify_digest_bits_with(&mut b, 0, &[root], &bits, leaf, read).unwrap());
    }
    (b.build().unwrap(), tree, paths)
}

fn run<V: FieldFamily>(
    circuit: &Circuit<Ext<V>>,
    tree: &SharedTree,
    paths: &[MerklePath],
    openings: &Openings<V>,
) -> Traces<Ext<V>> {
    let mut runner = circuit.runner();
    poseidon2::register_executors(&mut runner);
    for (path, siblings) in paths.iter().zip(&openings.siblings) {
        path.set_siblings(&mut runner, siblings).unwrap();
    }
    tree.set_witness(&mut runner, &openings.tops()).unwrap();
    runner.set_public_inputs(&openings.publics()).unwrap();
    runner.run().unwrap()
}

fn keys<V: FieldFamily>(circuit: &Circuit<Ext<V>>) -> Keys<Stark<V>, poseidon2::Table> {
    let config = ProverConfig::<Stark<V>>::new(FriSettings::TEST);
    let options = SetupOptions::new().with_npos(&poseidon2::Table::ALL);
    setup_with(circuit, &config, &options).unwrap()
}

/// The rows of the shared kind, in op order.
fn shared_rows<V: FieldFamily>(
    traces: &mut Traces<Ext<V>>,
) -> Vec<&mut fixpoint_circuit::NpoRow<Ext<V>>> {
    traces
        .npo
        .iter_mut()
        .filter(|r| r.kind == MERKLE_SHARED)
        .collect()
}

/// The native output of a shared step row with these values.
fn step_output<V: FieldFamily>(inputs: &[Ext<V>], private: &[Ext<V>]) -> [Ext<V>; 2] {
    let lanes = |values: &[Ext<V>]| -> Vec<V> {
        values
            .iter()
            .flat_map(|v| v.as_basis_coefficients_slice().to_vec())
            .collect()
    };
    let (digest, sibling) = (lanes(&inputs[..2]), lanes(&private[..2]));
    let bit: V = inputs[2].as_basis_coefficients_slice()[0];
    let mut state: [V; 16] = std::array::from_fn(|i| match i < 8 {
        true => digest[i],
        false => sibling[i - 8],
    });
    if bit.is_one() {
        state.rotate_left(8);
    }
    let out = V::permutation().permute(state);
    std::array::from_fn(|k| Ext::<V>::from_basis_coefficients_fn(|j| out[4 * k + j]))
}

/// Replaces a shared row's outputs with what its values compress to, and their slots'
/// values when `slots` (else the row's output ports read values their slots do not hold).
fn recompute<V: FieldFamily>(
    circuit: &Circuit<Ext<V>>,
    traces: &mut Traces<Ext<V>>,
    index: usize,
    slots: bool,
) {
    let row = &mut shared_rows::<V>(traces)[index];
    let op = row.op;
    let out = step_output::<V>(&row.inputs, &row.private);
    let deltas: Vec<Ext<V>> = out.iter().zip(&row.outputs).map(|(n, o)| *n - *o).collect();
    row.outputs = out.to_vec();
    let Op::Npo { outputs, .. } = &circuit.ops[op.0 as usize] else {
        unreachable!("a shared row is an NPO op")
    };
    if slots {
        for (&slot, delta) in outputs.iter().zip(deltas) {
            fixpoint_tests::forge_slot(traces, slot, delta);
        }
    }
}

fn accepts_p3_openings_and_proves_them<V: FieldFamily>() {
    let (circuit, tree, paths) = circuit::<V>();
    // 1 + 2 + 4 subtree rows; each path climbs DEPTH − TOP levels.
    assert_eq!(tree.rows(), 7);
    assert!(
        paths
            .iter()
            .all(|p| p.levels.len() == DEPTH - TOP && p.shared)
    );
    let kinds: Vec<_> = circuit
        .ops
        .iter()
        .filter_map(|op| match op {
            Op::Npo { kind, .. } if [MERKLE_STEP, MERKLE_SHARED].contains(kind) => Some(*kind),
            _ => None,
        })
        .collect();
    assert_eq!(
        kinds,
        vec![MERKLE_SHARED; 7 + INDICES.len() * (DEPTH - TOP)]
    );
    for seed in 0..3 {
        let openings = Openings::<V>::new(seed);
        let traces = run(&circuit, &tree, &paths, &openings);
        let (pk, vk) = keys::<V>(&circuit);
        verify(&vk, &openings.publics(), &prove(&pk, &traces).unwrap()).unwrap();
    }
}

/// Another commitment: the subtree's root row computes the real root, which the runner
/// finds is not the public one; a wrong row: the queries through its nodes disagree.
fn the_runner_refuses_a_wrong_commitment_or_row<V: FieldFamily>() {
    let (circuit, tree, paths) = circuit::<V>();
    let openings = Openings::<V>::new(1);
    let mut publics = openings.publics();
    publics[0] += Ext::<V>::ONE;
    let mut runner = circuit.runner();
    poseidon2::register_executors(&mut runner);
    for (path, siblings) in paths.iter().zip(&openings.siblings) {
        path.set_siblings(&mut runner, siblings).unwrap();
    }
    tree.set_witness(&mut runner, &openings.tops()).unwrap();
    runner.set_public_inputs(&publics).unwrap();
    let err = runner.run().map(|_| ()).unwrap_err();
    assert!(
        matches!(err, fixpoint_circuit::RunError::WitnessConflict { .. }),
        "{err}"
    );
    // Query 0 gave the root's children; a wrong row in query 1 gives it another right
    // child.
    let mut openings = Openings::<V>::new(1);
    openings.rows[1][0] += V::ONE;
    let mut runner = circuit.runner();
    let err = tree.set_witness(&mut runner, &openings.tops()).unwrap_err();
    assert!(
        matches!(
            err,
            SharedWitnessError::Inconsistent {
                depth: 0,
                position: 0
            }
        ),
        "{err}"
    );
}

/// A query's top row with another sibling: its output is a node the subtree never
/// provided, and the node bus does not balance.
fn a_query_reading_a_node_the_subtree_did_not_compute_is_rejected<V: FieldFamily>() {
    let (circuit, tree, paths) = circuit::<V>();
    let openings = Openings::<V>::new(2);
    let mut traces = run(&circuit, &tree, &paths, &openings);
    let (pk, vk) = keys::<V>(&circuit);
    // Query 4's top row: its path's last step, after the subtree's 7 rows.
    let top_row = 7 + 4 * (DEPTH - TOP) + DEPTH - TOP - 1;
    shared_rows::<V>(&mut traces)[top_row].private[0] += <Ext<V>>::ONE;
    recompute::<V>(&circuit, &mut traces, top_row, true);
    let err = verify(&vk, &openings.publics(), &prove(&pk, &traces).unwrap()).unwrap_err();
    assert_eq!(err.rejection(), Some(Rejection::LookupSum), "{err}");
}

/// The root row compresses other children: its output port, which reads the public
/// commitment's slot, holds another digest.
fn a_subtree_whose_root_is_not_the_commitment_is_rejected<V: FieldFamily>() {
    let (circuit, tree, paths) = circuit::<V>();
    let openings = Openings::<V>::new(3);
    let mut traces = run(&circuit, &tree, &paths, &openings);
    let (pk, vk) = keys::<V>(&circuit);
    shared_rows::<V>(&mut traces)[0].private[1] += Ext::<V>::ONE;
    recompute::<V>(&circuit, &mut traces, 0, false);
    let err = verify(&vk, &openings.publics(), &prove(&pk, &traces).unwrap()).unwrap_err();
    assert_eq!(err.rejection(), Some(Rejection::LookupSum), "{err}");
}

/// Queries 0 and 3 open one leaf, so their top rows are equal. One provides its left
/// input once and the other minus once: the node bus still balances, and only the
/// constraint that a row with `provide = 0` provides nothing refuses it.
fn a_row_not_marked_as_a_provider_cannot_provide<V: FieldFamily>() {
    let (circuit, tree, paths) = circuit::<V>();
    let openings = Openings::<V>::new(4);
    let mut traces = run(&circuit, &tree, &paths, &openings);
    let (pk, vk) = keys::<V>(&circuit);
    let top_row = |query: usize| 7 + query * (DEPTH - TOP) + DEPTH - TOP - 1;
    let mut rows = shared_rows::<V>(&mut traces);
    assert_eq!(rows[top_row(0)].inputs, rows[top_row(3)].inputs);
    rows[top_row(0)].private[2] = Ext::<V>::ONE;
    rows[top_row(3)].private[2] = -Ext::<V>::ONE;
    let err = verify(&vk, &openings.publics(), &prove(&pk, &traces).unwrap()).unwrap_err();
    assert_eq!(err.rejection(), Some(Rejection::OodEvaluation), "{err}");
}

/// A path cannot read at the top of a tree it does not climb below, nor a witness serve
/// another number of queries.
fn misuse_is_refused<V: FieldFamily>() {
    let mut b = CircuitBuilder::<Ext<V>>::new();
    let root = merkle::public_digest(&mut b);
    let tree = shared::shared_tree(&mut b, 0, TOP, 2, &root).unwrap();
    let bits = b.public_inputs(TOP);
    let leaf = merkle::public_digest(&mut b);
    let position = shared::top_position(&mut b, &bits);
    let read = Steps::Read {
        tree: &tree,
        position,
    };
    let err = merkle::verify_digest_bits_with(&mut b, 0, &[root], &bits, leaf, read).unwrap_err();
    assert!(
        matches!(
            err,
            MerkleError::SharedTop {
                top: TOP,
                levels: TOP,
                ..
            }
        ),
        "{err}"
    );
    assert!(matches!(
        shared::shared_tree(&mut b, 1, 0, 2, &root),
        Err(shared::SharedTreeError::Top { top: 0 })
    ));
    let circuit = b.build().unwrap();
    let mut runner = circuit.runner();
    let err = tree
        .set_witness(&mut runner, &Openings::<V>::new(0).tops())
        .unwrap_err();
    assert!(
        matches!(
            err,
            SharedWitnessError::QueryCount {
                expected: 2,
                got: 6
            }
        ),
        "{err}"
    );
}

fixpoint_tests::on_both_fields!(
    accepts_p3_openings_and_proves_them,
    the_runner_refuses_a_wrong_commitment_or_row,
    a_query_reading_a_node_the_subtree_did_not_compute_is_rejected,
    a_subtree_whose_root_is_not_the_commitment_is_rejected,
    a_row_not_marked_as_a_provider_cannot_provide,
    misuse_is_refused,
);
