//! `p3_batch_stark::verify_batch` as a circuit: many AIRs, one transcript, one alpha, one
//! PCS opening, LogUp lookups across the AIRs.
//!
//! The circuit is a function of a [`BatchStarkShape`]: per AIR its constraints *with* the
//! LogUp constraints (recorded once by `p3_batch_stark::symbolic`), its trace height, its
//! quotient chunk count and its lookup slots' buses; the bus layout (ids, the tuple width
//! `W`); the FRI and PoW parameters; and the global preprocessed commitment, **pinned as
//! constants** (or, for recursion layers, a private input: [`KeyBinding`]). In p3's order
//! the circuit
//!
//! 1. absorbs the `p3-batch-stark` seed, every AIR's degree bits (constants), the main
//!    commitment, the public values and the preprocessed commitment;
//! 2. checks the lookup PoW, samples the lookup `α` and `β`, and builds every slot's
//!    challenges `[α + (bus+1)·β^W, β]`;
//! 3. absorbs the permutation commitment and each terminal, samples the constraint `α`;
//! 4. absorbs the quotient commitment, checks the OOD PoW, samples `ζ`;
//! 5. verifies every opening (rounds: main, quotient chunks, preprocessed, permutation)
//!    with [`crate::pcs`] and [`crate::fri`];
//! 6. per AIR checks `folded/Z_H(ζ) = Q(ζ)` ([`crate::constraints::verify_at_zeta`]);
//! 7. constrains the sum of the terminals to zero.
//!
//! **Inputs.** The public values are public inputs (the statement); the caller allocates
//! them ([`BatchStarkShape::public_inputs`]), or derives them, as the verifier of fixpoint's own proofs does
//! from a fixpoint circuit's extension-field public inputs. The rest of the proof is
//! private.

use std::collections::HashMap;

use fixpoint_circuit::{CircuitBuilder, CircuitField, CircuitIo, PrivateGroup, Target, VecLengths};
use fixpoint_circuit_prover::merkle::Digest;
use p3_air::symbolic::AirLayout;
use p3_air::{Air, BaseAir};
use p3_field::coset::TwoAdicMultiplicativeCoset;
use p3_field::{
    BasedVectorSpace, ExtensionField, PrimeCharacteristicRing, PrimeField64, TwoAdicField,
};
use p3_lookup::{InteractionSymbolicBuilder, LogUpGadget, Lookup, LookupProtocol, Lookups};
use p3_symmetric::MerkleCap;

use crate::constraints::{self, AirConstraints, Opened, Window};
use crate::fri::{self, QueryInputs, QueryPaths};
use crate::pcs::{self, MatrixClaim, PcsInputs, PcsShape, ProofShapeError, check_len};
use crate::{CircuitChallenger, seeds};

mod witness;

pub use witness::{BatchStarkWitness, NativeCommon, NativeProof};

/// One AIR of the batch.
#[derive(Clone, Debug)]
pub struct InstanceShape<V: TwoAdicField, F: ExtensionField<V>> {
    /// Its constraints, the LogUp constraints included.
    pub constraints: AirConstraints<V, F>,
    /// log2 of its trace height.
    pub log_degree: usize,
    /// log2 of its number of quotient chunks.
    pub log_quotient_chunks: usize,
    /// The bus of each lookup slot, in slot order.
    pub buses: Vec<usize>,
}

impl<V: TwoAdicField, F: ExtensionField<V>> InstanceShape<V, F> {
    /// Lookup slots.
    pub fn lookups(&self) -> usize {
        self.buses.len()
    }

    /// Extension columns of the permutation trace (accumulator and one per slot), 0
    /// without lookups.
    pub fn permutation_width(&self) -> usize {
        if self.buses.is_empty() {
            0
        } else {
            self.buses.len() + 1
        }
    }

    /// The lengths of this AIR's opened values, for a challenge field of `dim` base
    /// coordinates: what the circuit allocates ([`InstanceInputs::allocate_private`]) and
    /// what a native proof's values are checked against when assigned
    /// ([`InstanceInputs::flatten_shaped`]).
    pub fn input_lengths(&self, dim: usize) -> InstanceInputsLengths {
        let c = &self.constraints;
        let (main, prep) = (c.layout.main_width, c.layout.preprocessed_width);
        let perm = self.permutation_width() * dim;
        InstanceInputsLengths {
            trace_local: VecLengths::of(main),
            trace_next: c.main_next.then(|| VecLengths::of(main)),
            preprocessed_local: VecLengths::of(prep),
            preprocessed_next: (c.preprocessed_next && prep > 0).then(|| VecLengths::of(prep)),
            quotient_chunks: VecLengths {
                len: 1 << self.log_quotient_chunks,
                each: VecLengths::of(dim),
            },
            permutation_local: VecLengths::of(perm),
            permutation_next: VecLengths::of(perm),
            terminal: (self.lookups() > 0).then_some(()),
        }
    }
}

/// How a verifier circuit binds the verifying key's preprocessed commitment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KeyBinding {
    /// Constants: the circuit verifies proofs under one key only, and its content hash
    /// changes with the key.
    #[default]
    Pinned,
    /// A private input: the circuit verifies proofs under any key of the shape, and the
    /// caller binds the key, e.g. by hashing it into a public input as the recursion layers
    /// do ([`crate::layers`]). Its content hash is the shape's alone.
    PrivateInput,
}

/// The global preprocessed commitment of a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchPreprocessed<V> {
    /// The commitment.
    pub commitment: MerkleCap<V, [V; 8]>,
    /// The instance each committed matrix belongs to, in matrix order.
    pub matrix_to_instance: Vec<usize>,
}

/// Everything a batch-stark verifier circuit depends on.
#[derive(Clone, Debug)]
pub struct BatchStarkShape<V: TwoAdicField, F: ExtensionField<V>> {
    /// The AIRs, in instance order.
    pub instances: Vec<InstanceShape<V, F>>,
    /// The preprocessed commitment (the circuit holds it as [`Self::key`] says).
    pub preprocessed: Option<BatchPreprocessed<V>>,
    /// How the circuit binds the preprocessed commitment.
    pub key: KeyBinding,
    /// `W`: the widest lookup tuple of the batch (at least 1).
    pub max_tuple_width: usize,
    /// The PCS's FRI parameters.
    pub fri: fixpoint_circuit_prover::FriSettings,
    /// PoW bits before the lookup challenges.
    pub lookup_pow_bits: usize,
    /// PoW bits before `ζ`.
    pub ood_pow_bits: usize,
    /// The `p3-batch-stark` domain-separator seed.
    pub seed: Vec<V>,
}

/// p3's bus ids (global buses by name in order of first appearance, a fresh id per local
/// lookup) and the widest tuple, or an error for lookups p3 would refuse.
fn bus_layout<V: p3_field::Field>(
    lookups: &[&[Lookup<V>]],
) -> Result<(Vec<Vec<usize>>, usize), ProofShapeError> {
    let mut global: HashMap<&str, (usize, usize)> = HashMap::new();
    let mut next = 0;
    let mut widest = 1;
    let mut buses = Vec::new();
    for instance in lookups {
        let mut ids = Vec::new();
        for lookup in instance.iter() {
            let width = lookup.elements.first().map_or(0, Vec::len);
            if lookup.elements.iter().any(|t| t.len() != width) {
                return Err(ProofShapeError::InvalidShape(
                    "a lookup's tuples must have one width",
                ));
            }
            widest = widest.max(width);
            let id = match &lookup.kind {
                p3_lookup::Kind::Global(name) => {
                    let (id, bus_width) = *global.entry(name.as_str()).or_insert_with(|| {
                        next += 1;
                        (next - 1, width)
                    });
                    if bus_width != width {
                        return Err(ProofShapeError::InvalidShape(
                            "every lookup on a global bus must have one tuple width",
                        ));
                    }
                    id
                }
                p3_lookup::Kind::Local => {
                    next += 1;
                    next - 1
                }
            };
            ids.push(id);
        }
        buses.push(ids);
    }
    Ok((buses, widest))
}

impl<V, F> BatchStarkShape<V, F>
where
    V: PrimeField64 + TwoAdicField,
    F: ExtensionField<V>,
    p3_air::symbolic::SymbolicExpressionExt<V, F>: p3_field::Algebra<F>,
{
    /// The shape of batch proofs of `airs` with traces of `2^log_degrees[i]` rows, for the
    /// lookups and the preprocessed commitment of p3's `CommonData`.
    pub fn new<A>(
        airs: &[A],
        lookups: &[Lookups<V>],
        preprocessed: Option<(BatchPreprocessed<V>, Vec<usize>)>,
        log_degrees: &[usize],
        fri: fixpoint_circuit_prover::FriSettings,
        lookup_pow_bits: usize,
        ood_pow_bits: usize,
    ) -> Result<Self, ProofShapeError>
    where
        A: Air<InteractionSymbolicBuilder<V, F>> + BaseAir<V>,
    {
        let n = airs.len();
        check_len("lookup lists", n, lookups.len())?;
        check_len("trace heights", n, log_degrees.len())?;
        if n == 0 {
            return Err(ProofShapeError::InvalidShape(
                "a batch has at least one AIR",
            ));
        }
        if airs.iter().any(|a| !a.public_boundary_io().is_empty()) {
            return Err(ProofShapeError::Unsupported(
                "boundary-IO public values (p3-batch-stark refuses them too)",
            ));
        }
        let (preprocessed, preprocessed_widths) = match preprocessed {
            Some((p, widths)) => (Some(p), widths),
            None => (None, vec![0; n]),
        };
        check_len("preprocessed widths", n, preprocessed_widths.len())?;
        for (air, &w) in airs.iter().zip(&preprocessed_widths) {
            check_len(
                "preprocessed columns of an AIR",
                air.preprocessed_width(),
                w,
            )?;
        }
        if let Some(p) = &preprocessed {
            let with: Vec<usize> = (0..n).filter(|&i| preprocessed_widths[i] > 0).collect();
            if p.matrix_to_instance != with {
                return Err(ProofShapeError::InvalidShape(
                    "the preprocessed matrices must be those of the AIRs with preprocessed columns, in order",
                ));
            }
        }
        for &bits in log_degrees {
            if bits == 0 || bits > V::TWO_ADICITY {
                return Err(ProofShapeError::InvalidShape(
                    "a trace height must be 2^k with 1 <= k <= the field's two-adicity",
                ));
            }
        }
        let heights: Vec<usize> = log_degrees.iter().map(|&b| 1 << b).collect();
        p3_lookup::check_multiplicity_height_bound(lookups, &heights).map_err(|_| {
            ProofShapeError::InvalidShape("LogUp multiplicities could wrap modulo p")
        })?;
        let slices: Vec<&[Lookup<V>]> = lookups.iter().map(|l| &l[..]).collect();
        let (buses, max_tuple_width) = bus_layout(&slices)?;
        let gadget = LogUpGadget::new();
        let mut instances = Vec::with_capacity(n);
        for (i, air) in airs.iter().enumerate() {
            let layout = AirLayout {
                preprocessed_width: preprocessed_widths[i],
                main_width: air.width(),
                num_public_values: air.num_public_values(),
                num_periodic_columns: air.num_periodic_columns(),
                ..Default::default()
            };
            let (base, ext) = p3_batch_stark::symbolic::get_symbolic_constraints::<V, F, A, _>(
                air,
                layout,
                &lookups[i],
                &gadget,
            );
            let order = p3_batch_stark::symbolic::get_constraint_layout::<V, F, A, _>(
                air,
                layout,
                &lookups[i],
                &gadget,
            );
            let k = lookups[i].len();
            let full_layout = AirLayout {
                permutation_width: if k == 0 { 0 } else { k + 1 },
                num_permutation_challenges: k * gadget.num_challenges(),
                num_permutation_values: (k > 0) as usize,
                ..layout
            };
            let constraints = AirConstraints::from_parts(
                base,
                ext,
                &order,
                full_layout,
                !air.main_next_row_columns().is_empty(),
                !air.preprocessed_next_row_columns().is_empty(),
                air.periodic_columns().into_owned(),
            );
            let domain = TwoAdicMultiplicativeCoset::<V>::new(V::ONE, log_degrees[i])
                .ok_or(ProofShapeError::InvalidShape("a trace is too tall"))?;
            let log_quotient_chunks =
                p3_batch_stark::symbolic::get_log_num_quotient_chunks_for_domain::<V, F, A, _>(
                    air,
                    layout,
                    domain,
                    &lookups[i],
                    0,
                    &gadget,
                );
            instances.push(InstanceShape {
                constraints,
                log_degree: log_degrees[i],
                log_quotient_chunks,
                buses: buses[i].clone(),
            });
        }
        let batch = p3_batch_stark::BatchShape {
            trace_widths: airs.iter().map(|a| a.width()).collect(),
            public_value_counts: airs.iter().map(|a| a.num_public_values()).collect(),
            preprocessed_widths,
            has_preprocessed_commitment: preprocessed.is_some(),
            num_lookup_instances: lookups.iter().filter(|l| !l.is_empty()).count(),
            lookup_pow_bits,
            has_randomization_commitment: false,
            ood_pow_bits,
        };
        let shape = BatchStarkShape {
            instances,
            preprocessed,
            key: KeyBinding::Pinned,
            max_tuple_width,
            fri,
            lookup_pow_bits,
            ood_pow_bits,
            seed: seeds::batch_stark::<V, F>(&batch),
        };
        shape.pcs_shape().validate::<V>()?;
        Ok(shape)
    }
}

impl<V, F> BatchStarkShape<V, F>
where
    V: PrimeField64 + TwoAdicField,
    F: ExtensionField<V>,
{
    /// Whether any AIR has lookups.
    pub fn has_lookups(&self) -> bool {
        self.instances.iter().any(|i| i.lookups() > 0)
    }

    /// The PCS claims, in p3's round order: main, quotient chunks, preprocessed,
    /// permutation.
    pub fn pcs_shape(&self) -> PcsShape {
        let dim = <F as BasedVectorSpace<V>>::DIMENSION;
        let main = self
            .instances
            .iter()
            .map(|i| MatrixClaim {
                log_height: i.log_degree,
                width: i.constraints.layout.main_width,
                points: 1 + i.constraints.main_next as usize,
            })
            .collect();
        let quotient = self
            .instances
            .iter()
            .flat_map(|i| {
                vec![
                    MatrixClaim {
                        log_height: i.log_degree,
                        width: dim,
                        points: 1,
                    };
                    1 << i.log_quotient_chunks
                ]
            })
            .collect();
        let mut commitments = vec![main, quotient];
        if let Some(p) = &self.preprocessed {
            commitments.push(
                p.matrix_to_instance
                    .iter()
                    .map(|&i| {
                        let inst = &self.instances[i];
                        MatrixClaim {
                            log_height: inst.log_degree,
                            width: inst.constraints.layout.preprocessed_width,
                            points: 1 + inst.constraints.preprocessed_next as usize,
                        }
                    })
                    .collect(),
            );
        }
        if self.has_lookups() {
            commitments.push(
                self.instances
                    .iter()
                    .filter(|i| i.lookups() > 0)
                    .map(|i| MatrixClaim {
                        log_height: i.log_degree,
                        width: i.permutation_width() * dim,
                        points: 2,
                    })
                    .collect(),
            );
        }
        PcsShape {
            fri: self.fri,
            commitments,
        }
    }

    /// Allocates every AIR's public values as public inputs, in instance order.
    pub fn public_inputs<G: CircuitField>(
        &self,
        builder: &mut CircuitBuilder<G>,
    ) -> Vec<Vec<Target>> {
        self.instances
            .iter()
            .map(|i| builder.public_inputs(i.constraints.layout.num_public_values))
            .collect()
    }
}

/// One AIR's opened values as targets: private inputs in field order, allocated and
/// assigned through [`InstanceInputsLengths`] ([`InstanceShape::input_lengths`]).
#[derive(Clone, Debug, CircuitIo)]
pub struct InstanceInputs {
    /// The main trace at `ζ`.
    pub trace_local: Vec<Target>,
    /// The main trace at `ζ·h`, when the AIR reads the next row.
    pub trace_next: Option<Vec<Target>>,
    /// The preprocessed trace at `ζ`.
    pub preprocessed_local: Vec<Target>,
    /// The preprocessed trace at `ζ·h`, when the AIR reads its next row.
    pub preprocessed_next: Option<Vec<Target>>,
    /// Per quotient chunk, its coordinates at `ζ`.
    pub quotient_chunks: Vec<Vec<Target>>,
    /// The permutation trace's flattened coordinates at `ζ`.
    pub permutation_local: Vec<Target>,
    /// The permutation trace's flattened coordinates at `ζ·h`.
    pub permutation_next: Vec<Target>,
    /// The lookup terminal, when the AIR has lookups.
    pub terminal: Option<Target>,
}

/// The batch proof's values as targets (all private but the public values).
#[derive(Clone, Debug)]
pub struct BatchStarkInputs {
    /// Per AIR, its public values (given by the caller).
    pub public_values: Vec<Vec<Target>>,
    /// The preprocessed commitment's roots, when the key is a private input.
    pub preprocessed_commitment: Option<Vec<Digest>>,
    /// The main commitment's roots.
    pub main_commitment: Vec<Digest>,
    /// The permutation commitment's roots, when any AIR has lookups.
    pub permutation_commitment: Option<Vec<Digest>>,
    /// The quotient commitment's roots.
    pub quotient_commitment: Vec<Digest>,
    /// The lookup PoW witness, when any AIR has lookups.
    pub lookup_pow: Option<Target>,
    /// The OOD PoW witness.
    pub ood_pow: Target,
    /// Per AIR, its openings.
    pub instances: Vec<InstanceInputs>,
}

/// The verifier circuit's handles.
#[derive(Clone, Debug)]
pub struct BatchStarkVerifier {
    /// The proof's targets.
    pub inputs: BatchStarkInputs,
    /// The PCS's targets.
    pub pcs: PcsInputs,
    /// The Merkle paths whose siblings are private data.
    pub paths: QueryPaths,
    /// Every private input this verifier allocated: what
    /// [`BatchStarkWitness::fill`](crate::batch_stark::BatchStarkWitness::fill) sets, so that
    /// the circuit may hold other gadgets' private inputs too.
    pub privates: PrivateGroup,
}

/// What [`emit_verifier`] builds: the verifier's handles but its private group, and the
/// challenger.
type Emitted<F> = (
    BatchStarkInputs,
    PcsInputs,
    QueryPaths,
    CircuitChallenger<F>,
);

/// Emits the verifier of `shape` on `builder`, on a fresh challenger; `public_values`
/// holds each AIR's public values as base-valued targets.
pub fn verify_circuit<V, F>(
    builder: &mut CircuitBuilder<F>,
    shape: &BatchStarkShape<V, F>,
    public_values: Vec<Vec<Target>>,
) -> Result<(BatchStarkVerifier, CircuitChallenger<F>), ProofShapeError>
where
    V: PrimeField64 + TwoAdicField,
    F: CircuitField + ExtensionField<V> + PrimeCharacteristicRing<PrimeSubfield = V>,
{
    let (privates, emitted) =
        builder.private_group(|builder| emit_verifier(builder, shape, public_values));
    let (inputs, pcs, paths, challenger) = emitted?;
    let verifier = BatchStarkVerifier {
        inputs,
        pcs,
        paths,
        privates,
    };
    Ok((verifier, challenger))
}

/// [`verify_circuit`]'s body: every private input it allocates is in the verifier's group.
///
/// The steps follow `p3_batch_stark::verify_batch`: shape checks, the proof's inputs, then
/// the transcript, the opening argument and the constraint checks
/// ([`verify_transcript_and_constraints`]) under the `batch-stark` scope.
fn emit_verifier<V, F>(
    builder: &mut CircuitBuilder<F>,
    shape: &BatchStarkShape<V, F>,
    public_values: Vec<Vec<Target>>,
) -> Result<Emitted<F>, ProofShapeError>
where
    V: PrimeField64 + TwoAdicField,
    F: CircuitField + ExtensionField<V> + PrimeCharacteristicRing<PrimeSubfield = V>,
{
    let pcs_shape = shape.pcs_shape();
    pcs_shape.validate::<V>()?;
    check_public_values(shape, &public_values)?;
    let inputs = allocate_inputs(builder, shape, &pcs_shape, public_values);
    let preprocessed_commitment = match &inputs.preprocessed_commitment {
        Some(cap) => Some(cap.clone()),
        None => shape
            .preprocessed
            .as_ref()
            .map(|p| pcs::constant_cap(builder, &p.commitment)),
    };

    builder.push_scope("batch-stark");
    let mut challenger = CircuitChallenger::new(builder);
    let result = verify_transcript_and_constraints(
        builder,
        &mut challenger,
        shape,
        &pcs_shape,
        &inputs,
        preprocessed_commitment.as_ref(),
    );
    builder.pop_scope();
    let (pcs, paths) = result?;
    Ok((inputs, pcs, paths, challenger))
}

/// Shape check: one list of public values per AIR, each as long as the AIR declares.
fn check_public_values<V, F>(
    shape: &BatchStarkShape<V, F>,
    public_values: &[Vec<Target>],
) -> Result<(), ProofShapeError>
where
    V: TwoAdicField,
    F: ExtensionField<V>,
{
    check_len(
        "AIRs with public values",
        shape.instances.len(),
        public_values.len(),
    )?;
    for (inst, values) in shape.instances.iter().zip(public_values) {
        check_len(
            "public values of an AIR",
            inst.constraints.layout.num_public_values,
            values.len(),
        )?;
    }
    Ok(())
}

/// The proof's private inputs, in the order `BatchStarkWitness::from_proof` lists them
/// (the verifier's group: `verify_circuit` records it): the key when it is a private
/// input, the commitments, the PoW witnesses, then every AIR's openings.
fn allocate_inputs<V, F>(
    builder: &mut CircuitBuilder<F>,
    shape: &BatchStarkShape<V, F>,
    pcs_shape: &PcsShape,
    public_values: Vec<Vec<Target>>,
) -> BatchStarkInputs
where
    V: PrimeField64 + TwoAdicField,
    F: CircuitField + ExtensionField<V> + PrimeCharacteristicRing<PrimeSubfield = V>,
{
    let dim = <F as BasedVectorSpace<V>>::DIMENSION;
    let roots = pcs_shape.batch_cap_roots();
    let has_lookups = shape.has_lookups();
    let preprocessed_commitment = match (&shape.preprocessed, shape.key) {
        (Some(_), KeyBinding::PrivateInput) => Some(pcs::private_cap(builder, roots[2])),
        _ => None,
    };
    let main_commitment = pcs::private_cap(builder, roots[0]);
    let permutation_commitment =
        has_lookups.then(|| pcs::private_cap(builder, roots[roots.len() - 1]));
    let quotient_commitment = pcs::private_cap(builder, roots[1]);
    let lookup_pow = has_lookups.then(|| builder.private_input());
    let ood_pow = builder.private_input();
    let instances = shape
        .instances
        .iter()
        .map(|inst| InstanceInputs::allocate_private(builder, &inst.input_lengths(dim)))
        .collect();
    BatchStarkInputs {
        public_values,
        preprocessed_commitment,
        main_commitment,
        permutation_commitment,
        quotient_commitment,
        lookup_pow,
        ood_pow,
        instances,
    }
}

/// The transcript in p3's order (seed, lookup challenges, `α`, `ζ`), the PCS statement and
/// its verification, the constraints at `ζ` of every AIR and the terminal sum.
fn verify_transcript_and_constraints<V, F>(
    builder: &mut CircuitBuilder<F>,
    challenger: &mut CircuitChallenger<F>,
    shape: &BatchStarkShape<V, F>,
    pcs_shape: &PcsShape,
    inputs: &BatchStarkInputs,
    preprocessed_commitment: Option<&Vec<Digest>>,
) -> Result<(PcsInputs, QueryPaths), ProofShapeError>
where
    V: PrimeField64 + TwoAdicField,
    F: CircuitField + ExtensionField<V> + PrimeCharacteristicRing<PrimeSubfield = V>,
{
    seeds::observe(builder, challenger, &shape.seed);
    let lookup_challenges = builder.scope("lookup challenges", |b| {
        instance_bindings(b, challenger, shape);
        main_phase(b, challenger, inputs);
        preprocessed_phase(b, challenger, preprocessed_commitment);
        lookup_phase(b, challenger, shape, inputs.lookup_pow)
    })?;
    let alpha = builder.scope("alpha", |b| permutation_phase(b, challenger, inputs));
    let zeta = builder.scope("zeta", |b| {
        quotient_phase(b, challenger, inputs);
        ood_phase(b, challenger, shape, inputs.ood_pow)
    })?;
    let zeta_nexts = builder.scope("zeta", |b| zeta_nexts(b, shape, zeta));

    let pcs = commitments_with_opening_points(
        builder,
        shape,
        pcs_shape,
        inputs,
        preprocessed_commitment,
        zeta,
        &zeta_nexts,
    );
    let challenges = pcs::verify_transcript(builder, challenger, pcs_shape, &pcs)?;
    let queries = QueryInputs::allocate(builder, pcs_shape);
    let paths = fri::verify_queries(builder, pcs_shape, &pcs, &challenges, &queries)?;

    for (i, (inst, opened)) in shape.instances.iter().zip(&inputs.instances).enumerate() {
        builder.push_scope(&format!("air{i}"));
        let checked = verify_instance_constraints(
            builder,
            inst,
            opened,
            &inputs.public_values[i],
            lookup_challenges.as_ref().map(|all| &all[i][..]),
            zeta,
            alpha,
        );
        builder.pop_scope();
        checked?;
    }
    builder.scope("terminal sum", |b| check_terminal_sum(b, inputs));
    Ok((pcs, paths))
}

/// Transcript, instance bindings: every AIR's degree bits (constants: the shape fixes
/// them).
fn instance_bindings<V, F>(
    builder: &mut CircuitBuilder<F>,
    challenger: &mut CircuitChallenger<F>,
    shape: &BatchStarkShape<V, F>,
) where
    V: PrimeField64 + TwoAdicField,
    F: CircuitField + ExtensionField<V> + PrimeCharacteristicRing<PrimeSubfield = V>,
{
    for inst in &shape.instances {
        let bits = builder.define_const(F::from(V::from_usize(inst.log_degree)));
        challenger.observe_ext(builder, bits);
    }
}

/// Transcript, main phase: the main commitment and every AIR's public values.
fn main_phase<F>(
    builder: &mut CircuitBuilder<F>,
    challenger: &mut CircuitChallenger<F>,
    inputs: &BatchStarkInputs,
) where
    F: CircuitField,
    F::PrimeSubfield: PrimeField64,
{
    challenger.observe_cap(builder, &inputs.main_commitment);
    for &v in inputs.public_values.iter().flatten() {
        challenger.observe(builder, v);
    }
}

/// Transcript, preprocessed phase: the global preprocessed commitment, if any.
fn preprocessed_phase<F>(
    builder: &mut CircuitBuilder<F>,
    challenger: &mut CircuitChallenger<F>,
    preprocessed_commitment: Option<&Vec<Digest>>,
) where
    F: CircuitField,
    F::PrimeSubfield: PrimeField64,
{
    if let Some(cap) = preprocessed_commitment {
        challenger.observe_cap(builder, cap);
    }
}

/// Transcript, lookup phase: checks the lookup PoW, samples the LogUp `α` and `β`, and
/// gives every AIR its slots' challenges `[α + (bus+1)·β^W, β]`; `None` without lookups.
fn lookup_phase<V, F>(
    builder: &mut CircuitBuilder<F>,
    challenger: &mut CircuitChallenger<F>,
    shape: &BatchStarkShape<V, F>,
    lookup_pow: Option<Target>,
) -> Result<Option<Vec<Vec<Target>>>, ProofShapeError>
where
    V: PrimeField64 + TwoAdicField,
    F: CircuitField + ExtensionField<V> + PrimeCharacteristicRing<PrimeSubfield = V>,
{
    let Some(pow) = lookup_pow else {
        return Ok(None);
    };
    challenger.check_witness(builder, shape.lookup_pow_bits, pow)?;
    let alpha = challenger.sample_ext(builder);
    let beta = challenger.sample_ext(builder);
    // prefix[bus] = α + (bus + 1)·β^W, built once per bus.
    let gamma = builder.exp_u64(beta, shape.max_tuple_width as u64);
    let mut cache: HashMap<usize, Target> = HashMap::new();
    let per_instance = shape
        .instances
        .iter()
        .map(|inst| {
            inst.buses
                .iter()
                .flat_map(|&bus| {
                    let prefix = *cache.entry(bus).or_insert_with(|| {
                        let k = builder.define_const(F::from(V::from_usize(bus + 1)));
                        let scaled = builder.mul(k, gamma);
                        builder.add(alpha, scaled)
                    });
                    [prefix, beta]
                })
                .collect()
        })
        .collect();
    Ok(Some(per_instance))
}

/// Transcript, permutation phase: the permutation commitment and every terminal, then the
/// constraint `α`.
fn permutation_phase<F>(
    builder: &mut CircuitBuilder<F>,
    challenger: &mut CircuitChallenger<F>,
    inputs: &BatchStarkInputs,
) -> Target
where
    F: CircuitField,
    F::PrimeSubfield: PrimeField64,
{
    if let Some(cap) = &inputs.permutation_commitment {
        challenger.observe_cap(builder, cap);
    }
    for terminal in inputs.instances.iter().filter_map(|i| i.terminal) {
        challenger.observe_ext(builder, terminal);
    }
    challenger.sample_ext(builder)
}

/// Transcript, quotient phase: the quotient commitment.
fn quotient_phase<F>(
    builder: &mut CircuitBuilder<F>,
    challenger: &mut CircuitChallenger<F>,
    inputs: &BatchStarkInputs,
) where
    F: CircuitField,
    F::PrimeSubfield: PrimeField64,
{
    challenger.observe_cap(builder, &inputs.quotient_commitment);
}

/// Transcript, OOD phase: checks the OOD PoW, then samples `ζ`.
fn ood_phase<V, F>(
    builder: &mut CircuitBuilder<F>,
    challenger: &mut CircuitChallenger<F>,
    shape: &BatchStarkShape<V, F>,
    ood_pow: Target,
) -> Result<Target, ProofShapeError>
where
    V: PrimeField64 + TwoAdicField,
    F: CircuitField + ExtensionField<V> + PrimeCharacteristicRing<PrimeSubfield = V>,
{
    challenger.check_witness(builder, shape.ood_pow_bits, ood_pow)?;
    Ok(challenger.sample_ext(builder))
}

/// Every AIR's `ζ·h`, `h` the generator of its trace domain.
fn zeta_nexts<V, F>(
    builder: &mut CircuitBuilder<F>,
    shape: &BatchStarkShape<V, F>,
    zeta: Target,
) -> Vec<Target>
where
    V: PrimeField64 + TwoAdicField,
    F: CircuitField + ExtensionField<V> + PrimeCharacteristicRing<PrimeSubfield = V>,
{
    shape
        .instances
        .iter()
        .map(|inst| {
            let h = builder.define_const(F::from(V::two_adic_generator(inst.log_degree)));
            builder.mul(zeta, h)
        })
        .collect()
}

/// The PCS statement (p3's `commitments_with_opening_points`): per round (main, quotient
/// chunks, preprocessed, permutation) its commitment, and per matrix its points and
/// opened values.
fn commitments_with_opening_points<V, F>(
    builder: &mut CircuitBuilder<F>,
    shape: &BatchStarkShape<V, F>,
    pcs_shape: &PcsShape,
    inputs: &BatchStarkInputs,
    preprocessed_commitment: Option<&Vec<Digest>>,
    zeta: Target,
    zeta_nexts: &[Target],
) -> PcsInputs
where
    V: TwoAdicField,
    F: CircuitField + ExtensionField<V> + PrimeCharacteristicRing<PrimeSubfield = V>,
{
    let instances = &inputs.instances;
    let mut commitments = vec![
        inputs.main_commitment.clone(),
        inputs.quotient_commitment.clone(),
    ];
    let mut points = vec![Vec::new(), Vec::new()];
    let mut values = vec![Vec::new(), Vec::new()];
    for (opened, &zeta_next) in instances.iter().zip(zeta_nexts) {
        let mut p = vec![zeta];
        let mut v = vec![opened.trace_local.clone()];
        if let Some(next) = &opened.trace_next {
            p.push(zeta_next);
            v.push(next.clone());
        }
        points[0].push(p);
        values[0].push(v);
    }
    for opened in instances {
        for chunk in &opened.quotient_chunks {
            points[1].push(vec![zeta]);
            values[1].push(vec![chunk.clone()]);
        }
    }
    if let (Some(cap), Some(p)) = (preprocessed_commitment, &shape.preprocessed) {
        commitments.push(cap.clone());
        let (mut pp, mut pv) = (Vec::new(), Vec::new());
        for &i in &p.matrix_to_instance {
            let opened = &instances[i];
            let mut points = vec![zeta];
            let mut vals = vec![opened.preprocessed_local.clone()];
            if let Some(next) = &opened.preprocessed_next {
                points.push(zeta_nexts[i]);
                vals.push(next.clone());
            }
            pp.push(points);
            pv.push(vals);
        }
        points.push(pp);
        values.push(pv);
    }
    if let Some(cap) = &inputs.permutation_commitment {
        commitments.push(cap.clone());
        let (mut pp, mut pv) = (Vec::new(), Vec::new());
        for (i, opened) in instances.iter().enumerate() {
            if shape.instances[i].lookups() > 0 {
                pp.push(vec![zeta, zeta_nexts[i]]);
                pv.push(vec![
                    opened.permutation_local.clone(),
                    opened.permutation_next.clone(),
                ]);
            }
        }
        points.push(pp);
        values.push(pv);
    }
    PcsInputs::with_statement(builder, pcs_shape, commitments, points, values)
}

/// One AIR's constraint check: recombines its permutation openings into extension
/// elements, then checks `folded/Z_H(ζ) = Q(ζ)`.
fn verify_instance_constraints<V, F>(
    builder: &mut CircuitBuilder<F>,
    inst: &InstanceShape<V, F>,
    opened: &InstanceInputs,
    public_values: &[Target],
    lookup_challenges: Option<&[Target]>,
    zeta: Target,
    alpha: Target,
) -> Result<(), ProofShapeError>
where
    V: PrimeField64 + TwoAdicField,
    F: CircuitField + ExtensionField<V> + PrimeCharacteristicRing<PrimeSubfield = V>,
{
    let dim = <F as BasedVectorSpace<V>>::DIMENSION;
    let zero = builder.zero();
    let c = &inst.constraints;
    let recombine =
        |b: &mut CircuitBuilder<F>, flat: &[Target]| -> Result<Vec<Target>, ProofShapeError> {
            flat.chunks(dim)
                .map(|coords| constraints::from_coordinates::<V, F>(b, coords))
                .collect()
        };
    // Both recombinations run before either error is reported, as they always have.
    let permutation_local = recombine(builder, &opened.permutation_local);
    let permutation_next = recombine(builder, &opened.permutation_next);
    let window = Window {
        main_local: opened.trace_local.clone(),
        main_next: opened
            .trace_next
            .clone()
            .unwrap_or_else(|| vec![zero; c.layout.main_width]),
        preprocessed_local: opened.preprocessed_local.clone(),
        preprocessed_next: opened
            .preprocessed_next
            .clone()
            .unwrap_or_else(|| vec![zero; c.layout.preprocessed_width]),
        public_values: public_values.to_vec(),
        periodic: Vec::new(),
        permutation_local: permutation_local?,
        permutation_next: permutation_next?,
        challenges: lookup_challenges.map_or_else(Vec::new, <[Target]>::to_vec),
        permutation_values: opened.terminal.into_iter().collect(),
    };
    constraints::verify_at_zeta(
        builder,
        c,
        inst.log_degree,
        zeta,
        alpha,
        Opened {
            window,
            quotient_chunks: opened.quotient_chunks.clone(),
        },
    )
}

/// The LogUp terminal sum: the terminals of all AIRs add up to zero.
fn check_terminal_sum<F>(builder: &mut CircuitBuilder<F>, inputs: &BatchStarkInputs)
where
    F: CircuitField,
    F::PrimeSubfield: PrimeField64,
{
    let terminals: Vec<Target> = inputs.instances.iter().filter_map(|i| i.terminal).collect();
    if !terminals.is_empty() {
        let sum = builder.sum(&terminals);
        builder.assert_zero(sum);
    }
}
