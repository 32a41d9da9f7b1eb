//! The query phase's inputs from a native proof: p3's own verifier replayed, and every
//! pruned multiproof expanded into per-query paths.

use p3_field::{ExtensionField, PrimeField64, TwoAdicField};
use p3_merkle_tree::MerkleTreeError;
use thiserror::Error;

/// What the query phase needs from a native proof: the private inputs of [`QueryInputs`](super::QueryInputs),
/// and the Merkle siblings of every path (p3's pruned multiproofs expanded per query).
#[derive(Clone, Debug)]
pub struct QueryWitness<V, EF> {
    /// The query indices the transcript draws (for diagnostics and tests).
    pub indices: Vec<usize>,
    /// [`QueryInputs`](super::QueryInputs)'s private inputs, in allocation order (after [`PcsInputs`](crate::pcs::PcsInputs)'s).
    pub privates: Vec<EF>,
    /// Per query and batch: the input path's siblings, bottom first.
    pub input_siblings: Vec<Vec<Vec<[V; 8]>>>,
    /// Per round and query: the commit-phase path's siblings, bottom first.
    pub round_siblings: Vec<Vec<Vec<[V; 8]>>>,
}

/// p3 0.8's FRI types over fixpoint's Merkle tree (`ValMmcs` of the prover's config).
pub mod native {
    use p3_commit::ExtensionMmcs;
    use p3_field::coset::TwoAdicMultiplicativeCoset;
    use p3_fri::{BatchMultiOpening, FriParameters, FriProof};
    use p3_symmetric::MerkleCap;

    /// The input MMCS: Poseidon2 Merkle trees over the base field.
    pub type ValMmcs<V, P> = fixpoint_circuit_prover::config::ValMmcs<V, P>;
    /// The commit-phase MMCS: extension rows flattened into `ValMmcs`.
    pub type ChallengeMmcs<V, EF, P> = ExtensionMmcs<V, EF, ValMmcs<V, P>>;
    /// FRI parameters with that MMCS.
    pub type Params<V, EF, P> = FriParameters<ChallengeMmcs<V, EF, P>>;
    /// A `TwoAdicFriPcs` proof.
    pub type Proof<V, EF, P> =
        FriProof<EF, ChallengeMmcs<V, EF, P>, V, Vec<BatchMultiOpening<V, ValMmcs<V, P>>>>;
    /// The claims `TwoAdicFriPcs::verify` takes.
    pub type Claims<V, EF> =
        Vec<p3_commit::CommitmentOpening<EF, MerkleCap<V, [V; 8]>, TwoAdicMultiplicativeCoset<V>>>;
}

/// Replays the native verifier (p3's own transcript, `open_inputs` and `fold_query`) from
/// `challenger`, the verifier's challenger when it calls `TwoAdicFriPcs::verify`, and
/// expands every pruned multiproof into per-query paths
/// (`MerkleTreeMmcs::restore_and_recompute_paths`). Fails with p3's own error, as the
/// source of a [`NativeFriError`], where p3 rejects.
pub fn query_witness<V, EF, P, C>(
    params: &native::Params<V, EF, P>,
    input_mmcs: &native::ValMmcs<V, P>,
    claims: &native::Claims<V, EF>,
    proof: &native::Proof<V, EF, P>,
    challenger: &mut C,
) -> Result<QueryWitness<V, EF>, NativeFriError>
where
    V: PrimeField64 + TwoAdicField,
    EF: ExtensionField<V>,
    P: p3_symmetric::CryptographicPermutation<[V; 16]>
        + p3_symmetric::CryptographicPermutation<[<V as p3_field::Field>::Packing; 16]>,
    C: p3_challenger::FieldChallenger<V>
        + p3_challenger::GrindingChallenger<Witness = V>
        + p3_challenger::CanObserve<p3_symmetric::MerkleCap<V, [V; 8]>>,
{
    use p3_fri::{
        FriShape, PcsVerifierTranscript, TwoAdicFriFolding, VerifierTranscript, verifier,
    };
    use p3_matrix::Dimensions;

    let heights: Vec<usize> = claims
        .iter()
        .flat_map(|c| {
            c.matrices
                .iter()
                .map(|m| m.domain.log_size() + params.log_blowup)
        })
        .collect();
    let h_max = heights
        .iter()
        .copied()
        .max()
        .ok_or(NativeFriError::NothingCommitted)?;
    let mut distinct = heights.clone();
    distinct.sort_unstable_by(|a, b| b.cmp(a));
    distinct.dedup();
    let log_arities = p3_fri::fold_schedule(
        &distinct,
        params.log_blowup + params.log_final_poly_len,
        params.max_log_arity,
    );

    // The transcript, with p3's own drivers.
    let mut transcript = PcsVerifierTranscript::<C, V, EF>::new(
        challenger,
        p3_fri::PcsShape::from_claims(params, claims),
    );
    transcript.claimed_openings(claims)?;
    let alpha = transcript.batch_phase(Some(proof.batch_pow_witness))?;
    let fri = transcript.delegate(|challenger| {
        let mut fri = VerifierTranscript::<C, V, EF>::new(
            challenger,
            FriShape::with_schedule(params, log_arities.clone(), h_max),
        );
        let betas = fri.commit_rounds(&proof.commit_phase_commits, &proof.commit_pow_witnesses)?;
        let indices = fri.query_phase(&proof.final_poly, Some(proof.query_pow_witness))?;
        fri.finish();
        Ok::<_, p3_fri::TranscriptFailure>((betas, indices))
    });
    transcript.finish();
    let (betas, indices) = fri?;

    let reduced = verifier::open_inputs(
        params,
        h_max,
        &indices,
        &proof.input_openings,
        alpha,
        input_mmcs,
        claims,
    )
    .map_err(NativeFriError::OpenInputs)?;
    let folding = TwoAdicFriFolding::<
        Vec<BatchMultiOpening<V, native::ValMmcs<V, P>>>,
        p3_merkle_tree::MerkleTreeError,
    >(std::marker::PhantomData);
    let mut group_indices = vec![Vec::new(); log_arities.len()];
    let mut rows_by_round = vec![Vec::new(); log_arities.len()];
    for (query, (&index, ro)) in indices.iter().zip(reduced).enumerate() {
        let mut domain_index = index;
        verifier::fold_query(
            &folding,
            query,
            &mut domain_index,
            &betas,
            &log_arities,
            &proof.commit_phase_openings,
            ro,
            h_max,
            params.log_blowup + params.log_final_poly_len,
            &mut group_indices,
            &mut rows_by_round,
        )
        .map_err(|source| NativeFriError::FoldQuery { query, source })?;
    }

    use p3_fri::BatchMultiOpening;
    // Input paths, per batch, then transposed to per query.
    let mut input_siblings = vec![Vec::new(); indices.len()];
    for (claim, opening) in claims.iter().zip(&proof.input_openings) {
        let dims: Vec<Dimensions> = claim
            .matrices
            .iter()
            .map(|m| Dimensions {
                width: m.points.first().map_or(0, |p| p.values.len()),
                height: m.domain.size() << params.log_blowup,
            })
            .collect();
        let tallest = dims.iter().map(|d| d.height).max().unwrap_or(1);
        let shift = h_max - tallest.trailing_zeros() as usize;
        let reduced: Vec<usize> = indices.iter().map(|&i| i >> shift).collect();
        let paths = input_mmcs
            .restore_and_recompute_paths(
                &dims,
                &reduced,
                &opening.opened_values,
                &opening.opening_proof,
            )
            .map_err(NativeFriError::InputPaths)?;
        for (per_query, path) in input_siblings.iter_mut().zip(paths) {
            per_query.push(path.siblings);
        }
    }
    // Commit-phase paths: extension rows flattened to base, as `ExtensionMmcs` does.
    let mut round_siblings = Vec::new();
    let mut log_h = h_max;
    for (round, &log_arity) in log_arities.iter().enumerate() {
        log_h -= log_arity;
        let dims = [Dimensions {
            width: (1 << log_arity) * EF::DIMENSION,
            height: 1 << log_h,
        }];
        let rows: Vec<Vec<Vec<V>>> = rows_by_round[round]
            .iter()
            .map(|row: &Vec<Vec<EF>>| {
                row.iter()
                    .map(|evals| {
                        evals
                            .iter()
                            .flat_map(|e| e.as_basis_coefficients_slice().to_vec())
                            .collect()
                    })
                    .collect()
            })
            .collect();
        let paths = input_mmcs
            .restore_and_recompute_paths(
                &dims,
                &group_indices[round],
                &rows,
                &proof.commit_phase_openings[round].opening_proof,
            )
            .map_err(|source| NativeFriError::RoundPaths { round, source })?;
        round_siblings.push(paths.into_iter().map(|p| p.siblings).collect());
    }

    let mut privates = Vec::new();
    for q in 0..indices.len() {
        for opening in &proof.input_openings {
            let rows = opening
                .opened_values
                .get(q)
                .ok_or(NativeFriError::MissingRows { query: q })?;
            privates.extend(rows.iter().flatten().map(|&v| EF::from(v)));
        }
    }
    for round in &proof.commit_phase_openings {
        privates.extend(round.sibling_values.iter().flatten().copied());
    }
    Ok(QueryWitness {
        indices,
        privates,
        input_siblings,
        round_siblings,
    })
}

/// p3's FRI error over fixpoint's Merkle trees (input and commit-phase MMCS alike).
pub type P3FriError = p3_fri::verifier::FriError<MerkleTreeError, MerkleTreeError>;

/// Why p3's own FRI verifier, replayed by [`query_witness`], rejects a proof: p3's error is
/// the source.
#[derive(Debug, Error)]
pub enum NativeFriError {
    /// The claims commit no matrix.
    #[error("the claims commit nothing")]
    NothingCommitted,
    /// The PCS transcript (claimed openings, batching PoW) rejects the proof.
    #[error("p3's PCS transcript rejects the proof")]
    PcsTranscript(#[from] p3_fri::PcsTranscriptFailure),
    /// The FRI transcript (commit rounds, final polynomial, query PoW) rejects the proof.
    #[error("p3's FRI transcript rejects the proof")]
    FriTranscript(#[from] p3_fri::TranscriptFailure),
    /// `open_inputs` rejects the input openings.
    #[error("p3's open_inputs rejects the input openings")]
    OpenInputs(#[source] P3FriError),
    /// `fold_query` rejects a query.
    #[error("p3's fold_query rejects query {query}")]
    FoldQuery {
        /// The query.
        query: usize,
        /// p3's error.
        #[source]
        source: P3FriError,
    },
    /// A batch opening's pruned multiproof does not restore.
    #[error("an input opening's Merkle multiproof does not restore")]
    InputPaths(#[source] MerkleTreeError),
    /// A commit round's pruned multiproof does not restore.
    #[error("commit round {round}'s Merkle multiproof does not restore")]
    RoundPaths {
        /// The round.
        round: usize,
        /// p3's error.
        #[source]
        source: MerkleTreeError,
    },
    /// A query with no opened rows.
    #[error("query {query} has no opened rows")]
    MissingRows {
        /// The query.
        query: usize,
    },
}
