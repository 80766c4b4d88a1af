//! The `microsoft.graph.security` schema's properties, read from the shared v1.0 CSDL with
//! plain string scanning (the file is regular and machine-written).

#![allow(dead_code)] // each test crate uses a different part

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `../shared/graph` when it holds the CSDL and the examples, else `None` (with a note).
pub fn shared_graph(test: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/graph");
    if p.join("v1.0-cleanMetadata.xml").is_file() && p.join("examples").is_dir() {
        Some(p)
    } else {
        println!("skipping {test}: shared/graph is absent");
        None
    }
}

pub struct Csdl {
    schema: String,
    /// The schema's alias, as base types name it (`self`, `graph`).
    alias: &'static str,
}

impl Csdl {
    /// The `microsoft.graph.security` schema.
    pub fn load(dir: &Path) -> Csdl {
        Self::load_namespace(dir, "microsoft.graph.security", "self")
    }

    /// The `microsoft.graph` schema (Secure Score lives there).
    pub fn load_graph(dir: &Path) -> Csdl {
        Self::load_namespace(dir, "microsoft.graph", "graph")
    }

    fn load_namespace(dir: &Path, namespace: &str, alias: &'static str) -> Csdl {
        let xml = std::fs::read_to_string(dir.join("v1.0-cleanMetadata.xml")).expect("CSDL");
        let start = xml
            .find(&format!("<Schema Namespace=\"{namespace}\""))
            .expect("schema");
        let end = xml[start..].find("</Schema>").expect("schema end") + start;
        Csdl {
            schema: xml[start..end].to_owned(),
            alias,
        }
    }

    /// `name -> nullable` for a type's properties and navigation properties, inherited ones
    /// included; `None` if the type is unknown.
    pub fn props(&self, type_name: &str) -> Option<BTreeMap<String, bool>> {
        let mut out = BTreeMap::new();
        let mut name = type_name.to_owned();
        for _ in 0..8 {
            let (open, close) = ["EntityType", "ComplexType"].iter().find_map(|kind| {
                let open = format!("<{kind} Name=\"{name}\"");
                let at = self.schema.find(&open)?;
                Some((at, format!("</{kind}>")))
            })?;
            let head_end = self.schema[open..].find('>')? + open;
            let head = &self.schema[open..=head_end];
            if !head.ends_with("/>") {
                let body_end = self.schema[open..].find(&close)? + open;
                for line in self.schema[head_end..body_end].lines() {
                    let line = line.trim();
                    let rest = line
                        .strip_prefix("<Property Name=\"")
                        .or_else(|| line.strip_prefix("<NavigationProperty Name=\""));
                    if let Some(rest) = rest {
                        let prop = &rest[..rest.find('"')?];
                        out.insert(prop.to_owned(), !line.contains("Nullable=\"false\""));
                    }
                }
            }
            let base = format!("BaseType=\"{}.", self.alias);
            match head.split(base.as_str()).nth(1) {
                Some(rest) => name = rest[..rest.find('"')?].to_owned(),
                None => return Some(out),
            }
        }
        Some(out)
    }
}
