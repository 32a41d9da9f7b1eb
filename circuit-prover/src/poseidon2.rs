//! The Poseidon2 permutation (width 16) as a non-primitive op, with p3's published default
//! constants — the permutation of the prover's own Merkle trees and challenger, so a
//! circuit hashes exactly as `p3_merkle_tree` and `DuplexChallenger` do natively.
//!
//! One permutation per row, no chaining yet: the 16 inputs and 16 outputs are ports (one
//! base value per extension-field slot, coordinates 1..3 pinned to zero), and the body is
//! `p3-poseidon2-air`'s columns and constraints, tied to the ports.

use std::borrow::Borrow;
use std::sync::LazyLock;

use fixpoint_circuit::{CircuitBuilder, NpoKind, Target};
use p3_field::{BasedVectorSpace, Field, PrimeCharacteristicRing};
use p3_lookup::InteractionBuilder;
use p3_poseidon2_air::{
    Poseidon2Air, Poseidon2Cols, RoundConstants, generate_trace_rows, num_cols,
};
use p3_symmetric::Permutation;
use p3_uni_stark::SubAirBuilder;
use serde::{Deserialize, Serialize};

use crate::config::D;
use crate::npo::NpoTable;

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

            /// The runner's executor: the native permutation, p3's default constants.
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

            /// The permutation table.
            #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
            pub struct Table;

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

            impl NpoTable<$val> for Table {
                fn kind(&self) -> NpoKind {
                    POSEIDON2_16
                }
                fn num_inputs(&self) -> usize {
                    WIDTH
                }
                fn num_outputs(&self) -> usize {
                    WIDTH
                }
                fn extra_columns(&self) -> usize {
                    COLUMNS
                }
                fn fill_extra(
                    &self,
                    inputs: &[&[$val]],
                    _: &[&[$val]],
                    _: &[&[$val]],
                    extra: &mut [$val],
                ) {
                    rows(std::array::from_fn(|i| inputs[i][0]), extra);
                }
                fn fill_padding(&self, extra: &mut [$val]) {
                    // Padding rows hold a real permutation (of zero): the sub-AIR's
                    // constraints hold on every row.
                    rows([<$val>::ZERO; WIDTH], extra);
                }
                fn eval<AB: InteractionBuilder<F = $val>>(
                    &self,
                    builder: &mut AB,
                    active: AB::Expr,
                    inputs: &[&[AB::Expr]],
                    outputs: &[&[AB::Expr]],
                    extra: &[AB::Expr],
                ) {
                    let start = 2 * WIDTH * D;
                    {
                        let mut sub =
                            SubAirBuilder::<AB, Air, AB::Var>::new(builder, start..start + COLUMNS);
                        p3_air::Air::eval(&*AIR, &mut sub);
                    }
                    let cols: &Cols<AB::Expr> = extra[..COLUMNS].borrow();
                    let last = &cols.ending_full_rounds[$half - 1].post;
                    for j in 0..WIDTH {
                        // One base value per slot: the higher coordinates are zero.
                        for k in 1..D {
                            builder.assert_zero(inputs[j][k].clone());
                            builder.assert_zero(outputs[j][k].clone());
                        }
                        builder.assert_eq(inputs[j][0].clone(), cols.inputs[j].clone());
                        builder.assert_zero(
                            active.clone() * (outputs[j][0].clone() - last[j].clone()),
                        );
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
