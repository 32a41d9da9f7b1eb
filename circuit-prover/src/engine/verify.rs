//! Verifying: the key checked before anything it sizes, the proof's shape against the key,
//! then p3-batch-stark's verifier; and the key's file and batch-parts methods, which need
//! its configuration's field.

use p3_air::symbolic::SymbolicExpressionExt;
use p3_batch_stark::folder::VerifierConstraintFolderWithLookups;
use p3_batch_stark::verify_batch;
use p3_challenger::GrindingChallenger;
use p3_field::extension::BinomiallyExtendable;
use p3_field::{Algebra, BasedVectorSpace, PrimeField64};
use p3_uni_stark::{PcsError, PcsProverError, Val};

use super::stark::CircuitStark;
use crate::air::CircuitAir;
use crate::config::D;
use crate::error::{KeyError, P3Error, Rejection, ShapeFigure, VerifyError};
use crate::instances::{BatchParts, parts_of_checked_key, public_values};
use crate::keys::VerifyingKey;
use crate::npo::NpoTable;
use crate::proof::Proof;

/// The key's methods that need its configuration's [`CircuitStark`] facts (its field).
impl<SC, N> VerifyingKey<SC, N>
where
    SC: CircuitStark,
    N: serde::Serialize + serde::de::DeserializeOwned,
{
    /// The key as a file ([`crate::files`]): header, then its canonical encoding.
    pub fn to_file(&self) -> Vec<u8> {
        crate::files::encode_file(SC::FIELD, crate::files::FileKind::VerifyingKey, self)
    }

    /// A key from a file of [`to_file`](Self::to_file): the header must name a verifying key
    /// over this configuration's field, the payload must be canonical, and the key's own
    /// field must agree. [`crate::verify`] checks the rest ([`VerifyingKey::check`]).
    pub fn from_file(bytes: &[u8]) -> Result<Self, crate::files::FileError> {
        let vk: Self =
            crate::files::decode_file(SC::FIELD, crate::files::FileKind::VerifyingKey, bytes)?;
        if vk.field != SC::FIELD.name() {
            return Err(crate::files::FileError::Malformed {
                kind: crate::files::FileKind::VerifyingKey,
                reason: format!("a {} file holding a key for {}", SC::FIELD, vk.field),
            });
        }
        Ok(vk)
    }

    /// Everything p3-batch-stark's `verify_batch` takes for this key (the configuration,
    /// the AIRs, the common data with the pinned preprocessed commitment, every table's
    /// height): what a verifier circuit of this key's proofs is built from.
    pub fn batch_parts(&self) -> Result<BatchParts<SC, N>, VerifyError>
    where
        Val<SC>: PrimeField64 + BinomiallyExtendable<D> + p3_field::TwoAdicField,
        SymbolicExpressionExt<Val<SC>, SC::Challenge>: Algebra<SC::Challenge>,
        PcsProverError<SC>: std::error::Error + Send + Sync + 'static,
        N: NpoTable<Val<SC>>,
    {
        check_key(self)?;
        parts_of_checked_key(self, SC::config(self.fri))
    }
}

/// The key is for `SC`'s field and passes [`VerifyingKey::check`]: cheap, and before any of
/// its figures sizes anything.
fn check_key<SC, N>(vk: &VerifyingKey<SC, N>) -> Result<(), VerifyError>
where
    SC: CircuitStark,
    Val<SC>: p3_field::TwoAdicField,
    N: NpoTable<Val<SC>>,
{
    if vk.field != SC::FIELD.name() {
        return Err(VerifyError::InvalidKey(KeyError::WrongField {
            key: vk.field.clone(),
            verifier: SC::FIELD.name(),
        }));
    }
    vk.check()
}

/// Verifies `proof` of `public_inputs` under `vk`.
pub(super) fn verify_generic<SC, N>(
    vk: &VerifyingKey<SC, N>,
    public_inputs: &[SC::Challenge],
    proof: &Proof<SC>,
) -> Result<(), VerifyError>
where
    SC: CircuitStark,
    Val<SC>: PrimeField64 + BinomiallyExtendable<D> + p3_field::TwoAdicField,
    SC::Challenge: BasedVectorSpace<Val<SC>>,
    SymbolicExpressionExt<Val<SC>, SC::Challenge>: Algebra<SC::Challenge>,
    SC::Challenger: GrindingChallenger<Witness = Val<SC>>,
    PcsProverError<SC>: std::error::Error + Send + Sync + 'static,
    PcsError<SC>: Send + Sync + 'static,
    N: NpoTable<Val<SC>>,
    CircuitAir<Val<SC>, N>: for<'a> p3_air::Air<VerifierConstraintFolderWithLookups<'a, SC>>,
{
    let _span = tracing::info_span!("verify").entered();
    if public_inputs.len() != vk.public_count as usize {
        return Err(VerifyError::PublicInputCount {
            expected: vk.public_count as usize,
            got: public_inputs.len(),
        });
    }
    // Cheap before the key's AIRs are built: the key's own bounds, then one height per table.
    check_key(vk)?;
    let tables = vk.layout.instances().len() + vk.npo_tables.len();
    if proof.inner.degree_bits.len() != tables {
        return Err(VerifyError::Shape {
            what: "table heights",
            expected: ShapeFigure::Count(tables),
            got: ShapeFigure::Count(proof.inner.degree_bits.len()),
        });
    }
    let parts = parts_of_checked_key(vk, SC::config(vk.fri))?;
    if proof.inner.degree_bits != parts.degree_bits {
        return Err(VerifyError::Shape {
            what: "table heights",
            expected: ShapeFigure::LogHeights(parts.degree_bits),
            got: ShapeFigure::LogHeights(proof.inner.degree_bits.clone()),
        });
    }
    let tables = parts.airs.len();
    for (what, got) in [
        (
            "opened instances",
            proof.inner.opened_values.instances.len(),
        ),
        ("lookup terminals", proof.inner.lookup_terminals.len()),
    ] {
        if got != tables {
            return Err(VerifyError::Shape {
                what,
                expected: ShapeFigure::Count(tables),
                got: ShapeFigure::Count(got),
            });
        }
    }
    let BatchParts {
        config,
        airs,
        common,
        ..
    } = parts;
    let pvs =
        public_values::<Val<SC>, SC::Challenge>(&vk.layout, public_inputs, vk.npo_tables.len());
    verify_batch(&config.stark, &airs, &proof.inner, &pvs, &common).map_err(|e| {
        VerifyError::Rejected {
            reason: Rejection::of(&e),
            source: P3Error::new(e),
        }
    })
}
