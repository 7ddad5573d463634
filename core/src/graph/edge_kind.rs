//! Edge kinds: those of the x86-64 backend, the only one. They live with
//! the graph, which holds them, and `arch::x86_64` (which maps relocations
//! to them and applies them) re-exports them.

/// What a fixup computes and how it is written. `S` is the target address,
/// `A` the addend, `P` the fixup's address, `GOT` the GOT base.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum EdgeKind {
    /// S + A, 64 bits.
    Pointer64,
    /// S + A, must fit in 32 bits unsigned.
    Pointer32,
    /// S + A, must fit in 32 bits signed.
    Pointer32Signed,
    /// S + A, 16 and 8 bits unsigned.
    Pointer16,
    Pointer8,
    /// S + A - P.
    Delta64,
    Delta32,
    Delta16,
    Delta8,
    /// S + A - P for a call or jump; external targets are sent through a stub.
    BranchPCRel32,
    /// A branch already retargeted to a stub; bypassed when the real target is in range.
    BranchPCRel32ToStub,
    /// S + A - GOT (R_X86_64_GOTOFF64).
    Delta64FromGot,
    /// S + A - GOT, 32 bits: a GOT entry's offset (GOT32 once lowered).
    Delta32FromGot,
    /// GOT entry requests, lowered by the GOT table manager.
    RequestGotAndTransformToDelta32,
    RequestGotAndTransformToDelta32Relaxable,
    RequestGotAndTransformToDelta32RexRelaxable,
    RequestGotAndTransformToDelta64,
    RequestGotAndTransformToDelta64FromGot,
    RequestGotAndTransformToDelta32FromGot,
    /// PLTOFF64: a stub's offset from the GOT.
    RequestStubAndTransformToDelta64FromGot,
    /// A GOT load (`mov`, `call *`, `jmp *`) that may be relaxed to a direct form.
    Delta32ToGotRelaxable,
    Delta32ToGotRexRelaxable,
    /// Relaxed GOT loads: the instruction is rewritten, then Delta32 to the target.
    RelaxedMovToLea,
    RelaxedCall,
    RelaxedJmp,
    /// TLS general dynamic: a GOT pair (module id, offset) for `__tls_get_addr`.
    RequestTlsGdAndTransformToDelta32,
    /// TLS local dynamic: the unit's GOT pair (module id, 0).
    RequestTlsLdAndTransformToDelta32,
    /// The TLS module id of the unit (in GOT pairs).
    DtpMod64,
    /// Offset of the target in the unit's TLS block.
    DtpOff64,
    DtpOff32,
    /// Offset of the target from the thread pointer (static TLS: local exec,
    /// and the contents of initial-exec GOT entries and TLS descriptors).
    TpOff64,
    TpOff32,
    /// Initial exec (GOTTPOFF): a GOT entry holding the target's offset from the
    /// thread pointer.
    RequestGotTpOffAndTransformToDelta32,
    /// TLS descriptor (GOTPC32_TLSDESC): a descriptor whose resolver returns the
    /// target's offset from the thread pointer.
    RequestTlsDescAndTransformToDelta32,
    /// Z + A (symbol size).
    Size64,
    Size32,
}

impl EdgeKind {
    pub fn name(self) -> &'static str {
        match self {
            EdgeKind::Pointer64 => "Pointer64",
            EdgeKind::Pointer32 => "Pointer32",
            EdgeKind::Pointer32Signed => "Pointer32Signed",
            EdgeKind::Pointer16 => "Pointer16",
            EdgeKind::Pointer8 => "Pointer8",
            EdgeKind::Delta64 => "Delta64",
            EdgeKind::Delta32 => "Delta32",
            EdgeKind::Delta16 => "Delta16",
            EdgeKind::Delta8 => "Delta8",
            EdgeKind::BranchPCRel32 => "BranchPCRel32",
            EdgeKind::BranchPCRel32ToStub => "BranchPCRel32ToStub",
            EdgeKind::Delta64FromGot => "Delta64FromGot",
            EdgeKind::Delta32FromGot => "Delta32FromGot",
            EdgeKind::RequestGotAndTransformToDelta32 => "RequestGotAndTransformToDelta32",
            EdgeKind::RequestGotAndTransformToDelta32Relaxable => {
                "RequestGotAndTransformToDelta32Relaxable"
            }
            EdgeKind::RequestGotAndTransformToDelta32RexRelaxable => {
                "RequestGotAndTransformToDelta32RexRelaxable"
            }
            EdgeKind::RequestGotAndTransformToDelta64 => "RequestGotAndTransformToDelta64",
            EdgeKind::RequestGotAndTransformToDelta64FromGot => {
                "RequestGotAndTransformToDelta64FromGot"
            }
            EdgeKind::RequestGotAndTransformToDelta32FromGot => {
                "RequestGotAndTransformToDelta32FromGot"
            }
            EdgeKind::RequestStubAndTransformToDelta64FromGot => {
                "RequestStubAndTransformToDelta64FromGot"
            }
            EdgeKind::Delta32ToGotRelaxable => "Delta32ToGotRelaxable",
            EdgeKind::Delta32ToGotRexRelaxable => "Delta32ToGotRexRelaxable",
            EdgeKind::RelaxedMovToLea => "RelaxedMovToLea",
            EdgeKind::RelaxedCall => "RelaxedCall",
            EdgeKind::RelaxedJmp => "RelaxedJmp",
            EdgeKind::RequestTlsGdAndTransformToDelta32 => "RequestTlsGdAndTransformToDelta32",
            EdgeKind::RequestTlsLdAndTransformToDelta32 => "RequestTlsLdAndTransformToDelta32",
            EdgeKind::DtpMod64 => "DtpMod64",
            EdgeKind::DtpOff64 => "DtpOff64",
            EdgeKind::DtpOff32 => "DtpOff32",
            EdgeKind::TpOff64 => "TpOff64",
            EdgeKind::TpOff32 => "TpOff32",
            EdgeKind::RequestGotTpOffAndTransformToDelta32 => {
                "RequestGotTpOffAndTransformToDelta32"
            }
            EdgeKind::RequestTlsDescAndTransformToDelta32 => "RequestTlsDescAndTransformToDelta32",
            EdgeKind::Size64 => "Size64",
            EdgeKind::Size32 => "Size32",
        }
    }

    /// A 32-bit PC-relative fixup: its target must lie within ±2 GiB.
    pub fn is_pc_relative_32(self) -> bool {
        matches!(
            self,
            EdgeKind::Delta32
                | EdgeKind::BranchPCRel32
                | EdgeKind::RelaxedMovToLea
                | EdgeKind::RelaxedCall
                | EdgeKind::RelaxedJmp
        )
    }

    /// A 32-bit absolute fixup: its target must lie in the low 2 or 4 GiB.
    pub fn is_absolute_32(self) -> bool {
        matches!(
            self,
            EdgeKind::Pointer32
                | EdgeKind::Pointer32Signed
                | EdgeKind::Pointer16
                | EdgeKind::Pointer8
        )
    }

    /// Needs a GOT entry or stub before fixup.
    pub fn is_table_request(self) -> bool {
        matches!(
            self,
            EdgeKind::RequestGotAndTransformToDelta32
                | EdgeKind::RequestGotAndTransformToDelta32Relaxable
                | EdgeKind::RequestGotAndTransformToDelta32RexRelaxable
                | EdgeKind::RequestGotAndTransformToDelta64
                | EdgeKind::RequestGotAndTransformToDelta64FromGot
                | EdgeKind::RequestGotAndTransformToDelta32FromGot
                | EdgeKind::RequestStubAndTransformToDelta64FromGot
                | EdgeKind::RequestTlsGdAndTransformToDelta32
                | EdgeKind::RequestTlsLdAndTransformToDelta32
                | EdgeKind::RequestGotTpOffAndTransformToDelta32
                | EdgeKind::RequestTlsDescAndTransformToDelta32
        )
    }

    /// Its value is a TLS offset or module id, not an address.
    pub fn is_tls(self) -> bool {
        matches!(
            self,
            EdgeKind::DtpMod64
                | EdgeKind::DtpOff64
                | EdgeKind::DtpOff32
                | EdgeKind::TpOff64
                | EdgeKind::TpOff32
        )
    }

    /// Its target must be a thread-local variable: a TLS value, or a request
    /// for a TLS GOT entry or descriptor.
    pub fn targets_thread_local(self) -> bool {
        self.is_tls()
            || matches!(
                self,
                EdgeKind::RequestTlsGdAndTransformToDelta32
                    | EdgeKind::RequestTlsLdAndTransformToDelta32
                    | EdgeKind::RequestGotTpOffAndTransformToDelta32
                    | EdgeKind::RequestTlsDescAndTransformToDelta32
            )
    }

    /// A static TLS model: the TLS block must sit at a fixed offset from the
    /// thread pointer in every thread.
    pub fn is_static_tls(self) -> bool {
        matches!(
            self,
            EdgeKind::TpOff64
                | EdgeKind::TpOff32
                | EdgeKind::RequestGotTpOffAndTransformToDelta32
                | EdgeKind::RequestTlsDescAndTransformToDelta32
        )
    }
}
