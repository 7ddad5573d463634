//! Lazy reexports: entry names whose first call links the unit that
//! defines their implementation, then continues into it.
//!
//! Each entry is a redirectable symbol whose slot starts at the entry's
//! re-entry trampoline (`call *__lantern_reentry_ptr(%rip)`, named
//! `__lantern_reentry.NAME`, with CFI). The first call reaches
//! `__lantern_reentry` ([`super::reentry`]), which calls
//! [`resolve_from_trampoline`]: the unit providing the implementation is
//! linked (once: one lock serializes lazy links, so many threads calling at
//! once wait for one link and all proceed), its debug objects are
//! registered, every entry it implements is redirected, and the call
//! continues into the implementation with its original arguments.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock, Weak};

use super::frames;
use super::redirect::RedirectableSymbols;
use super::scan::scan_object;
use crate::arch::x86_64::EdgeKind;
use crate::error::{Error, Result};
use crate::graph::{Edge, ExecutorAddr, Linkage, MemProt, Scope};
use crate::session::{LinkUnit, LinkedUnit, Session};

/// The name the trampolines call (`__lantern_reentry`, in the executor).
pub const REENTRY_SYMBOL: &str = "__lantern_reentry";

/// Bytes per trampoline: `call rel32` to the hop (5) and `jmp *%r11` (3).
const TRAMPOLINE_SIZE: u64 = 8;
/// A trampoline's return address is this far into it.
const CALL_SIZE: u64 = 5;

/// A lazy link that failed during a first call.
#[derive(Debug, Clone)]
pub struct LazyLinkError {
    /// The entry that was called.
    pub symbol: String,
    /// The files of the unit that was to define it.
    pub file: String,
    /// Why the link failed.
    pub reason: String,
}

impl std::fmt::Display for LazyLinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "lazy link of `{}` (defined in {}) failed at its first call: {}",
            self.symbol, self.file, self.reason
        )
    }
}

/// What runs when a first call cannot link its unit. The program cannot
/// continue that call: if the handler returns, the process aborts.
pub type ErrorHandler = dyn Fn(&LazyLinkError) + Send + Sync;

/// An index into the units a [`LazyReexports`] knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct UnitId(usize);

/// A unit registered as available: linked on the first call of an entry it
/// implements, unlinked again by [`LazyReexports::relazify`].
struct AvailableUnit {
    unit: LinkUnit,
    /// The functions it defines (implementation names).
    provides: Vec<String>,
    linked: Option<LinkedUnit>,
}

impl AvailableUnit {
    fn files(&self) -> String {
        let names: Vec<&str> = self
            .unit
            .objects
            .iter()
            .chain(&self.unit.archives)
            .map(|f| &*f.name)
            .collect();
        names.join(", ")
    }
}

struct Entry {
    implementation: String,
    trampoline: ExecutorAddr,
}

#[derive(Default)]
struct State {
    units: Vec<AvailableUnit>,
    /// Implementation name -> the unit that defines it.
    provider: HashMap<String, UnitId>,
    /// Entry name -> its implementation and trampoline.
    entries: HashMap<String, Entry>,
    /// Implementation name -> the entries it implements.
    entries_of: HashMap<String, Vec<String>>,
    /// A trampoline's return address -> its entry.
    by_return: HashMap<u64, String>,
    /// The units holding the trampolines.
    trampoline_units: Vec<LinkedUnit>,
    /// How many units first calls (and replacements) linked.
    links: usize,
}

struct Inner {
    redirects: RedirectableSymbols,
    state: Mutex<State>,
    handler: RwLock<Option<Box<ErrorHandler>>>,
}

/// Lazy reexports of a session (see the module's documentation and
/// `docs/lazy.md`). Cheap to clone; every clone is the same manager.
#[derive(Clone)]
pub struct LazyReexports {
    inner: Arc<Inner>,
}

/// The live managers, which trampolines find theirs in.
static MANAGERS: RwLock<Vec<Weak<Inner>>> = RwLock::new(Vec::new());

impl LazyReexports {
    pub fn new(session: Arc<Session>) -> Self {
        Self::with_redirects(RedirectableSymbols::new(session))
    }

    /// Lazy reexports whose entries' direct callers are back-patched at
    /// each redirect ([`super::BackPatching`], one of `session`'s plugins).
    pub fn with_back_patching(session: Arc<Session>, back_patching: &super::BackPatching) -> Self {
        Self::with_redirects(RedirectableSymbols::with_back_patching(
            session,
            back_patching,
        ))
    }

    fn with_redirects(redirects: RedirectableSymbols) -> Self {
        let inner = Arc::new(Inner {
            redirects,
            state: Mutex::new(State::default()),
            handler: RwLock::new(None),
        });
        let mut managers = MANAGERS.write().unwrap_or_else(|e| e.into_inner());
        managers.retain(|m| m.strong_count() > 0);
        managers.push(Arc::downgrade(&inner));
        LazyReexports { inner }
    }

    pub fn session(&self) -> &Arc<Session> {
        self.inner.redirects.session()
    }

    /// The redirectable symbols behind the entries (to redirect an entry by hand).
    pub fn redirectable(&self) -> &RedirectableSymbols {
        &self.inner.redirects
    }

    /// Sets what a failed first-call link does (the default prints the
    /// error to stderr). The process aborts after the handler returns.
    pub fn set_error_handler(&self, handler: Box<ErrorHandler>) {
        *self
            .inner
            .handler
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Some(handler);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner.lock()
    }

    /// Registers `unit` as available but not linked; returns the global
    /// functions its objects define (what [`define`](Self::define) may
    /// name as implementations). A name another available unit provides
    /// already is an error.
    pub fn add_unit(&self, unit: LinkUnit) -> Result<Vec<String>> {
        let mut provides = Vec::new();
        for object in &unit.objects {
            let symbols = scan_object(&object.name, (*object.data).as_ref())?;
            provides.extend(
                symbols
                    .defined
                    .into_iter()
                    .filter(|d| d.is_function && !d.hidden)
                    .map(|d| d.name),
            );
        }
        self.add_unit_providing(unit, provides.clone())?;
        Ok(provides)
    }

    /// Registers `unit` as available, as the provider of `provides` (which
    /// it must define): for embedders that know what a unit defines, or
    /// that choose one of several units defining a weak function.
    pub fn add_unit_providing(&self, unit: LinkUnit, provides: Vec<String>) -> Result<()> {
        let mut state = self.lock();
        if let Some(name) = provides.iter().find(|n| state.provider.contains_key(*n)) {
            return Err(Error::Other(format!(
                "`{name}` is provided by an available unit already"
            )));
        }
        let id = UnitId(state.units.len());
        for name in &provides {
            state.provider.insert(name.clone(), id);
        }
        state.units.push(AvailableUnit {
            unit,
            provides,
            linked: None,
        });
        Ok(())
    }

    /// Defines lazy reexports `entry -> implementation`: each entry becomes
    /// a redirectable symbol that starts at its re-entry trampoline. Every
    /// implementation must be provided by an available unit
    /// ([`add_unit`](Self::add_unit)); a missing one is an error naming it.
    pub fn define(&self, reexports: &[(String, String)]) -> Result<()> {
        if reexports.is_empty() {
            return Ok(());
        }
        {
            let state = self.lock();
            for (entry, implementation) in reexports {
                if !state.provider.contains_key(implementation) {
                    return Err(Error::Other(format!(
                        "lazy entry `{entry}`: no available unit defines its implementation `{implementation}`"
                    )));
                }
                if state.entries.contains_key(entry) {
                    return Err(Error::Other(format!("`{entry}` is a lazy entry already")));
                }
            }
        }
        let (unit, trampolines) = self.link_trampolines(reexports)?;
        let initial: Vec<(String, ExecutorAddr)> = reexports
            .iter()
            .zip(&trampolines)
            .map(|((entry, _), &t)| (entry.clone(), t))
            .collect();
        if let Err(e) = self.inner.redirects.create(&initial) {
            let _ = self.session().remove(unit);
            return Err(e);
        }
        let mut state = self.lock();
        for ((entry, implementation), &trampoline) in reexports.iter().zip(&trampolines) {
            state
                .by_return
                .insert(trampoline.0 + CALL_SIZE, entry.clone());
            state
                .entries_of
                .entry(implementation.clone())
                .or_default()
                .push(entry.clone());
            state.entries.insert(
                entry.clone(),
                Entry {
                    implementation: implementation.clone(),
                    trampoline,
                },
            );
        }
        state.trampoline_units.push(unit);
        Ok(())
    }

    /// Links one trampoline per entry (one unit for all).
    fn link_trampolines(
        &self,
        reexports: &[(String, String)],
    ) -> Result<(LinkedUnit, Vec<ExecutorAddr>)> {
        let (mut graph, file) = frames::new_graph("<lantern lazy trampolines>");
        // Per entry: `call hop` (the return address names the entry), then
        // `jmp *%r11`: `__lantern_reentry` returns the implementation in r11.
        let mut code = Vec::with_capacity(reexports.len() * TRAMPOLINE_SIZE as usize);
        for _ in reexports {
            code.extend_from_slice(&[0xe8, 0, 0, 0, 0, 0x41, 0xff, 0xe3]);
        }
        let code = frames::add_block(
            &mut graph,
            file,
            super::TRAMPOLINES_SECTION,
            MemProt::ReadExec,
            code,
            16,
        );
        // The hop: `jmp *ptr(%rip)` to `__lantern_reentry`. It has no name
        // and is not in the debug object's `.plt`, so gdb's `step`, on
        // reaching it, takes it for a call into code without debug
        // information and runs to its return address in the trampoline at
        // full speed (the link included), then steps on through `jmp
        // *%r11` into the implementation.
        let hop = frames::add_block(
            &mut graph,
            file,
            super::REENTRY_HOP_SECTION,
            MemProt::ReadExec,
            vec![0xff, 0x25, 0, 0, 0, 0, 0xcc, 0xcc],
            16,
        );
        let pointer = frames::add_block(
            &mut graph,
            file,
            ".lantern.reentry_ptr",
            MemProt::Read,
            vec![0; 8],
            8,
        );
        let reentry = graph.add_external_symbol(
            file,
            Some(REENTRY_SYMBOL.into()),
            0,
            Linkage::Strong,
            Scope::Hidden,
            true,
        );
        graph.block_mut(pointer).edges.push(Edge {
            offset: 0,
            kind: EdgeKind::Pointer64,
            target: reentry,
            addend: 0,
        });
        let pointer_sym = graph.add_anonymous_symbol(pointer, 0, 8, false);
        graph.block_mut(hop).edges.push(Edge {
            offset: 2,
            kind: EdgeKind::Delta32,
            target: pointer_sym,
            addend: -4,
        });
        // No name: gdb's `step` runs to the return address of a function
        // only if it has neither line information nor a name (a named hop
        // stopped it there). lldb finds the hop's extent, to unwind it,
        // in the debug object's DWARF (a subprogram without a name:
        // plugins/src/debug_object/line_zero.rs).
        let hop_sym = graph.add_anonymous_symbol(hop, 0, 8, true);
        for (i, (entry, _)) in reexports.iter().enumerate() {
            let at = i as u64 * TRAMPOLINE_SIZE;
            frames::name_code(
                &mut graph,
                code,
                at,
                TRAMPOLINE_SIZE,
                &format!("{REENTRY_SYMBOL}.{entry}"),
            );
            graph.block_mut(code).edges.push(Edge {
                offset: at + 1,
                kind: EdgeKind::Delta32,
                target: hop_sym,
                addend: -4,
            });
        }
        frames::add_eh_frame(&mut graph, file, &[code, hop]);
        let unit = self.session().link_graph(graph)?;
        let addrs = reexports
            .iter()
            .map(|(entry, _)| {
                unit.lookup(&format!("{REENTRY_SYMBOL}.{entry}"))
                    .ok_or_else(|| {
                        Error::Other(format!("the trampoline of `{entry}` was not linked"))
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((unit, addrs))
    }

    /// Registers `unit` and makes every function it defines a lazy entry
    /// of the same name (what `lantern run --lazy` does per object).
    pub fn add_lazy_unit(&self, unit: LinkUnit) -> Result<Vec<String>> {
        let names = self.add_unit(unit)?;
        let pairs: Vec<(String, String)> = names.iter().map(|n| (n.clone(), n.clone())).collect();
        self.define(&pairs)?;
        Ok(names)
    }

    /// Links the unit that implements `entry` now, as its first call would.
    pub fn materialize(&self, entry: &str) -> Result<ExecutorAddr> {
        let mut state = self.lock();
        let implementation = state
            .entries
            .get(entry)
            .map(|e| e.implementation.clone())
            .ok_or_else(|| Error::Other(format!("`{entry}` is not a lazy entry")))?;
        self.inner
            .link_provider(&mut state, &implementation)
            .map_err(|e| Error::Other(e.to_string()))
    }

    /// How many units first calls, [`materialize`](Self::materialize) and
    /// [`replace`](Self::replace) have linked.
    pub fn units_linked(&self) -> usize {
        self.lock().links
    }

    /// How many units are registered as available.
    pub fn units_available(&self) -> usize {
        self.lock().units.len()
    }

    /// Links `unit` as the new implementation of the unit that implements
    /// `entry`, and redirects every entry that unit implemented to the new
    /// definitions. The new unit must define every one of them (a missing
    /// one is an error naming it, and nothing changes). Returns the old
    /// unit, if it was linked: it stays mapped and registered (a thread may
    /// still be running it) until the embedder gives it to
    /// [`Session::remove`] once no thread can be in it.
    pub fn replace(&self, entry: &str, unit: LinkUnit) -> Result<Option<LinkedUnit>> {
        let mut state = self.lock();
        let implementation = state
            .entries
            .get(entry)
            .map(|e| e.implementation.clone())
            .ok_or_else(|| {
                Error::Other(format!("cannot replace `{entry}`: it is not a lazy entry"))
            })?;
        let old = state.provider[&implementation];
        let session = self.session().clone();
        let linked = session.link(unit.clone())?;
        let provides = state.units[old.0].provides.clone();
        let mut targets = Vec::new();
        for name in &provides {
            let Some(addr) = linked.lookup(name) else {
                let _ = session.remove(linked);
                return Err(Error::Other(format!(
                    "the replacement of `{entry}` does not define `{name}`, which the unit it replaces defines"
                )));
            };
            for e in state.entries_of.get(name).into_iter().flatten() {
                targets.push((e.clone(), addr));
            }
        }
        session.prepare_to_run()?;
        let refs: Vec<(&str, ExecutorAddr)> = targets.iter().map(|(n, a)| (&**n, *a)).collect();
        if let Err(e) = self.inner.redirects.redirect(&refs) {
            let _ = session.remove(linked);
            return Err(e);
        }
        let slot = &mut state.units[old.0];
        slot.unit = unit;
        let previous = slot.linked.replace(linked);
        state.links += 1;
        Ok(previous)
    }

    /// Points every entry implemented by the unit that implements `entry`
    /// back at its trampoline and removes that unit: the next call links it
    /// again. No thread may be running the unit's code (or return into it):
    /// its memory is unmapped before this returns.
    pub fn relazify(&self, entry: &str) -> Result<()> {
        let mut state = self.lock();
        let implementation = state
            .entries
            .get(entry)
            .map(|e| e.implementation.clone())
            .ok_or_else(|| {
                Error::Other(format!("cannot relazify `{entry}`: it is not a lazy entry"))
            })?;
        let id = state.provider[&implementation];
        let Some(linked) = state.units[id.0].linked.take() else {
            return Ok(());
        };
        let mut targets = Vec::new();
        for name in &state.units[id.0].provides {
            for e in state.entries_of.get(name).into_iter().flatten() {
                targets.push((e.as_str(), state.entries[e].trampoline));
            }
        }
        self.inner.redirects.redirect(&targets)?;
        self.session().remove(linked)
    }
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Links the unit providing `implementation` unless it is linked,
    /// redirects the entries it implements, and returns the implementation.
    fn link_provider(
        &self,
        state: &mut State,
        implementation: &str,
    ) -> std::result::Result<ExecutorAddr, LazyLinkError> {
        let id = state.provider[implementation];
        let error = |state: &State, reason: String| LazyLinkError {
            symbol: implementation.to_string(),
            file: state.units[id.0].files(),
            reason,
        };
        if state.units[id.0].linked.is_none() {
            let session = self.redirects.session();
            let unit = state.units[id.0].unit.clone();
            let linked = session
                .link(unit)
                .map_err(|e| error(state, e.to_string()))?;
            // Debuggers learn of the unit before its code runs.
            session
                .prepare_to_run()
                .map_err(|e| error(state, e.to_string()))?;
            let mut targets = Vec::new();
            for name in &state.units[id.0].provides {
                let Some(addr) = linked.lookup(name) else {
                    continue;
                };
                for e in state.entries_of.get(name).into_iter().flatten() {
                    targets.push((e.as_str(), addr));
                }
            }
            if let Err(e) = self.redirects.redirect(&targets) {
                let _ = session.remove(linked);
                return Err(error(state, e.to_string()));
            }
            state.units[id.0].linked = Some(linked);
            state.links += 1;
        }
        let linked = state.units[id.0].linked.as_ref().expect("linked above");
        linked.lookup(implementation).ok_or_else(|| {
            error(
                state,
                format!("the unit was linked but does not define `{implementation}`"),
            )
        })
    }

    /// The first call of an entry, through its trampoline.
    fn resolve(&self, trampoline_return: u64) -> std::result::Result<u64, LazyLinkError> {
        let mut state = self.lock();
        let Some(entry) = state.by_return.get(&trampoline_return).cloned() else {
            return Err(LazyLinkError {
                symbol: format!("<trampoline at {trampoline_return:#x}>"),
                file: "<unknown>".into(),
                reason: "no lazy entry has this trampoline".into(),
            });
        };
        let implementation = state.entries[&entry].implementation.clone();
        self.link_provider(&mut state, &implementation)
            .map(|a| a.0)
            .map_err(|mut e| {
                e.symbol = entry;
                e
            })
    }

    fn report(&self, error: &LazyLinkError) {
        let handler = self.handler.read().unwrap_or_else(|e| e.into_inner());
        match handler.as_ref() {
            Some(handler) => handler(error),
            None => eprintln!("lantern: {error}"),
        }
    }
}

/// The resolver `__lantern_reentry` calls with a trampoline's return
/// address: the implementation to continue at. A failure goes to the
/// manager's error handler, then the process aborts (the call cannot go on).
pub(super) fn resolve_from_trampoline(trampoline_return: u64) -> u64 {
    let managers: Vec<Arc<Inner>> = MANAGERS
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter_map(Weak::upgrade)
        .collect();
    let owner = managers
        .iter()
        .find(|m| m.lock().by_return.contains_key(&trampoline_return));
    let Some(owner) = owner else {
        eprintln!(
            "lantern: a lazy entry's trampoline (return address {trampoline_return:#x}) belongs to no live lazy reexports manager"
        );
        std::process::abort();
    };
    match owner.resolve(trampoline_return) {
        Ok(addr) => addr,
        Err(error) => {
            owner.report(&error);
            std::process::abort();
        }
    }
}
