//! Proof trees: Fibonacci segments combined two at a time, the node key at its
//! fixed point, the root checked with only the trusted allow-list root and node key; and
//! the forgeries a tree must refuse, each for its reason.

use std::sync::OnceLock;

use fixpoint_circuit_prover::{
    FriSettings, KoalaBear, KoalaBearExt as E, KoalaBearStark, Proof, ProverConfig, VerifyOptions,
    VerifyingKey, prove, setup,
};
use fixpoint_recursion::tree::{
    self, ChildInput, ChildKey, ChildKind, Leaf, TreeCheckError, TreeError, TreeOptions, TreeProof,
    TreeSetup, TrustedTree,
};
use fixpoint_tests::segments::{Segment, SegmentLengths, chain, chained_segments, segment_circuit};
use p3_field::{PrimeCharacteristicRing, PrimeField64};

/// Small FRI parameters, so that the tree fits the CI budget.
const SMALL: FriSettings = fixpoint_tests::TINY_FRI;

/// Steps per segment.
const STEPS: usize = 8;

/// Segments in the tree.
const SEGMENTS: usize = 4;

/// A base key and its proofs of consecutive segments.
struct Bases {
    vk: VerifyingKey<KoalaBearStark>,
    proofs: Vec<(Proof<KoalaBearStark>, Vec<E>)>,
}

/// Proves `statements` with the segment circuit of `steps` steps under `settings`.
fn segment_proofs(steps: usize, settings: FriSettings, statements: &[Vec<E>]) -> Bases {
    let circuit = segment_circuit::<E>(steps).unwrap();
    let (pk, vk) = setup(&circuit, &ProverConfig::koala_bear(settings)).unwrap();
    let proofs = statements
        .iter()
        .map(|publics| {
            let mut runner = circuit.runner();
            runner.set_public_inputs(publics).unwrap();
            (prove(&pk, &runner.run().unwrap()).unwrap(), publics.clone())
        })
        .collect();
    Bases { vk, proofs }
}

fn bases() -> &'static Bases {
    static BASES: OnceLock<Bases> = OnceLock::new();
    BASES.get_or_init(|| segment_proofs(STEPS, SMALL, &chained_segments::<E>(SEGMENTS, STEPS)))
}

fn tree_setup() -> &'static TreeSetup<KoalaBear> {
    static SETUP: OnceLock<TreeSetup<KoalaBear>> = OnceLock::new();
    SETUP.get_or_init(|| {
        let options = TreeOptions {
            arity: 2,
            allow_depth: 2,
            settings: SMALL,
        };
        tree::tree_setup(
            &[&bases().vk],
            &[vec![0, 0]],
            &SegmentLengths::default(),
            &chain::<KoalaBear>(),
            options,
            |_| {},
        )
        .unwrap()
    })
}

fn proved_tree() -> &'static TreeProof<KoalaBear> {
    static TREE: OnceLock<TreeProof<KoalaBear>> = OnceLock::new();
    TREE.get_or_init(|| {
        let leaves: Vec<Leaf<'_, KoalaBear>> = bases()
            .proofs
            .iter()
            .map(|(proof, publics)| Leaf {
                base: 0,
                proof,
                publics,
            })
            .collect();
        tree::prove_tree(tree_setup(), &leaves, |_| {}).unwrap()
    })
}

fn trusted() -> TrustedTree {
    tree_setup().trusted().unwrap()
}

/// The statement of the whole run: `(0, 1)` to the state after all the steps.
fn whole_run() -> Vec<E> {
    let segments = chained_segments::<E>(SEGMENTS, STEPS);
    let mut statement = segments[0][..2].to_vec();
    statement.extend(&segments[SEGMENTS - 1][2..4]);
    statement.push(E::from_usize(SEGMENTS * STEPS));
    statement
}

#[test]
fn a_tree_of_segments_proves_the_whole_run_under_the_node_key() {
    let setup = tree_setup();
    let tree = proved_tree();
    // Two base nodes over the four segments, then the node.
    assert_eq!(
        tree.levels.iter().map(|l| l.nodes).collect::<Vec<_>>(),
        [2, 1]
    );
    // Both levels have the node key's shape: the same cells.
    assert_eq!(tree.levels[0].cells, tree.levels[1].cells);
    // The trusted tree names the node key and the base node's key.
    let set = trusted();
    assert_eq!(set.node_key, setup.node_pk.vk.hash());
    assert_eq!(set.base_node_keys, [setup.base_nodes[0].pk.vk.hash()]);
    assert_eq!(tree.vk.hash(), set.node_key);
    // The search ended on a circuit equal to its predecessor.
    let rounds = &setup.rounds;
    assert!(rounds.len() >= 2);
    assert_eq!(
        rounds[rounds.len() - 1].circuit_id,
        rounds[rounds.len() - 2].circuit_id
    );
    // The root's statement is the whole run, then the allow-list root.
    assert_eq!(&tree.publics[..5], &whole_run()[..]);
    tree::verify_tree(
        &trusted(),
        &whole_run(),
        &setup.node_pk.vk,
        &tree.publics,
        &tree.proof,
        &VerifyOptions::ANY_SECURITY,
    )
    .unwrap();
}

/// Segments `which` as a base node's children.
fn children(which: &[usize]) -> Vec<ChildInput<'static, KoalaBear>> {
    let setup = tree_setup();
    which
        .iter()
        .map(|&i| ChildInput {
            key: &setup.bases[0],
            proof: &bases().proofs[i].0,
            publics: &bases().proofs[i].1,
        })
        .collect()
}

/// The base node of two segments under the base key.
fn base_node() -> &'static tree::NodeCircuit<KoalaBear> {
    &tree_setup().base_nodes[0].circuit
}

/// Runs the node over `witness`; the run's error.
fn run_node(witness: &tree::NodeWitness<KoalaBear>) -> fixpoint_circuit::RunError<E> {
    let setup = tree_setup();
    let mut runner = base_node().circuit.runner();
    fixpoint_circuit_prover::poseidon2::register_executors(&mut runner);
    base_node()
        .fill(witness, &setup.allow_list, &mut runner)
        .unwrap();
    runner.run().expect_err("the node must refuse this witness")
}

/// The base node's inputs for segments `which` with the statement `publics`, which the
/// combine function is not asked for: what a malicious prover hands the runner.
fn forged_witness(which: &[usize], publics: Vec<E>) -> tree::NodeWitness<KoalaBear> {
    let setup = tree_setup();
    let children = children(which)
        .iter()
        .enumerate()
        .map(|(i, child)| {
            base_node()
                .child_witness(i, &setup.allow_list, child)
                .unwrap()
        })
        .collect();
    tree::NodeWitness { publics, children }
}

/// `(first.pre, last.post, steps)` and the allow-list root: the statement a node over
/// segments `first` to `last` would claim.
fn claimed(first: usize, last: usize, steps: usize) -> Vec<E> {
    let segments = chained_segments::<E>(SEGMENTS, STEPS);
    let mut publics = segments[first][..2].to_vec();
    publics.extend(&segments[last][2..4]);
    publics.push(E::from_usize(steps));
    publics.extend(tree::node::root_slots::<KoalaBear>(&tree_setup().allow_list).unwrap());
    publics
}

/// Whether `err` is the conflict of a broken chain between segments `left` and `right`:
/// `left`'s post-state and `right`'s pre-state meet in one slot and disagree.
fn breaks_chain(err: &fixpoint_circuit::RunError<E>, left: usize, right: usize) -> bool {
    let segments = chained_segments::<E>(SEGMENTS, STEPS);
    let (post, pre) = (segments[left][2], segments[right][0]);
    match err {
        fixpoint_circuit::RunError::WitnessConflict {
            existing, required, ..
        } => [*existing, *required] == [post, pre] || [*existing, *required] == [pre, post],
        _ => false,
    }
}

fn expect_combine_refusal(which: [usize; 2]) {
    let setup = tree_setup();
    match base_node().witness(&setup.allow_list, &children(&which)) {
        Err(TreeError::Combine { source }) => {
            assert!(
                breaks_chain(&source, which[0], which[1]),
                "{which:?}: {source}"
            )
        }
        Err(other) => panic!("{which:?}: refused for another reason: {other}"),
        Ok(_) => panic!("{which:?}: accepted"),
    }
}

#[test]
fn segments_that_do_not_chain_are_refused() {
    // Segment 0 then segment 2: 0's post-state is not 2's pre-state.
    expect_combine_refusal([0, 2]);
    // A malicious prover who claims the span anyway. The chain makes one slot of the left
    // post-state and the right pre-state, so the right child's verifier checks its proof
    // against the left's post-state, which that proof does not prove.
    let err = run_node(&forged_witness(&[0, 2], claimed(0, 2, 2 * STEPS)));
    assert!(
        fixpoint_tests::violates(&err, "child1/batch-stark"),
        "{err}"
    );
}

#[test]
fn swapped_or_duplicated_segments_are_refused() {
    expect_combine_refusal([1, 0]);
    expect_combine_refusal([0, 0]);
    // Forged as above: the right child's proof does not prove the chained pre-state.
    let err = run_node(&forged_witness(&[1, 0], claimed(1, 0, 2 * STEPS)));
    assert!(
        fixpoint_tests::violates(&err, "child1/batch-stark"),
        "{err}"
    );
    let err = run_node(&forged_witness(&[0, 0], claimed(0, 0, 2 * STEPS)));
    assert!(
        fixpoint_tests::violates(&err, "child1/batch-stark"),
        "{err}"
    );
}

#[test]
fn a_node_statement_that_is_not_the_function_of_its_children_is_refused() {
    // Segments 0 and 1 chain, but the claimed step count is one more than their sum.
    let err = run_node(&forged_witness(&[0, 1], claimed(0, 1, 2 * STEPS + 1)));
    assert!(fixpoint_tests::violates(&err, "combine"), "{err}");
    // And the honest claim runs.
    let setup = tree_setup();
    let honest = base_node()
        .witness(&setup.allow_list, &children(&[0, 1]))
        .unwrap();
    assert_eq!(honest.publics, claimed(0, 1, 2 * STEPS));
}

#[test]
fn a_child_under_a_key_outside_the_allow_list_is_refused() {
    let setup = tree_setup();
    // A list without the base key (the base node's and the node's keys only).
    let list = tree::AllowList::new(
        2,
        &[setup.base_nodes[0].as_child.leaf(), setup.node_child.leaf()],
    )
    .unwrap();
    assert!(matches!(
        base_node().witness(&list, &children(&[0, 1])),
        Err(TreeError::NotAllowed { child: 0 })
    ));
    // A prover who claims the leaf at position 0 of that list anyway: the membership path
    // refuses it.
    let mut witness = forged_witness(&[0, 1], claimed(0, 1, 2 * STEPS));
    for child in &mut witness.children {
        child.leaf_index = 0;
    }
    let root = tree::node::root_slots::<KoalaBear>(&list).unwrap();
    witness.publics.truncate(5);
    witness.publics.extend(root);
    let mut runner = base_node().circuit.runner();
    fixpoint_circuit_prover::poseidon2::register_executors(&mut runner);
    base_node().fill(&witness, &list, &mut runner).unwrap();
    let err = runner.run().unwrap_err();
    assert!(fixpoint_tests::violates(&err, "child0/allow-list"), "{err}");
}

#[test]
fn a_child_under_an_allow_listed_commitment_with_weaker_fri_settings_is_refused() {
    let setup = tree_setup();
    // The same segment circuit, proved with one query instead of two: the same
    // preprocessed commitment, weaker settings.
    let weak_settings = FriSettings {
        num_queries: 1,
        ..SMALL
    };
    let statements = chained_segments::<E>(2, STEPS);
    let weak = segment_proofs(STEPS, weak_settings, &statements);
    assert_eq!(
        weak.vk.preprocessed_commitment,
        bases().vk.preprocessed_commitment
    );
    let weak_key = ChildKey::new(&weak.vk, ChildKind::Base).unwrap();
    assert_ne!(weak_key.leaf(), setup.bases[0].leaf());
    let weak_children: Vec<ChildInput<'_, KoalaBear>> = weak
        .proofs
        .iter()
        .map(|(proof, publics)| ChildInput {
            key: &weak_key,
            proof,
            publics,
        })
        .collect();
    // The tree's base node verifies its slots with the strong settings: the weak key is not
    // their shape.
    assert!(matches!(
        base_node().witness(&setup.allow_list, &weak_children),
        Err(TreeError::ChildShape { child: 0 })
    ));
    // A base node built for the weak settings computes leaves the list does not hold...
    let weak_node = tree::node_circuit::<KoalaBear, Segment>(
        &[weak_key.clone(), weak_key.clone()],
        &SegmentLengths::default(),
        &chain::<KoalaBear>(),
        2,
    )
    .unwrap();
    assert!(matches!(
        weak_node.witness(&setup.allow_list, &weak_children),
        Err(TreeError::NotAllowed { child: 0 })
    ));
    // ...and a prover who claims the strong key's leaf is refused by the membership path.
    let strong_index = setup.allow_list.position(&setup.bases[0].leaf()).unwrap();
    let children = weak_children
        .iter()
        .map(|child| {
            let mut shape = weak_key.shape.clone();
            if let Some(p) = shape.batch.preprocessed.as_mut() {
                p.commitment = weak_key.commitment.clone();
            }
            tree::node::ChildWitness {
                fixpoint: fixpoint_recursion::fixpoint::FixpointWitness::from_proof(
                    &shape,
                    &<KoalaBear as fixpoint_circuit_prover::FieldFamily>::permutation(),
                    child.proof,
                    child.publics,
                )
                .unwrap(),
                statement: child.publics.to_vec(),
                leaf_index: strong_index,
            }
        })
        .collect();
    let witness = tree::NodeWitness {
        publics: claimed(0, 1, 2 * STEPS),
        children,
    };
    let mut runner = weak_node.circuit.runner();
    fixpoint_circuit_prover::poseidon2::register_executors(&mut runner);
    weak_node
        .fill(&witness, &setup.allow_list, &mut runner)
        .unwrap();
    let err = runner.run().unwrap_err();
    assert!(fixpoint_tests::violates(&err, "child0/allow-list"), "{err}");
}

#[test]
fn the_root_is_rejected_against_another_allow_list_root_or_node_key() {
    let setup = tree_setup();
    let tree = proved_tree();
    let check = |trusted: &TrustedTree, statement: &[E], publics: &[E]| {
        tree::verify_tree(
            trusted,
            statement,
            &setup.node_pk.vk,
            publics,
            &tree.proof,
            &VerifyOptions::ANY_SECURITY,
        )
    };
    let mut other_root = trusted();
    other_root.allow_root[0] ^= 1;
    assert_eq!(
        check(&other_root, &whole_run(), &tree.publics),
        Err(TreeCheckError::AllowRootMismatch)
    );
    let mut other_key = trusted();
    other_key.node_key = setup.base_nodes[0].pk.vk.hash();
    other_key.base_node_keys.clear();
    assert!(matches!(
        check(&other_key, &whole_run(), &tree.publics),
        Err(TreeCheckError::KeyNotTrusted { .. })
    ));
    // Another statement.
    let mut statement = whole_run();
    statement[4] += E::ONE;
    assert_eq!(
        check(&trusted(), &statement, &tree.publics),
        Err(TreeCheckError::StatementMismatch { index: 4 })
    );
    // The proof's publics edited to carry another root, trusted alike: the proof refuses.
    let mut publics = tree.publics.clone();
    publics[5] += E::ONE;
    let mut forged = trusted();
    let lanes: Vec<KoalaBear> = publics[5..]
        .iter()
        .flat_map(|s| {
            <E as p3_field::BasedVectorSpace<KoalaBear>>::as_basis_coefficients_slice(s).to_vec()
        })
        .collect();
    forged.allow_root = std::array::from_fn(|i| lanes[i].as_canonical_u64() as u32);
    assert!(matches!(
        check(&forged, &whole_run(), &publics),
        Err(TreeCheckError::Proof(_))
    ));
    // The minimum security is enforced.
    assert!(matches!(
        tree::verify_tree(
            &trusted(),
            &whole_run(),
            &setup.node_pk.vk,
            &tree.publics,
            &tree.proof,
            &VerifyOptions::default(),
        ),
        Err(TreeCheckError::Insecure { .. })
    ));
}

#[test]
fn the_tree_bundle_round_trips_through_files() {
    let setup = tree_setup();
    let tree = proved_tree();
    let dir = std::env::temp_dir().join(format!("fixpoint-tree-bundle-{}", std::process::id()));
    let bundle = tree::TreeBundle::<KoalaBear> {
        vk: setup.node_pk.vk.clone(),
        proof: Proof::from_bytes(&tree.proof.to_bytes()).unwrap(),
        publics: tree.publics.clone(),
        trusted: trusted(),
    };
    bundle.write(&dir).unwrap();
    let read = tree::TreeBundle::<KoalaBear>::read(&dir).unwrap();
    assert_eq!(read.trusted, trusted());
    read.verify(None, &VerifyOptions::ANY_SECURITY).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn setup_and_tree_shape_errors_are_typed() {
    assert!(matches!(
        tree::tree_depth::<KoalaBear>(6, 2),
        Err(TreeError::LeafCount {
            leaves: 6,
            arity: 2
        })
    ));
    assert!(matches!(
        tree::tree_depth::<KoalaBear>(1, 2),
        Err(TreeError::LeafCount { .. })
    ));
    assert_eq!(tree::tree_depth::<KoalaBear>(16, 4).unwrap(), 2);
    let options = TreeOptions {
        arity: 9,
        allow_depth: 2,
        settings: SMALL,
    };
    assert!(matches!(
        tree::tree_setup(
            &[&bases().vk],
            &[vec![0, 0]],
            &SegmentLengths::default(),
            &chain::<KoalaBear>(),
            options,
            |_| {}
        ),
        Err(TreeError::Arity { arity: 9, .. })
    ));
    // A group naming a base key that was not given.
    let options = TreeOptions {
        arity: 2,
        ..options
    };
    assert!(matches!(
        tree::tree_setup(
            &[&bases().vk],
            &[vec![0, 1]],
            &SegmentLengths::default(),
            &chain::<KoalaBear>(),
            options,
            |_| {}
        ),
        Err(TreeError::GroupBase {
            group: 0,
            base: 1,
            bases: 1
        })
    ));
    assert!(matches!(
        tree_setup().base_job(1, 0, &[]),
        Err(TreeError::NoBaseNode {
            group: 1,
            groups: 1
        })
    ));
    assert!(matches!(
        tree::AllowList::new::<KoalaBear>(1, &[[KoalaBear::ZERO; 8]; 3]),
        Err(TreeError::AllowListFull { keys: 3, depth: 1 })
    ));
    assert!(matches!(
        tree::AllowList::new::<KoalaBear>(0, &[]),
        Err(TreeError::AllowDepth { depth: 0 })
    ));
}

#[test]
fn a_tree_of_one_level_is_a_proof_under_a_trusted_base_node_key() {
    let setup = tree_setup();
    let leaves: Vec<Leaf<'_, KoalaBear>> = bases().proofs[..2]
        .iter()
        .map(|(proof, publics)| Leaf {
            base: 0,
            proof,
            publics,
        })
        .collect();
    let root = tree::prove_tree(setup, &leaves, |_| {}).unwrap();
    assert_eq!(root.levels.len(), 1);
    tree::verify_tree(
        &trusted(),
        &root.publics[..5],
        &setup.base_nodes[0].pk.vk,
        &root.publics,
        &root.proof,
        &VerifyOptions::ANY_SECURITY,
    )
    .unwrap();
    // A verifier who trusts the node key alone refuses it.
    let mut node_only = trusted();
    node_only.base_node_keys.clear();
    assert!(matches!(
        tree::verify_tree(
            &node_only,
            &root.publics[..5],
            &setup.base_nodes[0].pk.vk,
            &root.publics,
            &root.proof,
            &VerifyOptions::ANY_SECURITY,
        ),
        Err(TreeCheckError::KeyNotTrusted { .. })
    ));
}

#[test]
fn the_shrunk_root_verifies_and_names_the_root_key() {
    let setup = tree_setup();
    let root = proved_tree();
    // A larger blowup and one query: the shrunk proof is checked natively, so its settings
    // need not be the tree's.
    let settings = FriSettings {
        log_blowup: 2,
        num_queries: 1,
        ..SMALL
    };
    let shrink = tree::shrink_setup(setup, settings).unwrap();
    let shrunk = tree::prove_shrink(&shrink, root).unwrap();
    let trusted = shrink.trusted(setup).unwrap();
    let check = |trusted: &tree::TrustedShrink, publics: &[E]| {
        tree::verify_shrunk(
            trusted,
            &whole_run(),
            &shrink.pk.vk,
            publics,
            &shrunk.proof,
            &VerifyOptions::ANY_SECURITY,
        )
    };
    check(&trusted, &shrunk.publics).unwrap();
    // The root's publics are forwarded, then the chain of the node key and the depth 1.
    assert_eq!(&shrunk.publics[..7], &root.publics[..]);
    // A verifier who trusts another shrink key, or no key the chain names.
    let mut other = trusted.clone();
    other.shrink_key[0] ^= 1;
    assert_eq!(
        check(&other, &shrunk.publics),
        Err(tree::ShrinkCheckError::KeyNotTrusted)
    );
    let mut other = trusted.clone();
    other.root_keys.truncate(0);
    assert_eq!(
        check(&other, &shrunk.publics),
        Err(tree::ShrinkCheckError::ChainMismatch)
    );
    // Another allow-list root.
    let mut other = trusted.clone();
    other.tree.allow_root[0] ^= 1;
    assert_eq!(
        check(&other, &shrunk.publics),
        Err(tree::ShrinkCheckError::Tree(
            TreeCheckError::AllowRootMismatch
        ))
    );
    // Edited publics (the depth): the proof refuses them.
    let mut publics = shrunk.publics.clone();
    publics[7] += E::ONE;
    assert_eq!(
        check(&trusted, &publics),
        Err(tree::ShrinkCheckError::ChainMismatch)
    );
}

#[test]
fn a_node_child_carrying_another_allow_list_root_is_refused() {
    let setup = tree_setup();
    // A base node's proof of segments 0 and 1, as the node's child, with its root slots
    // edited: the node verifies every child with its own root.
    let proved = tree::prove_node(
        base_node(),
        &setup.base_nodes[0].pk,
        &setup.allow_list,
        &children(&[0, 1]),
    )
    .unwrap();
    let mut publics = proved.publics.clone();
    publics[5] += E::ONE;
    let child = ChildInput {
        key: &setup.base_nodes[0].as_child,
        proof: &proved.proof,
        publics: &publics,
    };
    assert!(matches!(
        setup.node.child_witness(0, &setup.allow_list, &child),
        Err(TreeError::RootMismatch { child: 0 })
    ));
    // With its own root it is accepted.
    let child = ChildInput {
        publics: &proved.publics,
        ..child
    };
    setup
        .node
        .child_witness(0, &setup.allow_list, &child)
        .unwrap();
}
