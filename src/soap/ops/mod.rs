//! The IPS operations: which access each needs, the parameter helpers they share, dispatch.

mod assets;
mod copy;
mod folders;
mod jobs;
mod trash;
mod types;
mod users;

use crate::{
    auth::{self, Caller},
    db::{self, companies::CompanyRow},
    domain::{CompanyHandle, Fault, FolderPath, Role, role::Access},
    error::Result,
    soap::xml::{Element, Node},
    state::AppState,
};

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Works inside the company named by `companyHandle`, with read or write access.
    Company(Access),
    /// Concerns the caller's own account: any user holding a role that may read somewhere.
    User,
}

/// Every operation the front implements, with its scope. The WSDL lists exactly these.
pub const OPERATIONS: &[(&str, Scope)] = &[
    ("checkAssetNames", Scope::Company(Access::Read)),
    ("checkLogin", Scope::User),
    ("copyImage", Scope::Company(Access::Write)),
    ("createFolder", Scope::Company(Access::Write)),
    ("deleteAsset", Scope::Company(Access::Write)),
    ("deleteAssets", Scope::Company(Access::Write)),
    ("getActiveJobs", Scope::Company(Access::Read)),
    ("getAssets", Scope::Company(Access::Read)),
    ("getAssetsByName", Scope::Company(Access::Read)),
    ("getCompanyInfo", Scope::Company(Access::Read)),
    ("getCompanyMembership", Scope::User),
    ("getFolderTree", Scope::Company(Access::Read)),
    ("getFolders", Scope::Company(Access::Read)),
    ("getJobLogDetails", Scope::Company(Access::Read)),
    ("getUserInfo", Scope::User),
    ("restoreAssetsFromTrash", Scope::Company(Access::Write)),
    ("searchAssets", Scope::Company(Access::Read)),
    ("setUrlModifier", Scope::Company(Access::Write)),
];

/// The scope of a supported operation.
pub fn scope_of(op: &str) -> Option<Scope> {
    OPERATIONS.iter().find(|(name, _)| *name == op).map(|(_, scope)| *scope)
}

/// One authenticated call: the caller, the parameter element and what it may touch.
pub struct Call<'a> {
    pub state: &'a AppState,
    pub caller: &'a Caller,
    pub params: &'a Element,
    pub scope: Scope,
}

impl Call<'_> {
    /// A parameter's text, as sent.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.params.child(name).map(|e| e.text.as_str())
    }

    /// A parameter's trimmed text, if present and not blank.
    pub fn optional(&self, name: &str) -> Option<&str> {
        self.text(name).map(str::trim).filter(|t| !t.is_empty())
    }

    /// A parameter that must be present and not blank (30002 otherwise).
    pub fn required(&self, name: &str) -> Result<&str, Fault> {
        self.optional(name).ok_or_else(|| Fault::missing_parameter(name))
    }

    /// The `items` of an array parameter; `None` when the array is absent.
    pub fn array(&self, name: &str) -> Option<Vec<String>> {
        self.params
            .child(name)
            .map(|a| a.children_named("items").map(|i| i.text.trim().to_string()).collect())
    }

    /// An array that must be present (it may be empty).
    pub fn required_array(&self, name: &str) -> Result<Vec<String>, Fault> {
        self.array(name).ok_or_else(|| Fault::missing_parameter(name))
    }

    pub fn int(&self, name: &str) -> Result<Option<i64>, Fault> {
        self.optional(name)
            .map(|t| {
                t.parse().map_err(|_| Fault::invalid_parameter(format!("{name} {t:?} is not an integer")))
            })
            .transpose()
    }

    pub fn boolean(&self, name: &str) -> Result<Option<bool>, Fault> {
        self.optional(name)
            .map(|t| match t {
                "true" | "1" => Ok(true),
                "false" | "0" => Ok(false),
                _ => Err(Fault::invalid_parameter(format!("{name} {t:?} is not true or false"))),
            })
            .transpose()
    }

    /// The company named by `companyHandle`, once the caller is authorized there for this
    /// operation's access (20000 for a company that is unknown or not the caller's, 20003
    /// for a role that may not).
    pub async fn company(&self) -> Result<CompanyRow> {
        let handle = company_handle(self.required("companyHandle")?)?;
        self.company_by_handle(handle).await
    }

    pub async fn company_by_handle(&self, handle: CompanyHandle) -> Result<CompanyRow> {
        let access = match self.scope {
            Scope::Company(access) => access,
            Scope::User => Access::Read,
        };
        auth::authorize(&self.state.pool, self.caller, handle, access).await?;
        let company = db::companies::find(&self.state.pool, handle.0).await?;
        Ok(company
            .ok_or_else(|| Fault::new(Fault::INVALID_COMPANY, format!("no access to company {handle}")))?)
    }

    /// A folder named by a handle (`Acme/images/`, `f|Acme/images/`) or by a path under the
    /// company root (`/images`), checked to exist; returns its id and handle.
    pub async fn folder(&self, company: &CompanyRow, field: &str, text: &str) -> Result<(i64, FolderPath)> {
        let path = if text.strip_prefix("f|").unwrap_or(text).starts_with(&company.root_path) {
            FolderPath::parse_handle(text)?
        } else {
            FolderPath::under_root(&company.root_path, text)?
        };
        match db::folders::find(&self.state.pool, company.company_id, path.as_str()).await? {
            Some(id) => Ok((id, path)),
            None => Err(Fault::not_found(format!(
                "{field} {path} is not a folder of company {}",
                CompanyHandle(company.company_id)
            ))
            .into()),
        }
    }
}

/// Parses a company handle; pre-4.0 clients send the bare id (`47`), later ones `c|47`.
pub fn company_handle(text: &str) -> Result<CompanyHandle, Fault> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return CompanyHandle::parse(&format!("c|{text}"));
    }
    CompanyHandle::parse(text)
}

/// Checks a user-scoped call: IpsAdmin, or an active membership whose role may read.
async fn authorize_user(call: &Call<'_>) -> Result<()> {
    if call.caller.is_ips_admin() {
        return Ok(());
    }
    let memberships = db::users::memberships(&call.state.pool, call.caller.user_id).await?;
    let roles: Vec<Role> =
        memberships.iter().filter(|m| m.is_active).filter_map(|m| m.role.parse().ok()).collect();
    if roles.is_empty() {
        return Err(Fault::new(Fault::INVALID_COMPANY, "the user has no active company membership").into());
    }
    if roles.iter().any(|r| r.allows(Access::Read)) {
        Ok(())
    } else {
        Err(Fault::new(
            Fault::NO_OPERATION_PERMISSION,
            format!("role {} may not call IPS operations", roles[0]),
        )
        .into())
    }
}

/// Runs an operation; returns its `<op>Return` element (namespace added by the caller).
pub async fn dispatch(op: &str, call: &Call<'_>) -> Result<Node> {
    if call.scope == Scope::User {
        authorize_user(call).await?;
    }
    match op {
        "copyImage" => copy::copy_image(call).await,
        "getAssets" => assets::get_assets(call).await,
        "getAssetsByName" => assets::get_assets_by_name(call).await,
        "searchAssets" => assets::search_assets(call).await,
        "checkAssetNames" => assets::check_asset_names(call).await,
        "setUrlModifier" => assets::set_url_modifier(call).await,
        "deleteAsset" => trash::delete_asset(call).await,
        "deleteAssets" => trash::delete_assets(call).await,
        "restoreAssetsFromTrash" => trash::restore_assets(call).await,
        "getFolders" => folders::get_folders(call).await,
        "getFolderTree" => folders::get_folder_tree(call).await,
        "createFolder" => folders::create_folder(call).await,
        "getCompanyInfo" => users::get_company_info(call).await,
        "getUserInfo" => users::get_user_info(call).await,
        "getCompanyMembership" => users::get_company_membership(call).await,
        "checkLogin" => users::check_login(call).await,
        "getActiveJobs" => jobs::get_active_jobs(call).await,
        "getJobLogDetails" => jobs::get_job_log_details(call).await,
        other => {
            Err(Fault::new(Fault::INVALID_REQUEST_XML, format!("operation {other} is not supported")).into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_pre_4_0_company_ids_and_c_handles_both_parse() {
        assert_eq!(company_handle("47"), Ok(CompanyHandle(47)));
        assert_eq!(company_handle("c|47"), Ok(CompanyHandle(47)));
        assert_eq!(company_handle("x47").unwrap_err().code, Fault::INVALID_PARAMETER);
    }

    #[test]
    fn every_operation_is_listed_once() {
        let mut names: Vec<&str> = OPERATIONS.iter().map(|(op, _)| *op).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), OPERATIONS.len());
    }
}
