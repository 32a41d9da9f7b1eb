//! The [`MERKLE_STEP`] table: one Merkle level on packed digests per row
//! ([`merkle_step`](super::merkle_step)).
//!
//! A row compresses the climbing digest with its sibling, in the order the direction bit
//! says: `compress(digest, sibling)` when `bit = 0`, `compress(sibling, digest)` when
//! `bit = 1`. It is [`MerkleStepColumns`] (the two packed digest ports, the base bit port
//! and the sibling, the call's private data), then one permutation's columns (the family's
//! `Poseidon2Cols`), whose first eight output lanes are the two packed output ports:
//!
//! | columns | what |
//! |---|---|
//! | `0 .. 8` | `digest`: input ports 0 and 1, four lanes each |
//! | `8` | `bit`: input port 2, a base value |
//! | `8 .. 17` | `sibling`: the private digest, eight lanes |
//! | `17 .. 17 + COLUMNS` | the permutation; output ports 3 and 4 alias its first 8 output lanes |
//!
//! The constraints: `bit` is boolean, the permutation's input is `digest ‖ sibling`
//! swapped by `bit` (`left = d + bit·(s − d)`, `right = s − bit·(s − d)`, degree 2), and
//! the permutation's own. A padding row is the permutation of zero with a zero sibling and
//! bit, so they hold on every row. What the bit means is the caller's:
//! [`merkle::verify_batch`](crate::merkle::verify_batch) takes it from the index's bits.

use std::borrow::Borrow;

use p3_field::Field;
use p3_lookup::InteractionBuilder;

use super::lanes::{DIGEST, LANES, MERKLE_STEP, PACKED_DIGEST, WIDTH, columns, lane};
use crate::family::{FieldFamily, Poseidon2Body};
use crate::npo::PortValues;
use crate::tables::common::lane_columns;

/// The kind of the table.
pub const KIND: fixpoint_circuit::NpoKind = MERKLE_STEP;

/// Inputs per call: the packed digest and the bit.
pub const INPUTS: usize = PACKED_DIGEST + 1;

/// Outputs per call: the packed parent digest.
pub const OUTPUTS: usize = PACKED_DIGEST;

/// The step's columns before the permutation's: its input ports (laid out first by
/// fixpoint, in port order) and the sibling (a `[T]` of [`STEP_COLUMNS`] borrows as it).
///
/// ```
/// use std::borrow::Borrow;
/// use fixpoint_circuit_prover::poseidon2::merkle_table::{MerkleStepColumns, STEP_COLUMNS};
///
/// let row: Vec<u32> = (0..STEP_COLUMNS as u32).collect();
/// let cols: &MerkleStepColumns<u32> = row.as_slice().borrow();
/// assert_eq!(cols.digest, [0, 1, 2, 3, 4, 5, 6, 7]);
/// assert_eq!(cols.bit, 8);
/// assert_eq!(cols.sibling[0], 9);
/// ```
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MerkleStepColumns<T> {
    /// The climbing digest: input ports 0 and 1, four lanes each.
    pub digest: [T; DIGEST],
    /// The direction bit: input port 2, a base value.
    pub bit: T,
    /// The sibling digest, the call's private data.
    pub sibling: [T; DIGEST],
}

lane_columns!(MerkleStepColumns, STEP_COLUMNS);

/// Columns of the input ports: the first of [`MerkleStepColumns`], up to the sibling.
const PORT_COLUMNS: usize = std::mem::offset_of!(MerkleStepColumns<u8>, sibling);

/// Body columns before the permutation's: the sibling.
const SIBLING_COLUMNS: usize = STEP_COLUMNS - PORT_COLUMNS;

/// What port `port` carries: the bit is a base value, the digests are packed.
pub fn port_values(port: usize) -> PortValues {
    if port == PACKED_DIGEST {
        PortValues::Base
    } else {
        PortValues::Extension
    }
}

/// The body column of port `port`: the outputs are the permutation's first output lanes;
/// the inputs have columns of their own (the bit orders them before the permutation).
pub fn port_alias<V: FieldFamily>(port: usize) -> Option<usize> {
    let output = port.checked_sub(INPUTS)?;
    Some(SIBLING_COLUMNS + V::poseidon2().output_column() + output * LANES)
}

/// The body's columns: the sibling and the permutation's.
pub const fn extra_columns<V: FieldFamily>() -> usize {
    SIBLING_COLUMNS + columns::<V>()
}

/// The permutation's input: `digest ‖ sibling`, swapped when `bit = 1`.
pub(super) fn state<V: Field>(digest: &[V], sibling: &[V], bit: V) -> [V; WIDTH] {
    std::array::from_fn(|i| {
        let (d, s) = (digest[i % DIGEST], sibling[i % DIGEST]);
        let swap = bit * (s - d);
        if i < DIGEST { d + swap } else { s - swap }
    })
}

/// Writes the sibling and the permutation of the ordered pair into `extra`.
pub(super) fn fill<V: FieldFamily>(inputs: &[&[V]], private: &[&[V]], extra: &mut [V]) {
    let digest: Vec<V> = (0..DIGEST).map(|j| lane(inputs, j, true)).collect();
    let sibling: Vec<V> = (0..DIGEST).map(|j| lane(private, j, true)).collect();
    // The body starts at `MerkleStepColumns::sibling`.
    let (own, permutation) = extra.split_at_mut(SIBLING_COLUMNS);
    own.copy_from_slice(&sibling);
    let bit = inputs[PACKED_DIGEST][0];
    V::poseidon2().fill(state(&digest, &sibling, bit), permutation);
}

/// A padding row: a zero sibling and the permutation of zero.
pub(super) fn fill_padding<V: FieldFamily>(extra: &mut [V]) {
    let (own, permutation) = extra.split_at_mut(SIBLING_COLUMNS);
    own.fill(V::ZERO);
    V::poseidon2().fill([V::ZERO; WIDTH], permutation);
}

/// The constraints (see the module docs) on a row whose input ports are `inputs` and
/// whose body is `extra`.
pub(super) fn eval<V: FieldFamily, AB: InteractionBuilder<F = V>>(
    builder: &mut AB,
    inputs: &[&[AB::Expr]],
    extra: &[AB::Expr],
) {
    let row: Vec<AB::Expr> = inputs
        .iter()
        .flat_map(|port| port.iter().cloned())
        .chain(extra[..SIBLING_COLUMNS].iter().cloned())
        .collect();
    let cols: &MerkleStepColumns<AB::Expr> = row.as_slice().borrow();
    let body = V::poseidon2();
    body.eval(builder, STEP_COLUMNS);
    let permuted = &extra[SIBLING_COLUMNS + body.input_column()..][..WIDTH];
    assert_ordered_pair(builder, &cols.bit, &cols.digest, &cols.sibling, permuted);
}

/// `bit` is boolean and the permutation's input `permuted` is `digest ‖ sibling`, swapped
/// when `bit = 1` (degree 2): the Merkle step's ordering, shared with
/// [`shared_merkle_table`](super::shared_merkle_table).
pub(super) fn assert_ordered_pair<AB: InteractionBuilder>(
    builder: &mut AB,
    bit: &AB::Expr,
    digest: &[AB::Expr; DIGEST],
    sibling: &[AB::Expr; DIGEST],
    permuted: &[AB::Expr],
) {
    builder.assert_bool(bit.clone());
    for (j, (digest, sibling)) in digest.iter().zip(sibling).enumerate() {
        let swap = bit.clone() * (sibling.clone() - digest.clone());
        builder.assert_eq(permuted[j].clone(), digest.clone() + swap.clone());
        builder.assert_eq(permuted[DIGEST + j].clone(), sibling.clone() - swap);
    }
}

#[cfg(test)]
mod tests {
    use std::mem::offset_of;

    use p3_koala_bear::KoalaBear;

    use super::{MerkleStepColumns, STEP_COLUMNS};
    use crate::family::{FieldFamily, Poseidon2Body};
    use crate::npo::NpoAir;
    use crate::plan::BusLayout;
    use crate::poseidon2::{LANES, Table, columns};

    /// The struct's fields are the columns `NpoAir` gives the ports, and the outputs are
    /// the permutation's first output lanes, past the struct.
    #[test]
    fn the_typed_columns_are_the_rows_layout() {
        let air = NpoAir::<KoalaBear, Table> {
            table: Table::MerkleStep,
            entries: 0,
            log_height: 0,
            bus: BusLayout::WitnessTable,
            preprocessed: None,
        };
        let digest = offset_of!(MerkleStepColumns<u8>, digest);
        let bit = offset_of!(MerkleStepColumns<u8>, bit);
        let output = STEP_COLUMNS + <KoalaBear as FieldFamily>::poseidon2().output_column();
        assert_eq!(
            air.port_ranges(),
            [
                digest..digest + LANES,
                digest + LANES..digest + 2 * LANES,
                bit..bit + 1,
                output..output + LANES,
                output + LANES..output + 2 * LANES,
            ]
        );
        assert_eq!(air.main_columns(), STEP_COLUMNS + columns::<KoalaBear>());
        assert_eq!(
            offset_of!(MerkleStepColumns<u8>, sibling),
            air.port_columns()
        );
    }
}
