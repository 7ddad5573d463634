//! `toyc PROGRAM.toy [-o PROGRAM.o]`: compiles a toy program into an x86-64
//! ELF object with `.eh_frame` and DWARF, for `lantern run PROGRAM.o`.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (source, output) = match args.as_slice() {
        [source] => (
            PathBuf::from(source),
            PathBuf::from(source).with_extension("o"),
        ),
        [source, flag, output] if flag == "-o" => (PathBuf::from(source), PathBuf::from(output)),
        _ => {
            eprintln!("usage: toyc PROGRAM.toy [-o PROGRAM.o]");
            return ExitCode::from(2);
        }
    };
    let text = match std::fs::read_to_string(&source) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("toyc: {}: {e}", source.display());
            return ExitCode::from(1);
        }
    };
    // Debuggers find the source from any directory by its absolute path.
    let absolute = std::path::absolute(&source).unwrap_or_else(|_| source.clone());
    match lantern_toy::compile(&text, &absolute) {
        Ok(bytes) => match std::fs::write(&output, bytes) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("toyc: {}: {e}", output.display());
                ExitCode::from(1)
            }
        },
        Err(e @ lantern_toy::Error::Source { .. }) => {
            eprintln!("{}:{e}", source.display());
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("toyc: {e}");
            ExitCode::from(1)
        }
    }
}
