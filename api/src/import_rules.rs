//! The import graph's rules, checked over the sources: arrows point down.
//!
//! - no loop between top-level modules (`crate::goods` → `crate::merchants`
//!   → … → `crate::goods`);
//! - the assembly (`startup`, `cli`, `seed`) is imported by nobody below it;
//! - routes are leaves: only `startup` reaches into a module's `routes`, and
//!   a module's other files never do.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each file under `src/`, without its test module, by top-level module.
fn sources() -> Vec<(String, PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&root, &mut files);
    files
        .into_iter()
        .map(|path| {
            let rel = path.strip_prefix(&root).unwrap().to_path_buf();
            let first = rel.iter().next().unwrap().to_string_lossy().into_owned();
            let module = first.trim_end_matches(".rs").to_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text
                .split("#[cfg(test)]")
                .next()
                .unwrap_or_default()
                .to_owned();
            (module, rel, code)
        })
        .collect()
}

/// The top-level modules `code` names: `crate::x`, and `x` in `use crate::{x, …}`.
fn named_modules(code: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find("};").unwrap_or(group.len())];
            let mut depth = 0;
            let mut start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if c.is_whitespace() => {}
                    _ if start && depth == 0 => {
                        found.insert(ident(&group[i..]));
                        start = false;
                    }
                    _ => {}
                }
            }
        } else {
            found.insert(ident(rest));
        }
    }
    found.retain(|m| !m.is_empty());
    found
}

#[test]
fn no_import_loop_between_modules() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, _, code) in sources() {
        let edges = graph.entry(module.clone()).or_default();
        edges.extend(named_modules(&code).into_iter().filter(|m| *m != module));
    }
    // A module is in a loop when it can reach itself.
    let reaches = |from: &str| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<String> = graph.get(from).into_iter().flatten().cloned().collect();
        while let Some(m) = todo.pop() {
            if seen.insert(m.clone()) {
                todo.extend(graph.get(&m).into_iter().flatten().cloned());
            }
        }
        seen
    };
    let looping: Vec<&String> = graph.keys().filter(|m| reaches(m).contains(*m)).collect();
    assert!(looping.is_empty(), "modules in an import loop: {looping:?}");
}

#[test]
fn the_assembly_is_imported_by_nobody_below_it() {
    let assembly = ["startup", "cli", "seed", "main", "lib"];
    let mut wrong = Vec::new();
    for (module, file, code) in sources() {
        if assembly.contains(&module.as_str()) {
            continue;
        }
        for m in named_modules(&code) {
            if assembly.contains(&m.as_str()) {
                wrong.push(format!("{} → {m}", file.display()));
            }
        }
    }
    assert!(wrong.is_empty(), "arrows up into the assembly: {wrong:?}");
}

#[test]
fn routes_are_leaves() {
    let mut wrong = Vec::new();
    for (module, file, code) in sources() {
        if module == "startup" {
            continue;
        }
        let routes_or_mod = file.ends_with("routes.rs") || file.ends_with("mod.rs");
        if (!routes_or_mod && code.contains("super::routes")) || names_some_routes(&code) {
            wrong.push(file.display().to_string());
        }
    }
    assert!(wrong.is_empty(), "files reaching into routes: {wrong:?}");
}

/// Whether `code` names a module's routes (`crate::x::routes`).
fn names_some_routes(code: &str) -> bool {
    code.match_indices("crate::").any(|(at, _)| {
        let rest = &code[at + "crate::".len()..];
        let module: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        rest[module.len()..].starts_with("::routes")
    })
}

#[test]
fn the_parser_finds_grouped_and_plain_imports() {
    let code = "use crate::{a, b::{c, d}, e::f};\nlet x = crate::g::h();";
    let found: Vec<String> = named_modules(code).into_iter().collect();
    assert_eq!(found, ["a", "b", "e", "g"]);
}
