//! Proof-system configurations: field, hash, Merkle tree, FRI, challenger.
//!
//! Both fields use the degree-4 binomial extension and Poseidon2 of width 16 with p3's
//! published default constants — the permutation the challenger, the Merkle tree and (in
//! the recursion milestone) the in-circuit verifier all share.

use p3_challenger::DuplexChallenger;
use p3_commit::ExtensionMmcs;
use p3_dft::Radix2DitParallel;
use p3_field::Field;
use p3_field::extension::BinomialExtensionField;
use p3_fri::{FriParameters, TwoAdicFriPcs};
use p3_merkle_tree::MerkleTreeMmcs;
use p3_symmetric::{PaddingFreeSponge, TruncatedPermutation};
use p3_uni_stark::StarkConfig;
use serde::{Deserialize, Serialize};

use crate::error::FriSettingsError;

/// Extension degree of the challenge (and witness) field.
pub const D: usize = 4;

/// The STARK configuration over base field `V` with Poseidon2 permutation `P`.
pub type StarkCfg<V, P> = StarkConfig<
    TwoAdicFriPcs<
        V,
        Radix2DitParallel<V>,
        ValMmcs<V, P>,
        ExtensionMmcs<V, BinomialExtensionField<V, D>, ValMmcs<V, P>>,
    >,
    BinomialExtensionField<V, D>,
    DuplexChallenger<V, P, 16, 8>,
>;

/// Merkle tree over base-field rows: Poseidon2 sponge for leaves, truncated permutation
/// for compression, binary, 8-element digests.
pub type ValMmcs<V, P> = MerkleTreeMmcs<
    <V as Field>::Packing,
    <V as Field>::Packing,
    PaddingFreeSponge<P, 16, 8, 8>,
    TruncatedPermutation<P, 2, 8, 16>,
    2,
    8,
>;

/// The most FRI queries [`FriSettings::validate`] accepts.
pub const MAX_NUM_QUERIES: usize = 1024;
/// The largest `max_log_arity` [`FriSettings::validate`] accepts (arity 64).
pub const MAX_LOG_ARITY: usize = 6;

/// FRI parameters, with p3's conjectured security estimate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FriSettings {
    /// log2 of the blowup factor.
    pub log_blowup: usize,
    /// Number of FRI queries.
    pub num_queries: usize,
    /// Proof-of-work bits before the queries.
    pub query_pow_bits: usize,
    /// Proof-of-work bits before each commit-phase fold.
    pub commit_pow_bits: usize,
    /// The largest log2-arity of a FRI folding round (1: binary folding).
    pub max_log_arity: usize,
    /// log2 of the final polynomial's length (0: a constant).
    pub log_final_poly_len: usize,
    /// Proof-of-work bits before the batching challenge. fixpoint's own prover grinds none
    /// ([`validate`](Self::validate) demands 0); other p3 configurations, whose proofs the
    /// recursion's verifier circuits also check, may. Not part of a key's encoding: every
    /// key's is 0.
    #[serde(skip)]
    pub batch_pow_bits: usize,
    /// Cap height of the Merkle trees (input batches and commit rounds). fixpoint's own
    /// prover commits to one root ([`validate`](Self::validate) demands 0); other p3
    /// configurations may use a cap. Not part of a key's encoding: every key's is 0.
    #[serde(skip)]
    pub cap_height: usize,
}

impl FriSettings {
    /// Fast and insecure (about 5 conjectured bits): for tests only.
    pub const TEST: FriSettings = FriSettings {
        log_blowup: 2,
        num_queries: 2,
        query_pow_bits: 1,
        commit_pow_bits: 1,
        max_log_arity: 1,
        log_final_poly_len: 0,
        batch_pow_bits: 0,
        cap_height: 0,
    };

    /// The default: blowup 4, 44 queries, 16 bits of query grinding — 104 conjectured bits.
    pub const DEFAULT: FriSettings = FriSettings {
        log_blowup: 2,
        num_queries: 44,
        query_pow_bits: 16,
        commit_pow_bits: 0,
        max_log_arity: 1,
        log_final_poly_len: 0,
        batch_pow_bits: 0,
        cap_height: 0,
    };

    /// The measured best for recursion layers (issue 15, on the reference workload): blowup
    /// 4, 54 queries, 15 bits of query grinding (123 conjectured bits), folding by up to 4
    /// per round and a final polynomial of 32 coefficients. On KoalaBear the steady layer
    /// is 11.1 M cells and proves in about 2.3 s on 2 cores; binary folding (arity 2, a
    /// constant final polynomial) gives 14.3 M, and blowup 8 with 36 queries (the same 123
    /// bits) 8.6 M cells but 1.8× the prove time and 1.7× the memory.
    ///
    /// ```
    /// use fixpoint_circuit_prover::FriSettings;
    /// assert_eq!(FriSettings::RECURSION.conjectured_security_bits(), 123);
    /// ```
    pub const RECURSION: FriSettings = FriSettings {
        log_blowup: 2,
        num_queries: 54,
        query_pow_bits: 15,
        commit_pow_bits: 0,
        max_log_arity: 2,
        log_final_poly_len: 5,
        batch_pow_bits: 0,
        cap_height: 0,
    };

    /// Checks the settings against what p3's prover accepts, so that setup reports a bad
    /// setting instead of p3 panicking while proving.
    ///
    /// ```
    /// use fixpoint_circuit_prover::FriSettings;
    /// assert!(FriSettings::DEFAULT.validate().is_ok());
    /// let bad = FriSettings { num_queries: 0, ..FriSettings::DEFAULT };
    /// assert!(bad.validate().is_err());
    /// // A cap or a batch PoW is for other p3 configurations: a key records neither.
    /// let capped = FriSettings { cap_height: 2, ..FriSettings::DEFAULT };
    /// assert!(capped.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), FriSettingsError> {
        use FriSettingsError as E;
        if self.log_blowup == 0 {
            return Err(E::NoBlowup);
        }
        if self.max_log_arity == 0 {
            return Err(E::NoFolding);
        }
        if self.num_queries == 0 {
            return Err(E::NoQueries);
        }
        // Bounds for decoded keys: a verifier loops and allocates per query and per arity.
        if self.num_queries > MAX_NUM_QUERIES {
            return Err(E::TooManyQueries {
                got: self.num_queries,
                max: MAX_NUM_QUERIES,
            });
        }
        if self.max_log_arity > MAX_LOG_ARITY {
            return Err(E::ArityTooLarge {
                got: self.max_log_arity,
                max: MAX_LOG_ARITY,
            });
        }
        // What a key records: its encoding holds neither (see the fields).
        if self.batch_pow_bits != 0 {
            return Err(E::BatchPow {
                got: self.batch_pow_bits,
            });
        }
        if self.cap_height != 0 {
            return Err(E::CapHeight {
                got: self.cap_height,
            });
        }
        if self.query_pow_bits >= 31 || self.commit_pow_bits >= 31 {
            return Err(E::PowBits {
                query_pow_bits: self.query_pow_bits,
                commit_pow_bits: self.commit_pow_bits,
            });
        }
        // Both fields have two-adicity at least 24: the shortest table's LDE must fit. Each
        // term is bounded first, so that a decoded key's figures cannot wrap the sum.
        if self.log_blowup > 23
            || self.log_final_poly_len > 22
            || self.log_final_poly_len + 1 + self.log_blowup > 24
        {
            return Err(E::LdeTooTall {
                log_blowup: self.log_blowup,
                log_final_poly_len: self.log_final_poly_len,
            });
        }
        Ok(())
    }

    /// log2 of the shortest table the prover commits: FRI folds a table into its claims
    /// only if it is taller than the final polynomial, so tables are at least twice its
    /// length (and at least [`crate::MIN_LOG_HEIGHT`]).
    pub fn min_log_height(&self) -> usize {
        crate::MIN_LOG_HEIGHT.max(self.log_final_poly_len + 1)
    }

    /// Conjectured security in bits under the ethSTARK conjecture, as p3 computes it
    /// (`FriParameters::conjectured_soundness_bits`: `log_blowup · num_queries +
    /// query_pow_bits`). Saturating, so that the figure of settings that fail
    /// [`validate`](Self::validate) (a decoded key's) cannot wrap into a large one.
    pub fn conjectured_security_bits(&self) -> usize {
        self.log_blowup
            .saturating_mul(self.num_queries)
            .saturating_add(self.query_pow_bits)
    }

    /// p3's `FriParameters` for these settings over `mmcs`: the one conversion, used by the
    /// prover's configuration and by the verifier circuits' native replays alike.
    ///
    /// ```
    /// use fixpoint_circuit_prover::FriSettings;
    /// let params = FriSettings::DEFAULT.fri_parameters(());
    /// assert_eq!(params.conjectured_soundness_bits(), 104);
    /// ```
    pub fn fri_parameters<M>(&self, mmcs: M) -> FriParameters<M> {
        FriParameters {
            log_blowup: self.log_blowup,
            log_final_poly_len: self.log_final_poly_len,
            max_log_arity: self.max_log_arity,
            num_queries: self.num_queries,
            batch_proof_of_work_bits: self.batch_pow_bits,
            commit_proof_of_work_bits: self.commit_pow_bits,
            query_proof_of_work_bits: self.query_pow_bits,
            mmcs,
        }
    }

    /// The settings of p3 parameters whose MMCS has the given cap height (for a p3 proof of
    /// another configuration, to verify in a circuit).
    pub fn from_params<M>(params: &FriParameters<M>, cap_height: usize) -> Self {
        FriSettings {
            log_blowup: params.log_blowup,
            num_queries: params.num_queries,
            query_pow_bits: params.query_proof_of_work_bits,
            commit_pow_bits: params.commit_proof_of_work_bits,
            max_log_arity: params.max_log_arity,
            log_final_poly_len: params.log_final_poly_len,
            batch_pow_bits: params.batch_proof_of_work_bits,
            cap_height,
        }
    }
}

/// A complete prover configuration: the p3 STARK configuration plus the settings it was
/// made from. Pick a field in one line:
///
/// ```
/// use fixpoint_circuit_prover::{FriSettings, ProverConfig};
/// let config = ProverConfig::koala_bear(FriSettings::DEFAULT);
/// assert!(config.fri.conjectured_security_bits() >= 100);
/// ```
#[derive(Clone, Debug)]
pub struct ProverConfig<SC> {
    /// The p3 configuration.
    pub stark: SC,
    /// The FRI settings `stark` was built with.
    pub fri: FriSettings,
    /// Name of the base field, for reports.
    pub field: &'static str,
}
