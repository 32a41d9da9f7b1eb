//! The cost model behind every automatic table shape: rows → padded height → cells, with
//! each column also charged what it costs a verifier of the proof.
//!
//! A table of `lanes` lanes over `entries` entries has `⌈entries / lanes⌉` rows, padded to
//! a power of two, and `prep + main + bus` columns: the lane structs' widths times the
//! lanes, plus the LogUp columns (one accumulator and one fraction column per
//! [`LOOKUP_BUDGET`]` − 1` interactions, each an extension element of [`D`] cells). Its
//! cells are height × columns. A proof that is verified inside another circuit (a recursion
//! layer) also pays for every column in the verifier: it is hashed in the Merkle leaves,
//! opened at every query and folded into the reduced openings. [`CostModel::column_cells`]
//! is that price, in the verifier's cells; it is 0 for a proof nobody verifies in a circuit.

use serde::{Deserialize, Serialize};

use crate::config::D;
use crate::layout::TableKind;
use crate::plan::BusLayout;

/// The LogUp budget of every table: the highest degree a fraction column's constraint
/// (`Den · f − Num`) may have. A column then holds `LOOKUP_BUDGET − 1` interactions of one
/// bus. p3's free budget keeps an AIR's quotient chunk count, which for the degree-2 tables
/// (Witness, Const, Public, Add, Mul) is 2: one column per interaction. 3 packs two
/// interactions per column for one more quotient chunk (2 instead of 1), which any blowup
/// allows. It nearly halves the LogUp columns; a budget of 5 (four per column, 4 chunks)
/// removes fewer columns than its extra chunks add to the openings (issue 15's note has the
/// figures). The NPO tables' free budget is already higher, and wins there.
pub const LOOKUP_BUDGET: usize = 3;

/// The most lanes the cost model considers for a table: past this, wider rows only move cost
/// from rows to columns.
pub const MAX_AUTO_LANES: usize = 16;

/// What a table shape costs: its cells, plus `column_cells` per column for the verifier of
/// the proof; and what the tallest table's height costs that verifier, `height_cells` per
/// doubling (every query's Merkle paths get one more level, and FRI one more round).
///
/// ```
/// use fixpoint_circuit_prover::{BusLayout, CostModel, TableKind};
///
/// let bus = BusLayout::WitnessTable;
/// // 80 000 Mul ops by cells alone: 10 lanes of 2^13 rows (224 columns).
/// assert_eq!(CostModel::default().shape(TableKind::Mul, bus, 80_000, 1), (10, 13));
/// // With each column priced at 12 000 verifier cells: 3 lanes of 2^15 rows (72 columns);
/// // 2 lanes would need 2^16 rows.
/// let priced = CostModel::with_column_cells(12_000);
/// assert_eq!(priced.shape(TableKind::Mul, bus, 80_000, 1), (3, 15));
/// // 4 Add lanes: 16 preprocessed + 48 main + 4 · (1 + 6) LogUp columns; on a virtual bus
/// // a count per port adds 8 preprocessed columns.
/// assert_eq!(priced.columns(TableKind::Add, bus, 4), 92);
/// assert_eq!(priced.columns(TableKind::Add, BusLayout::Virtual, 4), 100);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CostModel {
    /// What one more column costs the verifier of the proof, in its own cells (0: the proof
    /// is not verified in a circuit).
    pub column_cells: usize,
    /// What doubling the tallest table's height costs the verifier of the proof, in its own
    /// cells (0: the proof is not verified in a circuit).
    pub height_cells: usize,
}

impl CostModel {
    /// The model of a proof verified by a circuit that pays `column_cells` cells per column
    /// (and nothing for the height).
    pub fn with_column_cells(column_cells: usize) -> Self {
        CostModel {
            column_cells,
            height_cells: 0,
        }
    }

    /// This model, with the verifier paying `height_cells` per doubling of the tallest
    /// table's height.
    pub fn and_height_cells(self, height_cells: usize) -> Self {
        CostModel {
            height_cells,
            ..self
        }
    }

    /// LogUp columns (base cells per row) of `kind` with `lanes` lanes: the accumulator and
    /// one fraction column per `LOOKUP_BUDGET − 1` interactions, each of [`D`] cells.
    pub fn bus_columns(&self, kind: TableKind, lanes: usize) -> usize {
        let interactions = kind.interactions_per_lane() * lanes;
        D * (1 + interactions.div_ceil(LOOKUP_BUDGET - 1))
    }

    /// All columns of `kind` with `lanes` lanes on a `bus` bus: preprocessed, main and
    /// LogUp.
    pub fn columns(&self, kind: TableKind, bus: BusLayout, lanes: usize) -> usize {
        let main = (kind.main_lane_width() * lanes).max(1);
        kind.preprocessed_lane_width(bus) * lanes + main + self.bus_columns(kind, lanes)
    }

    /// The cost of `kind` with `lanes` lanes and `2^log_height` rows on a `bus` bus: its
    /// cells plus the verifier's price of its columns.
    pub fn cost(&self, kind: TableKind, bus: BusLayout, lanes: usize, log_height: usize) -> usize {
        let columns = self.columns(kind, bus, lanes);
        (columns << log_height) + self.column_cells * columns
    }

    /// The cheapest `(lanes, log_height)` of `kind` on a `bus` bus for `entries` entries
    /// with at least `2^min_log_height` rows, over 1 to [`MAX_AUTO_LANES`] lanes (the fewer
    /// lanes on a tie).
    pub fn shape(
        &self,
        kind: TableKind,
        bus: BusLayout,
        entries: usize,
        min_log_height: usize,
    ) -> (usize, usize) {
        self.shape_within(kind, bus, entries, min_log_height, usize::MAX)
            .expect("no height cap")
    }

    /// [`shape`](Self::shape), among the shapes of at most `2^max_log_height` rows; `None`
    /// when even [`MAX_AUTO_LANES`] lanes need more.
    pub fn shape_within(
        &self,
        kind: TableKind,
        bus: BusLayout,
        entries: usize,
        min_log_height: usize,
        max_log_height: usize,
    ) -> Option<(usize, usize)> {
        (1..=MAX_AUTO_LANES)
            .map(|lanes| (lanes, self.log_height(entries, lanes, min_log_height)))
            .filter(|&(_, log_height)| log_height <= max_log_height)
            .min_by_key(|&(lanes, log_height)| self.cost(kind, bus, lanes, log_height))
    }

    /// The log height `entries` entries need at `lanes` lanes: `⌈entries / lanes⌉` rows
    /// (at least one) padded to a power of two, and at least `min_log_height`.
    pub fn log_height(&self, entries: usize, lanes: usize, min_log_height: usize) -> usize {
        let rows = entries.div_ceil(lanes).max(1).next_power_of_two();
        (rows.trailing_zeros() as usize).max(min_log_height)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chosen_shape_is_the_cheapest_that_holds_the_entries() {
        let model = CostModel::default();
        for kind in [TableKind::Witness, TableKind::Add, TableKind::Const] {
            for entries in [0, 1, 7, 1000, 65_537, 277_129] {
                let bus = BusLayout::WitnessTable;
                let (lanes, log_height) = model.shape(kind, bus, entries, 3);
                assert!(lanes << log_height >= entries && log_height >= 3);
                let best = model.cost(kind, bus, lanes, log_height);
                for other in 1..=MAX_AUTO_LANES {
                    let h = model.log_height(entries, other, 3);
                    assert!(
                        model.cost(kind, bus, other, h) >= best,
                        "{kind:?} {entries}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_column_price_buys_fewer_lanes() {
        // Small tables: wide rows save padding cells, but every lane's columns cost the
        // verifier more than they save.
        let bus = BusLayout::WitnessTable;
        let free = CostModel::default().shape(TableKind::Add, bus, 4096, 1);
        let priced = CostModel::with_column_cells(10_000).shape(TableKind::Add, bus, 4096, 1);
        assert!(priced.0 < free.0, "{priced:?} {free:?}");
    }

    #[test]
    fn two_interactions_share_a_lookup_column() {
        let model = CostModel::default();
        // Witness: one interaction per lane. Add: three.
        assert_eq!(model.bus_columns(TableKind::Witness, 1), D * 2);
        assert_eq!(model.bus_columns(TableKind::Witness, 6), D * 4);
        assert_eq!(model.bus_columns(TableKind::Add, 3), D * 6);
    }
}
