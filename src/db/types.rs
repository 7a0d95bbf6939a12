//! The domain's named enums as PostgreSQL values: each is stored in a `text` column whose CHECK
//! constraint lists the same names, so `domain` stays free of SQL.

use sqlx::{
    Decode, Encode, Postgres, Type,
    encode::IsNull,
    error::BoxDynError,
    postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef},
};

use crate::domain::{
    AssetState, DeliveryState, DeliveryTrigger, EndpointKind, EndpointState, JobKind, JobState, TrashState,
};

/// Maps each named enum to `text` through its `as_str` and `FromStr`.
macro_rules! text_columns {
    ($($name:ty),+ $(,)?) => {$(
        impl Type<Postgres> for $name {
            fn type_info() -> PgTypeInfo {
                <str as Type<Postgres>>::type_info()
            }

            fn compatible(ty: &PgTypeInfo) -> bool {
                <str as Type<Postgres>>::compatible(ty)
            }
        }

        impl Encode<'_, Postgres> for $name {
            fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
                <&str as Encode<Postgres>>::encode(self.as_str(), buf)
            }
        }

        impl<'r> Decode<'r, Postgres> for $name {
            fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
                Ok(<&str as Decode<Postgres>>::decode(value)?.parse::<$name>()?)
            }
        }
    )+};
}

text_columns!(
    JobState,
    JobKind,
    AssetState,
    TrashState,
    EndpointKind,
    EndpointState,
    DeliveryState,
    DeliveryTrigger
);
