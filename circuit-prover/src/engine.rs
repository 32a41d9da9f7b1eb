//! Setup, prove and verify, generic over the STARK configuration.
//!
//! The public entry points ([`crate::setup`], [`crate::prove`], [`crate::verify`]) are
//! implemented for every field family's configuration through [`CircuitStark`]; the
//! bodies here carry p3's trait bounds once.

use std::time::Instant;

use fixpoint_circuit::{Circuit, Traces};
use p3_air::symbolic::SymbolicExpressionExt;
use p3_batch_stark::folder::{
    ProverConstraintFolderWithLookups, VerifierConstraintFolderWithLookups,
};
use p3_batch_stark::{ProverData, StarkInstance, prove_batch, verify_batch};
use p3_challenger::GrindingChallenger;
use p3_field::extension::BinomiallyExtendable;
use p3_field::{Algebra, BasedVectorSpace, PrimeField64};
use p3_uni_stark::{Domain, PcsError, PcsProverError, StarkGenericConfig, Val};

use crate::air::CircuitAir;
use crate::bus::BusPlan;
use crate::config::{D, FriSettings, ProverConfig};
use crate::error::{
    KeyError, P3Error, ProveError, Rejection, SetupError, ShapeFigure, VerifyError,
};
use crate::family::{FieldFamily, Stark};
use crate::instances::{
    BatchParts, airs_for, ext_degree_bits, parts_of_checked_key, public_positions, public_values,
};
use crate::keys::{Keys, ProvingKey, VerifyingKey};
use crate::layout::{Lanes, Layout, ShapeFloor, TableKind};
use crate::npo::{self, NpoAir, NpoTable};
use crate::proof::Proof;
use crate::report::{Phase, ProofReport, TableReport};
use crate::trace;

/// The smallest table height, as log2: FRI needs every input to be taller than its final
/// polynomial (length 1 here), so a table has at least 2 rows.
pub const MIN_LOG_HEIGHT: usize = 1;

/// A STARK configuration that can prove fixpoint circuits: [`Stark<F>`] of a
/// [`FieldFamily`] `F` (KoalaBear or BabyBear with the degree-4 extension). Use the free functions [`crate::setup`], [`crate::prove`] and
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
        lanes: &Lanes,
        npos: &[N],
        floor: &ShapeFloor,
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
        lanes: &Lanes,
        npos: &[N],
        floor: &ShapeFloor,
    ) -> Result<Keys<Self, N>, SetupError> {
        setup_generic(circuit, config, lanes, npos, floor)
    }
    fn prove_impl<N: NpoTable<Val<Self>>>(
        pk: &ProvingKey<Self, N>,
        traces: &Traces<Self::Challenge>,
    ) -> Result<(Proof<Self>, ProofReport), ProveError> {
        prove_generic(pk, traces)
    }
    fn verify_impl<N: NpoTable<Val<Self>>>(
        vk: &VerifyingKey<Self, N>,
        public_inputs: &[Self::Challenge],
        proof: &Proof<Self>,
    ) -> Result<(), VerifyError> {
        verify_generic(vk, public_inputs, proof)
    }
}

fn setup_generic<SC, N>(
    circuit: &Circuit<SC::Challenge>,
    config: &ProverConfig<SC>,
    lanes: &Lanes,
    npos: &[N],
    floor: &ShapeFloor,
) -> Result<Keys<SC, N>, SetupError>
where
    SC: StarkGenericConfig,
    N: NpoTable<Val<SC>>,
    Val<SC>: PrimeField64 + BinomiallyExtendable<D>,
    SC::Challenge: BasedVectorSpace<Val<SC>> + p3_field::Field,
    SymbolicExpressionExt<Val<SC>, SC::Challenge>: Algebra<SC::Challenge>,
    PcsProverError<SC>: std::error::Error + Send + Sync + 'static,
{
    let _span = tracing::info_span!("setup", ops = circuit.ops.len()).entered();
    config.fri.validate()?;
    circuit.verify()?;
    let min_log_height = config.fri.min_log_height();
    let npo_airs = npo_airs(circuit, npos, min_log_height, floor)?;
    let layout = Layout::with_floor(circuit, lanes, min_log_height, floor);
    let plan = BusPlan::new(circuit);
    let preprocessed = TableKind::ALL
        .iter()
        .map(|&kind| trace::preprocessed::<Val<SC>, SC::Challenge>(circuit, &layout, kind, &plan))
        .collect();
    let positions = public_positions(circuit);
    let mut airs = airs_for(
        &layout,
        &positions,
        circuit.public_count,
        Some(preprocessed),
    );
    let npo_log_heights: Vec<usize> = npo_airs.iter().map(|a| a.log_height).collect();
    airs.extend(npo_airs.into_iter().map(CircuitAir::Npo));
    let degree_bits = ext_degree_bits(&config.stark, &layout, &npo_log_heights);
    let prover_data = ProverData::from_airs_and_degrees(&config.stark, &airs, &degree_bits)
        .map_err(|e| SetupError::Commit(P3Error::new(e)))?;
    let preprocessed_commitment = prover_data
        .common
        .preprocessed
        .as_ref()
        .expect("every table has preprocessed columns")
        .commitment
        .clone();
    let vk = VerifyingKey {
        circuit_id: circuit.id(),
        field: config.field.to_owned(),
        fri: config.fri,
        layout,
        public_count: circuit.public_count,
        public_positions: positions,
        preprocessed_commitment,
        npo_tables: npos.to_vec(),
        npo_log_heights,
    };
    let pk = ProvingKey {
        config: config.clone(),
        airs,
        prover_data,
        vk: vk.clone(),
    };
    Ok((pk, vk))
}

/// One AIR (with preprocessed columns) per NPO table. Every NPO kind in the circuit must
/// have exactly one table, and every call must have the table's port counts: without a
/// table nothing would prove the op (and nothing would read its bus messages).
fn npo_airs<V: p3_field::Field, EF, N: NpoTable<V>>(
    circuit: &Circuit<EF>,
    npos: &[N],
    min_log_height: usize,
    floor: &ShapeFloor,
) -> Result<Vec<NpoAir<V, N>>, SetupError> {
    for (i, table) in npos.iter().enumerate() {
        if npos[..i].iter().any(|t| t.kind() == table.kind()) {
            return Err(SetupError::DuplicateNpoTable { kind: table.kind() });
        }
    }
    let mut entries = vec![0usize; npos.len()];
    for op in &circuit.ops {
        if let fixpoint_circuit::Op::Npo {
            kind,
            inputs,
            outputs,
            ..
        } = op
        {
            let Some(t) = npos.iter().position(|t| t.kind() == *kind) else {
                return Err(SetupError::UnsupportedNpo { kind: *kind });
            };
            let (want_in, want_out) = (npos[t].num_inputs(), npos[t].num_outputs());
            if inputs.len() != want_in || outputs.len() != want_out {
                return Err(SetupError::NpoShape {
                    kind: *kind,
                    expected: (want_in, want_out),
                    got: (inputs.len(), outputs.len()),
                });
            }
            entries[t] += 1;
        }
    }
    npos.iter()
        .zip(entries)
        .map(|(table, entries)| {
            let rows = entries.max(1).next_power_of_two();
            let mut air = NpoAir {
                table: table.clone(),
                entries,
                log_height: (rows.trailing_zeros() as usize)
                    .max(min_log_height)
                    .max(floor.npo_log_height(table.kind())),
                preprocessed: None,
            };
            if let Some((port, columns)) = air.alias_out_of_bounds() {
                return Err(SetupError::NpoPortAlias {
                    kind: table.kind(),
                    port,
                    columns,
                    extra: table.extra_columns(),
                });
            }
            air.preprocessed = Some(std::sync::Arc::new(npo::npo_preprocessed(circuit, &air)));
            Ok(air)
        })
        .collect()
}

fn prove_generic<SC, N>(
    pk: &ProvingKey<SC, N>,
    traces: &Traces<SC::Challenge>,
) -> Result<(Proof<SC>, ProofReport), ProveError>
where
    SC: StarkGenericConfig,
    Val<SC>: PrimeField64 + BinomiallyExtendable<D>,
    SC::Challenge: BasedVectorSpace<Val<SC>> + p3_field::Field,
    SymbolicExpressionExt<Val<SC>, SC::Challenge>: Algebra<SC::Challenge>,
    Domain<SC>: Send + Sync,
    SC::Pcs: Sync,
    PcsProverError<SC>: std::error::Error + Send + Sync + 'static,
    SC::Challenger: GrindingChallenger<Witness = Val<SC>>,
    <SC::Pcs as p3_commit::Pcs<SC::Challenge, SC::Challenger>>::ProverData: Sync,
    <SC::Pcs as p3_commit::Pcs<SC::Challenge, SC::Challenger>>::Commitment: Sync,
    N: NpoTable<Val<SC>>,
    CircuitAir<Val<SC>, N>: for<'a> p3_air::Air<ProverConstraintFolderWithLookups<'a, SC>>,
{
    let _span = tracing::info_span!("prove").entered();
    let layout = &pk.vk.layout;
    let mut report = ProofReport::new(layout, &pk.config);
    for air in &pk.airs {
        if let CircuitAir::Npo(npo) = air {
            report.tables.push(TableReport {
                name: npo.table.kind().to_string(),
                entries: npo.entries,
                lanes: 1,
                height: 1 << npo.log_height,
                preprocessed_columns: npo.preprocessed_columns(),
                main_columns: npo.main_columns(),
                bus_columns: 0,
            });
        }
    }
    for (table, lookups) in report.tables.iter_mut().zip(&pk.prover_data.common.lookups) {
        let fractions = lookups.iter().map(|l| l.column + 1).max().unwrap_or(0);
        // The accumulator, then the fraction columns; none without lookups.
        table.bus_columns = if fractions == 0 {
            0
        } else {
            (fractions + 1) * D
        };
    }

    let start = Instant::now();
    let main_traces = {
        let _span = tracing::info_span!("trace generation").entered();
        let mut main = TableKind::ALL
            .iter()
            .map(|&kind| trace::main_trace::<Val<SC>, SC::Challenge>(traces, layout, kind))
            .collect::<Result<Vec<_>, _>>()?;
        for air in &pk.airs {
            if let CircuitAir::Npo(npo) = air {
                main.push(npo::npo_main(traces, npo)?);
            }
        }
        main
    };
    report.record(Phase::TraceGeneration, start.elapsed());

    // The public inputs, by position, from the Public table's rows.
    let mut public_inputs = vec![
        <SC::Challenge as p3_field::PrimeCharacteristicRing>::ZERO;
        pk.vk.public_count as usize
    ];
    for row in &traces.public.rows {
        if let Some(slot) = public_inputs.get_mut(row.pos as usize) {
            *slot = row.val;
        }
    }
    let pvs = public_values::<Val<SC>, SC::Challenge>(&public_inputs, pk.vk.npo_tables.len());
    let instances: Vec<StarkInstance<'_, SC, CircuitAir<Val<SC>, N>>> = pk
        .airs
        .iter()
        .zip(&main_traces)
        .zip(&pvs)
        .map(|((air, trace), pv)| StarkInstance {
            air,
            trace,
            public_values: pv.clone(),
        })
        .collect();
    let start = Instant::now();
    let inner = {
        let _span = tracing::info_span!("commit and open").entered();
        prove_batch(&pk.config.stark, &instances, &pk.prover_data)
            .map_err(|e| ProveError::Stark(P3Error::new(e)))?
    };
    report.record(Phase::Prove, start.elapsed());
    let proof = Proof { inner };
    report.proof_bytes = proof.to_bytes().len();
    Ok((proof, report))
}

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

fn verify_generic<SC, N>(
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
    let tables = TableKind::ALL.len() + vk.npo_tables.len();
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
    let pvs = public_values::<Val<SC>, SC::Challenge>(public_inputs, vk.npo_tables.len());
    verify_batch(&config.stark, &airs, &proof.inner, &pvs, &common).map_err(|e| {
        VerifyError::Rejected {
            reason: Rejection::of(&e),
            source: P3Error::new(e),
        }
    })
}
