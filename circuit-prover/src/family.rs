//! Field families: everything fixpoint chooses per base field, named in one trait.
//!
//! A [`FieldFamily`] is a base field together with its degree-[`D`] extension ([`Ext`]),
//! its width-16 Poseidon2 permutation and that permutation's AIR (S-box degree, round
//! counts and round constants), the STARK configuration built on them ([`Stark`]) and the
//! [`FieldTag`] of its files. Code generic over `F: FieldFamily` replaces one copy of the
//! code per field: [`ProverConfig::new`], the [`CircuitStark`](crate::CircuitStark) impl,
//! [`poseidon2::register_executors`](crate::poseidon2::register_executors) and the
//! Poseidon2 [`Table`](crate::poseidon2::Table).
//!
//! ```
//! use fixpoint_circuit_prover::family::{Ext, FieldFamily, Stark};
//! use fixpoint_circuit_prover::{FriSettings, KoalaBear, ProverConfig};
//!
//! fn config<F: FieldFamily>() -> ProverConfig<Stark<F>> {
//!     ProverConfig::new(FriSettings::TEST)
//! }
//! assert_eq!(config::<KoalaBear>().field, "KoalaBear");
//! assert_eq!(<KoalaBear as FieldFamily>::FIELD.name(), "KoalaBear");
//! # let _: Ext<KoalaBear> = Default::default();
//! ```

use std::borrow::Borrow;
use std::fmt::Debug;
use std::marker::PhantomData;
use std::sync::LazyLock;

use p3_air::AirBuilder;
/// The BabyBear field (p3's), a [`FieldFamily`].
pub use p3_baby_bear::BabyBear;
use p3_field::extension::{
    BinomialExtensionField, BinomiallyExtendable, HasTwoAdicBinomialExtension,
};
use p3_field::{Field, PrimeCharacteristicRing, PrimeField64, TwoAdicField};
/// The KoalaBear field (p3's), a [`FieldFamily`].
pub use p3_koala_bear::KoalaBear;
use p3_poseidon2::GenericPoseidon2LinearLayers;
use p3_poseidon2_air::{
    Poseidon2Air, Poseidon2Cols, RoundConstants, generate_trace_rows, num_cols,
};
use p3_symmetric::CryptographicPermutation;
use p3_uni_stark::SubAirBuilder;

use p3_challenger::DuplexChallenger;
use p3_commit::ExtensionMmcs;
use p3_dft::Radix2DitParallel;
use p3_fri::TwoAdicFriPcs;
use p3_symmetric::{PaddingFreeSponge, TruncatedPermutation};
use p3_uni_stark::StarkConfig;

use crate::config::{D, FriSettings, ProverConfig, StarkCfg, ValMmcs};
use crate::files::FieldTag;

/// Width of the Poseidon2 permutation, in lanes.
const WIDTH: usize = 16;

/// The circuit field of family `F`: the degree-[`D`] binomial extension, where witness
/// values live.
pub type Ext<F> = BinomialExtensionField<F, D>;

/// The STARK configuration of family `F`: FRI over `F` with Poseidon2 Merkle trees and a
/// Poseidon2 duplex challenger (see [`StarkCfg`]); built by [`ProverConfig::new`].
pub type Stark<F> = StarkCfg<F, <F as FieldFamily>::Permutation>;

/// A base field fixpoint proves over, and everything chosen with it.
///
/// The trait is implemented on the base field type itself ([`KoalaBear`], [`BabyBear`]),
/// not on a marker type: the extension ([`Ext<F>`]) and the STARK configuration
/// ([`Stark<F>`]) are type aliases of `F`, so a function taking a
/// `Runner<'_, Ext<F>>` or a `VerifyingKey<Stark<F>, _>` infers `F` from its argument, and
/// a caller names the family by the field it already imports (`recurse::<KoalaBear>`).
///
/// What differs between the fields is the Poseidon2 instance: its permutation
/// ([`Permutation`](Self::Permutation), p3's published default constants), and its AIR's
/// round structure, carried as const parameters of [`Poseidon2Rounds`] (KoalaBear: S-box
/// x³, no register, 4+4 full rounds, 20 partial; BabyBear: x⁷, one register, 4+4 full, 13
/// partial) with the matching round constants.
// The extension degree is written `4` rather than `D`: rustc does not elaborate a
// supertrait whose const argument is a named constant, and every bound needing it fails.
pub trait FieldFamily:
    PrimeField64
    + PrimeCharacteristicRing<PrimeSubfield = Self>
    + TwoAdicField
    + BinomiallyExtendable<4>
    + HasTwoAdicBinomialExtension<4>
{
    /// The field's tag in files; keys record its name.
    const FIELD: FieldTag;
    /// Poseidon2 of width 16 with p3's default constants: the permutation of the Merkle
    /// trees, the challenger and the Poseidon2 NPO tables.
    type Permutation: CryptographicPermutation<[Self; WIDTH]>
        + CryptographicPermutation<[<Self as Field>::Packing; WIDTH]>
        + Clone
        + Debug
        + Send
        + Sync
        + 'static;
    /// The Poseidon2 AIR and round constants of [`Permutation`](Self::Permutation): the
    /// body of the Poseidon2 NPO tables.
    type Poseidon2: Poseidon2Body<Self>;
    /// A new [`Permutation`](Self::Permutation).
    fn permutation() -> Self::Permutation;
    /// The Poseidon2 table body, built once.
    fn poseidon2() -> &'static Self::Poseidon2;
    /// The STARK configuration for `fri` (same as [`ProverConfig::new`]).
    fn config(fri: crate::FriSettings) -> ProverConfig<Stark<Self>> {
        ProverConfig::new(fri)
    }
}

/// One Poseidon2-16 permutation as table columns: what a Poseidon2 NPO table needs of
/// `p3-poseidon2-air`. Implemented by [`Poseidon2Rounds`] for every round structure.
pub trait Poseidon2Body<V: Field>: Send + Sync + 'static {
    /// Columns of one permutation.
    const COLUMNS: usize;
    /// The column of the permutation's first input lane; the 16 input lanes are adjacent.
    fn input_column(&self) -> usize;
    /// The column of the first output lane (the last full round's `post`); the 16 output
    /// lanes are adjacent.
    fn output_column(&self) -> usize;
    /// Writes the permutation of `state` into the first [`COLUMNS`](Self::COLUMNS) of `row`.
    fn fill(&self, state: [V; WIDTH], row: &mut [V]);
    /// The permutation's constraints on the builder's columns `start..start + COLUMNS`.
    fn eval<AB: AirBuilder<F = V>>(&self, builder: &mut AB, start: usize);
}

/// `p3-poseidon2-air`'s AIR of Poseidon2-16 with linear layers `L`, its round constants and
/// where its input and output lanes sit.
#[derive(Debug)]
pub struct Poseidon2Rounds<
    V: Field,
    L,
    const SBOX_DEGREE: u64,
    const SBOX_REGISTERS: usize,
    const HALF_FULL_ROUNDS: usize,
    const PARTIAL_ROUNDS: usize,
> {
    air: Poseidon2Air<V, L, WIDTH, SBOX_DEGREE, SBOX_REGISTERS, HALF_FULL_ROUNDS, PARTIAL_ROUNDS>,
    constants: RoundConstants<V, WIDTH, HALF_FULL_ROUNDS, PARTIAL_ROUNDS>,
    input_column: usize,
    output_column: usize,
    _layers: PhantomData<L>,
}

impl<
    V: Field,
    L,
    const SBOX_DEGREE: u64,
    const SBOX_REGISTERS: usize,
    const HALF_FULL_ROUNDS: usize,
    const PARTIAL_ROUNDS: usize,
> Poseidon2Rounds<V, L, SBOX_DEGREE, SBOX_REGISTERS, HALF_FULL_ROUNDS, PARTIAL_ROUNDS>
{
    /// The AIR with these round constants.
    pub fn new(constants: RoundConstants<V, WIDTH, HALF_FULL_ROUNDS, PARTIAL_ROUNDS>) -> Self {
        let columns =
            num_cols::<WIDTH, SBOX_DEGREE, SBOX_REGISTERS, HALF_FULL_ROUNDS, PARTIAL_ROUNDS>();
        let indices: Vec<usize> = (0..columns).collect();
        let cols: &Poseidon2Cols<
            usize,
            WIDTH,
            SBOX_DEGREE,
            SBOX_REGISTERS,
            HALF_FULL_ROUNDS,
            PARTIAL_ROUNDS,
        > = indices[..].borrow();
        Poseidon2Rounds {
            air: Poseidon2Air::new(constants.clone()),
            constants,
            input_column: cols.inputs[0],
            output_column: cols.ending_full_rounds[HALF_FULL_ROUNDS - 1].post[0],
            _layers: PhantomData,
        }
    }
}

impl<
    V: PrimeField64,
    L: GenericPoseidon2LinearLayers<WIDTH> + Send + Sync + 'static,
    const SBOX_DEGREE: u64,
    const SBOX_REGISTERS: usize,
    const HALF_FULL_ROUNDS: usize,
    const PARTIAL_ROUNDS: usize,
> Poseidon2Body<V>
    for Poseidon2Rounds<V, L, SBOX_DEGREE, SBOX_REGISTERS, HALF_FULL_ROUNDS, PARTIAL_ROUNDS>
{
    const COLUMNS: usize =
        num_cols::<WIDTH, SBOX_DEGREE, SBOX_REGISTERS, HALF_FULL_ROUNDS, PARTIAL_ROUNDS>();

    fn input_column(&self) -> usize {
        self.input_column
    }

    fn output_column(&self) -> usize {
        self.output_column
    }

    fn fill(&self, state: [V; WIDTH], row: &mut [V]) {
        let trace = generate_trace_rows::<
            V,
            L,
            WIDTH,
            SBOX_DEGREE,
            SBOX_REGISTERS,
            HALF_FULL_ROUNDS,
            PARTIAL_ROUNDS,
        >(vec![state], &self.constants, 0);
        row[..Self::COLUMNS].copy_from_slice(&trace.values[..Self::COLUMNS]);
    }

    fn eval<AB: AirBuilder<F = V>>(&self, builder: &mut AB, start: usize) {
        type Air<V, L, const S: u64, const R: usize, const H: usize, const P: usize> =
            Poseidon2Air<V, L, WIDTH, S, R, H, P>;
        let mut sub = SubAirBuilder::<
            AB,
            Air<V, L, SBOX_DEGREE, SBOX_REGISTERS, HALF_FULL_ROUNDS, PARTIAL_ROUNDS>,
            AB::Var,
        >::new(builder, start..start + Self::COLUMNS);
        p3_air::Air::eval(&self.air, &mut sub);
    }
}

/// KoalaBear's Poseidon2-16 table body: S-box x³, 4+4 full rounds, 20 partial.
pub type KoalaBearPoseidon2 =
    Poseidon2Rounds<KoalaBear, p3_koala_bear::GenericPoseidon2LinearLayersKoalaBear, 3, 0, 4, 20>;

/// BabyBear's Poseidon2-16 table body: S-box x⁷ with one register, 4+4 full rounds, 13
/// partial.
pub type BabyBearPoseidon2 =
    Poseidon2Rounds<BabyBear, p3_baby_bear::GenericPoseidon2LinearLayersBabyBear, 7, 1, 4, 13>;

impl FieldFamily for KoalaBear {
    const FIELD: FieldTag = FieldTag::KoalaBear;
    type Permutation = p3_koala_bear::Poseidon2KoalaBear<WIDTH>;
    type Poseidon2 = KoalaBearPoseidon2;

    fn permutation() -> Self::Permutation {
        p3_koala_bear::default_koalabear_poseidon2_16()
    }

    fn poseidon2() -> &'static Self::Poseidon2 {
        static BODY: LazyLock<KoalaBearPoseidon2> = LazyLock::new(|| {
            Poseidon2Rounds::new(RoundConstants::new(
                p3_koala_bear::KOALABEAR_POSEIDON2_RC_16_EXTERNAL_INITIAL,
                p3_koala_bear::KOALABEAR_POSEIDON2_RC_16_INTERNAL,
                p3_koala_bear::KOALABEAR_POSEIDON2_RC_16_EXTERNAL_FINAL,
            ))
        });
        &BODY
    }
}

impl FieldFamily for BabyBear {
    const FIELD: FieldTag = FieldTag::BabyBear;
    type Permutation = p3_baby_bear::Poseidon2BabyBear<WIDTH>;
    type Poseidon2 = BabyBearPoseidon2;

    fn permutation() -> Self::Permutation {
        p3_baby_bear::default_babybear_poseidon2_16()
    }

    fn poseidon2() -> &'static Self::Poseidon2 {
        static BODY: LazyLock<BabyBearPoseidon2> = LazyLock::new(|| {
            Poseidon2Rounds::new(RoundConstants::new(
                p3_baby_bear::BABYBEAR_POSEIDON2_RC_16_EXTERNAL_INITIAL,
                p3_baby_bear::BABYBEAR_POSEIDON2_RC_16_INTERNAL,
                p3_baby_bear::BABYBEAR_POSEIDON2_RC_16_EXTERNAL_FINAL,
            ))
        });
        &BODY
    }
}

/// KoalaBear with its degree-4 extension.
pub type KoalaBearStark = Stark<KoalaBear>;
/// BabyBear with its degree-4 extension.
pub type BabyBearStark = Stark<BabyBear>;
/// The circuit field for [`KoalaBearStark`]: witness values live here.
pub type KoalaBearExt = Ext<KoalaBear>;
/// The circuit field for [`BabyBearStark`].
pub type BabyBearExt = Ext<BabyBear>;

impl<F: FieldFamily> ProverConfig<Stark<F>> {
    /// The configuration of family `F` with the given FRI settings: Poseidon2 Merkle trees
    /// (cap height `fri.cap_height`, which setup demands be 0: a commitment is one root of 8
    /// elements) and a Poseidon2 duplex challenger, both with [`FieldFamily::permutation`].
    pub fn new(fri: FriSettings) -> Self {
        let perm = F::permutation();
        let hash = PaddingFreeSponge::new(perm.clone());
        let compress = TruncatedPermutation::new(perm.clone());
        let val_mmcs = ValMmcs::<F, _>::new(hash, compress, fri.cap_height);
        let challenge_mmcs = ExtensionMmcs::new(val_mmcs.clone());
        let pcs = TwoAdicFriPcs::new(
            Radix2DitParallel::default(),
            val_mmcs,
            fri.fri_parameters(challenge_mmcs),
        );
        let challenger = DuplexChallenger::new(perm);
        ProverConfig {
            stark: StarkConfig::new(pcs, challenger),
            fri,
            field: F::FIELD.name(),
        }
    }
}

impl ProverConfig<KoalaBearStark> {
    /// A KoalaBear configuration with the given FRI settings ([`ProverConfig::new`]).
    pub fn koala_bear(fri: FriSettings) -> Self {
        Self::new(fri)
    }
}

impl ProverConfig<BabyBearStark> {
    /// A BabyBear configuration with the given FRI settings ([`ProverConfig::new`]).
    pub fn baby_bear(fri: FriSettings) -> Self {
        Self::new(fri)
    }
}
