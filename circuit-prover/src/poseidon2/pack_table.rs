//! The [`PACK`] table: four base values packed into one slot as its coordinates
//! ([`pack`](super::pack), and [`unpack`](super::unpack) read backwards).
//!
//! A row is its five ports and nothing else ([`PackColumns`]): four base input ports, one
//! column each, then the packed output port, four columns. Its one constraint per lane:
//! coordinate `k` of the output is input `k`. The inputs' base ports pin each lane to the
//! base field (their bus messages have zero higher coordinates), so a packed slot's lanes
//! are unique.
//!
//! | columns | what |
//! |---|---|
//! | `0 .. 4` | `lanes`: the base input ports |
//! | `4 .. 8` | `packed`: the output port's coordinates |

use std::borrow::Borrow;

use p3_air::AirBuilder;

use super::lanes::{LANES, PACK};
use crate::npo::PortValues;
use crate::tables::common::lane_columns;

/// The kind of the table.
pub const KIND: fixpoint_circuit::NpoKind = PACK;

/// Inputs per call: the four lanes.
pub const INPUTS: usize = LANES;

/// Outputs per call: the packed slot.
pub const OUTPUTS: usize = 1;

/// A [`PACK`] row: the ports' columns, which fixpoint lays out first, in port order (a
/// `[T]` of [`PACK_COLUMNS`] borrows as it).
///
/// ```
/// use std::borrow::Borrow;
/// use fixpoint_circuit_prover::poseidon2::pack_table::{PACK_COLUMNS, PackColumns};
///
/// let row: Vec<u32> = (0..PACK_COLUMNS as u32).collect();
/// let cols: &PackColumns<u32> = row.as_slice().borrow();
/// assert_eq!(cols.lanes, [0, 1, 2, 3]);
/// assert_eq!(cols.packed, [4, 5, 6, 7]);
/// ```
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PackColumns<T> {
    /// The four base input ports, one column each.
    pub lanes: [T; LANES],
    /// The packed output port: its coordinates, lowest first.
    pub packed: [T; LANES],
}

lane_columns!(PackColumns, PACK_COLUMNS);

/// What port `port` carries: a base lane for an input, the packed slot for the output.
pub fn port_values(port: usize) -> PortValues {
    if port < INPUTS {
        PortValues::Base
    } else {
        PortValues::Extension
    }
}

/// The constraints: the packed slot's coordinates are the lanes. They hold on padding
/// rows, where every port is zero.
pub(super) fn eval<AB: AirBuilder>(
    builder: &mut AB,
    inputs: &[&[AB::Expr]],
    outputs: &[&[AB::Expr]],
) {
    let row: Vec<AB::Expr> = inputs
        .iter()
        .chain(outputs)
        .flat_map(|port| port.iter().cloned())
        .collect();
    let cols: &PackColumns<AB::Expr> = row.as_slice().borrow();
    for (lane, coordinate) in cols.lanes.iter().zip(&cols.packed) {
        builder.assert_eq(coordinate.clone(), lane.clone());
    }
}

#[cfg(test)]
mod tests {
    use std::mem::offset_of;

    use p3_koala_bear::KoalaBear;

    use super::{PACK_COLUMNS, PackColumns};
    use crate::npo::NpoAir;
    use crate::plan::BusLayout;
    use crate::poseidon2::Table;

    /// The struct's fields are the columns `NpoAir` gives the five ports, and the row has
    /// no others.
    #[test]
    fn the_typed_columns_are_the_rows_layout() {
        let air = NpoAir::<KoalaBear, Table> {
            table: Table::Pack,
            entries: 0,
            log_height: 0,
            bus: BusLayout::WitnessTable,
            preprocessed: None,
        };
        let lanes = offset_of!(PackColumns<u8>, lanes);
        let packed = offset_of!(PackColumns<u8>, packed);
        let mut expected: Vec<_> = (0..4).map(|k| lanes + k..lanes + k + 1).collect();
        expected.push(packed..packed + 4);
        assert_eq!(air.port_ranges(), expected);
        assert_eq!(air.main_columns(), PACK_COLUMNS);
    }
}
