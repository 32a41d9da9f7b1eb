//! Proving a tree: the base proofs are combined `k` at a time by base nodes, then the
//! proofs of each level `k` at a time by the node, until one remains. The nodes of a level
//! are independent and are proved in parallel (with the prover's `parallel` feature).

use std::time::{Duration, Instant};

use fixpoint_circuit_prover::{
    FieldFamily, Proof, ProofReport, Stark, VerifyingKey, poseidon2, prove_with_report, verify,
};
use p3_maybe_rayon::prelude::*;

use super::TreeError;
use super::allow_list::{AllowList, ChildKey};
use super::node::{ChildInput, NodeCircuit};
use super::setup::{NodeKey, TreeSetup};
use crate::uni_stark::Ext;

/// A proved node over field family `F`.
pub struct NodeProof<F: FieldFamily> {
    /// The proof.
    pub proof: Proof<Stark<F>>,
    /// Its public inputs: the statement, then the allow-list root.
    pub publics: Vec<Ext<F>>,
    /// What the proof cost.
    pub report: ProofReport,
    /// Witness generation and run time.
    pub run: Duration,
    /// Prove time.
    pub prove: Duration,
}

/// Proves `node` with key `pk` over `children` under `list`, and checks the proof under
/// the node's own key.
pub fn prove_node<F: FieldFamily>(
    node: &NodeCircuit<F>,
    pk: &NodeKey<F>,
    list: &AllowList,
    children: &[ChildInput<'_, F>],
) -> Result<NodeProof<F>, TreeError<F>>
where
    Ext<F>: fixpoint_circuit::CircuitField<PrimeSubfield = F>,
{
    let start = Instant::now();
    let witness = node.witness(list, children)?;
    let mut runner = node.circuit.runner();
    poseidon2::register_executors(&mut runner);
    node.fill(&witness, list, &mut runner)?;
    let traces = runner.run().map_err(|source| TreeError::Run { source })?;
    fixpoint_circuit_prover::merkle::shared::check_node_bus(&traces)
        .map_err(|source| TreeError::NodeBus { source })?;
    let run = start.elapsed();
    let start = Instant::now();
    let (proof, report) =
        prove_with_report(pk, &traces).map_err(|source| TreeError::Prove { source })?;
    let prove = start.elapsed();
    verify(&pk.vk, &witness.publics, &proof).map_err(|source| TreeError::Verify { source })?;
    Ok(NodeProof {
        proof,
        publics: witness.publics,
        report,
        run,
        prove,
    })
}

/// A base proof to aggregate: which of the setup's base keys it is under, the proof and
/// its public inputs (its statement).
pub struct Leaf<'a, F: FieldFamily> {
    /// The base key's index in [`TreeSetup::bases`].
    pub base: usize,
    /// The proof.
    pub proof: &'a Proof<Stark<F>>,
    /// Its public inputs.
    pub publics: &'a [Ext<F>],
}

/// One level of a proved tree: level 1 combines the base proofs.
#[derive(Clone, Debug)]
pub struct LevelReport {
    /// 1 for the base nodes, then 2, 3, … up to the root.
    pub level: usize,
    /// Proofs made at this level.
    pub nodes: usize,
    /// Prove time of each node.
    pub prove: Vec<Duration>,
    /// Run time of each node (witness and circuit run).
    pub run: Vec<Duration>,
    /// Wall time of the level.
    pub wall: Duration,
    /// Trace cells of one node's proof (LogUp included).
    pub cells: usize,
    /// One node's proof size in bytes.
    pub proof_bytes: usize,
}

/// A proved tree: the root's key, proof and public inputs, and a report per level.
pub struct TreeProof<F: FieldFamily> {
    /// The root's key: the node key, or for a tree of one level its base node's.
    pub vk: VerifyingKey<Stark<F>, poseidon2::Table>,
    /// The root's proof, under the setup's node key.
    pub proof: Proof<Stark<F>>,
    /// Its public inputs: the tree's statement, then the allow-list root.
    pub publics: Vec<Ext<F>>,
    /// Per level, the base nodes first.
    pub levels: Vec<LevelReport>,
}

/// The depth of a tree of `leaves` base proofs with `arity` children per node: `leaves`
/// must be a power of `arity`, at least `arity`.
pub fn tree_depth<F: FieldFamily>(leaves: usize, arity: usize) -> Result<usize, TreeError<F>> {
    let mut count = leaves;
    let mut depth = 0;
    while count > 1 && count % arity == 0 {
        count /= arity;
        depth += 1;
    }
    if count != 1 || depth == 0 {
        return Err(TreeError::LeafCount { leaves, arity });
    }
    Ok(depth)
}

/// Proves the tree over `leaves` with `setup`: combines the base proofs `setup.arity` at a
/// time with the base node of their group, then the proofs of each level with the node,
/// in order; `progress` is called after each level.
pub fn prove_tree<F: FieldFamily>(
    setup: &TreeSetup<F>,
    leaves: &[Leaf<'_, F>],
    mut progress: impl FnMut(&LevelReport),
) -> Result<TreeProof<F>, TreeError<F>>
where
    Ext<F>: fixpoint_circuit::CircuitField<PrimeSubfield = F>,
{
    let depth = tree_depth::<F>(leaves.len(), setup.arity)?;
    for (i, leaf) in leaves.iter().enumerate() {
        if leaf.base >= setup.bases.len() {
            return Err(TreeError::UnknownBase {
                leaf: i,
                base: leaf.base,
                bases: setup.bases.len(),
            });
        }
    }
    let list = &setup.allow_list;
    // Level 1: the base nodes.
    let start = Instant::now();
    let groups = leaves
        .chunks(setup.arity)
        .enumerate()
        .map(|(g, chunk)| {
            let group: Vec<usize> = chunk.iter().map(|leaf| leaf.base).collect();
            setup
                .base_node(&group)
                .map(|node| (node, chunk))
                .ok_or(TreeError::UnknownGroup {
                    first: g * setup.arity,
                    group,
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut proofs: Vec<NodeProof<F>> = groups
        .par_iter()
        .map(|(node, chunk)| {
            let children: Vec<ChildInput<'_, F>> = chunk
                .iter()
                .map(|leaf| ChildInput {
                    key: &setup.bases[leaf.base],
                    proof: leaf.proof,
                    publics: leaf.publics,
                })
                .collect();
            prove_node(&node.circuit, &node.pk, list, &children)
        })
        .collect::<Result<_, _>>()?;
    let mut levels = vec![level_report(1, &proofs, start.elapsed())];
    progress(&levels[0]);
    let mut keys: Vec<&ChildKey<F>> = groups.iter().map(|(node, _)| &node.as_child).collect();
    let mut vk = &groups[0].0.pk.vk;
    for level in 2..=depth {
        let start = Instant::now();
        let next: Vec<NodeProof<F>> = proofs
            .par_chunks(setup.arity)
            .zip(keys.par_chunks(setup.arity))
            .map(|(group, group_keys)| {
                let children: Vec<ChildInput<'_, F>> = group
                    .iter()
                    .zip(group_keys)
                    .map(|(p, key)| ChildInput {
                        key,
                        proof: &p.proof,
                        publics: &p.publics,
                    })
                    .collect();
                prove_node(&setup.node, &setup.node_pk, list, &children)
            })
            .collect::<Result<_, _>>()?;
        let report = level_report(level, &next, start.elapsed());
        progress(&report);
        levels.push(report);
        keys = vec![&setup.node_child; next.len()];
        proofs = next;
        vk = &setup.node_pk.vk;
    }
    let root = proofs.pop().expect("a tree has a root");
    Ok(TreeProof {
        vk: vk.clone(),
        proof: root.proof,
        publics: root.publics,
        levels,
    })
}

/// The report of a level of `proofs`, proved in `wall`.
fn level_report<F: FieldFamily>(
    level: usize,
    proofs: &[NodeProof<F>],
    wall: Duration,
) -> LevelReport {
    LevelReport {
        level,
        nodes: proofs.len(),
        prove: proofs.iter().map(|p| p.prove).collect(),
        run: proofs.iter().map(|p| p.run).collect(),
        wall,
        cells: proofs.first().map_or(0, |p| p.report.trace_area()),
        proof_bytes: proofs.first().map_or(0, |p| p.report.proof_bytes),
    }
}
