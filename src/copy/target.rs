//! One copy's target, as a single copy and every batch item name it, and the rules it must
//! pass that need no I/O: well-formed fields, and a source that may be copied.

use serde::Deserialize;

use crate::domain::{AssetHandle, AssetRef, AssetState, CompanyHandle, Fault, FolderPath, names};

/// One copy to make, with the IPS `copyImageParam` field names: the source, the folder and
/// name of the copy, the Image Serving commands to render it with, and where to announce it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CopyTarget {
    /// The source image.
    #[serde(default)]
    #[schema(value_type = AssetHandle, required = true)]
    pub asset_handle: String,
    /// The folder the copy goes in.
    #[serde(default)]
    #[schema(value_type = FolderPath, required = true)]
    pub folder_handle: String,
    /// The copy's name, unique in the company: no `/` or `\`, not `.` or `..`, no control
    /// character, no leading or trailing space.
    #[serde(default)]
    #[schema(
        required = true,
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\s/\\\x00-\x1f\x7f-\x9f](?:[^/\\\x00-\x1f\x7f-\x9f]*[^\s/\\\x00-\x1f\x7f-\x9f])?$"
    )]
    pub name: String,
    /// Image Serving commands, e.g. `wid=500&fmt=png`; empty copies the source as it is.
    #[serde(default)]
    pub url_modifier: String,
    /// Where to POST this copy's signed `copy.*` event, besides the company's endpoints.
    #[serde(default)]
    #[schema(format = "uri")]
    pub callback_url: Option<String>,
}

impl CopyTarget {
    /// 30002 naming the first of `assetHandle`, `folderHandle` and `name` that is empty.
    pub fn require_fields(&self) -> Result<(), Fault> {
        for (field, value) in
            [("assetHandle", &self.asset_handle), ("folderHandle", &self.folder_handle), ("name", &self.name)]
        {
            if value.is_empty() {
                return Err(Fault::missing_parameter(field));
            }
        }
        Ok(())
    }

    /// Checks the fields in one order with one set of faults: presence, the source and folder
    /// handles, the new name, the modifier.
    pub fn parse(&self) -> Result<(AssetRef, FolderPath), Fault> {
        self.require_fields()?;
        let source = AssetRef::parse(&self.asset_handle)?;
        let folder = FolderPath::parse_handle(&self.folder_handle)?;
        names::validate("name", &self.name)?;
        ipscopy_render::parse(&self.url_modifier)
            .map_err(|e| Fault::invalid_parameter(format!("urlModifier is invalid: {e}")))?;
        Ok((source, folder))
    }
}

/// What the catalog holds about a copy's source asset.
#[derive(Debug, Clone, Copy)]
pub struct SourceFacts<'a> {
    pub asset_id: i64,
    pub company_id: i64,
    /// The asset type, `Image` for a copyable master.
    pub kind: &'a str,
    pub state: AssetState,
    pub in_trash: bool,
}

/// The id of the asset `source` names, if it may be copied in `company`; `facts` describes the
/// asset (`None`: no such asset, or a handle that names none in `company`). Another company's
/// asset is answered exactly like a missing one.
pub fn check_source(
    source: AssetRef,
    company: CompanyHandle,
    facts: Option<SourceFacts<'_>>,
) -> Result<i64, Fault> {
    match facts {
        Some(f) if f.company_id == company.0 && f.in_trash => Err(Fault::invalid_parameter(format!(
            "asset {source} is in the trash; restore it with restoreAssetsFromTrash first"
        ))),
        Some(f) if f.company_id == company.0 && f.kind == "Image" && f.state == AssetState::Ready => {
            Ok(f.asset_id)
        }
        Some(f) if f.company_id == company.0 && f.state == AssetState::Pending => {
            Err(Fault::invalid_parameter(format!("asset {source} is not rendered yet")))
        }
        _ => Err(Fault::not_found(format!("asset {source} does not exist in company {company}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::FaultClass;

    fn target(asset: &str, folder: &str, name: &str, modifier: &str) -> CopyTarget {
        CopyTarget {
            asset_handle: asset.into(),
            folder_handle: folder.into(),
            name: name.into(),
            url_modifier: modifier.into(),
            callback_url: None,
        }
    }

    const COMPANY: CompanyHandle = CompanyHandle(7);
    const SOURCE: AssetRef = AssetRef::Legacy { asset_id: 42, short: false };

    fn facts(company_id: i64, kind: &'static str, state: AssetState, in_trash: bool) -> SourceFacts<'static> {
        SourceFacts { asset_id: 42, company_id, kind, state, in_trash }
    }

    #[test]
    fn a_well_formed_target_yields_its_source_and_folder() {
        let (source, folder) =
            target("a|42|1|42", "Acme/copies/", "small", "wid=32&fmt=png").parse().unwrap();
        assert_eq!(source, SOURCE);
        assert_eq!(folder.as_str(), "Acme/copies/");
    }

    #[test]
    fn a_target_may_name_its_source_by_a_real_ips_handle_which_is_no_malformed_field() {
        let (source, _) = target("a|739|1|537", "Acme/copies/", "small", "").parse().unwrap();
        assert_eq!(source.asset_in(COMPANY.0), None);
        let fault = check_source(source, COMPANY, None).unwrap_err();
        assert_eq!(fault.class, FaultClass::NotFound);
        assert_eq!(fault.reason, "asset a|739|1|537 does not exist in company c|7");
    }

    #[test]
    fn the_first_missing_field_is_named_with_30002() {
        for (t, field) in [
            (target("", "", "", ""), "assetHandle"),
            (target("a|1", "", "", ""), "folderHandle"),
            (target("a|1", "Acme/", "", ""), "name"),
        ] {
            let fault = t.parse().unwrap_err();
            assert_eq!(fault.code, Fault::MISSING_PARAMETER);
            assert_eq!(fault.reason, format!("{field} is required"));
        }
    }

    #[test]
    fn handles_are_checked_before_the_name_and_the_name_before_the_modifier() {
        let cases = [
            (target("x|1", "bad", "../up", "wid=abc"), "assetHandle"),
            (target("a|1", "no-slash", "../up", "wid=abc"), "folderHandle"),
            (target("a|1", "Acme/", "../up", "wid=abc"), "name"),
            (target("a|1", "Acme/", "fine", "wid=abc"), "urlModifier"),
        ];
        for (t, field) in cases {
            let fault = t.parse().unwrap_err();
            assert_eq!(fault.code, Fault::INVALID_PARAMETER, "{}", fault.reason);
            assert!(fault.reason.starts_with(field), "{:?} should start with {field}", fault.reason);
        }
    }

    #[test]
    fn an_empty_modifier_copies_the_image_as_it_is() {
        assert!(target("a|1", "Acme/", "plain", "").parse().is_ok());
    }

    #[test]
    fn only_a_ready_image_of_the_company_outside_the_trash_may_be_copied() {
        assert_eq!(check_source(SOURCE, COMPANY, Some(facts(7, "Image", AssetState::Ready, false))), Ok(42));

        let trashed =
            check_source(SOURCE, COMPANY, Some(facts(7, "Image", AssetState::Ready, true))).unwrap_err();
        assert_eq!((trashed.code, trashed.class), (Fault::INVALID_PARAMETER, FaultClass::Invalid));
        assert!(trashed.reason.contains("in the trash; restore it"), "{}", trashed.reason);

        let pending =
            check_source(SOURCE, COMPANY, Some(facts(7, "Image", AssetState::Pending, false))).unwrap_err();
        assert!(pending.reason.contains("not rendered yet"), "{}", pending.reason);
    }

    #[test]
    fn another_companys_missing_or_unusable_source_reads_as_missing() {
        for f in [
            None,
            Some(facts(8, "Image", AssetState::Ready, false)),
            Some(facts(7, "Image", AssetState::Failed, false)),
        ] {
            let fault = check_source(SOURCE, COMPANY, f).unwrap_err();
            assert_eq!(fault.class, FaultClass::NotFound, "{f:?}");
            assert_eq!(fault.reason, "asset a|42|1|42 does not exist in company c|7");
        }
    }
}
