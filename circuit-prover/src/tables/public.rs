//! The Public table: one row, one lane per `Public` op, each lane's value bound to its
//! public input; the row reads every lane's value at its slot from the bus.
//!
//! | preprocessed | main |
//! |---|---|
//! | `index, count` | `value[D]` |
//!
//! Every row holds the public inputs (p3 binds public values on every row): the value is
//! bound on every row, and only the first row sends it to the bus.

use std::borrow::BorrowMut;

use fixpoint_circuit::{Circuit, Op, OpId, PublicRow, WitnessId};
use p3_field::{BasedVectorSpace, Field};
use p3_lookup::InteractionBuilder;

use super::common::{LaneMatrix, coords, count, index, lane_columns, read_port};
use crate::config::D;
use crate::plan::BusPlan;

/// A Public lane's preprocessed columns.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PublicPreprocessed<T> {
    /// The op's output slot.
    pub index: T,
    /// The port's count on the first row: 1 (a read) on a Witness-table bus; on a virtual
    /// one minus the slot's other ports, as the op defines the slot. 0 on the rows that only
    /// repeat the values.
    pub count: T,
}
lane_columns!(PublicPreprocessed, PREPROCESSED_WIDTH);

/// A Public lane's main columns.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PublicMain<T> {
    /// The public input's value, in base coordinates.
    pub value: [T; D],
}
lane_columns!(PublicMain, MAIN_WIDTH);

/// Binds the lane's value to the public input at `position` (the lane's bound position,
/// `None` for a lane without one) among `publics` (the proof's public values, `D` per
/// input), then reads the value at its slot.
pub(crate) fn eval<AB: InteractionBuilder>(
    builder: &mut AB,
    prep: &PublicPreprocessed<AB::Expr>,
    main: &PublicMain<AB::Expr>,
    position: Option<u32>,
    publics: &[AB::Expr],
) {
    if let Some(pos) = position {
        for (j, v) in main.value.iter().enumerate() {
            builder.assert_eq(v.clone(), publics[pos as usize * D + j].clone());
        }
    }
    read_port(builder, &prep.index, &main.value, &prep.count);
}

/// One lane per `Public` op, in op order, on the first row, with its port's count from
/// `plan`; the other rows repeat the values but do not send them.
pub(crate) fn fill_preprocessed<V: Field, EF>(
    m: &mut LaneMatrix<V>,
    circuit: &Circuit<EF>,
    plan: &BusPlan,
) {
    let publics = circuit
        .ops
        .iter()
        .enumerate()
        .filter_map(|(i, op)| match op {
            Op::Public { out, .. } => Some((*out, plan.counts(OpId(i as u32))[0])),
            _ => None,
        });
    for (k, (out, c)) in publics.enumerate() {
        let lane: &mut PublicPreprocessed<V> = m.lane(k).borrow_mut();
        lane.index = index(out);
        lane.count = count(c);
    }
}

/// Every row of `height` holds every public value, lane `k` the `k`-th `Public` op's (the
/// table has `lanes` lanes, one per op).
pub(crate) fn fill_main<V: Field, EF: BasedVectorSpace<V>>(
    m: &mut LaneMatrix<V>,
    rows: &[PublicRow<EF>],
    height: usize,
    lanes: usize,
) {
    for row in 0..height {
        for (k, public) in rows.iter().enumerate() {
            let lane: &mut PublicMain<V> = m.lane(row * lanes + k).borrow_mut();
            lane.value.copy_from_slice(coords(&public.val));
        }
    }
}

/// The port's name in the bus's debugging view ([`crate::bus::messages`]).
pub(crate) const PORT: &str = "value";

/// The message a `Public` op's row sends: its value at its slot.
pub(crate) fn port<F: Copy>(row: &PublicRow<F>) -> (&'static str, WitnessId, F) {
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
    fn the_lane_structs_are_the_layouts_lane_widths() {
        assert_eq!((PREPROCESSED_WIDTH, MAIN_WIDTH), (2, D));
        assert_eq!(
            TableKind::Public.preprocessed_lane_width(crate::BusLayout::WitnessTable),
            PREPROCESSED_WIDTH
        );
        assert_eq!(TableKind::Public.main_lane_width(), MAIN_WIDTH);
    }

    #[test]
    fn every_row_repeats_the_values_and_only_the_first_reads() {
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

        let (lanes, height) = (2, 4);
        let mut prep = LaneMatrix::<V>::new(height, PREPROCESSED_WIDTH, lanes * PREPROCESSED_WIDTH);
        fill_preprocessed(&mut prep, &circuit, &BusPlan::witness_table(&circuit));
        let mut main = LaneMatrix::<V>::new(height, MAIN_WIDTH, lanes * MAIN_WIDTH);
        fill_main(&mut main, &traces.public.rows, height, lanes);
        let (prep, main) = (prep.finish(), main.finish());
        let second: &PublicPreprocessed<V> =
            prep.values[PREPROCESSED_WIDTH..][..PREPROCESSED_WIDTH].borrow();
        assert_eq!((second.index, second.count), (V::ONE, V::ONE));
        let below: &PublicPreprocessed<V> =
            prep.values[2 * PREPROCESSED_WIDTH..][..PREPROCESSED_WIDTH].borrow();
        assert_eq!(below.count, V::ZERO);
        let last_row = &main.values[(height - 1) * lanes * MAIN_WIDTH..];
        let value: &PublicMain<V> = last_row[MAIN_WIDTH..].borrow();
        assert_eq!(value.value, [6, 0, 0, 0].map(V::from_u32));
    }
}
