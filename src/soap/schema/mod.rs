//! The IPS contract we serve, as data: every type's elements in the real schema's order with
//! their occurrence, and every operation's `Param` and `Return`. Replies are put in this order
//! and checked against it ([`conform`]), requests are checked against it ([`check_request`]),
//! and the WSDLs are written from it (`soap::wsdl`): one definition for every version.

mod operations;
mod types;

pub use self::operations::{OPERATIONS, Operation, Refused, Scope, operation};
pub use self::types::{TYPES, complex};

use super::xml::{Element, Node};
use crate::domain::Fault;

/// An element's type: an XML Schema simple type or one of [`TYPES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Str,
    Int,
    Long,
    Double,
    Bool,
    DateTime,
    /// A complex type of [`TYPES`], by name.
    Complex(&'static str),
}

impl Ty {
    /// The `type` attribute of the element in a WSDL whose IPS types have prefix `types`.
    pub fn qname(self) -> String {
        match self {
            Ty::Str => "xsd:string".into(),
            Ty::Int => "xsd:int".into(),
            Ty::Long => "xsd:long".into(),
            Ty::Double => "xsd:double".into(),
            Ty::Bool => "xsd:boolean".into(),
            Ty::DateTime => "xsd:dateTime".into(),
            Ty::Complex(name) => format!("types:{name}"),
        }
    }
}

/// One element of a sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub ty: Ty,
    /// `minOccurs="1"`: a reply must carry it, a request must send it.
    pub required: bool,
    /// `maxOccurs="unbounded"` (only the `items` of arrays).
    pub many: bool,
}

/// An optional element.
pub const fn opt(name: &'static str, ty: Ty) -> Field {
    Field { name, ty, required: false, many: false }
}

/// A required element.
pub const fn req(name: &'static str, ty: Ty) -> Field {
    Field { name, ty, required: true, many: false }
}

/// The `items` of an array type.
pub const fn items(ty: Ty) -> Field {
    Field { name: "items", ty, required: false, many: true }
}

/// A named complex type: a sequence of fields.
#[derive(Debug)]
pub struct ComplexType {
    pub name: &'static str,
    pub fields: &'static [Field],
}

/// Puts a reply's children in schema order and checks them: every child must be declared,
/// occur no more often than allowed, and every required one must be there. The error says
/// where, for the log; a reply that fails this is our bug, never sent.
pub fn conform(node: &mut Node, fields: &[Field]) -> Result<(), String> {
    conform_at(node, fields, &node.name.clone())
}

fn conform_at(node: &mut Node, fields: &[Field], path: &str) -> Result<(), String> {
    let position = |child: &Node| fields.iter().position(|f| f.name == child.name);
    if let Some(stray) = node.children.iter().find(|c| position(c).is_none()) {
        return Err(format!("{path}/{} is not an element of this type", stray.name));
    }
    node.children.sort_by_key(|c| position(c));
    for field in fields {
        let count = node.children.iter().filter(|c| c.name == field.name).count();
        if field.required && count == 0 {
            return Err(format!("{path}/{} is required", field.name));
        }
        if !field.many && count > 1 {
            return Err(format!("{path}/{} occurs {count} times", field.name));
        }
    }
    for child in &mut node.children {
        let field = fields.iter().find(|f| f.name == child.name).expect("every child was found above");
        let here = format!("{path}/{}", child.name);
        match field.ty {
            Ty::Complex(name) => {
                if child.text.is_some() {
                    return Err(format!("{here} is complex and has text"));
                }
                conform_at(child, complex(name).fields, &here)?;
            }
            _ if !child.children.is_empty() => return Err(format!("{here} is simple and has children")),
            _ => {}
        }
    }
    Ok(())
}

/// Checks a request's `Param` element against the operation: unknown elements are refused
/// (30003), inputs we do not implement are refused by name with the reason (30001), and a
/// required element that is absent is missing (30002). Values are read by the operation.
pub fn check_request(op: &Operation, params: &Element) -> Result<(), Fault> {
    for child in &params.children {
        if let Some(refused) = op.refused.iter().find(|r| r.name == child.name) {
            return Err(Fault::invalid_parameter(format!(
                "{} is not supported by this server: {}",
                refused.name, refused.why
            )));
        }
        if !op.param.iter().any(|f| f.name == child.name) {
            return Err(Fault::new(
                Fault::INVALID_REQUEST_XML,
                format!("{} is not an element of {}Param", child.name, op.name),
            ));
        }
    }
    for field in op.param.iter().filter(|f| f.required) {
        if params.child(field.name).is_none() && !op.lenient.contains(&field.name) {
            return Err(Fault::missing_parameter(field.name));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_built_in_any_order_comes_out_in_schema_order() {
        let mut node = Node::new("getCompanyInfoReturn").child(
            Node::new("companyInfo")
                .child(Node::leaf("rootPath", "Acme/"))
                .child(Node::leaf("companyHandle", "c|1"))
                .child(Node::leaf("name", "Acme")),
        );
        conform(&mut node, operation("getCompanyInfo").unwrap().ret).unwrap();
        let names: Vec<&str> = node.children[0].children.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["companyHandle", "name", "rootPath"]);
    }

    #[test]
    fn a_reply_missing_a_required_element_or_carrying_a_stray_one_is_refused_with_its_path() {
        let ret = operation("getCompanyInfo").unwrap().ret;
        let mut missing = Node::new("getCompanyInfoReturn")
            .child(Node::new("companyInfo").child(Node::leaf("companyHandle", "c|1")));
        assert_eq!(
            conform(&mut missing, ret).unwrap_err(),
            "getCompanyInfoReturn/companyInfo/name is required"
        );
        let mut stray = Node::new("getCompanyInfoReturn").child(Node::leaf("bogus", 1));
        assert!(conform(&mut stray, ret).unwrap_err().contains("bogus is not an element"));
    }

    #[test]
    fn every_complex_type_an_operation_names_is_defined_and_every_defined_type_is_used() {
        fn walk(fields: &[Field], seen: &mut Vec<&'static str>) {
            for field in fields {
                if let Ty::Complex(name) = field.ty
                    && !seen.contains(&name)
                {
                    seen.push(name);
                    walk(complex(name).fields, seen);
                }
            }
        }
        let mut seen = Vec::new();
        for op in OPERATIONS {
            walk(op.param, &mut seen);
            walk(op.ret, &mut seen);
        }
        for ty in TYPES {
            assert!(seen.contains(&ty.name), "{} is defined but no operation uses it", ty.name);
        }
    }

    #[test]
    fn every_operation_is_listed_once() {
        let mut names: Vec<&str> = OPERATIONS.iter().map(|op| op.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), OPERATIONS.len());
    }

    #[test]
    fn no_refused_input_is_also_declared_as_implemented() {
        for op in OPERATIONS {
            for refused in op.refused {
                assert!(!op.param.iter().any(|f| f.name == refused.name), "{}: {}", op.name, refused.name);
            }
        }
    }
}
