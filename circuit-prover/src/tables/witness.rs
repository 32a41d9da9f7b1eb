//! The Witness table: one lane per witness slot, providing `(index, value)` to the bus as
//! often as the other tables' ports read the slot.
//!
//! | preprocessed | main |
//! |---|---|
//! | `index, multiplicity` | `value[D]` |

use std::borrow::BorrowMut;

use p3_field::{BasedVectorSpace, Field};
use p3_lookup::{InteractionBuilder, LookupBus};
use p3_maybe_rayon::prelude::*;

use super::common::{BUS, LaneMatrix, coords, lane_columns};
use crate::config::D;

/// A Witness lane's preprocessed columns.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WitnessPreprocessed<T> {
    /// The slot.
    pub index: T,
    /// How many ports read the slot (from the [`BusPlan`](crate::BusPlan)).
    pub multiplicity: T,
}
lane_columns!(WitnessPreprocessed, PREPROCESSED_WIDTH);

/// A Witness lane's main columns.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WitnessMain<T> {
    /// The slot's value, in base coordinates.
    pub value: [T; D],
}
lane_columns!(WitnessMain, MAIN_WIDTH);

/// Provides `(index, value)` as often as ports read it.
pub(crate) fn eval<AB: InteractionBuilder>(
    builder: &mut AB,
    prep: &WitnessPreprocessed<AB::Expr>,
    main: &WitnessMain<AB::Expr>,
) {
    let message: Vec<AB::Expr> = std::iter::once(prep.index.clone())
        .chain(main.value.iter().cloned())
        .collect();
    LookupBus::new(BUS).table_entry(builder, message, prep.multiplicity.clone());
}

/// Slot `s` in lane `s` with its multiplicity; padding lanes provide nothing (multiplicity 0).
pub(crate) fn fill_preprocessed<V: Field>(m: &mut LaneMatrix<V>, multiplicity: &[u32]) {
    for (slot, &mult) in multiplicity.iter().enumerate() {
        let lane: &mut WitnessPreprocessed<V> = m.lane(slot).borrow_mut();
        lane.index = V::from_usize(slot);
        lane.multiplicity = V::from_u32(mult);
    }
}

/// Every slot's value, in parallel (with the `parallel` feature).
pub(crate) fn fill_main<V: Field, EF: BasedVectorSpace<V> + Sync>(
    m: &mut LaneMatrix<V>,
    values: &[EF],
) {
    m.cells()
        .par_chunks_mut(MAIN_WIDTH)
        .zip(values.par_iter())
        .for_each(|(lane, value)| {
            let lane: &mut WitnessMain<V> = lane.borrow_mut();
            lane.value.copy_from_slice(coords(value));
        });
}

/// The port's name in the bus's debugging view ([`crate::bus::messages`]).
pub(crate) const PORT: &str = "value";

#[cfg(test)]
mod tests {
    use std::borrow::Borrow;

    use p3_field::PrimeCharacteristicRing;
    use p3_koala_bear::KoalaBear as V;

    use super::*;
    use crate::layout::TableKind;

    #[test]
    fn the_lane_structs_are_the_layouts_lane_widths() {
        assert_eq!(PREPROCESSED_WIDTH, 2);
        assert_eq!(MAIN_WIDTH, D);
        assert_eq!(
            TableKind::Witness.preprocessed_lane_width(),
            PREPROCESSED_WIDTH
        );
        assert_eq!(TableKind::Witness.main_lane_width(), MAIN_WIDTH);
    }

    #[test]
    fn a_filled_lane_reads_back_through_the_structs() {
        let mut prep = LaneMatrix::<V>::new(4, PREPROCESSED_WIDTH, 2 * PREPROCESSED_WIDTH);
        fill_preprocessed(&mut prep, &[3, 0, 5]);
        let prep = prep.finish();
        let lane: &WitnessPreprocessed<V> =
            prep.values[2 * PREPROCESSED_WIDTH..][..PREPROCESSED_WIDTH].borrow();
        assert_eq!(lane.index, V::TWO);
        assert_eq!(lane.multiplicity, V::from_u32(5));

        let ext = crate::KoalaBearExt::from_basis_coefficients_fn(|k| V::from_usize(k + 1));
        let mut main = LaneMatrix::<V>::new(2, MAIN_WIDTH, MAIN_WIDTH);
        fill_main(&mut main, &[ext]);
        let main = main.finish();
        let lane: &WitnessMain<V> = main.values[..MAIN_WIDTH].borrow();
        assert_eq!(lane.value, [1, 2, 3, 4].map(V::from_u32));
    }
}
