//! What every table shares: the one bus and its messages, the current row as expressions,
//! the lane matrix the traces are filled through, the typed view of a lane's columns, and
//! the extension multiplication the Mul table (and NPO bodies) constrain.

use fixpoint_circuit::WitnessId;
use p3_field::{BasedVectorSpace, Field, PrimeCharacteristicRing};
use p3_lookup::{Count, InteractionBuilder, LookupBus};
use p3_matrix::dense::RowMajorMatrix;

use crate::config::D;

/// The name of the one LogUp bus.
pub const BUS: &str = "witness";

/// Width of a bus message: the slot index and `D` value coordinates.
pub const MESSAGE_WIDTH: usize = 1 + D;

/// Declares `$width`, the struct's size in cells (its columns per lane), and implements
/// `Borrow<$cols<T>>` and `BorrowMut<$cols<T>>` for `[T]`, for a column struct declared
/// `#[repr(C)]` whose fields are all `T` or arrays of `T` (p3's `Poseidon2Cols` pattern): a
/// lane's slice of a row reads as the struct, field by field in declaration order.
macro_rules! lane_columns {
    ($cols:ident, $width:ident) => {
        #[doc = concat!("Columns per lane of [`", stringify!($cols), "`]: its size in cells.")]
        pub const $width: usize = ::core::mem::size_of::<$cols<u8>>();

        impl<T> ::core::borrow::Borrow<$cols<T>> for [T] {
            fn borrow(&self) -> &$cols<T> {
                assert_eq!(self.len(), $width, "a lane of {}", stringify!($cols));
                // SAFETY: `$cols<T>` is `#[repr(C)]` with only `T` and `[T; N]` fields, so it
                // has `T`'s alignment, no padding, and `WIDTH` consecutive `T`s as its layout
                // (its size in `u8` cells is its field count); every value of `[T; WIDTH]` is
                // one of it. `align_to` splits off any misaligned prefix, which the asserts
                // below rule out, so the middle is exactly this slice as one struct.
                let (prefix, cols, suffix) = unsafe { self.align_to::<$cols<T>>() };
                assert!(
                    prefix.is_empty() && suffix.is_empty(),
                    "alignment should match"
                );
                assert_eq!(cols.len(), 1);
                &cols[0]
            }
        }

        impl<T> ::core::borrow::BorrowMut<$cols<T>> for [T] {
            fn borrow_mut(&mut self) -> &mut $cols<T> {
                assert_eq!(self.len(), $width, "a lane of {}", stringify!($cols));
                // SAFETY: as for `Borrow` above; the borrow is unique because `self` is.
                let (prefix, cols, suffix) = unsafe { self.align_to_mut::<$cols<T>>() };
                assert!(
                    prefix.is_empty() && suffix.is_empty(),
                    "alignment should match"
                );
                assert_eq!(cols.len(), 1);
                &mut cols[0]
            }
        }
    };
}
pub(crate) use lane_columns;

/// The current row's preprocessed and main cells, as expressions.
pub(crate) fn current_row<AB: InteractionBuilder>(builder: &AB) -> (Vec<AB::Expr>, Vec<AB::Expr>) {
    use p3_air::WindowAccess;
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

/// Sends `(index, value)` to the bus with `count`, a preprocessed signed count: 1 for a
/// read (0 on padding), or on a [`BusLayout::Virtual`](crate::BusLayout::Virtual) bus minus
/// the slot's other ports for the port that provides it (see [`crate::plan`]).
///
/// The weight p3's LogUp height check charges is 1 per port. A provider's count is larger,
/// but it is preprocessed and equals the slot's readers, each weighed 1 already; the check
/// thus bounds every slot's readers below p, which is what [`crate::plan`]'s soundness
/// argument needs.
pub(crate) fn read_port<AB: InteractionBuilder>(
    builder: &mut AB,
    index: &AB::Expr,
    value: &[AB::Expr],
    count: &AB::Expr,
) {
    let message: Vec<AB::Expr> = std::iter::once(index.clone())
        .chain(value.iter().cloned())
        .collect();
    LookupBus::new(BUS).lookup_key(builder, message, Count::bounded(count.clone(), 1));
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

/// The lanes of one row: `row[lane · lane_width ..][.. lane_width]` for each lane.
pub(crate) fn lanes<T>(row: &[T], lane_width: usize, lanes: usize) -> impl Iterator<Item = &[T]> {
    (0..lanes).map(move |lane| &row[lane * lane_width..(lane + 1) * lane_width])
}

/// A zeroed `height × width` matrix, filled lane by lane: entry `e` goes to row `e / lanes`,
/// lane `e % lanes`, at columns `lane · lane_width ..`.
pub(crate) struct LaneMatrix<V> {
    values: Vec<V>,
    width: usize,
    lane_width: usize,
}

impl<V: Field> LaneMatrix<V> {
    /// `height` rows of `width` columns (at least the lanes' columns), all zero.
    pub(crate) fn new(height: usize, lane_width: usize, width: usize) -> Self {
        LaneMatrix {
            values: V::zero_vec(height * width),
            width,
            lane_width,
        }
    }

    /// Entry `entry`'s cells.
    #[inline]
    pub(crate) fn lane(&mut self, entry: usize) -> &mut [V] {
        let start = entry * self.lane_width; // row-major: row r lane l is entry r·lanes + l
        &mut self.values[start..start + self.lane_width]
    }

    /// Every cell, row-major: entry `e` occupies `lane_width` consecutive cells from
    /// `e · lane_width`, so lanes can be filled in parallel as chunks of that size.
    pub(crate) fn cells(&mut self) -> &mut [V] {
        &mut self.values
    }

    /// The filled matrix.
    pub(crate) fn finish(self) -> RowMajorMatrix<V> {
        RowMajorMatrix::new(self.values, self.width)
    }
}

/// A slot index as a field element.
pub(crate) fn index<V: Field>(slot: WitnessId) -> V {
    V::from_u32(slot.0)
}

/// A port's signed count (from the [`BusPlan`](crate::BusPlan)) as a field element.
pub(crate) fn count<V: Field>(count: i64) -> V {
    V::from_i64(count)
}

/// An extension value's base coordinates.
pub(crate) fn coords<V: Field, EF: BasedVectorSpace<V>>(value: &EF) -> &[V] {
    value.as_basis_coefficients_slice()
}

#[cfg(test)]
mod tests {
    use std::borrow::{Borrow, BorrowMut};
    use std::mem::{align_of, size_of};

    use super::super::alu::{AluMain, AluPreprocessed, MAIN_WIDTH, PREPROCESSED_WIDTH};

    #[test]
    fn a_column_struct_is_its_width_in_cells_of_any_type() {
        // What the casts' SAFETY rests on: no padding, the cell's alignment.
        assert_eq!(size_of::<AluMain<u64>>(), MAIN_WIDTH * size_of::<u64>());
        assert_eq!(align_of::<AluMain<u64>>(), align_of::<u64>());
        assert_eq!(size_of::<AluPreprocessed<u32>>(), PREPROCESSED_WIDTH * 4);
        let mut row: Vec<u64> = (0..MAIN_WIDTH as u64).collect();
        let lane: &mut AluMain<u64> = row[..].borrow_mut();
        lane.out[0] = 99;
        assert_eq!(row[8], 99); // a[4], b[4], then out
        let lane: &AluMain<u64> = row[..].borrow();
        assert_eq!((lane.a[1], lane.b[0]), (1, 4));
    }

    #[test]
    #[should_panic(expected = "a lane of AluPreprocessed")]
    fn a_slice_of_another_width_is_refused() {
        let row = [0u8; 3];
        let _: &AluPreprocessed<u8> = row[..].borrow();
    }
}
