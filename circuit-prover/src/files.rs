//! The versioned file format of keys, proofs, public inputs and circuits.
//!
//! Every file is an 8-byte header followed by a postcard payload:
//!
//! | bytes | what |
//! |---|---|
//! | 0..4 | the magic tag `FXPT` |
//! | 4..6 | the format version, little-endian ([`FORMAT_VERSION`]) |
//! | 6 | the field ([`FieldTag`]) |
//! | 7 | the kind ([`FileKind`]) |
//! | 8.. | the payload |
//!
//! A file of another kind, version or field is a [`FileError`] naming both. Decoding is
//! **canonical**: the payload must be exactly the encoding of the value it decodes to (no
//! trailing bytes, no overlong integers), so that two different files never mean the same
//! thing and changing any byte of a file either changes what it says or makes it
//! undecodable.
//!
//! ```
//! use fixpoint_circuit_prover::files::{self, FieldTag, FileKind};
//! use fixpoint_circuit_prover::KoalaBearExt as F;
//! use p3_field::PrimeCharacteristicRing;
//!
//! let publics = [F::from_u32(3), F::from_u32(5)];
//! let bytes = files::public_inputs_to_file(FieldTag::KoalaBear, &publics);
//! assert_eq!(&bytes[..4], b"FXPT");
//! assert_eq!(files::public_inputs_from_file::<F>(FieldTag::KoalaBear, &bytes)?, publics);
//! // The same publics as JSON: each element as its base coordinates.
//! let json = files::public_inputs_to_json::<p3_koala_bear::KoalaBear, F>(&publics);
//! assert_eq!(json, "[[3,0,0,0],[5,0,0,0]]");
//! let decoded: Vec<F> = files::public_inputs_from_json::<p3_koala_bear::KoalaBear, F>(&json)?;
//! assert_eq!(decoded, publics);
//! // A proof file is not a public-inputs file.
//! let header = files::Header { kind: FileKind::Proof, ..files::Header::read(&bytes)?.0 };
//! assert!(files::public_inputs_from_file::<F>(FieldTag::KoalaBear, &header.with_payload(&[0])).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use p3_field::{BasedVectorSpace, PrimeField64};
use serde::Serialize;
use serde::de::DeserializeOwned;
use thiserror::Error;

/// The first four bytes of every fixpoint file.
pub const MAGIC: [u8; 4] = *b"FXPT";

/// The format version this library writes and reads.
pub const FORMAT_VERSION: u16 = 1;

/// The header's length in bytes.
pub const HEADER_LEN: usize = 8;

/// The base field a file's values live in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldTag {
    /// KoalaBear (`p = 2^31 − 2^24 + 1`) with its degree-4 extension.
    KoalaBear,
    /// BabyBear (`p = 2^31 − 2^27 + 1`) with its degree-4 extension.
    BabyBear,
}

impl FieldTag {
    /// The tag's byte in a header.
    pub fn byte(self) -> u8 {
        match self {
            FieldTag::KoalaBear => 1,
            FieldTag::BabyBear => 2,
        }
    }

    /// The tag of a header byte.
    pub fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            1 => Some(FieldTag::KoalaBear),
            2 => Some(FieldTag::BabyBear),
            _ => None,
        }
    }

    /// The tag of a field name as keys record it (`"KoalaBear"`, `"BabyBear"`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "KoalaBear" => Some(FieldTag::KoalaBear),
            "BabyBear" => Some(FieldTag::BabyBear),
            _ => None,
        }
    }

    /// The field's name, as keys record it.
    pub fn name(self) -> &'static str {
        match self {
            FieldTag::KoalaBear => "KoalaBear",
            FieldTag::BabyBear => "BabyBear",
        }
    }
}

impl std::fmt::Display for FieldTag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// A [`VerifyingKey`](crate::VerifyingKey).
    VerifyingKey,
    /// A [`Proof`](crate::Proof).
    Proof,
    /// Public inputs: a list of extension-field elements.
    PublicInputs,
    /// A trusted key set of a recursion result (written by `fixpoint-recursion`).
    TrustedKeys,
    /// A [`Circuit`](fixpoint_circuit::Circuit) over the field's extension.
    Circuit,
    /// The trusted allow-list root and node key of a proof tree (written by
    /// `fixpoint-recursion`).
    TrustedTree,
    /// One node of a proof tree to prove (written by `fixpoint-recursion`).
    TreeJob,
    /// A proof-tree node's proof and public inputs (written by `fixpoint prove-node`).
    NodeProof,
}

impl FileKind {
    /// Every kind, in byte order.
    pub const ALL: [FileKind; 8] = [
        FileKind::VerifyingKey,
        FileKind::Proof,
        FileKind::PublicInputs,
        FileKind::TrustedKeys,
        FileKind::Circuit,
        FileKind::TrustedTree,
        FileKind::TreeJob,
        FileKind::NodeProof,
    ];

    /// The kind's byte in a header.
    pub fn byte(self) -> u8 {
        match self {
            FileKind::VerifyingKey => 1,
            FileKind::Proof => 2,
            FileKind::PublicInputs => 3,
            FileKind::TrustedKeys => 4,
            FileKind::Circuit => 5,
            FileKind::TrustedTree => 6,
            FileKind::TreeJob => 7,
            FileKind::NodeProof => 8,
        }
    }

    /// The kind of a header byte.
    pub fn from_byte(byte: u8) -> Option<Self> {
        FileKind::ALL.into_iter().find(|k| k.byte() == byte)
    }

    /// The kind's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            FileKind::VerifyingKey => "verifying key",
            FileKind::Proof => "proof",
            FileKind::PublicInputs => "public inputs",
            FileKind::TrustedKeys => "trusted key set",
            FileKind::Circuit => "circuit",
            FileKind::TrustedTree => "trusted tree",
            FileKind::TreeJob => "proof-tree job",
            FileKind::NodeProof => "proof-tree node proof",
        }
    }
}

impl std::fmt::Display for FileKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a file could not be read.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum FileError {
    /// The file is shorter than its header.
    #[error("the file has {0} bytes, fewer than the {HEADER_LEN}-byte header")]
    TooShort(usize),
    /// The file does not start with [`MAGIC`].
    #[error("not a fixpoint file (it does not start with `FXPT`)")]
    BadMagic,
    /// The file's format version is not [`FORMAT_VERSION`].
    #[error("format version {found}, this build reads version {FORMAT_VERSION}")]
    UnsupportedVersion {
        /// The file's version.
        found: u16,
    },
    /// The header's field byte names no field.
    #[error("unknown field tag {0}")]
    UnknownField(u8),
    /// The header's kind byte names no kind.
    #[error("unknown file kind {0}")]
    UnknownKind(u8),
    /// The file holds another kind of value.
    #[error("the file holds a {found}, not a {expected}")]
    WrongKind {
        /// What the caller asked for.
        expected: FileKind,
        /// What the file holds.
        found: FileKind,
    },
    /// The file's values live in another field.
    #[error("the file is over {found}, not {expected}")]
    WrongField {
        /// The caller's field.
        expected: FieldTag,
        /// The file's field.
        found: FieldTag,
    },
    /// The payload does not decode.
    #[error("malformed {kind}: {reason}")]
    Malformed {
        /// What was being decoded.
        kind: FileKind,
        /// The decoder's message.
        reason: String,
    },
    /// The payload decodes, but is not the canonical encoding of what it decodes to.
    #[error("the {0} is not canonically encoded (trailing or overlong bytes)")]
    NonCanonical(FileKind),
    /// A public-inputs JSON document is malformed.
    #[error("public inputs JSON: {0}")]
    Json(String),
}

/// A file's header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// The format version.
    pub version: u16,
    /// The field.
    pub field: FieldTag,
    /// The kind.
    pub kind: FileKind,
}

impl Header {
    /// The header of a file of `kind` over `field` in this format version.
    pub fn new(field: FieldTag, kind: FileKind) -> Self {
        Header {
            version: FORMAT_VERSION,
            field,
            kind,
        }
    }

    /// Reads a header; returns it and the payload after it.
    pub fn read(bytes: &[u8]) -> Result<(Header, &[u8]), FileError> {
        if bytes.len() < HEADER_LEN {
            return Err(FileError::TooShort(bytes.len()));
        }
        if bytes[..4] != MAGIC {
            return Err(FileError::BadMagic);
        }
        let version = u16::from_le_bytes([bytes[4], bytes[5]]);
        if version != FORMAT_VERSION {
            return Err(FileError::UnsupportedVersion { found: version });
        }
        let field = FieldTag::from_byte(bytes[6]).ok_or(FileError::UnknownField(bytes[6]))?;
        let kind = FileKind::from_byte(bytes[7]).ok_or(FileError::UnknownKind(bytes[7]))?;
        Ok((
            Header {
                version,
                field,
                kind,
            },
            &bytes[HEADER_LEN..],
        ))
    }

    /// The header's bytes followed by `payload`.
    pub fn with_payload(&self, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&self.version.to_le_bytes());
        out.push(self.field.byte());
        out.push(self.kind.byte());
        out.extend_from_slice(payload);
        out
    }
}

/// `value` as a file of `kind` over `field`.
pub fn encode_file<T: Serialize>(field: FieldTag, kind: FileKind, value: &T) -> Vec<u8> {
    Header::new(field, kind).with_payload(&crate::error::encode(value))
}

/// Decodes a file of `kind` over `field`: the header must say so, and the payload must be
/// the canonical encoding of the value.
pub fn decode_file<T: Serialize + DeserializeOwned>(
    field: FieldTag,
    kind: FileKind,
    bytes: &[u8],
) -> Result<T, FileError> {
    let (header, payload) = Header::read(bytes)?;
    if header.kind != kind {
        return Err(FileError::WrongKind {
            expected: kind,
            found: header.kind,
        });
    }
    if header.field != field {
        return Err(FileError::WrongField {
            expected: field,
            found: header.field,
        });
    }
    decode_payload(kind, payload)
}

/// Decodes a payload of `kind` canonically (see the module docs).
pub fn decode_payload<T: Serialize + DeserializeOwned>(
    kind: FileKind,
    payload: &[u8],
) -> Result<T, FileError> {
    let value: T = postcard::from_bytes(payload).map_err(|e| FileError::Malformed {
        kind,
        reason: e.to_string(),
    })?;
    if crate::error::encode(&value) != payload {
        return Err(FileError::NonCanonical(kind));
    }
    Ok(value)
}

/// Public inputs as a file over `field`.
pub fn public_inputs_to_file<EF: Serialize>(field: FieldTag, publics: &[EF]) -> Vec<u8> {
    encode_file(field, FileKind::PublicInputs, &publics)
}

/// Public inputs from a file over `field`.
pub fn public_inputs_from_file<EF: Serialize + DeserializeOwned>(
    field: FieldTag,
    bytes: &[u8],
) -> Result<Vec<EF>, FileError> {
    decode_file(field, FileKind::PublicInputs, bytes)
}

/// Public inputs as JSON: an array of elements, each the array of its base coordinates
/// (canonical integers, lowest first).
pub fn public_inputs_to_json<V: PrimeField64, EF: BasedVectorSpace<V>>(publics: &[EF]) -> String {
    let elements: Vec<Vec<u64>> = publics
        .iter()
        .map(|e| {
            e.as_basis_coefficients_slice()
                .iter()
                .map(|c| c.as_canonical_u64())
                .collect()
        })
        .collect();
    serde_json::to_string(&elements).expect("serialising integers cannot fail")
}

/// Public inputs from JSON (see [`public_inputs_to_json`]): every element must have exactly
/// the extension's number of coordinates, each below the field's prime.
pub fn public_inputs_from_json<V: PrimeField64, EF: BasedVectorSpace<V>>(
    json: &str,
) -> Result<Vec<EF>, FileError> {
    let elements: Vec<Vec<u64>> =
        serde_json::from_str(json).map_err(|e| FileError::Json(e.to_string()))?;
    elements
        .iter()
        .enumerate()
        .map(|(i, coords)| {
            if coords.len() != EF::DIMENSION {
                return Err(FileError::Json(format!(
                    "element {i} has {} coordinates, the field has {}",
                    coords.len(),
                    EF::DIMENSION
                )));
            }
            let base = coords
                .iter()
                .map(|&c| {
                    if c < V::ORDER_U64 {
                        Ok(V::from_u64(c))
                    } else {
                        Err(FileError::Json(format!(
                            "element {i}: coordinate {c} is not below the prime {}",
                            V::ORDER_U64
                        )))
                    }
                })
                .collect::<Result<Vec<V>, _>>()?;
            EF::from_basis_coefficients_slice(&base)
                .ok_or_else(|| FileError::Json(format!("element {i} has the wrong dimension")))
        })
        .collect()
}
