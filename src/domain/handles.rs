//! IPS handle shapes (spec/ips-api.md §2). Clients treat them as opaque; we parse them strictly.

use std::fmt;

use super::Fault;

/// `c|<companyId>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompanyHandle(pub i64);

/// `a|<companyId>|1|<assetId>`: an image asset of a company, the handle we issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssetHandle {
    pub company_id: i64,
    pub asset_id: i64,
}

/// An asset handle as a client sends it; only [`AssetRef::asset_in`] says which asset it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssetRef {
    /// `a|N` or `a|N|1|N`, the shapes issued before handles carried the company: asset N of
    /// whichever company asks.
    Legacy { asset_id: i64, short: bool },
    /// `a|C|1|N`, the shape we issue: asset N of company C.
    Issued(AssetHandle),
    /// Any other `a|X|Y|Z`, such as a real IPS handle (`a|944|10|2`): well formed, but we never
    /// issue one, so it names no asset.
    Foreign([i64; 3]),
}

/// `j|<companyId>||copyImage-<jobId>|<jobId>`, the IPS job handle shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobHandle {
    pub company_id: i64,
    pub job_id: i64,
}

fn id(part: Option<&str>) -> Option<i64> {
    part.filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|p| p.parse().ok())
        .filter(|&n| n > 0)
}

fn malformed(what: &str, text: &str) -> Fault {
    Fault::invalid_parameter(format!("{what} {text:?} is not a valid handle"))
}

impl CompanyHandle {
    pub fn parse(text: &str) -> Result<Self, Fault> {
        let mut parts = text.split('|');
        match (parts.next(), id(parts.next()), parts.next()) {
            (Some("c"), Some(n), None) => Ok(Self(n)),
            _ => Err(malformed("companyHandle", text)),
        }
    }
}

impl fmt::Display for CompanyHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "c|{}", self.0)
    }
}

impl AssetHandle {
    /// Asset `asset_id` of company `company_id`.
    pub fn new(company_id: i64, asset_id: i64) -> Self {
        Self { company_id, asset_id }
    }
}

impl fmt::Display for AssetHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a|{}|1|{}", self.company_id, self.asset_id)
    }
}

impl AssetRef {
    /// Parses `a|N` or `a|X|Y|Z` with positive numbers; anything else is malformed (30001).
    pub fn parse(text: &str) -> Result<Self, Fault> {
        let parts: Vec<&str> = text.split('|').collect();
        let parsed = match parts.as_slice() {
            ["a", n] => id(Some(n)).map(|asset_id| Self::Legacy { asset_id, short: true }),
            ["a", x, y, z] => match (id(Some(x)), id(Some(y)), id(Some(z))) {
                (Some(x), Some(1), Some(z)) if x == z => Some(Self::Legacy { asset_id: z, short: false }),
                (Some(x), Some(1), Some(z)) => Some(Self::Issued(AssetHandle::new(x, z))),
                (Some(x), Some(y), Some(z)) => Some(Self::Foreign([x, y, z])),
                _ => None,
            },
            _ => None,
        };
        parsed.ok_or_else(|| malformed("assetHandle", text))
    }

    /// The asset this handle names in company `company_id`; `None` when it can name none there,
    /// which callers answer exactly like an asset that does not exist.
    pub fn asset_in(&self, company_id: i64) -> Option<i64> {
        match *self {
            Self::Legacy { asset_id, .. } => Some(asset_id),
            Self::Issued(handle) => (handle.company_id == company_id).then_some(handle.asset_id),
            Self::Foreign(_) => None,
        }
    }

    /// The asset id this handle names in its company (any company, for the legacy shapes).
    pub fn asset_id(&self) -> Option<i64> {
        match *self {
            Self::Legacy { asset_id, .. } | Self::Issued(AssetHandle { asset_id, .. }) => Some(asset_id),
            Self::Foreign(_) => None,
        }
    }
}

/// The handle in the shape the client sent it (numbers without leading zeros).
impl fmt::Display for AssetRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Legacy { asset_id, short: true } => write!(f, "a|{asset_id}"),
            Self::Legacy { asset_id, short: false } => write!(f, "a|{asset_id}|1|{asset_id}"),
            Self::Issued(handle) => handle.fmt(f),
            Self::Foreign([x, y, z]) => write!(f, "a|{x}|{y}|{z}"),
        }
    }
}

/// The company and id of a job-shaped handle `j|<company>||<kind>-<id>|<id>`.
fn job_shaped(text: &str, kind: &str) -> Option<(i64, i64)> {
    match text.split('|').collect::<Vec<_>>().as_slice() {
        ["j", company, "", name, n] => {
            let (company, n) = (id(Some(company))?, id(Some(n))?);
            (*name == format!("{kind}-{n}")).then_some((company, n))
        }
        _ => None,
    }
}

impl JobHandle {
    pub fn parse(text: &str) -> Result<Self, Fault> {
        job_shaped(text, "copyImage")
            .map(|(company_id, job_id)| Self { company_id, job_id })
            .ok_or_else(|| malformed("jobHandle", text))
    }
}

impl fmt::Display for JobHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "j|{}||copyImage-{}|{}", self.company_id, self.job_id, self.job_id)
    }
}

/// `j|<companyId>||UrlUpload-<batchId>|<batchId>`: an import as the one IPS job its items make
/// (the handle `submitJob` answers an `uploadUrlsJob` with).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportJobHandle {
    pub company_id: i64,
    pub batch_id: i64,
}

impl ImportJobHandle {
    pub fn parse(text: &str) -> Result<Self, Fault> {
        job_shaped(text, "UrlUpload")
            .map(|(company_id, batch_id)| Self { company_id, batch_id })
            .ok_or_else(|| malformed("jobHandle", text))
    }
}

impl fmt::Display for ImportJobHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "j|{}||UrlUpload-{}|{}", self.company_id, self.batch_id, self.batch_id)
    }
}

/// `j|<companyId>||uploadFileServlet-<id>|<id>`: a job of the UploadFile servlet, the shape IPS
/// gives those.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadJobHandle {
    pub company_id: i64,
    pub upload_job_id: i64,
}

impl UploadJobHandle {
    pub fn parse(text: &str) -> Result<Self, Fault> {
        job_shaped(text, "uploadFileServlet")
            .map(|(company_id, upload_job_id)| Self { company_id, upload_job_id })
            .ok_or_else(|| malformed("jobHandle", text))
    }
}

impl fmt::Display for UploadJobHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "j|{}||uploadFileServlet-{}|{}", self.company_id, self.upload_job_id, self.upload_job_id)
    }
}

/// `b|<companyId>|<batchId>`: a batch of copies submitted together (our extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchHandle {
    pub company_id: i64,
    pub batch_id: i64,
}

impl BatchHandle {
    pub fn parse(text: &str) -> Result<Self, Fault> {
        let mut parts = text.split('|');
        match (parts.next(), id(parts.next()), id(parts.next()), parts.next()) {
            (Some("b"), Some(company_id), Some(batch_id), None) => Ok(Self { company_id, batch_id }),
            _ => Err(malformed("batchHandle", text)),
        }
    }
}

impl fmt::Display for BatchHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b|{}|{}", self.company_id, self.batch_id)
    }
}

/// A folder handle: the folder's path from the server root, starting with the company's root
/// path and ending in `/` (an `f|` prefix is accepted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderPath(String);

/// Longest folder path accepted, in bytes.
const MAX_FOLDER_PATH: usize = 1024;

impl FolderPath {
    /// Parses a folder handle as a client sends it.
    pub fn parse_handle(text: &str) -> Result<Self, Fault> {
        let path = text.strip_prefix("f|").unwrap_or(text);
        Self::normalise(path).map_err(|why| Fault::invalid_parameter(format!("folderHandle {text:?} {why}")))
    }

    /// Builds the handle of `sub` (e.g. `/images/2024`) under a company's root path.
    pub fn under_root(root: &str, sub: &str) -> Result<Self, Fault> {
        let sub = sub.trim_matches('/');
        let path = if sub.is_empty() { root.to_string() } else { format!("{root}{sub}/") };
        Self::normalise(&path).map_err(|why| Fault::invalid_parameter(format!("folder path {sub:?} {why}")))
    }

    fn normalise(path: &str) -> Result<Self, &'static str> {
        if path.is_empty() || path.len() > MAX_FOLDER_PATH {
            return Err("must be 1 to 1024 bytes long");
        }
        if !path.ends_with('/') {
            return Err("must end with '/'");
        }
        if path.starts_with('/') {
            return Err("must start with the company root path, not '/'");
        }
        for segment in path[..path.len() - 1].split('/') {
            if segment.is_empty() || segment == "." || segment == ".." {
                return Err("has an empty, '.' or '..' segment");
            }
            if segment.chars().any(|c| c.is_control()) {
                return Err("contains a control character");
            }
        }
        Ok(Self(path.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The company root path this folder sits under (its first segment, with the `/`).
    pub fn root(&self) -> &str {
        let end = self.0.find('/').map_or(self.0.len(), |i| i + 1);
        &self.0[..end]
    }
}

impl fmt::Display for FolderPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Handles leave every answer in their text form.
macro_rules! serialize_as_text {
    ($($handle:ty),+) => {$(
        impl serde::Serialize for $handle {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }
    )+};
}

serialize_as_text!(CompanyHandle, AssetHandle, JobHandle, BatchHandle, FolderPath);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::FaultClass;

    const COMPANY: i64 = 7;

    #[test]
    fn our_asset_handles_carry_the_company_and_round_trip() {
        let h = AssetHandle::new(COMPANY, 943);
        assert_eq!(h.to_string(), "a|7|1|943");
        let parsed = AssetRef::parse("a|7|1|943").unwrap();
        assert_eq!(parsed, AssetRef::Issued(h));
        assert_eq!(parsed.to_string(), "a|7|1|943");
        assert_eq!(parsed.asset_in(COMPANY), Some(943));
    }

    #[test]
    fn our_handle_names_no_asset_of_another_company() {
        assert_eq!(AssetRef::parse("a|7|1|943").unwrap().asset_in(8), None);
    }

    #[test]
    fn legacy_handles_name_their_asset_in_any_company() {
        for (text, short) in [("a|943", true), ("a|943|1|943", false)] {
            let parsed = AssetRef::parse(text).unwrap();
            assert_eq!(parsed, AssetRef::Legacy { asset_id: 943, short }, "{text}");
            assert_eq!(parsed.to_string(), text);
            assert_eq!((parsed.asset_in(COMPANY), parsed.asset_in(8)), (Some(943), Some(943)), "{text}");
        }
    }

    #[test]
    fn a_real_ips_handle_with_unequal_numbers_parses_and_names_no_asset_of_ours() {
        let parsed = AssetRef::parse("a|739|1|537").unwrap();
        assert_eq!(parsed.to_string(), "a|739|1|537");
        assert_eq!(parsed.asset_in(COMPANY), None);
    }

    #[test]
    fn a_real_ips_handle_of_another_asset_type_parses_and_names_no_asset() {
        for text in ["a|944|10|2", "a|716|25|160", "a|7|2|7"] {
            let parsed = AssetRef::parse(text).unwrap();
            assert!(matches!(parsed, AssetRef::Foreign(_)), "{text}");
            assert_eq!(parsed.to_string(), text);
            assert_eq!((parsed.asset_in(COMPANY), parsed.asset_id()), (None, None), "{text}");
        }
    }

    #[test]
    fn malformed_asset_handles_are_refused_with_invalid_parameter() {
        for bad in [
            "",
            "x",
            "a",
            "a|",
            "a|0",
            "a|-1",
            "a|1x",
            "a|1|2",
            "a|1|2|3|4",
            "a|1||1",
            "a|0|1|5",
            "a|5|0|5",
            "c|1",
            "a|99999999999999999999",
            "a|1|1|99999999999999999999",
            "A|1",
        ] {
            let fault = AssetRef::parse(bad).unwrap_err();
            assert_eq!((fault.code, fault.class), (Fault::INVALID_PARAMETER, FaultClass::Invalid), "{bad}");
            assert!(fault.reason.contains("not a valid handle"), "{bad}: {}", fault.reason);
        }
    }

    #[test]
    fn job_handles_follow_the_ips_shape_and_round_trip() {
        let h = JobHandle { company_id: 6, job_id: 41 };
        assert_eq!(h.to_string(), "j|6||copyImage-41|41");
        assert_eq!(JobHandle::parse("j|6||copyImage-41|41"), Ok(h));
        assert!(JobHandle::parse("j|6||copyImage-40|41").is_err());
        let import = ImportJobHandle { company_id: 6, batch_id: 9 };
        assert_eq!(import.to_string(), "j|6||UrlUpload-9|9");
        assert_eq!(ImportJobHandle::parse("j|6||UrlUpload-9|9"), Ok(import));
        assert!(JobHandle::parse("j|6||UrlUpload-9|9").is_err(), "the two kinds never mix");
        assert!(ImportJobHandle::parse("j|6||copyImage-9|9").is_err());
        let upload = UploadJobHandle { company_id: 6, upload_job_id: 3 };
        assert_eq!(UploadJobHandle::parse(&upload.to_string()), Ok(upload));
    }

    #[test]
    fn batch_handles_round_trip() {
        let h = BatchHandle { company_id: 3, batch_id: 12 };
        assert_eq!(h.to_string(), "b|3|12");
        assert_eq!(BatchHandle::parse("b|3|12"), Ok(h));
        assert!(BatchHandle::parse("b|3").is_err());
    }

    #[test]
    fn company_handles_parse_only_the_c_prefix_shape() {
        assert_eq!(CompanyHandle::parse("c|21"), Ok(CompanyHandle(21)));
        assert!(CompanyHandle::parse("21").is_err());
        assert!(CompanyHandle::parse("c|21|x").is_err());
    }

    #[test]
    fn folder_handles_end_in_slash_and_refuse_traversal() {
        assert_eq!(FolderPath::parse_handle("f|Acme/uploads/").unwrap().as_str(), "Acme/uploads/");
        assert_eq!(FolderPath::parse_handle("Acme/uploads/").unwrap().root(), "Acme/");
        for bad in ["Acme/uploads", "/Acme/", "Acme/../x/", "Acme//x/", "Acme/\u{0}/", ""] {
            assert!(FolderPath::parse_handle(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn f_prefixed_folder_handles_as_ips_sends_them_name_the_same_folder_as_the_bare_path() {
        for (text, path) in [
            ("f|MyCompany/uploadTestDir/", "MyCompany/uploadTestDir/"),
            ("f|MyCompany/My New Images/2024/", "MyCompany/My New Images/2024/"),
            ("f|Acme/", "Acme/"),
        ] {
            let folder = FolderPath::parse_handle(text).unwrap();
            assert_eq!(folder, FolderPath::parse_handle(path).unwrap(), "{text}");
            assert_eq!((folder.as_str(), folder.to_string().as_str()), (path, path), "{text}");
        }
        for bad in ["f|", "f|/Acme/", "f|Acme", "f|Acme/../"] {
            assert!(FolderPath::parse_handle(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sub_folders_are_built_under_the_company_root() {
        assert_eq!(FolderPath::under_root("Acme/", "/images/2024/").unwrap().as_str(), "Acme/images/2024/");
        assert_eq!(FolderPath::under_root("Acme/", "/").unwrap().as_str(), "Acme/");
        assert!(FolderPath::under_root("Acme/", "../etc").is_err());
    }
}
