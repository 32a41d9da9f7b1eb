//! Op counts of a verifier circuit by component, from its scopes.

use std::collections::BTreeMap;
use std::fmt;

use fixpoint_circuit::{CircuitStats, OpCounts};

/// A part of the verifier, as its scopes name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Component {
    /// Inputs allocated outside any scope (public inputs, shared constants).
    Inputs,
    /// The challenger: seeds, observes, samples, PoW checks, index bits.
    Challenger,
    /// Merkle checks of the input batches and of the commit rounds.
    Merkle,
    /// α powers, `Σ α^k p_k(z)`, and the per-query reduced openings.
    ReducedOpenings,
    /// Row placement and folding.
    Folding,
    /// The final polynomial check.
    FinalPoly,
    /// A STARK verifier's constraint evaluation at `ζ`: selectors, periodic columns, the
    /// folded constraints, the recomposed quotient and their identity.
    Constraints,
}

impl Component {
    /// The component a scope path belongs to.
    pub fn of_scope(scope: &str) -> Self {
        if scope.contains("merkle") {
            Component::Merkle
        } else if scope.contains("reduced_openings")
            || scope.contains("alpha_powers")
            || scope.contains("sums_at_z")
        {
            Component::ReducedOpenings
        } else if scope.contains("/fold") {
            Component::Folding
        } else if scope.contains("final_poly") {
            Component::FinalPoly
        } else if scope.contains("constraints at ζ") || scope.contains("/air") {
            Component::Constraints
        } else if scope.is_empty() {
            Component::Inputs
        } else {
            Component::Challenger
        }
    }
}

/// Op counts per [`Component`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ComponentCounts(pub BTreeMap<Component, OpCounts>);

impl ComponentCounts {
    /// Sums a circuit's per-scope counts by component.
    pub fn of(stats: &CircuitStats) -> Self {
        let mut counts: BTreeMap<Component, OpCounts> = BTreeMap::new();
        for (scope, ops) in &stats.per_scope {
            let total = counts.entry(Component::of_scope(scope)).or_default();
            total.consts += ops.consts;
            total.publics += ops.publics;
            total.adds += ops.adds;
            total.muls += ops.muls;
            total.hints += ops.hints;
            total.npos += ops.npos;
        }
        ComponentCounts(counts)
    }
}

impl fmt::Display for ComponentCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (component, ops) in &self.0 {
            writeln!(f, "{:<16} {ops}", format!("{component:?}"))?;
        }
        Ok(())
    }
}
