//! Recursion to a fixed point: layer `n+1` is a circuit that verifies a proof of layer `n`.
//!
//! **What is pinned and what is an input.** A layer's circuit is built from the *shape* of
//! the inner verifying key alone (its tables' heights and widths, its bus layout, its FRI
//! settings); the inner key's preprocessed commitment is a private input
//! ([`KeyBinding::PrivateInput`]). Were the commitment pinned as constants, layer `n+1`
//! would contain a hash of layer `n` and no two layers could ever be equal.
//!
//! **The key chain.** So that a proof of the last layer still says *which* circuits were
//! verified all the way down, every layer's public inputs are the base circuit's statement,
//! forwarded unchanged, followed by a *chain digest* (two packed slots) and the layer's
//! *depth* (one slot): `chain₁ = compress(0, key₀)` and `chainₙ₊₁ = compress(chainₙ, keyₙ)`,
//! where `keyₙ` is the preprocessed commitment of layer `n`'s key and `compress` is the
//! Merkle tree's Poseidon2 compression; `depth₁ = 1` and `depthₙ₊₁ = depthₙ + 1`. The layer
//! circuit recomputes both from the inner proof's public chain and depth and the key it
//! verified under; a verifier of the last proof recomputes the chain natively from the keys
//! it trusts, for the depth the proof claims ([`crate::trusted`]).
//!
//! **Why the shape converges.** A layer's size depends on the inner key's table heights,
//! which are powers of two, and on the FRI parameters, which are fixed: once two
//! consecutive layers have tables of the same heights, the next circuit is the same circuit
//! (same content hash), hence the same key, and every later layer is that one again.
//! [`recurse`] (over any [`FieldFamily`], e.g. `recurse::<KoalaBear>`) runs the layers and
//! detects that point.

use std::time::{Duration, Instant};

use fixpoint_circuit::{Circuit, CircuitBuilder, CircuitId, PrivateGroup, Runner};
use fixpoint_circuit_prover::merkle::Digest;
use fixpoint_circuit_prover::{
    BusLayout, CostModel, D, FieldFamily, FriSettings, Proof, ProofReport, ProverConfig,
    SetupOptions, ShapeFloor, Stark, VerifyingKey, poseidon2, prove_with_report, setup_with,
    verify,
};
use p3_field::extension::BinomiallyExtendable;
use p3_field::{PrimeCharacteristicRing, PrimeField64, TwoAdicField};
use p3_symmetric::{CryptographicPermutation, MerkleCap};
use serde::Serialize;

use crate::batch_stark::{BatchStarkVerifier, KeyBinding};
use crate::fill::FillError;
use crate::fixpoint::{self, FixpointError, FixpointKey, FixpointShape, FixpointWitness};
use crate::pcs::{ProofShapeError, check_len};
use crate::trusted::TrustedCommitment;
use crate::uni_stark::Ext;

pub use crate::trusted::{CHAIN_SLOTS, LAYER_SLOTS, chain_digest, unpack_chain};
pub use outcome::{Bundle, Outcome, verify_bundle, verify_recursion};

mod outcome;
mod report;
pub use report::LayerReport;

/// One recursion layer's circuit and its handles.
#[derive(Clone, Debug)]
pub struct LayerCircuit<V: TwoAdicField + BinomiallyExtendable<D>> {
    /// The circuit.
    pub circuit: Circuit<Ext<V>>,
    /// The inner key's shape.
    pub shape: FixpointShape<V, Ext<V>>,
    /// The verifier's handles.
    pub verifier: BatchStarkVerifier,
    /// Statement public inputs, forwarded from the inner proof.
    pub statement: usize,
    /// Whether the inner proof carries a chain digest and a depth (every layer's does; the
    /// base circuit's does not).
    pub inner_chain: bool,
    /// The inner chain digest's slots and depth, private inputs of their own group (empty
    /// when the inner proof has none).
    pub chain_privates: PrivateGroup,
}

/// Builds the layer that verifies proofs under `inner_vk`. `inner_chain` says whether the
/// inner circuit is itself a layer (its last [`LAYER_SLOTS`] public inputs are a chain
/// digest and a depth).
pub fn layer_circuit<V, K>(
    inner_vk: &K,
    inner_chain: bool,
) -> Result<LayerCircuit<V>, FixpointError>
where
    V: PrimeField64 + TwoAdicField + BinomiallyExtendable<D>,
    Ext<V>: fixpoint_circuit::CircuitField<PrimeSubfield = V>,
    K: FixpointKey<V>,
{
    let shape = FixpointShape::new(inner_vk, KeyBinding::PrivateInput)?;
    let layer_slots = if inner_chain { LAYER_SLOTS } else { 0 };
    let statement = shape
        .public_count
        .checked_sub(layer_slots)
        .ok_or(ProofShapeError::Length {
            what: "public inputs of an inner layer",
            expected: LAYER_SLOTS,
            got: shape.public_count,
        })?;
    let mut b = CircuitBuilder::<Ext<V>>::new();
    let forwarded = b.public_inputs(statement);
    let chain_out = b.public_inputs(CHAIN_SLOTS);
    let depth_out = b.public_input();
    let (chain_privates, (chain_in, depth_in)): (_, (Digest, _)) = b.private_group(|b| {
        if inner_chain {
            let chain = [b.private_input(), b.private_input()];
            (chain, b.private_input())
        } else {
            ([b.zero(), b.zero()], b.zero())
        }
    });
    let mut inner_publics = forwarded.clone();
    if inner_chain {
        inner_publics.extend(chain_in);
        inner_publics.push(depth_in);
    }
    let (verifier, _) = fixpoint::verify_circuit(&mut b, &shape, &inner_publics)?;
    let key = verifier
        .inputs
        .preprocessed_commitment
        .clone()
        .ok_or(FixpointError::NoPreprocessedCommitment)?;
    b.scope("chain", |b| {
        let mut acc = chain_in;
        for root in &key {
            acc = poseidon2::compress_packed(b, &acc, root);
        }
        b.connect(acc[0], chain_out[0]);
        b.connect(acc[1], chain_out[1]);
        let one = b.one();
        let depth = b.add(depth_in, one);
        b.connect(depth, depth_out);
    });
    let circuit = b.build().map_err(|e| FixpointError::Build(Box::new(e)))?;
    Ok(LayerCircuit {
        circuit,
        shape,
        verifier,
        statement,
        inner_chain,
        chain_privates,
    })
}

/// A layer's inputs for one inner proof.
#[derive(Clone, Debug)]
pub struct LayerWitness<V> {
    /// The layer's public inputs: the statement, the new chain digest and the depth.
    pub publics: Vec<Ext<V>>,
    /// The inner chain digest's slots and the inner depth (private), when the inner proof
    /// has them.
    pub inner_chain: Vec<Ext<V>>,
    /// The verifier's witness.
    pub fixpoint: FixpointWitness<V>,
}

impl<V> LayerCircuit<V>
where
    V: PrimeField64 + TwoAdicField + BinomiallyExtendable<D>,
    Ext<V>: fixpoint_circuit::CircuitField<PrimeSubfield = V>,
{
    /// The inputs for `proof` of `inner_publics` under the inner key, whose preprocessed
    /// commitment is `inner_key`.
    pub fn witness<P>(
        &self,
        perm: &P,
        proof: &Proof<fixpoint_circuit_prover::config::StarkCfg<V, P>>,
        inner_publics: &[Ext<V>],
        inner_key: &MerkleCap<V, [V; 8]>,
    ) -> Result<LayerWitness<V>, FixpointError>
    where
        P: CryptographicPermutation<[V; 16]>
            + CryptographicPermutation<[<V as p3_field::Field>::Packing; 16]>
            + Clone,
    {
        check_len(
            "public inputs",
            self.shape.public_count,
            inner_publics.len(),
        )?;
        let mut shape = self.shape.clone();
        if let Some(p) = shape.batch.preprocessed.as_mut() {
            p.commitment = inner_key.clone();
        }
        let fixpoint = FixpointWitness::from_proof(&shape, perm, proof, inner_publics)?;
        let (statement, chain) = inner_publics.split_at(self.statement);
        let (prev, depth) = if self.inner_chain {
            (unpack_chain(&chain[..CHAIN_SLOTS])?, chain[CHAIN_SLOTS])
        } else {
            ([V::ZERO; 8], Ext::<V>::ZERO)
        };
        let next = chain_digest(perm, prev, inner_key);
        let mut publics = statement.to_vec();
        publics.extend(poseidon2::pack_values::<Ext<V>>(&next));
        publics.push(depth + Ext::<V>::ONE);
        Ok(LayerWitness {
            publics,
            inner_chain: chain.to_vec(),
            fixpoint,
        })
    }

    /// Gives the runner every input and sibling.
    pub fn fill(
        &self,
        witness: &LayerWitness<V>,
        runner: &mut Runner<'_, Ext<V>>,
    ) -> Result<(), FillError<Ext<V>>> {
        witness.fixpoint.fill(&self.verifier, runner)?;
        runner
            .set_public_inputs(&witness.publics)
            .map_err(FillError::Inputs)?;
        runner
            .set_private_group(&self.chain_privates, &witness.inner_chain)
            .map_err(FillError::Inputs)
    }
}

/// Why recursion stopped; `F` is the circuit field. Each phase's error is the variant's
/// source.
#[derive(Debug, thiserror::Error)]
pub enum RecursionError<F: p3_field::Field> {
    /// A layer's circuit or witness could not be built.
    #[error("layer {layer}: {source}")]
    Layer {
        /// The layer (1 verifies the base proof).
        layer: usize,
        /// What failed.
        source: FixpointError,
    },
    /// A layer's setup failed.
    #[error("layer {layer}: setup failed")]
    Setup {
        /// The layer.
        layer: usize,
        /// Why.
        #[source]
        source: fixpoint_circuit_prover::SetupError,
    },
    /// A layer's witness did not fill its runner.
    #[error("layer {layer}: the witness does not fill the layer circuit")]
    Fill {
        /// The layer.
        layer: usize,
        /// Why.
        #[source]
        source: FillError<F>,
    },
    /// A layer's circuit did not run.
    #[error("layer {layer}: the run failed")]
    Run {
        /// The layer.
        layer: usize,
        /// Why.
        #[source]
        source: fixpoint_circuit::RunError<F>,
    },
    /// A layer's run reads a shared Merkle node its subtree does not provide (a wrong
    /// opening caught by a shared tree, which the runner cannot see).
    #[error("layer {layer}: a shared Merkle node does not match")]
    NodeBus {
        /// The layer.
        layer: usize,
        /// The first node read but not provided.
        #[source]
        source: fixpoint_circuit_prover::merkle::shared::NodeBusError,
    },
    /// A layer could not be proved.
    #[error("layer {layer}: proving failed")]
    Prove {
        /// The layer.
        layer: usize,
        /// Why.
        #[source]
        source: fixpoint_circuit_prover::ProveError,
    },
    /// A layer's proof did not verify under its own key.
    #[error("layer {layer}: the layer's proof does not verify")]
    Verify {
        /// The layer.
        layer: usize,
        /// Why.
        #[source]
        source: fixpoint_circuit_prover::VerifyError,
    },
    /// `recurse` was asked for no layer.
    #[error("no layer to run: ask for at least one")]
    NoLayers,
    /// Two layers with one circuit got different verifying keys.
    #[error("layer {layer} has the previous layer's circuit but another verifying key")]
    KeyChanged {
        /// The layer.
        layer: usize,
    },
}

/// One proved layer over field family `F` (see [`prove_layer`]).
pub struct LayerProof<F: FieldFamily> {
    /// The layer's proof.
    pub proof: Proof<Stark<F>>,
    /// Its public inputs: the statement, the chain digest, the depth.
    pub publics: Vec<Ext<F>>,
    /// What the proof cost.
    pub report: ProofReport,
    /// Witness generation and run time.
    pub run: Duration,
    /// Prove time.
    pub prove: Duration,
}

/// Proves layer `layer`: `built`, with its proving key `pk`, verifying
/// `inner_proof` of `inner_publics` under `inner_vk`.
pub fn prove_layer<F: FieldFamily, N>(
    layer: usize,
    built: &LayerCircuit<F>,
    pk: &fixpoint_circuit_prover::ProvingKey<Stark<F>, poseidon2::Table>,
    inner_vk: &VerifyingKey<Stark<F>, N>,
    inner_proof: &Proof<Stark<F>>,
    inner_publics: &[Ext<F>],
) -> Result<LayerProof<F>, RecursionError<Ext<F>>> {
    let perm = F::permutation();
    let start = Instant::now();
    let witness = built
        .witness(
            &perm,
            inner_proof,
            inner_publics,
            &inner_vk.preprocessed_commitment,
        )
        .map_err(|source| RecursionError::Layer { layer, source })?;
    let mut runner = built.circuit.runner();
    poseidon2::register_executors(&mut runner);
    built
        .fill(&witness, &mut runner)
        .map_err(|source| RecursionError::Fill { layer, source })?;
    let traces = runner
        .run()
        .map_err(|source| RecursionError::Run { layer, source })?;
    fixpoint_circuit_prover::merkle::shared::check_node_bus(&traces)
        .map_err(|source| RecursionError::NodeBus { layer, source })?;
    let run = start.elapsed();
    let start = Instant::now();
    let (proof, report) =
        prove_with_report(pk, &traces).map_err(|source| RecursionError::Prove { layer, source })?;
    Ok(LayerProof {
        proof,
        publics: witness.publics,
        report,
        run,
        prove: start.elapsed(),
    })
}

/// A proved layer as the next one verifies it: its key, its proof, its public inputs.
type LayerResult<F> = (
    VerifyingKey<Stark<F>, poseidon2::Table>,
    Proof<Stark<F>>,
    Vec<Ext<F>>,
);

/// A layer's proving key over field family `F`.
type LayerKey<F> = fixpoint_circuit_prover::ProvingKey<Stark<F>, poseidon2::Table>;

/// The previous layer's circuit and proving key, which a layer with the same circuit reuses.
type PreviousLayer<F> = (CircuitId, LayerKey<F>);

/// The base proof that layer 1 verifies: its key, the proof, its public inputs.
struct Base<'a, F: FieldFamily, N> {
    /// The base circuit's verifying key.
    vk: &'a VerifyingKey<Stark<F>, N>,
    /// The base proof.
    proof: &'a Proof<Stark<F>>,
    /// The base proof's public inputs.
    publics: &'a [Ext<F>],
}

/// A layer's setup: its proving key, what the setup cost, and whether it was reused.
struct LayerSetup<F: FieldFamily> {
    /// The layer's proving key.
    pk: LayerKey<F>,
    /// Setup time (zero when the previous layer's setup was reused).
    time: Duration,
    /// Whether the previous layer's setup was reused: the fixed point.
    reused: bool,
}

/// Runs `layers` recursion layers on `base_proof` of `base_publics` under
/// `base_vk`, proving every layer with `settings`; calls `progress` after each.
/// From the first layer whose circuit repeats one before its predecessor's (a cycle), and
/// from layer [`ALWAYS_FLOORED_FROM`] in any case, a layer's setup starts from the previous
/// layer's shapes ([`ShapeFloor`]: kept while they hold the entries), so capacities only
/// grow and the layers cannot go round a cycle forever. From the first layer
/// whose circuit equals the previous one, the setup is reused, after checking
/// once that a fresh setup (with the same floor) gives the same key.
///
/// The field family `F` is the base key's (`recurse::<KoalaBear>` where the caller wants
/// to name it); every layer is proved over it with the Poseidon2 [`poseidon2::Table`]s,
/// on the base key's bus layout ([`Layout::bus`](fixpoint_circuit_prover::Layout::bus)).
pub fn recurse<F: FieldFamily, N>(
    base_vk: &VerifyingKey<Stark<F>, N>,
    base_proof: &Proof<Stark<F>>,
    base_publics: &[Ext<F>],
    settings: FriSettings,
    layers: usize,
    progress: impl FnMut(&LayerReport),
) -> Result<Outcome<F>, RecursionError<Ext<F>>>
where
    VerifyingKey<Stark<F>, N>: FixpointKey<F>,
    N: Serialize + serde::de::DeserializeOwned,
{
    let base = Base {
        vk: base_vk,
        proof: base_proof,
        publics: base_publics,
    };
    run_layers(&base, settings, layers, false, progress)
}

/// [`recurse`] until the fixed point: stops after the first layer whose circuit equals its
/// predecessor's (so its [`Outcome`] has a trusted key set and a bundle), or after
/// `max_layers` layers without one.
///
/// ```no_run
/// # use fixpoint_circuit_prover::{prove, setup, FriSettings, KoalaBearExt as E, ProverConfig};
/// # use fixpoint_recursion::layers::recurse_to_fixed_point;
/// # use p3_field::PrimeCharacteristicRing;
/// # let mut b = fixpoint_circuit::CircuitBuilder::<E>::new();
/// # let x = b.public_input();
/// # let y = b.mul(x, x);
/// # b.expose(y);
/// # let base = b.build()?;
/// # let (pk, vk) = setup(&base, &ProverConfig::koala_bear(FriSettings::DEFAULT))?;
/// # let publics = [E::from_u32(3)];
/// # let mut runner = base.runner();
/// # runner.set_public_inputs(&publics)?;
/// # let proof = prove(&pk, &runner.run()?)?;
/// let outcome = recurse_to_fixed_point(&vk, &proof, &publics, FriSettings::DEFAULT, 12, |r| {
///     println!("layer {} proved in {:?}", r.layer, r.prove)
/// })?;
/// assert!(outcome.trusted_keys().is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn recurse_to_fixed_point<F: FieldFamily, N>(
    base_vk: &VerifyingKey<Stark<F>, N>,
    base_proof: &Proof<Stark<F>>,
    base_publics: &[Ext<F>],
    settings: FriSettings,
    max_layers: usize,
    progress: impl FnMut(&LayerReport),
) -> Result<Outcome<F>, RecursionError<Ext<F>>>
where
    VerifyingKey<Stark<F>, N>: FixpointKey<F>,
    N: Serialize + serde::de::DeserializeOwned,
{
    let base = Base {
        vk: base_vk,
        proof: base_proof,
        publics: base_publics,
    };
    run_layers(&base, settings, max_layers, true, progress)
}

/// Runs up to `layers` layers over `base`; with `stop_at_fixed_point`, stops after the
/// first layer that reuses its predecessor's setup.
fn run_layers<F: FieldFamily, N>(
    base: &Base<'_, F, N>,
    settings: FriSettings,
    layers: usize,
    stop_at_fixed_point: bool,
    mut progress: impl FnMut(&LayerReport),
) -> Result<Outcome<F>, RecursionError<Ext<F>>>
where
    VerifyingKey<Stark<F>, N>: FixpointKey<F>,
    N: Serialize + serde::de::DeserializeOwned,
{
    let config = ProverConfig::<Stark<F>>::new(settings);
    let mut keys = vec![TrustedCommitment::new(&base.vk.preprocessed_commitment)];
    let mut reports: Vec<LayerReport> = Vec::new();
    let mut fixed_point_at = None;
    let mut inner: Option<LayerResult<F>> = None;
    let mut previous: Option<PreviousLayer<F>> = None;
    let mut cycle = false;
    for layer in 1..=layers {
        let (built, build) = build_layer(layer, base, inner.as_ref())?;
        let id = built.circuit.id();
        // A circuit met before, but not just before, is a cycle: from it on, shapes start
        // from the previous layer's, so the cycle cannot go round again.
        let earlier = &reports[..reports.len().saturating_sub(1)];
        cycle |= earlier.iter().any(|r| r.circuit_id == id);
        let floored = match (cycle, layer >= ALWAYS_FLOORED_FROM) {
            (_, true) => Floored::All,
            (true, false) => Floored::PrimitiveTables,
            (false, false) => Floored::None,
        };
        let setup = setup_layer(
            layer,
            (&built, id),
            &config,
            (floored, base.vk.layout.bus()),
            &mut previous,
            &mut fixed_point_at,
        )?;
        let proved = prove_over_inner(layer, &built, &setup.pk, base, inner.as_ref())?;
        let verify_time = verify_layer(layer, &setup.pk, &proved)?;
        let report = LayerReport {
            layer,
            circuit_id: id,
            stats: built.circuit.stats(),
            proof: proved.report,
            build,
            setup: setup.time,
            run: proved.run,
            prove: proved.prove,
            verify: verify_time,
            vk_hash: setup.pk.vk.hash(),
            fixed_point: setup.reused,
        };
        progress(&report);
        reports.push(report);
        keys.push(TrustedCommitment::new(&setup.pk.vk.preprocessed_commitment));
        inner = Some((setup.pk.vk.clone(), proved.proof, proved.publics));
        previous = Some((id, setup.pk));
        if stop_at_fixed_point && setup.reused {
            break;
        }
    }
    outcome(reports, fixed_point_at, inner, keys)
}

/// Builds layer `layer`'s circuit over the key it verifies under (the inner layer's, the
/// base key for layer 1); returns it and the time the build took.
fn build_layer<F: FieldFamily, N>(
    layer: usize,
    base: &Base<'_, F, N>,
    inner: Option<&LayerResult<F>>,
) -> Result<(LayerCircuit<F>, Duration), RecursionError<Ext<F>>>
where
    VerifyingKey<Stark<F>, N>: FixpointKey<F>,
{
    let start = Instant::now();
    let built = match inner {
        None => layer_circuit(base.vk, false),
        Some((vk, _, _)) => layer_circuit(vk, true),
    }
    .map_err(|source| RecursionError::Layer { layer, source })?;
    Ok((built, start.elapsed()))
}

/// Sets up layer `layer`'s circuit `built` (content hash `id`) on a `bus` bus (the base
/// key's: every layer keeps it), with the previous layer's shapes as its floor when
/// `floored`, reusing the previous layer's proving key when its circuit is the same one and
/// then, the first time, recording the fixed point in `fixed_point_at`.
fn setup_layer<F: FieldFamily>(
    layer: usize,
    (built, id): (&LayerCircuit<F>, CircuitId),
    config: &ProverConfig<Stark<F>>,
    (floored, bus): (Floored, BusLayout),
    previous: &mut Option<PreviousLayer<F>>,
    fixed_point_at: &mut Option<usize>,
) -> Result<LayerSetup<F>, RecursionError<Ext<F>>> {
    let start = Instant::now();
    let options = SetupOptions::new()
        .with_bus(bus)
        .with_npos(&poseidon2::Table::ALL)
        .with_floor(shape_floor(previous.as_ref(), floored))
        .with_cost(
            CostModel::with_column_cells(LAYER_COLUMN_CELLS).and_height_cells(LAYER_HEIGHT_CELLS),
        );
    let reused = previous.as_ref().is_some_and(|(prev, _)| *prev == id);
    let pk = if reused {
        let (_, pk) = previous.take().expect("checked");
        if fixed_point_at.is_none() {
            *fixed_point_at = Some(layer);
            check_fresh_setup(layer, built, config, &options, &pk)?;
        }
        pk
    } else {
        setup_with(&built.circuit, config, &options)
            .map_err(|source| RecursionError::Setup { layer, source })?
            .0
    };
    let time = if reused {
        Duration::ZERO
    } else {
        start.elapsed()
    };
    Ok(LayerSetup { pk, time, reused })
}

/// What one more column of a layer's tables costs the next layer's verifier, in its cells:
/// the layers' [`CostModel`] price.
///
/// On the reference workload's steady layer (`recursive_fibonacci --report`, issue 15,
/// after levers 5 and 7) the input-batch Merkle paths (3.02 M cells) and the reduced
/// openings (4.86 M) over the about 817 columns the inner proof opens at every query (745
/// trace columns and 72 of quotient chunks) come to 9 600 cells per column on average. The
/// price is set above that mean: at 9 600 the model gives the Add table five lanes of 2^14
/// rows, just enough for that layer's 79 185 ops, but the verifier of that shape needs
/// 82 368, and the layers went round a cycle between the two shapes (measured), settling on
/// the dearer one (12.7 M cells against 11.1 M at 12 000).
///
/// Since lever 3 (packed opened rows, Horner rows) a column costs less: the input-batch
/// Merkle paths (2.51 M) and the reduced openings (1.51 M) over about 800 opened columns
/// come to about 5 000 cells each. The steady layer is the same at 5 000, 8 000 and 12 000
/// (6 671 104 cells, measured): every table is then as tall as the height price allows, and
/// its lanes are the fewest that hold it. The price stays where the cycle above was broken.
pub const LAYER_COLUMN_CELLS: usize = 12_000;

/// What doubling the tallest table of a layer costs the next layer's verifier, in its
/// cells: the layers' [`CostModel::height_cells`]. Every query's input-batch Merkle paths
/// get one more level and FRI one more commit round. Measured on the reference workload
/// (issue 15): with the Witness table at 4 lanes of 2^16 rows rather than 8 of 2^15 (fewer
/// cells of its own), the next verifier's commit-phase Merkle paths grew by 1.0 M cells, its
/// input-batch paths by 0.6 M and its folding by 0.1 M.
pub const LAYER_HEIGHT_CELLS: usize = 1_500_000;

/// The layer from which every layer's shapes start from the previous layer's (its
/// [`ShapeFloor`]) even without a cycle: a bound on how long the layers may wander.
///
/// Before it, a layer's shapes are free unless its circuit repeats one before its
/// predecessor's (a cycle, which the floor then breaks). Free shapes matter: the early
/// layers verify much smaller proofs, and a floor taken from them keeps their accidents (on
/// the reference workload, a floor from layer 2 kept a Merkle table twice the height the
/// steady layer needs, and one from layer 3 a Poseidon2 table: 1.6 M cells of about 11 M).
pub const ALWAYS_FLOORED_FROM: usize = 6;

/// Which of the previous layer's shapes a layer starts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Floored {
    /// None: the layers so far have not gone round a cycle.
    None,
    /// The primitive tables' (lanes and height): the layers went round a cycle. NPO
    /// heights stay free, so a Poseidon2 table that grew in one step of the cycle can come
    /// back down once the primitive tables are pinned.
    PrimitiveTables,
    /// Every table's, from [`ALWAYS_FLOORED_FROM`] on: capacities only grow, so the layers
    /// settle.
    All,
}

/// The floor on a layer's table shapes: the previous layer's, as far as `floored` says.
fn shape_floor<F: FieldFamily>(
    previous: Option<&PreviousLayer<F>>,
    floored: Floored,
) -> ShapeFloor {
    let Some((_, pk)) = previous else {
        return ShapeFloor::default();
    };
    match floored {
        Floored::None => ShapeFloor::default(),
        Floored::PrimitiveTables => ShapeFloor {
            npo_log_heights: Vec::new(),
            ..pk.vk.shape_floor()
        },
        Floored::All => pk.vk.shape_floor(),
    }
}

/// Checks, once at the fixed point, that a fresh setup of `built` with `options` gives the
/// reused key `pk`.
fn check_fresh_setup<F: FieldFamily>(
    layer: usize,
    built: &LayerCircuit<F>,
    config: &ProverConfig<Stark<F>>,
    options: &SetupOptions<'_, poseidon2::Table>,
    pk: &LayerKey<F>,
) -> Result<(), RecursionError<Ext<F>>> {
    let (_, vk) = setup_with(&built.circuit, config, options)
        .map_err(|source| RecursionError::Setup { layer, source })?;
    if vk.hash() != pk.vk.hash() {
        return Err(RecursionError::KeyChanged { layer });
    }
    Ok(())
}

/// Proves layer `layer` over the proof it verifies: the inner layer's, the base proof for
/// layer 1.
fn prove_over_inner<F: FieldFamily, N>(
    layer: usize,
    built: &LayerCircuit<F>,
    pk: &LayerKey<F>,
    base: &Base<'_, F, N>,
    inner: Option<&LayerResult<F>>,
) -> Result<LayerProof<F>, RecursionError<Ext<F>>> {
    match inner {
        None => prove_layer(layer, built, pk, base.vk, base.proof, base.publics),
        Some((vk, proof, publics)) => prove_layer(layer, built, pk, vk, proof, publics),
    }
}

/// Verifies layer `layer`'s proof natively under its own key; returns the time it took.
fn verify_layer<F: FieldFamily>(
    layer: usize,
    pk: &LayerKey<F>,
    proved: &LayerProof<F>,
) -> Result<Duration, RecursionError<Ext<F>>> {
    let start = Instant::now();
    verify(&pk.vk, &proved.publics, &proved.proof)
        .map_err(|source| RecursionError::Verify { layer, source })?;
    Ok(start.elapsed())
}

/// The run's outcome: the last layer's key, proof and public inputs, and the chain of keys
/// below the last one.
fn outcome<F: FieldFamily>(
    reports: Vec<LayerReport>,
    fixed_point_at: Option<usize>,
    inner: Option<LayerResult<F>>,
    mut keys: Vec<TrustedCommitment>,
) -> Result<Outcome<F>, RecursionError<Ext<F>>> {
    let (vk, proof, publics) = inner.ok_or(RecursionError::NoLayers)?;
    // The last key verifies the last proof; it is not part of the chain.
    keys.pop();
    Ok(Outcome {
        reports,
        fixed_point_at,
        vk,
        proof,
        publics,
        keys,
    })
}
