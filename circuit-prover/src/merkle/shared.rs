//! Shared Merkle nodes: the top levels of a tree that many queries open, computed once.
//!
//! `q` paths into one tree of depth `h` repeat its top levels: at depth `d` there are at
//! most `min(q, 2^d)` distinct nodes, yet every path hashes one of them. A
//! [`SharedTree`] proves the top `top` levels once, as a **subtree** of
//! [`MERKLE_SHARED`](crate::poseidon2::MERKLE_SHARED) rows, and each query's path climbs
//! only to depth `top`, where it reads its node from the subtree on the node bus
//! ([`NODE_BUS`](crate::poseidon2::shared_merkle_table::NODE_BUS)).
//!
//! # The messages
//!
//! A node bus message is `(level, position, digest)`, with `level = 64·tag + depth` for a
//! tree's `tag` (each tree of a circuit has its own). At depth `d < top` the subtree has
//! `min(q, 2^d)` rows (a row the live nodes do not need repeats one that they do):
//!
//! - the **root row** (depth 0) compresses two children into the tree's root, which the
//!   circuit connects to the commitment; its position is the constant 0. It provides its
//!   inputs `(64·tag + 1, 0, left)` and `(64·tag + 1, 1, right)`;
//! - a row at depth `d ≥ 1` **reads** its output `(64·tag + d, p, out)` once and provides
//!   its inputs `(64·tag + d + 1, 2p, left)` and `(64·tag + d + 1, 2p + 1, right)`, `p` its
//!   private position;
//! - a query's **top row**, its path's step to depth `top`, reads its output
//!   `(64·tag + top, p, out)` once, where `p` is the index's top `top` bits, computed in the
//!   circuit from the bits that also order the path's lower levels ([`top_position`]).
//!
//! Every level, consume flag and provide flag is a constant of the circuit, so the key
//! pins them. Only the positions of the subtree's rows and how often each row provides
//! are the prover's.
//!
//! # Why a query reads only a node of the committed tree
//!
//! Take a message `(64·tag + d, p, N)` that some row reads (with count 1). The node bus
//! balances per message: the reads of that message sum to between 1 and the number of
//! rows, below the field's characteristic, so some row provides it with a nonzero
//! multiplicity. Only an active row whose `provide` port is 1 can (the table constrains
//! `multiplicity · (1 − provide) = 0`, and `provide = 0` on padding rows): a subtree row of
//! the same tree at depth `d − 1`, at position `⌊p/2⌋`, whose input half `p mod 2` is `N`.
//! That row's output is the parent of `N`. At depth `d − 1 ≥ 1` the row reads its output
//! in turn; at depth 0 it is the root row, whose output is the commitment and whose
//! position is 0. By induction on `d`, `N` is linked to the commitment by `d`
//! compressions, each taking the half that the position's bit names: `N` is the node at
//! `(d, p)` of the committed tree, or the prover found a collision of the compression.
//!
//! A provider's multiplicity may be any field element, and wrapping does not matter: the
//! argument needs only that a read message has *some* provider, which holds because the
//! reads' counts are 0 or 1 (fixed by the key, and boolean by the table's constraint) and
//! fewer than the characteristic.

use std::collections::BTreeMap;

use fixpoint_circuit::{CircuitBuilder, CircuitField, NpoCallId, PrivateGroup, Runner, Target};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_symmetric::{CryptographicPermutation, PseudoCompressionFunction, TruncatedPermutation};
use thiserror::Error;

use crate::family::{Ext, FieldFamily};
use crate::poseidon2::{self, DIGEST, NodePorts, PACKED_DIGEST};

/// A digest: 8 base-field lanes in 2 packed slots (as [`super::Digest`]; this module
/// does not import its parent, which imports it).
type Digest = [Target; PACKED_DIGEST];

/// Levels per tree tag on the node bus: a tree's levels are `64·tag + depth`.
pub const LEVELS_PER_TAG: usize = 64;

/// The depth at which `queries` paths best read a shared node: `⌈log₂ q⌉`, where the
/// subtree's `2^top − 1` rows save the most path steps (`q·top` of them).
///
/// ```
/// use fixpoint_circuit_prover::merkle::shared::best_top;
/// assert_eq!(best_top(54), 6);
/// assert_eq!(best_top(1), 0);
/// ```
pub fn best_top(queries: usize) -> usize {
    queries.next_power_of_two().trailing_zeros() as usize
}

/// What [`shared_tree`] refuses.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum SharedTreeError {
    /// A subtree of no level, or one too deep for its tag's levels.
    #[error("a shared top of {top} levels: it must be 1 to {max}", max = LEVELS_PER_TAG - 2)]
    Top {
        /// The levels asked for.
        top: usize,
    },
    /// A tree with no query reads nothing.
    #[error("a shared tree needs at least one query")]
    NoQueries,
    /// The tag does not fit in a base-field level.
    #[error("tree tag {tag} is too large for a node-bus level")]
    Tag {
        /// The tag.
        tag: usize,
    },
}

/// Why [`SharedTree::set_witness`] cannot give the runner the subtree.
#[derive(Debug, Error)]
pub enum SharedWitnessError {
    /// Another number of queries than the tree was built for.
    #[error("{got} query openings for a shared tree built for {expected}")]
    QueryCount {
        /// Queries the tree serves.
        expected: usize,
        /// Openings given.
        got: usize,
    },
    /// A query's position does not fit the subtree's top level.
    #[error("query {query} reads position {position}, beyond the {width} nodes at depth {top}")]
    Position {
        /// The query.
        query: usize,
        /// Its position.
        position: usize,
        /// Nodes at the top level.
        width: usize,
        /// The top level.
        top: usize,
    },
    /// A query's opening has another number of siblings than the subtree's levels.
    #[error("query {query} gives {got} top siblings, expected {expected}")]
    SiblingCount {
        /// The query.
        query: usize,
        /// The subtree's levels.
        expected: usize,
        /// Siblings given.
        got: usize,
    },
    /// Two queries disagree on a node's children: the openings are not of one tree.
    #[error("queries disagree on the children of the node at depth {depth}, position {position}")]
    Inconsistent {
        /// The node's depth.
        depth: usize,
        /// Its position.
        position: usize,
    },
    /// The runner refused the subtree's private inputs.
    #[error("the runner refused the subtree's private inputs")]
    Runner(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// One query's view of the top of a tree: where it reads, the node it computed there, and
/// the siblings above it (p3's path from depth `top` up to depth 1, bottom first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopOpening<V> {
    /// The index's top `top` bits: the node's position at depth `top`.
    pub position: usize,
    /// The node at depth `top`: what the query's path computes.
    pub node: [V; DIGEST],
    /// The siblings at depths `top, top − 1, …, 1`.
    pub siblings: Vec<[V; DIGEST]>,
}

/// One row of the subtree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SubtreeRow {
    /// The row's call.
    call: NpoCallId,
}

/// The private inputs of a subtree of `top` levels for `queries` queries
/// ([`SubtreeInputs::private`]): per row, in depth order, its left child (two packed
/// slots) and, below the root, its position. A verifier allocates them with its other
/// private inputs; their values are [`SubtreeAssignment::privates`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubtreeInputs {
    top: usize,
    queries: usize,
    rows: Vec<Vec<(Digest, Option<Target>)>>,
    group: PrivateGroup,
}

impl SubtreeInputs {
    /// Allocates the private inputs (as one group) of the subtree of the top `top` levels
    /// that `queries` paths read.
    pub fn private<F: Field>(
        builder: &mut CircuitBuilder<F>,
        top: usize,
        queries: usize,
    ) -> Result<Self, SharedTreeError> {
        if top == 0 || top > LEVELS_PER_TAG - 2 {
            return Err(SharedTreeError::Top { top });
        }
        if queries == 0 {
            return Err(SharedTreeError::NoQueries);
        }
        let (group, rows) = builder.private_group(|b| {
            (0..top)
                .map(|depth| {
                    (0..queries.min(1 << depth))
                        .map(|_| {
                            let left: Digest = [b.private_input(), b.private_input()];
                            (left, (depth > 0).then(|| b.private_input()))
                        })
                        .collect()
                })
                .collect()
        });
        Ok(SubtreeInputs {
            top,
            queries,
            rows,
            group,
        })
    }

    /// The depth at which queries read their node.
    pub fn top(&self) -> usize {
        self.top
    }
}

/// The shared top of one tree ([`shared_tree`]): its rows per depth and their private
/// inputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedTree {
    tag: usize,
    inputs: SubtreeInputs,
    rows: Vec<Vec<SubtreeRow>>,
}

/// The constant level of `depth` in the tree of `tag`.
fn level<F: Field>(b: &mut CircuitBuilder<F>, tag: usize, depth: usize) -> Target {
    b.const_u64((tag * LEVELS_PER_TAG + depth) as u64)
}

/// The subtree of the top `top` levels of the tree of `tag`, which `queries` paths read
/// at depth `top`, with `root` the tree's commitment (a cap of one root): its private
/// inputs ([`SubtreeInputs::private`]) and rows ([`shared_tree_of`]).
///
/// Costs `Σ_{d < top} min(queries, 2^d)` rows; each query then saves `top` path steps
/// ([`best_top`] gives the depth that saves most).
///
/// ```
/// use fixpoint_circuit::CircuitBuilder;
/// use fixpoint_circuit_prover::KoalaBearExt as F;
/// use fixpoint_circuit_prover::merkle::{self, shared};
///
/// let mut b = CircuitBuilder::<F>::new();
/// let root = merkle::public_digest(&mut b);
/// let tree = shared::shared_tree(&mut b, 0, 2, 3, &root)?;
/// assert_eq!(tree.rows(), 1 + 2); // depth 0, then min(3, 2) nodes at depth 1
/// # Ok::<(), shared::SharedTreeError>(())
/// ```
pub fn shared_tree<F: Field>(
    builder: &mut CircuitBuilder<F>,
    tag: usize,
    top: usize,
    queries: usize,
    root: &Digest,
) -> Result<SharedTree, SharedTreeError> {
    let inputs = SubtreeInputs::private(builder, top, queries)?;
    shared_tree_of(builder, tag, inputs, root)
}

/// The rows of the subtree of the tree of `tag` whose private inputs are `inputs`, its
/// root connected to `root`.
pub fn shared_tree_of<F: Field>(
    builder: &mut CircuitBuilder<F>,
    tag: usize,
    inputs: SubtreeInputs,
    root: &Digest,
) -> Result<SharedTree, SharedTreeError> {
    if tag >= 1 << 20 {
        return Err(SharedTreeError::Tag { tag });
    }
    builder.scope("shared_tree", |b| {
        let (zero, one) = (b.zero(), b.one());
        let mut rows = Vec::with_capacity(inputs.top);
        for (depth, level_inputs) in inputs.rows.iter().enumerate() {
            let mut level_rows = Vec::with_capacity(level_inputs.len());
            for &(left, position) in level_inputs {
                let (position, consume) = match position {
                    None => (zero, zero),
                    Some(position) => (position, one),
                };
                let node = NodePorts {
                    level: level(b, tag, depth),
                    position,
                    consume,
                    provide: one,
                };
                let (call, out) = poseidon2::shared_merkle_step(b, &left, zero, node);
                if depth == 0 {
                    for (&computed, &committed) in out.iter().zip(root) {
                        b.connect(computed, committed);
                    }
                }
                level_rows.push(SubtreeRow { call });
            }
            rows.push(level_rows);
        }
        Ok(SharedTree { tag, inputs, rows })
    })
}

/// The position at depth `top` of the node above the leaf whose index has `top_bits` as
/// its most significant bits (least significant first): `Σ 2^i · top_bits[i]`.
pub fn top_position<F: Field>(builder: &mut CircuitBuilder<F>, top_bits: &[Target]) -> Target {
    let mut position = builder.zero();
    for &bit in top_bits.iter().rev() {
        let doubled = builder.add(position, position);
        position = builder.add(doubled, bit);
    }
    position
}

impl SharedTree {
    /// The depth at which queries read their node.
    pub fn top(&self) -> usize {
        self.inputs.top
    }

    /// The tree's tag.
    pub fn tag(&self) -> usize {
        self.tag
    }

    /// The subtree's rows.
    pub fn rows(&self) -> usize {
        self.rows.iter().map(Vec::len).sum()
    }

    /// The node ports of a query's top row: read `(64·tag + top, position, out)` once.
    pub fn read<F: Field>(&self, builder: &mut CircuitBuilder<F>, position: Target) -> NodePorts {
        let zero = builder.zero();
        let one = builder.one();
        NodePorts {
            level: level(builder, self.tag, self.inputs.top),
            position,
            consume: one,
            provide: zero,
        }
    }

    /// Gives the runner the subtree: its private inputs (as their group) and every row's
    /// private data, from every query's [`TopOpening`] (in query order).
    pub fn set_witness<V: FieldFamily>(
        &self,
        runner: &mut Runner<'_, Ext<V>>,
        openings: &[TopOpening<V>],
    ) -> Result<(), SharedWitnessError> {
        let perm = V::permutation();
        let assignment =
            SubtreeAssignment::new(&perm, self.inputs.top, self.inputs.queries, openings)?;
        runner
            .set_private_group(&self.inputs.group, &assignment.privates::<Ext<V>>())
            .map_err(|e| SharedWitnessError::Runner(Box::new(e)))?;
        self.set_private_data(runner, &assignment)
    }

    /// Gives the runner every row's private data (the right child and how often each
    /// child is read) from `assignment`; the private inputs are the caller's, from
    /// [`SubtreeAssignment::privates`].
    pub fn set_private_data<F: CircuitField>(
        &self,
        runner: &mut Runner<'_, F>,
        assignment: &SubtreeAssignment<F::PrimeSubfield>,
    ) -> Result<(), SharedWitnessError> {
        let shape = |rows: &[Vec<Assigned<F::PrimeSubfield>>]| {
            rows.iter().map(Vec::len).collect::<Vec<_>>()
        };
        let ours: Vec<usize> = self.rows.iter().map(Vec::len).collect();
        if shape(&assignment.rows) != ours {
            return Err(SharedWitnessError::QueryCount {
                expected: self.inputs.queries,
                got: assignment.queries,
            });
        }
        for (rows, assigned) in self.rows.iter().zip(&assignment.rows) {
            for (row, a) in rows.iter().zip(assigned) {
                poseidon2::set_shared_private(runner, row.call, &a.right, a.provided);
            }
        }
        Ok(())
    }
}

/// The native values of a subtree's rows ([`SubtreeAssignment::new`]).
#[derive(Clone, Debug)]
pub struct SubtreeAssignment<V> {
    queries: usize,
    rows: Vec<Vec<Assigned<V>>>,
}

impl<V: Field> SubtreeAssignment<V> {
    /// Every row's native values for a subtree of `top` levels read by the queries whose
    /// openings are `openings` (in query order): per depth the live nodes (their children
    /// from the queries' climbs), then repeats of the first, and how often each is read.
    /// `perm` is the tree's Poseidon2 permutation.
    pub fn new<P: CryptographicPermutation<[V; 16]> + Clone>(
        perm: &P,
        top: usize,
        queries: usize,
        openings: &[TopOpening<V>],
    ) -> Result<Self, SharedWitnessError> {
        if openings.len() != queries {
            return Err(SharedWitnessError::QueryCount {
                expected: queries,
                got: openings.len(),
            });
        }
        let compress = TruncatedPermutation::<_, 2, DIGEST, 16>::new(perm.clone());
        // (depth, position) → (left, right) of every node the queries pass.
        let mut children: BTreeMap<(usize, usize), ([V; DIGEST], [V; DIGEST])> = BTreeMap::new();
        let mut reads_at_top: BTreeMap<usize, u64> = BTreeMap::new();
        for (query, opening) in openings.iter().enumerate() {
            if opening.position >= 1 << top {
                return Err(SharedWitnessError::Position {
                    query,
                    position: opening.position,
                    width: 1 << top,
                    top,
                });
            }
            if opening.siblings.len() != top {
                return Err(SharedWitnessError::SiblingCount {
                    query,
                    expected: top,
                    got: opening.siblings.len(),
                });
            }
            *reads_at_top.entry(opening.position).or_default() += 1;
            let (mut node, mut position) = (opening.node, opening.position);
            for (climbed, sibling) in opening.siblings.iter().enumerate() {
                let pair = if position & 1 == 0 {
                    (node, *sibling)
                } else {
                    (*sibling, node)
                };
                position >>= 1;
                let depth = top - climbed - 1;
                match children.insert((depth, position), pair) {
                    Some(previous) if previous != pair => {
                        return Err(SharedWitnessError::Inconsistent { depth, position });
                    }
                    _ => {}
                }
                node = compress.compress([pair.0, pair.1]);
            }
        }
        // Per depth, the live nodes in position order, then repeats of the first.
        let mut rows: Vec<Vec<Assigned<V>>> = Vec::with_capacity(top);
        for depth in 0..top {
            let mut level: Vec<Assigned<V>> = children
                .range((depth, 0)..(depth + 1, 0))
                .map(|(&(_, position), &(left, right))| Assigned {
                    position,
                    left,
                    right,
                    provided: [0, 0],
                })
                .collect();
            let first = level[0].clone(); // every query passes a node at every depth
            level.resize(queries.min(1 << depth), first);
            rows.push(level);
        }
        // How often each node is read: by the rows of the next depth, or the queries.
        for depth in 0..top {
            let reads: BTreeMap<usize, u64> = match rows.get(depth + 1) {
                Some(next) => next.iter().fold(BTreeMap::new(), |mut reads, row| {
                    *reads.entry(row.position).or_default() += 1;
                    reads
                }),
                None => reads_at_top.clone(),
            };
            let live = children.range((depth, 0)..(depth + 1, 0)).count();
            for row in &mut rows[depth][..live] {
                let read = |side: usize| reads.get(&(2 * row.position + side)).copied();
                row.provided = [read(0).unwrap_or(0), read(1).unwrap_or(0)];
            }
        }
        Ok(SubtreeAssignment { queries, rows })
    }

    /// The values of the subtree's private inputs, in the order
    /// [`SubtreeInputs::private`] allocates them.
    pub fn privates<E: p3_field::ExtensionField<V>>(&self) -> Vec<E> {
        let mut privates = Vec::new();
        for (depth, rows) in self.rows.iter().enumerate() {
            for row in rows {
                // Four lanes per packed slot, as `poseidon2::pack_values` packs them.
                privates.extend(row.left.chunks(poseidon2::LANES).map(|lanes| {
                    E::from_basis_coefficients_fn(|k| lanes.get(k).copied().unwrap_or(V::ZERO))
                }));
                if depth > 0 {
                    privates.push(E::from(V::from_u64(row.position as u64)));
                }
            }
        }
        privates
    }
}

/// One subtree row's native values.
#[derive(Clone, Debug)]
struct Assigned<V> {
    position: usize,
    left: [V; DIGEST],
    right: [V; DIGEST],
    provided: [u64; 2],
}

/// The node at `depth` on the path of leaf `index` in a tree of one batch of matrices, as
/// p3's `MerkleTreeMmcs` computes it: `matrices` are `(height, opened row)` in commit order,
/// `siblings` the path's, bottom first. The rows of the tallest height are hashed into the
/// leaf; each level compresses with its sibling, then with the hash of the rows of the
/// height it reaches, if any.
///
/// ```
/// use fixpoint_circuit_prover::KoalaBear as V;
/// use fixpoint_circuit_prover::merkle::shared::native_node;
///
/// let siblings = [[V::new(1); 8], [V::new(2); 8]];
/// let row = [V::new(7), V::new(8)];
/// let perm = <V as fixpoint_circuit_prover::FieldFamily>::permutation();
/// let root = native_node(&perm, &[(4, &row[..])], 2, &siblings, 0);
/// let below = native_node(&perm, &[(4, &row[..])], 2, &siblings, 1);
/// assert_ne!(root, below);
/// ```
pub fn native_node<V: Field, P: CryptographicPermutation<[V; 16]> + Clone>(
    perm: &P,
    matrices: &[(usize, &[V])],
    index: usize,
    siblings: &[[V; DIGEST]],
    depth: usize,
) -> [V; DIGEST] {
    use p3_symmetric::{CryptographicHasher, PaddingFreeSponge};
    let hash = PaddingFreeSponge::<_, 16, DIGEST, DIGEST>::new(perm.clone());
    let compress = TruncatedPermutation::<_, 2, DIGEST, 16>::new(perm.clone());
    let tallest = matrices.iter().map(|&(h, _)| h).max().unwrap_or(1);
    let log_height = tallest.trailing_zeros() as usize;
    let rows_of = |height: usize| {
        matrices
            .iter()
            .filter(move |&&(h, _)| h == height)
            .flat_map(|&(_, row)| row.iter().copied())
    };
    let mut node = hash.hash_iter(rows_of(tallest));
    for (level, sibling) in siblings
        .iter()
        .take(log_height.saturating_sub(depth))
        .enumerate()
    {
        node = match (index >> level) & 1 {
            0 => compress.compress([node, *sibling]),
            _ => compress.compress([*sibling, node]),
        };
        let height = tallest >> (level + 1);
        if matrices.iter().any(|&(h, _)| h == height) {
            node = compress.compress([node, hash.hash_iter(rows_of(height))]);
        }
    }
    node
}

/// A node that [`check_node_bus`] finds read but not provided as often.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error(
    "op {op} reads the node at level {level}, position {position}, which the shared \
     trees provide {provided} time(s) for {read} read(s)"
)]
pub struct NodeBusError {
    /// The first op that reads the node.
    pub op: u32,
    /// The node's level (`64·tag + depth`).
    pub level: String,
    /// Its position.
    pub position: String,
    /// How often it is read.
    pub read: u64,
    /// How often the subtree rows provide it.
    pub provided: String,
}

/// Checks natively what `verify` checks on the node bus: every node a
/// [`MERKLE_SHARED`](crate::poseidon2::MERKLE_SHARED) row reads is provided exactly as
/// often. The runner cannot see this bus (it computes every row from its own inputs), so
/// a wrong opening that a shared tree catches passes the run; this names the first read
/// that the proof would fail on, before proving.
///
/// ```
/// use fixpoint_circuit::CircuitBuilder;
/// use fixpoint_circuit_prover::KoalaBearExt as F;
/// use fixpoint_circuit_prover::merkle::shared::check_node_bus;
/// use p3_field::PrimeCharacteristicRing;
///
/// let mut b = CircuitBuilder::<F>::new();
/// let x = b.public_input();
/// b.expose(x);
/// let circuit = b.build()?;
/// let mut runner = circuit.runner();
/// runner.set_public_inputs(&[F::ONE])?;
/// let traces = runner.run()?;
/// assert!(check_node_bus(&traces).is_ok()); // no shared row, nothing to read
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_node_bus<F: CircuitField>(
    traces: &fixpoint_circuit::Traces<F>,
) -> Result<(), NodeBusError> {
    use std::collections::HashMap;

    use crate::poseidon2::shared_merkle_table::{INPUTS, PRIVATE};
    let lanes = |values: &[F]| -> Vec<F::PrimeSubfield> {
        values
            .iter()
            .flat_map(|v| v.as_basis_coefficients_slice().to_vec())
            .collect()
    };
    // Per message `(level, position, lanes)`: reads, provided, first reader.
    type Message<F> = (F, F, Vec<<F as PrimeCharacteristicRing>::PrimeSubfield>);
    let mut table: HashMap<Message<F>, (u64, F, u32)> = HashMap::new();
    let mut add = |message: Message<F>, reads: u64, provided: F, op: u32| {
        let slot = table.entry(message).or_insert((0, F::ZERO, u32::MAX));
        slot.0 += reads;
        slot.1 += provided;
        slot.2 = slot.2.min(op);
    };
    let shared = traces
        .npo
        .iter()
        .filter(|r| r.kind == crate::poseidon2::MERKLE_SHARED);
    for row in shared {
        let (inputs, private) = (&row.inputs, &row.private);
        if inputs.len() != INPUTS || private.len() != PRIVATE {
            continue; // the prover refuses a row of another shape
        }
        let (level, position) = (inputs[3], inputs[4]);
        if inputs[5] == F::ONE {
            add((level, position, lanes(&row.outputs)), 1, F::ZERO, row.op.0);
        }
        if inputs[6] == F::ONE {
            let (d, s) = (lanes(&inputs[..2]), lanes(&private[..2]));
            let (left, right) = match inputs[2] == F::ONE {
                true => (s, d),
                false => (d, s),
            };
            let (child, first) = (level + F::ONE, position + position);
            add((child, first, left), 0, private[2], u32::MAX);
            add((child, first + F::ONE, right), 0, private[3], u32::MAX);
        }
    }
    let unbalanced = table
        .into_iter()
        .filter(|(_, (reads, provided, _))| *reads > 0 && *provided != F::from_u64(*reads))
        .min_by_key(|(_, (_, _, op))| *op);
    match unbalanced {
        None => Ok(()),
        Some(((level, position, _), (read, provided, op))) => Err(NodeBusError {
            op,
            level: level.to_string(),
            position: position.to_string(),
            read,
            provided: provided.to_string(),
        }),
    }
}
