//! How the domain's handles and states appear in the API document: each handle a string with
//! the exact pattern its parser accepts, so a generated client (or a fuzzer) that follows the
//! document never sends one the server refuses as malformed.

use std::borrow::Cow;

use utoipa::{
    PartialSchema, ToSchema,
    openapi::{ObjectBuilder, RefOr, Schema, schema::Type},
};

use crate::{
    domain::{
        AssetHandle, AssetState, BatchHandle, CompanyHandle, DeliveryState, DeliveryTrigger, EndpointKind,
        EndpointState, FolderPath, JobHandle, JobKind, JobState,
    },
    webhook::EndpointHandle,
};

/// An id inside a handle: a positive number that fits an `i64` (the parser refuses 0).
const ID: &str = "0*[1-9][0-9]{0,17}";

fn text(description: &str, pattern: String, example: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .pattern(Some(pattern))
        .examples([example])
        .into()
}

/// Implements the schema of a handle type under its own component name.
macro_rules! handle_schema {
    ($handle:ty, $name:literal, $description:literal, $pattern:expr, $example:literal) => {
        impl PartialSchema for $handle {
            fn schema() -> RefOr<Schema> {
                text($description, $pattern, $example)
            }
        }

        impl ToSchema for $handle {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }
        }
    };
}

handle_schema!(CompanyHandle, "CompanyHandle", "A company: `c|<id>`.", format!("^c\\|{ID}$"), "c|1000001");
handle_schema!(
    AssetHandle,
    "AssetHandle",
    "An asset: `a|<companyId>|1|<assetId>`, the IPS image shape, as every answer gives it. The \
     older `a|<assetId>|1|<assetId>` and `a|<assetId>` still name that asset; any other \
     `a|<n>|<n>|<n>` is well formed and names no asset (404).",
    format!("^a\\|{ID}(\\|{ID}\\|{ID})?$"),
    "a|1000001|1|42"
);
handle_schema!(
    JobHandle,
    "JobHandle",
    "A copy job: `j|<companyId>||copyImage-<jobId>|<jobId>`, the IPS job handle shape.",
    // The name part spells the job id without leading zeros; the last part is that id.
    format!("^j\\|{ID}\\|\\|copyImage-([1-9][0-9]{{0,17}})\\|0*\\1$"),
    "j|1000001||copyImage-7|7"
);
handle_schema!(
    BatchHandle,
    "BatchHandle",
    "A batch of copies: `b|<companyId>|<batchId>`.",
    format!("^b\\|{ID}\\|{ID}$"),
    "b|1000001|3"
);
handle_schema!(
    EndpointHandle,
    "WebhookHandle",
    "A webhook endpoint: `w|<id>`.",
    format!("^w\\|{ID}$"),
    "w|5"
);
handle_schema!(
    FolderPath,
    "FolderHandle",
    "A folder: its path from the company root, ending in `/` (an `f|` prefix is accepted); no \
     empty, `.` or `..` segment, no control character, at most 1,024 bytes.",
    format!("^(f\\|)?({SEGMENT}/){{1,64}}$"),
    "Acme/uploads/"
);

/// One folder segment: not empty, not `.` or `..`, without `/` or a control character.
const SEGMENT: &str = "(?:[^/.\\x00-\\x1f\\x7f-\\x9f][^/\\x00-\\x1f\\x7f-\\x9f]{0,15}|\\.[^/.\\x00-\\x1f\\x7f-\\x9f][^/\\x00-\\x1f\\x7f-\\x9f]{0,14}|\\.\\.[^/\\x00-\\x1f\\x7f-\\x9f]{1,14})";

/// Implements the schema of a state enum: a string that is one of its stable names.
macro_rules! state_schema {
    ($state:ty, $name:literal, $description:literal) => {
        impl PartialSchema for $state {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some($description))
                    .enum_values(Some(<$state>::ALL.iter().map(|s| s.as_str())))
                    .into()
            }
        }

        impl ToSchema for $state {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }
        }
    };
}

state_schema!(JobState, "JobState", "`queued` and `running` change; the others are final.");
state_schema!(JobKind, "JobKind", "`copy` renders an asset; `import` fetches a master from a URL.");
state_schema!(AssetState, "AssetState", "`pending` until the copy is rendered, then `ready` (or `failed`).");
state_schema!(
    EndpointKind,
    "WebhookKind",
    "`endpoint` (registered) or `callback` (signs callbackUrl deliveries)."
);
state_schema!(EndpointState, "WebhookState", "Whether the endpoint receives deliveries.");
state_schema!(DeliveryState, "DeliveryState", "Where one message's delivery to the endpoint is.");
state_schema!(DeliveryTrigger, "DeliveryTrigger", "`scheduled`, `manual` (a resend) or `recovery`.");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::AssetRef;

    fn pattern_of<T: ToSchema>() -> fancy_regex::Regex {
        let RefOr::T(Schema::Object(object)) = T::schema() else { panic!("not an object schema") };
        fancy_regex::Regex::new(object.pattern.as_deref().expect("a pattern")).expect("a valid pattern")
    }

    /// Whether the pattern admits exactly the candidates the parser takes.
    fn agrees<T: ToSchema>(parses: impl Fn(&str) -> bool, candidates: &[&str]) {
        let pattern = pattern_of::<T>();
        for candidate in candidates {
            let admitted = pattern.is_match(candidate).unwrap();
            assert_eq!(admitted, parses(candidate), "{} on {candidate:?}", T::name());
        }
    }

    const IDS: [&str; 5] = ["1", "1000001", "007", "0", "99999999999999999999"];

    #[test]
    fn each_handle_pattern_admits_exactly_what_its_parser_takes() {
        let mut texts = Vec::new();
        for prefix in ["c", "a", "j", "b", "w", "x"] {
            for n in IDS {
                texts.push(format!("{prefix}|{n}"));
                texts.push(format!("{prefix}|{n}|1|{n}"));
                texts.push(format!("{prefix}|{n}|1|7"));
                texts.push(format!("{prefix}|{n}|{n}"));
                texts.push(format!("{prefix}|{n}||copyImage-{n}|{n}"));
                texts.push(format!("{prefix}|{n}||copyImage-7|{n}"));
            }
        }
        texts.extend(
            [
                "",
                "c|",
                "a|",
                "c|1|",
                "a|1|2|1",
                "c|01x",
                "a|739|1|537",
                "a|944|10|2",
                "a|1|2",
                "a|1|1|1|1",
                "a|1||1",
            ]
            .map(String::from),
        );
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        agrees::<CompanyHandle>(|t| CompanyHandle::parse(t).is_ok(), &texts);
        agrees::<AssetHandle>(|t| AssetRef::parse(t).is_ok(), &texts);
        agrees::<JobHandle>(|t| JobHandle::parse(t).is_ok(), &texts);
        agrees::<BatchHandle>(|t| BatchHandle::parse(t).is_ok(), &texts);
        agrees::<EndpointHandle>(|t| EndpointHandle::parse(t).is_ok(), &texts);
    }

    #[test]
    fn the_folder_pattern_admits_only_folders_the_parser_takes() {
        let folders = [
            "Acme/",
            "f|Acme/uploads/",
            "Acme/.hidden/..x/",
            "Acme",
            "/Acme/",
            "Acme/../",
            "Acme//",
            "Acme/./",
            "Acme/\u{1}/",
            "f|",
            "",
        ];
        agrees::<FolderPath>(|t| FolderPath::parse_handle(t).is_ok(), &folders);
    }
}
