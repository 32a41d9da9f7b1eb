//! The p3 side of the PCS tests: p3's own `TwoAdicFriPcs` over the family's Poseidon2
//! (counting its permutations), proofs of a [`PcsShape`] at random or shared points, and
//! the full circuit verifier built, run and proved on them.

// Each test crate uses its own part of the fixture.
#![allow(dead_code)]

use fixpoint_circuit::{Circuit, CircuitBuilder, RunError, Traces};
use fixpoint_circuit_prover::poseidon2::Table;
use fixpoint_circuit_prover::{
    Ext, FieldFamily, FriSettings, ProverConfig, SetupOptions, Stark, prove, setup_with, verify,
};
use fixpoint_recursion::CircuitChallenger;
use fixpoint_recursion::counting::CountingPermutation;
use fixpoint_recursion::fri::{self, QueryInputs, QueryPaths};
use fixpoint_recursion::pcs::{self, MatrixClaim, PcsInputs, PcsShape};
use fixpoint_recursion::transcript::RecordingChallenger;
use p3_commit::{CommitmentOpening, Pcs};
use p3_field::BasedVectorSpace;
use p3_matrix::dense::RowMajorMatrix;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

pub fn fri(
    log_blowup: usize,
    max_log_arity: usize,
    log_final_poly_len: usize,
    [batch, commit, query]: [usize; 3],
    cap_height: usize,
) -> FriSettings {
    FriSettings {
        log_blowup,
        log_final_poly_len,
        max_log_arity,
        num_queries: 3,
        batch_pow_bits: batch,
        commit_pow_bits: commit,
        query_pow_bits: query,
        cap_height,
    }
}

pub fn batch(matrices: &[(usize, usize, usize)]) -> Vec<MatrixClaim> {
    matrices
        .iter()
        .map(|&(log_height, width, points)| MatrixClaim {
            log_height,
            width,
            points,
        })
        .collect()
}

/// The family's Poseidon2, counting its permutations.
pub type Counting<V> = CountingPermutation<<V as FieldFamily>::Permutation, V>;
pub type ValMmcs<V> = fixpoint_circuit_prover::config::ValMmcs<V, Counting<V>>;
pub type ChallengeMmcs<V> = p3_commit::ExtensionMmcs<V, Ext<V>, ValMmcs<V>>;
pub type NativePcs<V> =
    p3_fri::TwoAdicFriPcs<V, p3_dft::Radix2DitParallel<V>, ValMmcs<V>, ChallengeMmcs<V>>;
pub type Challenger<V> = p3_challenger::DuplexChallenger<V, Counting<V>, 16, 8>;
pub type Proof<V> = <NativePcs<V> as Pcs<Ext<V>, Challenger<V>>>::Proof;
pub type Cap<V> = p3_symmetric::MerkleCap<V, [V; 8]>;
pub type Claims<V> = Vec<(Cap<V>, Vec<Vec<(Ext<V>, Vec<Ext<V>>)>>)>;

pub fn counting<V: FieldFamily>() -> Counting<V> {
    CountingPermutation::new(V::permutation())
}

pub fn native_pcs<V: FieldFamily>(fri: &FriSettings) -> NativePcs<V> {
    let (pcs, _, _) = native_parts::<V>(fri);
    pcs
}

pub fn native_parts<V: FieldFamily>(
    fri: &FriSettings,
) -> (
    NativePcs<V>,
    p3_fri::FriParameters<ChallengeMmcs<V>>,
    ValMmcs<V>,
) {
    native_parts_with::<V>(fri, counting::<V>())
}

/// [`native_parts`] hashing with `perm` (and its count).
pub fn native_parts_with<V: FieldFamily>(
    fri: &FriSettings,
    perm: Counting<V>,
) -> (
    NativePcs<V>,
    p3_fri::FriParameters<ChallengeMmcs<V>>,
    ValMmcs<V>,
) {
    let val_mmcs = ValMmcs::<V>::new(
        p3_symmetric::PaddingFreeSponge::new(perm.clone()),
        p3_symmetric::TruncatedPermutation::new(perm),
        fri.cap_height,
    );
    let params = fri.fri_parameters(ChallengeMmcs::<V>::new(val_mmcs.clone()));
    (
        NativePcs::<V>::new(Default::default(), val_mmcs.clone(), params.clone()),
        params,
        val_mmcs,
    )
}

pub fn random_ext<V: FieldFamily>(rng: &mut SmallRng) -> Ext<V> {
    Ext::<V>::from_basis_coefficients_fn(|_| V::from_u64(rng.random()))
}

/// Commits and opens random matrices of `shape`, verifies natively on a
/// recording challenger; returns the claims, the proof and the native record.
pub fn native<V: FieldFamily>(
    shape: &PcsShape,
    seed: u64,
) -> (Claims<V>, Proof<V>, RecordingChallenger<Challenger<V>, V>) {
    let (claims, proof, recording, _) = native_with_openings::<V>(shape, seed);
    (claims, proof, recording)
}

/// [`native`], also returning p3's claims (with domains).
#[allow(clippy::type_complexity)]
pub fn native_with_openings<V: FieldFamily>(
    shape: &PcsShape,
    seed: u64,
) -> (
    Claims<V>,
    Proof<V>,
    RecordingChallenger<Challenger<V>, V>,
    fri::native::Claims<V, Ext<V>>,
) {
    native_at::<V>(shape, seed, &distinct_points(shape))
}

/// Which opening points are one and the same value: per batch, matrix and point, an id.
pub type PointIds = Vec<Vec<Vec<usize>>>;

/// Every opening point its own: ids 0, 1, 2, … in (batch, matrix, point) order.
pub fn distinct_points(shape: &PcsShape) -> PointIds {
    let mut next = 0;
    shape
        .commitments
        .iter()
        .map(|batch| {
            batch
                .iter()
                .map(|m| {
                    next += m.points;
                    (next - m.points..next).collect()
                })
                .collect()
        })
        .collect()
}

/// [`native_with_openings`] with the points `ids` says are one value opened at that value
/// (a random one per id, drawn when the id first appears).
#[allow(clippy::type_complexity)]
pub fn native_at<V: FieldFamily>(
    shape: &PcsShape,
    seed: u64,
    ids: &PointIds,
) -> (
    Claims<V>,
    Proof<V>,
    RecordingChallenger<Challenger<V>, V>,
    fri::native::Claims<V, Ext<V>>,
) {
    let pcs = native_pcs::<V>(&shape.fri);
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut values = std::collections::HashMap::new();
    let mut committed = Vec::new();
    for batch in &shape.commitments {
        let evaluations: Vec<_> = batch
            .iter()
            .map(|m| {
                let height = 1 << m.log_height;
                let values = (0..height * m.width)
                    .map(|_| V::from_u64(rng.random()))
                    .collect();
                let domain =
                    <NativePcs<V> as Pcs<Ext<V>, Challenger<V>>>::natural_domain_for_degree(
                        &pcs, height,
                    );
                (domain, RowMajorMatrix::new(values, m.width))
            })
            .collect();
        let domains: Vec<_> = evaluations.iter().map(|(d, _)| *d).collect();
        let (cap, data) =
            <NativePcs<V> as Pcs<Ext<V>, Challenger<V>>>::commit(&pcs, evaluations).unwrap();
        let points: Vec<Vec<Ext<V>>> = ids[committed.len()]
            .iter()
            .map(|matrix| {
                matrix
                    .iter()
                    .map(|&id| {
                        *values
                            .entry(id)
                            .or_insert_with(|| random_ext::<V>(&mut rng))
                    })
                    .collect()
            })
            .collect();
        committed.push((cap, data, domains, points));
    }
    let requests = committed
        .iter()
        .map(|(_, data, _, points)| (data, points.clone()).into())
        .collect();
    let mut prover_challenger = Challenger::<V>::new(counting::<V>());
    let (opened, proof) = pcs.open(requests, &mut prover_challenger).unwrap();

    let claims: Claims<V> = committed
        .iter()
        .zip(&opened)
        .map(|((cap, _, _, points), values)| {
            let matrices = points
                .iter()
                .zip(values)
                .map(|(zs, vs)| zs.iter().copied().zip(vs.iter().cloned()).collect())
                .collect();
            (cap.clone(), matrices)
        })
        .collect();
    let openings: fri::native::Claims<V, Ext<V>> = committed
        .iter()
        .zip(&claims)
        .map(|((cap, _, domains, _), (_, matrices))| {
            let matrices = domains
                .iter()
                .copied()
                .zip(matrices.iter().cloned())
                .collect();
            CommitmentOpening::from((cap.clone(), matrices))
        })
        .collect();
    let mut recording = RecordingChallenger::new(Challenger::<V>::new(counting::<V>()));
    pcs.verify(openings.clone(), &proof, &mut recording)
        .expect("p3 accepts its own proof");
    (claims, proof, recording, openings)
}

/// Whether a run was refused by a constraint under the builder scope `scope_prefix`.
pub fn violates(err: &RunError<impl p3_field::Field>, scope_prefix: &str) -> bool {
    err.violated_scope()
        .is_some_and(|scope| scope.starts_with(scope_prefix))
}

pub fn run<V: FieldFamily>(
    circuit: &Circuit<Ext<V>>,
    inputs: &pcs::InputValues<Ext<V>>,
) -> Result<Traces<Ext<V>>, RunError<Ext<V>>> {
    let mut runner = circuit.runner();
    fixpoint_circuit_prover::poseidon2::register_executors(&mut runner);
    runner.set_public_inputs(&inputs.publics)?;
    runner.set_private_inputs(&inputs.privates)?;
    runner.run()
}

/// The whole verifier: transcript and queries.
pub fn build_full<V: FieldFamily>(shape: &PcsShape) -> (Circuit<Ext<V>>, QueryPaths) {
    build_full_at::<V>(shape, &distinct_points(shape))
}

/// [`build_full`] where the points `ids` says are one value are one target, as a STARK
/// verifier's `ζ` is for every matrix opened at it: each later public point is connected
/// to the first of its id and the verifier reads the first.
pub fn build_full_at<V: FieldFamily>(
    shape: &PcsShape,
    ids: &PointIds,
) -> (Circuit<Ext<V>>, QueryPaths) {
    let mut b = CircuitBuilder::<Ext<V>>::new();
    let mut challenger = CircuitChallenger::new(&mut b);
    let mut inputs = PcsInputs::allocate(&mut b, shape);
    let mut first = std::collections::HashMap::new();
    for (batch, batch_ids) in inputs.points.iter_mut().zip(ids) {
        for (matrix, matrix_ids) in batch.iter_mut().zip(batch_ids) {
            for (point, &id) in matrix.iter_mut().zip(matrix_ids) {
                let target = *first.entry(id).or_insert(*point);
                if target != *point {
                    b.connect(*point, target);
                    *point = target;
                }
            }
        }
    }
    let challenges = pcs::verify_transcript(&mut b, &mut challenger, shape, &inputs).unwrap();
    let queries = QueryInputs::allocate(&mut b, shape);
    let paths = fri::verify_queries(&mut b, shape, &inputs, &challenges, &queries).unwrap();
    (b.build().unwrap(), paths)
}

/// A proof of `shape` and everything the full circuit needs to run on it.
pub struct FullRun<V: FieldFamily> {
    /// The PCS's public and private inputs, the query witness's private values included.
    pub inputs: pcs::InputValues<Ext<V>>,
    /// The query phase's witness (indices and siblings).
    pub witness: fri::QueryWitness<V, Ext<V>>,
}

/// The query phase's witness of a native proof, on a fresh transcript.
pub fn query_witness<V: FieldFamily>(
    params: &p3_fri::FriParameters<ChallengeMmcs<V>>,
    val_mmcs: &ValMmcs<V>,
    openings: &fri::native::Claims<V, Ext<V>>,
    proof: &Proof<V>,
) -> fri::QueryWitness<V, Ext<V>> {
    fri::query_witness(
        &counting::<V>(),
        params,
        val_mmcs,
        openings,
        proof,
        &mut Challenger::<V>::new(counting::<V>()),
    )
    .unwrap()
}

pub fn full_run<V: FieldFamily>(shape: &PcsShape, seed: u64) -> FullRun<V> {
    full_run_at::<V>(shape, seed, &distinct_points(shape))
}

/// [`full_run`] of a proof opened at the points `ids` says are one value.
pub fn full_run_at<V: FieldFamily>(shape: &PcsShape, seed: u64, ids: &PointIds) -> FullRun<V> {
    let (claims, proof, _, openings) = native_at::<V>(shape, seed, ids);
    let (_, params, val_mmcs) = native_parts::<V>(&shape.fri);
    let witness = query_witness::<V>(&params, &val_mmcs, &openings, &proof);
    let mut inputs = pcs::inputs(shape, &claims, &proof).unwrap();
    inputs.privates.extend(witness.privates.iter().copied());
    FullRun { inputs, witness }
}

pub fn run_full<V: FieldFamily>(
    circuit: &Circuit<Ext<V>>,
    paths: &QueryPaths,
    run: &FullRun<V>,
) -> Result<Traces<Ext<V>>, RunError<Ext<V>>> {
    let mut runner = circuit.runner();
    fixpoint_circuit_prover::poseidon2::register_executors(&mut runner);
    paths
        .set_witness(&mut runner, &run.witness)
        .expect("the siblings fit the paths");
    runner.set_public_inputs(&run.inputs.publics)?;
    runner.set_private_inputs(&run.inputs.privates)?;
    runner.run()
}

/// Why a run of the full verifier fails before proving: the runner's error (its scope),
/// or the first shared Merkle node read but not provided (which only the node bus sees).
pub fn first_failure<V: FieldFamily>(
    circuit: &Circuit<Ext<V>>,
    paths: &QueryPaths,
    run: &FullRun<V>,
) -> Option<String> {
    match run_full::<V>(circuit, paths, run) {
        Err(err) => Some(err.to_string()),
        Ok(traces) => fixpoint_circuit_prover::merkle::shared::check_node_bus(&traces)
            .err()
            .map(|e| format!("node bus: {e}")),
    }
}

/// Proves `traces` of the full verifier for `shape` and verifies the proof.
pub fn prove_and_verify<V: FieldFamily>(
    circuit: &Circuit<Ext<V>>,
    traces: &Traces<Ext<V>>,
    publics: &[Ext<V>],
) -> Result<(), fixpoint_circuit_prover::VerifyError> {
    let config = ProverConfig::<Stark<V>>::new(FriSettings::TEST);
    let (pk, vk) = setup_with(
        circuit,
        &config,
        &SetupOptions::new().with_npos(&Table::ALL),
    )
    .unwrap();
    // p3 proves whatever traces it is given: only the verifier judges them.
    let proof = prove(&pk, traces).unwrap();
    verify(&vk, publics, &proof)
}
