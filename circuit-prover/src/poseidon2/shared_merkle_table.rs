//! The [`MERKLE_SHARED`] table: a [`MERKLE_STEP`](super::MERKLE_STEP) row that can also
//! read and provide **shared Merkle nodes** on a second bus, [`NODE_BUS`] (see
//! [`merkle::shared`](crate::merkle::shared) for the gadget and why it is sound).
//!
//! A row compresses `digest` with `sibling` in the order `bit` says, exactly as a Merkle
//! step does. Four more base input ports say what the row does on the node bus, where a
//! message is `(level, position, digest)`:
//!
//! - `consume` (0 or 1): the row reads its own output `(level, position, out)` once;
//! - `provide` (0 or 1): the row provides its two inputs as the children of its output,
//!   `(level + 1, 2·position, left)` `provided_left` times and
//!   `(level + 1, 2·position + 1, right)` `provided_right` times, where `left ‖ right` is
//!   the permutation's input. The multiplicities are the prover's: main columns.
//!
//! | columns | what |
//! |---|---|
//! | `0 .. 8` | `digest`: input ports 0 and 1, four lanes each |
//! | `8` | `bit`: input port 2 |
//! | `9` | `level`: input port 3 (the output's level on the node bus) |
//! | `10` | `position`: input port 4 (the output's position at its level) |
//! | `11` | `consume`: input port 5 |
//! | `12` | `provide`: input port 6 |
//! | `13 .. 21` | `sibling`: private, eight lanes |
//! | `21`, `22` | `provided_left`, `provided_right`: private multiplicities |
//! | `23 ..` | the permutation; output ports 7 and 8 alias its first 8 output lanes |
//!
//! The constraints: the Merkle step's ([`merkle_table`]), `consume`
//! and `provide` boolean, `provide = 0` on padding rows, and
//! `provided_left · (1 − provide) = provided_right · (1 − provide) = 0`. The last two are
//! what keep every row but the ones the circuit marks from providing a node: the ports of
//! a padding row are free columns (no bus read binds them), and an ordinary path row's
//! inputs are not yet known to be in the tree.

use std::borrow::Borrow;

use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder, LookupBus};

use super::lanes::{DIGEST, LANES, MERKLE_SHARED, PACKED_DIGEST, WIDTH, columns, lane};
use super::merkle_table;
use crate::family::{FieldFamily, Poseidon2Body};
use crate::npo::PortValues;
use crate::tables::common::lane_columns;

/// The kind of the table.
pub const KIND: fixpoint_circuit::NpoKind = MERKLE_SHARED;

/// The name of the node bus.
pub const NODE_BUS: &str = "merkle-node";

/// Width of a node-bus message: level, position and the digest's eight lanes.
pub const NODE_MESSAGE_WIDTH: usize = 2 + DIGEST;

/// Inputs per call: the packed digest, the bit, level, position, consume and provide.
pub const INPUTS: usize = PACKED_DIGEST + 5;

/// Outputs per call: the packed parent digest.
pub const OUTPUTS: usize = PACKED_DIGEST;

/// Private values per call: the packed sibling, then the two multiplicities.
pub const PRIVATE: usize = PACKED_DIGEST + 2;

/// The row's columns before the permutation's: its input ports (laid out first by
/// fixpoint, in port order), then the call's private data.
///
/// ```
/// use std::borrow::Borrow;
/// use fixpoint_circuit_prover::poseidon2::shared_merkle_table::{SharedStepColumns, STEP_COLUMNS};
///
/// let row: Vec<u32> = (0..STEP_COLUMNS as u32).collect();
/// let cols: &SharedStepColumns<u32> = row.as_slice().borrow();
/// assert_eq!((cols.bit, cols.level, cols.provide), (8, 9, 12));
/// assert_eq!((cols.sibling[0], cols.provided_right), (13, 22));
/// ```
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SharedStepColumns<T> {
    /// The climbing digest: input ports 0 and 1, four lanes each.
    pub digest: [T; DIGEST],
    /// The direction bit: input port 2.
    pub bit: T,
    /// The output's level on the node bus: input port 3.
    pub level: T,
    /// The output's position at its level: input port 4.
    pub position: T,
    /// 1 when the row reads its output from the node bus: input port 5.
    pub consume: T,
    /// 1 when the row may provide its inputs as nodes: input port 6.
    pub provide: T,
    /// The sibling digest, private.
    pub sibling: [T; DIGEST],
    /// How often the left input is provided as `(level + 1, 2·position)`.
    pub provided_left: T,
    /// How often the right input is provided as `(level + 1, 2·position + 1)`.
    pub provided_right: T,
}

lane_columns!(SharedStepColumns, STEP_COLUMNS);

/// Columns of the input ports: the first of [`SharedStepColumns`], up to the sibling.
const PORT_COLUMNS: usize = std::mem::offset_of!(SharedStepColumns<u8>, sibling);

/// Body columns before the permutation's: the sibling and the multiplicities.
const OWN_COLUMNS: usize = STEP_COLUMNS - PORT_COLUMNS;

/// What port `port` carries: the digests are packed, the other inputs base values.
pub fn port_values(port: usize) -> PortValues {
    if (PACKED_DIGEST..INPUTS).contains(&port) {
        PortValues::Base
    } else {
        PortValues::Extension
    }
}

/// The body column of port `port`: the outputs are the permutation's first output lanes.
pub fn port_alias<V: FieldFamily>(port: usize) -> Option<usize> {
    let output = port.checked_sub(INPUTS)?;
    Some(OWN_COLUMNS + V::poseidon2().output_column() + output * LANES)
}

/// The body's columns: the sibling, the multiplicities and the permutation's.
pub const fn extra_columns<V: FieldFamily>() -> usize {
    OWN_COLUMNS + columns::<V>()
}

/// Writes the sibling, the multiplicities and the permutation of the ordered pair.
pub(super) fn fill<V: FieldFamily>(inputs: &[&[V]], private: &[&[V]], extra: &mut [V]) {
    let digest: Vec<V> = (0..DIGEST).map(|j| lane(inputs, j, true)).collect();
    let sibling: Vec<V> = (0..DIGEST).map(|j| lane(private, j, true)).collect();
    let (own, permutation) = extra.split_at_mut(OWN_COLUMNS);
    own[..DIGEST].copy_from_slice(&sibling);
    own[DIGEST] = private[PACKED_DIGEST][0];
    own[DIGEST + 1] = private[PACKED_DIGEST + 1][0];
    let bit = inputs[PACKED_DIGEST][0];
    V::poseidon2().fill(merkle_table::state(&digest, &sibling, bit), permutation);
}

/// A padding row: a zero sibling, no multiplicity, and the permutation of zero.
pub(super) fn fill_padding<V: FieldFamily>(extra: &mut [V]) {
    let (own, permutation) = extra.split_at_mut(OWN_COLUMNS);
    own.fill(V::ZERO);
    V::poseidon2().fill([V::ZERO; WIDTH], permutation);
}

/// The constraints and the node-bus interactions (see the module docs) of a row whose
/// input ports are `inputs`, output ports `outputs` and body `extra`.
pub(super) fn eval<V: FieldFamily, AB: InteractionBuilder<F = V>>(
    builder: &mut AB,
    active: AB::Expr,
    inputs: &[&[AB::Expr]],
    outputs: &[&[AB::Expr]],
    extra: &[AB::Expr],
) {
    let row: Vec<AB::Expr> = inputs
        .iter()
        .flat_map(|port| port.iter().cloned())
        .chain(extra[..OWN_COLUMNS].iter().cloned())
        .collect();
    let cols: &SharedStepColumns<AB::Expr> = row.as_slice().borrow();
    let body = V::poseidon2();
    body.eval(builder, STEP_COLUMNS);
    let permuted = &extra[OWN_COLUMNS + body.input_column()..][..WIDTH];
    merkle_table::assert_ordered_pair(builder, &cols.bit, &cols.digest, &cols.sibling, permuted);

    let provide = cols.provide.clone();
    builder.assert_bool(cols.consume.clone());
    builder.assert_bool(provide.clone());
    builder.assert_zero((AB::Expr::ONE - active) * provide.clone());
    let not_provider = AB::Expr::ONE - provide;
    builder.assert_zero(cols.provided_left.clone() * not_provider.clone());
    builder.assert_zero(cols.provided_right.clone() * not_provider);

    let bus = LookupBus::new(NODE_BUS);
    let out = (0..DIGEST).map(|j| lane(outputs, j, true));
    let read: Vec<AB::Expr> = [cols.level.clone(), cols.position.clone()]
        .into_iter()
        .chain(out)
        .collect();
    bus.lookup_key(builder, read, Count::bounded(cols.consume.clone(), 1));
    let child_level = cols.level.clone() + AB::Expr::ONE;
    let left_position = cols.position.clone() * AB::Expr::TWO;
    for (side, (position, provided)) in [
        (left_position.clone(), &cols.provided_left),
        (left_position + AB::Expr::ONE, &cols.provided_right),
    ]
    .into_iter()
    .enumerate()
    {
        let message: Vec<AB::Expr> = [child_level.clone(), position]
            .into_iter()
            .chain(permuted[side * DIGEST..][..DIGEST].iter().cloned())
            .collect();
        bus.table_entry(builder, message, provided.clone());
    }
}

#[cfg(test)]
mod tests {
    use std::mem::offset_of;

    use p3_koala_bear::KoalaBear;

    use super::{STEP_COLUMNS, SharedStepColumns};
    use crate::family::{FieldFamily, Poseidon2Body};
    use crate::npo::NpoAir;
    use crate::plan::BusLayout;
    use crate::poseidon2::{LANES, Table, columns};

    /// The struct's fields are the columns `NpoAir` gives the ports, and the outputs are
    /// the permutation's first output lanes, past the struct.
    #[test]
    fn the_typed_columns_are_the_rows_layout() {
        let air = NpoAir::<KoalaBear, Table> {
            table: Table::SharedMerkleStep,
            entries: 0,
            log_height: 0,
            bus: BusLayout::Virtual,
            preprocessed: None,
        };
        let digest = offset_of!(SharedStepColumns<u8>, digest);
        let base = |field: usize| field..field + 1;
        let output = STEP_COLUMNS + <KoalaBear as FieldFamily>::poseidon2().output_column();
        assert_eq!(
            air.port_ranges(),
            [
                digest..digest + LANES,
                digest + LANES..digest + 2 * LANES,
                base(offset_of!(SharedStepColumns<u8>, bit)),
                base(offset_of!(SharedStepColumns<u8>, level)),
                base(offset_of!(SharedStepColumns<u8>, position)),
                base(offset_of!(SharedStepColumns<u8>, consume)),
                base(offset_of!(SharedStepColumns<u8>, provide)),
                output..output + LANES,
                output + LANES..output + 2 * LANES,
            ]
        );
        assert_eq!(air.main_columns(), STEP_COLUMNS + columns::<KoalaBear>());
        assert_eq!(
            offset_of!(SharedStepColumns<u8>, sibling),
            air.port_columns()
        );
    }
}
