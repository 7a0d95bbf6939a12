//! A SOAP request body from arbitrary bytes: the bounded XML parser and the envelope reader
//! never panic, and whatever they accept stays inside their depth and shape rules.
#![no_main]

use ipscopy::soap::envelope::{Envelope, is_ips_namespace};
use ipscopy::soap::xml::Element;
use libfuzzer_sys::fuzz_target;

fn depth(e: &Element) -> usize {
    1 + e.children.iter().map(depth).max().unwrap_or(0)
}

fuzz_target!(|data: &[u8]| {
    // The namespace check also sees raw text: inside a document the fuzzer rarely lands a
    // multi-byte character exactly where a dated namespace's date ends (the panic fixed there).
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = is_ips_namespace(text);
    }
    let Ok(root) = Element::parse(data) else { return };
    assert!(depth(&root) <= 32, "a tree deeper than the parser allows");
    let Ok(envelope) = Envelope::from_root(root) else { return };
    // What the handler does next with the body element and the headers: the namespace check.
    let _ = is_ips_namespace(envelope.body.ns.as_deref().unwrap_or_default());
    for header in &envelope.headers {
        let _ = is_ips_namespace(header.ns.as_deref().unwrap_or_default());
    }
});
