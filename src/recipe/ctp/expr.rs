//! The function language of a CTP element script (`@hashuid(@UIDROOT,this)`,
//! `@if(this,isblank){@remove()}{Removed by CTP}`, `@always()YES`), split into literal text and
//! function calls the way CTP's `DICOMAnonymizer.makeReplacement` and `FnCall` read them (read,
//! not copied): `\` escapes the next character; `@name(args)` is a call whose arguments are
//! separated by commas outside quotes, brackets and parentheses; `@if` and `@select` take two
//! `{…}` clauses after their arguments, `@append` one. A call without its `(` or `)` ends the
//! script there, as in CTP.

/// A piece of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Literal text (escapes resolved).
    Text(String),
    /// A function call.
    Call(Call),
}

/// One `@name(args){clauses}` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The function's name (`hashuid`), white space removed.
    pub name: String,
    /// The arguments, trimmed, escapes resolved, quotes kept.
    pub args: Vec<String>,
    /// The `{…}` clauses of `@if`, `@select` and `@append`, as written.
    pub clauses: Vec<String>,
}

impl Call {
    /// Argument `k` without its surrounding quotes, or empty.
    pub fn arg(&self, k: usize) -> &str {
        let a = self.args.get(k).map(|s| s.trim()).unwrap_or("");
        if a.len() >= 2 && a.starts_with('"') && a.ends_with('"') {
            &a[1..a.len() - 1]
        } else {
            a
        }
    }
}

/// Splits a script into its parts.
pub fn parse(script: &str) -> Vec<Part> {
    let chars: Vec<char> = script.chars().collect();
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c == '\\' {
            if let Some(&next) = chars.get(i) {
                text.push(next);
                i += 1;
            }
        } else if c == '@' {
            let Some((call, used)) = parse_call(&chars[i..]) else {
                break;
            };
            i += used;
            if !text.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut text)));
            }
            parts.push(Part::Call(call));
        } else {
            text.push(c);
        }
    }
    if !text.is_empty() {
        parts.push(Part::Text(text));
    }
    parts
}

/// A call starting just after its `@`: the call and the characters it used.
fn parse_call(chars: &[char]) -> Option<(Call, usize)> {
    let open = chars.iter().position(|&c| c == '(')?;
    let name: String = chars[..open]
        .iter()
        .filter(|c| !c.is_whitespace())
        .collect();
    let mut i = open + 1;
    let mut args = Vec::new();
    loop {
        while chars.get(i).is_some_and(|c| c.is_whitespace()) {
            i += 1;
        }
        match chars.get(i) {
            None => return None,
            Some(')') => break,
            Some(_) => {}
        }
        let (arg, next) = parse_arg(chars, i)?;
        args.push(arg);
        i = next;
        if chars.get(i) == Some(&')') {
            break;
        }
        i += 1; // the comma
    }
    i += 1; // the closing parenthesis
    let wanted = match name.as_str() {
        "if" | "select" => 2,
        "append" => 1,
        _ => 0,
    };
    let mut clauses = Vec::new();
    for _ in 0..wanted {
        match parse_clause(chars, i) {
            Some((clause, next)) => {
                clauses.push(clause);
                i = next;
            }
            None => {
                i = chars.len();
                break;
            }
        }
    }
    Some((
        Call {
            name,
            args,
            clauses,
        },
        i,
    ))
}

/// One argument from `start`: its text and the index of the `,` or `)` that ends it.
fn parse_arg(chars: &[char], start: usize) -> Option<(String, usize)> {
    let (mut in_escape, mut in_quote) = (false, false);
    let (mut brackets, mut parens) = (0usize, 0usize);
    let mut arg = String::new();
    let mut i = start;
    while let Some(&c) = chars.get(i) {
        if !in_escape && !in_quote && brackets == 0 && parens == 0 && (c == ',' || c == ')') {
            return Some((arg.trim().to_string(), i));
        }
        if !in_escape && c == '\\' {
            in_escape = true;
        } else {
            arg.push(c);
            if c == '"' {
                in_quote = !in_quote;
            }
            if !in_quote {
                match c {
                    '[' => brackets += 1,
                    ']' if brackets > 0 => brackets -= 1,
                    '(' => parens += 1,
                    ')' if parens > 0 => parens -= 1,
                    _ => {}
                }
            }
            in_escape = false;
        }
        i += 1;
    }
    None
}

/// A `{…}` clause (nested braces counted) from `start` after white space: its trimmed text and
/// the index after its `}`.
fn parse_clause(chars: &[char], start: usize) -> Option<(String, usize)> {
    let mut i = start;
    while chars.get(i).is_some_and(|c| c.is_whitespace()) {
        i += 1;
    }
    if chars.get(i) != Some(&'{') {
        return None;
    }
    i += 1;
    let mut depth = 1usize;
    let mut clause = String::new();
    while let Some(&c) = chars.get(i) {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        if depth == 0 {
            return Some((clause.trim().to_string(), i + 1));
        }
        clause.push(c);
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, args: &[&str], clauses: &[&str]) -> Part {
        Part::Call(Call {
            name: name.into(),
            args: args.iter().map(|s| s.to_string()).collect(),
            clauses: clauses.iter().map(|s| s.to_string()).collect(),
        })
    }

    #[test]
    fn calls_clauses_and_text() {
        assert_eq!(
            parse("@hashuid(@UIDROOT,this)"),
            vec![call("hashuid", &["@UIDROOT", "this"], &[])]
        );
        assert_eq!(
            parse("@if(this,isblank){@remove()}{Removed by CTP}"),
            vec![call(
                "if",
                &["this", "isblank"],
                &["@remove()", "Removed by CTP"]
            )]
        );
        assert_eq!(
            parse("@always()YES"),
            vec![call("always", &[], &[]), Part::Text("YES".into())]
        );
        assert_eq!(
            parse(r#"@if(ImageType,contains,"SCREEN SAVE"){@quarantine()}{@keep()}"#),
            vec![call(
                "if",
                &["ImageType", "contains", "\"SCREEN SAVE\""],
                &["@quarantine()", "@keep()"]
            )]
        );
        assert_eq!(parse(r"a\@b"), vec![Part::Text("a@b".into())]);
        assert_eq!(parse("x@hash(this"), vec![Part::Text("x".into())]);
    }
}
