//! The [`POSEIDON2_16`] and [`POSEIDON2_16_PACKED`] tables: one permutation per row.
//!
//! A row is exactly `p3-poseidon2-air`'s columns for one permutation (its typed
//! `Poseidon2Cols`, through the family's [`Poseidon2Body`]) and nothing else. The ports have
//! no columns of their own: the inputs are the permutation's 16 input lanes and the outputs
//! its last full round's 16 lanes ([`port_alias`]), one lane per base port or four per
//! packed (extension) port.
//!
//! | columns | what |
//! |---|---|
//! | `0 .. COLUMNS` | the permutation (`Poseidon2Cols`); the input ports alias its inputs, the output ports its outputs |
//!
//! The constraints are the permutation's own. A padding row holds the permutation of zero,
//! so they hold on every row.

use p3_lookup::InteractionBuilder;

use super::lanes::{LANES, PACKED_WIDTH, POSEIDON2_16, POSEIDON2_16_PACKED, WIDTH, columns, lane};
use crate::family::{FieldFamily, Poseidon2Body};
use crate::npo::PortValues;

/// Inputs (and outputs) per call: 16 base ports, or 4 packed ones.
pub const fn ports(packed: bool) -> usize {
    if packed { PACKED_WIDTH } else { WIDTH }
}

/// What port `port` carries: a base lane, or four lanes packed in an extension value.
pub fn port_values(packed: bool) -> PortValues {
    if packed {
        PortValues::Extension
    } else {
        PortValues::Base
    }
}

/// The body column where port `port` (inputs first, then outputs) lives: the permutation's
/// own input or output lanes, four adjacent ones for a packed port.
pub fn port_alias<V: FieldFamily>(packed: bool, port: usize) -> usize {
    let body = V::poseidon2();
    let width = if packed { LANES } else { 1 };
    let inputs = ports(packed);
    if port < inputs {
        body.input_column() + port * width
    } else {
        body.output_column() + (port - inputs) * width
    }
}

/// The body's columns: one permutation's.
pub const fn extra_columns<V: FieldFamily>() -> usize {
    columns::<V>()
}

/// Writes the permutation of the inputs' lanes into `extra`.
pub(super) fn fill<V: FieldFamily>(packed: bool, inputs: &[&[V]], extra: &mut [V]) {
    let state: [V; WIDTH] = std::array::from_fn(|j| lane(inputs, j, packed));
    V::poseidon2().fill(state, extra);
}

/// A padding row: the permutation of zero.
pub(super) fn fill_padding<V: FieldFamily>(extra: &mut [V]) {
    V::poseidon2().fill([V::ZERO; WIDTH], extra);
}

/// The permutation's constraints, on the whole row (the ports are its lanes).
pub(super) fn eval<V: FieldFamily, AB: InteractionBuilder<F = V>>(builder: &mut AB) {
    V::poseidon2().eval(builder, 0);
}

/// The kind of the table, packed or not.
pub(super) const fn kind(packed: bool) -> fixpoint_circuit::NpoKind {
    if packed {
        POSEIDON2_16_PACKED
    } else {
        POSEIDON2_16
    }
}

#[cfg(test)]
mod tests {
    use p3_koala_bear::KoalaBear;

    use crate::family::{FieldFamily, Poseidon2Body};
    use crate::npo::NpoAir;
    use crate::plan::BusLayout;
    use crate::poseidon2::{LANES, Table, WIDTH, columns};

    /// The ports are the permutation's input and output lanes, and the row has no other
    /// columns.
    #[test]
    fn the_ports_are_the_permutations_lanes() {
        let body = <KoalaBear as FieldFamily>::poseidon2();
        for (table, width) in [(Table::Permutation, 1), (Table::PackedPermutation, LANES)] {
            let air = NpoAir::<KoalaBear, Table> {
                table,
                entries: 0,
                log_height: 0,
                bus: BusLayout::WitnessTable,
                preprocessed: None,
            };
            let lanes = |first: usize| {
                (0..WIDTH / width).map(move |p| first + p * width..first + (p + 1) * width)
            };
            let expected: Vec<_> = lanes(body.input_column())
                .chain(lanes(body.output_column()))
                .collect();
            assert_eq!(air.port_ranges(), expected);
            assert_eq!(air.main_columns(), columns::<KoalaBear>());
        }
    }
}
