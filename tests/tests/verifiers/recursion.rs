//! Recursion to a fixed point: a Fibonacci proof, then layers that each verify the previous
//! layer's proof, until two consecutive layers have the same circuit and the same key; and
//! the stand-alone verifier of the result, which holds only the trusted key set.

use fixpoint_circuit_prover::{
    Ext, FieldFamily, FriSettings, ProverConfig, Stark, VerifyOptions, prove, setup,
};
use fixpoint_recursion::layers::{recurse, verify_recursion};
use p3_field::PrimeCharacteristicRing;

/// Small FRI parameters, so that the layers fit the CI budget (2 conjectured bits).
const SMALL: FriSettings = fixpoint_tests::TINY_FRI;

/// The statement every run here proves: Fibonacci(20) = 6765.
const FIB_20: u32 = 6765;

/// The layers every run here proves: past the fixed point, which these settings reach at
/// layer 9 on KoalaBear (they go round a cycle first; see `ALWAYS_FLOORED_FROM`).
const LAYERS: usize = 10;

fn the_layers_reach_a_fixed_point_and_the_result_verifies<V: FieldFamily>() {
    let base = fixpoint_tests::fibonacci::<Ext<V>>(20).unwrap();
    let (pk, vk) = setup(&base, &ProverConfig::<Stark<V>>::new(SMALL)).unwrap();
    let publics = [Ext::<V>::ZERO, Ext::<V>::ONE, Ext::<V>::from_u32(FIB_20)];
    let mut runner = base.runner();
    runner.set_public_inputs(&publics).unwrap();
    let proof = prove(&pk, &runner.run().unwrap()).unwrap();

    let outcome = recurse(&vk, &proof, &publics, SMALL, LAYERS, |_| {}).unwrap();
    let at = outcome
        .fixed_point_at
        .expect("a fixed point within LAYERS layers");
    let reports = &outcome.reports;
    assert!(at >= 2);
    // From the fixed point on, one circuit and one key.
    for pair in reports[at - 2..].windows(2) {
        assert_eq!(pair[0].circuit_id, pair[1].circuit_id);
        assert_eq!(pair[0].vk_hash, pair[1].vk_hash);
    }
    // Before it, the circuit changed.
    assert_ne!(reports[0].circuit_id, reports[1].circuit_id);
    // The statement is forwarded, then the chain digest and the depth.
    assert_eq!(&outcome.publics[..3], &publics);
    assert_eq!(outcome.publics[5], Ext::<V>::from_u32(LAYERS as u32));
    // The stand-alone verifier holds the trusted set, nothing of the run.
    let trusted = outcome.trusted_keys().expect("at the fixed point");
    assert_eq!(trusted.below_fixed_point.len(), at - 2);
    assert_eq!(trusted.fixed_point, outcome.vk.hash());
    verify_recursion(
        &trusted,
        &publics,
        &outcome.vk,
        &outcome.publics,
        &outcome.proof,
        &VerifyOptions::ANY_SECURITY,
    )
    .unwrap();
}

mod koala_bear {
    use fixpoint_circuit_prover::KoalaBear as V;

    #[test]
    fn the_layers_reach_a_fixed_point_and_the_result_verifies() {
        super::the_layers_reach_a_fixed_point_and_the_result_verifies::<V>();
    }
}

mod baby_bear {
    use fixpoint_circuit_prover::BabyBear as V;

    #[test]
    fn the_layers_reach_a_fixed_point_and_the_result_verifies() {
        super::the_layers_reach_a_fixed_point_and_the_result_verifies::<V>();
    }
}

/// The rejections, on KoalaBear: one run shared by every test of this module.
mod checking_a_result {
    use std::sync::OnceLock;

    use fixpoint_circuit::CircuitBuilder;
    use fixpoint_circuit_prover::poseidon2::Table;
    use fixpoint_circuit_prover::{
        KoalaBear, KoalaBearExt as E, SetupOptions, VerifyError, setup_with, verify,
    };
    use fixpoint_recursion::layers::{
        Bundle, LAYER_SLOTS, Outcome, layer_circuit, prove_layer, recurse, verify_bundle,
        verify_recursion,
    };
    use fixpoint_recursion::trusted::{RecursionCheckError, TrustedCommitment, TrustedKeys, hex};

    use super::*;

    fn statement() -> [E; 3] {
        [E::ZERO, E::ONE, E::from_u32(FIB_20)]
    }

    /// Fibonacci(20), then [`LAYERS`] layers: past the fixed point (checked).
    fn outcome() -> &'static Outcome<KoalaBear> {
        static OUTCOME: OnceLock<Outcome<KoalaBear>> = OnceLock::new();
        OUTCOME.get_or_init(|| {
            let base = fixpoint_tests::fibonacci::<E>(20).unwrap();
            let (pk, vk) = setup(&base, &ProverConfig::koala_bear(SMALL)).unwrap();
            let mut runner = base.runner();
            runner.set_public_inputs(&statement()).unwrap();
            let proof = prove(&pk, &runner.run().unwrap()).unwrap();
            let outcome = recurse(&vk, &proof, &statement(), SMALL, LAYERS, |_| {}).unwrap();
            assert!(outcome.fixed_point_at.is_some_and(|at| at < LAYERS));
            outcome
        })
    }

    fn trusted() -> TrustedKeys {
        outcome().trusted_keys().unwrap()
    }

    fn check(
        trusted: &TrustedKeys,
        statement: &[E],
        vk: &fixpoint_circuit_prover::VerifyingKey<fixpoint_circuit_prover::KoalaBearStark, Table>,
        publics: &[E],
        proof: &fixpoint_circuit_prover::Proof<fixpoint_circuit_prover::KoalaBearStark>,
    ) -> Result<(), RecursionCheckError> {
        verify_recursion(
            trusted,
            statement,
            vk,
            publics,
            proof,
            &VerifyOptions::ANY_SECURITY,
        )
    }

    fn check_outcome(
        trusted: &TrustedKeys,
        statement: &[E],
        publics: &[E],
    ) -> Result<(), RecursionCheckError> {
        let o = outcome();
        check(trusted, statement, &o.vk, publics, &o.proof)
    }

    /// The fixed point's circuit id and key hash on this small run, pinned so that a
    /// refactor that must not change circuits or keys is checked against them. A
    /// deliberate change updates them and says why.
    ///
    /// Changed once, deliberately: keys leave out the tables of NPO kinds a circuit never
    /// calls (the layers' empty Permutation table), so every layer's key, and the circuit
    /// that verifies it, changed (issue 15, lever 2).
    ///
    /// Changed again, deliberately: two LogUp interactions per column (`LOOKUP_BUDGET` 3)
    /// and the cost model's lanes change every table's columns (issue 15, levers 5 and 7).
    /// And again: the reduced openings reuse a row's sum for its second point, the canonical
    /// bits check fewer products, and the layers floor only against cycles.
    /// And again: the opened rows are packed private inputs, hashed as they are and summed
    /// by Horner rows (issue 15, lever 3); the openings at one point share one division.
    /// And again (issue 16): every layer proves on the virtual-witness bus, now the
    /// default, and unpacking is a `PACK` row of a hint's coordinates, so the layers' keys
    /// have no Unpack table. And again: a Horner row absorbs four slots. And again: on a
    /// virtual bus the empty Witness table is not in the batch, so the key has one table less.
    /// And again: consecutive one-point matrices of one height share one row sum at `x`.
    /// And again: the queries read the top levels of every tree from a shared subtree, and
    /// every Merkle level is a `MERKLE_SHARED` row.
    #[test]
    fn the_fixed_point_circuit_and_key_are_pinned() {
        const CIRCUIT_ID: &str = "0380b2a7108682e7c64af23f2b82ad669a18aebe247ce35bdea8b87baa191eea";
        const VK_HASH: &str = "a18150b5afbfe8b635a620d2405637a97a13d4b5797937bd12803e8a62bee436";
        let o = outcome();
        let at = o.fixed_point_at.unwrap();
        let report = &o.reports[at - 1];
        assert_eq!(hex(&report.circuit_id.0), CIRCUIT_ID);
        assert_eq!(hex(&report.vk_hash), VK_HASH);
        assert_eq!(hex(&o.vk.hash()), VK_HASH);
    }

    #[test]
    fn a_witness_that_does_not_fill_the_layer_is_a_typed_error() {
        use fixpoint_circuit::RunError;
        use fixpoint_recursion::fill::FillError;
        let o = outcome();
        let built = layer_circuit(&o.vk, true).unwrap();
        let perm = p3_koala_bear::default_koalabear_poseidon2_16();
        let mut witness = built
            .witness(&perm, &o.proof, &o.publics, &o.vk.preprocessed_commitment)
            .unwrap();
        witness.inner_chain.pop();
        let mut runner = built.circuit.runner();
        assert!(matches!(
            built.fill(&witness, &mut runner),
            Err(FillError::Inputs(RunError::PrivateGroupSize {
                len: 3,
                got: 2,
                ..
            }))
        ));
    }

    #[test]
    fn the_result_verifies_with_only_the_trusted_set() {
        let o = outcome();
        check_outcome(&trusted(), &statement(), &o.publics).unwrap();
    }

    #[test]
    fn a_forged_outcome_carrying_the_trusted_chain_is_rejected() {
        // A trivial circuit whose six public inputs claim Fibonacci(20) = 12345 and carry
        // the trusted chain digest and depth: a valid proof under its own key.
        let o = outcome();
        let mut b = CircuitBuilder::<E>::new();
        b.public_inputs(3 + LAYER_SLOTS);
        let circuit = b.build().unwrap();
        let (pk, vk) = setup(&circuit, &ProverConfig::koala_bear(SMALL)).unwrap();
        let mut claimed = vec![E::ZERO, E::ONE, E::from_u32(12345)];
        claimed.extend_from_slice(&o.publics[3..]);
        let mut runner = circuit.runner();
        runner.set_public_inputs(&claimed).unwrap();
        let proof = prove(&pk, &runner.run().unwrap()).unwrap();
        verify(&vk, &claimed, &proof).unwrap();
        let forged = Outcome {
            reports: Vec::new(),
            fixed_point_at: o.fixed_point_at,
            vk: fixpoint_circuit_prover::VerifyingKey::from_bytes(&vk.to_bytes()).unwrap(),
            proof,
            publics: claimed.clone(),
            keys: o.keys.clone(),
        };
        let statement = [E::ZERO, E::ONE, E::from_u32(12345)];
        let err = check(
            &trusted(),
            &statement,
            &forged.vk,
            &forged.publics,
            &forged.proof,
        )
        .unwrap_err();
        assert_eq!(
            err,
            RecursionCheckError::FinalKeyNotTrusted {
                found: forged.vk.hash(),
                trusted: o.vk.hash()
            }
        );
    }

    #[test]
    fn the_fixed_point_circuit_under_weak_fri_settings_is_rejected_and_one_more_layer_is_accepted()
    {
        let o = outcome();
        let built = layer_circuit(&o.vk, true).unwrap();
        // The same settings: the fixed-point key again, and a proof one layer deeper.
        let (pk, vk) = setup_with(
            &built.circuit,
            &ProverConfig::koala_bear(SMALL),
            &SetupOptions::new()
                .with_npos(&Table::ALL)
                .with_floor(o.vk.shape_floor()),
        )
        .unwrap();
        assert_eq!(vk.hash(), o.vk.hash());
        let deeper = prove_layer(LAYERS + 1, &built, &pk, &o.vk, &o.proof, &o.publics).unwrap();
        assert_eq!(deeper.publics[5], E::from_u32(LAYERS as u32 + 1));
        check(
            &trusted(),
            &statement(),
            &vk,
            &deeper.publics,
            &deeper.proof,
        )
        .unwrap();

        // One query and no grinding: the same preprocessed commitment, a far weaker key.
        let weak = FriSettings {
            num_queries: 1,
            query_pow_bits: 0,
            ..SMALL
        };
        let (weak_pk, weak_vk) = setup_with(
            &built.circuit,
            &ProverConfig::koala_bear(weak),
            &SetupOptions::new()
                .with_npos(&Table::ALL)
                .with_floor(o.vk.shape_floor()),
        )
        .unwrap();
        assert_eq!(
            weak_vk.preprocessed_commitment,
            o.vk.preprocessed_commitment
        );
        let forged =
            prove_layer(LAYERS + 1, &built, &weak_pk, &o.vk, &o.proof, &o.publics).unwrap();
        verify(&weak_vk, &forged.publics, &forged.proof).unwrap();
        assert_eq!(
            check(
                &trusted(),
                &statement(),
                &weak_vk,
                &forged.publics,
                &forged.proof
            ),
            Err(RecursionCheckError::FinalKeyNotTrusted {
                found: weak_vk.hash(),
                trusted: o.vk.hash()
            })
        );
    }

    #[test]
    fn a_key_below_the_minimum_security_is_rejected_with_its_figure() {
        let o = outcome();
        let err = verify_recursion(
            &trusted(),
            &statement(),
            &o.vk,
            &o.publics,
            &o.proof,
            &VerifyOptions::default(),
        )
        .unwrap_err();
        assert_eq!(
            err,
            RecursionCheckError::Insecure {
                bits: SMALL.conjectured_security_bits(),
                min: 100
            }
        );
    }

    #[test]
    fn a_wrong_statement_is_rejected() {
        let o = outcome();
        let wrong = [E::ZERO, E::ONE, E::from_u32(FIB_20 + 1)];
        assert_eq!(
            check_outcome(&trusted(), &wrong, &o.publics),
            Err(RecursionCheckError::StatementMismatch { index: 2 })
        );
        assert_eq!(
            check_outcome(&trusted(), &wrong[..2], &o.publics),
            Err(RecursionCheckError::StatementLength {
                expected: 2,
                got: 3
            })
        );
        // Edited publics: the statement matches the edit, but the proof does not.
        let mut edited = o.publics.clone();
        edited[2] += E::ONE;
        assert!(matches!(
            check_outcome(&trusted(), &edited[..3], &edited),
            Err(RecursionCheckError::Proof(VerifyError::Rejected { .. }))
        ));
    }

    #[test]
    fn publics_shorter_than_the_chain_are_an_error_not_a_panic() {
        for len in 0..LAYER_SLOTS {
            assert_eq!(
                check_outcome(&trusted(), &[], &outcome().publics[..len]),
                Err(RecursionCheckError::PublicsTooShort { got: len })
            );
        }
    }

    #[test]
    fn a_trusted_set_missing_a_key_or_from_another_base_circuit_is_rejected() {
        let o = outcome();
        let depth = LAYERS as u64;
        let mut missing = trusted();
        assert!(!missing.below_fixed_point.is_empty());
        missing.below_fixed_point.remove(0);
        assert_eq!(
            check_outcome(&missing, &statement(), &o.publics),
            Err(RecursionCheckError::ChainMismatch { depth })
        );
        // Another base circuit (Fibonacci of 21 steps): its key in the base slot.
        let other = fixpoint_tests::fibonacci::<E>(21).unwrap();
        let (_, other_vk) = setup(&other, &ProverConfig::koala_bear(SMALL)).unwrap();
        let mut another = trusted();
        another.base = TrustedCommitment::new(&other_vk.preprocessed_commitment);
        assert_ne!(another.base, trusted().base);
        assert_eq!(
            check_outcome(&another, &statement(), &o.publics),
            Err(RecursionCheckError::ChainMismatch { depth })
        );
    }

    #[test]
    fn a_depth_below_the_fixed_point_or_not_an_integer_is_rejected() {
        let o = outcome();
        let last = o.publics.len() - 1;
        for depth in [E::ZERO, E::from_u32((1 << 16) + 1)] {
            let mut publics = o.publics.clone();
            publics[last] = depth;
            assert!(matches!(
                check_outcome(&trusted(), &statement(), &publics),
                Err(RecursionCheckError::Depth(_))
            ));
        }
        let mut publics = o.publics.clone();
        publics[last] =
            <E as p3_field::BasedVectorSpace<p3_koala_bear::KoalaBear>>::ith_basis_element(1)
                .unwrap();
        assert!(matches!(
            check_outcome(&trusted(), &statement(), &publics),
            Err(RecursionCheckError::Depth(_))
        ));
        // A depth one more than proved: the chain at that depth is another chain.
        let mut publics = o.publics.clone();
        publics[last] += E::ONE;
        assert_eq!(
            check_outcome(&trusted(), &statement(), &publics),
            Err(RecursionCheckError::ChainMismatch {
                depth: LAYERS as u64 + 1
            })
        );
    }

    #[test]
    fn the_outcome_serialises_and_its_bundle_round_trips_through_files() {
        let o = outcome();
        let bytes = postcard::to_allocvec(o).unwrap();
        let back: Outcome<KoalaBear> = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back.publics, o.publics);
        assert_eq!(back.vk.hash(), o.vk.hash());
        assert_eq!(back.trusted_keys(), o.trusted_keys());

        let dir = std::env::temp_dir().join(format!("fixpoint-bundle-{}", std::process::id()));
        o.bundle().unwrap().write(&dir).unwrap();
        let read = Bundle::<KoalaBear>::read(&dir).unwrap();
        verify_bundle(
            &read,
            Some(&trusted()),
            Some(&statement()),
            &VerifyOptions::ANY_SECURITY,
        )
        .unwrap();
        assert_eq!(read.trusted, trusted());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
