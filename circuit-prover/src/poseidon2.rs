//! The Poseidon2 permutation (width 16) as non-primitive ops, with p3's published default
//! constants — the permutation of the prover's own Merkle trees and challenger, so a
//! circuit hashes exactly as `p3_merkle_tree` and `DuplexChallenger` do natively.
//!
//! Two kinds, one table each, one permutation per row; the body of both is
//! `p3-poseidon2-air`'s columns and constraints, tied to the ports:
//! - [`POSEIDON2_16`] ([`permute`], and the sponge helpers [`hash_pad_free`] and
//!   [`compress`]): 16 input and 16 output ports;
//! - [`MERKLE_STEP`] ([`merkle_step`]): one Merkle level, 8 digest ports, a direction-bit
//!   port and 8 output ports, with the sibling as private data in 8 main columns. The
//!   table orders `(digest, sibling)` by the bit itself, so a level costs no primitive op.
//!
//! Lanes: one base value per extension-field slot, one column per port
//! ([`PortValues::Base`]: the bus message pins coordinates 1..3 to zero).

use std::borrow::Borrow;
use std::sync::LazyLock;

use fixpoint_circuit::{CircuitBuilder, NpoCallId, NpoKind, Target};
use p3_field::{BasedVectorSpace, Field, PrimeCharacteristicRing};
use p3_lookup::InteractionBuilder;
use p3_poseidon2_air::{
    Poseidon2Air, Poseidon2Cols, RoundConstants, generate_trace_rows, num_cols,
};
use p3_symmetric::Permutation;
use p3_uni_stark::SubAirBuilder;
use serde::{Deserialize, Serialize};

use crate::npo::{NpoTable, PortValues};

/// The kind id of the width-16 Poseidon2 permutation.
pub const POSEIDON2_16: NpoKind = NpoKind(1);

/// Width of the permutation.
pub const WIDTH: usize = 16;

/// Records one permutation of `inputs` (base-field values) and returns its outputs.
///
/// Register the field's executor on the runner ([`koala_bear::executor`] or
/// [`baby_bear::executor`]) and pass the field's table to
/// [`setup_with_npos`](crate::setup_with_npos).
pub fn permute<F: Field>(
    builder: &mut CircuitBuilder<F>,
    inputs: &[Target; WIDTH],
) -> [Target; WIDTH] {
    let call = builder.npo(POSEIDON2_16, inputs, WIDTH, 0);
    std::array::from_fn(|i| call.outputs[i])
}

/// Digest length of the sponge and of 2-to-1 compression.
pub const DIGEST: usize = 8;

/// Hashes `inputs` exactly as p3's `PaddingFreeSponge<Perm, 16, 8, 8>`: the state starts at
/// zero, each block of up to 8 inputs overwrites the rate and is permuted, and the first 8
/// elements of the final state are the digest (no padding: for fixed-length inputs).
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
/// `left ‖ right` and keep the first 8 elements.
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

/// The kind id of one Merkle level: 2-to-1 compression of a digest and a private sibling,
/// ordered by a direction bit (see [`merkle_step`]).
pub const MERKLE_STEP: NpoKind = NpoKind(2);

/// One Merkle level: `compress(digest, sibling)` when `bit = 0`, `compress(sibling, digest)`
/// when `bit = 1`, with the sibling given to the runner as the call's private data
/// ([`Runner::set_private_data`](fixpoint_circuit::Runner::set_private_data)).
///
/// The table constrains `bit` to be boolean, but it is the caller who ties it to what it
/// means: [`merkle::verify_batch`](crate::merkle::verify_batch) takes it from the bits of
/// the index.
pub fn merkle_step<F: Field>(
    builder: &mut CircuitBuilder<F>,
    digest: &[Target; DIGEST],
    bit: Target,
) -> (NpoCallId, [Target; DIGEST]) {
    let inputs: Vec<Target> = digest.iter().copied().chain([bit]).collect();
    let call = builder.npo(MERKLE_STEP, &inputs, DIGEST, DIGEST);
    (call.id, std::array::from_fn(|i| call.outputs[i]))
}

/// The permutation's input for a Merkle level: `digest ‖ sibling`, swapped when `bit = 1`.
fn merkle_state<V: Field>(digest: &[V], sibling: &[V], bit: V) -> [V; WIDTH] {
    std::array::from_fn(|i| {
        let (d, s) = (digest[i % DIGEST], sibling[i % DIGEST]);
        let swap = bit * (s - d);
        if i < DIGEST { d + swap } else { s - swap }
    })
}

macro_rules! poseidon2_field {
    (
        $module:ident, $doc:literal, $val:ty, $ext:ty, $layers:ty, $perm:path,
        $sbox:expr, $registers:expr, $half:expr, $partial:expr,
        $initial:path, $internal:path, $final:path
    ) => {
        #[doc = $doc]
        pub mod $module {
            use super::*;

            type Air = Poseidon2Air<$val, $layers, WIDTH, $sbox, $registers, $half, $partial>;
            type Cols<T> = Poseidon2Cols<T, WIDTH, $sbox, $registers, $half, $partial>;
            /// Columns of one permutation in `p3-poseidon2-air`.
            pub const COLUMNS: usize = num_cols::<WIDTH, $sbox, $registers, $half, $partial>();

            fn constants() -> RoundConstants<$val, WIDTH, $half, $partial> {
                RoundConstants::new($initial, $internal, $final)
            }

            static AIR: LazyLock<Air> = LazyLock::new(|| Air::new(constants()));
            static CONSTANTS: LazyLock<RoundConstants<$val, WIDTH, $half, $partial>> =
                LazyLock::new(constants);

            /// The base-field coordinates of 16 values, refusing non-base values.
            fn base_state(values: &[$ext]) -> Result<[$val; WIDTH], String> {
                let mut state = [<$val>::ZERO; WIDTH];
                for (cell, value) in state.iter_mut().zip(values) {
                    let coords: &[$val] = value.as_basis_coefficients_slice();
                    if coords[1..].iter().any(|c| !c.is_zero()) {
                        return Err(format!("{value} is not a base-field value"));
                    }
                    *cell = coords[0];
                }
                Ok(state)
            }

            /// The runner's executor for [`POSEIDON2_16`]: the native permutation, p3's
            /// default constants.
            pub fn executor() -> impl Fn(&[$ext], &[$ext]) -> Result<Vec<$ext>, String> {
                let perm = $perm();
                move |inputs, _| {
                    if inputs.len() != WIDTH {
                        return Err(format!("{} inputs, expected {WIDTH}", inputs.len()));
                    }
                    let state = perm.permute(base_state(inputs)?);
                    Ok(state.iter().map(|&v| <$ext>::from(v)).collect())
                }
            }

            /// The runner's executor for [`MERKLE_STEP`]: 2-to-1 compression of the
            /// digest and the private sibling, ordered by the direction bit.
            pub fn merkle_step_executor() -> impl Fn(&[$ext], &[$ext]) -> Result<Vec<$ext>, String>
            {
                let perm = $perm();
                move |inputs, private| {
                    if inputs.len() != DIGEST + 1 || private.len() != DIGEST {
                        return Err(format!(
                            "{} inputs and {} private values, expected {} and {DIGEST}",
                            inputs.len(),
                            private.len(),
                            DIGEST + 1
                        ));
                    }
                    let digest = base_state(&inputs[..DIGEST])?;
                    let sibling = base_state(private)?;
                    let bit = base_state(&inputs[DIGEST..])?[0];
                    if !bit.is_zero() && !bit.is_one() {
                        return Err(format!("direction bit {bit} is not 0 or 1"));
                    }
                    let state =
                        perm.permute(merkle_state(&digest[..DIGEST], &sibling[..DIGEST], bit));
                    Ok(state[..DIGEST].iter().map(|&v| <$ext>::from(v)).collect())
                }
            }

            /// The tables of this field's Poseidon2 ops: pass the ones the circuit uses to
            /// [`setup_with_npos`](crate::setup_with_npos).
            #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
            pub enum Table {
                /// [`POSEIDON2_16`]: 16 input and 16 output ports, then the permutation's
                /// columns.
                Permutation,
                /// [`MERKLE_STEP`]: 8 digest ports, the direction-bit port and 8 output
                /// ports; then the 8 private sibling columns and the permutation's columns.
                MerkleStep,
            }

            fn rows(state: [$val; WIDTH], extra: &mut [$val]) {
                let trace = generate_trace_rows::<
                    $val,
                    $layers,
                    WIDTH,
                    $sbox,
                    $registers,
                    $half,
                    $partial,
                >(vec![state], &CONSTANTS, 0);
                extra[..COLUMNS].copy_from_slice(&trace.values[..COLUMNS]);
            }

            impl Table {
                /// Columns between the ports and the permutation's columns.
                fn private_columns(&self) -> usize {
                    match self {
                        Table::Permutation => 0,
                        Table::MerkleStep => DIGEST,
                    }
                }
            }

            impl NpoTable<$val> for Table {
                fn kind(&self) -> NpoKind {
                    match self {
                        Table::Permutation => POSEIDON2_16,
                        Table::MerkleStep => MERKLE_STEP,
                    }
                }
                fn num_inputs(&self) -> usize {
                    match self {
                        Table::Permutation => WIDTH,
                        Table::MerkleStep => DIGEST + 1,
                    }
                }
                fn num_outputs(&self) -> usize {
                    match self {
                        Table::Permutation => WIDTH,
                        Table::MerkleStep => DIGEST,
                    }
                }
                fn port_values(&self) -> PortValues {
                    PortValues::Base
                }
                fn extra_columns(&self) -> usize {
                    self.private_columns() + COLUMNS
                }
                fn fill_extra(
                    &self,
                    inputs: &[&[$val]],
                    _: &[&[$val]],
                    private: &[&[$val]],
                    extra: &mut [$val],
                ) {
                    let state = match self {
                        Table::Permutation => std::array::from_fn(|i| inputs[i][0]),
                        Table::MerkleStep => {
                            let digest: Vec<$val> = inputs[..DIGEST].iter().map(|v| v[0]).collect();
                            let sibling: Vec<$val> = private.iter().map(|v| v[0]).collect();
                            extra[..DIGEST].copy_from_slice(&sibling);
                            merkle_state(&digest, &sibling, inputs[DIGEST][0])
                        }
                    };
                    rows(state, &mut extra[self.private_columns()..]);
                }
                fn fill_padding(&self, extra: &mut [$val]) {
                    // Padding rows hold a real permutation (of zero, sibling zero): the
                    // sub-AIR's constraints hold on every row.
                    rows([<$val>::ZERO; WIDTH], &mut extra[self.private_columns()..]);
                }
                fn eval<AB: InteractionBuilder<F = $val>>(
                    &self,
                    builder: &mut AB,
                    active: AB::Expr,
                    inputs: &[&[AB::Expr]],
                    outputs: &[&[AB::Expr]],
                    extra: &[AB::Expr],
                ) {
                    let ports = self.num_inputs() + self.num_outputs();
                    let start = ports + self.private_columns();
                    {
                        let mut sub =
                            SubAirBuilder::<AB, Air, AB::Var>::new(builder, start..start + COLUMNS);
                        p3_air::Air::eval(&*AIR, &mut sub);
                    }
                    let cols: &Cols<AB::Expr> = extra[self.private_columns()..][..COLUMNS].borrow();
                    match self {
                        Table::Permutation => {
                            for (input, col) in inputs.iter().zip(&cols.inputs) {
                                builder.assert_eq(input[0].clone(), col.clone());
                            }
                        }
                        Table::MerkleStep => {
                            // The bit orders (digest, sibling): left = d + b·(s − d),
                            // right = s − b·(s − d).
                            let bit = inputs[DIGEST][0].clone();
                            builder.assert_bool(bit.clone());
                            for j in 0..DIGEST {
                                let digest = inputs[j][0].clone();
                                let sibling = extra[j].clone();
                                let swap = bit.clone() * (sibling.clone() - digest.clone());
                                builder.assert_eq(cols.inputs[j].clone(), digest + swap.clone());
                                builder.assert_eq(cols.inputs[DIGEST + j].clone(), sibling - swap);
                            }
                        }
                    }
                    let last = &cols.ending_full_rounds[$half - 1].post;
                    for (output, col) in outputs.iter().zip(last) {
                        builder.assert_zero(active.clone() * (output[0].clone() - col.clone()));
                    }
                }
            }
        }
    };
}

poseidon2_field!(
    koala_bear,
    "Poseidon2-16 over KoalaBear (S-box x³, 4+4 full rounds, 20 partial).",
    p3_koala_bear::KoalaBear,
    crate::config::KoalaBearExt,
    p3_koala_bear::GenericPoseidon2LinearLayersKoalaBear,
    p3_koala_bear::default_koalabear_poseidon2_16,
    3,
    0,
    4,
    20,
    p3_koala_bear::KOALABEAR_POSEIDON2_RC_16_EXTERNAL_INITIAL,
    p3_koala_bear::KOALABEAR_POSEIDON2_RC_16_INTERNAL,
    p3_koala_bear::KOALABEAR_POSEIDON2_RC_16_EXTERNAL_FINAL
);

poseidon2_field!(
    baby_bear,
    "Poseidon2-16 over BabyBear (S-box x⁷ with one register, 4+4 full rounds, 13 partial).",
    p3_baby_bear::BabyBear,
    crate::config::BabyBearExt,
    p3_baby_bear::GenericPoseidon2LinearLayersBabyBear,
    p3_baby_bear::default_babybear_poseidon2_16,
    7,
    1,
    4,
    13,
    p3_baby_bear::BABYBEAR_POSEIDON2_RC_16_EXTERNAL_INITIAL,
    p3_baby_bear::BABYBEAR_POSEIDON2_RC_16_INTERNAL,
    p3_baby_bear::BABYBEAR_POSEIDON2_RC_16_EXTERNAL_FINAL
);
