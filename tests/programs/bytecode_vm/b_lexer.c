/* lexer: turns source text into a token array */
#include <ctype.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum tok { T_EOF, T_NUM, T_IDENT, T_FUNC, T_VAR, T_IF, T_ELSE, T_WHILE, T_RETURN,
           T_LP, T_RP, T_LB, T_RB, T_COMMA, T_SEMI, T_ASSIGN, T_PLUS, T_MINUS, T_STAR,
           T_SLASH, T_PCT, T_LT, T_LE, T_GT, T_GE, T_EQ, T_NE, T_AND, T_OR, T_NOT };

struct token { int kind; int line; long long num; char text[32]; };

extern jmp_buf compile_error_jmp;            /* compiler.c */
extern char compile_error_msg[128];

static const struct { const char *word; int kind; } keywords[] = {
    { "func", T_FUNC }, { "var", T_VAR }, { "if", T_IF }, { "else", T_ELSE },
    { "while", T_WHILE }, { "return", T_RETURN },
};

static void lex_fail(int line, const char *what, char c)
{
    snprintf(compile_error_msg, sizeof compile_error_msg, "lex error at line %d: %s '%c'", line, what, c);
    longjmp(compile_error_jmp, 1);
}

struct token *lex(const char *s, int *count)
{
    int cap = 64, n = 0, line = 1;
    struct token *t = malloc(cap * sizeof *t);
    for (;;) {
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '/') {
            if (*s == '/') {
                if (s[1] != '/') break;
                while (*s && *s != '\n') s++;
                continue;
            }
            if (*s == '\n') line++;
            s++;
        }
        if (n + 1 >= cap) { cap *= 2; t = realloc(t, cap * sizeof *t); }
        struct token *k = &t[n++];
        memset(k, 0, sizeof *k);
        k->line = line;
        if (!*s) { k->kind = T_EOF; break; }
        if (isdigit((unsigned char)*s)) {
            k->kind = T_NUM;
            while (isdigit((unsigned char)*s)) k->num = k->num * 10 + (*s++ - '0');
            continue;
        }
        if (isalpha((unsigned char)*s) || *s == '_') {
            int len = 0;
            while (isalnum((unsigned char)*s) || *s == '_') { if (len < 31) k->text[len++] = *s; s++; }
            k->kind = T_IDENT;
            for (unsigned i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
                if (strcmp(k->text, keywords[i].word) == 0) k->kind = keywords[i].kind;
            continue;
        }
        char c = *s++;
        switch (c) {
        case '(': k->kind = T_LP; break;      case ')': k->kind = T_RP; break;
        case '{': k->kind = T_LB; break;      case '}': k->kind = T_RB; break;
        case ',': k->kind = T_COMMA; break;   case ';': k->kind = T_SEMI; break;
        case '+': k->kind = T_PLUS; break;    case '-': k->kind = T_MINUS; break;
        case '*': k->kind = T_STAR; break;    case '/': k->kind = T_SLASH; break;
        case '%': k->kind = T_PCT; break;
        case '<': if (*s == '=') { s++; k->kind = T_LE; } else k->kind = T_LT; break;
        case '>': if (*s == '=') { s++; k->kind = T_GE; } else k->kind = T_GT; break;
        case '=': if (*s == '=') { s++; k->kind = T_EQ; } else k->kind = T_ASSIGN; break;
        case '!': if (*s == '=') { s++; k->kind = T_NE; } else k->kind = T_NOT; break;
        case '&': if (*s == '&') { s++; k->kind = T_AND; } else lex_fail(line, "lone", c); break;
        case '|': if (*s == '|') { s++; k->kind = T_OR; } else lex_fail(line, "lone", c); break;
        default: lex_fail(line, "unexpected character", c);
        }
    }
    *count = n;
    return t;
}
