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
//! forwarded unchanged, followed by a *chain digest* (two packed slots):
//! `chain₁ = compress(0, key₀)` and `chainₙ₊₁ = compress(chainₙ, keyₙ)`, where `keyₙ` is
//! the preprocessed commitment of layer `n`'s key and `compress` is the Merkle tree's
//! Poseidon2 compression. The layer circuit recomputes it from the inner proof's public
//! chain and the key it verified under; a verifier of the last proof recomputes it natively
//! from the keys it trusts ([`chain_digest`]).
//!
//! **Why the shape converges.** A layer's size depends on the inner key's table heights,
//! which are powers of two, and on the FRI parameters, which are fixed: once two
//! consecutive layers have tables of the same heights, the next circuit is the same circuit
//! (same content hash), hence the same key, and every later layer is that one again.
//! [`koala_bear::recurse`] and [`baby_bear::recurse`] run the layers and detect that point.

use fixpoint_circuit::{Circuit, CircuitBuilder, Runner};
use fixpoint_circuit_prover::merkle::Digest;
use fixpoint_circuit_prover::{D, Proof, poseidon2};
use p3_field::extension::BinomiallyExtendable;
use p3_field::{BasedVectorSpace, PrimeCharacteristicRing, PrimeField64, TwoAdicField};
use p3_symmetric::{
    CryptographicPermutation, MerkleCap, PseudoCompressionFunction, TruncatedPermutation,
};

use crate::batch_stark::{BatchStarkVerifier, KeyBinding};
use crate::fixpoint::{self, FixpointError, FixpointKey, FixpointShape, FixpointWitness};
use crate::pcs::{ProofShapeError, check_len};
use crate::uni_stark::Ext;

/// Public inputs a layer adds after the statement: the chain digest's two packed slots.
pub const CHAIN_SLOTS: usize = 2;

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
    /// Whether the inner proof carries a chain digest (every layer's does; the base
    /// circuit's does not).
    pub inner_chain: bool,
}

/// Builds the layer that verifies proofs under `inner_vk`. `inner_chain` says whether the
/// inner circuit is itself a layer (its last [`CHAIN_SLOTS`] public inputs are a chain
/// digest).
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
    let chain_slots = if inner_chain { CHAIN_SLOTS } else { 0 };
    let statement = shape
        .public_count
        .checked_sub(chain_slots)
        .ok_or(ProofShapeError::Length {
            what: "public inputs of an inner layer",
            expected: CHAIN_SLOTS,
            got: shape.public_count,
        })?;
    let mut b = CircuitBuilder::<Ext<V>>::new();
    let forwarded = b.public_inputs(statement);
    let chain_out = b.public_inputs(CHAIN_SLOTS);
    let chain_in: Digest = if inner_chain {
        [b.private_input(), b.private_input()]
    } else {
        [b.zero(), b.zero()]
    };
    let mut inner_publics = forwarded.clone();
    if inner_chain {
        inner_publics.extend(chain_in);
    }
    let (verifier, _) = fixpoint::verify_circuit(&mut b, &shape, &inner_publics)?;
    let key = verifier
        .inputs
        .preprocessed_commitment
        .clone()
        .ok_or_else(|| FixpointError::Key("the inner key has no preprocessed commitment".into()))?;
    b.scope("chain", |b| {
        let mut acc = chain_in;
        for root in &key {
            acc = poseidon2::compress_packed(b, &acc, root);
        }
        b.connect(acc[0], chain_out[0]);
        b.connect(acc[1], chain_out[1]);
    });
    let circuit = b
        .build()
        .map_err(|e| FixpointError::Key(format!("the layer circuit does not build: {e}")))?;
    Ok(LayerCircuit {
        circuit,
        shape,
        verifier,
        statement,
        inner_chain,
    })
}

/// `compress(prev, root)` over every root of `key`: one step of the key chain.
pub fn chain_digest<V, P>(perm: &P, prev: [V; 8], key: &MerkleCap<V, [V; 8]>) -> [V; 8]
where
    V: PrimeField64,
    P: CryptographicPermutation<[V; 16]> + Clone,
{
    let compress = TruncatedPermutation::<P, 2, 8, 16>::new(perm.clone());
    key.roots()
        .iter()
        .fold(prev, |acc, root| compress.compress([acc, *root]))
}

/// A chain digest from its two packed public slots.
pub fn unpack_chain<V: PrimeField64 + BinomiallyExtendable<D>>(slots: &[Ext<V>]) -> [V; 8] {
    let lanes: Vec<V> = slots
        .iter()
        .flat_map(|s| s.as_basis_coefficients_slice().to_vec())
        .collect();
    std::array::from_fn(|i| lanes[i])
}

/// A layer's inputs for one inner proof.
#[derive(Clone, Debug)]
pub struct LayerWitness<V> {
    /// The layer's public inputs: the statement and the new chain digest.
    pub publics: Vec<Ext<V>>,
    /// The inner chain digest's slots (private), when the inner proof has one.
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
        let prev = if self.inner_chain {
            unpack_chain(chain)
        } else {
            [V::ZERO; 8]
        };
        let next = chain_digest(perm, prev, inner_key);
        let mut publics = statement.to_vec();
        publics.extend(poseidon2::pack_values::<Ext<V>>(&next));
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
    ) -> Result<(), String> {
        let batch = &witness.fixpoint.batch;
        self.verifier
            .paths
            .set_witness(runner, &batch.query)
            .map_err(|e| e.to_string())?;
        runner
            .set_public_inputs(&witness.publics)
            .map_err(|e| e.to_string())?;
        let mut privates = witness.inner_chain.clone();
        privates.extend(batch.privates.iter().copied());
        runner
            .set_private_inputs(&privates)
            .map_err(|e| e.to_string())
    }
}

/// Why recursion stopped.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecursionError {
    /// A layer's circuit or witness could not be built.
    #[error("layer {layer}: {source}")]
    Layer {
        /// The layer (1 verifies the base proof).
        layer: usize,
        /// What failed.
        source: FixpointError,
    },
    /// Setup, run, prove or verify of a layer failed.
    #[error("layer {layer}: {phase} failed: {message}")]
    Phase {
        /// The layer.
        layer: usize,
        /// setup, run, prove or verify.
        phase: &'static str,
        /// The error.
        message: String,
    },
    /// Two layers with one circuit got different verifying keys.
    #[error("layer {layer} has the previous layer's circuit but another verifying key")]
    KeyChanged {
        /// The layer.
        layer: usize,
    },
}

macro_rules! recursion_driver {
    ($module:ident, $v:ty, $perm:ty, $native:path, $stark:ty, $ctor:ident) => {
        /// The recursion driver over
        #[doc = stringify!($v)]
        /// .
        pub mod $module {
            use std::time::{Duration, Instant};

            use fixpoint_circuit::{CircuitId, CircuitStats};
            use fixpoint_circuit_prover::{
                FriSettings, Lanes, ProofReport, ProverConfig, VerifyingKey, prove_with_report,
                setup_with_floor, verify,
            };

            use super::*;

            type V = $v;
            type E = Ext<$v>;
            type SC = $stark;
            type Table = fixpoint_circuit_prover::poseidon2::$module::Table;

            /// What one layer cost.
            #[derive(Clone, Debug)]
            pub struct LayerReport {
                /// 1 verifies the base proof.
                pub layer: usize,
                /// The circuit's content hash.
                pub circuit_id: CircuitId,
                /// Ops by kind and scope.
                pub stats: CircuitStats,
                /// Rows, columns and phase times of the proof.
                pub proof: ProofReport,
                /// Circuit build time.
                pub build: Duration,
                /// Setup time (zero when the previous layer's setup was reused).
                pub setup: Duration,
                /// Witness generation and run time.
                pub run: Duration,
                /// Prove time.
                pub prove: Duration,
                /// Verify time.
                pub verify: Duration,
                /// The verifying key's hash.
                pub vk_hash: [u8; 32],
                /// Whether this layer's circuit is the previous layer's: the fixed point.
                pub fixed_point: bool,
            }

            /// The last layer's proof and what it took to get there.
            pub struct Outcome {
                /// One report per layer.
                pub reports: Vec<LayerReport>,
                /// The first layer whose circuit equals its predecessor's.
                pub fixed_point_at: Option<usize>,
                /// The last layer's verifying key.
                pub vk: VerifyingKey<SC, Table>,
                /// The last layer's proof.
                pub proof: Proof<SC>,
                /// Its public inputs: the statement, then the chain digest.
                pub publics: Vec<E>,
                /// The preprocessed commitment of every key in the chain, base key first.
                pub keys: Vec<MerkleCap<V, [V; 8]>>,
            }

            impl Outcome {
                /// Checks the last proof as a verifier who trusts `keys` would: the proof
                /// verifies under the last key and its chain digest is the digest of
                /// `keys`.
                pub fn verify_chain(&self, keys: &[MerkleCap<V, [V; 8]>]) -> Result<(), String> {
                    verify(&self.vk, &self.publics, &self.proof).map_err(|e| e.to_string())?;
                    let perm = $native();
                    let expected = keys
                        .iter()
                        .fold([V::ZERO; 8], |acc, key| chain_digest(&perm, acc, key));
                    let chain = unpack_chain(&self.publics[self.publics.len() - CHAIN_SLOTS..]);
                    if chain == expected {
                        Ok(())
                    } else {
                        Err("the proof's key chain is not the trusted keys' chain".into())
                    }
                }
            }

            /// Runs `layers` recursion layers on `base_proof` of `base_publics` under
            /// `base_vk`, proving every layer with `settings`; calls `progress` after each.
            /// From layer 3 on, a layer's setup takes the previous layer's shapes as its
            /// floor ([`ShapeFloor`](fixpoint_circuit_prover::ShapeFloor)), so shapes
            /// only grow and two layers cannot alternate forever. From the first layer
            /// whose circuit equals the previous one, the setup is reused, after checking
            /// once that a fresh setup (with the same floor) gives the same key.
            pub fn recurse<N>(
                base_vk: &VerifyingKey<SC, N>,
                base_proof: &Proof<SC>,
                base_publics: &[E],
                settings: FriSettings,
                layers: usize,
                mut progress: impl FnMut(&LayerReport),
            ) -> Result<Outcome, RecursionError>
            where
                VerifyingKey<SC, N>: FixpointKey<V>,
            {
                let config = ProverConfig::$ctor(settings);
                let perm = $native();
                let phase = |layer: usize, phase: &'static str| {
                    move |e: String| RecursionError::Phase {
                        layer,
                        phase,
                        message: e,
                    }
                };
                let mut keys = vec![base_vk.preprocessed_commitment.clone()];
                let mut reports: Vec<LayerReport> = Vec::new();
                let mut fixed_point_at = None;
                let mut inner: Option<(VerifyingKey<SC, Table>, Proof<SC>, Vec<E>)> = None;
                let mut previous: Option<(
                    CircuitId,
                    fixpoint_circuit_prover::ProvingKey<SC, Table>,
                )> = None;
                for layer in 1..=layers {
                    let start = Instant::now();
                    let built = match &inner {
                        None => layer_circuit(base_vk, false),
                        Some((vk, _, _)) => layer_circuit(vk, true),
                    }
                    .map_err(|source| RecursionError::Layer { layer, source })?;
                    let build = start.elapsed();
                    let id = built.circuit.id();

                    let start = Instant::now();
                    // Shapes only grow: from layer 3 on (the first layer that verifies a
                    // layer like itself), the previous layer's shapes are this one's floor,
                    // so two layers cannot alternate between two shapes (see `ShapeFloor`).
                    let floor = previous
                        .as_ref()
                        .filter(|_| layer >= 3)
                        .map(|(_, pk)| pk.vk.shape_floor())
                        .unwrap_or_default();
                    let reuse = previous.as_ref().is_some_and(|(prev, _)| *prev == id);
                    let pk = if reuse {
                        let (_, pk) = previous.take().expect("checked");
                        if fixed_point_at.is_none() {
                            fixed_point_at = Some(layer);
                            // Once: a fresh setup of the same circuit gives the same key.
                            let (_, vk) = setup_with_floor(
                                &built.circuit,
                                &config,
                                &Lanes::default(),
                                &Table::ALL,
                                &floor,
                            )
                            .map_err(|e| phase(layer, "setup")(e.to_string()))?;
                            if vk.hash() != pk.vk.hash() {
                                return Err(RecursionError::KeyChanged { layer });
                            }
                        }
                        pk
                    } else {
                        setup_with_floor(
                            &built.circuit,
                            &config,
                            &Lanes::default(),
                            &Table::ALL,
                            &floor,
                        )
                        .map_err(|e| phase(layer, "setup")(e.to_string()))?
                        .0
                    };
                    let setup = if reuse {
                        Duration::ZERO
                    } else {
                        start.elapsed()
                    };

                    let start = Instant::now();
                    let witness = match &inner {
                        None => built.witness(
                            &perm,
                            base_proof,
                            base_publics,
                            &base_vk.preprocessed_commitment,
                        ),
                        Some((vk, proof, publics)) => {
                            built.witness(&perm, proof, publics, &vk.preprocessed_commitment)
                        }
                    }
                    .map_err(|source| RecursionError::Layer { layer, source })?;
                    let mut runner = built.circuit.runner();
                    fixpoint_circuit_prover::poseidon2::$module::register_executors(&mut runner);
                    built
                        .fill(&witness, &mut runner)
                        .map_err(phase(layer, "run"))?;
                    let traces = runner
                        .run()
                        .map_err(|e| phase(layer, "run")(e.to_string()))?;
                    let run = start.elapsed();

                    let start = Instant::now();
                    let (proof, report) = prove_with_report(&pk, &traces)
                        .map_err(|e| phase(layer, "prove")(e.to_string()))?;
                    let prove = start.elapsed();
                    let start = Instant::now();
                    verify(&pk.vk, &witness.publics, &proof)
                        .map_err(|e| phase(layer, "verify")(e.to_string()))?;
                    let verify_time = start.elapsed();

                    let report = LayerReport {
                        layer,
                        circuit_id: id,
                        stats: built.circuit.stats(),
                        proof: report,
                        build,
                        setup,
                        run,
                        prove,
                        verify: verify_time,
                        vk_hash: pk.vk.hash(),
                        fixed_point: reuse,
                    };
                    progress(&report);
                    reports.push(report);
                    keys.push(pk.vk.preprocessed_commitment.clone());
                    inner = Some((pk.vk.clone(), proof, witness.publics));
                    previous = Some((id, pk));
                }
                let (vk, proof, publics) = inner.ok_or(RecursionError::Phase {
                    layer: 0,
                    phase: "recursion",
                    message: "no layer to run".into(),
                })?;
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
        }
    };
}

recursion_driver!(
    koala_bear,
    p3_koala_bear::KoalaBear,
    p3_koala_bear::Poseidon2KoalaBear<16>,
    p3_koala_bear::default_koalabear_poseidon2_16,
    fixpoint_circuit_prover::KoalaBearStark,
    koala_bear
);
recursion_driver!(
    baby_bear,
    p3_baby_bear::BabyBear,
    p3_baby_bear::Poseidon2BabyBear<16>,
    p3_baby_bear::default_babybear_poseidon2_16,
    fixpoint_circuit_prover::BabyBearStark,
    baby_bear
);
