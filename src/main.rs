//! The `lantern` command line: link x86-64 ELF objects into this process and run them.

mod churn;
mod cli;
mod compile;
mod debug_test;
mod libraries;
mod report;
mod response_files;
mod static_tls;
mod symbolize;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args = match response_files::expand(std::env::args_os().collect()) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("lantern: error: {e}");
            return ExitCode::from(2);
        }
    };
    cli::main(args)
}
