//! The Poseidon2 permutation (width 16) as non-primitive ops, with p3's published default
//! constants — the permutation of the prover's own Merkle trees and challenger, so a
//! circuit hashes exactly as `p3_merkle_tree` and `DuplexChallenger` do natively.
//!
//! # Lanes and slots
//!
//! The permutation works on 16 base-field **lanes**; the circuit's witness slots hold
//! degree-4 extension values. Two layouts, measured (KoalaBear, 2^12 chained
//! permutations, `cargo bench --bench poseidon2`):
//!
//! | layout | kind | ports per permutation | bus interactions | Witness slots |
//! |---|---|---|---|---|
//! | one lane per slot | [`POSEIDON2_16`] | 32 base ports (1 lane each) | 32 | 32 |
//! | four lanes per slot | [`POSEIDON2_16_PACKED`] | 8 extension ports (4 lanes each) | 8 | 8 |
//!
//! Both take one row per permutation, and neither has port columns of its own: the ports
//! are the permutation's input and output lanes ([`NpoTable::port_alias`]). Packing cuts the bus
//! interactions, their LogUp columns and the Witness table's rows by 4. **Packed is the
//! layout of the hashing gadgets** ([`hash_pad_free_packed`], [`compress_packed`],
//! [`merkle_step`], and [`crate::merkle`]): digests, Merkle caps and extension-field values
//! are already four lanes per slot, and base values are packed with one [`PACK`] row per
//! four values (5 bus interactions, the price of 4 base ports). [`unpack`] gives each
//! lane of a slot its own slot, e.g. to sample base values, with a `PACK` row too.
//!
//! Lane `4·i + k` of a state is coordinate `k` (power basis) of slot `i`: an extension
//! element observed by p3's challenger (its coefficients, lowest first) is one slot.
//!
//! # Tables
//!
//! One table per kind ([`Table`], over any [`FieldFamily`]), one call per row, each laid
//! out in a module of its own: its ports, typed columns, filling and constraints
//! ([`permutation_table`], [`merkle_table`], [`pack_table`], and [`horner`]). The
//! permutation rows are `p3-poseidon2-air`'s columns and constraints (the family's
//! [`Poseidon2Body`](crate::family::Poseidon2Body)); the bus reads the inputs and outputs
//! where the permutation has them.
//! Rows do not chain: a sponge's next input is the previous output's own witness slot, so
//! binding it through the bus costs no extra Witness row, and a port is a column whether
//! a row reads it or not.

use fixpoint_circuit::{
    CircuitBuilder, CircuitField, ExecutorError, NpoCallId, NpoKind, Runner, Target,
};
use p3_field::{BasedVectorSpace, Field};
use p3_lookup::InteractionBuilder;
use p3_symmetric::Permutation;
use serde::{Deserialize, Serialize};

mod lanes;
pub mod merkle_table;
pub mod pack_table;
pub mod permutation_table;
pub mod shared_merkle_table;

pub use lanes::{
    DIGEST, LANES, MERKLE_SHARED, MERKLE_STEP, PACK, PACKED_DIGEST, PACKED_WIDTH, POSEIDON2_16,
    POSEIDON2_16_PACKED, WIDTH, columns,
};

use crate::config::D;
use crate::family::{Ext, FieldFamily};
use crate::horner;
use crate::npo::{NpoTable, PortValues};
use p3_field::extension::BinomiallyExtendable;

/// One permutation of 16 base values (one per slot); returns the 16 outputs.
///
/// Register the executors on the runner ([`register_executors`]) and pass the tables
/// ([`Table`]) to [`SetupOptions::with_npos`](crate::SetupOptions::with_npos).
pub fn permute<F: Field>(
    builder: &mut CircuitBuilder<F>,
    inputs: &[Target; WIDTH],
) -> [Target; WIDTH] {
    let call = builder.npo(POSEIDON2_16, inputs, WIDTH, 0);
    std::array::from_fn(|i| call.outputs[i])
}

/// One permutation of a packed state (four lanes per slot); returns the packed output.
pub fn permute_packed<F: Field>(
    builder: &mut CircuitBuilder<F>,
    inputs: &[Target; PACKED_WIDTH],
) -> [Target; PACKED_WIDTH] {
    let call = builder.npo(POSEIDON2_16_PACKED, inputs, PACKED_WIDTH, 0);
    std::array::from_fn(|i| call.outputs[i])
}

/// The slot holding four base values as its coordinates (`Σ lanes[k]·Xᵏ`). The table
/// reads each lane through a base-valued port, so the lanes are bound to the base field.
pub fn pack<F: Field>(builder: &mut CircuitBuilder<F>, lanes: &[Target; LANES]) -> Target {
    builder.npo(PACK, lanes, 1, 0).outputs[0]
}

/// The four coordinates of a slot, each in a slot of its own, bound to the base field: a
/// [`PACK`] row read backwards. The coordinates are advice (a `BaseCoeffs` hint) that the
/// row packs into `slot` itself, so unpacking needs no table of its own.
///
/// ```
/// use fixpoint_circuit::CircuitBuilder;
/// use fixpoint_circuit_prover::{KoalaBearExt as F, poseidon2};
/// use p3_field::PrimeCharacteristicRing;
///
/// let mut b = CircuitBuilder::<F>::new();
/// let slot = b.public_input();
/// let lanes = poseidon2::unpack(&mut b, slot);
/// lanes.iter().for_each(|&lane| b.expose(lane));
/// let circuit = b.build()?;
/// let kinds: Vec<_> = circuit.ops.iter().filter_map(|op| match op {
///     fixpoint_circuit::Op::Npo { kind, .. } => Some(*kind),
///     _ => None,
/// }).collect();
/// assert_eq!(kinds, [poseidon2::PACK]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn unpack<F: Field>(builder: &mut CircuitBuilder<F>, slot: Target) -> [Target; LANES] {
    // Vouched: the PACK row makes lane k coordinate k of `slot` (its constraint) and binds
    // each lane to the base field (its base-valued ports), so the lanes are unique.
    let coords = builder.hint_vouched(fixpoint_circuit::HintKind::BaseCoeffs, &[slot], LANES);
    let lanes: [Target; LANES] = std::array::from_fn(|k| coords[k]);
    let packed = pack(builder, &lanes);
    builder.connect(packed, slot);
    lanes
}

/// Hashes `inputs` exactly as p3's `PaddingFreeSponge<Perm, 16, 8, 8>`: the state starts at
/// zero, each block of up to 8 inputs overwrites the rate and is permuted, and the first 8
/// elements of the final state are the digest (no padding: for fixed-length inputs).
/// One lane per slot; see [`hash_pad_free_packed`] for the cheaper layout.
pub fn hash_pad_free<F: Field>(
    builder: &mut CircuitBuilder<F>,
    inputs: &[Target],
) -> [Target; DIGEST] {
    let zero = builder.zero();
    let mut state = [zero; WIDTH];
    for block in inputs.chunks(DIGEST) {
        state[..block.len()].copy_from_slice(block);
        state = permute(builder, &state);
    }
    std::array::from_fn(|i| state[i])
}

/// Compresses two digests exactly as p3's `TruncatedPermutation<Perm, 2, 8, 16>`: permute
/// `left ‖ right` and keep the first 8 elements. One lane per slot.
pub fn compress<F: Field>(
    builder: &mut CircuitBuilder<F>,
    left: &[Target; DIGEST],
    right: &[Target; DIGEST],
) -> [Target; DIGEST] {
    let state: [Target; WIDTH] = std::array::from_fn(|i| {
        if i < DIGEST {
            left[i]
        } else {
            right[i - DIGEST]
        }
    });
    let out = permute(builder, &state);
    std::array::from_fn(|i| out[i])
}

/// [`hash_pad_free`] of base values, on packed slots: returns the packed digest. Every four
/// inputs cost one [`PACK`] row; a block that ends inside a slot keeps that slot's other
/// lanes from the state, through one [`unpack`] (another `PACK` row).
pub fn hash_pad_free_packed<F: Field>(
    builder: &mut CircuitBuilder<F>,
    inputs: &[Target],
) -> [Target; PACKED_DIGEST] {
    let zero = builder.zero();
    let mut state = [zero; PACKED_WIDTH];
    for (i, block) in inputs.chunks(DIGEST).enumerate() {
        for (slot, lanes) in block.chunks(LANES).enumerate() {
            // The sponge overwrites only the lanes it absorbs; the state's other lanes
            // stay (zero before the first permutation).
            let mut kept = match i {
                0 => [zero; LANES],
                _ if lanes.len() == LANES => [zero; LANES],
                _ => unpack(builder, state[slot]),
            };
            kept[..lanes.len()].copy_from_slice(lanes);
            state[slot] = pack(builder, &kept);
        }
        state = permute_packed(builder, &state);
    }
    std::array::from_fn(|i| state[i])
}

/// [`hash_pad_free`] of the `4·slots.len() + tail.len()` base values of a packed row
/// ([`crate::merkle::PackedRow`]): each packed slot is absorbed as it is (no [`PACK`]
/// row), and only the tail, fewer than four values, is packed as in
/// [`hash_pad_free_packed`].
pub fn hash_packed_row<F: Field>(
    builder: &mut CircuitBuilder<F>,
    slots: &[Target],
    tail: &[Target],
) -> [Target; PACKED_DIGEST] {
    assert!(
        tail.len() < LANES,
        "a packed row's tail holds fewer than {LANES} values"
    );
    let zero = builder.zero();
    let mut state = [zero; PACKED_WIDTH];
    let items = slots.len() + usize::from(!tail.is_empty());
    for block in 0..items.div_ceil(PACKED_DIGEST) {
        for (position, cell) in state.iter_mut().take(PACKED_DIGEST).enumerate() {
            let item = block * PACKED_DIGEST + position;
            if item < slots.len() {
                *cell = slots[item];
            } else if item == slots.len() && !tail.is_empty() {
                // The sponge overwrites only the lanes it absorbs.
                let mut kept = match block {
                    0 => [zero; LANES],
                    _ => unpack(builder, *cell),
                };
                kept[..tail.len()].copy_from_slice(tail);
                *cell = pack(builder, &kept);
            }
        }
        state = permute_packed(builder, &state);
    }
    std::array::from_fn(|i| state[i])
}

/// [`hash_pad_free`] of the coefficients of extension values (each one packed slot, as
/// p3 flattens extension rows): no packing needed.
pub fn hash_slots_packed<F: Field>(
    builder: &mut CircuitBuilder<F>,
    slots: &[Target],
) -> [Target; PACKED_DIGEST] {
    let zero = builder.zero();
    let mut state = [zero; PACKED_WIDTH];
    for block in slots.chunks(PACKED_DIGEST) {
        state[..block.len()].copy_from_slice(block);
        state = permute_packed(builder, &state);
    }
    std::array::from_fn(|i| state[i])
}

/// [`compress`] on packed digests.
pub fn compress_packed<F: Field>(
    builder: &mut CircuitBuilder<F>,
    left: &[Target; PACKED_DIGEST],
    right: &[Target; PACKED_DIGEST],
) -> [Target; PACKED_DIGEST] {
    let state = [left[0], left[1], right[0], right[1]];
    let out = permute_packed(builder, &state);
    [out[0], out[1]]
}

/// One Merkle level on packed digests: `compress(digest, sibling)` when `bit = 0`,
/// `compress(sibling, digest)` when `bit = 1`. The sibling is the call's private data
/// (two packed slots, see [`Runner::set_private_data`]); the table orders the pair by the
/// bit itself, so a level costs one row and no primitive op.
///
/// The table constrains `bit` to be boolean, but it is the caller who ties it to what it
/// means: [`merkle::verify_batch`](crate::merkle::verify_batch) takes it from the bits of
/// the index.
pub fn merkle_step<F: Field>(
    builder: &mut CircuitBuilder<F>,
    digest: &[Target; PACKED_DIGEST],
    bit: Target,
) -> (NpoCallId, [Target; PACKED_DIGEST]) {
    let inputs = [digest[0], digest[1], bit];
    let call = builder.npo(MERKLE_STEP, &inputs, PACKED_DIGEST, PACKED_DIGEST);
    (call.id, [call.outputs[0], call.outputs[1]])
}

/// What a [`shared_merkle_step`] does on the node bus (see
/// [`shared_merkle_table`]): the level and position of its output, whether it reads its
/// output there (`consume`), and whether it may provide its inputs as that node's children
/// (`provide`). Each is a base value; `consume` and `provide` are 0 or 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodePorts {
    /// The output's level on the node bus.
    pub level: Target,
    /// The output's position at its level.
    pub position: Target,
    /// 1 when the row reads `(level, position, output)` once.
    pub consume: Target,
    /// 1 when the row may provide its inputs as `(level + 1, 2·position + side, input)`.
    pub provide: Target,
}

impl NodePorts {
    /// A row that neither reads nor provides a node: an ordinary Merkle level.
    pub fn none<F: Field>(builder: &mut CircuitBuilder<F>) -> Self {
        let zero = builder.zero();
        NodePorts {
            level: zero,
            position: zero,
            consume: zero,
            provide: zero,
        }
    }
}

/// [`merkle_step`] as a [`MERKLE_SHARED`] row: the same compression, plus what `node` says
/// on the node bus. Its private data is the sibling (two packed slots), then the two
/// multiplicities, zero unless `node.provide` is 1 ([`set_shared_private`]).
pub fn shared_merkle_step<F: Field>(
    builder: &mut CircuitBuilder<F>,
    digest: &[Target; PACKED_DIGEST],
    bit: Target,
    node: NodePorts,
) -> (NpoCallId, [Target; PACKED_DIGEST]) {
    let inputs = [
        digest[0],
        digest[1],
        bit,
        node.level,
        node.position,
        node.consume,
        node.provide,
    ];
    let call = builder.npo(
        MERKLE_SHARED,
        &inputs,
        PACKED_DIGEST,
        shared_merkle_table::PRIVATE,
    );
    (call.id, [call.outputs[0], call.outputs[1]])
}

/// Gives a [`shared_merkle_step`] call its sibling and how often it provides its left and
/// right inputs as nodes.
pub fn set_shared_private<F: CircuitField>(
    runner: &mut Runner<'_, F>,
    call: NpoCallId,
    sibling: &[F::PrimeSubfield; DIGEST],
    provided: [u64; 2],
) {
    let mut data = pack_values::<F>(sibling);
    data.extend(provided.map(F::from_u64));
    runner.set_private_data(call, data);
}

/// Packs base values into slots, four lanes each (the last slot zero-padded).
pub fn pack_values<F: CircuitField>(lanes: &[F::PrimeSubfield]) -> Vec<F> {
    from_lanes(lanes, LANES)
}

/// Gives a [`merkle_step`] call its sibling, a native digest.
pub fn set_sibling<F: CircuitField>(
    runner: &mut Runner<'_, F>,
    call: NpoCallId,
    sibling: &[F::PrimeSubfield; DIGEST],
) {
    runner.set_private_data(call, pack_values::<F>(sibling));
}

/// The lanes of `values`: their coordinates, `per_value` of each (1: one lane per slot, and
/// the other coordinates must be zero; `D`: packed). Refuses a value with more.
fn lanes<V: Field, E: BasedVectorSpace<V> + std::fmt::Display>(
    values: &[E],
    per_value: usize,
) -> Result<Vec<V>, ExecError> {
    let mut out = Vec::with_capacity(values.len() * per_value);
    for (index, value) in values.iter().enumerate() {
        let coords = value.as_basis_coefficients_slice();
        if coords.len() < per_value || coords[per_value..].iter().any(|c| !c.is_zero()) {
            return Err(ExecError::TooManyLanes {
                value: value.to_string(),
                index,
                lanes: per_value,
            });
        }
        out.extend_from_slice(&coords[..per_value]);
    }
    Ok(out)
}

/// Values from lanes, `per_value` lanes each.
fn from_lanes<V: Field, E: BasedVectorSpace<V>>(lanes: &[V], per_value: usize) -> Vec<E> {
    lanes
        .chunks(per_value)
        .map(|chunk| E::from_basis_coefficients_fn(|k| chunk.get(k).copied().unwrap_or_default()))
        .collect()
}

/// Registers the native semantics of every kind of [`Table`] on the runner, over family
/// `V` (inferred from the runner's field, [`Ext<V>`]): [`POSEIDON2_16`],
/// [`POSEIDON2_16_PACKED`], [`MERKLE_STEP`], [`PACK`] and [`HORNER`](horner::HORNER).
pub fn register_executors<V: FieldFamily>(runner: &mut Runner<'_, Ext<V>>) {
    let perm = V::permutation();
    let p = perm.clone();
    runner.register_npo(POSEIDON2_16, move |inputs, _| {
        count("inputs", WIDTH, inputs.len())?;
        let state: [V; WIDTH] = lanes_array(lanes::<V, Ext<V>>(inputs, 1)?);
        Ok(from_lanes(&p.permute(state), 1))
    });
    let p = perm.clone();
    runner.register_npo(POSEIDON2_16_PACKED, move |inputs, _| {
        count("inputs", PACKED_WIDTH, inputs.len())?;
        let state: [V; WIDTH] = lanes_array(lanes::<V, Ext<V>>(inputs, LANES)?);
        Ok(from_lanes(&p.permute(state), LANES))
    });
    let p = perm.clone();
    runner.register_npo(MERKLE_STEP, move |inputs, private| {
        count("inputs", PACKED_DIGEST + 1, inputs.len())?;
        count("private values", PACKED_DIGEST, private.len())?;
        let digest = lanes::<V, Ext<V>>(&inputs[..PACKED_DIGEST], LANES)?;
        let sibling = lanes::<V, Ext<V>>(private, LANES)?;
        let bit = lanes::<V, Ext<V>>(&inputs[PACKED_DIGEST..], 1)?[0];
        if !bit.is_zero() && !bit.is_one() {
            return Err(ExecError::DirectionBit {
                bit: bit.to_string(),
            }
            .into());
        }
        let state = p.permute(merkle_table::state(&digest, &sibling, bit));
        Ok(from_lanes(&state[..DIGEST], LANES))
    });
    runner.register_npo(MERKLE_SHARED, move |inputs, private| {
        count("inputs", shared_merkle_table::INPUTS, inputs.len())?;
        count(
            "private values",
            shared_merkle_table::PRIVATE,
            private.len(),
        )?;
        let digest = lanes::<V, Ext<V>>(&inputs[..PACKED_DIGEST], LANES)?;
        let sibling = lanes::<V, Ext<V>>(&private[..PACKED_DIGEST], LANES)?;
        let flags = lanes::<V, Ext<V>>(&inputs[PACKED_DIGEST..], 1)?;
        lanes::<V, Ext<V>>(&private[PACKED_DIGEST..], 1)?;
        let bit = flags[0];
        if !bit.is_zero() && !bit.is_one() {
            return Err(ExecError::DirectionBit {
                bit: bit.to_string(),
            }
            .into());
        }
        for (flag, value) in [("consume", flags[3]), ("provide", flags[4])] {
            if !value.is_zero() && !value.is_one() {
                return Err(ExecError::NodeFlag {
                    flag,
                    value: value.to_string(),
                }
                .into());
            }
        }
        let state = perm.permute(merkle_table::state(&digest, &sibling, bit));
        Ok(from_lanes(&state[..DIGEST], LANES))
    });
    runner.register_npo(PACK, |inputs, _| {
        count("inputs", LANES, inputs.len())?;
        Ok(from_lanes(&lanes::<V, Ext<V>>(inputs, 1)?, LANES))
    });
    runner.register_npo(horner::HORNER, |inputs, _| {
        count("inputs", horner::INPUTS, inputs.len())?;
        let w = <V as BinomiallyExtendable<D>>::W;
        Ok(vec![horner::evaluate_ext(
            inputs[0],
            inputs[1],
            &inputs[2..],
            w,
        )])
    });
}

/// Why a Poseidon2 executor refuses its inputs (the source of the runner's `NpoFailed`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExecError {
    /// Another number of inputs or private values than the kind takes.
    #[error("{got} {what}, expected {expected}")]
    Count {
        /// `"inputs"` or `"private values"`.
        what: &'static str,
        /// What the kind takes.
        expected: usize,
        /// What the op gave.
        got: usize,
    },
    /// A value with nonzero coordinates past the lanes its port holds.
    #[error("value {index} ({value}) has more than {lanes} lane(s)")]
    TooManyLanes {
        /// The value.
        value: String,
        /// Its position among the op's values.
        index: usize,
        /// The lanes its port holds (1: a base value; 4: packed).
        lanes: usize,
    },
    /// A Merkle step's direction bit that is neither 0 nor 1.
    #[error("direction bit {bit} is not 0 or 1")]
    DirectionBit {
        /// The bit's value.
        bit: String,
    },
    /// A shared Merkle step's `consume` or `provide` port that is neither 0 nor 1.
    #[error("the {flag} flag of a shared Merkle step is {value}, not 0 or 1")]
    NodeFlag {
        /// `"consume"` or `"provide"`.
        flag: &'static str,
        /// The flag's value.
        value: String,
    },
}

impl From<ExecError> for ExecutorError {
    fn from(error: ExecError) -> Self {
        ExecutorError::new(error)
    }
}

/// `got` values where the kind takes `expected`.
fn count(what: &'static str, expected: usize, got: usize) -> Result<(), ExecError> {
    if got == expected {
        Ok(())
    } else {
        Err(ExecError::Count {
            what,
            expected,
            got,
        })
    }
}

/// The permutation's state from exactly [`WIDTH`] lanes (the callers count them first).
fn lanes_array<V: Copy + Default>(lanes: Vec<V>) -> [V; WIDTH] {
    std::array::from_fn(|i| lanes.get(i).copied().unwrap_or_default())
}

/// The tables of this module's kinds, over any [`FieldFamily`] (the rows are the same;
/// the permutation's AIR is the family's): pass the ones the circuit uses (or
/// [`Table::ALL`]) to [`SetupOptions::with_npos`](crate::SetupOptions::with_npos).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Table {
    /// [`POSEIDON2_16`]: 16 base input and 16 base output ports, which are
    /// the permutation's own input and output lanes (see [`permutation_table`]).
    Permutation,
    /// [`POSEIDON2_16_PACKED`]: 4 input and 4 output ports of 4 lanes each,
    /// which are the permutation's own input and output lanes (see [`permutation_table`]).
    PackedPermutation,
    /// [`MERKLE_STEP`]: 2 packed digest ports and the base direction-bit port, the
    /// sibling, then the permutation's columns, whose first 8 output lanes are the 2
    /// packed output ports (see [`merkle_table`]).
    MerkleStep,
    /// [`PACK`]: 4 base input ports and one packed output port ([`pack`] and
    /// [`unpack`]; see [`pack_table`]).
    Pack,
    /// [`HORNER`](horner::HORNER): the accumulator, challenge and
    /// [`SLOTS`](horner::SLOTS) packed-slot input ports, the output port, and
    /// `α²` with the accumulators between the slots (see [`horner`]).
    Horner,
    /// [`MERKLE_SHARED`]: a [`Table::MerkleStep`] row with four more base input ports
    /// (level, position, consume, provide) and two private multiplicities, which reads
    /// and provides shared nodes on the node bus (see [`shared_merkle_table`]).
    SharedMerkleStep,
}

impl Table {
    /// Every table of this module.
    pub const ALL: [Table; 6] = [
        Table::Permutation,
        Table::PackedPermutation,
        Table::MerkleStep,
        Table::Pack,
        Table::Horner,
        Table::SharedMerkleStep,
    ];

    /// The kind this table proves ([`NpoTable::kind`]).
    pub fn kind(&self) -> NpoKind {
        match self {
            Table::Permutation => permutation_table::kind(false),
            Table::PackedPermutation => permutation_table::kind(true),
            Table::MerkleStep => merkle_table::KIND,
            Table::Pack => pack_table::KIND,
            Table::Horner => horner::HORNER,
            Table::SharedMerkleStep => shared_merkle_table::KIND,
        }
    }

    /// Inputs per call ([`NpoTable::num_inputs`]).
    pub fn num_inputs(&self) -> usize {
        match self {
            Table::Permutation => permutation_table::ports(false),
            Table::PackedPermutation => permutation_table::ports(true),
            Table::MerkleStep => merkle_table::INPUTS,
            Table::Pack => pack_table::INPUTS,
            Table::Horner => horner::INPUTS,
            Table::SharedMerkleStep => shared_merkle_table::INPUTS,
        }
    }

    /// Outputs per call ([`NpoTable::num_outputs`]).
    pub fn num_outputs(&self) -> usize {
        match self {
            Table::Permutation => permutation_table::ports(false),
            Table::PackedPermutation => permutation_table::ports(true),
            Table::MerkleStep => merkle_table::OUTPUTS,
            Table::Pack => pack_table::OUTPUTS,
            Table::Horner => horner::OUTPUTS,
            Table::SharedMerkleStep => shared_merkle_table::OUTPUTS,
        }
    }

    /// What port `port` carries ([`NpoTable::port_values`]).
    pub fn port_values(&self, port: usize) -> PortValues {
        match self {
            Table::Permutation => permutation_table::port_values(false),
            Table::PackedPermutation => permutation_table::port_values(true),
            Table::MerkleStep => merkle_table::port_values(port),
            Table::Pack => pack_table::port_values(port),
            Table::Horner => PortValues::Extension,
            Table::SharedMerkleStep => shared_merkle_table::port_values(port),
        }
    }
}

/// Each method dispatches to the table's module, where its layout, filling and
/// constraints are written once: [`permutation_table`], [`merkle_table`], [`pack_table`]
/// and [`horner`].
impl<V: FieldFamily> NpoTable<V> for Table {
    fn kind(&self) -> NpoKind {
        Table::kind(self)
    }
    fn num_inputs(&self) -> usize {
        Table::num_inputs(self)
    }
    fn num_outputs(&self) -> usize {
        Table::num_outputs(self)
    }
    fn port_values(&self, port: usize) -> PortValues {
        Table::port_values(self, port)
    }
    fn port_alias(&self, port: usize) -> Option<usize> {
        match self {
            Table::Permutation => Some(permutation_table::port_alias::<V>(false, port)),
            Table::PackedPermutation => Some(permutation_table::port_alias::<V>(true, port)),
            Table::MerkleStep => merkle_table::port_alias::<V>(port),
            Table::SharedMerkleStep => shared_merkle_table::port_alias::<V>(port),
            Table::Pack | Table::Horner => None,
        }
    }
    fn extra_columns(&self) -> usize {
        match self {
            Table::Permutation | Table::PackedPermutation => {
                permutation_table::extra_columns::<V>()
            }
            Table::MerkleStep => merkle_table::extra_columns::<V>(),
            Table::SharedMerkleStep => shared_merkle_table::extra_columns::<V>(),
            Table::Pack => 0,
            Table::Horner => horner::EXTRA_COLUMNS,
        }
    }
    fn fill_extra(&self, inputs: &[&[V]], _: &[&[V]], private: &[&[V]], extra: &mut [V]) {
        match self {
            Table::Permutation => permutation_table::fill(false, inputs, extra),
            Table::PackedPermutation => permutation_table::fill(true, inputs, extra),
            Table::MerkleStep => merkle_table::fill(inputs, private, extra),
            Table::SharedMerkleStep => shared_merkle_table::fill(inputs, private, extra),
            Table::Pack => {}
            Table::Horner => horner::fill(inputs, extra),
        }
    }
    fn fill_padding(&self, extra: &mut [V]) {
        // A permuting row pads with a real permutation (of zero, sibling zero), so the
        // sub-AIR's constraints hold on every row; Pack and Horner rows of zero hold theirs.
        match self {
            Table::Permutation | Table::PackedPermutation => permutation_table::fill_padding(extra),
            Table::MerkleStep => merkle_table::fill_padding(extra),
            Table::SharedMerkleStep => shared_merkle_table::fill_padding(extra),
            Table::Pack | Table::Horner => {}
        }
    }
    fn eval<AB: InteractionBuilder<F = V>>(
        &self,
        builder: &mut AB,
        active: AB::Expr,
        inputs: &[&[AB::Expr]],
        outputs: &[&[AB::Expr]],
        extra: &[AB::Expr],
    ) {
        match self {
            Table::Permutation | Table::PackedPermutation => {
                permutation_table::eval::<V, AB>(builder)
            }
            Table::MerkleStep => merkle_table::eval::<V, AB>(builder, inputs, extra),
            Table::SharedMerkleStep => {
                shared_merkle_table::eval::<V, AB>(builder, active, inputs, outputs, extra)
            }
            Table::Pack => pack_table::eval(builder, inputs, outputs),
            Table::Horner => horner::eval(builder, inputs, outputs, extra),
        }
    }
}
