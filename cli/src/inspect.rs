//! `fixpoint inspect`: what a file is.

use std::fmt::Write;
use std::path::Path;

use fixpoint_circuit::Circuit;
use fixpoint_circuit_prover::files::{self, FieldTag, FileKind, Header};
use fixpoint_circuit_prover::{
    BabyBearStark, CircuitStark, KoalaBearStark, NpoTable, Proof, VerifyingKey, poseidon2,
};
use fixpoint_recursion::tree::TrustedTree;
use fixpoint_recursion::trusted::{TrustedCommitment, TrustedKeys, hex};
use p3_field::{BasedVectorSpace, PrimeField64};
use p3_uni_stark::Val;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::failure::{Failure, read};

/// `fixpoint inspect FILE [--dot | --dump]`.
pub fn file(path: &Path, dot: bool, dump: bool) -> Result<String, Failure> {
    let bytes = read(path)?;
    let (header, _) = Header::read(&bytes).map_err(|e| Failure::undecodable(path, &e))?;
    if (dot || dump) && header.kind != FileKind::Circuit {
        return Err(Failure::Unusable(format!(
            "--dot and --dump are for circuit files; {} holds a {}",
            path.display(),
            header.kind
        )));
    }
    let mut out = format!(
        "{}: a {} over {} (format version {})\n",
        path.display(),
        header.kind,
        header.field,
        header.version
    );
    if matches!(header.kind, FileKind::TreeJob | FileKind::NodeProof) {
        let body = match header.field {
            FieldTag::KoalaBear => {
                tree_file::<fixpoint_circuit_prover::KoalaBear>(header.kind, &bytes)
            }
            FieldTag::BabyBear => {
                tree_file::<fixpoint_circuit_prover::BabyBear>(header.kind, &bytes)
            }
        };
        out.push_str(&body.map_err(|e| Failure::undecodable(path, &e))?);
        return Ok(out);
    }
    let body = match header.field {
        FieldTag::KoalaBear => over::<KoalaBearStark, poseidon2::Table>(header, &bytes, dot, dump),
        FieldTag::BabyBear => over::<BabyBearStark, poseidon2::Table>(header, &bytes, dot, dump),
    };
    out.push_str(&body.map_err(|e| Failure::undecodable(path, &e))?);
    Ok(out)
}

fn over<SC, N>(
    header: Header,
    bytes: &[u8],
    dot: bool,
    dump: bool,
) -> Result<String, files::FileError>
where
    SC: CircuitStark,
    Val<SC>: PrimeField64,
    SC::Challenge: BasedVectorSpace<Val<SC>> + Serialize + DeserializeOwned + std::fmt::Display,
    Val<SC>: p3_field::TwoAdicField,
    N: NpoTable<Val<SC>>,
    VerifyingKey<SC, N>: Serialize + DeserializeOwned,
{
    let field = header.field;
    match header.kind {
        FileKind::VerifyingKey => Ok(key(&VerifyingKey::<SC, N>::from_file(bytes)?)),
        FileKind::Proof => {
            let proof = Proof::<SC>::from_file(bytes)?;
            Ok(format!(
                "  tables: {}\n  log2 extended heights: {:?}\n  size: {} bytes\n",
                proof.inner.degree_bits.len(),
                proof.inner.degree_bits,
                bytes.len()
            ))
        }
        FileKind::PublicInputs => {
            let publics: Vec<SC::Challenge> = files::public_inputs_from_file(field, bytes)?;
            Ok(format!(
                "  {} public inputs: {}\n",
                publics.len(),
                files::public_inputs_to_json::<Val<SC>, _>(&publics)
            ))
        }
        FileKind::TrustedKeys => Ok(trusted(&TrustedKeys::from_file(bytes)?)),
        FileKind::TrustedTree => Ok(trusted_tree(&TrustedTree::from_file(bytes)?)),
        // Read by `tree_file`, over a field family.
        FileKind::TreeJob | FileKind::NodeProof => Err(files::FileError::Malformed {
            kind: header.kind,
            reason: "a proof-tree file is read over its field family".into(),
        }),
        FileKind::Circuit => {
            let circuit: Circuit<SC::Challenge> =
                files::decode_file(field, FileKind::Circuit, bytes)?;
            if dot {
                return circuit.to_dot().map_err(|e| files::FileError::Malformed {
                    kind: FileKind::Circuit,
                    reason: e.to_string(),
                });
            }
            if dump {
                return Ok(circuit.to_string());
            }
            Ok(format!("  id: {}\n{}\n", circuit.id(), circuit.stats()))
        }
    }
}

/// A verifying key's facts.
fn key<SC, N>(vk: &VerifyingKey<SC, N>) -> String
where
    SC: CircuitStark,
    Val<SC>: p3_field::TwoAdicField,
    N: NpoTable<Val<SC>>,
    VerifyingKey<SC, N>: Serialize + DeserializeOwned,
{
    let mut out = String::new();
    let _ = writeln!(out, "  hash: {}", hex(&vk.hash()));
    // The figures below are printed as decoded; `verify` refuses an invalid key.
    match vk.check() {
        Ok(()) => {
            out.push_str("  consistent: yes (the bounds and shape checks of `verify` pass)\n")
        }
        Err(e) => {
            let _ = writeln!(out, "  consistent: NO: {e}");
        }
    }
    let _ = writeln!(
        out,
        "  circuit id (a label, not authenticated): {}",
        vk.circuit_id
    );
    let _ = writeln!(
        out,
        "  public inputs: {} ({} bound by the Public table)",
        vk.public_count,
        vk.public_positions.len()
    );
    let fri = &vk.fri;
    let _ = writeln!(
        out,
        "  FRI: log_blowup {}, {} queries, query PoW {} bits, commit PoW {} bits, max_log_arity {}, log_final_poly_len {}",
        fri.log_blowup,
        fri.num_queries,
        fri.query_pow_bits,
        fri.commit_pow_bits,
        fri.max_log_arity,
        fri.log_final_poly_len
    );
    let _ = writeln!(
        out,
        "  conjectured security: {} bits",
        fri.conjectured_security_bits()
    );
    let _ = writeln!(out, "  tables:");
    for t in &vk.layout.tables {
        let _ = writeln!(
            out,
            "    {:<8} {:>8} entries in {} lane(s), height 2^{}",
            t.kind.name(),
            t.entries,
            t.lanes,
            t.log_height
        );
    }
    for (table, log_height) in vk.npo_tables.iter().zip(&vk.npo_log_heights) {
        let _ = writeln!(
            out,
            "    {:<8} {:?}, height 2^{log_height}",
            table.kind().to_string(),
            table
        );
    }
    out
}

/// A trusted key set's facts.
fn trusted(set: &TrustedKeys) -> String {
    let commitment = |c: &TrustedCommitment| {
        c.0.iter()
            .map(|root| root.iter().map(|v| format!("{v:08x}")).collect::<String>())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut out = format!("  statement: {} public inputs\n", set.statement_len);
    out.push_str(&format!(
        "  base key: commitment {}\n",
        commitment(&set.base)
    ));
    for (i, key) in set.below_fixed_point.iter().enumerate() {
        out.push_str(&format!(
            "  layer {} key: commitment {}\n",
            i + 1,
            commitment(key)
        ));
    }
    out.push_str(&format!(
        "  fixed point (layer {} on): key {}\n",
        set.min_depth(),
        hex(&set.fixed_point)
    ));
    out
}

/// A trusted tree's facts.
fn trusted_tree(tree: &TrustedTree) -> String {
    let root: String = tree.allow_root.iter().map(|v| format!("{v:08x}")).collect();
    format!(
        "  statement: {} public inputs\n  allow-list root: {root}\n  node key: {}\n",
        tree.statement_len,
        hex(&tree.node_key)
    )
}

/// A proof-tree job's or node proof's facts.
fn tree_file<F: fixpoint_circuit_prover::FieldFamily>(
    kind: FileKind,
    bytes: &[u8],
) -> Result<String, files::FileError> {
    use fixpoint_recursion::tree::{NodeJob, NodeOutput};
    match kind {
        FileKind::TreeJob => {
            let job = NodeJob::<F>::from_file(bytes)?;
            Ok(format!(
                "  level {} node {}: {} children, statement of {} public inputs, allow-list of depth {}\n  node key: {}\n  size: {} bytes\n",
                job.level,
                job.index,
                job.children.len(),
                job.statement_len,
                job.allow_list.depth,
                hex(&job.key.hash()),
                bytes.len()
            ))
        }
        _ => {
            let output = NodeOutput::<F>::from_file(bytes)?;
            Ok(format!(
                "  {} public inputs, a proof of {} bytes\n",
                output.publics.len(),
                output.proof.to_bytes().len()
            ))
        }
    }
}
