//! SOAP faults as IPS sends them: `authenticationFault`, `authorizationFault` or `ipsApiFault`
//! with `code` and `reason` in the detail, in the unversioned IPS namespace whatever the
//! request's version (a real capture of a 2010-01-31 request has it there, and Adobe's WSDL
//! declares the three fault elements only there).

use super::{
    envelope::{NS_IPS, SoapVersion, wrap},
    xml::Node,
};
use crate::domain::{Fault, FaultKind};

/// The `faultstring` IPS pairs with each fault element: `ipsApiFault` as in the real capture,
/// `AuthorizationException` as in the IPS docs' sample fault, and the authentication fault named
/// the same way (no sample of it is known).
fn fault_string(kind: FaultKind) -> &'static str {
    match kind {
        FaultKind::Authentication => "AuthenticationException",
        FaultKind::Authorization => "AuthorizationException",
        FaultKind::IpsApi => "ipsApiFault",
    }
}

/// The fault element: the SOAP fault's detail, or the whole answer of the envelope-less entry.
pub fn detail(fault: &Fault) -> Node {
    Node::new(fault.kind().element())
        .attr("xmlns", NS_IPS)
        .child(Node::leaf("code", fault.code))
        .child(Node::leaf("reason", &fault.reason))
}

/// The full fault envelope.
pub fn envelope(version: SoapVersion, fault: &Fault) -> Vec<u8> {
    let kind = fault.kind();
    let detail = detail(fault);
    // 30000 is soapenv:Server, as in the capture (a name already in use); the rest the request's.
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
    use crate::soap::xml::Element;

    #[test]
    fn a_soap11_fault_carries_client_code_exception_name_and_the_detail_element() {
        let doc = envelope(SoapVersion::V11, &Fault::new(20003, "role may not"));
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
        let doc = envelope(SoapVersion::V12, &Fault::new(30000, "internal"));
        let root = Element::parse(&doc).unwrap();
        let fault = root.child("Body").unwrap().child("Fault").unwrap();
        assert_eq!(fault.child("Code").unwrap().child("Value").unwrap().text, "soapenv:Receiver");
        assert!(fault.child("Detail").unwrap().child("ipsApiFault").is_some());
    }
}
