//! Trace generation: the preprocessed columns (from the circuit, at setup) and the main
//! columns (from the runner's traces, at proving time).

use fixpoint_circuit::{AluRow, Circuit, Op, Traces, WitnessId};
use p3_field::{BasedVectorSpace, Field};
use p3_matrix::dense::RowMajorMatrix;
use p3_maybe_rayon::prelude::*;

use crate::air::{main_lane_width, preprocessed_lane_width};
use crate::bus::BusPlan;
use crate::config::D;
use crate::error::ProveError;
use crate::layout::{Layout, TableKind, TableShape};
use crate::npo::{NpoAir, NpoTable};

/// A zeroed `height × width` matrix, filled lane by lane: entry `e` goes to row `e / lanes`,
/// lane `e % lanes`, at columns `lane · lane_width ..`.
struct LaneMatrix<V> {
    values: Vec<V>,
    width: usize,
    lane_width: usize,
}

impl<V: Field> LaneMatrix<V> {
    fn new(shape: &TableShape, lane_width: usize, width: usize) -> Self {
        LaneMatrix {
            values: V::zero_vec(shape.height() * width),
            width,
            lane_width,
        }
    }

    #[inline]
    fn lane(&mut self, entry: usize) -> &mut [V] {
        let start = entry * self.lane_width; // row-major: row r lane l is entry r·lanes + l
        &mut self.values[start..start + self.lane_width]
    }

    fn finish(self) -> RowMajorMatrix<V> {
        RowMajorMatrix::new(self.values, self.width)
    }
}

fn index<V: Field>(slot: WitnessId) -> V {
    V::from_u32(slot.0)
}

fn coords<V: Field, EF: BasedVectorSpace<V>>(value: &EF) -> &[V] {
    value.as_basis_coefficients_slice()
}

/// The preprocessed matrix of table `kind`, or `None` for a table without preprocessed
/// columns (none today: every table has at least its indices).
pub(crate) fn preprocessed<V: Field, EF: BasedVectorSpace<V>>(
    circuit: &Circuit<EF>,
    layout: &Layout,
    kind: TableKind,
    plan: &BusPlan,
) -> RowMajorMatrix<V> {
    let shape = layout.table(kind);
    let mut m = LaneMatrix::new(
        shape,
        preprocessed_lane_width(kind),
        shape.preprocessed_columns(),
    );
    match kind {
        TableKind::Witness => {
            for (slot, &mult) in plan.multiplicity.iter().enumerate() {
                let lane = m.lane(slot);
                lane[0] = V::from_usize(slot);
                lane[1] = V::from_u32(mult);
            }
        }
        TableKind::Public => {
            // One row; the other rows repeat the values but do not read the bus.
            let publics = circuit.ops.iter().filter_map(|op| match op {
                Op::Public { out, .. } => Some(*out),
                _ => None,
            });
            for (k, out) in publics.enumerate() {
                let lane = m.lane(k);
                lane[0] = index(out);
                lane[1] = V::ONE;
            }
        }
        TableKind::Const | TableKind::Add | TableKind::Mul => {
            let mut entry = 0;
            for op in &circuit.ops {
                match (kind, op) {
                    (TableKind::Const, Op::Const { out, val }) => {
                        let lane = m.lane(entry);
                        lane[0] = index(*out);
                        lane[1] = V::ONE;
                        lane[2..].copy_from_slice(coords(val));
                    }
                    (TableKind::Add, Op::Add { a, b, out })
                    | (TableKind::Mul, Op::Mul { a, b, out }) => {
                        let lane = m.lane(entry);
                        lane[0] = index(*a);
                        lane[1] = index(*b);
                        lane[2] = index(*out);
                        lane[3] = V::ONE;
                    }
                    _ => continue,
                }
                entry += 1;
            }
        }
    }
    m.finish()
}

/// The main matrix of table `kind` from the runner's traces. Checks only that the traces
/// have the circuit's shape; the values are whatever the prover claims.
pub(crate) fn main_trace<V: Field, EF: BasedVectorSpace<V> + Copy + Sync>(
    traces: &Traces<EF>,
    layout: &Layout,
    kind: TableKind,
) -> Result<RowMajorMatrix<V>, ProveError> {
    let shape = layout.table(kind);
    let mut m = LaneMatrix::new(shape, main_lane_width(kind), shape.main_columns());
    let expect = |got: usize| {
        if got == shape.entries {
            Ok(())
        } else {
            Err(ProveError::TraceShape {
                table: kind.name(),
                expected: shape.entries,
                got,
            })
        }
    };
    // Entry e occupies `lane_width` consecutive cells from `e · lane_width`, so the lanes
    // can be filled in parallel as chunks (with the `parallel` feature).
    let alu = |m: &mut LaneMatrix<V>, rows: &[AluRow<EF>]| {
        m.values
            .par_chunks_mut(3 * D)
            .zip(rows.par_iter())
            .for_each(|(lane, row)| {
                for (chunk, value) in lane.chunks_mut(D).zip([row.a_val, row.b_val, row.out_val]) {
                    chunk.copy_from_slice(coords(&value));
                }
            });
    };
    match kind {
        TableKind::Witness => {
            expect(traces.witness.values.len())?;
            m.values
                .par_chunks_mut(D)
                .zip(traces.witness.values.par_iter())
                .for_each(|(lane, value)| lane.copy_from_slice(coords(value)));
        }
        TableKind::Const => expect(traces.constant.rows.len())?,
        TableKind::Public => {
            expect(traces.public.rows.len())?;
            for row in 0..shape.height() {
                for (k, public) in traces.public.rows.iter().enumerate() {
                    m.lane(row * shape.lanes + k)
                        .copy_from_slice(coords(&public.val));
                }
            }
        }
        TableKind::Add => {
            expect(traces.add.rows.len())?;
            alu(&mut m, &traces.add.rows);
        }
        TableKind::Mul => {
            expect(traces.mul.rows.len())?;
            alu(&mut m, &traces.mul.rows);
        }
    }
    Ok(m.finish())
}

/// The preprocessed matrix of an NPO table: per call of its kind (in op order), the slot
/// of every port, then `active = 1`; padding rows are all zero.
pub(crate) fn npo_preprocessed<V: Field, EF, N: NpoTable<V>>(
    circuit: &Circuit<EF>,
    air: &NpoAir<V, N>,
) -> RowMajorMatrix<V> {
    let width = air.preprocessed_columns();
    let mut values = V::zero_vec((1 << air.log_height) * width);
    let calls = circuit.ops.iter().filter_map(|op| match op {
        Op::Npo {
            kind,
            inputs,
            outputs,
            ..
        } if *kind == air.table.kind() => Some((inputs, outputs)),
        _ => None,
    });
    for ((inputs, outputs), row) in calls.zip(values.chunks_mut(width)) {
        for (cell, slot) in row.iter_mut().zip(inputs.iter().chain(outputs)) {
            *cell = index(*slot);
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

#[cfg(test)]
mod tests {
    use fixpoint_circuit::CircuitBuilder;
    use p3_field::PrimeCharacteristicRing;
    use p3_koala_bear::KoalaBear as V;
    use p3_matrix::Matrix;

    use super::*;
    use crate::KoalaBearExt as EF;
    use crate::layout::Lanes;

    #[test]
    fn padding_rows_carry_multiplicity_zero_and_inactive_ports() {
        let mut b = CircuitBuilder::<EF>::new();
        let x = b.public_input();
        let y = b.mul(x, x);
        let z = b.add(y, x);
        b.expose(z);
        let circuit = b.build().unwrap();
        let layout = Layout::new(&circuit, &Lanes::uniform(1), 3);
        let plan = BusPlan::new(&circuit);

        let witness = preprocessed::<V, EF>(&circuit, &layout, TableKind::Witness, &plan);
        assert_eq!(witness.height(), 8);
        let mults: Vec<V> = (0..8).map(|r| witness.get(r, 1).unwrap()).collect();
        let expected: Vec<V> = [4, 2, 1, 0, 0, 0, 0, 0].map(V::from_u32).to_vec();
        assert_eq!(mults, expected); // x: Public + 2 Mul + 1 Add ports; y: 2; z: 1

        for kind in [TableKind::Add, TableKind::Mul] {
            let table = preprocessed::<V, EF>(&circuit, &layout, kind, &plan);
            let active: Vec<V> = (0..8).map(|r| table.get(r, 3).unwrap()).collect();
            assert_eq!(active[0], V::ONE);
            assert!(active[1..].iter().all(|a| *a == V::ZERO));
        }
        // The bus is balanced by construction: ports = multiplicities.
        let ports: u64 = plan.messages();
        assert_eq!(ports, 7);
    }
}
