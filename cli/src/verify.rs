//! `fixpoint verify`, `fixpoint verify-recursion` and `fixpoint verify-tree`.

use std::path::Path;

use fixpoint_circuit_prover::files::{self, FieldTag, FileError, Header};
use fixpoint_circuit_prover::{
    BabyBear, BabyBearStark, CircuitStark, Ext, FieldFamily, KoalaBear, KoalaBearStark, NpoTable,
    Proof, VerifyOptions, VerifyingKey, poseidon2, verify_with_options,
};
use fixpoint_recursion::layers::{Bundle, verify_bundle};
use fixpoint_recursion::tree::{TreeBundle, TrustedTree};
use fixpoint_recursion::trusted::{TrustedKeys, hex};

use p3_field::{BasedVectorSpace, PrimeField64};
use p3_uni_stark::Val;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::failure::{Failure, read};

/// The field a file is over, from its header.
fn field_of(path: &Path, bytes: &[u8]) -> Result<FieldTag, Failure> {
    Header::read(bytes)
        .map(|(header, _)| header.field)
        .map_err(|e| Failure::undecodable(path, &e))
}

/// Public inputs from a fixpoint file or, when the file does not start with the magic tag,
/// from JSON.
fn publics<V, EF>(field: FieldTag, path: &Path) -> Result<Vec<EF>, Failure>
where
    V: PrimeField64,
    EF: BasedVectorSpace<V> + Serialize + DeserializeOwned,
{
    let bytes = read(path)?;
    let decoded = if bytes.starts_with(&files::MAGIC) {
        files::public_inputs_from_file(field, &bytes)
    } else {
        std::str::from_utf8(&bytes)
            .map_err(|e| FileError::Json(e.to_string()))
            .and_then(files::public_inputs_from_json::<V, EF>)
    };
    decoded.map_err(|e| Failure::undecodable(path, &e))
}

/// A hash given as 64 hex digits.
fn parse_hash(hex_digits: &str) -> Result<[u8; 32], Failure> {
    let bad = || Failure::Unusable(format!("--vk-hash: `{hex_digits}` is not 64 hex digits"));
    if hex_digits.len() != 64 || !hex_digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex_digits[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    Ok(out)
}

/// `fixpoint verify`.
pub fn proof(
    vk: &Path,
    proof: &Path,
    publics: &Path,
    vk_hash: Option<&str>,
    min_bits: usize,
) -> Result<String, Failure> {
    let pinned = vk_hash.map(parse_hash).transpose()?;
    let vk_bytes = read(vk)?;
    let mut options = VerifyOptions::default().with_min_conjectured_bits(min_bits);
    options.pinned_key = pinned;
    let paths = Paths { vk, proof, publics };
    match field_of(vk, &vk_bytes)? {
        FieldTag::KoalaBear => proof_over::<KoalaBearStark, poseidon2::Table>(
            FieldTag::KoalaBear,
            &vk_bytes,
            &paths,
            &options,
        ),
        FieldTag::BabyBear => proof_over::<BabyBearStark, poseidon2::Table>(
            FieldTag::BabyBear,
            &vk_bytes,
            &paths,
            &options,
        ),
    }
}

/// The files of `fixpoint verify`.
struct Paths<'a> {
    vk: &'a Path,
    proof: &'a Path,
    publics: &'a Path,
}

fn proof_over<SC, N>(
    field: FieldTag,
    vk_bytes: &[u8],
    paths: &Paths<'_>,
    options: &VerifyOptions,
) -> Result<String, Failure>
where
    SC: CircuitStark,
    Val<SC>: PrimeField64,
    SC::Challenge: BasedVectorSpace<Val<SC>> + Serialize + DeserializeOwned,
    N: NpoTable<Val<SC>>,
    VerifyingKey<SC, N>: Serialize + DeserializeOwned,
{
    // A key with no NPO tables decodes under any table type: its table list is empty.
    let vk = VerifyingKey::<SC, N>::from_file(vk_bytes)
        .map_err(|e| Failure::undecodable(paths.vk, &e))?;
    let proof = Proof::<SC>::from_file(&read(paths.proof)?)
        .map_err(|e| Failure::undecodable(paths.proof, &e))?;
    let publics = publics::<Val<SC>, SC::Challenge>(field, paths.publics)?;
    let hash = vk.hash();
    verify_with_options(&vk, &publics, &proof, options).map_err(|e| Failure::rejected(&e))?;
    Ok(format!(
        "accepted: the proof verifies under the {field} key {} ({} conjectured bits, {} public inputs)\n",
        hex(&hash),
        vk.fri.conjectured_security_bits(),
        publics.len()
    ))
}

/// `fixpoint verify-recursion`.
pub fn recursion(
    bundle: &Path,
    trusted_keys: Option<&Path>,
    statement: Option<&Path>,
    min_bits: usize,
) -> Result<String, Failure> {
    let options = VerifyOptions::default().with_min_conjectured_bits(min_bits);
    let vk_path = bundle.join(fixpoint_recursion::trusted::BUNDLE_VK);
    let field = field_of(&vk_path, &read(&vk_path)?)?;
    let trusted = trusted_keys
        .map(|path| {
            TrustedKeys::from_file(&read(path)?).map_err(|e| Failure::undecodable(path, &e))
        })
        .transpose()?;
    let input = RecursionInput {
        bundle,
        trusted: trusted.as_ref(),
        statement,
        options: &options,
    };
    match field {
        FieldTag::KoalaBear => recursion_over::<KoalaBear>(&input),
        FieldTag::BabyBear => recursion_over::<BabyBear>(&input),
    }
}

/// What `fixpoint verify-recursion` checks.
struct RecursionInput<'a> {
    bundle: &'a Path,
    trusted: Option<&'a TrustedKeys>,
    statement: Option<&'a Path>,
    options: &'a VerifyOptions,
}

/// `fixpoint verify-recursion` over field family `F`.
fn recursion_over<F: FieldFamily>(input: &RecursionInput<'_>) -> Result<String, Failure> {
    let bundle =
        Bundle::<F>::read(input.bundle).map_err(|e| Failure::undecodable(input.bundle, &e))?;
    let statement = input
        .statement
        .map(|path| publics::<F, Ext<F>>(F::FIELD, path))
        .transpose()?;
    let mut notes = String::new();
    if let Some(trusted) = input.trusted
        && *trusted != bundle.trusted
    {
        notes.push_str(
            "note: the bundle's own trusted-keys file differs from --trusted-keys; the latter is used\n",
        );
    }
    verify_bundle(&bundle, input.trusted, statement.as_deref(), input.options)
        .map_err(|e| Failure::rejected(&e))?;
    let trusted = input.trusted.unwrap_or(&bundle.trusted);
    // Accepted: the last public input is the depth, a base-field integer.
    let last = bundle.publics.len() - 1;
    let depth = <Ext<F> as BasedVectorSpace<F>>::as_basis_coefficients_slice(&bundle.publics[last])
        [0]
    .as_canonical_u64();
    let statement_len = bundle.publics.len() - fixpoint_recursion::layers::LAYER_SLOTS;
    let source = if input.trusted.is_some() {
        "--trusted-keys"
    } else {
        "the bundle's own trusted-keys file: it shows the bundle is consistent, not that it is the result you trust; compare the base commitment and the fixed-point key with yours, or pass --trusted-keys"
    };
    let base: String = trusted
        .base
        .0
        .iter()
        .flat_map(|root| root.iter().map(|v| format!("{v:08x}")))
        .collect();
    Ok(format!(
        "{notes}accepted: a recursion result over {} at depth {}\n  statement: {}\n  final key: {} ({} conjectured bits), the trusted fixed-point key\n  base key: commitment {}, then {} key(s) below the fixed point\n  trusted keys from {}\n",
        F::FIELD,
        depth,
        files::public_inputs_to_json::<F, _>(&bundle.publics[..statement_len]),
        hex(&bundle.vk.hash()),
        bundle.vk.fri.conjectured_security_bits(),
        base,
        trusted.below_fixed_point.len(),
        source,
    ))
}

/// `fixpoint verify-tree`.
pub fn tree(
    bundle: &Path,
    trusted_tree: Option<&Path>,
    statement: Option<&Path>,
    min_bits: usize,
) -> Result<String, Failure> {
    let options = VerifyOptions::default().with_min_conjectured_bits(min_bits);
    let vk_path = bundle.join(fixpoint_recursion::trusted::BUNDLE_VK);
    let field = field_of(&vk_path, &read(&vk_path)?)?;
    let trusted = trusted_tree
        .map(|path| {
            TrustedTree::from_file(&read(path)?).map_err(|e| Failure::undecodable(path, &e))
        })
        .transpose()?;
    let input = TreeInput {
        bundle,
        trusted: trusted.as_ref(),
        statement,
        options: &options,
    };
    match field {
        FieldTag::KoalaBear => tree_over::<KoalaBear>(&input),
        FieldTag::BabyBear => tree_over::<BabyBear>(&input),
    }
}

/// What `fixpoint verify-tree` checks.
struct TreeInput<'a> {
    bundle: &'a Path,
    trusted: Option<&'a TrustedTree>,
    statement: Option<&'a Path>,
    options: &'a VerifyOptions,
}

/// `fixpoint verify-tree` over field family `F`.
fn tree_over<F: FieldFamily>(input: &TreeInput<'_>) -> Result<String, Failure> {
    let bundle =
        TreeBundle::<F>::read(input.bundle).map_err(|e| Failure::undecodable(input.bundle, &e))?;
    let statement = input
        .statement
        .map(|path| publics::<F, Ext<F>>(F::FIELD, path))
        .transpose()?;
    let mut notes = String::new();
    if let Some(trusted) = input.trusted
        && *trusted != bundle.trusted
    {
        notes.push_str(
            "note: the bundle's own trusted-tree file differs from --trusted-tree; the latter is used\n",
        );
    }
    let trusted = input.trusted.unwrap_or(&bundle.trusted);
    let own = bundle
        .publics
        .len()
        .saturating_sub(fixpoint_recursion::tree::ROOT_SLOTS);
    let statement = statement.unwrap_or_else(|| bundle.publics[..own].to_vec());
    fixpoint_recursion::tree::verify_tree(
        trusted,
        &statement,
        &bundle.vk,
        &bundle.publics,
        &bundle.proof,
        input.options,
    )
    .map_err(|e| Failure::rejected(&e))?;
    let source = if input.trusted.is_some() {
        "--trusted-tree"
    } else {
        "the bundle's own trusted-tree file: it shows the bundle is consistent, not that it is the result you trust; compare the allow-list root and the node key with yours, or pass --trusted-tree"
    };
    let root: String = trusted
        .allow_root
        .iter()
        .map(|v| format!("{v:08x}"))
        .collect();
    let hash = bundle.vk.hash();
    let which = if hash == trusted.node_key {
        "the trusted node key"
    } else {
        "a trusted base node's key: a tree of one level"
    };
    Ok(format!(
        "{notes}accepted: a proof tree over {}\n  statement: {}\n  root key: {} ({} conjectured bits), {which}\n  allow-list root: {root}\n  trusted tree from {source}\n",
        F::FIELD,
        files::public_inputs_to_json::<F, _>(&bundle.publics[..own]),
        hex(&hash),
        bundle.vk.fri.conjectured_security_bits(),
    ))
}
