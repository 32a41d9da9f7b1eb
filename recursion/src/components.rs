//! What each part of a verifier circuit costs, from its scopes: op counts per component,
//! and the trace cells each component's ops take once proved.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use fixpoint_circuit::{Circuit, CircuitStats, HintKind, Op, OpCounts, OpId};
use fixpoint_circuit_prover::BusLayout;
use fixpoint_circuit_prover::report::ProofReport;

/// A part of the verifier, as its scopes name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Component {
    /// Inputs allocated outside any scope (public inputs, shared constants).
    Inputs,
    /// The challenger: seeds, observes, samples, PoW checks.
    Challenger,
    /// The query indices: their samples and canonical bit decompositions.
    IndexBits,
    /// Merkle checks of the input batches (the committed traces' rows).
    InputMerkle,
    /// Merkle checks of the FRI commit rounds.
    CommitMerkle,
    /// α powers, `Σ α^k p_k(z)`, and the per-query reduced openings.
    ReducedOpenings,
    /// Row placement and folding, with the commit rounds' leaf hashes.
    Folding,
    /// The final polynomial check.
    FinalPoly,
    /// A STARK verifier's constraint evaluation at `ζ`: selectors, periodic columns, the
    /// folded constraints, the recomposed quotient and their identity.
    Constraints,
    /// The LogUp argument's own checks: its challenges and the terminal sum.
    Lookups,
}

impl Component {
    /// The component a scope path belongs to.
    ///
    /// ```
    /// use fixpoint_recursion::components::Component;
    /// assert_eq!(Component::of_scope("fri_queries/query3/batch0/merkle"), Component::InputMerkle);
    /// assert_eq!(Component::of_scope("fri_queries/query3/fold1/merkle"), Component::CommitMerkle);
    /// assert_eq!(Component::of_scope("batch-stark/pcs/fri/queries/index bits"), Component::IndexBits);
    /// assert_eq!(Component::of_scope("batch-stark/terminal sum"), Component::Lookups);
    /// ```
    pub fn of_scope(scope: &str) -> Self {
        if scope.contains("merkle") {
            if scope.contains("/fold") {
                Component::CommitMerkle
            } else {
                Component::InputMerkle
            }
        } else if scope.contains("index bits") {
            Component::IndexBits
        } else if scope.contains("reduced_openings")
            || scope.contains("alpha_powers")
            || scope.contains("sums_at_z")
        {
            Component::ReducedOpenings
        } else if scope.contains("/fold") {
            Component::Folding
        } else if scope.contains("final_poly") {
            Component::FinalPoly
        } else if scope.contains("lookup challenges") || scope.contains("terminal sum") {
            Component::Lookups
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

/// Trace cells per [`Component`]: each op's share of its table, padding, preprocessed and
/// LogUp columns included, plus the Witness-table cells of the slots it defines.
///
/// A table's cells are split over its entries evenly: an op in a table of `c` cells and
/// `e` entries costs `c / e` cells, and a slot the Witness table holds (every slot, or on
/// a virtual bus the slots hints define) costs its cells per slot. A slot belongs to the
/// first op that names it (ops run in order, so that is the op that defines it). A private input is [`Component::Inputs`] wherever it is allocated: its slot
/// is the proof's value, not the work of the scope that allocated it (so the Inputs row
/// differs from [`ComponentCounts`]'s, which goes by scope alone). What no op owns, the
/// tables without entries, is [`overhead`](Self::overhead).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ComponentCells {
    /// Cells per component.
    pub cells: BTreeMap<Component, f64>,
    /// Cells of tables with no entries, which every proof still carries.
    pub overhead: usize,
    /// The proof's trace area: the components' cells and the overhead sum to it.
    pub total: usize,
}

impl ComponentCells {
    /// Attributes `report`'s cells (a proof of `circuit`) to the circuit's components.
    pub fn of<F>(circuit: &Circuit<F>, report: &ProofReport) -> Self {
        let per_entry: HashMap<&str, f64> = report
            .tables
            .iter()
            .filter(|t| t.entries > 0)
            .map(|t| (t.name.as_str(), t.cells() as f64 / t.entries as f64))
            .collect();
        let cost = |table: &str| per_entry.get(table).copied().unwrap_or(0.0);
        let slot_cost = cost("Witness");
        // `defined[slot]` once a slot has been charged, or from the start on a virtual bus,
        // whose Witness table holds no slot (`BusPlan::witness_slots`).
        let mut defined =
            vec![report.bus != BusLayout::WitnessTable; circuit.witness_count as usize];
        let mut cells: BTreeMap<Component, f64> = BTreeMap::new();
        for (i, op) in circuit.ops.iter().enumerate() {
            let component = match op {
                Op::Hint {
                    kind: HintKind::PrivateInput { .. },
                    ..
                } => Component::Inputs,
                _ => Component::of_scope(circuit.scope_of(OpId(i as u32))),
            };
            let table = match op {
                Op::Const { .. } => cost("Const"),
                Op::Public { .. } => cost("Public"),
                Op::Add { .. } => cost("Add"),
                Op::Mul { .. } => cost("Mul"),
                Op::Npo { kind, .. } => cost(&kind.to_string()),
                Op::Hint { .. } => 0.0,
            };
            let new_slots = op
                .slots()
                .filter(|slot| {
                    let seen = defined.get_mut(slot.index());
                    seen.is_some_and(|seen| !std::mem::replace(seen, true))
                })
                .count();
            *cells.entry(component).or_default() += table + new_slots as f64 * slot_cost;
        }
        let overhead = report
            .tables
            .iter()
            .filter(|t| t.entries == 0)
            .map(|t| t.cells())
            .sum();
        ComponentCells {
            cells,
            overhead,
            total: report.trace_area(),
        }
    }
}

impl fmt::Display for ComponentCells {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let share = |cells: f64| 100.0 * cells / self.total.max(1) as f64;
        for (component, &cells) in &self.cells {
            writeln!(
                f,
                "{:<16} {:>10.0} cells  {:>5.1}%",
                format!("{component:?}"),
                cells,
                share(cells)
            )?;
        }
        writeln!(
            f,
            "{:<16} {:>10} cells  {:>5.1}%  (tables without entries)",
            "overhead",
            self.overhead,
            share(self.overhead as f64)
        )?;
        writeln!(f, "{:<16} {:>10} cells", "total", self.total)
    }
}
