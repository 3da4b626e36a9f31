//! `run-statement.html`: the statement for a reader (an IRB reviewer, a data manager), a static
//! page with no script and no external resource. It shows what `run-statement.json` holds but
//! the manifest's hash (the manifest covers this page, so this page cannot hold it).

use crate::html_text::escape;
use crate::statement::record::Statement;

/// A two-column table of counts.
fn counts<'a>(rows: impl Iterator<Item = (&'a str, u64)>) -> String {
    let mut s = String::from("<table>\n");
    for (k, v) in rows {
        s.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td>{v}</td></tr>\n",
            escape(k)
        ));
    }
    s.push_str("</table>\n");
    s
}

/// The page.
pub(crate) fn render(st: &Statement) -> String {
    let options = serde_json::to_string_pretty(st.options).unwrap_or_default();
    let mut s = String::from(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>De-identification run statement</title>\n</head>\n<body>\n\
         <h1>De-identification run statement</h1>\n",
    );
    s.push_str(&format!(
        "<p>Made by {} {} (build {}) on {} (UTC). The project secret's fingerprint is \
         <code>{}</code>; the statement is signed with Ed25519, public key fingerprint \
         <code>{}</code>.</p>\n",
        escape(st.engine.name),
        escape(st.engine.version),
        escape(st.engine.build),
        escape(st.run_time),
        escape(&st.secret_fingerprint),
        escape(&st.signature.public_key_fingerprint),
    ));
    s.push_str(
        "<p>To check a received zip: <code>dicom-deid verify ZIP --public-key FILE</code> \
         (FILE: the project's public key, received apart from the zip). It checks the \
         signature of <code>run-statement.json</code>, the SHA-256 of \
         <code>manifest-sha256.txt</code> recorded there, and the SHA-256 of every other \
         entry listed in the manifest, and names any file that differs, is missing or was \
         added.</p>\n",
    );
    s.push_str("<h2>Files by outcome</h2>\n");
    s.push_str(&counts(st.outcomes.iter().map(|(k, v)| (*k, *v))));
    s.push_str("<h2>Reasons</h2>\n");
    s.push_str(&counts(st.reasons.iter().map(|(k, v)| (k.as_str(), *v))));
    s.push_str("<h2>Pixel decisions</h2>\n");
    s.push_str(&counts(st.pixels.iter().map(|(k, v)| (*k, *v))));
    s.push_str("<h2>Self-check</h2>\n");
    s.push_str(&format!(
        "<p>{}: {} files checked, {} failed (not written).</p>\n",
        if st.self_check.enabled { "on" } else { "OFF" },
        st.self_check.files_checked,
        st.self_check.files_failed
    ));
    s.push_str(&format!(
        "<h2>Recipe</h2>\n<p>{}</p>\n",
        match &st.recipe_sha256 {
            Some(h) => format!("SHA-256 <code>{}</code>", escape(h)),
            None => "none (the options below)".to_string(),
        }
    ));
    s.push_str(&format!(
        "<h2>Options</h2>\n<pre>{}</pre>\n</body>\n</html>\n",
        escape(&options)
    ));
    s
}
