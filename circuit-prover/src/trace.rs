//! Trace generation: the preprocessed columns (from the circuit, at setup) and the main
//! columns (from the runner's traces, at proving time) of the primitive tables, each filled
//! by its module under [`crate::tables`]; the NPO tables fill their own ([`crate::npo`]).

use fixpoint_circuit::{Circuit, Traces, WitnessId};
use p3_field::{BasedVectorSpace, Field};
use p3_matrix::dense::RowMajorMatrix;

use crate::bus::BusPlan;
use crate::error::ProveError;
use crate::layout::{Layout, TableKind, TableShape};
use crate::tables::alu::{self, AluOp};
use crate::tables::common::LaneMatrix;
use crate::tables::{constant, public, witness};

/// The preprocessed matrix of table `kind`.
pub(crate) fn preprocessed<V: Field, EF: BasedVectorSpace<V>>(
    circuit: &Circuit<EF>,
    layout: &Layout,
    kind: TableKind,
    plan: &BusPlan,
) -> RowMajorMatrix<V> {
    let shape = layout.table(kind);
    let mut m = lane_matrix(
        shape,
        kind.preprocessed_lane_width(shape.bus),
        shape.preprocessed_columns(),
    );
    match kind {
        TableKind::Witness => witness::fill_preprocessed(&mut m, plan),
        TableKind::Const => constant::fill_preprocessed(&mut m, circuit, plan),
        TableKind::Public => public::fill_preprocessed(&mut m, circuit, plan),
        TableKind::Add => alu::fill_preprocessed(&mut m, circuit, AluOp::Add, plan),
        TableKind::Mul => alu::fill_preprocessed(&mut m, circuit, AluOp::Mul, plan),
    }
    m.finish()
}

/// The main matrix of table `kind` from the runner's traces; the Witness table holds the
/// values of `witness_slots` (the key's [`BusPlan::witness_slots`]), or of every slot when
/// it is `None`. Checks only that the traces have the circuit's shape; the values are
/// whatever the prover claims.
pub(crate) fn main_trace<V: Field, EF: BasedVectorSpace<V> + Copy + Sync>(
    traces: &Traces<EF>,
    layout: &Layout,
    kind: TableKind,
    witness_slots: Option<&[WitnessId]>,
) -> Result<RowMajorMatrix<V>, ProveError> {
    let shape = layout.table(kind);
    let mut m = lane_matrix(shape, kind.main_lane_width(), shape.main_columns());
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
    match kind {
        TableKind::Witness => {
            let values = &traces.witness.values;
            match witness_slots {
                None => {
                    expect(values.len())?;
                    witness::fill_main(&mut m, values);
                }
                Some(slots) => {
                    expect(slots.len())?;
                    let provided = slots
                        .iter()
                        .map(|s| values.get(s.index()).copied())
                        .collect::<Option<Vec<EF>>>()
                        .ok_or(ProveError::TraceShape {
                            table: kind.name(),
                            expected: slots.iter().map(|s| s.index() + 1).max().unwrap_or(0),
                            got: values.len(),
                        })?;
                    witness::fill_main(&mut m, &provided);
                }
            }
        }
        TableKind::Const => expect(traces.constant.rows.len())?,
        TableKind::Public => {
            expect(traces.public.rows.len())?;
            public::fill_main(&mut m, &traces.public.rows, shape.height(), shape.lanes);
        }
        TableKind::Add => {
            expect(traces.add.rows.len())?;
            alu::fill_main(&mut m, &traces.add.rows);
        }
        TableKind::Mul => {
            expect(traces.mul.rows.len())?;
            alu::fill_main(&mut m, &traces.mul.rows);
        }
    }
    Ok(m.finish())
}

/// A zeroed matrix of the table's height and `width` columns, filled `lane_width` per lane.
fn lane_matrix<V: Field>(shape: &TableShape, lane_width: usize, width: usize) -> LaneMatrix<V> {
    LaneMatrix::new(shape.height(), lane_width, width)
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
        let plan = BusPlan::witness_table(&circuit);

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
