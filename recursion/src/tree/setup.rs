//! The tree's keys: a first-level node per group of base keys and one node key, at their
//! fixed point, and the allow-list that holds them.
//!
//! A tree's first level combines base proofs: each of its nodes is a **base node**, whose
//! `k` slots verify base proofs under the keys of its group, with tables floored to the
//! node key's shape. Every level above is one circuit, the **node**, whose `k` slots verify
//! proofs of its own shape (base nodes and nodes alike). So the root of a tree of two levels
//! or more is a proof under the one node key, and a root of one level a proof under a base
//! node's key.
//!
//! The node key is found as the chain layers' is ([`crate::layers`]): the node verifying
//! children of shape `Sᵢ` is set up with `Sᵢ` as its floor, giving `Sᵢ₊₁ ≥ Sᵢ`; from
//! the first node circuit equal to its predecessor, the shape and the key repeat. The
//! search starts from the base nodes' free shapes, so every base node fits the final shape.

use std::time::{Duration, Instant};

use fixpoint_circuit::{CircuitId, CircuitIo};
use fixpoint_circuit_prover::{
    BusLayout, CostModel, FieldFamily, FriSettings, ProverConfig, ProvingKey, SetupOptions,
    ShapeFloor, Stark, VerifyingKey, poseidon2, setup_with,
};
use serde::Serialize;

use super::TreeError;
use super::allow_list::{AllowList, ChildKey, ChildKind};
use super::node::{Combine, NodeCircuit, node_circuit};
use super::verify::TrustedTree;
use crate::fixpoint::FixpointKey;
use crate::layers::{LAYER_COLUMN_CELLS, LAYER_HEIGHT_CELLS};
use crate::uni_stark::Ext;

/// A node's proving key over field family `F`.
pub type NodeKey<F> = ProvingKey<Stark<F>, poseidon2::Table>;

/// The most node circuits [`tree_setup`] sets up before it gives up on a fixed point.
pub const MAX_SETUP_ROUNDS: usize = 12;

/// How a tree is shaped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeOptions {
    /// Children per node, 2 to [`MAX_ARITY`](super::MAX_ARITY).
    pub arity: usize,
    /// The allow-list's depth: it holds `2^allow_depth` keys (each base key, each base
    /// node and the node key).
    pub allow_depth: usize,
    /// The FRI settings of every node proof.
    pub settings: FriSettings,
}

/// One node circuit the fixed-point search set up.
#[derive(Clone, Debug)]
pub struct SetupRound {
    /// The circuit's content hash.
    pub circuit_id: CircuitId,
    /// The key's hash.
    pub vk_hash: [u8; 32],
    /// Setup time.
    pub setup: Duration,
}

/// A base node: a first-level node, whose slots verify base proofs under one group of base
/// keys.
pub struct BaseNode<F: FieldFamily> {
    /// The base key of each slot, as indices into the setup's base keys.
    pub group: Vec<usize>,
    /// The base node's circuit.
    pub circuit: NodeCircuit<F>,
    /// Its proving key (its verifying key has the node key's shape).
    pub pk: NodeKey<F>,
    /// The base node's key as a node's child.
    pub as_child: ChildKey<F>,
}

/// Everything a tree is proved with: the base nodes, the node circuit and key at their
/// fixed point, and the allow-list.
pub struct TreeSetup<F: FieldFamily> {
    /// The base keys' slots, in the order given.
    pub bases: Vec<ChildKey<F>>,
    /// One base node per group, in the order given.
    pub base_nodes: Vec<BaseNode<F>>,
    /// The node circuit.
    pub node: NodeCircuit<F>,
    /// The node's proving key: every tree's root is a proof under its verifying key.
    pub node_pk: NodeKey<F>,
    /// The node key as a node's child.
    pub node_child: ChildKey<F>,
    /// The allow-list: the base keys, the base nodes and the node key, in that order.
    pub allow_list: AllowList,
    /// The node circuits the search set up, the last one the fixed point.
    pub rounds: Vec<SetupRound>,
    /// Children per node.
    pub arity: usize,
}

impl<F: FieldFamily> TreeSetup<F> {
    /// What a verifier of this setup's trees trusts: the allow-list root and the node key.
    pub fn trusted(&self) -> Result<TrustedTree, TreeError<F>> {
        Ok(TrustedTree {
            field: F::FIELD.name().to_owned(),
            statement_len: self.node.statement_len as u32,
            allow_root: self
                .allow_list
                .root::<F>()?
                .map(|v| v.as_canonical_u64() as u32),
            node_key: self.node_pk.vk.hash(),
            base_node_keys: self.base_nodes.iter().map(|b| b.pk.vk.hash()).collect(),
        })
    }

    /// The base node of `group` (base key indices, one per slot).
    pub fn base_node(&self, group: &[usize]) -> Option<&BaseNode<F>> {
        self.base_nodes.iter().find(|b| b.group == group)
    }
}

/// The distinct groups of `arity` consecutive base key indices in `leaves`, in order of
/// first appearance: the base nodes a tree over leaves under those keys needs.
///
/// ```
/// use fixpoint_recursion::tree::setup::groups_of;
///
/// // Eight segments, the last under a key of its own: two base nodes at arity 2.
/// assert_eq!(groups_of(&[0, 0, 0, 0, 0, 0, 0, 1], 2), vec![vec![0, 0], vec![0, 1]]);
/// ```
pub fn groups_of(leaves: &[usize], arity: usize) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for chunk in leaves.chunks(arity.max(1)) {
        if !groups.iter().any(|g| g == chunk) {
            groups.push(chunk.to_vec());
        }
    }
    groups
}

/// The setup options of every node: the base key's bus, the Poseidon2 tables,
/// the layers' cost model and `floor`.
pub(crate) fn options(
    bus: BusLayout,
    floor: ShapeFloor,
) -> SetupOptions<'static, poseidon2::Table> {
    SetupOptions::new()
        .with_bus(bus)
        .with_npos(&poseidon2::Table::ALL)
        .with_floor(floor)
        .with_cost(
            CostModel::with_column_cells(LAYER_COLUMN_CELLS).and_height_cells(LAYER_HEIGHT_CELLS),
        )
}

/// The larger of two floors, table by table.
fn max_floor(a: &ShapeFloor, b: &ShapeFloor) -> ShapeFloor {
    let mut npo = a.npo_log_heights.clone();
    for &(kind, h) in &b.npo_log_heights {
        match npo.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, g)) => *g = (*g).max(h),
            None => npo.push((kind, h)),
        }
    }
    ShapeFloor {
        tables: std::array::from_fn(|i| {
            let ((la, ha), (lb, hb)) = (a.tables[i], b.tables[i]);
            (la.max(lb), ha.max(hb))
        }),
        npo_log_heights: npo,
    }
}

/// Sets up a tree over proofs under `bases`, whose first level combines the `groups` of
/// base keys (indices into `bases`, [`groups_of`] the leaves), with statement type `S` of
/// `lengths` and the node function `combine`; calls `progress` after each node circuit of
/// the search.
pub fn tree_setup<F, S, N>(
    bases: &[&VerifyingKey<Stark<F>, N>],
    groups: &[Vec<usize>],
    lengths: &S::Lengths,
    combine: &Combine<F, S>,
    options_: TreeOptions,
    mut progress: impl FnMut(&SetupRound),
) -> Result<TreeSetup<F>, TreeError<F>>
where
    F: FieldFamily,
    S: CircuitIo,
    VerifyingKey<Stark<F>, N>: FixpointKey<F>,
    N: Serialize + serde::de::DeserializeOwned + Clone,
    Ext<F>: fixpoint_circuit::CircuitField<PrimeSubfield = F>,
{
    let TreeOptions {
        arity,
        allow_depth,
        settings,
    } = options_;
    if !(2..=super::MAX_ARITY).contains(&arity) {
        return Err(TreeError::Arity { arity });
    }
    let first = bases.first().ok_or(TreeError::NoBaseKey)?;
    let bus = first.layout.bus();
    let config = ProverConfig::<Stark<F>>::new(settings);
    let setup = |circuit: &NodeCircuit<F>, floor: ShapeFloor| {
        setup_with(&circuit.circuit, &config, &options(bus, floor))
            .map(|(pk, _)| pk)
            .map_err(|source| TreeError::Setup { source })
    };
    let base_keys = bases
        .iter()
        .map(|vk| ChildKey::new(*vk, ChildKind::Base))
        .collect::<Result<Vec<_>, _>>()?;
    if groups.is_empty() {
        return Err(TreeError::NoBaseKey);
    }
    // The base nodes, with free shapes: where the search starts.
    let mut base_circuits = Vec::with_capacity(groups.len());
    let mut floor = ShapeFloor::default();
    for (g, group) in groups.iter().enumerate() {
        if group.len() != arity {
            return Err(TreeError::ChildCount {
                expected: arity,
                got: group.len(),
            });
        }
        let keys = group
            .iter()
            .map(|&b| {
                base_keys.get(b).cloned().ok_or(TreeError::GroupBase {
                    group: g,
                    base: b,
                    bases: base_keys.len(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let circuit = node_circuit::<F, S>(&keys, lengths, combine, allow_depth)?;
        let pk = setup(&circuit, ShapeFloor::default())?;
        floor = max_floor(&floor, &pk.vk.shape_floor());
        base_circuits.push((group.clone(), circuit));
    }
    let mut child_vk = setup(&base_circuits[0].1, floor.clone())?.vk;
    let mut rounds = Vec::new();
    let mut previous: Option<(CircuitId, NodeKey<F>)> = None;
    let (node, node_pk) = loop {
        if rounds.len() == MAX_SETUP_ROUNDS {
            return Err(TreeError::NoFixedPoint {
                rounds: MAX_SETUP_ROUNDS,
            });
        }
        let child = ChildKey::new::<poseidon2::Table>(&child_vk, ChildKind::Node)?;
        let node = node_circuit(&vec![child; arity], lengths, combine, allow_depth)?;
        let id = node.circuit.id();
        let start = Instant::now();
        let pk = setup(&node, floor.clone())?;
        let round = SetupRound {
            circuit_id: id,
            vk_hash: pk.vk.hash(),
            setup: start.elapsed(),
        };
        progress(&round);
        rounds.push(round);
        if let Some((prev_id, prev_pk)) = previous.take() {
            if prev_id == id {
                if prev_pk.vk.hash() != pk.vk.hash() {
                    return Err(TreeError::KeyChanged);
                }
                break (node, pk);
            }
        }
        floor = max_floor(&floor, &pk.vk.shape_floor());
        child_vk = pk.vk.clone();
        previous = Some((id, pk));
    };
    let node_child = ChildKey::new::<poseidon2::Table>(&node_pk.vk, ChildKind::Node)?;
    // The base nodes again, floored to the node key's shape, which they must then have.
    let final_floor = node_pk.vk.shape_floor();
    let mut base_nodes = Vec::with_capacity(base_circuits.len());
    for (i, (group, circuit)) in base_circuits.into_iter().enumerate() {
        let pk = setup(&circuit, final_floor.clone())?;
        let as_child = ChildKey::new::<poseidon2::Table>(&pk.vk, ChildKind::Node)?;
        if as_child.shape_digest != node_child.shape_digest {
            return Err(TreeError::BaseNodeShape {
                group: i,
                difference: shape_difference(&pk.vk, &node_pk.vk),
            });
        }
        base_nodes.push(BaseNode {
            group,
            circuit,
            pk,
            as_child,
        });
    }
    let leaves: Vec<[F; 8]> = base_keys
        .iter()
        .map(ChildKey::leaf)
        .chain(base_nodes.iter().map(|b| b.as_child.leaf()))
        .chain(std::iter::once(node_child.leaf()))
        .collect();
    let allow_list = AllowList::new(allow_depth, &leaves)?;
    Ok(TreeSetup {
        bases: base_keys,
        base_nodes,
        node,
        node_pk,
        node_child,
        allow_list,
        rounds,
        arity,
    })
}

/// What differs between two keys' shapes, in words.
fn shape_difference<F: FieldFamily>(
    base_node: &VerifyingKey<Stark<F>, poseidon2::Table>,
    node: &VerifyingKey<Stark<F>, poseidon2::Table>,
) -> String {
    let mut out = Vec::new();
    for (l, n) in base_node.layout.tables.iter().zip(&node.layout.tables) {
        if (l.lanes, l.log_height) != (n.lanes, n.log_height) {
            out.push(format!(
                "{}: {} lanes of 2^{} rows, the node key's {} of 2^{}",
                l.kind.name(),
                l.lanes,
                l.log_height,
                n.lanes,
                n.log_height
            ));
        }
    }
    let npo = |vk: &VerifyingKey<Stark<F>, poseidon2::Table>| -> Vec<String> {
        vk.npo_tables
            .iter()
            .zip(&vk.npo_log_heights)
            .map(|(t, h)| format!("{t:?} 2^{h}"))
            .collect()
    };
    if npo(base_node) != npo(node) {
        out.push(format!(
            "NPO tables {:?}, the node key's {:?}",
            npo(base_node),
            npo(node)
        ));
    }
    if base_node.public_positions != node.public_positions {
        out.push("the public positions".into());
    }
    if out.is_empty() {
        out.push("another fact of the key (its bus or FRI settings)".into());
    }
    out.join("; ")
}
