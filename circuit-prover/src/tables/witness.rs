//! The Witness table: one lane per witness slot it provides, providing `(index, value)` to
//! the bus as often as the other tables' ports read the slot. On a Witness-table bus it
//! holds every slot; on a virtual one only the slots hints define ([`crate::plan`]).
//!
//! | preprocessed | main |
//! |---|---|
//! | `index, multiplicity` | `value[D]` |

use std::borrow::BorrowMut;

use p3_field::{BasedVectorSpace, Field};
use p3_lookup::{InteractionBuilder, LookupBus};
use p3_maybe_rayon::prelude::*;

use super::common::{BUS, LaneMatrix, coords, index, lane_columns};
use crate::config::D;
use crate::plan::BusPlan;

/// A Witness lane's preprocessed columns.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WitnessPreprocessed<T> {
    /// The slot.
    pub index: T,
    /// How many ports read the slot (from the [`BusPlan`]).
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

/// The plan's provided slots, one per lane in order, with their multiplicities; padding
/// lanes provide nothing (multiplicity 0).
pub(crate) fn fill_preprocessed<V: Field>(m: &mut LaneMatrix<V>, plan: &BusPlan) {
    for (entry, (slot, mult)) in plan.witness_lanes().enumerate() {
        let lane: &mut WitnessPreprocessed<V> = m.lane(entry).borrow_mut();
        lane.index = index(slot);
        lane.multiplicity = V::from_u32(mult);
    }
}

/// The provided slots' values, one per lane in order, in parallel (with the `parallel`
/// feature).
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
    use crate::BusLayout;
    use crate::layout::TableKind;

    #[test]
    fn the_lane_structs_are_the_layouts_lane_widths() {
        assert_eq!(PREPROCESSED_WIDTH, 2);
        assert_eq!(MAIN_WIDTH, D);
        for bus in [BusLayout::WitnessTable, BusLayout::Virtual] {
            assert_eq!(
                TableKind::Witness.preprocessed_lane_width(bus),
                PREPROCESSED_WIDTH
            );
        }
        assert_eq!(TableKind::Witness.main_lane_width(), MAIN_WIDTH);
    }

    #[test]
    fn a_filled_lane_reads_back_through_the_structs() {
        // Lane k is slot k, with the ports that read it: w by three.
        let mut b = fixpoint_circuit::CircuitBuilder::<crate::KoalaBearExt>::new();
        let (x, w) = (b.public_input(), b.private_input());
        let y = b.mul(w, x);
        let z = b.square(w);
        b.connect(z, x); // w² = x: a check, which constrains the private input
        b.expose(y);
        let circuit = b.build().unwrap();
        let plan = BusPlan::witness_table(&circuit);
        let w_slot = circuit.debug.target_slots[w.index()].unwrap();
        let mut prep = LaneMatrix::<V>::new(4, PREPROCESSED_WIDTH, 2 * PREPROCESSED_WIDTH);
        fill_preprocessed(&mut prep, &plan);
        let prep = prep.finish();
        let lane: &WitnessPreprocessed<V> =
            prep.values[w_slot.index() * PREPROCESSED_WIDTH..][..PREPROCESSED_WIDTH].borrow();
        assert_eq!(lane.index, index(w_slot));
        assert_eq!(lane.multiplicity, V::from_u32(3));
        let padding: &WitnessPreprocessed<V> =
            prep.values[3 * PREPROCESSED_WIDTH..][..PREPROCESSED_WIDTH].borrow();
        assert_eq!(*padding, WitnessPreprocessed::default());

        let ext = crate::KoalaBearExt::from_basis_coefficients_fn(|k| V::from_usize(k + 1));
        let mut main = LaneMatrix::<V>::new(2, MAIN_WIDTH, MAIN_WIDTH);
        fill_main(&mut main, &[ext]);
        let main = main.finish();
        let lane: &WitnessMain<V> = main.values[..MAIN_WIDTH].borrow();
        assert_eq!(lane.value, [1, 2, 3, 4].map(V::from_u32));
    }
}
