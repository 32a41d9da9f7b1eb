//! What every table of the family shares: the kind ids, the permutation's widths in lanes
//! and in packed slots, its column count, and the lanes of a port. A leaf: the tables and
//! the gadgets read it, and it reads none of them.

use fixpoint_circuit::NpoKind;

use crate::config::D;
use crate::family::{FieldFamily, Poseidon2Body};

/// The kind id of the width-16 Poseidon2 permutation, one lane per slot ([`permute`](super::permute)).
pub const POSEIDON2_16: NpoKind = NpoKind(1);
/// The kind id of one Merkle level on packed digests ([`merkle_step`](super::merkle_step)).
pub const MERKLE_STEP: NpoKind = NpoKind(2);
/// The kind id of the width-16 Poseidon2 permutation, four lanes per slot
/// ([`permute_packed`](super::permute_packed)).
pub const POSEIDON2_16_PACKED: NpoKind = NpoKind(3);
/// The kind id of packing four base values into one slot ([`pack`](super::pack)); [`unpack`](super::unpack) is a
/// `PACK` row too. (Id 5 was a separate unpacking kind, with a table of its own; it is
/// retired.)
pub const PACK: NpoKind = NpoKind(4);
/// The kind id of one Merkle level that can read and provide shared nodes
/// ([`shared_merkle_step`](super::shared_merkle_step)). (Id 6 is
/// [`HORNER`](crate::horner::HORNER).)
pub const MERKLE_SHARED: NpoKind = NpoKind(7);

/// Width of the permutation, in lanes.
pub const WIDTH: usize = 16;
/// Digest length of the sponge and of 2-to-1 compression, in lanes.
pub const DIGEST: usize = 8;
/// Lanes per packed slot.
pub const LANES: usize = D;
/// Width of the permutation, in packed slots.
pub const PACKED_WIDTH: usize = WIDTH / LANES;
/// A digest, in packed slots.
pub const PACKED_DIGEST: usize = DIGEST / LANES;

/// The columns of one permutation in `p3-poseidon2-air` over family `V`.
pub const fn columns<V: FieldFamily>() -> usize {
    <V::Poseidon2 as Poseidon2Body<V>>::COLUMNS
}

/// Port `i`'s lane `k` (inputs or outputs): `k`-th coordinate of a packed port, or the only
/// one of a base port.
pub(super) fn lane<T: Clone>(ports: &[&[T]], lane: usize, packed: bool) -> T {
    if packed {
        ports[lane / LANES][lane % LANES].clone()
    } else {
        ports[lane][0].clone()
    }
}
