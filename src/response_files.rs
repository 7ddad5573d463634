//! `@FILE` arguments, expanded as compilers and linkers do: the file's words
//! (whitespace-separated, with '…', "…" and backslash escapes) replace it.

use std::ffi::OsString;

const MAX_DEPTH: usize = 16;

/// Expands every `@FILE` argument (recursively) after the program name.
pub fn expand(args: Vec<OsString>) -> Result<Vec<OsString>, String> {
    let mut out = Vec::with_capacity(args.len());
    let mut iter = args.into_iter();
    if let Some(program) = iter.next() {
        out.push(program);
    }
    let mut after_dashdash = false;
    for arg in iter {
        if after_dashdash {
            out.push(arg);
            continue;
        }
        if arg == "--" {
            after_dashdash = true;
            out.push(arg);
            continue;
        }
        expand_one(arg, &mut out, 0)?;
    }
    Ok(out)
}

fn expand_one(arg: OsString, out: &mut Vec<OsString>, depth: usize) -> Result<(), String> {
    let Some(path) = arg
        .to_str()
        .and_then(|s| s.strip_prefix('@'))
        .filter(|p| !p.is_empty())
    else {
        out.push(arg);
        return Ok(());
    };
    if depth >= MAX_DEPTH {
        return Err(format!(
            "response file @{path}: nested more than {MAX_DEPTH} deep"
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("response file @{path}: {e}"))?;
    for word in split_words(&text).map_err(|e| format!("response file @{path}: {e}"))? {
        expand_one(word.into(), out, depth + 1)?;
    }
    Ok(())
}

/// Splits like GCC's libiberty `buildargv`.
pub fn split_words(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (c, quote) {
            ('\\', _) => {
                if let Some(next) = chars.next() {
                    current.push(next);
                }
                in_word = true;
            }
            (q, Some(open)) if q == open => quote = None,
            (_, Some(_)) => current.push(c),
            ('\'' | '"', None) => {
                quote = Some(c);
                in_word = true;
            }
            (c, None) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            (c, None) => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return Err("unterminated quote".into());
    }
    if in_word {
        words.push(current);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_quotes_and_escapes() {
        let words = split_words("a.o 'b c.o'\n\"d\\\"e\" f\\ g").unwrap();
        assert_eq!(words, ["a.o", "b c.o", "d\"e", "f g"]);
        assert!(split_words("'open").is_err());
    }

    #[test]
    fn expands_nested_files() {
        let dir = std::env::temp_dir().join(format!("lantern-rsp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let inner = dir.join("inner.rsp");
        let outer = dir.join("outer.rsp");
        std::fs::write(&inner, "x.o y.o").unwrap();
        std::fs::write(&outer, format!("w.o @{}", inner.display())).unwrap();
        let args = vec![
            "lantern".into(),
            "run".into(),
            format!("@{}", outer.display()).into(),
            "--".into(),
            "@keep".into(),
        ];
        let out = expand(args).unwrap();
        assert_eq!(out, ["lantern", "run", "w.o", "x.o", "y.o", "--", "@keep"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
