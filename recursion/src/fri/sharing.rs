//! What sharing Merkle nodes between queries is worth, counted in Poseidon2 permutations.
//!
//! p3 0.8 sends the openings of all queries as one pruned multiproof, and its verifier
//! computes every distinct node once: two queries under one node share every node above
//! it. Which nodes are shared depends on the query indices, which the transcript draws
//! after the commitments. A circuit's shape is fixed before that, so it hashes one path per
//! query. [`MerkleSharing`] counts the three figures that come out of this, tree by tree:
//! what one path per query costs (the circuit), what the distinct nodes cost (the native
//! verifier on this proof), and the least that any fixed-shape circuit can budget.

use super::QueryWitness;
use crate::pcs::PcsShape;

/// Values a leaf hash absorbs per permutation (p3's `PaddingFreeSponge<_, 16, 8, 8>`).
const SPONGE_RATE: usize = 8;

/// Permutations to open one Merkle tree at every query: leaf hashes, compressions, and the
/// hashing and compression of the rows injected on the way up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TreeCost {
    /// Levels below the cap.
    pub depth: usize,
    /// One path per query, as the verifier circuit does.
    pub per_query: usize,
    /// Each distinct node once, as p3's verifier does with the pruned multiproof. Depends
    /// on the query indices.
    pub shared: usize,
    /// `min(q, nodes at the level)` per level: the least a circuit fixed before the indices
    /// are drawn can budget, since some index set has that many distinct nodes at every
    /// level at once (evenly spaced indices).
    pub bound: usize,
}

/// [`TreeCost`] of every tree the queries open: the input batches, then the commit-phase
/// rounds.
///
/// ```no_run
/// # use fixpoint_recursion::fri::{MerkleSharing, QueryWitness};
/// # use fixpoint_recursion::pcs::PcsShape;
/// # fn show(shape: &PcsShape, witness: &QueryWitness<p3_koala_bear::KoalaBear, fixpoint_circuit_prover::KoalaBearExt>) {
/// let sharing = MerkleSharing::of(shape, witness);
/// let total = sharing.total();
/// println!("the circuit hashes {} more than p3 on this proof", total.per_query - total.shared);
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerkleSharing {
    /// One entry per tree: input batches in shape order, then rounds.
    pub trees: Vec<TreeCost>,
}

impl MerkleSharing {
    /// Counts the trees of `shape` at the query indices of `witness`.
    pub fn of<V, EF>(shape: &PcsShape, witness: &QueryWitness<V, EF>) -> Self {
        let blowup = shape.fri.log_blowup;
        let cap = shape.fri.cap_height;
        let top = shape.log_max_height();
        let mut trees = Vec::new();
        for batch in &shape.commitments {
            let batch_top = batch
                .iter()
                .map(|m| m.log_height + blowup)
                .max()
                .unwrap_or(0);
            // Permutations per node at each level: the rows at that height hashed (a
            // sponge of rate 8) and, above the leaves, compressed in.
            let levels: Vec<usize> = (0..=batch_top.saturating_sub(cap))
                .map(|level| {
                    let width: usize = batch
                        .iter()
                        .filter(|m| m.log_height + blowup + level == batch_top)
                        .map(|m| m.width)
                        .sum();
                    let rows = width.div_ceil(SPONGE_RATE);
                    match level {
                        0 => rows,
                        _ if rows > 0 => 1 + rows + 1,
                        _ => 1,
                    }
                })
                .collect();
            trees.push(tree_cost(
                &witness.indices,
                top - batch_top,
                batch_top,
                &levels,
            ));
        }
        let mut height = top;
        for arity in shape.log_arities() {
            height -= arity;
            // A leaf is 2^arity extension values of 4 coefficients.
            let leaf = (4usize << arity).div_ceil(SPONGE_RATE);
            let levels: Vec<usize> = (0..=height.saturating_sub(cap))
                .map(|level| if level == 0 { leaf } else { 1 })
                .collect();
            trees.push(tree_cost(&witness.indices, top - height, height, &levels));
        }
        MerkleSharing { trees }
    }

    /// The sums over all trees (`depth` is the deepest tree's).
    pub fn total(&self) -> TreeCost {
        self.trees
            .iter()
            .fold(TreeCost::default(), |acc, t| TreeCost {
                depth: acc.depth.max(t.depth),
                per_query: acc.per_query + t.per_query,
                shared: acc.shared + t.shared,
                bound: acc.bound + t.bound,
            })
    }
}

/// One tree of `2^log_leaves` leaves, which are the query indices shifted right by `shift`,
/// with `level_perms[ℓ]` permutations per node at level ℓ (0 = the leaves) up to the cap.
fn tree_cost(
    indices: &[usize],
    shift: usize,
    log_leaves: usize,
    level_perms: &[usize],
) -> TreeCost {
    let q = indices.len();
    let depth = level_perms.len() - 1;
    let mut cost = TreeCost {
        depth,
        ..TreeCost::default()
    };
    for (level, &perms) in level_perms.iter().enumerate() {
        let mut nodes: Vec<usize> = indices.iter().map(|&i| i >> (shift + level)).collect();
        nodes.sort_unstable();
        nodes.dedup();
        // p3 shrinks the cap of a tree shorter than it, so the leaf count decides.
        let level_nodes = 1usize
            .checked_shl((log_leaves - level) as u32)
            .unwrap_or(usize::MAX);
        cost.per_query += q * perms;
        cost.shared += nodes.len() * perms;
        cost.bound += q.min(level_nodes) * perms;
    }
    cost
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_queries_under_one_parent_share_it_and_everything_above() {
        // Depth 3, one permutation per node: leaves 0 and 1 share their parent.
        let cost = tree_cost(&[0, 1], 0, 3, &[1, 1, 1, 1]);
        assert_eq!(cost.per_query, 2 * 4);
        assert_eq!(cost.shared, 2 + 1 + 1 + 1);
        // Two queries can always be kept apart below the root.
        assert_eq!(cost.bound, 2 + 2 + 2 + 1);
        // Far apart, nothing but the root is shared.
        let apart = tree_cost(&[0, 7], 0, 3, &[1, 1, 1, 1]);
        assert_eq!(apart.shared, apart.bound);
    }

    #[test]
    fn a_tree_shorter_than_the_cap_has_only_its_own_leaves() {
        // 2 leaves under a cap of height 4: p3 opens them against a cap of 2 roots, so
        // five queries cannot need more than 2 leaf hashes.
        let cost = tree_cost(&[0, 1, 2, 3, 4], 2, 1, &[1]);
        assert_eq!((cost.per_query, cost.shared, cost.bound), (5, 2, 2));
        // Under the cap, a tree of 8 leaves with a cap of 2 roots: 2 levels below it.
        let capped = tree_cost(&[0, 4], 0, 3, &[1, 1, 1]);
        assert_eq!(capped.bound, 2 + 2 + 2);
    }
}
