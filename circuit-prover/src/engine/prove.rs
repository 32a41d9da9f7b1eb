//! Proving: the runner's traces become one main trace per table, proved together by
//! p3-batch-stark, with a report of what the proof cost.

use std::time::Instant;

use fixpoint_circuit::Traces;
use p3_air::symbolic::SymbolicExpressionExt;
use p3_batch_stark::folder::ProverConstraintFolderWithLookups;
use p3_batch_stark::{StarkInstance, prove_batch};
use p3_challenger::GrindingChallenger;
use p3_field::extension::BinomiallyExtendable;
use p3_field::{Algebra, BasedVectorSpace, PrimeField64};
use p3_uni_stark::{Domain, PcsProverError, StarkGenericConfig, Val};

use crate::air::CircuitAir;
use crate::config::D;
use crate::error::{P3Error, ProveError};
use crate::instances::public_values;
use crate::keys::ProvingKey;
use crate::npo::{self, NpoTable};
use crate::proof::Proof;
use crate::report::{Phase, ProofReport, TableReport};
use crate::trace;

/// A proof of `traces` under `pk`, and its report.
pub(super) fn prove_generic<SC, N>(
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
        let mut main = layout
            .instances()
            .iter()
            .map(|&kind| {
                let slots = pk.witness_slots.as_deref();
                trace::main_trace::<Val<SC>, SC::Challenge>(traces, layout, kind, slots)
            })
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
    let pvs =
        public_values::<Val<SC>, SC::Challenge>(layout, &public_inputs, pk.vk.npo_tables.len());
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
