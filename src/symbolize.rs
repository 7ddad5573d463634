//! `lantern symbolize`: where addresses of JIT'd code are in the source.
//!
//! Links the files as `run` would (without running them) and prints, for
//! each address, its frames in the crash report's format, innermost inlined
//! frame first. An address is `SYMBOL+OFFSET` (what `perf script` and crash
//! reports of another run print; offsets are stable, the placement is not),
//! `SYMBOL`, or a `0x` address in this link. Symbols the files do not define
//! are looked up in the host, as the JIT'd code's references would be.

use std::io::BufRead;
use std::sync::Arc;

use clap::Args;
use lantern_core::executor::ExecutorControl;
use lantern_plugins::symbolize;

use crate::cli::{CommonArgs, Plugins};

#[derive(Args)]
pub(crate) struct SymbolizeArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// An address to symbolize: SYMBOL, SYMBOL+OFFSET (decimal or 0x hex) or
    /// 0xADDR; repeatable. Without any, addresses are read from stdin, one a line.
    #[arg(short = 'a', long = "address", value_name = "ADDR")]
    addresses: Vec<String>,
}

impl SymbolizeArgs {
    pub(crate) fn common(&self) -> &CommonArgs {
        &self.common
    }
}

pub(crate) fn symbolize(args: SymbolizeArgs) -> Result<bool, String> {
    let executor = Arc::new(args.common.executor());
    let plugins = Plugins {
        symbolizer: true,
        dwarf: !args.common.no_debugger_support,
        ..Plugins::default()
    };
    let linked = crate::cli::link_units(
        &args.common,
        executor.clone(),
        std::slice::from_ref(&args.common.entry),
        plugins,
    )?;
    let mut all_found = true;
    let mut one = |spec: &str| {
        let spec = spec.trim();
        if spec.is_empty() {
            return;
        }
        match resolve(spec, executor.as_ref()) {
            Ok(addr) => {
                println!("{spec}");
                for line in frames(addr) {
                    println!("{line}");
                }
            }
            Err(why) => {
                eprintln!("lantern: symbolize: {spec}: {why}");
                all_found = false;
            }
        }
    };
    if args.addresses.is_empty() {
        for line in std::io::stdin().lock().lines() {
            one(&line.map_err(|e| format!("reading stdin: {e}"))?);
        }
    } else {
        args.addresses.iter().for_each(|a| one(a));
    }
    drop(linked);
    Ok(all_found)
}

/// The address `spec` names in this process.
fn resolve(spec: &str, executor: &dyn ExecutorControl) -> Result<u64, String> {
    if let Some(hex) = spec.strip_prefix("0x") {
        return u64::from_str_radix(hex, 16).map_err(|_| "not a hex address".into());
    }
    // A `+` that no offset follows is part of the name (`operator+`).
    let (name, offset) = match spec.rsplit_once('+') {
        Some((name, offset)) if !name.is_empty() => match parse_offset(offset) {
            Ok(offset) => (name, offset),
            Err(_) if offset.is_empty() || offset.starts_with(['(', ' ']) => (spec, 0),
            Err(e) => return Err(e),
        },
        _ => (spec, 0),
    };
    let start = symbolize::function_address(name)
        .or_else(|| executor.lookup(name).map(|s| s.addr.0))
        .ok_or("no such function in the linked files or the host")?;
    Ok(start + offset)
}

fn parse_offset(text: &str) -> Result<u64, String> {
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.map_err(|_| format!("bad offset {text:?}"))
}

/// The frames at `addr`, one a line: `#N 0xADDR in FUNC at FILE:LINE:COL`
/// for JIT'd code, `#0 0xADDR in NAME+OFFSET (OBJECT)` for the host's.
fn frames(addr: u64) -> Vec<String> {
    if let Some(frames) = symbolize::symbolize(addr) {
        return frames
            .iter()
            .enumerate()
            .map(|(n, frame)| {
                let mut line = String::new();
                let _ = lantern_plugins::crash::write_frame(&mut line, n, addr, frame.as_ref());
                line
            })
            .collect();
    }
    match symbolize::symbolize_host(addr) {
        Some((name, offset, object)) => {
            let base = object.rsplit('/').next().unwrap_or(&object);
            vec![format!("#0 {addr:#018x} in {name}+{offset:#x} ({base})")]
        }
        None => vec![format!("#0 {addr:#018x} in ??")],
    }
}
