//! A toy language compiled by a runtime's own backend: Cranelift makes the
//! machine code and `.eh_frame`, gimli's writer the DWARF, and Lantern links
//! the object and makes it debuggable. `docs/toy-backend.md` walks through it.
//!
//! ```text
//! fn square(x) {
//!     return x * x;
//! }
//!
//! fn main() {
//!     let n = square(7);
//!     print(n);
//!     return 0;
//! }
//! ```
//! - [`syntax`]: lexer and parser (functions, `let`, assignment, `return`,
//!   `if`/`else`, `while`, calls, integer arithmetic and comparisons);
//! - [`codegen`]: Cranelift IR, compiled into an ELF relocatable object;
//! - [`dwarf`]: line program, subprograms, parameters and variables.

pub mod codegen;
pub mod dwarf;
pub mod syntax;

use std::fmt;
use std::path::Path;

use syntax::Pos;

/// Why a toy program did not compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A mistake in the program, at a position.
    Source { pos: Pos, message: String },
    /// Cranelift, the object writer or the DWARF writer failed.
    Backend(String),
}

impl Error {
    fn at(pos: Pos, message: String) -> Error {
        Error::Source { pos, message }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Source { pos, message } => write!(f, "{}:{}: {message}", pos.line, pos.column),
            Error::Backend(message) => write!(f, "backend: {message}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<syntax::SyntaxError> for Error {
    fn from(e: syntax::SyntaxError) -> Error {
        Error::Source {
            pos: e.pos,
            message: e.message,
        }
    }
}

/// Compiles toy source into the bytes of an x86-64 ELF relocatable object
/// with `.eh_frame` and DWARF 5. `path` is the source's name in the debug
/// information (give an absolute path so debuggers find the file).
pub fn compile(source: &str, path: &Path) -> Result<Vec<u8>, Error> {
    let program = syntax::parse(source)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "toy".into());
    let mut compiled = codegen::compile(&program, &name)?;
    dwarf::write(&mut compiled, path)?;
    compiled
        .product
        .emit()
        .map_err(|e| Error::Backend(format!("writing the object: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(source: &str) -> String {
        compile(source, Path::new("/tmp/t.toy"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn mistakes_are_errors_at_their_position() {
        assert_eq!(
            error("fn main() {\n  return y;\n}"),
            "2:10: `y` is not declared"
        );
        assert_eq!(
            error("fn f(a) { return a; }\nfn main() { return f(1, 2); }"),
            "2:20: `f` takes 1 argument, 2 given"
        );
        assert_eq!(error("fn main() { return g(); }"), "1:20: no function `g`");
        assert_eq!(
            error("fn main() {\n  let x = 1;\n  let x = 2;\n  return x;\n}"),
            "3:3: `x` is already declared at line 2"
        );
        assert_eq!(
            error("fn main() { return 1; print(2); }"),
            "1:23: unreachable statement after `return`"
        );
        assert_eq!(
            error("fn print(x) { return x; }"),
            "1:1: `print` is a built-in function"
        );
    }

    #[test]
    fn a_variable_is_not_visible_after_its_block() {
        assert_eq!(
            error("fn main() {\n  if 1 { let t = 2; }\n  return t;\n}"),
            "3:10: `t` is not declared"
        );
    }

    #[test]
    fn objects_carry_code_unwind_info_and_dwarf() {
        let bytes = compile("fn main() {\n  return 0;\n}\n", Path::new("/tmp/t.toy")).unwrap();
        assert!(bytes.starts_with(b"\x7fELF"));
        for name in [
            ".text",
            ".eh_frame",
            ".debug_info",
            ".debug_line",
            ".debug_abbrev",
        ] {
            assert!(
                bytes
                    .windows(name.len() + 1)
                    .any(|w| w[..name.len()] == *name.as_bytes() && w[name.len()] == 0),
                "no {name} section"
            );
        }
    }
}
