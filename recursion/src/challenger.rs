//! p3 0.8's `DuplexChallenger<F, Poseidon2, 16, 8>` as a circuit.
//!
//! The semantics, exactly as the native challenger:
//! - the state is 16 base lanes, zero at the start; the rate is lanes 0..8;
//! - `observe` clears the output buffer and buffers one value; 8 buffered values duplex;
//! - duplexing with `k > 0` buffered values **overwrites** lanes `0..k`, zeroes lanes
//!   `k..8`, adds `k` to lane 8 (the length tag) and permutes; with `k = 0` it only
//!   permutes; either way the output buffer becomes lanes `0..8`;
//! - a sample duplexes first if values are buffered or the output buffer is empty, then
//!   **pops from the end** of the output buffer (lane 7 first);
//! - an extension sample is 4 base samples, coefficient 0 first;
//! - `sample_bits(b)` keeps the low `b` bits of a sample's **canonical** decomposition;
//! - `check_witness(b, w)` observes `w` and requires `b` sampled zero bits; with `b = 0` it
//!   absorbs nothing and `w` must be 0.
//!
//! The state lives in packed slots (four lanes each, see
//! [`fixpoint_circuit_prover::poseidon2`]), so each duplex is one packed permutation.
//! Buffered values cost nothing until a permutation needs them: four lanes that are the
//! coordinates of one observed extension value are that value's own slot, four constant
//! lanes are one constant, and anything else is one `PACK` row. A sampled lane costs one
//! `PACK` row per output slot ([`poseidon2::unpack`]), shared by the four lanes of the
//! slot.

use std::collections::HashMap;

use fixpoint_circuit::{CircuitBuilder, CircuitField, Target};
use fixpoint_circuit_prover::merkle;
use fixpoint_circuit_prover::poseidon2::{self, LANES, PACKED_WIDTH};
use p3_field::{PrimeCharacteristicRing, PrimeField64};
use thiserror::Error;

use crate::transcript::{Lane, TranscriptEvent, TranscriptOp};

/// The rate of the duplex sponge, in lanes.
pub const RATE: usize = 8;

/// Requests the challenger refuses.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ChallengerError {
    /// `sample_bits` for more bits than a canonical sample can give uniformly (p3 asserts
    /// `2^bits < p`).
    #[error("cannot sample {bits} bits from a field of {field_bits} bits (need 2^bits < p)")]
    TooManyBits {
        /// Bits requested.
        bits: usize,
        /// Bits of the field's order.
        field_bits: usize,
    },
}

/// The in-circuit duplex challenger. Every method takes the builder that emits its ops.
///
/// ```
/// use fixpoint_circuit::CircuitBuilder;
/// use fixpoint_circuit_prover::KoalaBearExt as F;
/// use fixpoint_recursion::CircuitChallenger;
///
/// let mut b = CircuitBuilder::<F>::new();
/// let mut challenger = CircuitChallenger::new(&mut b);
/// let value = b.public_input();
/// challenger.observe(&mut b, value);
/// let alpha = challenger.sample_ext(&mut b);
/// let index_bits = challenger.sample_bits(&mut b, 10)?;
/// assert_eq!(index_bits.len(), 10);
/// assert_eq!(challenger.permutations(), 1);
/// # let _ = alpha;
/// # Ok::<(), fixpoint_recursion::ChallengerError>(())
/// ```
#[derive(Clone, Debug)]
pub struct CircuitChallenger<F: CircuitField> {
    /// The sponge state, four lanes per slot.
    state: [Target; PACKED_WIDTH],
    /// Observed lanes not yet absorbed.
    input: Vec<Lane<F::PrimeSubfield>>,
    /// The last permutation's rate lanes not yet sampled; samples pop the last.
    output: Vec<Lane<F::PrimeSubfield>>,
    /// Base slots of unpacked output slots.
    unpacked: HashMap<Target, [Target; LANES]>,
    /// Permutations emitted so far.
    permutations: usize,
    /// Every base observe and sample, in order, for the shadow transcript.
    transcript: Vec<TranscriptEvent<F::PrimeSubfield>>,
}

impl<F: CircuitField> CircuitChallenger<F>
where
    F::PrimeSubfield: PrimeField64,
{
    /// A fresh challenger: the zero state.
    pub fn new(builder: &mut CircuitBuilder<F>) -> Self {
        let zero = builder.zero();
        CircuitChallenger {
            state: [zero; PACKED_WIDTH],
            input: Vec::new(),
            output: Vec::new(),
            unpacked: HashMap::new(),
            permutations: 0,
            transcript: Vec::new(),
        }
    }

    /// Permutations emitted so far (one Poseidon2 row each).
    pub fn permutations(&self) -> usize {
        self.permutations
    }

    /// Every base-field observe and sample so far, in order (see
    /// [`crate::transcript::compare`]).
    pub fn transcript(&self) -> &[TranscriptEvent<F::PrimeSubfield>] {
        &self.transcript
    }

    /// Observes a base-field value (its slot must hold a base value: the `PACK` row that
    /// absorbs it reads it through a base port).
    pub fn observe(&mut self, builder: &mut CircuitBuilder<F>, value: Target) {
        self.absorb(builder, Lane::Slot(value));
    }

    /// Observes a constant, e.g. a domain-separator element: free until its permutation.
    pub fn observe_const(&mut self, builder: &mut CircuitBuilder<F>, value: F::PrimeSubfield) {
        self.absorb(builder, Lane::Const(value));
    }

    /// Observes an extension value as p3's `observe_algebra_element` does: its `D`
    /// coefficients, lowest first.
    pub fn observe_ext(&mut self, builder: &mut CircuitBuilder<F>, value: Target) {
        for k in 0..LANES {
            self.absorb(builder, Lane::Coord(value, k));
        }
    }

    /// Observes a packed digest (8 lanes in 2 slots), e.g. a Merkle root.
    pub fn observe_digest(&mut self, builder: &mut CircuitBuilder<F>, digest: &[Target]) {
        for &slot in digest {
            self.observe_ext(builder, slot);
        }
    }

    /// Observes a Merkle cap: every root in order, as p3's `observe(&MerkleCap)`.
    pub fn observe_cap(&mut self, builder: &mut CircuitBuilder<F>, roots: &[merkle::Digest]) {
        for root in roots {
            self.observe_digest(builder, root);
        }
    }

    /// Samples a base-field value (in a slot of its own).
    pub fn sample(&mut self, builder: &mut CircuitBuilder<F>) -> Target {
        let lane = self.sample_lane(builder);
        self.lane_slot(builder, lane)
    }

    /// Samples an extension value: 4 base samples, coefficient 0 first.
    pub fn sample_ext(&mut self, builder: &mut CircuitBuilder<F>) -> Target {
        let lanes: [Lane<F::PrimeSubfield>; LANES] =
            std::array::from_fn(|_| self.sample_lane(builder));
        self.pack(builder, lanes)
    }

    /// The low `bits` bits of a sample, least significant first, from its canonical
    /// decomposition (a non-canonical one is rejected by the circuit).
    pub fn sample_bits(
        &mut self,
        builder: &mut CircuitBuilder<F>,
        bits: usize,
    ) -> Result<Vec<Target>, ChallengerError> {
        let order = F::PrimeSubfield::ORDER_U64;
        let field_bits = (64 - order.leading_zeros()) as usize;
        if bits >= 64 || (1u64 << bits) >= order {
            return Err(ChallengerError::TooManyBits { bits, field_bits });
        }
        let sample = self.sample(builder);
        let mut decomposition = builder.to_bits_canonical(sample);
        decomposition.truncate(bits);
        Ok(decomposition)
    }

    /// p3's `check_witness(bits, witness)`: observe the witness and require `bits` zero
    /// bits from the next sample. With `bits = 0` nothing is absorbed and the witness must
    /// be 0.
    pub fn check_witness(
        &mut self,
        builder: &mut CircuitBuilder<F>,
        bits: usize,
        witness: Target,
    ) -> Result<(), ChallengerError> {
        if bits == 0 {
            builder.assert_zero(witness);
            return Ok(());
        }
        self.observe(builder, witness);
        for bit in self.sample_bits(builder, bits)? {
            builder.assert_zero(bit);
        }
        Ok(())
    }

    fn absorb(&mut self, builder: &mut CircuitBuilder<F>, lane: Lane<F::PrimeSubfield>) {
        self.record(builder, TranscriptOp::Observe, lane);
        self.output.clear();
        self.input.push(lane);
        if self.input.len() == RATE {
            self.duplex(builder);
        }
    }

    fn sample_lane(&mut self, builder: &mut CircuitBuilder<F>) -> Lane<F::PrimeSubfield> {
        if !self.input.is_empty() || self.output.is_empty() {
            self.duplex(builder);
        }
        let lane = self.output.pop().expect("a duplex fills the output buffer");
        self.record(builder, TranscriptOp::Sample, lane);
        lane
    }

    fn record(
        &mut self,
        builder: &CircuitBuilder<F>,
        op: TranscriptOp,
        lane: Lane<F::PrimeSubfield>,
    ) {
        self.transcript.push(TranscriptEvent {
            op,
            lane,
            scope: builder.current_scope().to_owned(),
        });
    }

    fn duplex(&mut self, builder: &mut CircuitBuilder<F>) {
        let absorbed = self.input.len();
        if absorbed > 0 {
            let zero = Lane::Const(F::PrimeSubfield::ZERO);
            let mut rate = std::mem::take(&mut self.input);
            rate.resize(RATE, zero);
            for (slot, lanes) in rate.chunks(LANES).enumerate() {
                let lanes = std::array::from_fn(|k| lanes[k]);
                self.state[slot] = self.pack(builder, lanes);
            }
            let tag = builder.define_const(F::from_u8(absorbed as u8));
            let capacity = RATE / LANES;
            self.state[capacity] = builder.add(self.state[capacity], tag);
        }
        self.state = poseidon2::permute_packed(builder, &self.state);
        self.permutations += 1;
        self.output = (0..RATE)
            .map(|lane| Lane::Coord(self.state[lane / LANES], lane % LANES))
            .collect();
    }

    /// One slot holding four lanes: an observed slot itself when the lanes are its
    /// coordinates in order, a constant when they are constants, else a `PACK` row.
    fn pack(
        &mut self,
        builder: &mut CircuitBuilder<F>,
        lanes: [Lane<F::PrimeSubfield>; LANES],
    ) -> Target {
        if let Lane::Coord(slot, 0) = lanes[0]
            && (1..LANES).all(|k| lanes[k] == Lane::Coord(slot, k))
        {
            return slot;
        }
        if let Some(values) = lanes
            .iter()
            .map(|lane| match lane {
                Lane::Const(v) => Some(*v),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
        {
            return builder.define_const(F::from_basis_coefficients_fn(|k| values[k]));
        }
        let slots = std::array::from_fn(|k| self.lane_slot(builder, lanes[k]));
        poseidon2::pack(builder, &slots)
    }

    /// The lane in a base slot of its own.
    fn lane_slot(
        &mut self,
        builder: &mut CircuitBuilder<F>,
        lane: Lane<F::PrimeSubfield>,
    ) -> Target {
        match lane {
            Lane::Slot(target) => target,
            Lane::Const(value) => builder.define_const(F::from_prime_subfield(value)),
            Lane::Coord(slot, k) => {
                let lanes = *self
                    .unpacked
                    .entry(slot)
                    .or_insert_with(|| poseidon2::unpack(builder, slot));
                lanes[k]
            }
        }
    }
}
