//! Toy functions -> Cranelift IR -> machine code in an ELF object, keeping
//! what the DWARF writer needs: which code offsets came from which source
//! position, and where each variable lives in the frame.
//!
//! Every variable (parameters included) lives in its own 8-byte stack slot
//! for the whole function, and code is compiled without optimization, so a
//! debugger finds every variable at one frame offset at every instruction,
//! as a C compiler's `-O0` code does.

use std::collections::HashMap;

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::types::{I32, I64, I8};
use cranelift_codegen::ir::{
    AbiParam, InstBuilder, MemFlagsData, Signature, SourceLoc, StackSlot, StackSlotData,
    StackSlotKind, UserFuncName, Value,
};
use cranelift_codegen::isa::{self, CallConv};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::Context;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_module::{default_libcall_names, FuncId, Linkage, Module};
use cranelift_object::{ObjectBuilder, ObjectModule, ObjectProduct};

use crate::syntax::{BinOp, Expr, Function, Pos, Stmt, StmtKind};
use crate::Error;

/// The built-in functions: `print(x)` writes `x` and a newline to stdout;
/// `peek(address)` loads the 64-bit integer at `address` (so `peek(0)`
/// crashes, for trying crash reports and debuggers).
pub const BUILTINS: [(&str, usize); 2] = [("print", 1), ("peek", 1)];

/// The runtime function behind `print`, generated here (it has no toy source,
/// so no line table: debuggers step over it).
const PRINT_RUNTIME: &str = "toy_print";

/// A variable's name, where it is declared, and its frame offset.
#[derive(Debug, Clone)]
pub struct VarInfo {
    pub name: String,
    pub pos: Pos,
    pub is_param: bool,
    /// Offset of the variable from the canonical frame address (the stack
    /// pointer before the call that entered the function).
    pub cfa_offset: i64,
}

/// A compiled toy function, for the DWARF writer.
#[derive(Debug, Clone)]
pub struct FuncInfo {
    pub name: String,
    pub id: FuncId,
    pub pos: Pos,
    pub returns_value: bool,
    pub size: u64,
    pub vars: Vec<VarInfo>,
    /// `(code offset, source position)`, sorted by offset; the first row is at 0.
    pub rows: Vec<(u64, Pos)>,
}

/// The compiled module: the object (not yet written) and the functions' debug facts.
pub struct Compiled {
    pub product: ObjectProduct,
    pub functions: Vec<FuncInfo>,
}

fn backend(e: impl std::fmt::Display) -> Error {
    Error::Backend(e.to_string())
}

/// The target: x86-64 System V, position-independent, with frame pointers
/// and unwind information (`.eh_frame`) for every function.
fn new_module(object_name: &str) -> Result<ObjectModule, Error> {
    let mut flags = settings::builder();
    for (name, value) in [
        ("opt_level", "none"),
        ("is_pic", "true"),
        ("preserve_frame_pointers", "true"),
        ("unwind_info", "true"),
    ] {
        flags.set(name, value).map_err(backend)?;
    }
    let isa = isa::lookup_by_name("x86_64-unknown-linux-gnu")
        .map_err(backend)?
        .finish(settings::Flags::new(flags))
        .map_err(backend)?;
    let mut builder =
        ObjectBuilder::new(isa, object_name, default_libcall_names()).map_err(backend)?;
    builder.unwind_info(true);
    Ok(ObjectModule::new(builder))
}

fn signature(
    module: &ObjectModule,
    params: usize,
    ret: Option<cranelift_codegen::ir::Type>,
) -> Signature {
    let mut sig = module.make_signature();
    sig.call_conv = CallConv::SystemV;
    sig.params.extend((0..params).map(|_| AbiParam::new(I64)));
    sig.returns.extend(ret.map(AbiParam::new));
    sig
}

/// Compiles a parsed program.
pub fn compile(functions: &[Function], object_name: &str) -> Result<Compiled, Error> {
    let mut module = new_module(object_name)?;
    let mut ids: HashMap<&str, (FuncId, usize)> = HashMap::new();
    for f in functions {
        if BUILTINS.iter().any(|(b, _)| *b == f.name) {
            return Err(Error::at(
                f.pos,
                format!("`{}` is a built-in function", f.name),
            ));
        }
        if ids.contains_key(f.name.as_str()) {
            return Err(Error::at(
                f.pos,
                format!("function `{}` is defined twice", f.name),
            ));
        }
        let sig = if f.name == "main" {
            if !f.params.is_empty() {
                return Err(Error::at(f.pos, "`main` takes no parameters".into()));
            }
            signature(&module, 0, Some(I32))
        } else {
            signature(&module, f.params.len(), Some(I64))
        };
        let id = module
            .declare_function(&f.name, Linkage::Export, &sig)
            .map_err(backend)?;
        ids.insert(&f.name, (id, f.params.len()));
    }
    let print_sig = signature(&module, 1, None);
    let print_id = module
        .declare_function(PRINT_RUNTIME, Linkage::Local, &print_sig)
        .map_err(backend)?;
    let mut write_sig = module.make_signature();
    write_sig
        .params
        .extend([AbiParam::new(I32), AbiParam::new(I64), AbiParam::new(I64)]);
    write_sig.returns.push(AbiParam::new(I64));
    let write_id = module
        .declare_function("write", Linkage::Import, &write_sig)
        .map_err(backend)?;

    let mut ctx = module.make_context();
    let mut builder_ctx = FunctionBuilderContext::new();
    let mut infos = Vec::new();
    for f in functions {
        let (id, _) = ids[f.name.as_str()];
        ctx.clear();
        ctx.func.signature = if f.name == "main" {
            signature(&module, 0, Some(I32))
        } else {
            signature(&module, f.params.len(), Some(I64))
        };
        ctx.func.name = UserFuncName::user(0, id.as_u32());
        let lowered = {
            let builder = FunctionBuilder::new(&mut ctx.func, &mut builder_ctx);
            let lower = Lower {
                module: &mut module,
                builder,
                ids: &ids,
                print_id,
                vars: HashMap::new(),
                var_list: Vec::new(),
                positions: Vec::new(),
                is_main: f.name == "main",
            };
            lower.function(f)?
        };
        let (var_list, positions) = lowered;
        module
            .define_function(id, &mut ctx)
            .map_err(|e| Error::Backend(format!("compiling `{}`: {e:?}", f.name)))?;
        let compiled = ctx
            .compiled_code()
            .ok_or_else(|| Error::Backend(format!("no code for `{}`", f.name)))?;
        let layout = compiled
            .buffer
            .frame_layout()
            .ok_or_else(|| Error::Backend(format!("no frame layout for `{}`", f.name)))?;
        // Slots sit `offset` bytes above the bottom of the frame; the frame
        // pointer `frame_to_fp_offset` above it points at the saved frame
        // pointer, under the return address: the CFA is 16 bytes higher.
        let fp = i64::from(layout.frame_to_fp_offset);
        let vars = var_list
            .into_iter()
            .map(|(name, pos, is_param, slot)| VarInfo {
                name,
                pos,
                is_param,
                cfa_offset: i64::from(layout.stackslots[slot].offset) - fp - 16,
            })
            .collect();
        let mut rows = vec![(0, f.pos)];
        for range in compiled.buffer.get_srclocs_sorted() {
            if range.loc.is_default() || range.start == range.end {
                continue;
            }
            let pos = *positions.get(range.loc.bits() as usize).ok_or_else(|| {
                Error::Backend(format!(
                    "`{}`: Cranelift reported source location {} of {}",
                    f.name,
                    range.loc.bits(),
                    positions.len()
                ))
            })?;
            if rows.last().is_some_and(|&(_, last)| last == pos) {
                continue;
            }
            rows.push((u64::from(range.start), pos));
        }
        infos.push(FuncInfo {
            name: f.name.clone(),
            id,
            pos: f.pos,
            returns_value: f.name != "main",
            size: u64::from(compiled.code_info().total_size),
            vars,
            rows,
        });
    }
    define_print(&mut module, &mut ctx, &mut builder_ctx, print_id, write_id)?;
    Ok(Compiled {
        product: module.finish(),
        functions: infos,
    })
}

/// Lowers one function's statements.
struct Lower<'a, 'b> {
    module: &'a mut ObjectModule,
    builder: FunctionBuilder<'b>,
    ids: &'a HashMap<&'a str, (FuncId, usize)>,
    print_id: FuncId,
    vars: HashMap<String, StackSlot>,
    /// Every variable in declaration order: name, position, parameter or not, slot.
    var_list: Vec<(String, Pos, bool, StackSlot)>,
    /// Source positions; a `SourceLoc` is an index into this list.
    positions: Vec<Pos>,
    is_main: bool,
}

impl Lower<'_, '_> {
    fn at(&mut self, pos: Pos) {
        let index = self.positions.len() as u32;
        self.positions.push(pos);
        self.builder.set_srcloc(SourceLoc::new(index));
    }

    fn declare(&mut self, name: &str, pos: Pos, is_param: bool) -> Result<StackSlot, Error> {
        if let Some(&(_, first, _, _)) = self.var_list.iter().find(|v| v.0 == name) {
            return Err(Error::at(
                pos,
                format!("`{name}` is already declared at line {}", first.line),
            ));
        }
        let slot = self.builder.create_sized_stack_slot(StackSlotData::new(
            StackSlotKind::ExplicitSlot,
            8,
            3,
        ));
        self.vars.insert(name.to_string(), slot);
        self.var_list.push((name.to_string(), pos, is_param, slot));
        Ok(slot)
    }

    /// Lowers the function; returns its variables and the positions its
    /// source locations index.
    #[allow(clippy::type_complexity)]
    fn function(
        mut self,
        f: &Function,
    ) -> Result<(Vec<(String, Pos, bool, StackSlot)>, Vec<Pos>), Error> {
        let entry = self.builder.create_block();
        self.builder.append_block_params_for_function_params(entry);
        self.builder.switch_to_block(entry);
        self.builder.seal_block(entry);
        // The prologue and the parameters' stores belong to the `fn` line.
        self.at(f.pos);
        let params: Vec<Value> = self.builder.block_params(entry).to_vec();
        for (name, value) in f.params.iter().zip(params) {
            let slot = self.declare(name, f.pos, true)?;
            self.builder.ins().stack_store(I64, value, slot, 0);
        }
        let returned = self.block(&f.body)?;
        if !returned {
            // Falling off the end returns 0, at the closing brace.
            self.at(f.end);
            let zero = self.builder.ins().iconst(I64, 0);
            self.ret(zero);
        }
        self.builder.seal_all_blocks();
        let config = self.module.isa().frontend_config();
        let Lower {
            builder,
            var_list,
            positions,
            ..
        } = self;
        builder.finalize(config);
        Ok((var_list, positions))
    }

    fn ret(&mut self, value: Value) {
        let value = if self.is_main {
            self.builder.ins().ireduce(I32, value)
        } else {
            value
        };
        self.builder.ins().return_(&[value]);
    }

    /// Lowers statements; true when the block ended with `return` on every path.
    /// A variable is visible to the end of the block that declares it, so
    /// every read follows a store.
    fn block(&mut self, stmts: &[Stmt]) -> Result<bool, Error> {
        let declared_before = self.var_list.len();
        let mut returned = false;
        for (i, stmt) in stmts.iter().enumerate() {
            if self.statement(stmt)? {
                if let Some(next) = stmts.get(i + 1) {
                    return Err(Error::at(
                        next.pos,
                        "unreachable statement after `return`".into(),
                    ));
                }
                returned = true;
                break;
            }
        }
        for (name, ..) in &self.var_list[declared_before..] {
            self.vars.remove(name);
        }
        Ok(returned)
    }

    fn statement(&mut self, stmt: &Stmt) -> Result<bool, Error> {
        self.at(stmt.pos);
        match &stmt.kind {
            StmtKind::Let(name, value) => {
                let value = self.expr(value, stmt.pos)?;
                let slot = self.declare(name, stmt.pos, false)?;
                self.builder.ins().stack_store(I64, value, slot, 0);
            }
            StmtKind::Assign(name, value) => {
                let value = self.expr(value, stmt.pos)?;
                let slot = self.variable(name, stmt.pos)?;
                self.builder.ins().stack_store(I64, value, slot, 0);
            }
            StmtKind::Return(value) => {
                let value = self.expr(value, stmt.pos)?;
                self.ret(value);
                return Ok(true);
            }
            StmtKind::Expr(value) => {
                self.expr(value, stmt.pos)?;
            }
            StmtKind::If(cond, then, otherwise) => {
                let cond = self.expr(cond, stmt.pos)?;
                let then_block = self.builder.create_block();
                let else_block = self.builder.create_block();
                let join = self.builder.create_block();
                self.builder
                    .ins()
                    .brif(cond, then_block, &[], else_block, &[]);
                self.builder.switch_to_block(then_block);
                let then_returned = self.block(then)?;
                if !then_returned {
                    self.builder.ins().jump(join, &[]);
                }
                self.builder.switch_to_block(else_block);
                let else_returned = self.block(otherwise)?;
                if !else_returned {
                    self.builder.ins().jump(join, &[]);
                }
                if then_returned && else_returned {
                    return Ok(true);
                }
                self.builder.switch_to_block(join);
            }
            StmtKind::While(cond, body) => {
                let header = self.builder.create_block();
                let body_block = self.builder.create_block();
                let exit = self.builder.create_block();
                self.builder.ins().jump(header, &[]);
                self.builder.switch_to_block(header);
                self.at(stmt.pos);
                let cond = self.expr(cond, stmt.pos)?;
                self.builder.ins().brif(cond, body_block, &[], exit, &[]);
                self.builder.switch_to_block(body_block);
                if !self.block(body)? {
                    // The jump back belongs to the `while` line, as in C.
                    self.at(stmt.pos);
                    self.builder.ins().jump(header, &[]);
                }
                self.builder.switch_to_block(exit);
            }
        }
        Ok(false)
    }

    fn variable(&self, name: &str, pos: Pos) -> Result<StackSlot, Error> {
        self.vars
            .get(name)
            .copied()
            .ok_or_else(|| Error::at(pos, format!("`{name}` is not declared")))
    }

    fn expr(&mut self, expr: &Expr, stmt_pos: Pos) -> Result<Value, Error> {
        Ok(match expr {
            Expr::Int(n) => self.builder.ins().iconst(I64, *n),
            Expr::Var(name, pos) => {
                let slot = self.variable(name, *pos)?;
                self.builder.ins().stack_load(I64, I64, slot, 0)
            }
            Expr::Neg(inner) => {
                let value = self.expr(inner, stmt_pos)?;
                self.builder.ins().ineg(value)
            }
            Expr::Binary(op, left, right) => {
                let l = self.expr(left, stmt_pos)?;
                let r = self.expr(right, stmt_pos)?;
                let builder = &mut self.builder;
                let mut compare = |cc| {
                    let flag = builder.ins().icmp(cc, l, r);
                    builder.ins().uextend(I64, flag)
                };
                match op {
                    BinOp::Add => self.builder.ins().iadd(l, r),
                    BinOp::Sub => self.builder.ins().isub(l, r),
                    BinOp::Mul => self.builder.ins().imul(l, r),
                    // Division by zero traps (ud2: SIGILL) where it is written.
                    BinOp::Div => self.builder.ins().sdiv(l, r),
                    BinOp::Rem => self.builder.ins().srem(l, r),
                    BinOp::Eq => compare(IntCC::Equal),
                    BinOp::Ne => compare(IntCC::NotEqual),
                    BinOp::Lt => compare(IntCC::SignedLessThan),
                    BinOp::Le => compare(IntCC::SignedLessThanOrEqual),
                    BinOp::Gt => compare(IntCC::SignedGreaterThan),
                    BinOp::Ge => compare(IntCC::SignedGreaterThanOrEqual),
                }
            }
            Expr::Call(name, args, pos) => {
                let values = args
                    .iter()
                    .map(|a| self.expr(a, stmt_pos))
                    .collect::<Result<Vec<_>, _>>()?;
                let arity = |expected: usize| {
                    if values.len() == expected {
                        Ok(())
                    } else {
                        Err(Error::at(
                            *pos,
                            format!(
                                "`{name}` takes {expected} argument{}, {} given",
                                if expected == 1 { "" } else { "s" },
                                values.len()
                            ),
                        ))
                    }
                };
                // The call's own position: a crash in `peek` or a frame in a
                // backtrace points at the call, not just at its statement.
                self.at(*pos);
                let result = match name.as_str() {
                    "peek" => {
                        arity(1)?;
                        self.builder
                            .ins()
                            .load(I64, MemFlagsData::new(), values[0], 0)
                    }
                    "print" => {
                        arity(1)?;
                        let callee = self
                            .module
                            .declare_func_in_func(self.print_id, self.builder.func);
                        self.builder.ins().call(callee, &values);
                        self.builder.ins().iconst(I64, 0)
                    }
                    "main" => {
                        return Err(Error::at(
                            *pos,
                            "`main` is the entry point: it cannot be called".into(),
                        ))
                    }
                    _ => {
                        let &(id, expected) = self
                            .ids
                            .get(name.as_str())
                            .ok_or_else(|| Error::at(*pos, format!("no function `{name}`")))?;
                        arity(expected)?;
                        let callee = self.module.declare_func_in_func(id, self.builder.func);
                        let call = self.builder.ins().call(callee, &values);
                        self.builder.inst_results(call)[0]
                    }
                };
                self.at(stmt_pos);
                result
            }
        })
    }
}

/// `toy_print(n)`: formats `n` in decimal with a newline into a stack buffer,
/// right to left, and hands it to `write(1, ...)`.
fn define_print(
    module: &mut ObjectModule,
    ctx: &mut Context,
    builder_ctx: &mut FunctionBuilderContext,
    print_id: FuncId,
    write_id: FuncId,
) -> Result<(), Error> {
    const BUF: i64 = 32;
    ctx.clear();
    ctx.func.signature = signature(module, 1, None);
    ctx.func.name = UserFuncName::user(0, print_id.as_u32());
    let mut b = FunctionBuilder::new(&mut ctx.func, builder_ctx);
    let buf = b.create_sized_stack_slot(StackSlotData::new(
        StackSlotKind::ExplicitSlot,
        BUF as u32,
        3,
    ));
    let entry = b.create_block();
    let digit = b.create_block();
    let sign = b.create_block();
    let minus = b.create_block();
    let out = b.create_block();
    b.append_block_params_for_function_params(entry);

    // entry(n): buf[31] = '\n'; digit(|n|, 31)
    b.switch_to_block(entry);
    let n = b.block_params(entry)[0];
    let base = b.ins().stack_addr(I64, buf, 0);
    let newline = b.ins().iconst(I8, i64::from(b'\n'));
    b.ins()
        .store(MemFlagsData::trusted(), newline, base, (BUF - 1) as i32);
    let negative = b.ins().icmp_imm_s(IntCC::SignedLessThan, n, 0);
    let negated = b.ins().ineg(n);
    // |n| as unsigned: i64::MIN negates to itself, which is 2^63 unsigned.
    let magnitude = b.ins().select(negative, negated, n);
    let start = b.ins().iconst(I64, BUF - 1);
    b.ins().jump(digit, &[magnitude.into(), start.into()]);

    // digit(u, p): p -= 1; buf[p] = '0' + u % 10; u /= 10; again while u != 0
    let u = b.append_block_param(digit, I64);
    let p = b.append_block_param(digit, I64);
    b.switch_to_block(digit);
    let p = b.ins().iadd_imm_s(p, -1);
    let ten = b.ins().iconst(I64, 10);
    let rem = b.ins().urem(u, ten);
    let ch = b.ins().iadd_imm_s(rem, i64::from(b'0'));
    let ch = b.ins().ireduce(I8, ch);
    let at = b.ins().iadd(base, p);
    b.ins().store(MemFlagsData::trusted(), ch, at, 0);
    let u = b.ins().udiv(u, ten);
    b.ins()
        .brif(u, digit, &[u.into(), p.into()], sign, &[p.into()]);

    // sign(p): a '-' before the digits of a negative number
    let p = b.append_block_param(sign, I64);
    b.switch_to_block(sign);
    b.ins().brif(negative, minus, &[p.into()], out, &[p.into()]);
    let p = b.append_block_param(minus, I64);
    b.switch_to_block(minus);
    let p = b.ins().iadd_imm_s(p, -1);
    let dash = b.ins().iconst(I8, i64::from(b'-'));
    let at = b.ins().iadd(base, p);
    b.ins().store(MemFlagsData::trusted(), dash, at, 0);
    b.ins().jump(out, &[p.into()]);

    // out(p): write(1, buf + p, 32 - p)
    let p = b.append_block_param(out, I64);
    b.switch_to_block(out);
    let at = b.ins().iadd(base, p);
    let end = b.ins().iconst(I64, BUF);
    let len = b.ins().isub(end, p);
    let fd = b.ins().iconst(I32, 1);
    let write = module.declare_func_in_func(write_id, b.func);
    b.ins().call(write, &[fd, at, len]);
    b.ins().return_(&[]);
    b.seal_all_blocks();
    b.finalize(module.isa().frontend_config());
    module
        .define_function(print_id, ctx)
        .map_err(|e| Error::Backend(format!("compiling `{PRINT_RUNTIME}`: {e:?}")))
}
