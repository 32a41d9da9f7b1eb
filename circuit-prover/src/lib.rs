//! # fixpoint-circuit-prover
//!
//! Proves, with p3-batch-stark and p3-lookup's LogUp, that a circuit's [`Traces`] are a
//! valid execution of its [`Circuit`]: one STARK table per chip (Witness, Const, Public,
//! Add, Mul), every value read through one bus, every index and multiplicity preprocessed.
//!
//! ```
//! use fixpoint_circuit::CircuitBuilder;
//! use fixpoint_circuit_prover::{FriSettings, KoalaBearExt as F, ProverConfig, prove, setup, verify};
//! use p3_field::PrimeCharacteristicRing;
//!
//! let mut b = CircuitBuilder::<F>::new();
//! let x = b.public_input();
//! let c37 = b.define_const(F::from_u32(37));
//! let c111 = b.define_const(F::from_u32(111));
//! let prod = b.mul(c37, x);
//! b.assert_eq(prod, c111);
//! let circuit = b.build()?;
//!
//! let config = ProverConfig::koala_bear(FriSettings::TEST);
//! let (pk, vk) = setup(&circuit, &config)?;
//! let mut runner = circuit.runner();
//! let publics = [F::from_u32(3)];
//! runner.set_public_inputs(&publics)?;
//! let proof = prove(&pk, &runner.run()?)?;
//! verify(&vk, &publics, &proof)?;
//! assert!(verify(&vk, &[F::from_u32(4)], &proof).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

pub mod air;
pub mod bus;
pub mod config;
pub mod cost;
mod engine;
pub mod error;
pub mod family;
pub mod files;
#[cfg(feature = "forge")]
pub mod forge;
pub mod horner;
mod instances;
pub mod keys;
pub mod layout;
pub mod merkle;
pub mod npo;
mod options;
pub mod plan;
pub mod poseidon2;
pub mod proof;
pub mod report;
pub mod tables;
mod trace;

pub use config::{D, FriSettings, ProverConfig};
pub use cost::{CostModel, LOOKUP_BUDGET};
pub use engine::{CircuitStark, MIN_LOG_HEIGHT};
pub use error::{
    DecodeError, FriSettingsError, KeyError, P3Error, ProveError, Rejection, SetupError,
    ShapeFigure, VerifyError,
};
pub use family::{
    BabyBear, BabyBearExt, BabyBearStark, Ext, FieldFamily, KoalaBear, KoalaBearExt,
    KoalaBearStark, Stark,
};
pub use instances::BatchParts;
pub use keys::{Keys, MAX_LANES, MAX_LOG_HEIGHT, ProvingKey, VerifyOptions, VerifyingKey};
pub use layout::{Lanes, Layout, ShapeFloor, TableKind, TableShape};
pub use npo::{NoNpo, NpoAir, NpoTable, PortValues};
pub use options::SetupOptions;
pub use plan::{BusLayout, BusPlan};
pub use proof::Proof;
pub use report::{Phase, ProofReport, TableReport};

use fixpoint_circuit::{Circuit, Traces};

/// Commits the circuit's preprocessed columns once, with automatically chosen lanes:
/// [`setup_with`] and the default [`SetupOptions`].
pub fn setup<SC: CircuitStark>(
    circuit: &Circuit<SC::Challenge>,
    config: &ProverConfig<SC>,
) -> Result<Keys<SC>, SetupError> {
    setup_with(circuit, config, &SetupOptions::new())
}

/// [`setup`] with the caller's choices: lanes, the NPO tables of a circuit with
/// non-primitive ops (one per NPO kind it uses, see [`npo::NpoTable`]; the key keeps only
/// the tables of kinds the circuit calls) and a floor under every table's shape (see
/// [`ShapeFloor`]).
///
/// ```
/// use fixpoint_circuit::CircuitBuilder;
/// use fixpoint_circuit_prover::{
///     FriSettings, KoalaBearExt as F, ProverConfig, SetupOptions, prove, setup_with, verify,
/// };
/// use fixpoint_circuit_prover::poseidon2::Table;
///
/// let mut b = CircuitBuilder::<F>::new();
/// let x = b.public_input();
/// b.assert_zero(x);
/// let circuit = b.build()?;
/// let config = ProverConfig::koala_bear(FriSettings::TEST);
/// // A table for an NPO kind the circuit does not call is left out of the key.
/// let tables = [Table::Permutation];
/// let (pk, vk) = setup_with(&circuit, &config, &SetupOptions::new().with_npos(&tables))?;
/// assert!(vk.npo_tables.is_empty());
/// let mut runner = circuit.runner();
/// runner.set_public_inputs(&[F::default()])?;
/// verify(&vk, &[F::default()], &prove(&pk, &runner.run()?)?)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn setup_with<SC: CircuitStark, N: NpoTable<p3_uni_stark::Val<SC>>>(
    circuit: &Circuit<SC::Challenge>,
    config: &ProverConfig<SC>,
    options: &SetupOptions<'_, N>,
) -> Result<Keys<SC, N>, SetupError> {
    SC::setup_impl(circuit, config, options)
}

/// Proves that `traces` are a valid execution of the key's circuit.
pub fn prove<SC: CircuitStark, N: NpoTable<p3_uni_stark::Val<SC>>>(
    pk: &ProvingKey<SC, N>,
    traces: &Traces<SC::Challenge>,
) -> Result<Proof<SC>, ProveError> {
    SC::prove_impl(pk, traces).map(|(proof, _)| proof)
}

/// [`prove`], also returning what the proof cost.
pub fn prove_with_report<SC: CircuitStark, N: NpoTable<p3_uni_stark::Val<SC>>>(
    pk: &ProvingKey<SC, N>,
    traces: &Traces<SC::Challenge>,
) -> Result<(Proof<SC>, ProofReport), ProveError> {
    SC::prove_impl(pk, traces)
}

/// Verifies `proof` against the key and the public inputs. Every shape fact and the
/// preprocessed commitment come from `vk`, never from the proof. No minimum security is
/// demanded of the key: a verifier of published bytes uses [`verify_with_options`].
pub fn verify<SC: CircuitStark, N: NpoTable<p3_uni_stark::Val<SC>>>(
    vk: &VerifyingKey<SC, N>,
    public_inputs: &[SC::Challenge],
    proof: &Proof<SC>,
) -> Result<(), VerifyError> {
    SC::verify_impl(vk, public_inputs, proof)
}

/// [`verify`], after refusing a key below `options`' minimum security
/// ([`VerifyError::Insecure`], with the key's figure).
///
/// ```
/// use fixpoint_circuit::CircuitBuilder;
/// use fixpoint_circuit_prover::{
///     FriSettings, KoalaBearExt as F, ProverConfig, VerifyError, VerifyOptions, prove, setup,
///     verify_with_options,
/// };
///
/// let mut b = CircuitBuilder::<F>::new();
/// let x = b.public_input();
/// b.assert_zero(x);
/// let circuit = b.build()?;
/// let (pk, vk) = setup(&circuit, &ProverConfig::koala_bear(FriSettings::TEST))?;
/// let mut runner = circuit.runner();
/// runner.set_public_inputs(&[F::default()])?;
/// let proof = prove(&pk, &runner.run()?)?;
/// let refused = verify_with_options(&vk, &[F::default()], &proof, &VerifyOptions::default());
/// assert!(matches!(refused, Err(VerifyError::Insecure { bits: 5, min: 100 })));
/// verify_with_options(&vk, &[F::default()], &proof, &VerifyOptions::ANY_SECURITY)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn verify_with_options<SC: CircuitStark, N: NpoTable<p3_uni_stark::Val<SC>>>(
    vk: &VerifyingKey<SC, N>,
    public_inputs: &[SC::Challenge],
    proof: &Proof<SC>,
    options: &VerifyOptions,
) -> Result<(), VerifyError> {
    vk.check_security(options)?;
    SC::verify_impl(vk, public_inputs, proof)
}
