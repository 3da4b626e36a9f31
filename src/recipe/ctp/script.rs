//! Reading a CTP DICOM anonymizer script, in either of its two forms, into its rows:
//!
//! - XML: `<script>` with `<p t="NAME">value</p>` parameters, `<e en="T|F" t="ggggeeee"
//!   n="Name">script</e>` element rows, `<k en t="gggg|safeprivateelements">` keep rows and
//!   `<r en t="privategroups|unspecifiedelements|curves|overlays">` remove rows;
//! - `.properties`: `param.NAME=value`, `set.[gggg,eeee]Name=script`, `keep.groupgggg=`,
//!   `keep.safeprivateelements=`, `remove.privategroups=`; a leading `#` disables a row.
//!
//! The forms as CTP's `DAScript.java` reads and converts them (read, not copied).

use snafu::Snafu;

/// Why a script could not be read at all (a row that cannot be imported is a report row, not
/// an error).
#[derive(Debug, Snafu)]
pub enum ScriptError {
    /// Not well-formed XML.
    #[snafu(display("the CTP script is not well-formed XML: {source}"))]
    Xml {
        /// parser message
        source: roxmltree::Error,
    },
    /// XML whose root is not `<script>`.
    #[snafu(display("an XML file whose root element is <{root}>, not a CTP <script>"))]
    NotAScript {
        /// the root element's name
        root: String,
    },
}

/// One row of a script, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptRow {
    /// `<p t="NAME">value</p>` / `param.NAME=value`.
    Param {
        /// the parameter's name (without `@`)
        name: String,
        /// its value as written (CTP does not trim it)
        value: String,
    },
    /// `<e>` / `set.`: what to do to one element.
    Element {
        /// `en="T"`
        enabled: bool,
        /// the `t` attribute (`00100020`, or `0009[CREATOR]10` for a private element)
        tag: String,
        /// the `n` attribute (informational)
        name: String,
        /// the function script, trimmed
        script: String,
    },
    /// `<k>` / `keep.`: a group to keep, or `safeprivateelements`.
    Keep {
        /// `en="T"`
        enabled: bool,
        /// `0018`, or `safeprivateelements`
        target: String,
    },
    /// `<r>` / `remove.`: `privategroups`, `unspecifiedelements`, `curves` or `overlays`.
    Remove {
        /// `en="T"`
        enabled: bool,
        /// what is removed
        target: String,
    },
}

/// A script's rows and the form it was written in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    /// `xml` or `properties`.
    pub form: &'static str,
    /// The rows, in file order.
    pub rows: Vec<ScriptRow>,
}

/// Whether a text looks like a CTP anonymizer script: XML whose root element is `<script>`,
/// or properties with `set.[` / `param.` / `remove.` / `keep.` keys.
pub fn looks_like_ctp(text: &str) -> bool {
    let t = text.trim_start_matches('\u{feff}').trim_start();
    if t.starts_with('<') {
        return xml_root_is_script(t);
    }
    t.lines().map(str::trim).any(|l| {
        let l = l.strip_prefix('#').unwrap_or(l);
        l.starts_with("set.[")
            || l.starts_with("param.")
            || l.starts_with("remove.")
            || l.starts_with("keep.group")
    })
}

fn xml_root_is_script(t: &str) -> bool {
    roxmltree::Document::parse(t).is_ok_and(|d| d.root_element().has_tag_name("script"))
}

/// Reads a script in either form (XML when its first non-blank character is `<`, as CTP
/// decides).
pub fn parse(text: &str) -> Result<Script, ScriptError> {
    let t = text.trim_start_matches('\u{feff}');
    if t.trim_start().starts_with('<') {
        parse_xml(t)
    } else {
        Ok(parse_properties(t))
    }
}

fn attr(node: roxmltree::Node, name: &str) -> String {
    node.attribute(name).unwrap_or("").to_string()
}

/// The text content of an element (every text node inside it, as the DOM's `getTextContent`).
fn text_content(node: roxmltree::Node) -> String {
    node.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect()
}

fn parse_xml(text: &str) -> Result<Script, ScriptError> {
    let doc = roxmltree::Document::parse(text).map_err(|source| ScriptError::Xml { source })?;
    let root = doc.root_element();
    if !root.has_tag_name("script") {
        return Err(ScriptError::NotAScript {
            root: root.tag_name().name().to_string(),
        });
    }
    let mut rows = Vec::new();
    for x in root.children().filter(|n| n.is_element()) {
        let enabled = x.attribute("en") == Some("T");
        let row = match x.tag_name().name() {
            "p" => ScriptRow::Param {
                name: attr(x, "t"),
                value: text_content(x),
            },
            "e" => ScriptRow::Element {
                enabled,
                tag: attr(x, "t"),
                name: attr(x, "n"),
                script: text_content(x).trim().to_string(),
            },
            "k" => ScriptRow::Keep {
                enabled,
                target: attr(x, "t"),
            },
            "r" => ScriptRow::Remove {
                enabled,
                target: attr(x, "t"),
            },
            _ => continue,
        };
        rows.push(row);
    }
    Ok(Script { form: "xml", rows })
}

/// The logical lines of a properties text: a line ending in an odd number of `\` continues on
/// the next (whose leading white space is dropped), as `java.util.Properties` reads them.
fn logical_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut continuing = false;
    for line in text.lines() {
        let line = if continuing { line.trim_start() } else { line };
        let trailing = line.len() - line.trim_end_matches('\\').len();
        if trailing % 2 == 1 {
            current.push_str(&line[..line.len() - 1]);
            continuing = true;
        } else {
            current.push_str(line);
            out.push(std::mem::take(&mut current));
            continuing = false;
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// `java.util.Properties` escapes in a value: `\t \n \r \f`, `\uXXXX`, and `\c` for any other
/// character `c` (so `\\` is one backslash).
fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) => out.push(ch),
                    None => out.push_str(&hex),
                }
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

fn parse_properties(text: &str) -> Script {
    let mut rows = Vec::new();
    for line in logical_lines(text) {
        let line = line.trim();
        let Some((left, right)) = line.split_once('=') else {
            continue;
        };
        let (enabled, key) = match left.trim().strip_prefix('#') {
            Some(k) => (false, k.trim()),
            None => (true, left.trim()),
        };
        if line.starts_with('!') {
            continue;
        }
        let value = unescape(right.trim_start());
        if let Some(row) = properties_row(enabled, key, value) {
            rows.push(row);
        }
    }
    Script {
        form: "properties",
        rows,
    }
}

fn properties_row(enabled: bool, key: &str, value: String) -> Option<ScriptRow> {
    if let Some(name) = key.strip_prefix("param.") {
        return enabled.then(|| ScriptRow::Param {
            name: name.trim().to_string(),
            value,
        });
    }
    if let Some(rest) = key.strip_prefix("set.") {
        let (tag, name) = match (rest.find('['), rest.find(']')) {
            (Some(a), Some(b)) if a < b => (
                rest[a + 1..b].chars().filter(|c| *c != ',').collect(),
                rest[b + 1..].trim().to_string(),
            ),
            _ => (rest.to_string(), String::new()),
        };
        return Some(ScriptRow::Element {
            enabled,
            tag,
            name,
            script: value.trim().to_string(),
        });
    }
    if let Some(rest) = key.strip_prefix("keep.") {
        let target = match rest.strip_prefix("group") {
            Some(g) => format!("{:0>4}", g.trim()),
            None => rest.trim().to_string(),
        };
        return Some(ScriptRow::Keep { enabled, target });
    }
    key.strip_prefix("remove.").map(|t| ScriptRow::Remove {
        enabled,
        target: t.trim().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_give_the_same_rows() {
        let xml = r#"<script><p t="UIDROOT">1.2.3</p>
            <e en="T" t="00100020" n="PatientID">@hash(this,10)</e>
            <e en="F" t="00100030" n="PatientBirthDate">@remove()</e>
            <k en="T" t="0018">Keep group 0018</k><r en="T" t="privategroups">x</r></script>"#;
        let props = "param.UIDROOT=1.2.3\nset.[0010,0020]PatientID=@hash(this,10)\n\
            #set.[0010,0030]PatientBirthDate=@remove()\nkeep.group0018=\nremove.privategroups=\n";
        let a = parse(xml).unwrap();
        let b = parse(props).unwrap();
        assert_eq!(a.rows, b.rows);
        assert!(looks_like_ctp(xml) && looks_like_ctp(props));
        assert!(!looks_like_ctp("<html/>"));
    }

    #[test]
    fn properties_values_are_unescaped() {
        let s = parse("set.[0010,0010]PatientName=@contents(this,\"\\\\d\")\n").unwrap();
        let ScriptRow::Element { script, .. } = &s.rows[0] else {
            panic!("an element row");
        };
        assert_eq!(script, "@contents(this,\"\\d\")");
    }
}
