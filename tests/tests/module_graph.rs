//! The shape of the code: the module graph drawn from the `use` lines and `crate::…` paths of
//! `src/` (the library's modules, and the CLI's under `src/bin/dicom-deid/` as their own graph)
//! has no cycle, and no chain of imports from a shell (`web.rs`, the CLI's `main.rs`) down to the
//! lowest module is longer than [`MAX_CHAIN`] modules. Test-only code (`#[cfg(test)]` items) does
//! not count: it may use whatever it tests with.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::support::harness::{files_under, root};

/// The longest chain of modules allowed from a shell to the lowest module, both counted.
const MAX_CHAIN: usize = 12;

/// A module's name in the graph: `crate::a::b` for the library, `cli::a` for the CLI.
type Module = String;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Path,
    Punct(char),
}

/// The code of a file with comments, string and character literals blanked.
fn strip(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < c.len() {
        let next = c.get(i + 1).copied();
        if c[i] == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if c[i] == '/' && next == Some('*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c[i] == 'r' && (next == Some('#') || next == Some('"')) && !ident_before(&c, i) {
            let mut hashes = 0;
            let mut j = i + 1;
            while c.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if c.get(j) != Some(&'"') {
                out.push(c[i]);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= c.len() {
                    break;
                }
                if c[j] == '"' && (1..=hashes).all(|h| c.get(j + h) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            i = j;
            out.push(' ');
        } else if c[i] == '"' {
            i += 1;
            while i < c.len() && c[i] != '"' {
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push(' ');
        } else if c[i] == '\'' && next == Some('\\') {
            i += 2;
            while i < c.len() && c[i] != '\'' {
                i += 1;
            }
            i += 1;
            out.push(' ');
        } else if c[i] == '\'' && c.get(i + 2) == Some(&'\'') {
            i += 3;
            out.push(' ');
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

fn ident_before(c: &[char], i: usize) -> bool {
    i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '_')
}

fn tokens(code: &str) -> Vec<Token> {
    let c: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        if c[i].is_alphabetic() || c[i] == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            out.push(Token::Ident(c[start..i].iter().collect()));
        } else if c[i] == ':' && c.get(i + 1) == Some(&':') {
            out.push(Token::Path);
            i += 2;
        } else {
            if !c[i].is_whitespace() {
                out.push(Token::Punct(c[i]));
            }
            i += 1;
        }
    }
    out
}

/// The tokens without the items marked `#[cfg(test)]`; the names of the `mod x;` so marked.
fn without_tests(t: &[Token]) -> (Vec<Token>, Vec<String>) {
    let attr: Vec<Token> = tokens("#[cfg(test)]");
    let mut out = Vec::new();
    let mut test_mods = Vec::new();
    let mut i = 0;
    while i < t.len() {
        if t[i..].starts_with(&attr) {
            i += attr.len();
            let mut is_mod = None;
            while i < t.len() && t[i] != Token::Punct(';') && t[i] != Token::Punct('{') {
                if t[i] == Token::Ident("mod".into()) {
                    if let Some(Token::Ident(name)) = t.get(i + 1) {
                        is_mod = Some(name.clone());
                    }
                }
                i += 1;
            }
            if t.get(i) == Some(&Token::Punct('{')) {
                let mut depth = 0;
                while i < t.len() {
                    match t[i] {
                        Token::Punct('{') => depth += 1,
                        Token::Punct('}') => depth -= 1,
                        _ => {}
                    }
                    i += 1;
                    if depth == 0 {
                        break;
                    }
                }
            } else {
                test_mods.extend(is_mod);
                i += 1;
            }
        } else {
            out.push(t[i].clone());
            i += 1;
        }
    }
    (out, test_mods)
}

/// Every path of a `use` tree starting at `t[*i]`, each as its segments; `*i` ends past it.
fn use_tree(t: &[Token], i: &mut usize, prefix: &[String], out: &mut Vec<Vec<String>>) {
    let mut path = prefix.to_vec();
    loop {
        match t.get(*i) {
            Some(Token::Ident(s)) if s == "as" => {
                *i += 2;
                out.push(path);
                return;
            }
            Some(Token::Ident(s)) => {
                if s != "self" || path.is_empty() {
                    path.push(s.clone());
                }
                *i += 1;
            }
            Some(Token::Path) => *i += 1,
            Some(Token::Punct('{')) => {
                *i += 1;
                while t.get(*i).is_some_and(|t| *t != Token::Punct('}')) {
                    use_tree(t, i, &path, out);
                    if t.get(*i) == Some(&Token::Punct(',')) {
                        *i += 1;
                    }
                }
                *i += 1;
                return;
            }
            Some(Token::Punct('*')) => {
                *i += 1;
                out.push(path);
                return;
            }
            _ => {
                out.push(path);
                return;
            }
        }
    }
}

/// Every path of a file (in `use` trees and in code) that may name a module.
fn paths(t: &[Token]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < t.len() {
        if t[i] == Token::Ident("use".into()) {
            i += 1;
            if t.get(i) == Some(&Token::Path) {
                i += 1;
            }
            use_tree(t, &mut i, &[], &mut out);
            continue;
        }
        let starts = i == 0 || (t[i - 1] != Token::Path && t[i - 1] != Token::Punct('$'));
        if let (true, Token::Ident(first), Some(Token::Path)) = (starts, &t[i], t.get(i + 1)) {
            let mut path = vec![first.clone()];
            i += 1;
            while let (Some(Token::Path), Some(Token::Ident(s))) = (t.get(i), t.get(i + 1)) {
                path.push(s.clone());
                i += 2;
            }
            out.push(path);
            continue;
        }
        i += 1;
    }
    out
}

/// One graph: its modules (by file) and the root's name (`crate` or `cli`).
struct Tree {
    root: &'static str,
    /// module (segments under the root) → file
    files: BTreeMap<Vec<String>, PathBuf>,
}

impl Tree {
    fn read(root: &'static str, dir: PathBuf, top: &str, skip: Option<&Path>) -> Tree {
        let mut files = BTreeMap::new();
        for p in files_under(&dir) {
            if skip.is_some_and(|s| p.starts_with(s)) {
                continue;
            }
            if p.extension().is_some_and(|x| x == "rs") {
                let rel = p.strip_prefix(&dir).expect("under src").with_extension("");
                let mut segs: Vec<String> = rel
                    .iter()
                    .map(|s| s.to_string_lossy().into_owned())
                    .collect();
                if segs.last().is_some_and(|s| s == "mod") || segs == [top] {
                    segs.pop();
                }
                files.insert(segs, p);
            }
        }
        Tree { root, files }
    }

    fn name(&self, m: &[String]) -> Module {
        std::iter::once(self.root.to_string())
            .chain(m.iter().cloned())
            .collect::<Vec<_>>()
            .join("::")
    }

    /// The module a path names, as segments under the root, or `None` when not of this tree.
    fn resolve(&self, cur: &[String], path: &[String], extern_name: &str) -> Option<Vec<String>> {
        let mut abs: Vec<String> = cur.to_vec();
        let mut rest = path;
        match path.first().map(String::as_str) {
            Some("crate") => {
                abs.clear();
                rest = &path[1..];
            }
            Some(n) if n == extern_name => {
                abs.clear();
                rest = &path[1..];
            }
            Some("self") => rest = &path[1..],
            Some("super") => {
                while rest.first().is_some_and(|s| s == "super") {
                    abs.pop();
                    rest = &rest[1..];
                }
            }
            Some(child)
                if self
                    .files
                    .contains_key(&[cur, &[child.to_string()]].concat()) => {}
            _ => return None,
        }
        abs.extend(rest.iter().cloned());
        (0..=abs.len())
            .rev()
            .map(|n| abs[..n].to_vec())
            .find(|m| self.files.contains_key(m))
    }
}

/// The edges of the library's graph and of the CLI's (CLI → library edges included).
fn graph() -> BTreeMap<Module, BTreeSet<Module>> {
    let src = root().join("src");
    let lib = Tree::read("crate", src.clone(), "lib", Some(&src.join("bin")));
    let cli = Tree::read("cli", src.join("bin/dicom-deid"), "main", None);
    assert!(
        lib.files.len() > 20 && cli.files.len() > 3,
        "src/ not found: {src:?}"
    );
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (tree, external) in [(&lib, None), (&cli, Some(&lib))] {
        let mut test_only = BTreeSet::new();
        for (m, file) in &tree.files {
            let code = std::fs::read_to_string(file).expect("read a module");
            let (t, tests) = without_tests(&tokens(&strip(&code)));
            test_only.extend(tests.into_iter().map(|c| [m.clone(), vec![c]].concat()));
            let to = edges.entry(tree.name(m)).or_default();
            for p in paths(&t) {
                if let Some(dep) = tree.resolve(m, &p, "\u{0}") {
                    to.insert(tree.name(&dep));
                } else if let Some(dep) = external.and_then(|l| l.resolve(&[], &p, "dicom_deid")) {
                    to.insert(lib.name(&dep));
                }
            }
            to.remove(&tree.name(m));
        }
        for m in test_only {
            edges.remove(&tree.name(&m));
        }
    }
    edges
}

/// A cycle of the graph, if any, as the modules along it.
fn find_cycle(g: &BTreeMap<Module, BTreeSet<Module>>) -> Option<Vec<Module>> {
    fn visit(
        g: &BTreeMap<Module, BTreeSet<Module>>,
        m: &Module,
        stack: &mut Vec<Module>,
        done: &mut BTreeSet<Module>,
    ) -> Option<Vec<Module>> {
        if let Some(at) = stack.iter().position(|s| s == m) {
            return Some([&stack[at..], &[m.clone()]].concat());
        }
        if !done.insert(m.clone()) {
            return None;
        }
        stack.push(m.clone());
        for d in g.get(m).into_iter().flatten() {
            if let Some(c) = visit(g, d, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    g.keys()
        .find_map(|m| visit(g, m, &mut Vec::new(), &mut done))
}

/// The longest chain of imports from `from` (in an acyclic graph), its modules in order.
fn longest_chain(g: &BTreeMap<Module, BTreeSet<Module>>, from: &Module) -> Vec<Module> {
    fn visit(
        g: &BTreeMap<Module, BTreeSet<Module>>,
        m: &Module,
        memo: &mut BTreeMap<Module, Vec<Module>>,
    ) -> Vec<Module> {
        if let Some(c) = memo.get(m) {
            return c.clone();
        }
        let below = g.get(m).into_iter().flatten().map(|d| visit(g, d, memo));
        let longest = below.max_by_key(Vec::len).unwrap_or_default();
        let chain = [vec![m.clone()], longest].concat();
        memo.insert(m.clone(), chain.clone());
        chain
    }
    visit(g, from, &mut BTreeMap::new())
}

#[test]
fn no_import_cycle_in_the_library_or_the_cli() {
    let g = graph();
    assert!(
        g.contains_key("crate::visit") && g.contains_key("cli"),
        "modules: {:?}",
        g.keys()
    );
    if let Some(cycle) = find_cycle(&g) {
        panic!("import cycle: {}", cycle.join(" → "));
    }
}

/// The longest chain from the CLI, the CLI counted as one shell (its own modules are a graph of
/// their own, checked for cycles): the CLI, then the longest chain of any library module it uses.
fn longest_chain_from_the_cli(g: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Module> {
    let is_cli = |m: &Module| m == "cli" || m.starts_with("cli::");
    let used = g
        .iter()
        .filter(|(m, _)| is_cli(m))
        .flat_map(|(_, d)| d)
        .filter(|d| !is_cli(d));
    let longest = used.map(|m| longest_chain(g, m)).max_by_key(Vec::len);
    [vec!["cli".to_string()], longest.unwrap_or_default()].concat()
}

#[test]
fn shells_reach_the_lowest_module_in_a_short_chain() {
    let g = graph();
    assert!(
        find_cycle(&g).is_none(),
        "a cycle (the other test names it)"
    );
    let web = longest_chain(&g, &"crate::web".to_string());
    let cli = longest_chain_from_the_cli(&g);
    let cli_modules = longest_chain(&g, &"cli".to_string());
    println!("web.rs: {} modules: {}", web.len(), web.join(" → "));
    println!(
        "CLI as one shell: {} modules: {}",
        cli.len(),
        cli.join(" → ")
    );
    println!(
        "CLI through its own modules: {}: {}",
        cli_modules.len(),
        cli_modules.join(" → ")
    );
    for chain in [web, cli] {
        assert!(
            chain.len() > 3,
            "a shell that imports next to nothing: {chain:?}"
        );
        assert!(
            chain.len() <= MAX_CHAIN,
            "{} modules from a shell to the lowest module (at most {MAX_CHAIN}): {}",
            chain.len(),
            chain.join(" → ")
        );
    }
}

#[test]
fn the_graph_sees_use_trees_super_paths_and_inline_paths() {
    let code = "use crate::{a::{self, B}, c::D as E};\nuse super::f::G;\n\
                fn x() { crate::h::i(); let s = \"crate::not::this\"; }\n\
                #[cfg(test)]\nmod tests { use crate::t::U; }";
    let (t, _) = without_tests(&tokens(&strip(code)));
    let p = paths(&t);
    let has = |s: &[&str]| p.iter().any(|q| q == s);
    assert!(has(&["crate", "a"]) && has(&["crate", "a", "B"]) && has(&["crate", "c", "D"]));
    assert!(has(&["super", "f", "G"]) && has(&["crate", "h", "i"]));
    assert!(!p
        .iter()
        .any(|q| q.contains(&"not".to_string()) || q.contains(&"t".to_string())));
}
