//! `responseFieldArray` / `excludeFieldArray`: `/`-separated paths from the return element,
//! e.g. `assetArray/items/imageInfo/width`; naming a complex node includes all of it.

use super::xml::Node;

/// Keeps only the included paths (all when `include` is empty), then drops the excluded ones.
pub fn filter(node: &mut Node, include: &[String], exclude: &[String]) {
    let clean = |paths: &[String]| -> Vec<String> {
        paths.iter().map(|p| p.trim().trim_matches('/').to_string()).filter(|p| !p.is_empty()).collect()
    };
    walk(&mut node.children, "", &clean(include), &clean(exclude));
}

fn walk(children: &mut Vec<Node>, prefix: &str, include: &[String], exclude: &[String]) {
    children.retain_mut(|child| {
        let path = if prefix.is_empty() { child.name.clone() } else { format!("{prefix}/{}", child.name) };
        if exclude.contains(&path) {
            return false;
        }
        if include.is_empty() {
            walk(&mut child.children, &path, include, exclude);
            return true;
        }
        let inside = include.iter().any(|p| path == *p || path.starts_with(&format!("{p}/")));
        let above = include.iter().any(|p| p.starts_with(&format!("{path}/")));
        if inside {
            walk(&mut child.children, &path, &[], exclude);
        } else if above {
            walk(&mut child.children, &path, include, exclude);
        }
        inside || above
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asset() -> Node {
        Node::new("getAssetsReturn").child(Node::array(
            "assetArray",
            [Node::new("x")
                .child(Node::leaf("assetHandle", "a|1"))
                .child(Node::leaf("name", "n"))
                .child(Node::new("imageInfo").child(Node::leaf("width", 5)).child(Node::leaf("height", 6)))],
        ))
    }

    fn names(node: &Node) -> Vec<String> {
        fn go(n: &Node, prefix: &str, out: &mut Vec<String>) {
            for c in &n.children {
                let p = format!("{prefix}{}", c.name);
                out.push(p.clone());
                go(c, &format!("{p}/"), out);
            }
        }
        let mut out = Vec::new();
        go(node, "", &mut out);
        out
    }

    #[test]
    fn included_paths_keep_their_ancestors_and_whole_subtrees() {
        let mut node = asset();
        filter(
            &mut node,
            &["assetArray/items/imageInfo".into(), "/assetArray/items/assetHandle".into()],
            &[],
        );
        assert_eq!(
            names(&node),
            [
                "assetArray",
                "assetArray/items",
                "assetArray/items/assetHandle",
                "assetArray/items/imageInfo",
                "assetArray/items/imageInfo/width",
                "assetArray/items/imageInfo/height"
            ]
        );
    }

    #[test]
    fn excluded_paths_are_dropped_even_inside_included_ones() {
        let mut node = asset();
        filter(&mut node, &["assetArray".into()], &["assetArray/items/imageInfo/width".into()]);
        assert!(!names(&node).contains(&"assetArray/items/imageInfo/width".to_string()));
        assert!(names(&node).contains(&"assetArray/items/name".to_string()));
    }
}
