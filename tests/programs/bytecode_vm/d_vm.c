/* VM: executes the bytecode; runtime errors unwind with longjmp (also from
 * natives in another object via vm_error) */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

/* keep in sync with c_compiler.c */
enum op { OP_CONST, OP_LOADL, OP_STOREL, OP_LOADG, OP_STOREG, OP_ADD, OP_SUB, OP_MUL, OP_DIV,
          OP_MOD, OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE, OP_NOT, OP_NEG, OP_JMP, OP_JZ,
          OP_CALL, OP_NATIVE, OP_RET, OP_POP, OP_HALT };
struct vmfunc { char name[32]; int addr, nparams, nlocals, defined; };

long long native_call(int id, const long long *args);      /* e_natives.c */
const char *native_name(int id);

static const struct { const char *name; int operands; } op_info[] = {
    { "CONST", 1 }, { "LOADL", 1 }, { "STOREL", 1 }, { "LOADG", 1 }, { "STOREG", 1 },
    { "ADD", 0 }, { "SUB", 0 }, { "MUL", 0 }, { "DIV", 0 }, { "MOD", 0 }, { "LT", 0 },
    { "LE", 0 }, { "GT", 0 }, { "GE", 0 }, { "EQ", 0 }, { "NE", 0 }, { "NOT", 0 },
    { "NEG", 0 }, { "JMP", 1 }, { "JZ", 1 }, { "CALL", 2 }, { "NATIVE", 2 }, { "RET", 0 },
    { "POP", 0 }, { "HALT", 0 },
};

static jmp_buf vm_error_jmp;
static char vm_error_msg[128];
static int cur_pc;

void vm_error(const char *msg)
{
    snprintf(vm_error_msg, sizeof vm_error_msg, "runtime error at pc %d: %s", cur_pc, msg);
    longjmp(vm_error_jmp, 1);
}

void vm_disassemble(const int *code, int len, const long long *consts, const struct vmfunc *funcs)
{
    for (int pc = 0; pc < len;) {
        int op = code[pc];
        printf("  %04d %-7s", pc, op_info[op].name);
        if (op == OP_CONST) printf(" %lld", consts[code[pc + 1]]);
        else if (op == OP_CALL) printf(" %s/%d", funcs[code[pc + 1]].name, code[pc + 2]);
        else if (op == OP_NATIVE) printf(" %s/%d", native_name(code[pc + 1]), code[pc + 2]);
        else for (int i = 1; i <= op_info[op].operands; i++) printf(" %d", code[pc + i]);
        printf("\n");
        pc += 1 + op_info[op].operands;
    }
}

#define STACK_MAX 8192
#define FRAMES_MAX 1024

int vm_run(const int *code, const long long *consts, const struct vmfunc *funcs, int nglobals)
{
    static long long stack[STACK_MAX];
    static struct { int ret_pc, base, func; } frames[FRAMES_MAX];
    /* state lives in statics so it is well-defined after longjmp */
    static long long globals[64];
    static int sp, fp, base, pc;
    static long long steps;
    sp = fp = base = pc = 0;
    steps = 0;
    memset(globals, 0, sizeof globals);
    (void)nglobals;
    if (setjmp(vm_error_jmp)) {
        printf("%s (after %lld steps, call depth %d)\n", vm_error_msg, steps, fp);
        return 2;
    }
#define POP() (stack[--sp])
#define PUSH(v) do { if (sp >= STACK_MAX) vm_error("stack overflow"); stack[sp++] = (v); } while (0)
#define BIN(expr) do { long long b = POP(), a = POP(); PUSH(expr); } while (0)
    for (;;) {
        cur_pc = pc;
        steps++;
        switch (code[pc++]) {
        case OP_CONST:  PUSH(consts[code[pc++]]); break;
        case OP_LOADL:  PUSH(stack[base + code[pc++]]); break;
        case OP_STOREL: stack[base + code[pc++]] = POP(); break;
        case OP_LOADG:  PUSH(globals[code[pc++]]); break;
        case OP_STOREG: globals[code[pc++]] = POP(); break;
        case OP_ADD: BIN((long long)((unsigned long long)a + (unsigned long long)b)); break;
        case OP_SUB: BIN((long long)((unsigned long long)a - (unsigned long long)b)); break;
        case OP_MUL: BIN((long long)((unsigned long long)a * (unsigned long long)b)); break;
        case OP_DIV: { long long b = POP(), a = POP(); if (!b) vm_error("division by zero"); PUSH(a / b); break; }
        case OP_MOD: { long long b = POP(), a = POP(); if (!b) vm_error("modulo by zero"); PUSH(a % b); break; }
        case OP_LT: BIN(a < b); break;
        case OP_LE: BIN(a <= b); break;
        case OP_GT: BIN(a > b); break;
        case OP_GE: BIN(a >= b); break;
        case OP_EQ: BIN(a == b); break;
        case OP_NE: BIN(a != b); break;
        case OP_NOT: stack[sp - 1] = !stack[sp - 1]; break;
        case OP_NEG: stack[sp - 1] = (long long)(0ull - (unsigned long long)stack[sp - 1]); break;
        case OP_JMP: pc = code[pc]; break;
        case OP_JZ: { int target = code[pc++]; if (!POP()) pc = target; break; }
        case OP_CALL: {
            int f = code[pc++], argc = code[pc++];
            if (funcs[f].nparams != argc) vm_error("wrong number of arguments");
            if (fp >= FRAMES_MAX) vm_error("call stack overflow");
            frames[fp].ret_pc = pc; frames[fp].base = base; frames[fp].func = f; fp++;
            base = sp - argc;
            for (int i = argc; i < funcs[f].nlocals; i++) PUSH(0);
            pc = funcs[f].addr;
            break;
        }
        case OP_NATIVE: {
            int id = code[pc++], argc = code[pc++];
            long long r = native_call(id, &stack[sp - argc]);
            sp -= argc;
            PUSH(r);
            break;
        }
        case OP_RET: {
            long long r = POP();
            sp = base;
            fp--;
            pc = frames[fp].ret_pc; base = frames[fp].base;
            PUSH(r);
            break;
        }
        case OP_POP: sp--; break;
        case OP_HALT:
            printf("halt after %lld steps, stack depth %d\n", steps, sp);
            return 0;
        default:
            vm_error("bad opcode");
        }
    }
}
