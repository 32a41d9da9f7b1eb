//! Graphviz export of a circuit's data flow.

use std::fmt::Display;

use petgraph::dot::Dot;
use petgraph::graph::{Graph, NodeIndex};

use super::{Circuit, IrError, Op, OpId};

impl<F: Display> Circuit<F> {
    /// The circuit's data flow in Graphviz DOT: one node per op, one edge per slot read,
    /// from the op that defines the slot to the op that reads it (labelled with the slot).
    ///
    /// Fails with the IR verifier's error when the circuit is not well formed (a slot read
    /// before any op defines it has no source to draw).
    ///
    /// ```
    /// use fixpoint_circuit::CircuitBuilder;
    /// use p3_koala_bear::KoalaBear as F;
    ///
    /// let mut b = CircuitBuilder::<F>::new();
    /// let x = b.public_input();
    /// let y = b.square(x);
    /// b.expose(y);
    /// let dot = b.build()?.to_dot()?;
    /// assert!(dot.starts_with("digraph {"));
    /// assert!(dot.contains("1: Mul"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_dot(&self) -> Result<String, IrError> {
        let definitions = self.verify()?;
        let mut graph = Graph::<String, String>::new();
        let nodes: Vec<NodeIndex> = self
            .ops
            .iter()
            .enumerate()
            .map(|(i, op)| {
                let scope = self.scope_of(OpId(i as u32));
                let detail = match op {
                    Op::Const { val, .. } => format!(" = {val}"),
                    Op::Public { pos, .. } => format!(" [{pos}]"),
                    Op::Hint { kind, .. } => format!(" {kind}"),
                    Op::Npo { kind, .. } => format!(" {kind}"),
                    _ => String::new(),
                };
                let scope = if scope.is_empty() {
                    String::new()
                } else {
                    format!("\n{scope}")
                };
                graph.add_node(format!("{i}: {}{detail}{scope}", op.kind()))
            })
            .collect();
        for (i, op) in self.ops.iter().enumerate() {
            for slot in op.slots() {
                let source = definitions.defined_by[slot.index()];
                if source.index() != i {
                    graph.add_edge(nodes[source.index()], nodes[i], format!("w{}", slot.0));
                }
            }
        }
        Ok(Dot::new(&graph).to_string())
    }
}
