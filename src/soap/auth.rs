//! Where IPS clients put credentials: the `authHeader` SOAP header, HTTP Basic, or the legacy
//! `AuthUser` / `AuthPassword` headers.

use crate::auth::{Credentials, basic_credentials};
use axum::http::{HeaderMap, header::AUTHORIZATION};

use super::{
    envelope::{NS_LEGACY_AUTH, is_ips_namespace},
    xml::Element,
};

/// What the request says about who calls and how faults should be answered.
#[derive(Debug, Default)]
pub struct AuthInfo {
    /// E-mail and password, from the first source that has them.
    pub credentials: Option<Credentials>,
    /// `faultHttpStatusCode`: the HTTP status to send faults with (Flash clients ask for 200).
    pub fault_status: Option<u16>,
    /// The `authHeader` carried an `accessToken`, which this server cannot check.
    pub access_token: bool,
}

fn text_of<'a>(parent: &'a Element, name: &str) -> Option<&'a str> {
    parent.child(name).map(|e| e.text.trim())
}

/// Reads the SOAP headers and the HTTP headers of a request.
pub fn read(soap_headers: &[Element], http: &HeaderMap) -> AuthInfo {
    let mut info = AuthInfo::default();
    let auth_header =
        soap_headers.iter().find(|h| h.name == "authHeader" && h.ns.as_deref().is_some_and(is_ips_namespace));
    if let Some(header) = auth_header {
        info.fault_status = text_of(header, "faultHttpStatusCode")
            .and_then(|s| s.parse::<u16>().ok())
            .filter(|s| (200..=599).contains(s));
        info.access_token = text_of(header, "accessToken").is_some_and(|t| !t.is_empty());
        if let Some(user) = text_of(header, "user").filter(|u| !u.is_empty()) {
            let password = header.child("password").map(|p| p.text.clone()).unwrap_or_default();
            info.credentials = Some(Credentials::new(user, password));
            return info;
        }
    }
    let legacy = |name: &str| {
        soap_headers
            .iter()
            .find(|h| {
                h.name == name
                    && h.ns.as_deref().is_some_and(|ns| ns == NS_LEGACY_AUTH || is_ips_namespace(ns))
            })
            .map(|h| h.text.clone())
    };
    if let Some(user) = legacy("AuthUser").filter(|u| !u.trim().is_empty()) {
        info.credentials = Some(Credentials::new(user.trim(), legacy("AuthPassword").unwrap_or_default()));
        return info;
    }
    info.credentials = http.get(AUTHORIZATION).and_then(|v| basic_credentials(v.as_bytes()));
    info
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{secret::ExposeSecret, soap::envelope::NS_IPS};

    fn plain(info: &AuthInfo) -> Option<(&str, &str)> {
        info.credentials.as_ref().map(|c| (c.email.as_str(), c.password.expose_secret()))
    }

    fn header(ns: &str, name: &str, fields: &[(&str, &str)]) -> Element {
        Element {
            ns: Some(ns.into()),
            name: name.into(),
            children: fields
                .iter()
                .map(|(n, t)| Element { name: (*n).into(), text: (*t).into(), ..Element::default() })
                .collect(),
            ..Element::default()
        }
    }

    #[test]
    fn the_auth_header_wins_and_carries_the_fault_status() {
        let h = header(
            NS_IPS,
            "authHeader",
            &[("user", "ann@x"), ("password", "pw"), ("faultHttpStatusCode", "200")],
        );
        let mut http = HeaderMap::new();
        http.insert(AUTHORIZATION, "Basic Ym9iQHg6b3RoZXI=".parse().unwrap());
        let info = read(&[h], &http);
        assert_eq!(plain(&info), Some(("ann@x", "pw")));
        assert_eq!(info.fault_status, Some(200));
    }

    #[test]
    fn legacy_headers_and_then_basic_auth_are_used_when_there_is_no_auth_header() {
        let user = Element { text: "old@x".into(), ..header(NS_LEGACY_AUTH, "AuthUser", &[]) };
        let password = Element { text: "pw".into(), ..header(NS_LEGACY_AUTH, "AuthPassword", &[]) };
        assert_eq!(plain(&read(&[user, password], &HeaderMap::new())), Some(("old@x", "pw")));
        let mut http = HeaderMap::new();
        http.insert(AUTHORIZATION, "Basic Ym9iQHg6cGE6c3M=".parse().unwrap());
        assert_eq!(plain(&read(&[], &http)), Some(("bob@x", "pa:ss")));
        assert!(read(&[], &HeaderMap::new()).credentials.is_none());
    }

    #[test]
    fn what_the_headers_say_prints_without_the_password() {
        let h = header(NS_IPS, "authHeader", &[("user", "ann@x"), ("password", "pw-never-shown")]);
        let shown = format!("{:?}", read(&[h], &HeaderMap::new()));
        assert!(shown.contains("ann@x") && !shown.contains("pw-never-shown"), "{shown}");
    }

    #[test]
    fn an_access_token_is_noted_and_gives_no_credentials() {
        let info = read(&[header(NS_IPS, "authHeader", &[("accessToken", "tok")])], &HeaderMap::new());
        assert!(info.access_token && info.credentials.is_none());
    }

    #[test]
    fn out_of_range_fault_statuses_are_ignored() {
        let h = header(NS_IPS, "authHeader", &[("faultHttpStatusCode", "99")]);
        assert_eq!(read(&[h], &HeaderMap::new()).fault_status, None);
    }
}
