//! The traces a run produces: the witness table and one trace per chip.

use std::fmt::{self, Display, Formatter};

use serde::{Deserialize, Serialize};

use crate::ir::WitnessId;

/// The witness table: row `i` holds slot `WitnessId(i)`'s value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound = "F: p3_field::Field")]
pub struct WitnessTrace<F> {
    /// Values by slot.
    pub values: Vec<F>,
}

impl<F: Copy> WitnessTrace<F> {
    /// The value of `slot`, or `None` if out of range.
    pub fn get(&self, slot: WitnessId) -> Option<F> {
        self.values.get(slot.index()).copied()
    }
}

/// One row of the Const chip.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound = "F: p3_field::Field")]
pub struct ConstRow<F> {
    /// The constant's slot.
    pub out: WitnessId,
    /// The constant.
    pub val: F,
}

/// The Const chip's trace, one row per `Const` op in op order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound = "F: p3_field::Field")]
pub struct ConstTrace<F> {
    /// The rows.
    pub rows: Vec<ConstRow<F>>,
}

/// One row of the Public chip.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound = "F: p3_field::Field")]
pub struct PublicRow<F> {
    /// The slot bound to the public input.
    pub out: WitnessId,
    /// The public input's position.
    pub pos: u32,
    /// Its value.
    pub val: F,
}

/// The Public chip's trace, one row per `Public` op in op order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound = "F: p3_field::Field")]
pub struct PublicTrace<F> {
    /// The rows.
    pub rows: Vec<PublicRow<F>>,
}

/// One row of the Add or Mul chip: `a ∘ b = out` with the three slots and values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound = "F: p3_field::Field")]
pub struct AluRow<F> {
    /// First operand's slot.
    pub a: WitnessId,
    /// Second operand's slot.
    pub b: WitnessId,
    /// Result's slot.
    pub out: WitnessId,
    /// First operand's value.
    pub a_val: F,
    /// Second operand's value.
    pub b_val: F,
    /// Result's value.
    pub out_val: F,
}

/// The Add or Mul chip's trace, one row per op in op order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound = "F: p3_field::Field")]
pub struct AluTrace<F> {
    /// The rows.
    pub rows: Vec<AluRow<F>>,
}

/// One executed non-primitive op: what its table will prove.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound = "F: p3_field::Field")]
pub struct NpoRow<F> {
    /// The op in the circuit.
    pub op: crate::ir::OpId,
    /// Its kind.
    pub kind: crate::ir::NpoKind,
    /// Its builder call.
    pub call: crate::ir::NpoCallId,
    /// Input values, in port order.
    pub inputs: Vec<F>,
    /// Output values, in port order.
    pub outputs: Vec<F>,
    /// The private data it was given.
    pub private: Vec<F>,
}

/// Everything a run produces: the witness table and one trace per chip.
///
/// `Display` prints every table in the seed format, e.g.
/// `Row 0: WitnessId(w1) * WitnessId(w4) -> WitnessId(w5) | 37 * 3 -> 111`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound = "F: p3_field::Field")]
pub struct Traces<F> {
    /// The witness table.
    pub witness: WitnessTrace<F>,
    /// The Const chip.
    #[serde(rename = "const")]
    pub constant: ConstTrace<F>,
    /// The Public chip.
    pub public: PublicTrace<F>,
    /// The Add chip.
    pub add: AluTrace<F>,
    /// The Mul chip.
    pub mul: AluTrace<F>,
    /// Every non-primitive op, in op order (each kind's table takes its own rows).
    pub npo: Vec<NpoRow<F>>,
}

fn write_alu<F: Display>(
    f: &mut Formatter<'_>,
    title: &str,
    sym: char,
    t: &AluTrace<F>,
) -> fmt::Result {
    writeln!(f, "=== {title} TRACE ===")?;
    for (i, r) in t.rows.iter().enumerate() {
        writeln!(
            f,
            "Row {i}: WitnessId(w{}) {sym} WitnessId(w{}) -> WitnessId(w{}) | {} {sym} {} -> {}",
            r.a.0, r.b.0, r.out.0, r.a_val, r.b_val, r.out_val
        )?;
    }
    Ok(())
}

impl<F: Display> Display for Traces<F> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        writeln!(f, "=== WITNESS TRACE ===")?;
        for (i, v) in self.witness.values.iter().enumerate() {
            writeln!(f, "Row {i}: WitnessId(w{i}) = {v}")?;
        }
        writeln!(f, "=== CONST TRACE ===")?;
        for (i, r) in self.constant.rows.iter().enumerate() {
            writeln!(f, "Row {i}: WitnessId(w{}) = {}", r.out.0, r.val)?;
        }
        writeln!(f, "=== PUBLIC TRACE ===")?;
        for (i, r) in self.public.rows.iter().enumerate() {
            writeln!(
                f,
                "Row {i}: WitnessId(w{}) = public[{}] = {}",
                r.out.0, r.pos, r.val
            )?;
        }
        write_alu(f, "ADD", '+', &self.add)?;
        write_alu(f, "MUL", '*', &self.mul)?;
        if !self.npo.is_empty() {
            writeln!(f, "=== NPO TRACE ===")?;
            for (i, row) in self.npo.iter().enumerate() {
                let list = |values: &[F]| {
                    values
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                writeln!(
                    f,
                    "Row {i}: {} call {} | [{}] -> [{}] (private: {})",
                    row.kind,
                    row.call.0,
                    list(&row.inputs),
                    list(&row.outputs),
                    row.private.len()
                )?;
            }
        }
        Ok(())
    }
}
