//! What a uni-STARK verifier circuit is a function of: the AIR's recorded constraints, the
//! trace height, the FRI parameters and the pinned preprocessed key. A leaf of
//! [`uni_stark`](super).

use fixpoint_circuit_prover::D;
use p3_air::symbolic::{AirLayout, SymbolicAirBuilder};
use p3_air::{Air, BaseAir};
use p3_field::coset::TwoAdicMultiplicativeCoset;
use p3_field::extension::BinomialExtensionField;
use p3_field::{BasedVectorSpace, ExtensionField, PrimeField64, TwoAdicField};
use p3_symmetric::MerkleCap;

use crate::constraints::AirConstraints;
use crate::pcs::{MatrixClaim, PcsShape, ProofShapeError};
use crate::seeds;

/// The preprocessed half of a verifying key: pinned in the circuit as constants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreprocessedKey<V> {
    /// The commitment to the preprocessed trace.
    pub commitment: MerkleCap<V, [V; 8]>,
    /// Its width.
    pub width: usize,
}

/// Everything a uni-stark verifier circuit depends on: parameters, dimensions and the
/// verifying key's constants, never proof values.
#[derive(Clone, Debug)]
pub struct UniStarkShape<V: TwoAdicField, F: ExtensionField<V>> {
    /// The AIR's constraints.
    pub constraints: AirConstraints<V, F>,
    /// log2 of the trace height (p3's `degree_bits`; fixpoint verifies non-ZK proofs).
    pub log_degree: usize,
    /// log2 of the number of quotient chunks.
    pub log_quotient_chunks: usize,
    /// The pinned preprocessed commitment, when the AIR has preprocessed columns.
    pub preprocessed: Option<PreprocessedKey<V>>,
    /// The PCS's FRI parameters.
    pub fri: fixpoint_circuit_prover::FriSettings,
    /// PoW bits before `ζ`.
    pub ood_pow_bits: usize,
    /// The `p3-uni-stark` domain-separator seed.
    pub seed: Vec<V>,
}

impl<V, F> UniStarkShape<V, F>
where
    V: PrimeField64 + TwoAdicField,
    F: ExtensionField<V>,
{
    /// The shape of proofs of `air` with traces of `2^log_degree` rows.
    pub fn new<A>(
        air: &A,
        fri: fixpoint_circuit_prover::FriSettings,
        ood_pow_bits: usize,
        log_degree: usize,
        preprocessed: Option<PreprocessedKey<V>>,
    ) -> Result<Self, ProofShapeError>
    where
        A: Air<SymbolicAirBuilder<V>> + Air<SymbolicAirBuilder<V, F>> + BaseAir<V>,
    {
        if !air.public_boundary_io().is_empty() {
            return Err(ProofShapeError::Unsupported(
                "boundary-IO public values (p3-uni-stark refuses them too)",
            ));
        }
        let preprocessed_width = preprocessed.as_ref().map_or(0, |p| p.width);
        if preprocessed_width != air.preprocessed_width() {
            return Err(ProofShapeError::Length {
                what: "preprocessed columns of the verifying key",
                expected: air.preprocessed_width(),
                got: preprocessed_width,
            });
        }
        if log_degree == 0 || log_degree > V::TWO_ADICITY {
            return Err(ProofShapeError::InvalidShape(
                "the trace height must be 2^k with 1 <= k <= the field's two-adicity",
            ));
        }
        let periodic = air.periodic_columns().into_owned();
        let constraints = AirConstraints::<V, F>::of_air(
            air,
            preprocessed_width,
            air.num_public_values(),
            periodic,
        );
        let layout = AirLayout {
            preprocessed_width,
            ..AirLayout::from_air(air)
        };
        let domain = TwoAdicMultiplicativeCoset::<V>::new(V::ONE, log_degree)
            .ok_or(ProofShapeError::InvalidShape("the trace is too tall"))?;
        let log_quotient_chunks =
            p3_uni_stark::get_log_num_quotient_chunks_for_domain::<V, A>(air, layout, domain, 0);
        let stark = p3_uni_stark::StarkShape::new::<V, A>(
            air,
            preprocessed_width,
            log_degree,
            log_degree,
            1 << log_quotient_chunks,
            false,
            ood_pow_bits,
        );
        let shape = UniStarkShape {
            constraints,
            log_degree,
            log_quotient_chunks,
            preprocessed,
            fri,
            ood_pow_bits,
            seed: seeds::uni_stark::<V, F>(&stark),
        };
        shape.pcs_shape().validate::<V>()?;
        Ok(shape)
    }

    /// The PCS claims: the trace, each quotient chunk, the preprocessed trace.
    pub fn pcs_shape(&self) -> PcsShape {
        let log_height = self.log_degree;
        let c = &self.constraints;
        let mut commitments = vec![
            vec![MatrixClaim {
                log_height,
                width: c.layout.main_width,
                points: 1 + c.main_next as usize,
            }],
            vec![
                MatrixClaim {
                    log_height,
                    width: <F as BasedVectorSpace<V>>::DIMENSION,
                    points: 1,
                };
                1 << self.log_quotient_chunks
            ],
        ];
        if let Some(p) = &self.preprocessed {
            commitments.push(vec![MatrixClaim {
                log_height,
                width: p.width,
                points: 1 + c.preprocessed_next as usize,
            }]);
        }
        PcsShape {
            fri: self.fri,
            commitments,
        }
    }

    /// Roots per cap of the trace and quotient commitments.
    pub(crate) fn cap_roots(&self) -> usize {
        self.pcs_shape().batch_cap_roots()[0]
    }
}

/// The challenge field of fixpoint's configurations over `V`.
pub type Ext<V> = BinomialExtensionField<V, D>;
