//! The stable text dump of the IR, one op per line (snapshot-tested).

use std::fmt::{self, Display, Formatter};

use super::{Circuit, Op, WitnessId};

fn list(ids: &[WitnessId]) -> String {
    ids.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl<F: Display> Display for Op<F> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Op::Const { out, val } => write!(f, "Const {{ out: {out}, val: {val} }}"),
            Op::Public { out, pos } => write!(f, "Public {{ out: {out}, pos: {pos} }}"),
            Op::Add { a, b, out } => write!(f, "Add {{ a: {a}, b: {b}, out: {out} }}"),
            Op::Mul { a, b, out } => write!(f, "Mul {{ a: {a}, b: {b}, out: {out} }}"),
            Op::Hint {
                kind,
                inputs,
                outputs,
            } => write!(
                f,
                "Hint {{ kind: {kind}, inputs: [{}], outputs: [{}] }}",
                list(inputs),
                list(outputs)
            ),
            Op::Npo {
                kind,
                call,
                inputs,
                outputs,
                private_len,
            } => write!(
                f,
                "Npo {{ kind: {kind}, call: {}, inputs: [{}], outputs: [{}], private: {private_len} }}",
                call.0,
                list(inputs),
                list(outputs)
            ),
        }
    }
}

/// Prints the seed format:
///
/// ```text
/// === CIRCUIT PRIMITIVE OPERATIONS ===
/// 0: Const { out: WitnessId(0), val: 37 }
/// ```
///
/// The alternate form (`{:#}`) appends each op's builder scope as `  # scope`.
impl<F: Display> Display for Circuit<F> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        writeln!(f, "=== CIRCUIT PRIMITIVE OPERATIONS ===")?;
        for (i, op) in self.ops.iter().enumerate() {
            write!(f, "{i}: {op}")?;
            let scope = self.scope_of(super::OpId(i as u32));
            if f.alternate() && !scope.is_empty() {
                write!(f, "  # {scope}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}
