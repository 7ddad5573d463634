# Thread-local access models. Lantern does not rewrite TLS code sequences
# (no GD->IE/LE or LD->LE relaxation): every instruction keeps its bytes,
# and tables.rs gives each model its GOT entries, as a dynamic linker would
# fill them. `x` is at offset 0 of the unit's TLS block, `y` at offset 8.
#
#   gd_x:    general dynamic: data16 leaq x@tlsgd(%rip), %rdi; data16 data16 rex64 call __tls_get_addr@PLT
#            -> a 16-byte GOT pair (module id, offset of x in the block = 0)
#   gd_y:    the same for y -> its own pair (module id, 8)
#   ld:      local dynamic: leaq y@tlsld(%rip), %rdi; call __tls_get_addr@PLT
#            -> the unit's one pair (module id, 0); then y@dtpoff (R_X86_64_DTPOFF32) = 8
#   ld2:     a second local-dynamic sequence shares that pair
#   ie_x:    initial exec: movq x@gottpoff(%rip), %rax -> a GOT entry holding x's offset from
#            the thread pointer (negative: TLS variant II)
#   le_x:    local exec: movq %fs:x@tpoff, %rax (R_X86_64_TPOFF32) -> the same offset, in the instruction
#   desc_y:  TLS descriptor: leaq y@tlsdesc(%rip), %rax; call *y@tlscall(%rax)
#            -> a 16-byte descriptor (Lantern's static resolver, y's offset from the thread pointer)
#
# The calls to __tls_get_addr go straight to it: `movq stdout(%rip)` places
# the unit near the host. `tls_get_addr_address` and `resolver_address`
# hold the addresses the checks compare with.

        .text
        .globl  main
        .type   main,@function
main:
        movq    stdout(%rip), %rax
        leaq    tls_get_addr_address(%rip), %rax
        leaq    resolver_address(%rip), %rax
        .globl  gd_x
gd_x:
        data16
        leaq    x@tlsgd(%rip), %rdi
        data16
        data16
        rex64
        call    __tls_get_addr@PLT
        .globl  gd_y
gd_y:
        data16
        leaq    y@tlsgd(%rip), %rdi
        data16
        data16
        rex64
        call    __tls_get_addr@PLT
        .globl  ld
ld:
        leaq    y@tlsld(%rip), %rdi
        call    __tls_get_addr@PLT
        .globl  ld_dtpoff
ld_dtpoff:
        leaq    y@dtpoff(%rax), %rcx
        .globl  ld2
ld2:
        leaq    x@tlsld(%rip), %rdi
        .globl  ie_x
ie_x:
        movq    x@gottpoff(%rip), %rax
        .globl  le_x
le_x:
        movq    %fs:x@tpoff, %rax
        .globl  desc_y
desc_y:
        leaq    y@tlsdesc(%rip), %rax
        call    *y@tlscall(%rax)
        ret
        .size   main, .-main

        .section .tdata,"awT",@progbits
        .globl  x
        .type   x,@object
x:
        .quad   1
        .globl  y
        .type   y,@object
y:
        .quad   2

        .data
        .globl  tls_get_addr_address
tls_get_addr_address:
        .quad   __tls_get_addr
        .globl  resolver_address
resolver_address:
        .quad   __lantern_tlsdesc_static
