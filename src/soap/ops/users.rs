//! `getCompanyInfo`, `getUserInfo`, `getCompanyMembership` and `checkLogin`.

use super::{Call, company_handle, types};
use crate::{
    auth,
    db::{self, users::UserRow},
    domain::{CompanyHandle, Fault, Role},
    error::{Error, Result},
    soap::xml::Node,
};

pub(super) const INVALID_REQUEST_USER: u32 = 20002;
const ILLEGAL_REQUEST_USER: u32 = 20007;

fn user_handle(user: &UserRow) -> String {
    format!("u|{}|{}", user.user_id, user.email)
}

/// `u|<id>|<email>` or `u|<id>`.
pub(super) fn parse_user_handle(text: &str) -> Result<i64, Fault> {
    let mut parts = text.split('|');
    match (parts.next(), parts.next().and_then(|id| id.parse::<i64>().ok())) {
        (Some("u"), Some(id)) if id > 0 => Ok(id),
        _ => Err(Fault::invalid_parameter(format!("userHandle {text:?} is not a valid handle"))),
    }
}

pub async fn get_company_info(call: &Call<'_>) -> Result<Node> {
    let handle = match (call.optional("companyHandle"), call.optional("companyName")) {
        (Some(handle), _) => company_handle(handle)?,
        (None, Some(name)) => match db::companies::find_by_name(&call.state.pool, name).await? {
            Some(row) => CompanyHandle(row.company_id),
            None => {
                return Err(
                    Fault::new(Fault::INVALID_COMPANY, format!("no access to company {name:?}")).into()
                );
            }
        },
        (None, None) => return Err(Fault::missing_parameter("companyHandle or companyName").into()),
    };
    let company = call.company_by_handle(handle).await?;
    Ok(Node::new("getCompanyInfoReturn").child(types::company("companyInfo", &company)))
}

/// The user a call is about: the caller by default. Others only for IpsAdmin, or for an
/// IpsCompanyAdmin of a company the user belongs to.
async fn target_user(call: &Call<'_>) -> Result<UserRow> {
    let pool = &call.state.pool;
    let target = match (call.optional("userHandle"), call.optional("email")) {
        (Some(handle), _) => db::users::find_by_id(pool, parse_user_handle(handle)?).await?,
        (None, Some(email)) => db::users::find_by_email(pool, email).await?,
        (None, None) => db::users::find_by_id(pool, call.caller.user_id).await?,
    };
    let denied = || Fault::new(ILLEGAL_REQUEST_USER, "the caller may not act on that user");
    let Some(target) = target else {
        return Err(if call.caller.is_ips_admin() {
            Fault::new(INVALID_REQUEST_USER, "no such user")
        } else {
            denied()
        }
        .into());
    };
    if target.user_id == call.caller.user_id || call.caller.is_ips_admin() {
        return Ok(target);
    }
    let mine = db::users::memberships(pool, call.caller.user_id).await?;
    let theirs = db::users::memberships(pool, target.user_id).await?;
    let administers = mine.iter().any(|m| {
        m.is_active
            && m.role == Role::IpsCompanyAdmin.as_str()
            && theirs.iter().any(|t| t.company_id == m.company_id)
    });
    if administers { Ok(target) } else { Err(denied().into()) }
}

pub async fn get_user_info(call: &Call<'_>) -> Result<Node> {
    let user = target_user(call).await?;
    let memberships = db::users::memberships(&call.state.pool, user.user_id).await?;
    // IPS always has a default role; ours falls back to the role of a membership.
    let role = user
        .default_role
        .clone()
        .or_else(|| memberships.iter().find(|m| m.is_active).map(|m| m.role.clone()))
        .or_else(|| memberships.first().map(|m| m.role.clone()))
        .unwrap_or_default();
    let info = Node::new("userInfo")
        .child(Node::leaf("userHandle", user_handle(&user)))
        .child(Node::leaf("firstName", &user.first_name))
        .child(Node::leaf("lastName", &user.last_name))
        .child(Node::leaf("email", &user.email))
        .child(Node::leaf("defaultRole", role))
        .child(Node::leaf("isValid", true));
    Ok(Node::new("getUserInfoReturn").child(info))
}

pub async fn get_company_membership(call: &Call<'_>) -> Result<Node> {
    let user = target_user(call).await?;
    let memberships = db::users::memberships(&call.state.pool, user.user_id).await?;
    let items = memberships.iter().map(|m| {
        let company = db::companies::CompanyRow {
            company_id: m.company_id,
            name: m.company_name.clone(),
            root_path: m.root_path.clone(),
        };
        Node::new("membership")
            .child(types::company("company", &company))
            .child(Node::leaf("role", &m.role))
            .child(Node::leaf("isActive", m.is_active))
    });
    Ok(Node::new("getCompanyMembershipReturn").child(Node::array("membershipArray", items)))
}

pub async fn check_login(call: &Call<'_>) -> Result<Node> {
    let email = call.required("email")?;
    let password = call.text("password").ok_or_else(|| Fault::missing_parameter("password"))?;
    let company = match call.optional("companyHandle") {
        Some(handle) => Some(call.company_by_handle(company_handle(handle)?).await?),
        None => None,
    };
    let credentials = auth::Credentials::new(email, password);
    let valid = match call.state.auth.authenticate(&credentials, call.caller.address).await {
        Ok(user) => match &company {
            None => true,
            Some(_) if user.is_ips_admin() => true,
            Some(c) => db::users::active_role(&call.state.pool, c.company_id, user.user_id).await?.is_some(),
        },
        Err(Error::Fault(f)) if f.kind() == crate::domain::FaultKind::Authentication => false,
        Err(e) => return Err(e),
    };
    let status = if valid { "ValidLogin" } else { "InvalidLogin" };
    Ok(Node::new("checkLoginReturn").child(Node::leaf("status", status)))
}
