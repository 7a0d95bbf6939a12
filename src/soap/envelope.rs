//! SOAP 1.1 and 1.2 envelopes: what a request holds and how a reply is wrapped.

use super::xml::{Element, Node};
use crate::domain::Fault;

pub const NS_SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const NS_SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
/// The unversioned IPS namespace: pre-4.0 bodies, and `authHeader` whatever the body's version.
pub const NS_IPS: &str = "http://www.scene7.com/IpsApi/xsd";
/// The namespace of the pre-3.8 `AuthUser` / `AuthPassword` headers.
pub const NS_LEGACY_AUTH: &str = "http://www.scene7.com/IpsApi";

/// Which SOAP version a request used; the reply uses the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SoapVersion {
    V11,
    V12,
}

impl SoapVersion {
    pub fn ns(self) -> &'static str {
        match self {
            SoapVersion::V11 => NS_SOAP11,
            SoapVersion::V12 => NS_SOAP12,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            SoapVersion::V11 => "text/xml; charset=utf-8",
            SoapVersion::V12 => "application/soap+xml; charset=utf-8",
        }
    }
}

/// A parsed request envelope.
#[derive(Debug)]
pub struct Envelope {
    pub version: SoapVersion,
    pub headers: Vec<Element>,
    /// The one element inside `Body`, e.g. `copyImageParam`.
    pub body: Element,
}

fn invalid(reason: impl Into<String>) -> Fault {
    Fault::new(Fault::INVALID_REQUEST_XML, reason)
}

impl Envelope {
    /// Reads the envelope around a request; the version is known as soon as the root is.
    pub fn from_root(root: Element) -> Result<Envelope, (Option<SoapVersion>, Fault)> {
        let version = match (root.ns.as_deref(), root.name.as_str()) {
            (Some(NS_SOAP11), "Envelope") => SoapVersion::V11,
            (Some(NS_SOAP12), "Envelope") => SoapVersion::V12,
            (ns, name) => {
                return Err((
                    None,
                    invalid(format!(
                        "the root element must be a SOAP 1.1 or 1.2 Envelope, not {name:?} in namespace {:?}",
                        ns.unwrap_or("")
                    )),
                ));
            }
        };
        let in_soap = |e: &&Element| e.ns.as_deref() == Some(version.ns());
        let fail = |why: String| Err((Some(version), invalid(why)));
        let mut headers = Vec::new();
        let mut body = None;
        for part in &root.children {
            match (in_soap(&part), part.name.as_str()) {
                (true, "Header") if body.is_none() && headers.is_empty() => headers = part.children.clone(),
                (true, "Body") if body.is_none() => body = Some(part),
                _ => return fail(format!("unexpected element {:?} in the SOAP Envelope", part.name)),
            }
        }
        let Some(body) = body else { return fail("the SOAP Envelope has no Body".into()) };
        let mut elements = body.children.iter();
        match (elements.next(), elements.next()) {
            (Some(op), None) => Ok(Envelope { version, headers, body: op.clone() }),
            (None, _) => {
                Err((Some(version), Fault::missing_parameter("the operation element in the SOAP Body")))
            }
            (Some(_), Some(_)) => fail("the SOAP Body must hold exactly one operation element".into()),
        }
    }
}

/// Whether `ns` is an IPS API namespace: the unversioned one or any dated one
/// (`…/xsd/2014-04-03`, `…/xsd/2013-08-29-beta`, and dates we have never heard of).
pub fn is_ips_namespace(ns: &str) -> bool {
    if ns == NS_IPS {
        return true;
    }
    let Some(version) = ns.strip_prefix(NS_IPS).and_then(|v| v.strip_prefix('/')) else { return false };
    let bytes = version.as_bytes();
    let dated = bytes.len() >= 10
        && bytes[..10]
            .iter()
            .enumerate()
            .all(|(i, b)| if i == 4 || i == 7 { *b == b'-' } else { b.is_ascii_digit() });
    // Bytes, not `str`: byte 10 may fall inside a multi-byte character of a hostile namespace.
    let suffix_ok = bytes[10.min(bytes.len())..]
        .split(|b| *b == b'-')
        .skip(1)
        .all(|part| !part.is_empty() && part.iter().all(u8::is_ascii_alphanumeric));
    dated && (bytes.len() == 10 || bytes[10] == b'-') && suffix_ok
}

/// Wraps a reply element (already carrying its namespace) in an envelope.
pub fn wrap(version: SoapVersion, content: Node) -> Vec<u8> {
    Node::new("soapenv:Envelope")
        .attr("xmlns:soapenv", version.ns())
        .child(Node::new("soapenv:Body").child(content))
        .to_document()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dated_ips_namespace_is_accepted_and_others_are_not() {
        for ok in [
            NS_IPS,
            "http://www.scene7.com/IpsApi/xsd/2008-01-15",
            "http://www.scene7.com/IpsApi/xsd/2014-04-03",
            "http://www.scene7.com/IpsApi/xsd/2013-08-29-beta",
            "http://www.scene7.com/IpsApi/xsd/2031-12-01",
        ] {
            assert!(is_ips_namespace(ok), "{ok}");
        }
        for bad in [
            "http://www.scene7.com/IpsApi/xsd/",
            "http://www.scene7.com/IpsApi/xsd/latest",
            "http://www.scene7.com/IpsApi/xsd/2014-4-03",
            "http://www.scene7.com/IpsApi/xsd/2014-04-03-",
            "http://www.scene7.com/IpsApi",
            "http://example.com/xsd/2014-04-03",
        ] {
            assert!(!is_ips_namespace(bad), "{bad}");
        }
    }

    #[test]
    fn a_namespace_with_a_multibyte_character_where_the_date_ends_is_refused_without_a_panic() {
        assert!(!is_ips_namespace("http://www.scene7.com/IpsApi/xsd/2014-04-0\u{e9}"));
        assert!(!is_ips_namespace("http://www.scene7.com/IpsApi/xsd/2014-04-03\u{e9}-beta"));
    }

    #[test]
    fn envelopes_of_both_versions_yield_their_single_body_element() {
        for ns in [NS_SOAP11, NS_SOAP12] {
            let doc = format!(
                r#"<e:Envelope xmlns:e="{ns}"><e:Header><h/></e:Header><e:Body><op/></e:Body></e:Envelope>"#
            );
            let envelope = Envelope::from_root(Element::parse(doc.as_bytes()).unwrap()).unwrap();
            assert_eq!(envelope.version.ns(), ns);
            assert_eq!(envelope.headers.len(), 1);
            assert_eq!(envelope.body.name, "op");
        }
    }

    #[test]
    fn a_body_without_an_operation_is_a_missing_parameter() {
        let doc = format!(r#"<e:Envelope xmlns:e="{NS_SOAP11}"><e:Body/></e:Envelope>"#);
        let (_, fault) = Envelope::from_root(Element::parse(doc.as_bytes()).unwrap()).unwrap_err();
        assert_eq!(fault.code, Fault::MISSING_PARAMETER);
    }
}
