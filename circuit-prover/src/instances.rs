//! The batch's instances as p3-batch-stark sees them, from a key or a circuit: one AIR per
//! table in instance order (the primitive tables of [`Layout::instances`], then the NPO
//! tables), their public values and their heights. Below the engine, which proves and
//! verifies with them, and above the keys, which are only data.

use std::sync::Arc;

use fixpoint_circuit::{Circuit, Op};
use p3_air::symbolic::SymbolicExpressionExt;
use p3_batch_stark::common::{GlobalPreprocessed, PreprocessedInstanceMeta};
use p3_batch_stark::{CommonData, ProverData};
use p3_field::extension::BinomiallyExtendable;
use p3_field::{Algebra, BasedVectorSpace, Field, PrimeField64, TwoAdicField};
use p3_matrix::dense::RowMajorMatrix;
use p3_uni_stark::{PcsProverError, StarkGenericConfig, Val};

use crate::air::{CircuitAir, TableAir};
use crate::config::{D, ProverConfig};
use crate::error::{KeyError, P3Error, VerifyError};
use crate::keys::VerifyingKey;
use crate::layout::{Layout, TableKind};
use crate::npo::{NpoAir, NpoTable};

/// What p3-batch-stark's `verify_batch` takes for a key: every fact comes from the key,
/// nothing from a proof. See [`VerifyingKey::batch_parts`].
pub struct BatchParts<SC: StarkGenericConfig, N> {
    /// The configuration, rebuilt from the key's FRI settings.
    pub config: ProverConfig<SC>,
    /// One AIR per table, in instance order (without preprocessed data).
    pub airs: Vec<CircuitAir<Val<SC>, N>>,
    /// The bus layout and the pinned preprocessed commitment.
    pub common: CommonData<SC>,
    /// Every table's height (log2), as a proof must claim it.
    pub degree_bits: Vec<usize>,
}

/// The public-input position of each `Public` op, in op order.
pub(crate) fn public_positions<F>(circuit: &Circuit<F>) -> Vec<u32> {
    circuit
        .ops
        .iter()
        .filter_map(|op| match op {
            Op::Public { pos, .. } => Some(*pos),
            _ => None,
        })
        .collect()
}

/// The AIRs of the primitive tables the batch proves ([`Layout::instances`]), with their
/// preprocessed matrices (in the same order) at setup and without on the verifier's side.
pub(crate) fn airs_for<V: BinomiallyExtendable<D>, N>(
    layout: &Layout,
    public_positions: &[u32],
    public_count: u32,
    preprocessed: Option<Vec<RowMajorMatrix<V>>>,
) -> Vec<CircuitAir<V, N>> {
    let mut preprocessed = preprocessed.map(Vec::into_iter);
    layout
        .instances()
        .iter()
        .map(|&kind| {
            CircuitAir::Table(TableAir {
                shape: *layout.table(kind),
                public_positions: if kind == TableKind::Public {
                    public_positions.to_vec()
                } else {
                    Vec::new()
                },
                public_count: public_count as usize,
                w: V::W,
                preprocessed: preprocessed.as_mut().and_then(Iterator::next).map(Arc::new),
            })
        })
        .collect()
}

/// The key's AIRs, without preprocessed data (the verifier never needs it).
pub(crate) fn key_airs<SC, N>(vk: &VerifyingKey<SC, N>) -> Vec<CircuitAir<Val<SC>, N>>
where
    SC: StarkGenericConfig,
    Val<SC>: BinomiallyExtendable<D>,
    N: Clone,
{
    let mut airs = airs_for(&vk.layout, &vk.public_positions, vk.public_count, None);
    let npo = vk.npo_tables.iter().zip(&vk.npo_log_heights);
    airs.extend(npo.map(|(table, &log_height)| {
        CircuitAir::Npo(NpoAir {
            table: table.clone(),
            entries: 0,
            log_height,
            bus: vk.layout.bus(),
            preprocessed: None,
        })
    }));
    airs
}

/// The public values of each table the batch proves: the Public table's are the public
/// inputs' coordinates; the others (and the `npo_tables` NPO tables) have none.
pub(crate) fn public_values<V: Field, EF: BasedVectorSpace<V>>(
    layout: &Layout,
    public_inputs: &[EF],
    npo_tables: usize,
) -> Vec<Vec<V>> {
    let instances = layout.instances();
    let primitive = instances.iter().map(|&kind| match kind {
        TableKind::Public => public_inputs
            .iter()
            .flat_map(|v| v.as_basis_coefficients_slice().iter().copied())
            .collect(),
        _ => Vec::new(),
    });
    primitive
        .chain((0..npo_tables).map(|_| Vec::new()))
        .collect()
}

/// Each table's extended degree bits as p3 expects them (`log2(height) + is_zk`).
pub(crate) fn ext_degree_bits<SC: StarkGenericConfig>(
    config: &SC,
    layout: &Layout,
    npo_log_heights: &[usize],
) -> Vec<usize> {
    let instances = layout.instances();
    let primitive = instances.iter().map(|&kind| layout.table(kind).log_height);
    primitive
        .chain(npo_log_heights.iter().copied())
        .map(|log_height| log_height + config.is_zk())
        .collect()
}

/// The [`BatchParts`] of a key that passed its checks (its field is `config`'s and
/// [`VerifyingKey::check`] holds), under `config`, the configuration of its FRI settings.
pub(crate) fn parts_of_checked_key<SC, N>(
    vk: &VerifyingKey<SC, N>,
    config: ProverConfig<SC>,
) -> Result<BatchParts<SC, N>, VerifyError>
where
    SC: StarkGenericConfig,
    Val<SC>: PrimeField64 + BinomiallyExtendable<D> + TwoAdicField,
    SymbolicExpressionExt<Val<SC>, SC::Challenge>: Algebra<SC::Challenge>,
    PcsProverError<SC>: std::error::Error + Send + Sync + 'static,
    N: NpoTable<Val<SC>>,
{
    let degree_bits = ext_degree_bits(&config.stark, &vk.layout, &vk.npo_log_heights);
    let airs = key_airs(vk);
    // A decoded key's tables are data too: an alias past the extra columns would index
    // out of the row when the constraints are evaluated.
    for air in &airs {
        if let CircuitAir::Npo(npo) = air
            && let Some((port, columns)) = npo.alias_out_of_bounds()
        {
            return Err(VerifyError::InvalidKey(KeyError::NpoPortAlias {
                kind: npo.table.kind(),
                port,
                columns,
                extra: npo.table.extra_columns(),
            }));
        }
    }
    // The bus layout is derived from the AIRs (a symbolic pass, no commitment), exactly as
    // setup derived it, so a key cannot carry lookups that disagree with its tables.
    let lookups = prover_data(&config, &airs, &degree_bits)
        .map_err(|e| VerifyError::InvalidKey(KeyError::Lookups(P3Error::new(e))))?
        .common
        .lookups;
    let instances = airs
        .iter()
        .enumerate()
        .map(|(i, air)| {
            Some(PreprocessedInstanceMeta {
                matrix_index: i,
                width: p3_air::BaseAir::<Val<SC>>::preprocessed_width(air),
                degree_bits: degree_bits[i],
            })
        })
        .collect();
    let common = CommonData {
        preprocessed: Some(GlobalPreprocessed {
            commitment: vk.preprocessed_commitment.clone(),
            instances,
            matrix_to_instance: (0..airs.len()).collect(),
        }),
        lookups,
    };
    Ok(BatchParts {
        config,
        airs,
        common,
        degree_bits,
    })
}

impl<SC: StarkGenericConfig, N> VerifyingKey<SC, N> {
    /// The public values p3-batch-stark sees for `public_inputs`, one list per table: the
    /// Public table's are the inputs' base coordinates, the other tables have none.
    pub fn public_values(&self, public_inputs: &[SC::Challenge]) -> Vec<Vec<Val<SC>>>
    where
        SC::Challenge: BasedVectorSpace<Val<SC>>,
    {
        public_values(&self.layout, public_inputs, self.npo_tables.len())
    }
}

/// p3's keygen for `airs` at `degree_bits`, with every AIR's lookups packed to at least
/// [`LOOKUP_BUDGET`](crate::LOOKUP_BUDGET): the one place setup and verify derive the bus
/// layout from, so the two agree.
pub(crate) fn prover_data<SC, N>(
    config: &ProverConfig<SC>,
    airs: &[CircuitAir<Val<SC>, N>],
    degree_bits: &[usize],
) -> Result<ProverData<SC>, p3_batch_stark::ProvingError<PcsProverError<SC>>>
where
    SC: StarkGenericConfig,
    Val<SC>: PrimeField64 + BinomiallyExtendable<D>,
    SymbolicExpressionExt<Val<SC>, SC::Challenge>: Algebra<SC::Challenge>,
    N: NpoTable<Val<SC>>,
{
    let log_blowup = config.fri.log_blowup;
    // Any blowup allows the budget's two quotient chunks (`FriSettings::validate` demands
    // log_blowup >= 1), so p3's check that an override fits the blowup cannot fail.
    let budgets = vec![crate::LOOKUP_BUDGET; airs.len()];
    ProverData::from_airs_and_degrees_with_lookup_budgets(
        &config.stark,
        airs,
        degree_bits,
        &budgets,
        log_blowup,
    )
}
