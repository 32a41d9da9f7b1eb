//! Setup: the circuit's tables, their preprocessed columns and the NPO tables' AIRs, committed
//! into a proving and a verifying key.

use fixpoint_circuit::Circuit;
use p3_air::symbolic::SymbolicExpressionExt;
use p3_field::extension::BinomiallyExtendable;
use p3_field::{Algebra, BasedVectorSpace, PrimeField64};
use p3_uni_stark::{PcsProverError, StarkGenericConfig, Val};

use crate::air::CircuitAir;
use crate::config::{D, ProverConfig};
use crate::error::{P3Error, SetupError};
use crate::instances::{airs_for, ext_degree_bits, public_positions};
use crate::keys::{Keys, ProvingKey, VerifyingKey};
use crate::layout::{Layout, ShapeFloor};
use crate::npo::{self, NpoAir, NpoTable};
use crate::options::SetupOptions;
use crate::plan::{BusLayout, BusPlan};
use crate::trace;

/// The keys of `circuit` under `config`: its tables laid out as `options` say (their lanes,
/// floor and cost model), and one AIR per NPO table of `options.npos` the circuit calls.
/// The counts are `plan`'s, the circuit's own plan when `None` (another only for a forged
/// key, [`crate::forge`]).
pub(super) fn setup_generic<SC, N>(
    circuit: &Circuit<SC::Challenge>,
    config: &ProverConfig<SC>,
    options: &SetupOptions<'_, N>,
    plan: Option<BusPlan>,
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
    let plan = plan.unwrap_or_else(|| BusPlan::with_layout(circuit, options.bus));
    let min_log_height = config.fri.min_log_height();
    let floor = &options.floor;
    let npo_airs = npo_airs(circuit, options.npos, min_log_height, floor, &plan)?;
    let tallest_npo = npo_airs.iter().map(|a| a.log_height).max().unwrap_or(0);
    let layout = Layout::with_cost(
        circuit,
        &options.lanes,
        min_log_height,
        floor,
        &options.cost,
        tallest_npo,
        options.bus,
    );
    let preprocessed = layout
        .instances()
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
    let npo_tables: Vec<N> = npo_airs.iter().map(|a| a.table.clone()).collect();
    airs.extend(npo_airs.into_iter().map(CircuitAir::Npo));
    let degree_bits = ext_degree_bits(&config.stark, &layout, &npo_log_heights);
    let prover_data = crate::instances::prover_data(config, &airs, &degree_bits)
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
        npo_tables,
        npo_log_heights,
    };
    let witness_slots = match options.bus {
        BusLayout::WitnessTable => None,
        BusLayout::Virtual => Some(plan.witness_slots),
    };
    let pk = ProvingKey {
        config: config.clone(),
        airs,
        prover_data,
        witness_slots,
        vk: vk.clone(),
    };
    Ok((pk, vk))
}

/// One AIR (with preprocessed columns) per NPO table the circuit calls; tables of kinds it
/// never calls are left out of the key. Every NPO kind in the circuit must have exactly one
/// table, and every call must have the table's port counts: without a table nothing would
/// prove the op (and nothing would read its bus messages).
fn npo_airs<V: p3_field::Field, EF, N: NpoTable<V>>(
    circuit: &Circuit<EF>,
    npos: &[N],
    min_log_height: usize,
    floor: &ShapeFloor,
    plan: &BusPlan,
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
    // A table for a kind the circuit never calls would be committed, opened and
    // LogUp-checked for nothing (and cost the next layer's verifier its columns): the key
    // has tables for the called kinds only.
    npos.iter()
        .zip(entries)
        .filter(|&(_, entries)| entries > 0)
        .map(|(table, entries)| {
            let rows = entries.next_power_of_two(); // entries > 0: uncalled kinds are filtered out
            let mut air = NpoAir {
                table: table.clone(),
                entries,
                log_height: (rows.trailing_zeros() as usize)
                    .max(min_log_height)
                    .max(floor.npo_log_height(table.kind())),
                bus: plan.layout,
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
            air.preprocessed = Some(std::sync::Arc::new(npo::npo_preprocessed(
                circuit, &air, plan,
            )));
            Ok(air)
        })
        .collect()
}
