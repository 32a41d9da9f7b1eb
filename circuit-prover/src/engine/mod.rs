//! Setup, prove and verify, generic over the STARK configuration: one module each
//! ([`setup`], [`prove`], [`verify`]), and [`CircuitStark`], through which the public entry
//! points ([`crate::setup`], [`crate::prove`], [`crate::verify`]) reach them for every field
//! family's configuration. The bodies carry p3's trait bounds once.

mod prove;
mod setup;
mod stark;
mod verify;

use fixpoint_circuit::{Circuit, Traces};
use p3_uni_stark::Val;

pub use stark::{CircuitStark, MIN_LOG_HEIGHT};

use crate::config::{FriSettings, ProverConfig};
use crate::error::{ProveError, SetupError, VerifyError};
use crate::family::{FieldFamily, Stark};
use crate::keys::{Keys, ProvingKey, VerifyingKey};
use crate::npo::NpoTable;
use crate::options::SetupOptions;
use crate::proof::Proof;
use crate::report::ProofReport;

/// Every field family's configuration proves circuits: the p3 bounds of the generic
/// bodies below all follow from [`FieldFamily`]'s.
impl<F: FieldFamily> CircuitStark for Stark<F> {
    const FIELD: crate::files::FieldTag = F::FIELD;
    fn config(fri: FriSettings) -> ProverConfig<Self> {
        ProverConfig::new(fri)
    }
    fn setup_impl<N: NpoTable<Val<Self>>>(
        circuit: &Circuit<Self::Challenge>,
        config: &ProverConfig<Self>,
        options: &SetupOptions<'_, N>,
    ) -> Result<Keys<Self, N>, SetupError> {
        setup::setup_generic(circuit, config, options, None)
    }
    #[cfg(feature = "forge")]
    fn setup_from_plan_impl<N: NpoTable<Val<Self>>>(
        circuit: &Circuit<Self::Challenge>,
        config: &ProverConfig<Self>,
        options: &SetupOptions<'_, N>,
        plan: crate::plan::BusPlan,
    ) -> Result<Keys<Self, N>, SetupError> {
        setup::setup_generic(circuit, config, options, Some(plan))
    }
    fn prove_impl<N: NpoTable<Val<Self>>>(
        pk: &ProvingKey<Self, N>,
        traces: &Traces<Self::Challenge>,
    ) -> Result<(Proof<Self>, ProofReport), ProveError> {
        prove::prove_generic(pk, traces)
    }
    fn verify_impl<N: NpoTable<Val<Self>>>(
        vk: &VerifyingKey<Self, N>,
        public_inputs: &[Self::Challenge],
        proof: &Proof<Self>,
    ) -> Result<(), VerifyError> {
        verify::verify_generic(vk, public_inputs, proof)
    }
}
