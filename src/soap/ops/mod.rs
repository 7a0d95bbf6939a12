//! The IPS operations: which access each needs, the parameter helpers they share, dispatch.

mod assets;
mod copy;
mod folders;
mod job_view;
mod jobs;
mod organize;
mod submit_job;
mod trash;
mod types;
mod users;

pub(super) use submit_job::{flag, upload_options};

use super::schema::Scope;
use crate::{
    auth::{self, Caller},
    db::{self, companies::CompanyRow},
    domain::{AssetRef, CompanyHandle, Fault, FolderPath, Role, role::Access},
    error::{Error, Result},
    soap::xml::{Element, Node},
    state::AppState,
};

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

    /// An `xsd:dateTime` parameter.
    pub fn date_time(&self, name: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, Fault> {
        self.optional(name)
            .map(|text| {
                chrono::DateTime::parse_from_rfc3339(text)
                    .map(|d| d.with_timezone(&chrono::Utc))
                    .map_err(|_| Fault::invalid_parameter(format!("{name} {text:?} is not an xsd:dateTime")))
            })
            .transpose()
    }

    /// `sortDirection`: whether `Descending` was asked for (`default` when it is absent).
    pub fn descending(&self, default: bool) -> Result<bool, Fault> {
        match self.optional("sortDirection") {
            Some(d) => one_of("sortDirection", d, &[("Ascending", false), ("Descending", true)]),
            None => Ok(default),
        }
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
        if let Some(user) = self.optional("accessUserHandle") {
            self.impersonate(handle, user, access).await?;
        }
        let company = db::companies::find(&self.state.pool, handle.0).await?;
        Ok(company
            .ok_or_else(|| Fault::new(Fault::INVALID_COMPANY, format!("no access to company {handle}")))?)
    }

    /// `accessUserHandle`: an IpsAdmin, or an IpsCompanyAdmin of the company, acts as another
    /// user, so the call succeeds only where that user's role allows it (20004 for other callers).
    async fn impersonate(&self, company: CompanyHandle, user: &str, access: Access) -> Result<()> {
        let pool = &self.state.pool;
        let admin = self.caller.is_ips_admin()
            || db::users::active_role(pool, company.0, self.caller.user_id).await?.as_deref()
                == Some(Role::IpsCompanyAdmin.as_str());
        if !admin {
            return Err(Fault::new(
                NO_IMPERSONATION_PERMISSION,
                "only an IpsAdmin or an IpsCompanyAdmin of the company may send accessUserHandle",
            )
            .into());
        }
        let Some(row) = db::users::find_by_id(pool, users::parse_user_handle(user)?).await? else {
            return Err(Fault::new(
                users::INVALID_REQUEST_USER,
                format!("accessUserHandle {user} is no user"),
            )
            .into());
        };
        let target = Caller {
            user_id: row.user_id,
            email: row.email,
            default_role: row.default_role.and_then(|r| r.parse().ok()),
            address: self.caller.address,
        };
        auth::authorize(pool, &target, company, access).await
    }

    /// A folder named by a handle (`Acme/images/`, `f|Acme/images/`) or by a path under the
    /// company root (`/images`), checked to exist; returns its id and handle.
    pub async fn folder(&self, company: &CompanyRow, field: &str, text: &str) -> Result<(i64, FolderPath)> {
        let path = folder_path(company, text)?;
        match db::folders::find(&self.state.pool, company.company_id, path.as_str()).await? {
            Some(id) => Ok((id, path)),
            None => Err(no_folder(field, &path, company).into()),
        }
    }
}

/// A folder of the company as a handle (`f|Acme/a/`, `Acme/a/`) or a path under its root (`/a`).
fn folder_path(company: &CompanyRow, text: &str) -> Result<FolderPath, Fault> {
    if text.strip_prefix("f|").unwrap_or(text).starts_with(&company.root_path) {
        FolderPath::parse_handle(text)
    } else {
        FolderPath::under_root(&company.root_path, text)
    }
}

/// 30001 "does not exist" for a folder the company does not have.
fn no_folder(field: &str, path: &FolderPath, company: &CompanyRow) -> Fault {
    Fault::not_found(format!(
        "{field} {path} is not a folder of company {}",
        CompanyHandle(company.company_id)
    ))
}

/// 30001 "does not exist": the company has no such asset, or the handle names none of its assets.
fn no_asset(asset: &AssetRef, company: &CompanyRow) -> Fault {
    Fault::not_found(format!("asset {asset} does not exist in company {}", CompanyHandle(company.company_id)))
}

/// The id of the company's asset that `asset` names ([`no_asset`] when it names none there).
fn asset_id_in(asset: &AssetRef, company: &CompanyRow) -> Result<i64, Fault> {
    asset.asset_in(company.company_id).ok_or_else(|| no_asset(asset, company))
}

/// Most items one batch call (`deleteAssets`, `moveAssets`, …) takes; each is its own statement.
const MAX_BATCH: usize = 1000;

/// Refuses a batch larger than [`MAX_BATCH`].
fn check_batch(field: &str, len: usize) -> Result<(), Fault> {
    if len > MAX_BATCH {
        return Err(Fault::invalid_parameter(format!("{field} holds more than {MAX_BATCH} items")));
    }
    Ok(())
}

/// The reply of a batch call: counts, and each item's fault in `errorDetailArray`, as IPS batch
/// calls answer instead of faulting. An internal error still fails the whole call.
fn batch_result(reply: &str, results: Vec<(String, Result<()>)>) -> Result<Node> {
    let total = results.len();
    let mut errors = Vec::new();
    for (handle, outcome) in results {
        match outcome {
            Ok(()) => {}
            Err(Error::Fault(fault)) => errors.push(
                Node::new("items")
                    .child(Node::leaf("assetHandle", handle))
                    .child(Node::leaf("code", fault.code))
                    .child(Node::leaf("reason", fault.reason)),
            ),
            Err(internal) => return Err(internal),
        }
    }
    let mut node = Node::new(reply)
        .child(Node::leaf("successCount", total - errors.len()))
        .child(Node::leaf("warningCount", 0))
        .child(Node::leaf("errorCount", errors.len()));
    if !errors.is_empty() {
        node = node.child(Node::array("errorDetailArray", errors));
    }
    Ok(node)
}

/// The value of `choices` named `value` (30001 naming the choices otherwise).
fn one_of<T: Copy>(field: &str, value: &str, choices: &[(&str, T)]) -> Result<T, Fault> {
    choices.iter().find(|(name, _)| *name == value).map(|(_, v)| *v).ok_or_else(|| {
        let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
        Fault::invalid_parameter(format!("{field} {value:?} is not one of {}", names.join(", ")))
    })
}

/// The caller may not act as the user it names in `accessUserHandle`.
const NO_IMPERSONATION_PERMISSION: u32 = 20004;

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
        "emptyAssetsFromTrash" => trash::empty_assets(call).await,
        "renameAsset" => organize::rename_asset(call).await,
        "moveAsset" => organize::move_asset(call).await,
        "moveAssets" => organize::move_assets(call).await,
        "getAssetCounts" => organize::get_asset_counts(call).await,
        "getFolders" => folders::get_folders(call).await,
        "getFolderTree" => folders::get_folder_tree(call).await,
        "createFolder" => folders::create_folder(call).await,
        "renameFolder" => folders::rename_folder(call).await,
        "moveFolder" => folders::move_folder(call).await,
        "deleteFolder" => folders::delete_folder(call).await,
        "getCompanyInfo" => users::get_company_info(call).await,
        "getUserInfo" => users::get_user_info(call).await,
        "getCompanyMembership" => users::get_company_membership(call).await,
        "checkLogin" => users::check_login(call).await,
        "getActiveJobs" => jobs::get_active_jobs(call).await,
        "getJobLogDetails" => jobs::get_job_log_details(call).await,
        "getJobLogs" => jobs::get_job_logs(call).await,
        "submitJob" => submit_job::submit_job(call).await,
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
}
