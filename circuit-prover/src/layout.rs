//! Table shapes: how many ops each table packs per row (lanes) and its padded height.

use fixpoint_circuit::{Circuit, OpCounts};
use serde::{Deserialize, Serialize};

use crate::cost::CostModel;
use crate::plan::{self, BusLayout};
use crate::tables::{alu, constant, public, witness};

/// The five tables, in the order they are proved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TableKind {
    /// One lane per witness slot it provides (every slot, or on a virtual bus the slots
    /// hints define): provides `(index, value)` to the bus.
    Witness,
    /// One row per `Const` op; entirely preprocessed.
    Const,
    /// One lane per `Public` op; values bound to the proof's public inputs.
    Public,
    /// One row per `Add` op: `out = a + b`.
    Add,
    /// One row per `Mul` op: `out = a · b` in the extension field.
    Mul,
}

impl TableKind {
    /// All tables, in proving order.
    pub const ALL: [TableKind; 5] = [
        TableKind::Witness,
        TableKind::Const,
        TableKind::Public,
        TableKind::Add,
        TableKind::Mul,
    ];

    /// The table's place in [`TableKind::ALL`] and in [`Layout::tables`]. Its instance
    /// index in a batch is [`Layout::instance_of`]: on a virtual bus the Witness table is
    /// not proved, so the others come one place earlier.
    ///
    /// ```
    /// use fixpoint_circuit_prover::TableKind;
    /// for kind in TableKind::ALL {
    ///     assert_eq!(TableKind::ALL[kind.instance()], kind);
    /// }
    /// ```
    pub const fn instance(self) -> usize {
        self as usize
    }

    /// Preprocessed columns per lane on a `bus` bus: the size of the table's preprocessed
    /// column struct (e.g. [`AluPreprocessed`](crate::tables::alu::AluPreprocessed), or
    /// [`AluVirtualPreprocessed`](crate::tables::alu::AluVirtualPreprocessed) with a count
    /// per port on a virtual bus).
    ///
    /// ```
    /// use fixpoint_circuit_prover::{BusLayout, TableKind};
    /// assert_eq!(TableKind::Add.preprocessed_lane_width(BusLayout::WitnessTable), 4);
    /// assert_eq!(TableKind::Add.preprocessed_lane_width(BusLayout::Virtual), 6);
    /// ```
    pub const fn preprocessed_lane_width(self, bus: BusLayout) -> usize {
        match self {
            TableKind::Witness => witness::PREPROCESSED_WIDTH,
            TableKind::Const => constant::PREPROCESSED_WIDTH,
            TableKind::Public => public::PREPROCESSED_WIDTH,
            TableKind::Add | TableKind::Mul => alu::preprocessed_width(bus),
        }
    }

    /// Main columns per lane: the size of the table's main column struct (e.g.
    /// [`AluMain`](crate::tables::alu::AluMain)); the Const table has none.
    pub const fn main_lane_width(self) -> usize {
        match self {
            TableKind::Witness => witness::MAIN_WIDTH,
            TableKind::Const => constant::MAIN_WIDTH,
            TableKind::Public => public::MAIN_WIDTH,
            TableKind::Add | TableKind::Mul => alu::MAIN_WIDTH,
        }
    }

    /// Bus interactions (ports) per lane: one for the Witness, Const and Public tables,
    /// three (`a`, `b`, `out`) for Add and Mul.
    pub const fn interactions_per_lane(self) -> usize {
        match self {
            TableKind::Witness | TableKind::Const | TableKind::Public => 1,
            TableKind::Add | TableKind::Mul => alu::PORTS.len(),
        }
    }

    /// The table's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            TableKind::Witness => "Witness",
            TableKind::Const => "Const",
            TableKind::Public => "Public",
            TableKind::Add => "Add",
            TableKind::Mul => "Mul",
        }
    }
}

/// One table's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TableShape {
    /// Which table.
    pub kind: TableKind,
    /// Who provides the slots' values on the bus (the same for every table of a layout).
    pub bus: BusLayout,
    /// Entries (slots or ops) the table holds.
    pub entries: usize,
    /// Entries packed per row.
    pub lanes: usize,
    /// log2 of the padded height.
    pub log_height: usize,
}

impl TableShape {
    /// The Witness table's shape on a [`BusLayout::Virtual`] bus, which does not prove it:
    /// no entry, one lane, one row.
    ///
    /// ```
    /// use fixpoint_circuit_prover::{BusLayout, TableKind, TableShape};
    /// let shape = TableShape::unproved(BusLayout::Virtual);
    /// assert_eq!((shape.kind, shape.entries, shape.height()), (TableKind::Witness, 0, 1));
    /// ```
    pub const fn unproved(bus: BusLayout) -> Self {
        TableShape {
            kind: TableKind::Witness,
            bus,
            entries: 0,
            lanes: 1,
            log_height: 0,
        }
    }

    /// Padded height (a power of two).
    pub fn height(&self) -> usize {
        1 << self.log_height
    }

    /// Preprocessed columns of the table.
    pub fn preprocessed_columns(&self) -> usize {
        self.kind.preprocessed_lane_width(self.bus) * self.lanes
    }

    /// Main columns of the table. A table whose lanes have no main columns (Const) still
    /// has one, pinned to zero: p3 matrices need a width.
    pub fn main_columns(&self) -> usize {
        (self.kind.main_lane_width() * self.lanes).max(1)
    }
}

/// Lanes per table, chosen by the user; `None` lets [`Layout::new`] choose.
///
/// ```
/// use fixpoint_circuit_prover::Lanes;
/// let one_op_per_row = Lanes::uniform(1);
/// assert_eq!(one_op_per_row.add, Some(1));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Lanes {
    /// Lanes of the Witness table.
    pub witness: Option<usize>,
    /// Lanes of the Const table.
    pub constant: Option<usize>,
    /// Lanes of the Add table.
    pub add: Option<usize>,
    /// Lanes of the Mul table.
    pub mul: Option<usize>,
}

impl Lanes {
    /// The same number of lanes for every table (the Public table always has one lane per
    /// `Public` op on a single row).
    pub fn uniform(lanes: usize) -> Self {
        Lanes {
            witness: Some(lanes),
            constant: Some(lanes),
            add: Some(lanes),
            mul: Some(lanes),
        }
    }
}

/// The shapes of a previous setup, which a setup keeps while they hold its entries. A
/// recursion layer takes the previous layer's shapes as its floor
/// ([`VerifyingKey::shape_floor`](crate::VerifyingKey::shape_floor)), so that shapes only
/// grow from layer to layer. Without it, two layers can alternate forever: a taller inner
/// table can make the verifier cheaper (one height class fewer to hash) and so its own table
/// shorter, which makes the next verifier dearer again.
///
/// A primitive table keeps the floor's `(lanes, log_height)` exactly when `lanes ·
/// 2^log_height` holds its entries, and is chosen anew by the [`CostModel`] when it does
/// not; either way its capacity never shrinks, and it only changes by growing past the old
/// capacity, so a chain of setups reaches a shape it keeps. (A floor on lanes and height
/// separately would force stale combinations: 8 lanes kept from a short table, then twice
/// the height when the entries outgrow it.) An NPO table's height is at least the floor's.
///
/// ```
/// use fixpoint_circuit::CircuitBuilder;
/// use fixpoint_circuit_prover::{Lanes, Layout, ShapeFloor, TableKind};
/// use p3_koala_bear::KoalaBear as F;
///
/// let mut b = CircuitBuilder::<F>::new();
/// let x = b.public_input();
/// let y = b.mul(x, x);
/// b.expose(y);
/// let circuit = b.build()?;
/// let mut floor = ShapeFloor::default();
/// floor.tables[TableKind::Mul.instance()] = (2, 5); // 2 lanes of 2^5 rows hold the one op
/// let layout = Layout::with_floor(&circuit, &Lanes::default(), 1, &floor);
/// let mul = layout.table(TableKind::Mul);
/// assert_eq!((mul.lanes, mul.log_height), (2, 5));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ShapeFloor {
    /// `(lanes, log_height)` per table, in [`TableKind::ALL`] order. It does not apply to
    /// the Public table (one lane per public input); for lanes the caller fixed in
    /// [`Lanes`], only its height does.
    pub tables: [(usize, usize); 5],
    /// The least log height of each NPO kind's table.
    pub npo_log_heights: Vec<(fixpoint_circuit::NpoKind, usize)>,
}

impl ShapeFloor {
    /// The least log height of `kind`'s NPO table (0 when the floor does not name it).
    pub fn npo_log_height(&self, kind: fixpoint_circuit::NpoKind) -> usize {
        self.npo_log_heights
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|&(_, h)| h)
            .max()
            .unwrap_or(0)
    }
}

/// Every table's shape for one circuit.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Layout {
    /// Shapes in [`TableKind::ALL`] order.
    pub tables: [TableShape; 5],
}

impl Layout {
    /// Chooses each table's lanes and height by the default [`CostModel`] (fewest cells),
    /// unless `lanes` fixes them; every height is a power of two and at least
    /// `2^min_log_height`.
    pub fn new<F>(circuit: &Circuit<F>, lanes: &Lanes, min_log_height: usize) -> Self {
        Self::with_floor(circuit, lanes, min_log_height, &ShapeFloor::default())
    }

    /// [`Layout::new`], keeping `floor`'s shapes where they hold the entries.
    pub fn with_floor<F>(
        circuit: &Circuit<F>,
        lanes: &Lanes,
        min_log_height: usize,
        floor: &ShapeFloor,
    ) -> Self {
        Self::with_cost(
            circuit,
            lanes,
            min_log_height,
            floor,
            &CostModel::default(),
            0,
            BusLayout::WitnessTable,
        )
    }

    /// [`Layout::with_floor`] on a `bus` bus, with the automatic shapes the cheapest under
    /// `cost`, given that the proof's other tables (the NPO tables) are at most
    /// `2^other_log_height` rows.
    ///
    /// The tallest table's height costs the verifier too ([`CostModel::height_cells`]), so
    /// the shapes are chosen under every cap on the height, from the least the tables can
    /// reach to what they reach uncapped, and the cheapest layout in all wins.
    pub fn with_cost<F>(
        circuit: &Circuit<F>,
        lanes: &Lanes,
        min_log_height: usize,
        floor: &ShapeFloor,
        cost: &CostModel,
        other_log_height: usize,
        bus: BusLayout,
    ) -> Self {
        let counts: OpCounts = circuit.op_counts();
        let entries = [
            plan::witness_entries(circuit, bus),
            counts.consts,
            counts.publics,
            counts.adds,
            counts.muls,
        ];
        let fixed = [lanes.witness, lanes.constant, None, lanes.add, lanes.mul];
        // The shape of every table that has no choice (the Public table, fixed lanes, a
        // floor that holds its entries); `None` for the ones the cost model picks.
        let given: [Option<(usize, usize)>; 5] = std::array::from_fn(|i| {
            let kind = TableKind::ALL[i];
            let n = entries[i];
            let (floor_lanes, floor_log_height) = floor.tables[i];
            match (kind, fixed[i]) {
                // All public inputs on one row: the AIR binds each lane to its position.
                (TableKind::Public, _) => Some((n.max(1), min_log_height)),
                (_, Some(lanes)) => {
                    let lanes = lanes.max(1);
                    let needed = cost.log_height(n, lanes, min_log_height);
                    Some((lanes, needed.max(floor_log_height)))
                }
                // The floor's shape while it holds the entries (and is a shape at all).
                _ if floor_lanes >= 1
                    && (min_log_height..64).contains(&floor_log_height)
                    && (floor_lanes as u128) << floor_log_height >= n as u128 =>
                {
                    Some((floor_lanes, floor_log_height))
                }
                _ => None,
            }
        });
        let choose = |cap: usize| -> Option<[(usize, usize); 5]> {
            let mut shapes = [(0, 0); 5];
            for i in 0..5 {
                shapes[i] = match given[i] {
                    Some(shape) => shape,
                    None => {
                        let kind = TableKind::ALL[i];
                        cost.shape_within(kind, bus, entries[i], min_log_height, cap)?
                    }
                };
            }
            Some(shapes)
        };
        let total = |shapes: &[(usize, usize); 5]| -> usize {
            let tallest = shapes.iter().map(|s| s.1).chain([other_log_height]).max();
            let tables: usize = shapes
                .iter()
                .zip(TableKind::ALL)
                .map(|(&(lanes, h), kind)| cost.cost(kind, bus, lanes, h))
                .sum();
            tables + cost.height_cells * tallest.unwrap_or(0)
        };
        let uncapped = choose(usize::MAX).expect("no cap");
        let highest = uncapped.iter().map(|s| s.1).max().unwrap_or(min_log_height);
        let lowest = min_log_height.max(other_log_height).min(highest);
        // The uncapped layout first: on a tie it wins (and with a free height it always does).
        let shapes = [uncapped]
            .into_iter()
            .chain((lowest..highest).filter_map(choose))
            .min_by_key(total)
            .expect("the uncapped layout");
        let mut tables = std::array::from_fn(|i| TableShape {
            kind: TableKind::ALL[i],
            bus,
            entries: entries[i],
            lanes: shapes[i].0,
            log_height: shapes[i].1,
        });
        if bus == BusLayout::Virtual {
            // Not proved on this bus (`instances`): one canonical shape, so that two keys of
            // one circuit cannot differ in a table no proof has.
            tables[TableKind::Witness.instance()] = TableShape::unproved(bus);
        }
        Layout { tables }
    }

    /// The shape of table `kind`.
    pub fn table(&self, kind: TableKind) -> &TableShape {
        &self.tables[kind.instance()]
    }

    /// The primitive tables the batch proves, in [`TableKind::ALL`] order (the NPO tables
    /// follow them): every one but, on a [`BusLayout::Virtual`] bus, the Witness table,
    /// which holds no slot there (its shape stays in the layout, with no entry).
    ///
    /// ```
    /// use fixpoint_circuit::CircuitBuilder;
    /// use fixpoint_circuit_prover::{BusLayout, KoalaBearExt as F, Layout, Lanes, TableKind};
    ///
    /// let mut b = CircuitBuilder::<F>::new();
    /// let x = b.public_input();
    /// let y = b.mul(x, x);
    /// b.expose(y);
    /// let circuit = b.build()?;
    /// let layout = Layout::new(&circuit, &Lanes::default(), 4);
    /// assert_eq!(layout.bus(), BusLayout::WitnessTable);
    /// assert_eq!(layout.instances(), TableKind::ALL);
    /// let mut virtual_bus = layout.clone();
    /// virtual_bus.tables.iter_mut().for_each(|t| t.bus = BusLayout::Virtual);
    /// assert_eq!(virtual_bus.instances()[0], TableKind::Const);
    /// assert_eq!(virtual_bus.instance_of(TableKind::Public), Some(1));
    /// assert_eq!(virtual_bus.instance_of(TableKind::Witness), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn instances(&self) -> Vec<TableKind> {
        TableKind::ALL
            .into_iter()
            .filter(|&kind| kind != TableKind::Witness || self.bus() == BusLayout::WitnessTable)
            .collect()
    }

    /// The instance index of table `kind` in the batch ([`instances`](Self::instances)),
    /// or `None` when the batch does not prove it.
    pub fn instance_of(&self, kind: TableKind) -> Option<usize> {
        self.instances().iter().position(|&k| k == kind)
    }

    /// Who provides the slots' values on the bus: the first table's
    /// [`TableShape::bus`] (a key whose tables disagree is refused when it is read).
    pub fn bus(&self) -> BusLayout {
        self.tables[0].bus
    }
}

/// One line per table: entries, lanes, padded height, preprocessed and main columns.
impl std::fmt::Display for Layout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "table    entries  lanes  height  prep cols  main cols")?;
        let proved = self.instances();
        for t in &self.tables {
            if !proved.contains(&t.kind) {
                writeln!(
                    f,
                    "{:<8} {:>7}  {:>5}  {:>6}  {:>9}  {:>9}  (not proved on a {} bus)",
                    t.kind.name(),
                    t.entries,
                    "-",
                    "-",
                    "-",
                    "-",
                    t.bus
                )?;
                continue;
            }
            writeln!(
                f,
                "{:<8} {:>7}  {:>5}  {:>6}  {:>9}  {:>9}",
                t.kind.name(),
                t.entries,
                t.lanes,
                t.height(),
                t.preprocessed_columns(),
                t.main_columns()
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use fixpoint_circuit::CircuitBuilder;
    use p3_koala_bear::KoalaBear as F;

    use super::*;

    fn chain(n: usize) -> fixpoint_circuit::Circuit<F> {
        let mut b = CircuitBuilder::<F>::new();
        let (mut x, mut y) = (b.public_input(), b.public_input());
        for _ in 0..n {
            (x, y) = (y, b.add(x, y));
        }
        b.expose(y);
        b.build().unwrap()
    }

    #[test]
    fn heights_are_powers_of_two_at_least_the_minimum() {
        for n in [0, 1, 5, 100, 1000] {
            let layout = Layout::new(&chain(n), &Lanes::default(), 3);
            for t in &layout.tables {
                assert!(t.log_height >= 3, "{t:?}");
                assert!(
                    t.lanes * t.height() >= t.entries,
                    "{t:?} cannot hold its entries"
                );
            }
        }
    }

    #[test]
    fn automatic_lanes_take_the_fewest_cells() {
        let circuit = chain(4096);
        let one = Layout::new(&circuit, &Lanes::uniform(1), 1);
        let auto = Layout::new(&circuit, &Lanes::default(), 1);
        let model = CostModel::default();
        let cells = |l: &Layout| -> usize {
            l.tables
                .iter()
                .map(|t| model.cost(t.kind, t.bus, t.lanes, t.log_height))
                .sum()
        };
        let tallest = |l: &Layout| l.tables.iter().map(|t| t.log_height).max().unwrap();
        assert_eq!(tallest(&one), 13); // 4098 witness slots
        assert!(tallest(&auto) < tallest(&one));
        assert!(cells(&auto) < cells(&one), "{auto}");
        for t in &auto.tables {
            assert!(t.lanes <= crate::cost::MAX_AUTO_LANES);
            if t.kind != TableKind::Public {
                let shape = model.shape(t.kind, t.bus, t.entries, 1);
                assert_eq!((t.lanes, t.log_height), shape);
            }
        }
    }

    #[test]
    fn a_height_price_shortens_the_tallest_table() {
        let circuit = chain(4096);
        let tallest = |l: &Layout| l.tables.iter().map(|t| t.log_height).max().unwrap();
        let layout = |model: &CostModel, npo: usize| {
            Layout::with_cost(
                &circuit,
                &Lanes::default(),
                1,
                &ShapeFloor::default(),
                model,
                npo,
                BusLayout::WitnessTable,
            )
        };
        // Priced columns alone buy few lanes and tall tables.
        let columns = CostModel::with_column_cells(12_000);
        let free = layout(&columns, 0);
        // A price on the height buys the shortest layout: 4098 witness slots in 16 lanes
        // of 2^9 rows.
        let short = layout(&columns.and_height_cells(1 << 30), 0);
        assert_eq!(tallest(&short), 9);
        assert!(tallest(&free) > tallest(&short), "{free}");
        for t in &short.tables {
            assert!(t.lanes << t.log_height >= t.entries, "{t:?}");
        }
        // Beside a taller NPO table a shorter primitive table saves nothing: no price.
        let beside_npo = layout(&columns.and_height_cells(1 << 30), tallest(&free) + 1);
        assert_eq!(beside_npo, free);
    }

    #[test]
    fn a_floor_only_raises_shapes_and_leaves_fixed_lanes_alone() {
        let circuit = chain(1000);
        let free = Layout::new(&circuit, &Lanes::default(), 1);
        let mut floor = ShapeFloor::default();
        floor.tables[TableKind::Add.instance()] = (8, 12);
        floor.tables[TableKind::Witness.instance()] = (1, 0); // below what it needs
        floor.tables[TableKind::Public.instance()] = (9, 0); // the Public table's lanes are its inputs
        let raised = Layout::with_floor(&circuit, &Lanes::default(), 1, &floor);
        let add = raised.table(TableKind::Add);
        assert_eq!((add.lanes, add.log_height), (8, 12));
        assert_eq!(
            raised.table(TableKind::Witness),
            free.table(TableKind::Witness)
        );
        assert_eq!(
            raised.table(TableKind::Public),
            free.table(TableKind::Public)
        );
        // Lanes the caller fixed win over the floor's; its height still applies.
        let fixed = Lanes {
            add: Some(1),
            ..Lanes::default()
        };
        let add = *Layout::with_floor(&circuit, &fixed, 1, &floor).table(TableKind::Add);
        assert_eq!((add.lanes, add.log_height), (1, 12));
    }

    #[test]
    fn the_public_table_is_one_row_with_a_lane_per_public_op() {
        let layout = Layout::new(&chain(3), &Lanes::default(), 1);
        let public = layout.table(TableKind::Public);
        assert_eq!((public.entries, public.lanes), (2, 2));
    }
}
