//! Tables for non-primitive operations: the plugin interface on the prover's side.
//!
//! An NPO kind is proved by a table with one call per row. fixpoint owns the **ports**:
//! every input and output value sits in `D` main columns (one for a base port) and is read
//! from the bus at the slot index of a preprocessed column, with a preprocessed `active`
//! flag (0 on padding rows); on a [`BusLayout::Virtual`] bus each port sends its own
//! preprocessed count instead (1 for a read, minus the slot's other ports for an output the
//! call defines; see [`crate::plan`]). The plugin owns the **body**: extra main columns and the
//! constraints tying the port values together. A port may live in the body's columns
//! ([`NpoTable::port_alias`]) when the body has the value anyway. A user adds a kind by
//! implementing [`NpoTable`] — no change to fixpoint's code.

use std::fmt::Debug;
use std::sync::Arc;

use fixpoint_circuit::{Circuit, NpoKind, Op, OpId, Traces};
use p3_air::{Air, BaseAir};
use p3_field::{BasedVectorSpace, Field, PrimeCharacteristicRing};
use p3_lookup::InteractionBuilder;
use p3_matrix::dense::RowMajorMatrix;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::config::D;
use crate::error::ProveError;
use crate::plan::{BusLayout, BusPlan};
use crate::tables::common::{coords, count, current_row, index, read_port};

/// How many columns a port value takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum PortValues {
    /// Any extension-field value: `D` columns.
    Extension,
    /// Base-field values only: one column; the bus message pins the other `D − 1`
    /// coordinates to zero, so a port can only read a base value.
    Base,
}

impl PortValues {
    /// Columns per port.
    pub fn columns(self) -> usize {
        match self {
            PortValues::Extension => D,
            PortValues::Base => 1,
        }
    }
}

/// The body of one NPO kind's table.
///
/// Port values arrive as [`port_values`](Self::port_values)`(port).columns()` base-field
/// coordinates each. The constraints must hold on padding rows too (`active = 0`; ports
/// with columns of their own are zero, the extra columns hold what
/// [`fill_padding`](Self::fill_padding) wrote): multiply by `active` where they would not.
pub trait NpoTable<V: Field>:
    Clone + Debug + Send + Sync + Serialize + DeserializeOwned + 'static
{
    /// The kind of op this table proves.
    fn kind(&self) -> NpoKind;
    /// Inputs per call.
    fn num_inputs(&self) -> usize;
    /// Outputs per call.
    fn num_outputs(&self) -> usize;
    /// What port `port` (inputs first, then outputs) carries: any extension value (`D`
    /// columns, the default) or [`PortValues::Base`] (one column).
    fn port_values(&self, _port: usize) -> PortValues {
        PortValues::Extension
    }
    /// Where port `port`'s value lives: `None` (the default) gives it columns of its own;
    /// `Some(offset)` makes it the `port_values(port).columns()` extra columns from
    /// `offset` on, so that a value the body already has in a column (a permutation's
    /// input or output lanes, say) is read from the bus where it is, with no copy and no
    /// equality constraint.
    ///
    /// An aliased port is bound only by the body's constraints on those columns, and on
    /// padding rows it holds whatever [`fill_padding`](Self::fill_padding) wrote (padding
    /// rows read nothing from the bus). `setup` refuses an alias that leaves the extra
    /// columns ([`SetupError::NpoPortAlias`](crate::SetupError::NpoPortAlias)).
    fn port_alias(&self, _port: usize) -> Option<usize> {
        None
    }
    /// Extra main columns per row, beyond the port values.
    fn extra_columns(&self) -> usize {
        0
    }
    /// Fills the extra columns of one call's row from its port values (as many coordinates
    /// as the port has columns) and private data (`D` coordinates per value).
    fn fill_extra(&self, _inputs: &[&[V]], _outputs: &[&[V]], _private: &[&[V]], _extra: &mut [V]) {
    }
    /// Fills the extra columns of a padding row (all port values zero, `active = 0`).
    fn fill_padding(&self, _extra: &mut [V]) {}
    /// Emits the body's constraints for one row.
    fn eval<AB: InteractionBuilder<F = V>>(
        &self,
        builder: &mut AB,
        active: AB::Expr,
        inputs: &[&[AB::Expr]],
        outputs: &[&[AB::Expr]],
        extra: &[AB::Expr],
    );
}

/// No non-primitive tables: the default for circuits without NPOs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum NoNpo {}

impl<V: Field> NpoTable<V> for NoNpo {
    fn kind(&self) -> NpoKind {
        match *self {}
    }
    fn num_inputs(&self) -> usize {
        match *self {}
    }
    fn num_outputs(&self) -> usize {
        match *self {}
    }
    fn eval<AB: InteractionBuilder<F = V>>(
        &self,
        _: &mut AB,
        _: AB::Expr,
        _: &[&[AB::Expr]],
        _: &[&[AB::Expr]],
        _: &[AB::Expr],
    ) {
        match *self {}
    }
}

/// The AIR of one NPO table: fixpoint's ports around the plugin's body.
#[derive(Clone, Debug)]
pub struct NpoAir<V, N> {
    /// The plugin.
    pub table: N,
    /// Calls of this kind in the circuit (0 on the verifier's side, which does not need it).
    pub entries: usize,
    /// log2 of the table's height.
    pub log_height: usize,
    /// Who provides the slots' values on the bus (the key's [`Layout::bus`](crate::Layout::bus)).
    pub bus: BusLayout,
    /// Preprocessed columns (`index` per port, then on a virtual bus `count` per port, then
    /// `active`); absent on the verifier.
    pub preprocessed: Option<Arc<RowMajorMatrix<V>>>,
}

impl<V: Field, N: NpoTable<V>> NpoAir<V, N> {
    /// Ports per row: inputs then outputs.
    pub fn ports(&self) -> usize {
        self.table.num_inputs() + self.table.num_outputs()
    }

    /// The main columns of each port's value. Ports with columns of their own come first,
    /// in port order; an aliased port's range lies in the extra columns.
    pub fn port_ranges(&self) -> Vec<std::ops::Range<usize>> {
        let own = self.port_columns();
        let mut start = 0;
        (0..self.ports())
            .map(|port| {
                let width = self.table.port_values(port).columns();
                match self.table.port_alias(port) {
                    Some(offset) => own + offset..own + offset + width,
                    None => {
                        start += width;
                        start - width..start
                    }
                }
            })
            .collect()
    }

    /// Main columns that hold port values of their own (the first main columns); aliased
    /// ports take none.
    pub fn port_columns(&self) -> usize {
        (0..self.ports())
            .filter(|&port| self.table.port_alias(port).is_none())
            .map(|port| self.table.port_values(port).columns())
            .sum()
    }

    /// The first port whose alias leaves the extra columns, with its range there.
    pub(crate) fn alias_out_of_bounds(&self) -> Option<(usize, std::ops::Range<usize>)> {
        (0..self.ports()).find_map(|port| {
            let offset = self.table.port_alias(port)?;
            let range = offset..offset + self.table.port_values(port).columns();
            (range.end > self.table.extra_columns()).then_some((port, range))
        })
    }

    /// Main columns: the port values, then the extra columns.
    pub fn main_columns(&self) -> usize {
        (self.port_columns() + self.table.extra_columns()).max(1)
    }

    /// Preprocessed columns: one index per port, on a virtual bus one count per port, then
    /// `active`.
    pub fn preprocessed_columns(&self) -> usize {
        match self.bus {
            BusLayout::WitnessTable => self.ports() + 1,
            BusLayout::Virtual => 2 * self.ports() + 1,
        }
    }

    /// The preprocessed column of port `port`'s count: its own on a virtual bus, `active`
    /// on a Witness-table one.
    fn count_column(&self, port: usize) -> usize {
        match self.bus {
            BusLayout::WitnessTable => self.ports(),
            BusLayout::Virtual => self.ports() + port,
        }
    }
}

impl<V: Field, N: NpoTable<V>> BaseAir<V> for NpoAir<V, N> {
    fn width(&self) -> usize {
        self.main_columns()
    }
    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<V>> {
        self.preprocessed.as_deref().cloned()
    }
    fn preprocessed_width(&self) -> usize {
        self.preprocessed_columns()
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
    fn preprocessed_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
}

impl<V: Field, N: NpoTable<V>, AB: InteractionBuilder<F = V>> Air<AB> for NpoAir<V, N> {
    fn eval(&self, builder: &mut AB) {
        let (prep, main) = current_row(builder);
        let active = prep[self.preprocessed_columns() - 1].clone();
        let values: Vec<&[AB::Expr]> = self.port_ranges().into_iter().map(|r| &main[r]).collect();
        for (port, (index, value)) in prep.iter().zip(&values).enumerate() {
            // A base port's message pins the higher coordinates to zero.
            let message: Vec<AB::Expr> = value
                .iter()
                .cloned()
                .chain(std::iter::repeat_n(AB::Expr::ZERO, D - value.len()))
                .collect();
            read_port(builder, index, &message, &prep[self.count_column(port)]);
        }
        let (inputs, outputs) = values.split_at(self.table.num_inputs());
        let extra = &main[self.port_columns()..];
        self.table.eval(builder, active, inputs, outputs, extra);
    }
}

/// The preprocessed matrix of an NPO table: per call of its kind (in op order), the slot
/// of every port, on a virtual bus every port's count from `plan`, then `active = 1`;
/// padding rows are all zero.
pub(crate) fn npo_preprocessed<V: Field, EF, N: NpoTable<V>>(
    circuit: &Circuit<EF>,
    air: &NpoAir<V, N>,
    plan: &BusPlan,
) -> RowMajorMatrix<V> {
    let width = air.preprocessed_columns();
    let ports = air.ports();
    let mut values = V::zero_vec((1 << air.log_height) * width);
    let calls = circuit
        .ops
        .iter()
        .enumerate()
        .filter_map(|(i, op)| match op {
            Op::Npo {
                kind,
                inputs,
                outputs,
                ..
            } if *kind == air.table.kind() => Some((inputs, outputs, plan.counts(OpId(i as u32)))),
            _ => None,
        });
    for ((inputs, outputs, counts), row) in calls.zip(values.chunks_mut(width)) {
        for (cell, slot) in row.iter_mut().zip(inputs.iter().chain(outputs)) {
            *cell = index(*slot);
        }
        if air.bus == BusLayout::Virtual {
            for (cell, &c) in row[ports..2 * ports].iter_mut().zip(counts) {
                *cell = count(c);
            }
        }
        row[width - 1] = V::ONE;
    }
    RowMajorMatrix::new(values, width)
}

/// The main matrix of an NPO table from the executed calls of its kind.
pub(crate) fn npo_main<V: Field, EF: BasedVectorSpace<V> + Copy, N: NpoTable<V>>(
    traces: &Traces<EF>,
    air: &NpoAir<V, N>,
) -> Result<RowMajorMatrix<V>, ProveError> {
    let kind = air.table.kind();
    let rows: Vec<_> = traces.npo.iter().filter(|r| r.kind == kind).collect();
    if rows.len() != air.entries {
        return Err(ProveError::TraceShape {
            table: "NPO",
            expected: air.entries,
            got: rows.len(),
        });
    }
    let width = air.main_columns();
    let ports = air.ports();
    let port_ranges = air.port_ranges();
    let port_columns = air.port_columns();
    let mut values = V::zero_vec((1 << air.log_height) * width);
    for (row, out) in rows.iter().zip(values.chunks_mut(width)) {
        if row.inputs.len() + row.outputs.len() != ports {
            return Err(ProveError::TraceShape {
                table: "NPO ports",
                expected: ports,
                got: row.inputs.len() + row.outputs.len(),
            });
        }
        // Each port's coordinates, as many as it has columns.
        let mut port_values: Vec<&[V]> = Vec::with_capacity(ports);
        for (port, (value, range)) in row
            .inputs
            .iter()
            .chain(&row.outputs)
            .zip(&port_ranges)
            .enumerate()
        {
            let value = coords(value);
            if value[range.len()..].iter().any(|c| !c.is_zero()) {
                return Err(ProveError::NotBase {
                    kind: kind.to_string(),
                    op: row.op.0,
                    port,
                });
            }
            port_values.push(&value[..range.len()]);
        }
        let (inputs, outputs) = port_values.split_at(row.inputs.len());
        let private: Vec<&[V]> = row.private.iter().map(coords).collect();
        air.table
            .fill_extra(inputs, outputs, &private, &mut out[port_columns..]);
        // The ports last, so that an aliased port holds the runner's value: if the body
        // computed another, its constraints fail instead of the bus silently moving.
        for (value, range) in port_values.iter().zip(&port_ranges) {
            out[range.clone()].copy_from_slice(value);
        }
    }
    for out in values.chunks_mut(width).skip(rows.len()) {
        air.table.fill_padding(&mut out[port_columns..]);
    }
    Ok(RowMajorMatrix::new(values, width))
}
