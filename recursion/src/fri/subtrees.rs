//! Which trees of the query phase share their top levels ([`shared`]): every tree
//! whose top the queries can read from a subtree. The circuit and the native witness both
//! decide it here, from the same facts, so they agree on every tree.
//!
//! A tree shares its top `⌈log₂ q⌉` levels ([`shared::best_top`]) when it has a cap of
//! one root, is deeper than the top, and injects no matrix at or above it (the subtree
//! compresses children only). Every query reads at the same position in every shared
//! tree: the top bits of its index, which every tree's (shifted) index shares.

use fixpoint_circuit_prover::merkle::shared;

/// The shared top of a tree of `queries` queries with cap height `cap_height`, whose
/// tallest and shortest matrices have `2^tallest` and `2^shortest` rows; `None` when the
/// tree climbs to its cap as usual.
pub(crate) fn shared_top(
    queries: usize,
    cap_height: usize,
    tallest: usize,
    shortest: usize,
) -> Option<usize> {
    let top = shared::best_top(queries);
    (top > 0 && cap_height == 0 && tallest > top && shortest > top).then_some(top)
}

/// The shared top of every tree, input batches first, then commit rounds: the batches'
/// `(tallest, shortest)` LDE log heights and the rounds' tree depths.
pub(crate) fn shared_tops(
    queries: usize,
    cap_height: usize,
    batches: impl IntoIterator<Item = (usize, usize)>,
    rounds: impl IntoIterator<Item = usize>,
) -> Vec<Option<usize>> {
    batches
        .into_iter()
        .chain(rounds.into_iter().map(|depth| (depth, depth)))
        .map(|(tallest, shortest)| shared_top(queries, cap_height, tallest, shortest))
        .collect()
}
