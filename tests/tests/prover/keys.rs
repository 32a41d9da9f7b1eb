//! Decoded verifying keys and proofs are data: bad FRI settings, huge lanes or heights and another
//! field are errors of `verify`, never a p3 panic, an overflow or an out-of-memory abort.

use std::sync::OnceLock;

use fixpoint_circuit_prover::{
    FriSettings, FriSettingsError, KeyError, KoalaBearExt as E, KoalaBearStark as SC, Proof,
    ProverConfig, TableKind, VerifyError, VerifyOptions, VerifyingKey, prove, setup, verify,
    verify_with_options,
};
use p3_field::PrimeCharacteristicRing;
use proptest::prelude::*;

struct Fixture {
    vk: VerifyingKey<SC>,
    proof: Proof<SC>,
    publics: Vec<E>,
}

/// `37·x = 111` at `x = 3`, proved with the test settings.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let circuit = fixpoint_tests::thirty_seven_x::<E>().unwrap();
        let (pk, vk) = setup(&circuit, &ProverConfig::koala_bear(FriSettings::TEST)).unwrap();
        let publics = vec![E::from_u32(3)];
        let mut runner = circuit.runner();
        runner.set_public_inputs(&publics).unwrap();
        let proof = prove(&pk, &runner.run().unwrap()).unwrap();
        verify(&vk, &publics, &proof).unwrap();
        Fixture { vk, proof, publics }
    })
}

/// The fixture's key, changed by `edit` and sent through its byte encoding.
fn decoded(edit: impl FnOnce(&mut VerifyingKey<SC>)) -> VerifyingKey<SC> {
    let mut vk = fixture().vk.clone();
    edit(&mut vk);
    VerifyingKey::from_bytes(&vk.to_bytes()).unwrap()
}

fn verify_decoded(vk: &VerifyingKey<SC>) -> Result<(), VerifyError> {
    let f = fixture();
    verify(vk, &f.publics, &f.proof)
}

fn invalid_key_reason(result: Result<(), VerifyError>) -> KeyError {
    match result {
        Err(VerifyError::InvalidKey(reason)) => reason,
        other => panic!("expected InvalidKey, got {other:?}"),
    }
}

/// The FRI setting a key's settings are refused for.
fn fri_refusal(result: Result<(), VerifyError>) -> FriSettingsError {
    match invalid_key_reason(result) {
        KeyError::FriSettings(why) => why,
        other => panic!("expected invalid FRI settings, got {other:?}"),
    }
}

#[test]
fn bad_fri_settings_in_a_decoded_key_are_an_error_not_a_p3_panic() {
    let vk = decoded(|vk| vk.fri.query_pow_bits = 40);
    assert!(matches!(
        fri_refusal(verify_decoded(&vk)),
        FriSettingsError::PowBits {
            query_pow_bits: 40,
            ..
        }
    ));
    let vk = decoded(|vk| vk.fri.num_queries = 1 << 30);
    assert_eq!(
        fri_refusal(verify_decoded(&vk)),
        FriSettingsError::TooManyQueries {
            got: 1 << 30,
            max: fixpoint_circuit_prover::config::MAX_NUM_QUERIES
        }
    );
    let vk = decoded(|vk| vk.fri.log_blowup = 0);
    assert_eq!(fri_refusal(verify_decoded(&vk)), FriSettingsError::NoBlowup);
    // Figures that would wrap a sum of them in release builds.
    let vk = decoded(|vk| vk.fri.log_blowup = usize::MAX);
    assert!(matches!(
        fri_refusal(verify_decoded(&vk)),
        FriSettingsError::LdeTooTall {
            log_blowup: usize::MAX,
            ..
        }
    ));
    let vk = decoded(|vk| vk.fri.log_final_poly_len = usize::MAX);
    assert!(matches!(
        fri_refusal(verify_decoded(&vk)),
        FriSettingsError::LdeTooTall {
            log_final_poly_len: usize::MAX,
            ..
        }
    ));
    // The security figure of such a key saturates instead of wrapping.
    let vk = decoded(|vk| {
        vk.fri.log_blowup = usize::MAX;
        vk.fri.num_queries = 2;
    });
    assert_eq!(vk.fri.conjectured_security_bits(), usize::MAX);
    let f = fixture();
    assert!(matches!(
        verify_with_options(&vk, &f.publics, &f.proof, &VerifyOptions::default()),
        Err(VerifyError::InvalidKey(_))
    ));
}

#[test]
fn huge_public_counts_and_repeated_npo_tables_are_invalid() {
    use fixpoint_circuit_prover::poseidon2::Table;
    let vk = decoded(|vk| vk.public_count = u32::MAX);
    assert_eq!(
        invalid_key_reason(vk.check()),
        KeyError::TooManyPublicInputs {
            count: u32::MAX,
            max: 1 << 16
        }
    );
    // The key has no NPO tables, so its bytes decode under any table type; give it two
    // tables of one kind.
    let mut with_tables = VerifyingKey::<SC, Table>::from_bytes(&fixture().vk.to_bytes()).unwrap();
    with_tables.npo_tables = vec![Table::ALL[0], Table::ALL[0]];
    with_tables.npo_log_heights = vec![1, 1];
    let f = fixture();
    assert_eq!(
        invalid_key_reason(verify(&with_tables, &f.publics, &f.proof)),
        KeyError::DuplicateNpoTable {
            kind: Table::ALL[0].kind()
        }
    );
}

#[test]
fn huge_lanes_or_heights_are_an_error_before_any_allocation() {
    let add = TableKind::Add.instance();
    let vk = decoded(|vk| vk.layout.tables[add].lanes = 1 << 40);
    assert_eq!(
        invalid_key_reason(verify_decoded(&vk)),
        KeyError::Lanes {
            table: "Add",
            lanes: 1 << 40,
            max: fixpoint_circuit_prover::MAX_LANES
        }
    );
    let vk = decoded(|vk| vk.layout.tables[add].log_height = 40);
    assert!(matches!(
        invalid_key_reason(verify_decoded(&vk)),
        KeyError::TooTall { log_height: 40, .. }
    ));
    // Within MAX_LOG_HEIGHT but past KoalaBear's 2^24 subgroup with the blowup.
    let vk = decoded(|vk| vk.layout.tables[add].log_height = 23);
    assert!(matches!(
        invalid_key_reason(verify_decoded(&vk)),
        KeyError::TooTall {
            log_height: 23,
            two_adicity: 24,
            ..
        }
    ));
    let vk = decoded(|vk| vk.layout.tables[add].entries = usize::MAX);
    assert!(matches!(
        invalid_key_reason(verify_decoded(&vk)),
        KeyError::CannotHold {
            table: "Add",
            entries: usize::MAX,
            ..
        }
    ));
}

#[test]
fn a_key_for_another_field_is_refused_and_the_circuit_id_is_only_a_label() {
    let vk = decoded(|vk| vk.field = "BabyBear".into());
    assert_eq!(
        invalid_key_reason(verify_decoded(&vk)),
        KeyError::WrongField {
            key: "BabyBear".into(),
            verifier: "KoalaBear"
        }
    );
    // The circuit id is not authenticated: the proof still verifies under a relabelled key,
    // but the key's hash, which a verifier pins, changes.
    let relabelled = decoded(|vk| vk.circuit_id.0[0] ^= 1);
    verify_decoded(&relabelled).unwrap();
    assert_ne!(relabelled.hash(), fixture().vk.hash());
}

#[test]
fn a_key_below_the_minimum_security_is_refused_with_its_figure() {
    let f = fixture();
    assert_eq!(
        verify_with_options(&f.vk, &f.publics, &f.proof, &VerifyOptions::default()),
        Err(VerifyError::Insecure {
            bits: FriSettings::TEST.conjectured_security_bits(),
            min: 100
        })
    );
    verify_with_options(&f.vk, &f.publics, &f.proof, &VerifyOptions::ANY_SECURITY).unwrap();
}

#[test]
fn key_files_name_their_kind_and_field_and_are_canonical() {
    use fixpoint_circuit_prover::files::FileError;
    let f = fixture();
    let file = f.vk.to_file();
    let back = VerifyingKey::<SC>::from_file(&file).unwrap();
    assert_eq!(back.hash(), f.vk.hash());
    // A proof file is not a key file; a BabyBear key file is not a KoalaBear one.
    assert!(matches!(
        VerifyingKey::<SC>::from_file(&f.proof.to_file()),
        Err(FileError::WrongKind { .. })
    ));
    assert!(matches!(
        VerifyingKey::<fixpoint_circuit_prover::BabyBearStark>::from_file(&file),
        Err(FileError::WrongField { .. })
    ));
    // Trailing bytes, another version, no magic.
    let mut longer = file.clone();
    longer.push(0);
    assert_eq!(
        VerifyingKey::<SC>::from_file(&longer).err(),
        Some(FileError::NonCanonical(
            fixpoint_circuit_prover::files::FileKind::VerifyingKey
        ))
    );
    let mut version = file.clone();
    version[4] = 9;
    assert!(matches!(
        VerifyingKey::<SC>::from_file(&version),
        Err(FileError::UnsupportedVersion { found: 9 })
    ));
    assert_eq!(
        VerifyingKey::<SC>::from_file(b"not a key").err(),
        Some(FileError::BadMagic)
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Any byte of an encoded key changed: the key decodes to an error, or verify answers.
    #[test]
    fn a_mutated_key_never_panics(index in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut bytes = fixture().vk.to_bytes();
        let i = index.index(bytes.len());
        bytes[i] = byte;
        if let Ok(vk) = VerifyingKey::<SC>::from_bytes(&bytes) {
            let _ = verify_decoded(&vk);
        }
    }

    /// Any table's figures and any FRI setting replaced by an arbitrary value.
    #[test]
    fn arbitrary_shape_figures_never_panic(
        table in 0usize..5,
        lanes in any::<usize>(),
        log_height in any::<usize>(),
        entries in any::<usize>(),
        fri in any::<[usize; 6]>(),
        which in 0usize..4,
    ) {
        let vk = decoded(|vk| {
            let t = &mut vk.layout.tables[table];
            match which {
                0 => t.lanes = lanes,
                1 => t.log_height = log_height,
                2 => t.entries = entries,
                _ => {
                    vk.fri.log_blowup = fri[0] % 64;
                    vk.fri.num_queries = fri[1];
                    vk.fri.query_pow_bits = fri[2];
                    vk.fri.commit_pow_bits = fri[3];
                    vk.fri.max_log_arity = fri[4];
                    vk.fri.log_final_poly_len = fri[5];
                }
            }
        });
        let _ = verify_decoded(&vk);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Any byte of an encoded proof changed: the proof decodes to an error, or verify
    /// answers (an error, since the proof now says something else) without panicking.
    #[test]
    fn a_mutated_proof_never_panics(index in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let f = fixture();
        let mut bytes = f.proof.to_bytes();
        let i = index.index(bytes.len());
        prop_assume!(bytes[i] != byte);
        bytes[i] = byte;
        if let Ok(proof) = Proof::<SC>::from_bytes(&bytes) {
            let _ = verify(&f.vk, &f.publics, &proof);
        }
    }
}
