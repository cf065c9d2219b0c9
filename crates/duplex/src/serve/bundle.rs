//! `/socket.io/socket.io.js`: our browser client's ES modules (web/socketio/) joined into one
//! classic script that defines the global `io`, as Node's `serveClient` serves socket.io-client,
//! for pages that load the client with `<script src>`. There is no build step in web/, so the
//! script is made here, deterministically, from the embedded modules.
//!
//! Each module becomes a function scope returning its exports, so the modules' private
//! top-level names never meet; its `import { a, b as c } from './x.js'` lines become
//! `const { a, b: c } = <x's exports>` and its `export` keywords are dropped. Only the forms our
//! modules use are accepted (imports and exports at the start of a line, `export` before a
//! `class`, `function` or `const` declaration, and `export { a as b }` lists); anything else
//! is refused with the module and line, so a new form cannot slip into a broken script.

use std::collections::BTreeMap;

/// The prefix of the names the script adds; no module may use it.
const RESERVED: &str = "__duplex_";

/// One module's imports (module name, [(imported, local)]), exports ([(exported, local)])
/// and body with its `import` statements and `export` keywords rewritten.
struct Module {
    imports: Vec<(String, Vec<(String, String)>)>,
    exports: Vec<(String, String)>,
    body: String,
}

/// The classic script for `modules` (file name, source), run from `entry`: its `default` export
/// is the global `io`, and its other exports are `io`'s properties (`io.Manager`, ...).
pub fn classic_script(modules: &[(&str, &str)], entry: &str) -> Result<String, String> {
    let mut parsed = BTreeMap::new();
    for (name, source) in modules {
        let module = parse(source).map_err(|e| format!("web/socketio/{name}: {e}"))?;
        parsed.insert(name.to_string(), module);
    }
    let mut order = Vec::new();
    visit(entry, &parsed, &mut Vec::new(), &mut order)?;
    let mut script = String::from(
        "/* duplex's Socket.IO client (web/socketio/*.js) as one classic script defining the \
         global `io`; made by `duplex serve` from the ES modules. */\n(function (root) {\n\
         'use strict';\n",
    );
    for name in &order {
        let module = &parsed[name];
        script.push_str(&format!("const {} = (function () {{\n", scope(name)));
        script.push_str(&module.body);
        let exports: Vec<String> = module
            .exports
            .iter()
            .map(|(exported, local)| format!("{exported}: {local}"))
            .collect();
        script.push_str(&format!("return {{ {} }};\n}})();\n", exports.join(", ")));
    }
    let entry_module = &parsed[entry];
    if !entry_module.exports.iter().any(|(e, _)| e == "default") {
        return Err(format!("web/socketio/{entry} has no default export"));
    }
    let scope = scope(entry);
    script.push_str(&format!(
        "const io = {scope}.default;\n\
         for (const name of Object.keys({scope})) if (name !== 'default') io[name] = {scope}[name];\n\
         root.io = io;\n\
         }})(typeof globalThis !== 'undefined' ? globalThis : self);\n"
    ));
    Ok(script)
}

/// The name of the variable holding `module`'s exports.
fn scope(module: &str) -> String {
    let stem = module.strip_suffix(".js").unwrap_or(module);
    let stem: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{RESERVED}{stem}")
}

/// Depth-first: each module after the modules it imports; a cycle or an unknown module is an
/// error (a cycle would need live bindings, which the scopes do not have).
fn visit(
    name: &str,
    modules: &BTreeMap<String, Module>,
    path: &mut Vec<String>,
    order: &mut Vec<String>,
) -> Result<(), String> {
    if order.iter().any(|done| done == name) {
        return Ok(());
    }
    if path.iter().any(|on| on == name) {
        return Err(format!("import cycle through {name}"));
    }
    let module = modules
        .get(name)
        .ok_or_else(|| format!("{name} is imported but not embedded"))?;
    path.push(name.to_owned());
    for (dependency, names) in &module.imports {
        visit(dependency, modules, path, order)?;
        let exports = &modules[dependency].exports;
        for (imported, _) in names {
            if !exports.iter().any(|(e, _)| e == imported) {
                return Err(format!(
                    "{name} imports {imported} which {dependency} does not export"
                ));
            }
        }
    }
    path.pop();
    order.push(name.to_owned());
    Ok(())
}

fn parse(source: &str) -> Result<Module, String> {
    if source.contains(RESERVED) {
        return Err(format!("uses the reserved prefix {RESERVED}"));
    }
    if source.contains("import.meta") {
        return Err("uses import.meta, which a classic script cannot".into());
    }
    let mut module = Module {
        imports: Vec::new(),
        exports: Vec::new(),
        body: String::with_capacity(source.len()),
    };
    let mut lines = source.lines().enumerate();
    while let Some((index, line)) = lines.next() {
        let at = |e: String| format!("line {}: {e}", index + 1);
        let trimmed = line.trim_start();
        if trimmed.len() != line.len()
            && (trimmed.starts_with("import ") || trimmed.starts_with("export "))
        {
            return Err(at("an indented import or export".into()));
        }
        if line.starts_with("import ") || line == "import" {
            let mut statement = line.to_owned();
            while !statement.contains(" from ") || !statement.trim_end().ends_with(';') {
                let (_, more) = lines
                    .next()
                    .ok_or_else(|| at("an import without `from '...';`".into()))?;
                statement.push(' ');
                statement.push_str(more.trim());
            }
            let (from, names) = parse_import(&statement).map_err(at)?;
            let bindings: Vec<String> = names
                .iter()
                .map(|(imported, local)| match imported == local {
                    true => local.clone(),
                    false => format!("{imported}: {local}"),
                })
                .collect();
            module.body.push_str(&format!(
                "const {{ {} }} = {};\n",
                bindings.join(", "),
                scope(&from)
            ));
            module.imports.push((from, names));
        } else if let Some(rest) = line.strip_prefix("export ") {
            if let Some(list) = rest.strip_prefix('{') {
                let list = list
                    .trim_end()
                    .strip_suffix("};")
                    .or_else(|| list.trim_end().strip_suffix('}'))
                    .ok_or_else(|| at("an export list on several lines or re-exported".into()))?;
                for (local, exported) in names(list).map_err(at)? {
                    module.exports.push((exported, local));
                }
            } else {
                let name = declared(rest).map_err(at)?;
                module.exports.push((name.clone(), name));
                module.body.push_str(rest);
                module.body.push('\n');
            }
        } else {
            module.body.push_str(line);
            module.body.push('\n');
        }
    }
    Ok(module)
}

/// `import { a, b as c } from './x.js';` → (`x.js`, [(a, a), (b, c)]).
fn parse_import(statement: &str) -> Result<(String, Vec<(String, String)>), String> {
    let rest = statement["import".len()..].trim_start();
    let list = rest
        .strip_prefix('{')
        .ok_or("only `import { names } from './module.js'` is supported")?;
    let (list, from) = list.split_once('}').ok_or("an unclosed import list")?;
    let from = from.trim();
    let specifier = from
        .strip_prefix("from")
        .map(str::trim)
        .and_then(|s| s.strip_suffix(';'))
        .map(str::trim)
        .ok_or("expected `from '...';` after the import list")?;
    let unquoted = specifier
        .strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .or_else(|| {
            specifier
                .strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
        })
        .ok_or("the module specifier is not a quoted string")?;
    let file = unquoted
        .strip_prefix("./")
        .filter(|f| f.ends_with(".js") && !f.contains('/'))
        .ok_or_else(|| format!("{unquoted}: only sibling modules ('./name.js')"))?;
    Ok((file.to_owned(), names(list)?))
}

/// `a, b as c` → [(a, a), (b, c)].
fn names(list: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (first, second) = match item.split_once(" as ") {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (item, item),
        };
        for name in [first, second] {
            if !identifier(name) {
                return Err(format!("{name:?} is not a plain name"));
            }
        }
        out.push((first.to_owned(), second.to_owned()));
    }
    Ok(out)
}

/// The name an exported declaration declares: `class X`, `function X`, `async function X`,
/// `function* X`, `const X =`; `let` and `var` are refused (their exports would be live
/// bindings), as are `default` and re-exports.
fn declared(declaration: &str) -> Result<String, String> {
    let rest = [
        "class ",
        "function* ",
        "function ",
        "async function ",
        "const ",
    ]
    .iter()
    .find_map(|keyword| declaration.strip_prefix(keyword))
    .ok_or_else(|| {
        format!("unsupported export form `export {declaration}` (class, function, const)")
    })?;
    let name: String = rest
        .trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '$')
        .collect();
    let after = rest.trim_start()[name.len()..].trim_start();
    let is_const = declaration.starts_with("const ");
    if !identifier(&name) || (is_const && !after.starts_with('=')) {
        return Err(format!(
            "unsupported export `export {declaration}`: one plain name"
        ));
    }
    Ok(name)
}

fn identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_become_scopes_in_dependency_order() {
        let modules = [
            (
                "index.js",
                "import { b as bee } from './b.js';\nimport { a } from './a.js';\nconst helper = 2;\nexport function io() { return a + bee + helper; }\nexport { io as default, io as connect };\n",
            ),
            ("a.js", "const helper = 1;\nexport const a = helper;\n"),
            (
                "b.js",
                "import {\n  a,\n} from \"./a.js\";\nexport class b {}\n",
            ),
        ];
        let script = classic_script(&modules, "index.js").unwrap();
        let a = script.find("const __duplex_a =").unwrap();
        let b = script.find("const __duplex_b =").unwrap();
        let index = script.find("const __duplex_index =").unwrap();
        assert!(a < b && b < index, "{script}");
        assert!(
            script.contains("const { b: bee } = __duplex_b;"),
            "{script}"
        );
        assert!(script.contains("const { a } = __duplex_a;"), "{script}");
        assert!(
            script.contains("return { io: io, default: io, connect: io };"),
            "{script}"
        );
        assert!(script.contains("return { a: a };"), "{script}");
        assert!(!script.contains("export"), "{script}");
        assert!(!script.contains("import "), "{script}");
        // The same private name in two modules lives in two scopes: each `helper` once.
        assert_eq!(script.matches("const helper").count(), 2);
    }

    #[test]
    fn unsupported_forms_are_refused_with_their_line() {
        let refused = [
            "export default function () {}\n",
            "export let x = 1;\n",
            "export const { a, b } = o;\n",
            "export * from './a.js';\n",
            "export { a } from './a.js';\n",
            "import a from './a.js';\n",
            "import * as a from './a.js';\n",
            "import { a } from '/abs/a.js';\n",
            "import { a } from './a.js'\n",
            "function f() {\n  export const x = 1;\n}\n",
            "const x = import.meta.url;\n",
            "const __duplex_a = 1;\n",
        ];
        for source in refused {
            let modules = [("index.js", source), ("a.js", "export const a = 1;\n")];
            assert!(
                classic_script(&modules, "index.js").is_err(),
                "accepted: {source:?}"
            );
        }
        let error = classic_script(&[("index.js", "\n\nexport let x;\n")], "index.js");
        assert!(error.unwrap_err().contains("index.js: line 3"));
    }

    #[test]
    fn cycles_missing_modules_and_names_are_refused() {
        let cycle = [
            (
                "index.js",
                "import { b } from './b.js';\nexport { b as default };\n",
            ),
            (
                "b.js",
                "import { c } from './index.js';\nexport const b = 1;\n",
            ),
        ];
        assert!(
            classic_script(&cycle, "index.js")
                .unwrap_err()
                .contains("cycle")
        );
        let missing = [(
            "index.js",
            "import { b } from './b.js';\nexport { b as default };\n",
        )];
        assert!(
            classic_script(&missing, "index.js")
                .unwrap_err()
                .contains("not embedded")
        );
        let wrong = [
            (
                "index.js",
                "import { c } from './b.js';\nexport { c as default };\n",
            ),
            ("b.js", "export const b = 1;\n"),
        ];
        assert!(
            classic_script(&wrong, "index.js")
                .unwrap_err()
                .contains("does not export")
        );
        let no_default = [("index.js", "export const a = 1;\n")];
        assert!(classic_script(&no_default, "index.js").is_err());
    }
}
