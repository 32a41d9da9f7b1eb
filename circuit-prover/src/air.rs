//! The AIRs of the five tables.
//!
//! Column layout, per lane (`D = 4` base columns per extension value):
//!
//! | table | preprocessed | main |
//! |---|---|---|
//! | Witness | `index, multiplicity` | `value[D]` |
//! | Const | `index, active, value[D]` | — |
//! | Public | `index, active` | `value[D]` |
//! | Add, Mul | `a, b, out, active` (slot indices) | `a[D], b[D], out[D]` |
//!
//! Every bus message is `(index, v₀, v₁, v₂, v₃)` on the one bus [`BUS`]. The Witness table
//! provides each slot with its multiplicity; every other table reads with count `active`.
//! All indices, multiplicities and `active` flags are preprocessed: fixed by the verifying
//! key, never chosen by the prover.

use std::sync::Arc;

use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::{Count, InteractionBuilder, LookupBus};
use p3_matrix::dense::RowMajorMatrix;

use crate::config::D;
use crate::layout::{TableKind, TableShape};

/// The name of the one LogUp bus.
pub const BUS: &str = "witness";

/// Width of a bus message: the slot index and `D` value coordinates.
pub const MESSAGE_WIDTH: usize = 1 + D;

/// Preprocessed columns per lane.
pub fn preprocessed_lane_width(kind: TableKind) -> usize {
    match kind {
        TableKind::Witness | TableKind::Public => 2,
        TableKind::Const => 2 + D,
        TableKind::Add | TableKind::Mul => 4,
    }
}

/// Main columns per lane.
pub fn main_lane_width(kind: TableKind) -> usize {
    match kind {
        TableKind::Witness | TableKind::Public => D,
        TableKind::Const => 0,
        TableKind::Add | TableKind::Mul => 3 * D,
    }
}

/// One table's AIR. All tables share this type (p3-batch-stark proves one Rust type).
#[derive(Clone, Debug)]
pub struct TableAir<V> {
    /// The table's shape.
    pub shape: TableShape,
    /// Public table only: the public-input position each lane is bound to.
    pub public_positions: Vec<u32>,
    /// Number of public inputs (extension elements) of the circuit.
    pub public_count: usize,
    /// `W` of the binomial extension `X^D = W` (used by the Mul table).
    pub w: V,
    /// The preprocessed columns; present at setup, absent on the verifier's side.
    pub preprocessed: Option<Arc<RowMajorMatrix<V>>>,
}

impl<V: Field> BaseAir<V> for TableAir<V> {
    fn width(&self) -> usize {
        self.shape.main_columns()
    }

    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<V>> {
        self.preprocessed.as_deref().cloned()
    }

    fn preprocessed_width(&self) -> usize {
        self.shape.preprocessed_columns()
    }

    fn num_public_values(&self) -> usize {
        match self.shape.kind {
            TableKind::Public => self.public_count * D,
            _ => 0,
        }
    }

    // No table reads the next row: every constraint is local to one row.
    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }

    fn preprocessed_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
}

/// The current row's preprocessed and main cells, as expressions.
pub(crate) fn current_row<AB: InteractionBuilder>(builder: &AB) -> (Vec<AB::Expr>, Vec<AB::Expr>) {
    let prep = builder
        .preprocessed()
        .current_slice()
        .iter()
        .map(|&v| v.into())
        .collect();
    let main = builder
        .main()
        .current_slice()
        .iter()
        .map(|&v| v.into())
        .collect();
    (prep, main)
}

/// Reads `(index, value)` from the bus when `active` (a preprocessed 0/1 flag).
pub(crate) fn read_port<AB: InteractionBuilder>(
    builder: &mut AB,
    index: &AB::Expr,
    value: &[AB::Expr],
    active: &AB::Expr,
) {
    let message: Vec<AB::Expr> = std::iter::once(index.clone())
        .chain(value.iter().cloned())
        .collect();
    LookupBus::new(BUS).lookup_key(builder, message, Count::bounded(active.clone(), 1));
}

/// `a · b` in `F[X]/(X^D − W)` (for NPO tables too), coordinates in the power basis: `X^i · X^j` lands on
/// coordinate `i + j`, wrapping past `D` with a factor `W`.
pub fn ext_mul<E: PrimeCharacteristicRing + Clone>(a: &[E], b: &[E], w: E) -> [E; D] {
    let mut low: [E; D] = std::array::from_fn(|_| E::ZERO);
    let mut high: [E; D] = std::array::from_fn(|_| E::ZERO);
    for (i, ai) in a.iter().enumerate() {
        for (j, bj) in b.iter().enumerate() {
            let product = ai.clone() * bj.clone();
            if i + j < D {
                low[i + j] += product;
            } else {
                high[i + j - D] += product;
            }
        }
    }
    std::array::from_fn(|k| low[k].clone() + w.clone() * high[k].clone())
}

impl<V: Field, AB: InteractionBuilder<F = V>> Air<AB> for TableAir<V> {
    fn eval(&self, builder: &mut AB) {
        let kind = self.shape.kind;
        let (pw, mw) = (preprocessed_lane_width(kind), main_lane_width(kind));
        let (prep, main) = current_row(builder);
        let publics: Vec<AB::Expr> = builder.public_values().iter().map(|&v| v.into()).collect();
        for lane in 0..self.shape.lanes {
            let p = &prep[lane * pw..(lane + 1) * pw];
            let m = &main[lane * mw..(lane + 1) * mw];
            match kind {
                TableKind::Witness => {
                    // Provides (index, value) as often as ports read it.
                    let message: Vec<AB::Expr> = std::iter::once(p[0].clone())
                        .chain(m.iter().cloned())
                        .collect();
                    LookupBus::new(BUS).table_entry(builder, message, p[1].clone());
                }
                TableKind::Const => {
                    if lane == 0 {
                        builder.assert_zero(main[0].clone());
                    }
                    read_port(builder, &p[0], &p[2..], &p[1]);
                }
                TableKind::Public => {
                    // Every row holds the public inputs: the value is bound to the proof's
                    // public values on every row, and only the active row reads the bus.
                    if let Some(&pos) = self.public_positions.get(lane) {
                        for (j, v) in m.iter().enumerate() {
                            builder.assert_eq(v.clone(), publics[pos as usize * D + j].clone());
                        }
                    }
                    read_port(builder, &p[0], m, &p[1]);
                }
                TableKind::Add | TableKind::Mul => {
                    let (a, b, out) = (&m[..D], &m[D..2 * D], &m[2 * D..]);
                    let expected: [AB::Expr; D] = match kind {
                        TableKind::Add => std::array::from_fn(|k| a[k].clone() + b[k].clone()),
                        _ => ext_mul(a, b, AB::Expr::from(self.w)),
                    };
                    for (o, e) in out.iter().zip(expected) {
                        builder.assert_eq(o.clone(), e);
                    }
                    for (index, value) in [(&p[0], a), (&p[1], b), (&p[2], out)] {
                        read_port(builder, index, value, &p[3]);
                    }
                }
            }
        }
    }
}

/// Every table of a batch: the five primitive tables and the NPO tables (p3-batch-stark
/// proves one Rust type).
#[derive(Clone, Debug)]
pub enum CircuitAir<V, N> {
    /// A primitive table.
    Table(TableAir<V>),
    /// A non-primitive op's table.
    Npo(crate::npo::NpoAir<V, N>),
}

impl<V: Field, N: crate::npo::NpoTable<V>> BaseAir<V> for CircuitAir<V, N> {
    fn width(&self) -> usize {
        match self {
            CircuitAir::Table(t) => t.width(),
            CircuitAir::Npo(t) => t.width(),
        }
    }
    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<V>> {
        match self {
            CircuitAir::Table(t) => t.preprocessed_trace(),
            CircuitAir::Npo(t) => t.preprocessed_trace(),
        }
    }
    fn preprocessed_width(&self) -> usize {
        match self {
            CircuitAir::Table(t) => t.preprocessed_width(),
            CircuitAir::Npo(t) => t.preprocessed_width(),
        }
    }
    fn num_public_values(&self) -> usize {
        match self {
            CircuitAir::Table(t) => t.num_public_values(),
            CircuitAir::Npo(t) => t.num_public_values(),
        }
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
    fn preprocessed_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
}

impl<V: Field, N: crate::npo::NpoTable<V>, AB: InteractionBuilder<F = V>> Air<AB>
    for CircuitAir<V, N>
{
    fn eval(&self, builder: &mut AB) {
        match self {
            CircuitAir::Table(t) => t.eval(builder),
            CircuitAir::Npo(t) => t.eval(builder),
        }
    }
}
