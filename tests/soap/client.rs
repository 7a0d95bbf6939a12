//! A bare SOAP client for the tests: envelopes as IPS clients write them, replies as trees.

use ipscopy::soap::xml::Element;

use crate::helpers::{PASSWORD, TestApp};

pub const SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
pub const IPS: &str = "http://www.scene7.com/IpsApi/xsd";
pub const IPS_2008: &str = "http://www.scene7.com/IpsApi/xsd/2008-01-15";
pub const IPS_2014: &str = "http://www.scene7.com/IpsApi/xsd/2014-04-03";

/// An `authHeader` for a user, in the unversioned namespace as IPS requires.
pub fn auth_header(email: &str, password: &str) -> String {
    format!(
        r#"<ips:authHeader xmlns:ips="{IPS}"><ips:user>{email}</ips:user><ips:password>{password}</ips:password><ips:appName>ipscopy-tests</ips:appName></ips:authHeader>"#
    )
}

/// A SOAP 1.1 envelope around `<op>Param` (in `ns`) with the given SOAP headers.
pub fn envelope(headers: &str, ns: &str, op: &str, params: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{SOAP11}"><soapenv:Header>{headers}</soapenv:Header><soapenv:Body><{op}Param xmlns="{ns}">{params}</{op}Param></soapenv:Body></soapenv:Envelope>"#
    )
}

/// What came back.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub raw: String,
    pub doc: Option<Element>,
}

impl Reply {
    /// The element inside `Body`.
    pub fn body(&self) -> &Element {
        let doc = self.doc.as_ref().unwrap_or_else(|| panic!("not XML: {}", self.raw));
        let body = doc.child("Body").unwrap_or_else(|| panic!("no Body: {}", self.raw));
        body.children.first().unwrap_or_else(|| panic!("empty Body: {}", self.raw))
    }

    /// The successful `<op>Return` element; panics with the reply on a fault.
    pub fn ok(&self, op: &str) -> &Element {
        let body = self.body();
        assert_eq!(body.name, format!("{op}Return"), "{}", self.raw);
        assert_eq!(self.status, 200, "{}", self.raw);
        body
    }

    /// The fault detail: element name, code and reason; panics if the reply is not a fault.
    pub fn fault(&self) -> (String, u32, String) {
        let fault = self.body();
        assert_eq!(fault.name, "Fault", "expected a fault: {}", self.raw);
        let detail = fault.child("detail").or_else(|| fault.child("Detail")).expect("fault detail");
        let element = detail.children.first().expect("fault element");
        let code = element.child("code").expect("code").text.parse().expect("numeric code");
        (element.name.clone(), code, element.child("reason").expect("reason").text.clone())
    }

    /// The fault code, or `None` when the call succeeded.
    pub fn fault_code(&self) -> Option<u32> {
        (self.body().name == "Fault").then(|| self.fault().1)
    }
}

/// Text of a child element, panicking with context when it is absent.
pub fn text<'a>(element: &'a Element, name: &str) -> &'a str {
    &element.child(name).unwrap_or_else(|| panic!("no {name} in {element:?}")).text
}

/// The `items` of an array child.
pub fn items<'a>(element: &'a Element, array: &str) -> Vec<&'a Element> {
    element.child(array).map(|a| a.children_named("items").collect()).unwrap_or_default()
}

pub trait Soap {
    /// POSTs a body to the SOAP endpoint with extra HTTP headers.
    async fn post_soap(&self, body: String, headers: &[(&str, &str)]) -> Reply;

    /// Calls `op` in `ns` as `email` with an `authHeader`.
    async fn call_as(&self, email: &str, ns: &str, op: &str, params: &str) -> Reply;

    /// Calls `op` in the 2014-04-03 namespace as the test user.
    async fn call(&self, op: &str, params: &str) -> Reply;
}

impl Soap for TestApp {
    async fn post_soap(&self, body: String, headers: &[(&str, &str)]) -> Reply {
        let mut request = self
            .http
            .post(format!("{}/scene7/services/IpsApiService", self.base))
            .header("content-type", "text/xml; charset=utf-8")
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let raw = response.text().await.expect("body");
        let doc = Element::parse(raw.as_bytes()).ok();
        Reply { status, content_type, raw, doc }
    }

    async fn call_as(&self, email: &str, ns: &str, op: &str, params: &str) -> Reply {
        let body = envelope(&auth_header(email, PASSWORD), ns, op, params);
        self.post_soap(body, &[("soapaction", op)]).await
    }

    async fn call(&self, op: &str, params: &str) -> Reply {
        self.call_as(&self.email, IPS_2014, op, params).await
    }
}
