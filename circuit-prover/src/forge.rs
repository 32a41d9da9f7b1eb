//! Forged keys, for malicious-prover tests (the `forge` feature): a key set up from a
//! [`BusPlan`] that is not its circuit's, such as a slot provided twice or never, or a
//! provider whose count does not match its readers. Such a key commits other preprocessed
//! columns than the circuit's, so its [`hash`](crate::VerifyingKey::hash) is not the one
//! [`setup_with`](crate::setup_with) makes: a verifier that pins the key
//! ([`VerifyOptions::with_pinned_key`](crate::VerifyOptions::with_pinned_key)) refuses it
//! before reading the proof.
//!
//! ```
//! use fixpoint_circuit::{CircuitBuilder, OpId};
//! use fixpoint_circuit_prover::{
//!     BusLayout, BusPlan, FriSettings, KoalaBearExt as F, ProverConfig, SetupOptions, forge,
//!     setup_with,
//! };
//!
//! let mut b = CircuitBuilder::<F>::new();
//! let x = b.public_input();
//! let y = b.square(x);
//! b.expose(y);
//! let circuit = b.build()?;
//! let config = ProverConfig::koala_bear(FriSettings::TEST);
//! let options = SetupOptions::new().with_bus(BusLayout::Virtual);
//! let mut plan = BusPlan::with_layout(&circuit, BusLayout::Virtual);
//! assert_eq!(plan.forge_count(OpId(0), 0, -1), Some(-2)); // x provided to one port of two
//! let (_, forged) = forge::setup_with_plan(&circuit, &config, &options, plan)?;
//! let (_, honest) = setup_with(&circuit, &config, &options)?;
//! assert_ne!(forged.hash(), honest.hash());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use fixpoint_circuit::Circuit;
use p3_uni_stark::Val;

use crate::engine::CircuitStark;
use crate::error::SetupError;
use crate::keys::Keys;
use crate::npo::NpoTable;
use crate::options::SetupOptions;
use crate::plan::BusPlan;

/// [`setup_with`](crate::setup_with), with the preprocessed counts of `plan` instead of the
/// circuit's own (the bus is `plan`'s layout). Everything else, the tables' shapes
/// included, is what `setup_with` makes.
pub fn setup_with_plan<SC: CircuitStark, N: NpoTable<Val<SC>>>(
    circuit: &Circuit<SC::Challenge>,
    config: &crate::ProverConfig<SC>,
    options: &SetupOptions<'_, N>,
    plan: BusPlan,
) -> Result<Keys<SC, N>, SetupError> {
    let options = SetupOptions {
        bus: plan.layout,
        ..options.clone()
    };
    SC::setup_from_plan_impl(circuit, config, &options, plan)
}
