//! Redirectable symbols: per name a stub (`jmp *slot(%rip)`) and an 8-byte
//! pointer slot in executor memory; a redirect rewrites slots.
//!
//! The stubs and slots of one [`RedirectableSymbols::create`] call are a
//! graph linked as a unit of their own: the stubs are read-execute, the
//! slots read-write, never both; the unit's `.eh_frame` and debug object
//! are registered like any other's, so unwinders walk through a stub,
//! crash reports name it `__lantern_stub.NAME` and debuggers step through
//! it as through a PLT entry (docs/lazy.md, "Debugging"). The unit also
//! reserves 24 bytes a stub (`STUB_RELOCS_SECTION`) where its debug object
//! places the `.rela.plt` lldb looks up by address. The session then resolves
//! `NAME` to the stub in every later unit (addresses that escape always
//! are the stub's, so two pointers to one function compare equal across
//! redirects).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::frames;
use crate::arch::x86_64::EdgeKind;
use crate::error::{Error, Result};
use crate::graph::{Edge, ExecutorAddr, MemProt};
use crate::session::{ExportedSymbol, LinkedUnit, Session};

/// Bytes per stub: `jmp *disp32(%rip)` (6) and two `int3`.
pub(super) const STUB_SIZE: u64 = 8;

/// Where a redirectable symbol lives and where it points now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Redirectable {
    /// What the symbol's name resolves to in every later unit.
    pub stub: ExecutorAddr,
    /// The pointer the stub jumps through.
    pub slot: ExecutorAddr,
    /// The slot's current value.
    pub target: ExecutorAddr,
}

/// The redirectable symbols of a session, and the units holding their stubs.
pub struct RedirectableSymbols {
    session: Arc<Session>,
    state: Mutex<State>,
    back_patching: Option<Arc<super::backpatch::Inner>>,
}

#[derive(Default)]
struct State {
    symbols: HashMap<String, Redirectable>,
    /// The stub units; they live as long as the manager.
    units: Vec<LinkedUnit>,
}

impl RedirectableSymbols {
    pub fn new(session: Arc<Session>) -> Self {
        RedirectableSymbols {
            session,
            state: Mutex::new(State::default()),
            back_patching: None,
        }
    }

    /// Also keeps direct calls to these symbols from later units as
    /// back-patch points, rewritten by each redirect ([`super::BackPatching`],
    /// which must be one of `session`'s plugins).
    pub fn with_back_patching(session: Arc<Session>, back_patching: &super::BackPatching) -> Self {
        RedirectableSymbols {
            back_patching: Some(back_patching.inner()),
            ..Self::new(session)
        }
    }

    pub fn session(&self) -> &Arc<Session> {
        &self.session
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes each `(name, initial target)` a redirectable symbol: one link
    /// for all of them. Errors if a name is redirectable or exported already.
    pub fn create(&self, symbols: &[(String, ExecutorAddr)]) -> Result<()> {
        if symbols.is_empty() {
            return Ok(());
        }
        {
            let state = self.lock();
            if let Some((name, _)) = symbols.iter().find(|(n, _)| state.symbols.contains_key(n)) {
                return Err(Error::Other(format!(
                    "`{name}` is a redirectable symbol already"
                )));
            }
        }
        let (mut graph, file) = frames::new_graph("<lantern redirectable stubs>");
        let count = symbols.len() as u64;
        let mut stubs = Vec::with_capacity((count * STUB_SIZE) as usize);
        for _ in symbols {
            stubs.extend_from_slice(&[0xff, 0x25, 0, 0, 0, 0, 0xcc, 0xcc]);
        }
        let slots: Vec<u8> = symbols
            .iter()
            .flat_map(|(_, target)| target.0.to_le_bytes())
            .collect();
        let stub_block = frames::add_block(
            &mut graph,
            file,
            super::STUBS_SECTION,
            MemProt::ReadExec,
            stubs,
            16,
        );
        let slot_block = frames::add_block(
            &mut graph,
            file,
            ".lantern.slots",
            MemProt::ReadWrite,
            slots,
            8,
        );
        // Room for the `.rela.plt` of the debug object (an address range no
        // other section has; the bytes are never used).
        frames::add_block(
            &mut graph,
            file,
            super::STUB_RELOCS_SECTION,
            MemProt::Read,
            vec![0; symbols.len() * 24],
            8,
        );
        for (i, (name, _)) in symbols.iter().enumerate() {
            let at = i as u64 * STUB_SIZE;
            frames::name_code(
                &mut graph,
                stub_block,
                at,
                STUB_SIZE,
                &format!("__lantern_stub.{name}"),
            );
            let slot = graph.add_defined_symbol(
                slot_block,
                i as u64 * 8,
                Some(format!("__lantern_slot.{name}").into()),
                8,
                crate::graph::Linkage::Strong,
                crate::graph::Scope::Hidden,
                false,
            );
            graph.block_mut(stub_block).edges.push(Edge {
                offset: at + 2,
                kind: EdgeKind::Delta32,
                target: slot,
                addend: -4,
            });
        }
        frames::add_eh_frame(&mut graph, file, &[stub_block]);
        let unit = self.session.link_graph(graph)?;
        log::debug!(
            "stubs of {} symbols linked: {:?}",
            symbols.len(),
            unit.timings()
        );
        let mut made = Vec::with_capacity(symbols.len());
        for (name, target) in symbols {
            let found = |what: &str| {
                unit.lookup(&format!("__lantern_{what}.{name}"))
                    .ok_or_else(|| Error::Other(format!("the stub of `{name}` was not linked")))
            };
            let (stub, slot) = (found("stub")?, found("slot")?);
            made.push((
                name.clone(),
                Redirectable {
                    stub,
                    slot,
                    target: *target,
                },
            ));
        }
        let mut defined = Vec::new();
        for (name, r) in &made {
            let stub = ExportedSymbol {
                addr: r.stub,
                is_function: true,
                size: STUB_SIZE,
            };
            if let Err(e) = self.session.define_redirectable(name, stub) {
                for name in defined {
                    self.session.remove_redirectable(name);
                }
                let _ = self.session.remove(unit);
                return Err(e);
            }
            defined.push(name);
        }
        if let Some(back_patching) = &self.back_patching {
            for (name, r) in &made {
                back_patching.add_symbol(name, r.stub.0, r.target.0);
            }
        }
        let mut state = self.lock();
        state.symbols.extend(made);
        state.units.push(unit);
        Ok(())
    }

    /// The symbol `name`, if it is redirectable.
    pub fn get(&self, name: &str) -> Option<Redirectable> {
        self.lock().symbols.get(name).copied()
    }

    /// Points each named symbol at its new target: every slot is written
    /// (atomic, aligned 8-byte stores through the executor) before this
    /// returns. Names are checked first: an unknown one is an error and
    /// nothing is redirected.
    pub fn redirect(&self, targets: &[(&str, ExecutorAddr)]) -> Result<()> {
        let mut state = self.lock();
        let mut writes = Vec::with_capacity(targets.len());
        for &(name, target) in targets {
            let Some(r) = state.symbols.get(name) else {
                return Err(Error::Other(format!(
                    "cannot redirect `{name}`: it is not a redirectable symbol"
                )));
            };
            writes.push((r.slot, target.0));
        }
        // Direct calls first, all or nothing: if one cannot be rewritten,
        // nothing changes.
        if let Some(back_patching) = &self.back_patching {
            let raw: Vec<(&str, u64)> = targets.iter().map(|&(n, t)| (n, t.0)).collect();
            back_patching.redirect(&raw)?;
        }
        self.session.executor().write_u64s(&writes)?;
        for &(name, target) in targets {
            if let Some(r) = state.symbols.get_mut(name) {
                r.target = target;
            }
        }
        Ok(())
    }
}
