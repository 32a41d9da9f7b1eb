//! `fixpoint prove-node`: one proof-tree job, from its file to its proof's file.

use std::path::Path;
use std::time::Instant;

use fixpoint_circuit_prover::files::{FieldTag, Header};
use fixpoint_circuit_prover::{BabyBear, Ext, FieldFamily, KoalaBear};
use fixpoint_recursion::tree::{NodeJob, NodeOutput, prove_job};

use crate::failure::{Failure, read};

/// `fixpoint prove-node --job FILE --out FILE`.
pub fn node(job: &Path, out: &Path) -> Result<String, Failure> {
    let bytes = read(job)?;
    let (header, _) = Header::read(&bytes).map_err(|e| Failure::undecodable(job, &e))?;
    match header.field {
        FieldTag::KoalaBear => node_over::<KoalaBear>(job, &bytes, out),
        FieldTag::BabyBear => node_over::<BabyBear>(job, &bytes, out),
    }
}

/// `fixpoint prove-node` over field family `F`.
fn node_over<F: FieldFamily>(path: &Path, bytes: &[u8], out: &Path) -> Result<String, Failure>
where
    Ext<F>: fixpoint_circuit::CircuitField<PrimeSubfield = F>,
{
    let job = NodeJob::<F>::from_file(bytes).map_err(|e| Failure::undecodable(path, &e))?;
    let start = Instant::now();
    // A job whose children the node refuses is rejected (exit 1), with the reason.
    let proved = prove_job(&job).map_err(|e| Failure::rejected(&e))?;
    let elapsed = start.elapsed();
    let output = NodeOutput::<F> {
        publics: proved.publics,
        proof: proved.proof,
    };
    let file = output.to_file();
    std::fs::write(out, &file).map_err(|e| Failure::Unusable(format!("{}: {e}", out.display())))?;
    Ok(format!(
        "proved the level {} node {} over {} children in {:.2?} ({} cells); wrote {} ({} bytes)\n",
        job.level,
        job.index,
        job.children.len(),
        elapsed,
        proved.report.trace_area(),
        out.display(),
        file.len()
    ))
}
