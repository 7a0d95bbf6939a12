//! IPS roles and what each may call (spec/ips-api.md §7).

use std::{fmt, str::FromStr};

/// A role held through a company membership (or, for IpsAdmin, by the user everywhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    IpsAdmin,
    IpsCompanyAdmin,
    IpsUser,
    WebServiceUser,
    TrialSiteAdmin,
    TrialSiteUser,
    ImagePortalAdmin,
    ImagePortalUser,
    ImagePortalContrib,
    ImagePortalContribUser,
}

/// What an operation does, which decides the roles allowed to call it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

impl Role {
    pub const ALL: [Role; 10] = [
        Role::IpsAdmin,
        Role::IpsCompanyAdmin,
        Role::IpsUser,
        Role::WebServiceUser,
        Role::TrialSiteAdmin,
        Role::TrialSiteUser,
        Role::ImagePortalAdmin,
        Role::ImagePortalUser,
        Role::ImagePortalContrib,
        Role::ImagePortalContribUser,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::IpsAdmin => "IpsAdmin",
            Role::IpsCompanyAdmin => "IpsCompanyAdmin",
            Role::IpsUser => "IpsUser",
            Role::WebServiceUser => "WebServiceUser",
            Role::TrialSiteAdmin => "TrialSiteAdmin",
            Role::TrialSiteUser => "TrialSiteUser",
            Role::ImagePortalAdmin => "ImagePortalAdmin",
            Role::ImagePortalUser => "ImagePortalUser",
            Role::ImagePortalContrib => "ImagePortalContrib",
            Role::ImagePortalContribUser => "ImagePortalContribUser",
        }
    }

    /// Whether this role may call operations of the given kind. Write calls (copyImage and the
    /// other asset writes) allow exactly six roles; read calls add the trial and portal-user roles.
    pub fn allows(self, access: Access) -> bool {
        use Role::*;
        let writer = matches!(
            self,
            IpsUser
                | IpsAdmin
                | IpsCompanyAdmin
                | ImagePortalAdmin
                | ImagePortalContrib
                | ImagePortalContribUser
        );
        match access {
            Access::Write => writer,
            Access::Read => writer || matches!(self, TrialSiteAdmin | TrialSiteUser | ImagePortalUser),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|r| r.as_str().eq_ignore_ascii_case(s)).ok_or_else(|| {
            let names: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
            format!("unknown role {s:?}; expected one of {}", names.join(", "))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_six_roles_may_copy_images() {
        let writers: Vec<_> = Role::ALL.into_iter().filter(|r| r.allows(Access::Write)).collect();
        assert_eq!(
            writers,
            [
                Role::IpsAdmin,
                Role::IpsCompanyAdmin,
                Role::IpsUser,
                Role::ImagePortalAdmin,
                Role::ImagePortalContrib,
                Role::ImagePortalContribUser
            ]
        );
    }

    #[test]
    fn read_calls_add_trial_and_portal_user_roles_but_not_web_service_user() {
        assert!(Role::TrialSiteUser.allows(Access::Read));
        assert!(Role::ImagePortalUser.allows(Access::Read));
        assert!(!Role::ImagePortalUser.allows(Access::Write));
        assert!(!Role::WebServiceUser.allows(Access::Read));
    }

    #[test]
    fn role_names_parse_case_insensitively_and_unknown_ones_are_named() {
        assert_eq!("ipsuser".parse::<Role>(), Ok(Role::IpsUser));
        assert!("Boss".parse::<Role>().unwrap_err().contains("\"Boss\""));
    }
}
