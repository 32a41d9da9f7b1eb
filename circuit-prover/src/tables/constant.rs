//! The Const table: one lane per `Const` op, entirely preprocessed; each reads its value
//! at its slot from the bus.
//!
//! | preprocessed | main |
//! |---|---|
//! | `index, count, value[D]` | — (one column pinned to zero: p3 matrices need a width) |

use std::borrow::BorrowMut;

use fixpoint_circuit::{Circuit, ConstRow, Op, OpId, WitnessId};
use p3_field::{BasedVectorSpace, Field};
use p3_lookup::InteractionBuilder;

use super::common::{LaneMatrix, coords, count, index, lane_columns, read_port};
use crate::config::D;
use crate::plan::BusPlan;

/// A Const lane's preprocessed columns.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConstPreprocessed<T> {
    /// The op's output slot.
    pub index: T,
    /// The port's count: 1 (a read) on a Witness-table bus; on a virtual one minus the
    /// slot's other ports, as the op defines the slot; 0 on padding lanes (which send
    /// nothing).
    pub count: T,
    /// The constant, in base coordinates.
    pub value: [T; D],
}
lane_columns!(ConstPreprocessed, PREPROCESSED_WIDTH);

/// The Const table has no main columns per lane: its values are preprocessed.
pub const MAIN_WIDTH: usize = 0;

/// Pins the table's one main column (its only cell per row) to zero, so that a prover has
/// no free column.
pub(crate) fn eval_main_column<AB: InteractionBuilder>(builder: &mut AB, column: &AB::Expr) {
    builder.assert_zero(column.clone());
}

/// Sends the constant at its slot, with the lane's count.
pub(crate) fn eval<AB: InteractionBuilder>(builder: &mut AB, prep: &ConstPreprocessed<AB::Expr>) {
    read_port(builder, &prep.index, &prep.value, &prep.count);
}

/// One lane per `Const` op, in op order, with its port's count from `plan`.
pub(crate) fn fill_preprocessed<V: Field, EF: BasedVectorSpace<V>>(
    m: &mut LaneMatrix<V>,
    circuit: &Circuit<EF>,
    plan: &BusPlan,
) {
    let consts = circuit
        .ops
        .iter()
        .enumerate()
        .filter_map(|(i, op)| match op {
            Op::Const { out, val } => Some((out, val, plan.counts(OpId(i as u32))[0])),
            _ => None,
        });
    for (entry, (out, val, c)) in consts.enumerate() {
        let lane: &mut ConstPreprocessed<V> = m.lane(entry).borrow_mut();
        lane.index = index(*out);
        lane.count = count(c);
        lane.value.copy_from_slice(coords(val));
    }
}

/// The port's name in the bus's debugging view ([`crate::bus::messages`]).
pub(crate) const PORT: &str = "value";

/// The message a Const op's row sends: its value at its slot.
pub(crate) fn port<F: Copy>(row: &ConstRow<F>) -> (&'static str, WitnessId, F) {
    (PORT, row.out, row.val)
}

#[cfg(test)]
mod tests {
    use std::borrow::Borrow;

    use fixpoint_circuit::CircuitBuilder;
    use p3_field::PrimeCharacteristicRing;
    use p3_koala_bear::KoalaBear as V;

    use super::*;
    use crate::KoalaBearExt as EF;
    use crate::layout::TableKind;

    #[test]
    fn the_lane_struct_is_the_layouts_lane_width() {
        assert_eq!(PREPROCESSED_WIDTH, 2 + D);
        assert_eq!(
            TableKind::Const.preprocessed_lane_width(crate::BusLayout::WitnessTable),
            PREPROCESSED_WIDTH
        );
        assert_eq!(TableKind::Const.main_lane_width(), MAIN_WIDTH);
    }

    #[test]
    fn a_filled_lane_reads_back_through_the_struct() {
        let mut b = CircuitBuilder::<EF>::new();
        let c = b.define_const(EF::from_u32(7));
        b.expose(c);
        let circuit = b.build().unwrap();
        let mut m = LaneMatrix::<V>::new(2, PREPROCESSED_WIDTH, PREPROCESSED_WIDTH);
        fill_preprocessed(&mut m, &circuit, &BusPlan::witness_table(&circuit));
        let m = m.finish();
        let lane: &ConstPreprocessed<V> = m.values[..PREPROCESSED_WIDTH].borrow();
        assert_eq!(lane.count, V::ONE);
        assert_eq!(lane.value, [7, 0, 0, 0].map(V::from_u32));
        let padding: &ConstPreprocessed<V> = m.values[PREPROCESSED_WIDTH..].borrow();
        assert_eq!(*padding, ConstPreprocessed::default());
    }
}
