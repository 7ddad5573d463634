/* compiler: recursive-descent parser emitting stack bytecode */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* keep in sync with b_lexer.c */
enum tok { T_EOF, T_NUM, T_IDENT, T_FUNC, T_VAR, T_IF, T_ELSE, T_WHILE, T_RETURN,
           T_LP, T_RP, T_LB, T_RB, T_COMMA, T_SEMI, T_ASSIGN, T_PLUS, T_MINUS, T_STAR,
           T_SLASH, T_PCT, T_LT, T_LE, T_GT, T_GE, T_EQ, T_NE, T_AND, T_OR, T_NOT };
struct token { int kind; int line; long long num; char text[32]; };
/* keep in sync with d_vm.c */
enum op { OP_CONST, OP_LOADL, OP_STOREL, OP_LOADG, OP_STOREG, OP_ADD, OP_SUB, OP_MUL, OP_DIV,
          OP_MOD, OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE, OP_NOT, OP_NEG, OP_JMP, OP_JZ,
          OP_CALL, OP_NATIVE, OP_RET, OP_POP, OP_HALT };
struct vmfunc { char name[32]; int addr, nparams, nlocals, defined; };

struct token *lex(const char *s, int *count);                                      /* b_lexer.c */
int vm_run(const int *code, const long long *consts, const struct vmfunc *funcs, int nglobals); /* d_vm.c */
void vm_disassemble(const int *code, int len, const long long *consts, const struct vmfunc *funcs);
int native_lookup(const char *name, int *arity);                                 /* e_natives.c */

jmp_buf compile_error_jmp;
char compile_error_msg[128];

static struct {
    struct token *t; int pos, ntok;
    int *code; int len, cap;
    long long consts[256]; int nconst;
    struct vmfunc funcs[64]; int nfuncs;
    char globals[64][32]; int nglobals;
    char locals[32][32]; int nlocals; int in_func;
} C;

static void fail(const char *msg, const char *detail)
{
    snprintf(compile_error_msg, sizeof compile_error_msg, "parse error at line %d: %s%s",
             C.t[C.pos].line, msg, detail);
    longjmp(compile_error_jmp, 1);
}

static int peek(void) { return C.t[C.pos].kind; }
static struct token *next(void) { return &C.t[C.pos++]; }
static int accept(int k) { if (peek() == k) { C.pos++; return 1; } return 0; }
static void expect(int k, const char *what) { if (!accept(k)) fail("expected ", what); }

static int emit(int v)
{
    if (C.len == C.cap) { C.cap = C.cap ? C.cap * 2 : 128; C.code = realloc(C.code, C.cap * sizeof(int)); }
    C.code[C.len] = v;
    return C.len++;
}
static void emit2(int op, int a) { emit(op); emit(a); }

static int const_index(long long v)
{
    for (int i = 0; i < C.nconst; i++) if (C.consts[i] == v) return i;
    if (C.nconst == 256) fail("too many constants", "");
    C.consts[C.nconst] = v;
    return C.nconst++;
}

static int find_local(const char *n) { for (int i = 0; i < C.nlocals; i++) if (!strcmp(C.locals[i], n)) return i; return -1; }
static int find_global(const char *n) { for (int i = 0; i < C.nglobals; i++) if (!strcmp(C.globals[i], n)) return i; return -1; }
static int func_index(const char *n)
{
    for (int i = 0; i < C.nfuncs; i++) if (!strcmp(C.funcs[i].name, n)) return i;
    if (C.nfuncs == 64) fail("too many functions", "");
    memset(&C.funcs[C.nfuncs], 0, sizeof C.funcs[0]);
    strcpy(C.funcs[C.nfuncs].name, n);
    C.funcs[C.nfuncs].nparams = -1;
    return C.nfuncs++;
}

static void expr(void);

static void call(const char *name)
{
    int argc = 0;
    if (!accept(T_RP)) {
        do { expr(); argc++; } while (accept(T_COMMA));
        expect(T_RP, "')' after arguments");
    }
    int arity;
    int nat = native_lookup(name, &arity);
    if (nat >= 0) {
        if (arity != argc) fail("wrong argument count for native ", name);
        emit(OP_NATIVE); emit(nat); emit(argc);
    } else {
        emit(OP_CALL); emit(func_index(name)); emit(argc);
    }
}

static void primary(void)
{
    struct token *t = next();
    if (t->kind == T_NUM) { emit2(OP_CONST, const_index(t->num)); return; }
    if (t->kind == T_LP) { expr(); expect(T_RP, "')'"); return; }
    if (t->kind == T_MINUS) { primary(); emit(OP_NEG); return; }
    if (t->kind == T_NOT) { primary(); emit(OP_NOT); return; }
    if (t->kind == T_IDENT) {
        if (accept(T_LP)) { call(t->text); return; }
        int s = C.in_func ? find_local(t->text) : -1;
        if (s >= 0) { emit2(OP_LOADL, s); return; }
        int g = find_global(t->text);
        if (g >= 0) { emit2(OP_LOADG, g); return; }
        fail("undefined variable ", t->text);
    }
    fail("unexpected token in expression", "");
}

static void binary(int level)
{
    static const int ops[5][5] = {
        { T_EQ, T_NE, -1 }, { T_LT, T_LE, T_GT, T_GE, -1 }, { T_PLUS, T_MINUS, -1 }, { T_STAR, T_SLASH, T_PCT, -1 }, { -1 },
    };
    if (level == 4) { primary(); return; }
    binary(level + 1);
    for (;;) {
        int k = peek(), found = 0;
        for (int i = 0; ops[level][i] != -1; i++) if (ops[level][i] == k) found = 1;
        if (!found) return;
        C.pos++;
        binary(level + 1);
        switch (k) {
        case T_EQ: emit(OP_EQ); break;     case T_NE: emit(OP_NE); break;
        case T_LT: emit(OP_LT); break;     case T_LE: emit(OP_LE); break;
        case T_GT: emit(OP_GT); break;     case T_GE: emit(OP_GE); break;
        case T_PLUS: emit(OP_ADD); break;  case T_MINUS: emit(OP_SUB); break;
        case T_STAR: emit(OP_MUL); break;  case T_SLASH: emit(OP_DIV); break;
        case T_PCT: emit(OP_MOD); break;
        }
    }
}

static void and_expr(void)
{
    binary(0);
    while (accept(T_AND)) {                 /* a && b  ->  a JZ L; b !! ; JMP E; L: 0; E: */
        int jz = (emit(OP_JZ), emit(0));
        binary(0); emit(OP_NOT); emit(OP_NOT);
        int jmp = (emit(OP_JMP), emit(0));
        C.code[jz] = C.len;
        emit2(OP_CONST, const_index(0));
        C.code[jmp] = C.len;
    }
}

static void expr(void)
{
    and_expr();
    while (accept(T_OR)) {                  /* a || b  ->  a JZ L; 1; JMP E; L: b !!; E: */
        int jz = (emit(OP_JZ), emit(0));
        emit2(OP_CONST, const_index(1));
        int jmp = (emit(OP_JMP), emit(0));
        C.code[jz] = C.len;
        and_expr(); emit(OP_NOT); emit(OP_NOT);
        C.code[jmp] = C.len;
    }
}

static void block(void);

static void store(const char *name)
{
    int s = C.in_func ? find_local(name) : -1;
    if (s >= 0) { emit2(OP_STOREL, s); return; }
    int g = find_global(name);
    if (g < 0) fail("assignment to undefined variable ", name);
    emit2(OP_STOREG, g);
}

static void statement(void)
{
    if (accept(T_VAR)) {
        struct token *n = next();
        if (n->kind != T_IDENT) fail("expected name after var", "");
        expect(T_ASSIGN, "'='");
        expr();
        expect(T_SEMI, "';'");
        if (C.in_func) {
            if (find_local(n->text) < 0) strcpy(C.locals[C.nlocals++], n->text);
        } else if (find_global(n->text) < 0) {
            strcpy(C.globals[C.nglobals++], n->text);
        }
        store(n->text);
    } else if (accept(T_IF)) {
        expect(T_LP, "'(' after if"); expr(); expect(T_RP, "')' after condition");
        int jz = (emit(OP_JZ), emit(0));
        block();
        if (accept(T_ELSE)) {
            int jmp = (emit(OP_JMP), emit(0));
            C.code[jz] = C.len;
            if (peek() == T_IF) statement(); else block();
            C.code[jmp] = C.len;
        } else {
            C.code[jz] = C.len;
        }
    } else if (accept(T_WHILE)) {
        int top = C.len;
        expect(T_LP, "'(' after while"); expr(); expect(T_RP, "')' after condition");
        int jz = (emit(OP_JZ), emit(0));
        block();
        emit2(OP_JMP, top);
        C.code[jz] = C.len;
    } else if (accept(T_RETURN)) {
        if (!C.in_func) fail("return outside function", "");
        expr(); expect(T_SEMI, "';'");
        emit(OP_RET);
    } else if (peek() == T_LB) {
        block();
    } else if (peek() == T_IDENT && C.t[C.pos + 1].kind == T_ASSIGN) {
        struct token *n = next();
        C.pos++;
        expr(); expect(T_SEMI, "';'");
        store(n->text);
    } else {
        expr(); expect(T_SEMI, "';'");
        emit(OP_POP);
    }
}

static void block(void)
{
    expect(T_LB, "'{'");
    while (!accept(T_RB)) {
        if (peek() == T_EOF) fail("unterminated block", "");
        statement();
    }
}

static void function(void)
{
    struct token *n = next();
    if (n->kind != T_IDENT) fail("expected function name", "");
    int f = func_index(n->text);
    if (C.funcs[f].defined) fail("redefinition of ", n->text);
    int skip = (emit(OP_JMP), emit(0));
    C.funcs[f].addr = C.len;
    C.in_func = 1; C.nlocals = 0;
    expect(T_LP, "'('");
    if (!accept(T_RP)) {
        do {
            struct token *p = next();
            if (p->kind != T_IDENT) fail("expected parameter name", "");
            strcpy(C.locals[C.nlocals++], p->text);
        } while (accept(T_COMMA));
        expect(T_RP, "')'");
    }
    C.funcs[f].nparams = C.nlocals;
    block();
    emit2(OP_CONST, const_index(0));
    emit(OP_RET);
    C.funcs[f].nlocals = C.nlocals;
    C.funcs[f].defined = 1;
    C.in_func = 0;
    C.code[skip] = C.len;
}

int run_source(const char *name, const char *src, int disassemble)
{
    memset(&C, 0, sizeof C);
    if (setjmp(compile_error_jmp)) {
        printf("%s: %s\n", name, compile_error_msg);
        free(C.t); free(C.code);
        return 1;
    }
    C.t = lex(src, &C.ntok);
    while (peek() != T_EOF) {
        if (accept(T_FUNC)) function(); else statement();
    }
    emit(OP_HALT);
    for (int i = 0; i < C.nfuncs; i++)
        if (!C.funcs[i].defined) fail("call to undefined function ", C.funcs[i].name);
    printf("%s: compiled %d tokens into %d code words, %d constants, %d functions, %d globals\n",
           name, C.ntok, C.len, C.nconst, C.nfuncs, C.nglobals);
    if (disassemble) vm_disassemble(C.code, C.len, C.consts, C.funcs);
    int rc = vm_run(C.code, C.consts, C.funcs, C.nglobals);
    free(C.t); free(C.code);
    return rc;
}
