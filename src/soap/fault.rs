//! SOAP faults as IPS sends them: `authenticationFault`, `authorizationFault` or `ipsApiFault`
//! with `code` and `reason` in the detail.

use super::{
    envelope::{SoapVersion, wrap},
    xml::Node,
};
use crate::domain::{Fault, FaultKind};

/// The `faultstring` IPS pairs with each fault element.
fn fault_string(kind: FaultKind) -> &'static str {
    match kind {
        FaultKind::Authentication => "AuthenticationException",
        FaultKind::Authorization => "AuthorizationException",
        FaultKind::IpsApi => "IpsApiException",
    }
}

/// The full fault envelope; the detail element is in `ns`, the request's IPS namespace.
pub fn envelope(version: SoapVersion, ns: &str, fault: &Fault) -> Vec<u8> {
    let kind = fault.kind();
    let detail = Node::new(kind.element())
        .attr("xmlns", ns)
        .child(Node::leaf("code", fault.code))
        .child(Node::leaf("reason", &fault.reason));
    // 30000 is our failure, everything else the request's.
    let server_side = fault.code == Fault::EXCEPTION;
    let body = match version {
        SoapVersion::V11 => Node::new("soapenv:Fault")
            .child(Node::leaf("faultcode", if server_side { "soapenv:Server" } else { "soapenv:Client" }))
            .child(Node::leaf("faultstring", fault_string(kind)))
            .child(Node::new("detail").child(detail)),
        SoapVersion::V12 => Node::new("soapenv:Fault")
            .child(Node::new("soapenv:Code").child(Node::leaf(
                "soapenv:Value",
                if server_side { "soapenv:Receiver" } else { "soapenv:Sender" },
            )))
            .child(
                Node::new("soapenv:Reason")
                    .child(Node::leaf("soapenv:Text", fault_string(kind)).attr("xml:lang", "en")),
            )
            .child(Node::new("soapenv:Detail").child(detail)),
    };
    wrap(version, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::soap::{envelope::NS_IPS, xml::Element};

    #[test]
    fn a_soap11_fault_carries_client_code_exception_name_and_the_detail_element() {
        let doc = envelope(SoapVersion::V11, NS_IPS, &Fault::new(20003, "role may not"));
        let root = Element::parse(&doc).unwrap();
        let fault = root.child("Body").unwrap().child("Fault").unwrap();
        assert_eq!(fault.child("faultcode").unwrap().text, "soapenv:Client");
        assert_eq!(fault.child("faultstring").unwrap().text, "AuthorizationException");
        let detail = fault.child("detail").unwrap().child("authorizationFault").unwrap();
        assert_eq!(detail.ns.as_deref(), Some(NS_IPS));
        assert_eq!(detail.child("code").unwrap().text, "20003");
        assert_eq!(detail.child("reason").unwrap().text, "role may not");
    }

    #[test]
    fn a_soap12_fault_uses_code_reason_and_detail_of_that_version() {
        let doc = envelope(SoapVersion::V12, NS_IPS, &Fault::new(30000, "internal"));
        let root = Element::parse(&doc).unwrap();
        let fault = root.child("Body").unwrap().child("Fault").unwrap();
        assert_eq!(fault.child("Code").unwrap().child("Value").unwrap().text, "soapenv:Receiver");
        assert!(fault.child("Detail").unwrap().child("ipsApiFault").is_some());
    }
}
