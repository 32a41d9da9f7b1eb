//! The result of a run and its check: the prover's [`Outcome`], the [`Bundle`] of files it
//! hands a third party, and the stand-alone verifiers of that bundle
//! ([`verify_recursion`], [`verify_bundle`]), which hold only published bytes.

use fixpoint_circuit_prover::{
    FieldFamily, Proof, Stark, VerifyOptions, VerifyingKey, files, poseidon2, verify,
};
use serde::{Deserialize, Serialize};

use super::report::LayerReport;
use crate::trusted::{
    BUNDLE_PROOF, BUNDLE_PUBLICS, BUNDLE_TRUSTED_KEYS, BUNDLE_VK, BundleError, CHAIN_SLOTS,
    LAYER_SLOTS, RecursionCheckError, TrustedCommitment, TrustedKeys, read_bundle_file,
    unpack_chain, write_bundle_files,
};
use crate::uni_stark::Ext;

/// The last layer's proof and what it took to get there, over field family `F`: the
/// prover's side of a run. Serialisable; a third party needs only what [`Outcome::bundle`] hands
/// out.
#[derive(Serialize, Deserialize)]
#[serde(bound = "")]
pub struct Outcome<F: FieldFamily> {
    /// One report per layer.
    pub reports: Vec<LayerReport>,
    /// The first layer whose circuit equals its predecessor's.
    pub fixed_point_at: Option<usize>,
    /// The last layer's verifying key.
    pub vk: VerifyingKey<Stark<F>, poseidon2::Table>,
    /// The last layer's proof.
    pub proof: Proof<Stark<F>>,
    /// Its public inputs: the statement, the chain digest, the depth.
    pub publics: Vec<Ext<F>>,
    /// Every key the last proof's chain folds, base key first: the key of every
    /// layer below the last.
    pub keys: Vec<TrustedCommitment>,
}

impl<F: FieldFamily> Outcome<F> {
    /// The trusted key set to publish: the base key, the layer keys below the
    /// fixed point and the fixed-point key. `None` before the fixed point is
    /// reached (run more layers): until then no set is fixed.
    pub fn trusted_keys(&self) -> Option<TrustedKeys> {
        let at = self.fixed_point_at?;
        // Layer `at` has layer `at − 1`'s key: that key is the fixed point, and
        // the keys of layers 1 to `at − 2` are below it.
        let fixed_point = self.reports.get(at.checked_sub(2)?)?.vk_hash;
        if fixed_point != self.vk.hash() {
            return None;
        }
        Some(TrustedKeys {
            field: F::FIELD.name().to_owned(),
            statement_len: (self.publics.len().checked_sub(LAYER_SLOTS)?) as u32,
            base: self.keys.first()?.clone(),
            below_fixed_point: self.keys.get(1..at - 1)?.to_vec(),
            fixed_point,
        })
    }

    /// What a third party receives: the final key, the proof, the public inputs
    /// and the trusted key set (`None` before the fixed point).
    pub fn bundle(&self) -> Option<Bundle<F>> {
        Some(Bundle {
            vk: self.vk.clone(),
            proof: Proof::from_bytes(&self.proof.to_bytes()).ok()?,
            publics: self.publics.clone(),
            trusted: self.trusted_keys()?,
        })
    }
}

/// A recursion result as published: the final key, its proof, its public inputs
/// and the trusted key set, one file each in a directory ([`Bundle::write`]); `F` is the
/// field family.
pub struct Bundle<F: FieldFamily> {
    /// The final verifying key.
    pub vk: VerifyingKey<Stark<F>, poseidon2::Table>,
    /// The final proof.
    pub proof: Proof<Stark<F>>,
    /// Its public inputs.
    pub publics: Vec<Ext<F>>,
    /// The trusted key set (a verifier keeps its own copy).
    pub trusted: TrustedKeys,
}

impl<F: FieldFamily> Bundle<F> {
    /// Writes the four files into `dir`, created if missing:
    /// [`BUNDLE_VK`], [`BUNDLE_PROOF`], [`BUNDLE_PUBLICS`] and
    /// [`BUNDLE_TRUSTED_KEYS`].
    pub fn write(&self, dir: &std::path::Path) -> Result<(), BundleError> {
        let field = self.trusted.field_tag()?;
        write_bundle_files(
            dir,
            &[
                (BUNDLE_VK, self.vk.to_file()),
                (BUNDLE_PROOF, self.proof.to_file()),
                (
                    BUNDLE_PUBLICS,
                    files::public_inputs_to_file(field, &self.publics),
                ),
                (BUNDLE_TRUSTED_KEYS, self.trusted.to_file()?),
            ],
        )
    }

    /// Reads a bundle written by [`Bundle::write`]. Every file is decoded
    /// canonically; nothing is verified yet ([`verify_bundle`]).
    pub fn read(dir: &std::path::Path) -> Result<Self, BundleError> {
        let read = |name: &str| read_bundle_file(dir, name);
        let file = |name: &'static str| move |source| BundleError::File { file: name, source };
        let field = F::FIELD;
        Ok(Bundle {
            vk: VerifyingKey::from_file(&read(BUNDLE_VK)?).map_err(file(BUNDLE_VK))?,
            proof: Proof::from_file(&read(BUNDLE_PROOF)?).map_err(file(BUNDLE_PROOF))?,
            publics: files::public_inputs_from_file(field, &read(BUNDLE_PUBLICS)?)
                .map_err(file(BUNDLE_PUBLICS))?,
            trusted: TrustedKeys::from_file(&read(BUNDLE_TRUSTED_KEYS)?)
                .map_err(file(BUNDLE_TRUSTED_KEYS))?,
        })
    }
}

/// Checks a recursion result with only what a third party holds: the
/// `trusted` key set, the `statement` they expect, and the final key, public
/// inputs and proof they were sent. See [`crate::trusted`] for what is checked
/// and why it is enough; the error names the check that failed.
pub fn verify_recursion<F: FieldFamily>(
    trusted: &TrustedKeys,
    statement: &[Ext<F>],
    vk: &VerifyingKey<Stark<F>, poseidon2::Table>,
    publics: &[Ext<F>],
    proof: &Proof<Stark<F>>,
    options: &VerifyOptions,
) -> Result<(), RecursionCheckError> {
    let field = F::FIELD.name();
    if trusted.field != field {
        return Err(RecursionCheckError::WrongField {
            trusted: trusted.field.clone(),
            verifier: field,
        });
    }
    // 1. The final key is the fixed-point key, by its full hash.
    let hash = vk.hash();
    if hash != trusted.fixed_point {
        return Err(RecursionCheckError::FinalKeyNotTrusted {
            found: hash,
            trusted: trusted.fixed_point,
        });
    }
    let fixed_point = &vk.preprocessed_commitment;
    // 2. The final key is as secure as demanded.
    vk.fri.validate().map_err(|e| {
        RecursionCheckError::Proof(fixpoint_circuit_prover::VerifyError::InvalidKey(
            fixpoint_circuit_prover::KeyError::FriSettings(e),
        ))
    })?;
    let min = options.min_conjectured_bits;
    let bits = vk.fri.conjectured_security_bits();
    if bits < min {
        return Err(RecursionCheckError::Insecure { bits, min });
    }
    // 3. The statement, then the chain digest and the depth.
    let got = publics
        .len()
        .checked_sub(LAYER_SLOTS)
        .ok_or(RecursionCheckError::PublicsTooShort { got: publics.len() })?;
    for expected in [statement.len(), trusted.statement_len as usize] {
        if got != expected {
            return Err(RecursionCheckError::StatementLength { expected, got });
        }
    }
    if let Some(index) = (0..got).find(|&i| publics[i] != statement[i]) {
        return Err(RecursionCheckError::StatementMismatch { index });
    }
    // 4. The depth: a base-field integer from the first fixed-point layer on.
    let depth = crate::trusted::depth_of::<F>(&publics[publics.len() - 1], trusted)?;
    // 5. The chain the proof carries is the trusted keys' chain at that depth.
    let perm = F::permutation();
    let mut caps = vec![trusted.base.cap::<F>()?];
    for key in &trusted.below_fixed_point {
        caps.push(key.cap::<F>()?);
    }
    let repeats = (depth - trusted.min_depth()) as usize;
    let expected = crate::trusted::chain_of(
        &perm,
        caps.iter().chain(std::iter::repeat_n(fixed_point, repeats)),
    );
    let chain = unpack_chain(&publics[got..got + CHAIN_SLOTS])
        .map_err(|e| RecursionCheckError::Depth(e.to_string()))?;
    if chain != expected {
        return Err(RecursionCheckError::ChainMismatch { depth });
    }
    // 6. The proof, under the final key.
    verify(vk, publics, proof).map_err(RecursionCheckError::Proof)
}

/// [`verify_recursion`] on a bundle, with the given trusted set (a verifier's
/// own copy) or, when `None`, the bundle's; the statement is the bundle's own.
pub fn verify_bundle<F: FieldFamily>(
    bundle: &Bundle<F>,
    trusted: Option<&TrustedKeys>,
    statement: Option<&[Ext<F>]>,
    options: &VerifyOptions,
) -> Result<(), RecursionCheckError> {
    let trusted = trusted.unwrap_or(&bundle.trusted);
    let own = bundle.publics.len().checked_sub(LAYER_SLOTS).ok_or(
        RecursionCheckError::PublicsTooShort {
            got: bundle.publics.len(),
        },
    )?;
    let statement = statement.unwrap_or(&bundle.publics[..own]);
    verify_recursion(
        trusted,
        statement,
        &bundle.vk,
        &bundle.publics,
        &bundle.proof,
        options,
    )
}
