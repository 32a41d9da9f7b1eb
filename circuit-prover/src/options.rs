//! What a setup may choose beyond the circuit and the configuration.

use crate::cost::CostModel;
use crate::layout::{Lanes, ShapeFloor};
use crate::npo::NoNpo;
use crate::plan::BusLayout;

/// The choices of [`setup_with`](crate::setup_with): the tables' lanes, one table per
/// non-primitive op kind the circuit uses, a floor under every table's shape, the cost
/// model of the automatic shapes and who provides the slots on the bus. The default
/// ([`SetupOptions::new`]) is what [`setup`](crate::setup) does: automatic lanes with the
/// fewest cells, no NPO tables, no floor, a virtual-witness bus ([`BusLayout::Virtual`]).
///
/// ```
/// use fixpoint_circuit::CircuitBuilder;
/// use fixpoint_circuit_prover::{
///     FriSettings, KoalaBearExt as F, Lanes, ProverConfig, SetupOptions, TableKind, setup_with,
/// };
///
/// let mut b = CircuitBuilder::<F>::new();
/// let x = b.public_input();
/// let y = b.mul(x, x);
/// b.expose(y);
/// let circuit = b.build()?;
/// let config = ProverConfig::koala_bear(FriSettings::TEST);
/// let (_, vk) = setup_with(&circuit, &config, &SetupOptions::new().with_lanes(Lanes::uniform(2)))?;
/// assert_eq!(vk.layout.table(TableKind::Mul).lanes, 2);
/// // The next setup keeps this key's shapes, which still hold its entries.
/// let options = SetupOptions::new().with_floor(vk.shape_floor());
/// let (_, again) = setup_with(&circuit, &config, &options)?;
/// assert_eq!(again.layout.table(TableKind::Mul).lanes, 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct SetupOptions<'a, N = NoNpo> {
    /// Lanes per table; `None` lets setup choose ([`Layout::new`](crate::Layout::new)).
    pub lanes: Lanes,
    /// One table per NPO kind the circuit uses (see [`NpoTable`](crate::NpoTable)).
    pub npos: &'a [N],
    /// Every table at least as wide (in lanes) and as tall as this ([`ShapeFloor`]): what a
    /// recursion layer uses to keep its shapes from shrinking.
    pub floor: ShapeFloor,
    /// What the automatic shapes minimise ([`CostModel`]): cells, plus a price per column
    /// when the proof is verified in a circuit.
    pub cost: CostModel,
    /// Who provides each slot's value to the bus ([`BusLayout`]).
    pub bus: BusLayout,
}

impl SetupOptions<'static> {
    /// Automatic lanes, no NPO tables, no floor: what [`setup`](crate::setup) does.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<N> Default for SetupOptions<'_, N> {
    fn default() -> Self {
        SetupOptions {
            lanes: Lanes::default(),
            npos: &[],
            floor: ShapeFloor::default(),
            cost: CostModel::default(),
            bus: BusLayout::default(),
        }
    }
}

impl<'a, N> SetupOptions<'a, N> {
    /// These options with `lanes` per table.
    pub fn with_lanes(self, lanes: Lanes) -> Self {
        SetupOptions { lanes, ..self }
    }

    /// These options with `npos` as the NPO tables: at least one per NPO kind the circuit
    /// uses (a kind without a table is refused at setup). Tables of kinds the circuit never
    /// calls are left out of the key, so passing every table (`Table::ALL`) costs nothing.
    pub fn with_npos<'b, M>(self, npos: &'b [M]) -> SetupOptions<'b, M> {
        SetupOptions {
            lanes: self.lanes,
            npos,
            floor: self.floor,
            cost: self.cost,
            bus: self.bus,
        }
    }

    /// These options with `floor`'s shapes kept where they hold the entries (see
    /// [`ShapeFloor`]).
    pub fn with_floor(self, floor: ShapeFloor) -> Self {
        SetupOptions { floor, ..self }
    }

    /// These options with the automatic shapes chosen by `cost`.
    pub fn with_cost(self, cost: CostModel) -> Self {
        SetupOptions { cost, ..self }
    }

    /// These options with `bus` providing the slots' values: the defining ops themselves
    /// ([`BusLayout::Virtual`], the default) or a Witness table.
    ///
    /// ```
    /// use fixpoint_circuit::CircuitBuilder;
    /// use fixpoint_circuit_prover::{
    ///     BusLayout, FriSettings, KoalaBearExt as F, ProverConfig, SetupOptions, TableKind,
    ///     prove, setup_with, verify,
    /// };
    /// use p3_field::PrimeCharacteristicRing;
    ///
    /// let mut b = CircuitBuilder::<F>::new();
    /// let x = b.public_input();
    /// let y = b.mul(x, x);
    /// b.expose(y);
    /// let circuit = b.build()?;
    /// let config = ProverConfig::koala_bear(FriSettings::TEST);
    /// let (_, vk) = setup_with(&circuit, &config, &SetupOptions::new())?;
    /// assert_eq!(vk.layout.table(TableKind::Witness).entries, 0); // the ops provide every slot
    /// let options = SetupOptions::new().with_bus(BusLayout::WitnessTable);
    /// let (pk, vk) = setup_with(&circuit, &config, &options)?;
    /// assert_eq!(vk.layout.table(TableKind::Witness).entries, 2); // x and y
    /// let mut runner = circuit.runner();
    /// runner.set_public_inputs(&[F::from_u32(3)])?;
    /// let proof = prove(&pk, &runner.run()?)?;
    /// verify(&vk, &[F::from_u32(3)], &proof)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_bus(self, bus: BusLayout) -> Self {
        SetupOptions { bus, ..self }
    }
}
