//! The built `fixpoint` binary, run as a third party would: on files only.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use fixpoint_circuit_prover::files::{self, FieldTag, FileKind};
use fixpoint_circuit_prover::{FriSettings, KoalaBearExt as E, ProverConfig, prove, setup};
use fixpoint_recursion::layers::recurse;
use fixpoint_recursion::trusted::{BUNDLE_PROOF, BUNDLE_PUBLICS, BUNDLE_TRUSTED_KEYS, BUNDLE_VK};
use p3_field::PrimeCharacteristicRing;

/// Small FRI parameters, so that the layers fit the CI budget (2 conjectured bits).
const SMALL: FriSettings = fixpoint_tests::TINY_FRI;

const BUNDLE_FILES: [&str; 4] = [BUNDLE_VK, BUNDLE_PROOF, BUNDLE_PUBLICS, BUNDLE_TRUSTED_KEYS];

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fixpoint-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A bundle of Fibonacci(20) = 6765 after 9 layers (past the fixed point, at layer 8), and the base circuit's file, written
/// once.
fn bundle() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = scratch("bundle");
        let base = fixpoint_tests::fibonacci::<E>(20).unwrap();
        let (pk, vk) = setup(&base, &ProverConfig::koala_bear(SMALL)).unwrap();
        let publics = [E::ZERO, E::ONE, E::from_u32(6765)];
        let mut runner = base.runner();
        runner.set_public_inputs(&publics).unwrap();
        let proof = prove(&pk, &runner.run().unwrap()).unwrap();
        let outcome = recurse(&vk, &proof, &publics, SMALL, 9, |_| {}).unwrap();
        outcome.bundle().unwrap().write(&dir).unwrap();
        let circuit = files::encode_file(FieldTag::KoalaBear, FileKind::Circuit, &base);
        std::fs::write(dir.with_extension("circuit.fxp"), circuit).unwrap();
        dir
    })
}

/// A copy of the bundle in a fresh directory.
fn copy_of_bundle(name: &str) -> PathBuf {
    let dir = scratch(name);
    for file in BUNDLE_FILES {
        std::fs::copy(bundle().join(file), dir.join(file)).unwrap();
    }
    dir
}

fn fixpoint(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fixpoint"))
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `fixpoint args` and checks its exit code, and that `message` is in stdout (exit 0)
/// or stderr (otherwise).
fn expect(args: &[&str], code: i32, message: &str) -> Output {
    let out = fixpoint(args);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(
        out.status.code(),
        Some(code),
        "fixpoint {args:?}\nstdout: {stdout}\nstderr: {stderr}"
    );
    let shown = if code == 0 { &stdout } else { &stderr };
    assert!(
        shown.contains(message),
        "fixpoint {args:?}: `{message}` not in\n{shown}"
    );
    out
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn the_bundle_round_trip_is_accepted() {
    let dir = bundle();
    let out = expect(
        &["verify-recursion", "--bundle", path(dir), "--min-bits", "0"],
        0,
        "accepted: a recursion result over KoalaBear at depth 9",
    );
    assert!(text(&out.stdout).contains("statement: [[0,0,0,0],[1,0,0,0],[6765,0,0,0]]"));
    // The bundle's own set is self-attested, and the output says so.
    assert!(text(&out.stdout).contains("trusted keys from the bundle's own trusted-keys file"));
    // With the verifier's own copy of the trusted keys and the statement it expects.
    let statement = scratch("statement").join("statement.json");
    std::fs::write(&statement, "[[0,0,0,0],[1,0,0,0],[6765,0,0,0]]").unwrap();
    let trusted = dir.join(BUNDLE_TRUSTED_KEYS);
    expect(
        &[
            "verify-recursion",
            "--bundle",
            path(dir),
            "--trusted-keys",
            path(&trusted),
            "--statement",
            path(&statement),
            "--min-bits",
            "0",
        ],
        0,
        "trusted keys from --trusted-keys",
    );
}

#[test]
fn the_default_minimum_security_refuses_the_small_settings_with_their_figure() {
    expect(
        &["verify-recursion", "--bundle", path(bundle())],
        1,
        "the final key has 2 conjectured bits of security, below the minimum of 100",
    );
}

#[test]
fn another_statement_is_rejected() {
    let statement = scratch("wrong-statement").join("statement.json");
    std::fs::write(&statement, "[[0,0,0,0],[1,0,0,0],[6766,0,0,0]]").unwrap();
    expect(
        &[
            "verify-recursion",
            "--bundle",
            path(bundle()),
            "--statement",
            path(&statement),
            "--min-bits",
            "0",
        ],
        1,
        "differs from the expected one at public input 2",
    );
}

#[test]
fn changing_any_byte_of_any_bundle_file_is_never_accepted() {
    let dir = copy_of_bundle("flipped");
    for file in BUNDLE_FILES {
        let original = std::fs::read(bundle().join(file)).unwrap();
        let len = original.len();
        // The header, a spread of payload bytes, and the last byte.
        let mut positions: Vec<usize> = (0..files::HEADER_LEN).collect();
        positions.extend((1..8).map(|k| files::HEADER_LEN + k * (len - files::HEADER_LEN) / 8));
        positions.push(len - 1);
        for &at in &positions {
            let mut bytes = original.clone();
            bytes[at] ^= 0x01;
            std::fs::write(dir.join(file), &bytes).unwrap();
            let out = verify_bundle_dir(&dir);
            let code = out.status.code();
            assert!(
                code == Some(1) || code == Some(2),
                "{file} byte {at} flipped: exit {code:?}, stderr {}",
                text(&out.stderr)
            );
        }
        std::fs::write(dir.join(file), &original).unwrap();
    }
}

/// `fixpoint verify-recursion --bundle dir --min-bits 0`.
fn verify_bundle_dir(dir: &Path) -> Output {
    fixpoint(&["verify-recursion", "--bundle", path(dir), "--min-bits", "0"])
}

#[test]
fn a_flipped_proof_byte_is_rejected_and_an_undecodable_file_is_exit_2() {
    use fixpoint_circuit_prover::{KoalaBearStark, Proof};
    let dir = copy_of_bundle("proof-byte");
    let file = dir.join(BUNDLE_PROOF);
    let original = std::fs::read(&file).unwrap();
    // The first flip from the middle on that still decodes: a proof that says something else.
    let flipped = (original.len() / 2..original.len())
        .map(|at| {
            let mut bytes = original.clone();
            bytes[at] ^= 0x01;
            bytes
        })
        .find(|bytes| Proof::<KoalaBearStark>::from_file(bytes).is_ok())
        .unwrap();
    std::fs::write(&file, &flipped).unwrap();
    let out = verify_bundle_dir(&dir);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr)
            .contains("rejected: the final proof does not verify: the proof is invalid")
    );
    // Truncated: undecodable.
    std::fs::write(&file, &original[..original.len() / 2]).unwrap();
    let out = verify_bundle_dir(&dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("proof.fxp: malformed proof"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn verify_accepts_the_final_proof_and_rejects_a_wrong_hash_edited_publics_and_wrong_kinds() {
    let dir = bundle();
    let (vk, proof, publics) = (
        dir.join(BUNDLE_VK),
        dir.join(BUNDLE_PROOF),
        dir.join(BUNDLE_PUBLICS),
    );
    let args = |vk: &Path, proof: &Path, publics: &Path| -> Vec<String> {
        [
            "verify",
            "--vk",
            path(vk),
            "--proof",
            path(proof),
            "--publics",
            path(publics),
            "--min-bits",
            "0",
        ]
        .map(String::from)
        .to_vec()
    };
    let run = |args: &[String], code: i32, message: &str| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        expect(&args, code, message)
    };
    let out = run(
        &args(&vk, &proof, &publics),
        0,
        "accepted: the proof verifies",
    );
    // The key's hash, printed by inspect, pins it.
    let inspected =
        text(&expect(&["inspect", path(&vk)], 0, "a verifying key over KoalaBear").stdout);
    let hash = inspected
        .lines()
        .find_map(|l| l.trim().strip_prefix("hash: "))
        .unwrap()
        .to_owned();
    assert!(text(&out.stdout).contains(&hash));
    let mut pinned = args(&vk, &proof, &publics);
    pinned.extend(["--vk-hash".into(), hash.clone()]);
    run(&pinned, 0, "accepted");
    let mut wrong = args(&vk, &proof, &publics);
    let mut other = hash.into_bytes();
    other[0] = if other[0] == b'0' { b'1' } else { b'0' };
    wrong.extend(["--vk-hash".into(), String::from_utf8(other).unwrap()]);
    run(&wrong, 1, "not the pinned");
    let mut malformed = args(&vk, &proof, &publics);
    malformed.extend(["--vk-hash".into(), "xyz".into()]);
    run(&malformed, 2, "is not 64 hex digits");

    // The publics as JSON, as inspect prints them, then one coordinate edited.
    let json = text(&expect(&["inspect", path(&publics)], 0, "6 public inputs").stdout);
    let json = json
        .lines()
        .last()
        .unwrap()
        .split(": ")
        .nth(1)
        .unwrap()
        .to_owned();
    let scratch = scratch("publics");
    let as_json = scratch.join("publics.json");
    std::fs::write(&as_json, &json).unwrap();
    run(&args(&vk, &proof, &as_json), 0, "accepted");
    let edited = json.replacen("6765", "6766", 1);
    assert_ne!(edited, json);
    std::fs::write(&as_json, edited).unwrap();
    run(
        &args(&vk, &proof, &as_json),
        1,
        "rejected: the proof is invalid",
    );
    std::fs::write(&as_json, "[[1,2,3]]").unwrap();
    run(&args(&vk, &proof, &as_json), 2, "has 3 coordinates");

    // A file of the wrong kind.
    run(
        &args(&proof, &proof, &publics),
        2,
        "holds a proof, not a verifying key",
    );
    run(
        &args(&vk, &vk, &publics),
        2,
        "holds a verifying key, not a proof",
    );
}

#[test]
fn inspect_names_every_kind_and_prints_a_circuit() {
    let dir = bundle();
    expect(
        &["inspect", path(&dir.join(BUNDLE_VK))],
        0,
        "conjectured security: 2 bits",
    );
    expect(
        &["inspect", path(&dir.join(BUNDLE_VK))],
        0,
        "consistent: yes",
    );
    expect(
        &["inspect", path(&dir.join(BUNDLE_PROOF))],
        0,
        "a proof over KoalaBear",
    );
    expect(
        &["inspect", path(&dir.join(BUNDLE_TRUSTED_KEYS))],
        0,
        "fixed point (layer",
    );
    let circuit = dir.with_extension("circuit.fxp");
    expect(&["inspect", path(&circuit)], 0, "a circuit over KoalaBear");
    expect(&["inspect", path(&circuit), "--dot"], 0, "digraph");
    expect(&["inspect", path(&circuit), "--dump"], 0, "Public");
    expect(
        &["inspect", path(&dir.join(BUNDLE_VK)), "--dot"],
        2,
        "are for circuit files",
    );
    // A decoded key that `verify` would refuse is shown as such.
    use fixpoint_circuit_prover::poseidon2::Table;
    use fixpoint_circuit_prover::{KoalaBearStark, VerifyingKey};
    let bytes = std::fs::read(dir.join(BUNDLE_VK)).unwrap();
    let mut vk = VerifyingKey::<KoalaBearStark, Table>::from_file(&bytes).unwrap();
    vk.fri.query_pow_bits = 40;
    let bad = scratch("bad-key").join("bad.fxp");
    std::fs::write(&bad, vk.to_file()).unwrap();
    expect(
        &["inspect", path(&bad)],
        0,
        "consistent: NO: the verifying key is invalid",
    );
    let junk = scratch("junk").join("junk");
    std::fs::write(&junk, b"hello").unwrap();
    expect(&["inspect", path(&junk)], 2, "fewer than the 8-byte header");
}

#[test]
fn help_goes_to_stdout_and_usage_errors_exit_2() {
    let out = expect(&["--help"], 0, "verify-recursion");
    assert!(out.stderr.is_empty());
    expect(&["verify"], 2, "--vk");
    expect(&["frobnicate"], 2, "unrecognized subcommand");
    expect(
        &["verify-recursion", "--bundle", "/nonexistent/bundle"],
        2,
        "/nonexistent/bundle",
    );
}

/// A proof tree's bundle: the root of [`tree_run`], written once.
fn tree_bundle() -> &'static Path {
    use fixpoint_circuit_prover::{KoalaBear, Proof};
    use fixpoint_recursion::tree::TreeBundle;
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = scratch("tree-bundle");
        let run = tree_run();
        TreeBundle::<KoalaBear> {
            vk: run.root.vk.clone(),
            proof: Proof::from_bytes(&run.root.proof.to_bytes()).unwrap(),
            publics: run.root.publics.clone(),
            trusted: run.setup.trusted().unwrap(),
        }
        .write(&dir)
        .unwrap();
        dir
    })
}

#[test]
fn verify_tree_accepts_the_root_and_rejects_another_trusted_tree_or_statement() {
    use fixpoint_recursion::tree::TrustedTree;
    use fixpoint_recursion::tree::verify::BUNDLE_TRUSTED_TREE;
    let dir = tree_bundle();
    let out = expect(
        &["verify-tree", "--bundle", path(dir), "--min-bits", "0"],
        0,
        "accepted: a proof tree over KoalaBear",
    );
    // (0, 1) → (21, 34) → … → the state after 32 steps, over 32 steps.
    assert!(
        text(&out.stdout).contains("[32,0,0,0]]"),
        "{}",
        text(&out.stdout)
    );
    assert!(text(&out.stdout).contains("trusted tree from the bundle's own trusted-tree file"));
    expect(
        &["verify-tree", "--bundle", path(dir)],
        1,
        "the node key has 2 conjectured bits of security, below the minimum of 100",
    );
    // A verifier who trusts another allow-list root.
    let own = std::fs::read(dir.join(BUNDLE_TRUSTED_TREE)).unwrap();
    let mut trusted = TrustedTree::from_file(&own).unwrap();
    trusted.allow_root[3] ^= 1;
    let other = scratch("other-tree").join("trusted-tree.fxp");
    std::fs::write(&other, trusted.to_file().unwrap()).unwrap();
    expect(
        &[
            "verify-tree",
            "--bundle",
            path(dir),
            "--trusted-tree",
            path(&other),
            "--min-bits",
            "0",
        ],
        1,
        "the root proof's allow-list root is not the trusted one",
    );
    // Another statement: 33 steps.
    let out = fixpoint(&["verify-tree", "--bundle", path(dir), "--min-bits", "0"]);
    let shown = text(&out.stdout);
    let json = shown
        .lines()
        .find_map(|l| l.trim().strip_prefix("statement: "))
        .unwrap()
        .replace("[32,0,0,0]]", "[33,0,0,0]]");
    let statement = scratch("tree-statement").join("statement.json");
    std::fs::write(&statement, json).unwrap();
    expect(
        &[
            "verify-tree",
            "--bundle",
            path(dir),
            "--statement",
            path(&statement),
            "--min-bits",
            "0",
        ],
        1,
        "differs from the expected one at public input 4",
    );
    // The trusted tree inspects as what it is.
    expect(
        &["inspect", path(&dir.join(BUNDLE_TRUSTED_TREE))],
        0,
        "allow-list root:",
    );
}

/// Four segments of 8 steps, the tree's setup and its root, proved by the local scheduler
/// (`prove_tree`), once.
struct TreeRun {
    setup: fixpoint_recursion::tree::TreeSetup<fixpoint_circuit_prover::KoalaBear>,
    proofs: Vec<fixpoint_circuit_prover::Proof<fixpoint_circuit_prover::KoalaBearStark>>,
    statements: Vec<Vec<E>>,
    root: fixpoint_recursion::tree::TreeProof<fixpoint_circuit_prover::KoalaBear>,
}

fn tree_run() -> &'static TreeRun {
    use fixpoint_circuit_prover::KoalaBear;
    use fixpoint_recursion::tree::{self, Leaf, TreeOptions};
    use fixpoint_tests::segments::{SegmentLengths, chain, chained_segments, segment_circuit};
    static RUN: OnceLock<TreeRun> = OnceLock::new();
    RUN.get_or_init(|| {
        let circuit = segment_circuit::<E>(8).unwrap();
        let (pk, vk) = setup(&circuit, &ProverConfig::koala_bear(SMALL)).unwrap();
        let statements = chained_segments::<E>(4, 8);
        let proofs: Vec<_> = statements
            .iter()
            .map(|publics| {
                let mut runner = circuit.runner();
                runner.set_public_inputs(publics).unwrap();
                prove(&pk, &runner.run().unwrap()).unwrap()
            })
            .collect();
        let options = TreeOptions {
            arity: 2,
            allow_depth: 2,
            settings: SMALL,
        };
        let setup = tree::tree_setup(
            &[&vk],
            &[vec![0, 0]],
            &SegmentLengths::default(),
            &chain::<KoalaBear>(),
            options,
            |_| {},
        )
        .unwrap();
        let leaves: Vec<Leaf<'_, KoalaBear>> = proofs
            .iter()
            .zip(&statements)
            .map(|(proof, publics)| Leaf {
                base: 0,
                proof,
                publics,
            })
            .collect();
        let root = tree::prove_tree(&setup, &leaves, |_| {}).unwrap();
        TreeRun {
            setup,
            proofs,
            statements,
            root,
        }
    })
}

#[test]
fn prove_node_jobs_in_separate_processes_give_the_local_schedulers_root() {
    use fixpoint_circuit_prover::KoalaBear;
    use fixpoint_recursion::tree::{self, ChildInput, NodeJob, NodeOutput};
    let run = tree_run();
    let setup = &run.setup;
    let dir = scratch("jobs");
    // Level 1: each base node a job, proved by a `fixpoint prove-node` process of its own.
    let mut outputs = Vec::new();
    for g in 0..2 {
        let children: Vec<ChildInput<'_, KoalaBear>> = (2 * g..2 * g + 2)
            .map(|i| ChildInput {
                key: &setup.bases[0],
                proof: &run.proofs[i],
                publics: &run.statements[i],
            })
            .collect();
        let job = setup.base_job(0, g as u32, &children).unwrap();
        let (job_path, out_path) = (
            dir.join(format!("job{g}.fxp")),
            dir.join(format!("out{g}.fxp")),
        );
        std::fs::write(&job_path, job.to_file()).unwrap();
        expect(
            &[
                "prove-node",
                "--job",
                path(&job_path),
                "--out",
                path(&out_path),
            ],
            0,
            &format!("proved the level 1 node {g} over 2 children"),
        );
        expect(
            &["inspect", path(&job_path)],
            0,
            "a proof-tree job over KoalaBear",
        );
        outputs
            .push(NodeOutput::<KoalaBear>::from_file(&std::fs::read(&out_path).unwrap()).unwrap());
    }
    // Level 2, finished with the library from the processes' outputs.
    let children: Vec<ChildInput<'_, KoalaBear>> = outputs
        .iter()
        .map(|o| ChildInput {
            key: &setup.base_nodes[0].as_child,
            proof: &o.proof,
            publics: &o.publics,
        })
        .collect();
    let job = setup.node_job(2, 0, &children).unwrap();
    let job = NodeJob::<KoalaBear>::from_file(&job.to_file()).unwrap();
    let root = tree::prove_job(&job).unwrap();
    // The same root as the local scheduler's: the same statement, the same proof bytes.
    assert_eq!(root.publics, run.root.publics);
    assert_eq!(root.proof.to_bytes(), run.root.proof.to_bytes());
    tree::verify_tree(
        &setup.trusted().unwrap(),
        &root.publics[..5],
        &setup.node_pk.vk,
        &root.publics,
        &root.proof,
        &fixpoint_circuit_prover::VerifyOptions::ANY_SECURITY,
    )
    .unwrap();
    // A job whose children do not chain (segments 0 and 2) is rejected, with the reason.
    let children: Vec<ChildInput<'_, KoalaBear>> = [0, 2]
        .iter()
        .map(|&i| ChildInput {
            key: &setup.bases[0],
            proof: &run.proofs[i],
            publics: &run.statements[i],
        })
        .collect();
    let bad = dir.join("bad.fxp");
    std::fs::write(&bad, setup.base_job(0, 0, &children).unwrap().to_file()).unwrap();
    expect(
        &[
            "prove-node",
            "--job",
            path(&bad),
            "--out",
            path(&dir.join("bad-out.fxp")),
        ],
        1,
        "rejected: the combine function refuses the children's statements",
    );
    // A truncated job is unreadable: exit 2.
    let bytes = std::fs::read(dir.join("job0.fxp")).unwrap();
    std::fs::write(&bad, &bytes[..bytes.len() / 2]).unwrap();
    expect(
        &[
            "prove-node",
            "--job",
            path(&bad),
            "--out",
            path(&dir.join("bad-out.fxp")),
        ],
        2,
        "malformed proof-tree job",
    );
}
