//! A small, bounded XML tree for SOAP requests, built with quick-xml, and a writer for replies.
//!
//! Requests come from the network: DTDs are refused outright (no entity expansion, no external
//! entities), only the five predefined entities and character references are resolved, and
//! nesting depth and element count are bounded.

use std::fmt;

use quick_xml::{
    NsReader,
    events::{BytesEnd, BytesStart, BytesText, Event},
    name::ResolveResult,
};

/// Deepest element nesting accepted; SOAP requests need under 10.
const MAX_DEPTH: usize = 32;
/// Most elements accepted in one request.
const MAX_ELEMENTS: usize = 200_000;

/// A parsed element: namespace, local name, attributes, child elements and its own text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    pub ns: Option<String>,
    pub name: String,
    /// Attributes by local name, namespace declarations left out.
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
}

/// Why a request body is not acceptable XML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError(pub String);

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(why: impl Into<String>) -> Result<T, XmlError> {
    Err(XmlError(why.into()))
}

fn predefined(name: &str) -> Option<char> {
    Some(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        "apos" => '\'',
        _ => return None,
    })
}

impl Element {
    /// Parses a document; its root element is returned.
    pub fn parse(bytes: &[u8]) -> Result<Element, XmlError> {
        let text = std::str::from_utf8(bytes).map_err(|e| XmlError(format!("the body is not UTF-8: {e}")))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reader = NsReader::from_str(text);
        reader.config_mut().expand_empty_elements = true;
        let mut stack: Vec<Element> = Vec::new();
        let mut root: Option<Element> = None;
        let mut count = 0usize;
        loop {
            let position = reader.buffer_position();
            let (ns, event) = reader
                .read_resolved_event()
                .map_err(|e| XmlError(format!("malformed XML after byte {position}: {e}")))?;
            match event {
                Event::Start(start) => {
                    count += 1;
                    if stack.len() >= MAX_DEPTH {
                        return err(format!("elements are nested deeper than {MAX_DEPTH} levels"));
                    }
                    if count > MAX_ELEMENTS {
                        return err(format!("the request has more than {MAX_ELEMENTS} elements"));
                    }
                    if root.is_some() {
                        return err("the document has more than one root element");
                    }
                    let ns = match ns {
                        ResolveResult::Bound(ns) => Some(String::from_utf8_lossy(ns.as_ref()).into_owned()),
                        ResolveResult::Unbound => None,
                        ResolveResult::Unknown(prefix) => {
                            return err(format!(
                                "namespace prefix {:?} is not declared",
                                String::from_utf8_lossy(&prefix)
                            ));
                        }
                    };
                    let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                    let mut attrs = Vec::new();
                    for attr in start.attributes() {
                        let attr = attr.map_err(|e| XmlError(format!("bad attribute in <{name}>: {e}")))?;
                        if attr.key.as_namespace_binding().is_some() {
                            continue;
                        }
                        let value = attr
                            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .map_err(|e| XmlError(format!("bad attribute value in <{name}>: {e}")))?;
                        let key = String::from_utf8_lossy(attr.key.local_name().as_ref()).into_owned();
                        attrs.push((key, value.into_owned()));
                    }
                    stack.push(Element { ns, name, attrs, ..Element::default() });
                }
                Event::End(_) => {
                    let Some(done) = stack.pop() else { return err("unexpected closing tag") };
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(done),
                        None => root = Some(done),
                    }
                }
                Event::Text(t) => {
                    let t = t.xml10_content().map_err(|e| XmlError(format!("bad text: {e}")))?;
                    push_text(&mut stack, &t)?;
                }
                Event::CData(c) => {
                    let c = c.decode().map_err(|e| XmlError(format!("bad CDATA: {e}")))?;
                    push_text(&mut stack, &c)?;
                }
                Event::GeneralRef(r) => {
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) => c,
                        Ok(None) => {
                            let name = r.decode().map_err(|e| XmlError(format!("bad reference: {e}")))?;
                            match predefined(&name) {
                                Some(c) => c,
                                None => {
                                    return err(format!(
                                        "entity &{name}; is not allowed: only the predefined XML entities are"
                                    ));
                                }
                            }
                        }
                        Err(e) => return err(format!("bad character reference: {e}")),
                    };
                    push_text(&mut stack, resolved.encode_utf8(&mut [0; 4]))?;
                }
                Event::DocType(_) => return err("DTDs are not allowed in SOAP requests"),
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
                Event::Empty(_) => return err("unexpected empty element event"),
                Event::Eof => break,
            }
        }
        if !stack.is_empty() {
            return err("the document ends inside an element");
        }
        root.ok_or_else(|| XmlError("the body holds no XML element".into()))
    }

    /// An attribute's value, by local name.
    pub fn attr(&self, name: &str) -> Option<String> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    /// The first child with this local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child with this local name.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
}

fn push_text(stack: &mut [Element], text: &str) -> Result<(), XmlError> {
    match stack.last_mut() {
        Some(current) => {
            current.text.push_str(text);
            Ok(())
        }
        None if text.trim().is_empty() => Ok(()),
        None => err("text outside the root element"),
    }
}

/// A reply element: children and text are written in order, escaped by quick-xml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub text: Option<String>,
    pub children: Vec<Node>,
    /// Extra attributes (namespace declarations, `xml:lang`).
    pub attrs: Vec<(String, String)>,
}

impl Node {
    pub fn new(name: impl Into<String>) -> Self {
        Node { name: name.into(), text: None, children: Vec::new(), attrs: Vec::new() }
    }

    /// A leaf with text.
    pub fn leaf(name: impl Into<String>, text: impl ToString) -> Self {
        Node { text: Some(text.to_string()), ..Node::new(name) }
    }

    pub fn attr(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.attrs.push((name.into(), value.into()));
        self
    }

    pub fn child(mut self, child: Node) -> Self {
        self.children.push(child);
        self
    }

    /// Adds a leaf only when there is a value.
    pub fn opt(self, name: &str, value: Option<impl ToString>) -> Self {
        match value {
            Some(v) => self.child(Node::leaf(name, v)),
            None => self,
        }
    }

    /// An IPS array: `<name><items>…</items>…</name>`.
    pub fn array(name: impl Into<String>, items: impl IntoIterator<Item = Node>) -> Self {
        let mut array = Node::new(name);
        array.children = items
            .into_iter()
            .map(|mut item| {
                item.name = "items".into();
                item
            })
            .collect();
        array
    }

    /// Serialises the node as a document with an XML declaration.
    pub fn to_document(&self) -> Vec<u8> {
        let mut writer = quick_xml::Writer::new(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>".to_vec());
        // Writing to a Vec cannot fail.
        let _ = self.write(&mut writer);
        writer.into_inner()
    }

    fn write(&self, writer: &mut quick_xml::Writer<Vec<u8>>) -> std::io::Result<()> {
        let mut start = BytesStart::new(self.name.as_str());
        for (k, v) in &self.attrs {
            start.push_attribute((k.as_str(), v.as_str()));
        }
        if self.text.is_none() && self.children.is_empty() {
            return writer.write_event(Event::Empty(start));
        }
        writer.write_event(Event::Start(start))?;
        if let Some(text) = &self.text {
            writer.write_event(Event::Text(BytesText::new(text)))?;
        }
        for child in &self.children {
            child.write(writer)?;
        }
        writer.write_event(Event::End(BytesEnd::new(self.name.as_str())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_text_entities_and_cdata_are_resolved() {
        let doc = br#"<?xml version="1.0"?><s:E xmlns:s="urn:s" xmlns="urn:d"><a>x &amp; &#65;<![CDATA[<y>]]></a><b/></s:E>"#;
        let root = Element::parse(doc).unwrap();
        assert_eq!((root.ns.as_deref(), root.name.as_str()), (Some("urn:s"), "E"));
        let a = root.child("a").unwrap();
        assert_eq!(a.ns.as_deref(), Some("urn:d"));
        assert_eq!(a.text, "x & A<y>");
        assert_eq!(root.child("b").unwrap().text, "");
    }

    #[test]
    fn dtds_and_custom_entities_are_refused() {
        let xxe = br#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>"#;
        assert!(Element::parse(xxe).unwrap_err().0.contains("DTD"));
        assert!(Element::parse(b"<r>&x;</r>").unwrap_err().0.contains("&x;"));
    }

    #[test]
    fn malformed_deep_and_undeclared_prefix_documents_are_refused() {
        for bad in [&b"<a><b></a>"[..], b"<a>", b"", b"<p:a/>", b"<a/><b/>", b"\xff\xfe"] {
            assert!(Element::parse(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        let deep = format!("{}{}", "<a>".repeat(MAX_DEPTH + 1), "</a>".repeat(MAX_DEPTH + 1));
        assert!(Element::parse(deep.as_bytes()).unwrap_err().0.contains("deeper"));
    }

    #[test]
    fn replies_escape_text_and_write_empty_elements_short() {
        let node = Node::new("r").attr("xmlns", "urn:x").child(Node::leaf("a", "<&>")).child(Node::new("e"));
        let doc = String::from_utf8(node.to_document()).unwrap();
        assert!(doc.ends_with(r#"<r xmlns="urn:x"><a>&lt;&amp;&gt;</a><e/></r>"#), "{doc}");
    }
}
