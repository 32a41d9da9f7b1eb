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

use fixpoint_circuit::{CircuitBuilder, NpoCallId, PrivateGroup, Runner, Target};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_symmetric::{PseudoCompressionFunction, TruncatedPermutation};
use thiserror::Error;

use super::Digest;
use crate::family::{Ext, FieldFamily};
use crate::poseidon2::{self, DIGEST, NodePorts};

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

/// The shared top of one tree ([`shared_tree`]): its rows per depth, and the private
/// inputs (each row's left child and, below the root, its position) as one group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedTree {
    tag: usize,
    top: usize,
    queries: usize,
    rows: Vec<Vec<SubtreeRow>>,
    group: PrivateGroup,
}

/// The constant level of `depth` in the tree of `tag`.
fn level<F: Field>(b: &mut CircuitBuilder<F>, tag: usize, depth: usize) -> Target {
    b.const_u64((tag * LEVELS_PER_TAG + depth) as u64)
}

/// The subtree of the top `top` levels of the tree of `tag`, which `queries` paths read
/// at depth `top`, with `root` the tree's commitment (a cap of one root).
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
    if top == 0 || top > LEVELS_PER_TAG - 2 {
        return Err(SharedTreeError::Top { top });
    }
    if queries == 0 {
        return Err(SharedTreeError::NoQueries);
    }
    if tag >= 1 << 20 {
        return Err(SharedTreeError::Tag { tag });
    }
    builder.scope("shared_tree", |b| {
        let (zero, one) = (b.zero(), b.one());
        let (group, rows) = b.private_group(|b| {
            let mut rows = Vec::with_capacity(top);
            for depth in 0..top {
                let width = queries.min(1 << depth);
                let mut level_rows = Vec::with_capacity(width);
                for _ in 0..width {
                    let left: Digest = [b.private_input(), b.private_input()];
                    let (position, consume) = match depth {
                        0 => (zero, zero),
                        _ => (b.private_input(), one),
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
            rows
        });
        Ok(SharedTree {
            tag,
            top,
            queries,
            rows,
            group,
        })
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
        self.top
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
            level: level(builder, self.tag, self.top),
            position,
            consume: one,
            provide: zero,
        }
    }

    /// Gives the runner the subtree: each row's children, position and multiplicities,
    /// from every query's [`TopOpening`] (in query order).
    pub fn set_witness<V: FieldFamily>(
        &self,
        runner: &mut Runner<'_, Ext<V>>,
        openings: &[TopOpening<V>],
    ) -> Result<(), SharedWitnessError> {
        let assignment = self.assign(openings)?;
        let mut privates: Vec<Ext<V>> = Vec::new();
        for (depth, rows) in assignment.iter().enumerate() {
            for row in rows {
                privates.extend(poseidon2::pack_values::<Ext<V>>(&row.left));
                if depth > 0 {
                    privates.push(Ext::<V>::from_u64(row.position as u64));
                }
            }
        }
        runner
            .set_private_group(&self.group, &privates)
            .map_err(|e| SharedWitnessError::Runner(Box::new(e)))?;
        for (rows, assigned) in self.rows.iter().zip(&assignment) {
            for (row, a) in rows.iter().zip(assigned) {
                poseidon2::set_shared_private(runner, row.call, &a.right, a.provided);
            }
        }
        Ok(())
    }

    /// Every row's native values: the live nodes of each depth (their children from the
    /// queries' climbs), then repeats of the first, with how often each is read.
    fn assign<V: FieldFamily>(
        &self,
        openings: &[TopOpening<V>],
    ) -> Result<Vec<Vec<Assigned<V>>>, SharedWitnessError> {
        if openings.len() != self.queries {
            return Err(SharedWitnessError::QueryCount {
                expected: self.queries,
                got: openings.len(),
            });
        }
        let compress = TruncatedPermutation::<_, 2, DIGEST, 16>::new(V::permutation());
        // (depth, position) → (left, right) of every node the queries pass.
        let mut children: BTreeMap<(usize, usize), ([V; DIGEST], [V; DIGEST])> = BTreeMap::new();
        let mut reads_at_top: BTreeMap<usize, u64> = BTreeMap::new();
        for (query, opening) in openings.iter().enumerate() {
            if opening.position >= 1 << self.top {
                return Err(SharedWitnessError::Position {
                    query,
                    position: opening.position,
                    width: 1 << self.top,
                    top: self.top,
                });
            }
            if opening.siblings.len() != self.top {
                return Err(SharedWitnessError::SiblingCount {
                    query,
                    expected: self.top,
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
                let depth = self.top - climbed - 1;
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
        let mut assignment: Vec<Vec<Assigned<V>>> = Vec::with_capacity(self.top);
        for (depth, rows) in self.rows.iter().enumerate() {
            let live: Vec<Assigned<V>> = children
                .range((depth, 0)..(depth + 1, 0))
                .map(|(&(_, position), &(left, right))| Assigned {
                    position,
                    left,
                    right,
                    provided: [0, 0],
                })
                .collect();
            let first = live[0].clone(); // every query passes a node at every depth
            let mut level = live;
            level.resize(rows.len(), first);
            assignment.push(level);
        }
        // How often each node is read: by the rows of the next depth, or the queries.
        for depth in 0..self.top {
            let reads: BTreeMap<usize, u64> = match assignment.get(depth + 1) {
                Some(next) => next.iter().fold(BTreeMap::new(), |mut reads, row| {
                    *reads.entry(row.position).or_default() += 1;
                    reads
                }),
                None => reads_at_top.clone(),
            };
            let live = children.range((depth, 0)..(depth + 1, 0)).count();
            for row in &mut assignment[depth][..live] {
                let read = |side: usize| reads.get(&(2 * row.position + side)).copied();
                row.provided = [read(0).unwrap_or(0), read(1).unwrap_or(0)];
            }
        }
        Ok(assignment)
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
