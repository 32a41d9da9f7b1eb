//! The proving and verifying keys: plain data, their encoding, their hash and the checks
//! a decoded key passes. The AIRs and public values a key describes are built below the
//! engine, in `instances`; nothing here proves or verifies.

use fixpoint_circuit::CircuitId;
use p3_batch_stark::ProverData;
use p3_batch_stark::config::Commitment;
use p3_uni_stark::Val;
use serde::{Deserialize, Serialize};

use crate::air::CircuitAir;
use crate::config::{FriSettings, ProverConfig};
use crate::error::DecodeError;
use crate::layout::{Layout, TableKind};
use crate::npo::NoNpo;

/// The most lanes a table of a verifying key may have. Setup never chooses more than
/// [`MAX_AUTO_LANES`](crate::cost::MAX_AUTO_LANES) for the op tables; the Public table has
/// one lane per public input, so this bounds a key's public inputs too.
pub const MAX_LANES: usize = 1 << 12;

/// The most public inputs a verifying key may declare.
pub const MAX_PUBLIC_INPUTS: u32 = 1 << 16;

/// The tallest table a verifying key may have, as log2 (the fields' two-adic subgroups
/// bound it further, with the blowup).
pub const MAX_LOG_HEIGHT: usize = 27;

/// Lowercase hex of a hash (how keys' hashes are printed and pinned).
///
/// ```
/// assert_eq!(fixpoint_circuit_prover::keys::hex(&[0x0f, 0xa0]), "0fa0");
/// ```
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a verifier demands of a key beyond its consistency: a minimum security, and
/// optionally the key's hash.
///
/// ```
/// use fixpoint_circuit_prover::{FriSettings, VerifyOptions};
/// let strict = VerifyOptions::default();
/// assert_eq!(strict.min_conjectured_bits, 100);
/// assert_eq!(strict.pinned_key, None);
/// assert!(FriSettings::TEST.conjectured_security_bits() < strict.min_conjectured_bits);
/// let pinned = strict.with_pinned_key([7; 32]);
/// assert_eq!(pinned.pinned_key, Some([7; 32]));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyOptions {
    /// Keys whose conjectured security ([`FriSettings::conjectured_security_bits`]) is below
    /// this are refused with their figure. The default is 100.
    pub min_conjectured_bits: usize,
    /// When set, a key whose [`VerifyingKey::hash`] is not this is refused
    /// ([`KeyError::NotPinned`](crate::KeyError::NotPinned)) before the proof is read. A
    /// key is only as good as its preprocessed columns, which nothing in a proof checks
    /// against the circuit: pinning the hash of the key the circuit's setup made is what
    /// refuses a forged one. The default is `None`.
    pub pinned_key: Option<[u8; 32]>,
}

impl VerifyOptions {
    /// No minimum security: accepts keys made with [`FriSettings::TEST`]. For tests only.
    pub const ANY_SECURITY: VerifyOptions = VerifyOptions {
        min_conjectured_bits: 0,
        pinned_key: None,
    };

    /// These options, refusing every key whose hash is not `hash`.
    pub fn with_pinned_key(self, hash: [u8; 32]) -> Self {
        VerifyOptions {
            pinned_key: Some(hash),
            ..self
        }
    }

    /// These options with `bits` as the minimum conjectured security.
    pub fn with_min_conjectured_bits(self, bits: usize) -> Self {
        VerifyOptions {
            min_conjectured_bits: bits,
            ..self
        }
    }
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            min_conjectured_bits: 100,
            pinned_key: None,
        }
    }
}

/// What `setup` returns: the proving key and the verifying key.
pub type Keys<SC, N = NoNpo> = (ProvingKey<SC, N>, VerifyingKey<SC, N>);

/// What the prover needs: the configuration, the AIRs with their preprocessed columns and
/// the PCS data of the preprocessed commitment, made once by `setup`.
pub struct ProvingKey<SC: p3_uni_stark::StarkGenericConfig, N = NoNpo> {
    /// The configuration.
    pub config: ProverConfig<SC>,
    /// One AIR per table: the primitive tables in [`TableKind::ALL`] order, then one per
    /// NPO table.
    pub airs: Vec<CircuitAir<Val<SC>, N>>,
    /// p3's keygen output (preprocessed commitment and prover data).
    pub prover_data: ProverData<SC>,
    /// On a [`BusLayout::Virtual`](crate::BusLayout::Virtual) bus, the slots the Witness
    /// table provides, in lane order ([`BusPlan::witness_slots`](crate::BusPlan)); `None`
    /// on a Witness-table bus, whose Witness table holds every slot.
    pub witness_slots: Option<Vec<fixpoint_circuit::WitnessId>>,
    /// The matching verifying key.
    pub vk: VerifyingKey<SC, N>,
}

/// Everything the verifier needs, fixed at setup: every shape fact and the preprocessed
/// commitment. A proof contributes only its own commitments and openings.
#[derive(Serialize, Deserialize)]
#[serde(bound(
    serialize = "Commitment<SC>: Serialize, N: Serialize",
    deserialize = "Commitment<SC>: serde::de::DeserializeOwned, N: serde::de::DeserializeOwned"
))]
pub struct VerifyingKey<SC: p3_uni_stark::StarkGenericConfig, N = NoNpo> {
    /// The content hash of the circuit the key was set up for. A **label, not
    /// authenticated**: nothing in a proof or in the preprocessed commitment ties it to the
    /// key, so a verifier never decides on it. Pin [`VerifyingKey::hash`], which covers it
    /// and every fact below, to pin a key.
    pub circuit_id: CircuitId,
    /// The base field's name; [`crate::verify`] refuses a key whose field is not the
    /// configuration's.
    pub field: String,
    /// FRI settings (the configuration is rebuilt from them).
    pub fri: FriSettings,
    /// Every table's lanes and height.
    pub layout: Layout,
    /// Number of public inputs.
    pub public_count: u32,
    /// The position each lane of the Public table is bound to.
    pub public_positions: Vec<u32>,
    /// Commitment to every table's preprocessed columns.
    pub preprocessed_commitment: Commitment<SC>,
    /// The NPO tables, after the primitive ones.
    pub npo_tables: Vec<N>,
    /// log2 of each NPO table's height.
    pub npo_log_heights: Vec<usize>,
}

impl<SC: p3_uni_stark::StarkGenericConfig, N: Clone> Clone for VerifyingKey<SC, N> {
    fn clone(&self) -> Self {
        VerifyingKey {
            circuit_id: self.circuit_id,
            field: self.field.clone(),
            fri: self.fri,
            layout: self.layout.clone(),
            public_count: self.public_count,
            public_positions: self.public_positions.clone(),
            preprocessed_commitment: self.preprocessed_commitment.clone(),
            npo_tables: self.npo_tables.clone(),
            npo_log_heights: self.npo_log_heights.clone(),
        }
    }
}

impl<SC: p3_uni_stark::StarkGenericConfig, N: crate::NpoTable<p3_uni_stark::Val<SC>>>
    VerifyingKey<SC, N>
where
    p3_uni_stark::Val<SC>: p3_field::Field,
{
    /// This key's table shapes as a floor for another setup
    /// ([`SetupOptions::with_floor`](crate::SetupOptions::with_floor)): every table at least
    /// this key's lanes and height.
    pub fn shape_floor(&self) -> crate::ShapeFloor {
        crate::ShapeFloor {
            tables: std::array::from_fn(|i| {
                let t = &self.layout.tables[i];
                (t.lanes, t.log_height)
            }),
            npo_log_heights: self
                .npo_tables
                .iter()
                .zip(&self.npo_log_heights)
                .map(|(table, &h)| (table.kind(), h))
                .collect(),
        }
    }
}

impl<SC: p3_uni_stark::StarkGenericConfig, N: Serialize + serde::de::DeserializeOwned>
    VerifyingKey<SC, N>
{
    /// The key's postcard encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        crate::error::encode(self)
    }

    /// Decodes a key; malformed bytes are an error, never a panic.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        crate::error::decode("verifying key", bytes)
    }

    /// BLAKE3 content hash of the key: pin it to pin the circuit, its layout and its
    /// preprocessed columns.
    pub fn hash(&self) -> [u8; 32] {
        *blake3::hash(&self.to_bytes()).as_bytes()
    }

    /// Checks that the key is internally consistent and bounded, so that building its AIRs
    /// and verifying under it can neither fail nor allocate without bound: the FRI settings
    /// pass [`FriSettings::validate`], every table has at most [`MAX_LANES`] lanes and at
    /// most [`MAX_LOG_HEIGHT`] as log2 height, its low-degree extension fits the field's
    /// two-adic subgroup, the Public table has one lane per bound position, every position
    /// is below the public-input count, and every table can hold its entries. Every figure
    /// is bounded *before* any arithmetic uses it.
    ///
    /// ```
    /// use fixpoint_circuit::CircuitBuilder;
    /// use fixpoint_circuit_prover::{FriSettings, KoalaBearExt as F, ProverConfig, setup};
    ///
    /// let mut b = CircuitBuilder::<F>::new();
    /// let x = b.public_input();
    /// b.assert_zero(x);
    /// let (_, mut vk) = setup(&b.build()?, &ProverConfig::koala_bear(FriSettings::TEST))?;
    /// assert!(vk.check().is_ok());
    /// vk.fri.query_pow_bits = 40; // p3's grinding would panic on it
    /// assert!(vk.check().is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check(&self) -> Result<(), crate::error::VerifyError>
    where
        p3_uni_stark::Val<SC>: p3_field::TwoAdicField,
        N: crate::NpoTable<p3_uni_stark::Val<SC>>,
    {
        use crate::error::{KeyError, VerifyError};
        let invalid = |error: KeyError| Err(VerifyError::InvalidKey(error));
        if let Err(error) = self.fri.validate() {
            return invalid(KeyError::FriSettings(error));
        }
        // log2 of the largest LDE the field can hold, with p3's zero-knowledge bit.
        let two_adicity = <p3_uni_stark::Val<SC> as p3_field::TwoAdicField>::TWO_ADICITY;
        let fits = |log_height: usize| {
            log_height <= MAX_LOG_HEIGHT && log_height + self.fri.log_blowup <= two_adicity
        };
        for (position, (t, expected)) in self.layout.tables.iter().zip(TableKind::ALL).enumerate() {
            let table = t.kind.name();
            if t.kind != expected {
                return invalid(KeyError::TableOrder {
                    position,
                    expected: expected.name(),
                    got: table,
                });
            }
            if t.bus != self.layout.bus() {
                return invalid(KeyError::MixedBus {
                    table,
                    bus: t.bus,
                    first: self.layout.bus(),
                });
            }
            if t.lanes == 0 || t.lanes > MAX_LANES {
                return invalid(KeyError::Lanes {
                    table,
                    lanes: t.lanes,
                    max: MAX_LANES,
                });
            }
            if !fits(t.log_height) {
                return invalid(KeyError::TooTall {
                    table: table.to_owned(),
                    log_height: t.log_height,
                    max_log_height: MAX_LOG_HEIGHT,
                    two_adicity,
                });
            }
            let rows = if t.kind == TableKind::Public {
                1
            } else {
                t.height()
            };
            // Both factors are bounded above: the product fits in a u64.
            if (t.lanes as u64) * (rows as u64) < t.entries as u64 {
                return invalid(KeyError::CannotHold {
                    table,
                    entries: t.entries,
                    lanes: t.lanes,
                    rows,
                });
            }
        }
        // On a virtual bus the batch does not prove the Witness table: its shape is the
        // canonical one, so that no two keys differ only in a table no proof has.
        let witness = *self.layout.table(TableKind::Witness);
        let bus = self.layout.bus();
        if bus == crate::BusLayout::Virtual && witness != crate::TableShape::unproved(bus) {
            return invalid(KeyError::VirtualWitness {
                entries: witness.entries,
                lanes: witness.lanes,
                log_height: witness.log_height,
            });
        }
        let public = self.layout.table(TableKind::Public);
        if public.entries != self.public_positions.len() || public.lanes != public.entries.max(1) {
            return invalid(KeyError::PublicTable {
                entries: public.entries,
                lanes: public.lanes,
                positions: self.public_positions.len(),
            });
        }
        if let Some(&position) = self
            .public_positions
            .iter()
            .find(|&&p| p >= self.public_count)
        {
            return invalid(KeyError::PublicPosition {
                position,
                count: self.public_count,
            });
        }
        if self.public_count > MAX_PUBLIC_INPUTS {
            return invalid(KeyError::TooManyPublicInputs {
                count: self.public_count,
                max: MAX_PUBLIC_INPUTS,
            });
        }
        // One table per kind, as setup makes them: this also bounds the number of AIRs.
        for (i, table) in self.npo_tables.iter().enumerate() {
            if self.npo_tables[..i]
                .iter()
                .any(|t| t.kind() == table.kind())
            {
                return invalid(KeyError::DuplicateNpoTable { kind: table.kind() });
            }
        }
        if self.npo_tables.len() != self.npo_log_heights.len() {
            return invalid(KeyError::NpoHeights {
                tables: self.npo_tables.len(),
                heights: self.npo_log_heights.len(),
            });
        }
        for (table, &log_height) in self.npo_tables.iter().zip(&self.npo_log_heights) {
            if !fits(log_height) {
                return invalid(KeyError::TooTall {
                    table: table.kind().to_string(),
                    log_height,
                    max_log_height: MAX_LOG_HEIGHT,
                    two_adicity,
                });
            }
        }
        Ok(())
    }

    /// Refuses a key whose hash is not `options.pinned_key` (when set), whose FRI settings
    /// are invalid, or whose conjectured security is below `options.min_conjectured_bits`
    /// (see [`FriSettings::conjectured_security_bits`]).
    pub fn check_security(&self, options: &VerifyOptions) -> Result<(), crate::error::VerifyError> {
        if let Some(pinned) = options.pinned_key {
            let hash = self.hash();
            if hash != pinned {
                return Err(crate::error::VerifyError::InvalidKey(
                    crate::error::KeyError::NotPinned { hash, pinned },
                ));
            }
        }
        self.fri.validate().map_err(|e| {
            crate::error::VerifyError::InvalidKey(crate::error::KeyError::FriSettings(e))
        })?;
        let bits = self.fri.conjectured_security_bits();
        if bits < options.min_conjectured_bits {
            return Err(crate::error::VerifyError::Insecure {
                bits,
                min: options.min_conjectured_bits,
            });
        }
        Ok(())
    }
}
