//! The STARK configurations that prove fixpoint circuits: [`CircuitStark`], the trait the
//! public entry points dispatch through.

use fixpoint_circuit::{Circuit, Traces};
use p3_uni_stark::{StarkGenericConfig, Val};

use crate::config::{FriSettings, ProverConfig};
use crate::error::{ProveError, SetupError, VerifyError};
use crate::keys::{Keys, ProvingKey, VerifyingKey};
use crate::npo::NpoTable;
use crate::options::SetupOptions;
use crate::proof::Proof;
use crate::report::ProofReport;

/// The smallest table height, as log2: FRI needs every input to be taller than its final
/// polynomial (length 1 here), so a table has at least 2 rows.
pub const MIN_LOG_HEIGHT: usize = 1;

/// A STARK configuration that can prove fixpoint circuits: [`Stark<F>`](crate::family::Stark) of a
/// [`FieldFamily`](crate::family::FieldFamily) `F` (KoalaBear or BabyBear with the degree-4
/// extension). Use the free functions [`crate::setup`], [`crate::prove`] and
/// [`crate::verify`].
pub trait CircuitStark:
    StarkGenericConfig<Challenge: fixpoint_circuit::CircuitField> + Sized
{
    /// The base field; keys record its name ([`FieldTag::name`](crate::files::FieldTag::name))
    /// and files its tag.
    const FIELD: crate::files::FieldTag;
    /// The configuration for `fri`.
    fn config(fri: FriSettings) -> ProverConfig<Self>;
    #[doc(hidden)]
    fn setup_impl<N: NpoTable<Val<Self>>>(
        circuit: &Circuit<Self::Challenge>,
        config: &ProverConfig<Self>,
        options: &SetupOptions<'_, N>,
    ) -> Result<Keys<Self, N>, SetupError>;
    #[doc(hidden)]
    #[cfg(feature = "forge")]
    fn setup_from_plan_impl<N: NpoTable<Val<Self>>>(
        circuit: &Circuit<Self::Challenge>,
        config: &ProverConfig<Self>,
        options: &SetupOptions<'_, N>,
        plan: crate::plan::BusPlan,
    ) -> Result<Keys<Self, N>, SetupError>;
    #[doc(hidden)]
    fn prove_impl<N: NpoTable<Val<Self>>>(
        pk: &ProvingKey<Self, N>,
        traces: &Traces<Self::Challenge>,
    ) -> Result<(Proof<Self>, ProofReport), ProveError>;
    #[doc(hidden)]
    fn verify_impl<N: NpoTable<Val<Self>>>(
        vk: &VerifyingKey<Self, N>,
        public_inputs: &[Self::Challenge],
        proof: &Proof<Self>,
    ) -> Result<(), VerifyError>;
}
