//! The AIRs of a batch: [`TableAir`], one primitive table (its constraints live in the
//! table's module under [`crate::tables`]; this is the one dispatch over [`TableKind`]), and
//! [`CircuitAir`], a primitive or an NPO table, the one Rust type p3-batch-stark proves.

use std::borrow::Borrow;
use std::sync::Arc;

use p3_air::{Air, BaseAir};
use p3_field::Field;
use p3_lookup::InteractionBuilder;
use p3_matrix::dense::RowMajorMatrix;

use crate::config::D;
use crate::layout::{TableKind, TableShape};
use crate::npo::{NpoAir, NpoTable};
use crate::tables::alu::{self, AluOp};
use crate::tables::common::{current_row, lanes};
pub use crate::tables::{BUS, MESSAGE_WIDTH, ext_mul};
use crate::tables::{constant, public, witness};

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

impl<V: Field, AB: InteractionBuilder<F = V>> Air<AB> for TableAir<V> {
    fn eval(&self, builder: &mut AB) {
        let kind = self.shape.kind;
        let bus = self.shape.bus;
        let (pw, mw) = (kind.preprocessed_lane_width(bus), kind.main_lane_width());
        let (prep, main) = current_row(builder);
        let publics: Vec<AB::Expr> = builder.public_values().iter().map(|&v| v.into()).collect();
        let rows = lanes(&prep, pw, self.shape.lanes).zip(lanes(&main, mw, self.shape.lanes));
        for (lane, (p, m)) in rows.enumerate() {
            match kind {
                TableKind::Witness => witness::eval(builder, p.borrow(), m.borrow()),
                TableKind::Const => {
                    if lane == 0 {
                        constant::eval_main_column(builder, &main[0]);
                    }
                    constant::eval(builder, p.borrow());
                }
                TableKind::Public => {
                    let position = self.public_positions.get(lane).copied();
                    public::eval(builder, p.borrow(), m.borrow(), position, &publics);
                }
                TableKind::Add => alu::eval(builder, AluOp::Add, self.w.into(), bus, p, m.borrow()),
                TableKind::Mul => alu::eval(builder, AluOp::Mul, self.w.into(), bus, p, m.borrow()),
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
    Npo(NpoAir<V, N>),
}

impl<V: Field, N: NpoTable<V>> BaseAir<V> for CircuitAir<V, N> {
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

impl<V: Field, N: NpoTable<V>, AB: InteractionBuilder<F = V>> Air<AB> for CircuitAir<V, N> {
    fn eval(&self, builder: &mut AB) {
        match self {
            CircuitAir::Table(t) => t.eval(builder),
            CircuitAir::Npo(t) => t.eval(builder),
        }
    }
}
