//! The Add and Mul tables: one lane per op, `out = a + b` or `out = a · b` in the
//! extension field, each of the three values read at its slot from the bus. Both tables
//! have this one column layout.
//!
//! | bus | preprocessed | main |
//! |---|---|---|
//! | Witness table | `a, b, out, active` (slot indices, one flag) | `a[D], b[D], out[D]` |
//! | virtual | `a, b, out, counts[3]` (slot indices, one count per port) | `a[D], b[D], out[D]` |

use std::borrow::{Borrow, BorrowMut};

use fixpoint_circuit::{AluRow, Circuit, Op, OpId, WitnessId};
use p3_field::{BasedVectorSpace, Field};
use p3_lookup::InteractionBuilder;
use p3_maybe_rayon::prelude::*;

use super::common::{LaneMatrix, coords, count, ext_mul, index, lane_columns, read_port};
use crate::config::D;
use crate::plan::{BusLayout, BusPlan};

/// Which of the two tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AluOp {
    /// `out = a + b`.
    Add,
    /// `out = a · b` in `F[X]/(X^D − W)`.
    Mul,
}

impl AluOp {
    /// The slots `[a, b, out]` of `op` when it is this table's op.
    fn slots<F>(self, op: &Op<F>) -> Option<[WitnessId; 3]> {
        match (self, op) {
            (AluOp::Add, Op::Add { a, b, out }) | (AluOp::Mul, Op::Mul { a, b, out }) => {
                Some([*a, *b, *out])
            }
            _ => None,
        }
    }
}

/// An Add or Mul lane's preprocessed columns: the slots the op reads and writes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AluPreprocessed<T> {
    /// First operand's slot.
    pub a: T,
    /// Second operand's slot.
    pub b: T,
    /// Result's slot.
    pub out: T,
    /// 1 for an op, 0 on padding lanes (which read nothing).
    pub active: T,
}
lane_columns!(AluPreprocessed, PREPROCESSED_WIDTH);

/// An Add or Mul lane's preprocessed columns on a [`BusLayout::Virtual`] bus: the slots,
/// and each port's count (1 for a read, minus the slot's other ports where the op defines
/// it, 0 on padding lanes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AluVirtualPreprocessed<T> {
    /// First operand's slot.
    pub a: T,
    /// Second operand's slot.
    pub b: T,
    /// Result's slot.
    pub out: T,
    /// The counts of the `a`, `b` and `out` ports.
    pub counts: [T; 3],
}
lane_columns!(AluVirtualPreprocessed, VIRTUAL_PREPROCESSED_WIDTH);

/// Preprocessed columns per lane on a `bus` bus.
pub(crate) const fn preprocessed_width(bus: BusLayout) -> usize {
    match bus {
        BusLayout::WitnessTable => PREPROCESSED_WIDTH,
        BusLayout::Virtual => VIRTUAL_PREPROCESSED_WIDTH,
    }
}

/// An Add or Mul lane's main columns: the three values, in base coordinates.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AluMain<T> {
    /// First operand.
    pub a: [T; D],
    /// Second operand.
    pub b: [T; D],
    /// Result.
    pub out: [T; D],
}
lane_columns!(AluMain, MAIN_WIDTH);

/// The ports' names in the bus's debugging view ([`crate::bus::messages`]), in the order
/// the table reads them.
pub(crate) const PORTS: [&str; 3] = ["a", "b", "out"];

/// Constrains `out` to `a + b` (Add) or `a · b` with `X^D = w` (Mul), then sends `a`, `b`
/// and `out` at their slots, in [`PORTS`] order, with the counts of `prep` (a lane of
/// [`AluPreprocessed`] or [`AluVirtualPreprocessed`], as `bus` says).
pub(crate) fn eval<AB: InteractionBuilder>(
    builder: &mut AB,
    op: AluOp,
    w: AB::Expr,
    bus: BusLayout,
    prep: &[AB::Expr],
    main: &AluMain<AB::Expr>,
) {
    let (slots, counts) = match bus {
        BusLayout::WitnessTable => {
            let p: &AluPreprocessed<AB::Expr> = prep.borrow();
            let active = p.active.clone();
            (
                [p.a.clone(), p.b.clone(), p.out.clone()],
                [active.clone(), active.clone(), active],
            )
        }
        BusLayout::Virtual => {
            let p: &AluVirtualPreprocessed<AB::Expr> = prep.borrow();
            ([p.a.clone(), p.b.clone(), p.out.clone()], p.counts.clone())
        }
    };
    let (a, b) = (&main.a, &main.b);
    let expected: [AB::Expr; D] = match op {
        AluOp::Add => std::array::from_fn(|k| a[k].clone() + b[k].clone()),
        AluOp::Mul => ext_mul(a, b, w),
    };
    for (o, e) in main.out.iter().zip(expected) {
        builder.assert_eq(o.clone(), e);
    }
    let values = [a, b, &main.out];
    for ((index, value), count) in slots.iter().zip(values).zip(&counts) {
        read_port(builder, index, value, count);
    }
}

/// One lane per op of the table, in op order, with its ports' counts from `plan`.
pub(crate) fn fill_preprocessed<V: Field, EF>(
    m: &mut LaneMatrix<V>,
    circuit: &Circuit<EF>,
    op: AluOp,
    plan: &BusPlan,
) {
    let ops = circuit
        .ops
        .iter()
        .enumerate()
        .filter_map(|(i, o)| Some((op.slots(o)?, plan.counts(OpId(i as u32)))));
    for (entry, ([a, b, out], counts)) in ops.enumerate() {
        match plan.layout {
            BusLayout::WitnessTable => {
                let lane: &mut AluPreprocessed<V> = m.lane(entry).borrow_mut();
                (lane.a, lane.b, lane.out) = (index(a), index(b), index(out));
                lane.active = V::ONE;
            }
            BusLayout::Virtual => {
                let lane: &mut AluVirtualPreprocessed<V> = m.lane(entry).borrow_mut();
                (lane.a, lane.b, lane.out) = (index(a), index(b), index(out));
                lane.counts = std::array::from_fn(|k| count(counts[k]));
            }
        }
    }
}

/// Every op's values, in parallel (with the `parallel` feature).
pub(crate) fn fill_main<V: Field, EF: BasedVectorSpace<V> + Copy + Sync>(
    m: &mut LaneMatrix<V>,
    rows: &[AluRow<EF>],
) {
    m.cells()
        .par_chunks_mut(MAIN_WIDTH)
        .zip(rows.par_iter())
        .for_each(|(lane, row)| {
            let lane: &mut AluMain<V> = lane.borrow_mut();
            lane.a.copy_from_slice(coords(&row.a_val));
            lane.b.copy_from_slice(coords(&row.b_val));
            lane.out.copy_from_slice(coords(&row.out_val));
        });
}

/// The messages an op's row sends, in [`PORTS`] order.
pub(crate) fn ports<F: Copy>(row: &AluRow<F>) -> [(&'static str, WitnessId, F); 3] {
    let [a, b, out] = PORTS;
    [
        (a, row.a, row.a_val),
        (b, row.b, row.b_val),
        (out, row.out, row.out_val),
    ]
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
    fn the_lane_structs_are_the_layouts_lane_widths() {
        assert_eq!((PREPROCESSED_WIDTH, MAIN_WIDTH), (4, 3 * D));
        assert_eq!(VIRTUAL_PREPROCESSED_WIDTH, 6);
        for kind in [TableKind::Add, TableKind::Mul] {
            assert_eq!(
                kind.preprocessed_lane_width(BusLayout::WitnessTable),
                PREPROCESSED_WIDTH
            );
            assert_eq!(
                kind.preprocessed_lane_width(BusLayout::Virtual),
                VIRTUAL_PREPROCESSED_WIDTH
            );
            assert_eq!(kind.main_lane_width(), MAIN_WIDTH);
        }
    }

    #[test]
    fn an_add_row_reads_back_through_the_structs() {
        let mut b = CircuitBuilder::<EF>::new();
        let (x, y) = (b.public_input(), b.public_input());
        let s = b.add(x, y);
        b.expose(s);
        let circuit = b.build().unwrap();
        let mut runner = circuit.runner();
        runner
            .set_public_inputs(&[EF::from_u32(5), EF::from_u32(6)])
            .unwrap();
        let traces = runner.run().unwrap();
        let row = traces.add.rows[0];

        let mut prep = LaneMatrix::<V>::new(2, PREPROCESSED_WIDTH, PREPROCESSED_WIDTH);
        fill_preprocessed(
            &mut prep,
            &circuit,
            AluOp::Add,
            &BusPlan::witness_table(&circuit),
        );
        let mut main = LaneMatrix::<V>::new(2, MAIN_WIDTH, MAIN_WIDTH);
        fill_main(&mut main, &traces.add.rows);
        let (prep, main) = (prep.finish(), main.finish());
        let p: &AluPreprocessed<V> = prep.values[..PREPROCESSED_WIDTH].borrow();
        let slot = |w: WitnessId| V::from_u32(w.0);
        assert_eq!(
            (p.a, p.b, p.out, p.active),
            (slot(row.a), slot(row.b), slot(row.out), V::ONE)
        );
        let m: &AluMain<V> = main.values[..MAIN_WIDTH].borrow();
        assert_eq!(m.a, [5, 0, 0, 0].map(V::from_u32));
        assert_eq!(m.b, [6, 0, 0, 0].map(V::from_u32));
        assert_eq!(m.out, [11, 0, 0, 0].map(V::from_u32));
        let padding: &AluPreprocessed<V> = prep.values[PREPROCESSED_WIDTH..].borrow();
        assert_eq!(padding.active, V::ZERO);
    }
}
