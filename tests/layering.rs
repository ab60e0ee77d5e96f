//! The structure the code keeps, checked: no source file imports one that imports it back
//! (directly or around a longer circle), the shared layer (ui, k8s, status, clients, config)
//! imports no domain, console or action code, and no domain reaches into another.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `src/` with the module path it defines.
fn modules(root: &Path) -> BTreeMap<Vec<String>, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src is readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(root).expect("under src");
                let mut parts: Vec<String> = rel
                    .with_extension("")
                    .iter()
                    .map(|p| p.to_string_lossy().into_owned())
                    .collect();
                if matches!(
                    parts.last().map(String::as_str),
                    Some("mod" | "lib" | "main")
                ) {
                    parts.pop();
                }
                out.insert(parts, path);
            }
        }
    }
    out
}

/// The text outside `#[cfg(test)] mod tests`, with `a::{b, c}` spelled out as `a::b a::c`.
fn code_of(text: &str) -> String {
    let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(open) = rest.find("::{") {
        let (before, after) = rest.split_at(open);
        let Some(close) = after.find('}') else { break };
        let inner = &after[3..close];
        if inner.contains('{') {
            out.push_str(&rest[..open + 3]);
            rest = &rest[open + 3..];
            continue;
        }
        let start = before
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .map_or(0, |i| i + 1);
        out.push_str(&before[..start]);
        let prefix = &before[start..];
        for item in inner.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            out.push_str(&format!(" {prefix}::{item} "));
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// The files each file names through `crate::` and `super::` paths.
fn imports(mods: &BTreeMap<Vec<String>, PathBuf>) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let resolve = |parts: &[String]| -> Option<PathBuf> {
        (1..=parts.len())
            .rev()
            .find_map(|n| mods.get(&parts[..n].to_vec()).cloned())
    };
    let mut edges = BTreeMap::new();
    for (me, path) in mods {
        let text = std::fs::read_to_string(path).expect("readable");
        let code = code_of(&text);
        let is_mod_file = path.ends_with("mod.rs") || path.ends_with("lib.rs");
        let mut targets = BTreeSet::new();
        for (i, _) in code.match_indices("::") {
            let head_start = code[..i]
                .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .map_or(0, |s| s + 1);
            if head_start != i - code[head_start..i].len() {
                continue;
            }
            let path_text: String = code[head_start..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            if head_start > 0 && code[..head_start].ends_with("::") {
                continue;
            }
            let segments: Vec<&str> = path_text.split("::").filter(|s| !s.is_empty()).collect();
            let (base, rest): (Vec<String>, &[&str]) = match segments.first() {
                Some(&"crate") => (vec![], &segments[1..]),
                Some(&"super") => {
                    let ups = segments.iter().take_while(|s| **s == "super").count();
                    let mut base = if is_mod_file {
                        me.clone()
                    } else {
                        me[..me.len().saturating_sub(1)].to_vec()
                    };
                    base.truncate(base.len().saturating_sub(ups - 1));
                    (base, &segments[ups..])
                }
                _ => continue,
            };
            let mut parts = base;
            parts.extend(rest.iter().map(|s| s.to_string()));
            if let Some(target) = resolve(&parts).filter(|t| t != path) {
                targets.insert(target);
            }
        }
        edges.insert(path.clone(), targets);
    }
    edges
}

/// Circles in the graph (strongly connected components of more than one file).
fn circles(edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<Vec<PathBuf>> {
    let reach = |from: &PathBuf| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(f) = todo.pop() {
            for t in edges.get(&f).into_iter().flatten() {
                if seen.insert(t.clone()) {
                    todo.push(t.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&PathBuf, BTreeSet<PathBuf>> =
        edges.keys().map(|f| (f, reach(f))).collect();
    let mut found: BTreeSet<Vec<PathBuf>> = BTreeSet::new();
    for (f, r) in &reaches {
        let mut circle: Vec<PathBuf> = r
            .iter()
            .filter(|t| reaches.get(t).is_some_and(|back| back.contains(*f)))
            .cloned()
            .collect();
        if !circle.is_empty() {
            circle.sort();
            found.insert(circle);
        }
    }
    found.into_iter().collect()
}

fn top(root: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(root).expect("under src");
    let first = rel.iter().next().map(|s| s.to_string_lossy().into_owned());
    first
        .unwrap_or_default()
        .trim_end_matches(".rs")
        .to_string()
}

#[test]
fn no_file_imports_one_that_imports_it_back() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let edges = imports(&modules(&root));
    assert!(
        edges.len() > 100,
        "the source tree was read: {}",
        edges.len()
    );
    let circles = circles(&edges);
    assert!(circles.is_empty(), "import circles: {circles:#?}");
}

#[test]
fn dependencies_point_one_way() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let edges = imports(&modules(&root));
    let shared = ["ui", "k8s", "status", "clients", "config"];
    let domains = ["cluster", "queues", "slo", "cost", "health"];
    let mut wrong = vec![];
    for (from, targets) in &edges {
        let a = top(&root, from);
        for to in targets {
            let b = top(&root, to);
            let upward = shared.contains(&a.as_str()) && !shared.contains(&b.as_str());
            let sideways = domains.contains(&a.as_str()) && domains.contains(&b.as_str()) && a != b;
            let into_console = b == "core" || b == "app";
            let console_below = a != "core" && a != "app" && a != "main" && a != "lib";
            if upward || sideways || (into_console && console_below) {
                wrong.push(format!("{} -> {}", from.display(), to.display()));
            }
        }
    }
    assert!(wrong.is_empty(), "imports against the layering: {wrong:#?}");
}
